"""People's random streams: each person draws from numbers of their own, cheaply.

Common random numbers need every person to have a stream of their own: person *k* of an arrival
stream must meet the same luck in two scenarios wherever the scenarios agree, however many
draws the other people made. Seeding a Mersenne Twister per person gives that, at about 5 to 6
microseconds a person (and 2.5 KB of state), which was a fifth of a docking customer's cost.

Here a person's stream is a block of :data:`BLOCK` uniforms cut from a matrix drawn with numpy
for :data:`BATCH` people of the same arrival stream at once (one generator per batch, keyed by
the run's seed, the arrival stream and the batch number), then, if the person uses the block
up, a Mersenne Twister of their own keyed by the run's seed, their arrival stream and their
number in it. Person *k* therefore gets the same numbers in every scenario run with the same
seed, in whatever order people are created. Handing out a block costs under a microsecond; a
draw is a C-level call (an iterator's ``__next__``), as fast as ``random.Random.random``.

:class:`Luck` has the methods of ``random.Random`` the model uses (``random``, ``uniform``,
``choices``, ``normalvariate``, ``gammavariate``, ``expovariate``), taken from
``random.Random`` itself: they draw only through ``self.random``.
"""

from __future__ import annotations

import random
from array import array
from collections.abc import Iterator, Sequence
from itertools import chain
from typing import TYPE_CHECKING, TypeVar

import numpy as np

#: Uniforms in a person's first block (1 KB). Measured on the baseline (two 10-year runs,
#: 2,395 people, 2026-12-01): a person draws a median of 47 numbers (mean 59); 34% use more
#: than 64 and 8% more than 128, who then seed a Mersenne Twister of their own.
BLOCK = 128
_BLOCK_BYTES = BLOCK * 8
#: People whose first blocks are drawn at once (one numpy call, one generator per batch).
BATCH = 256
#: Tag of the batch generators' seed, kept apart from every ``random.Random`` seed of the model.
_BATCH_KEY = 0x5EED

_T = TypeVar("_T")


class Luck:
    """A person's random stream: ``random()`` and the few distributions the model draws from it.

    Args:
        numbers: A unit uniform per call of ``next``, for ever.
    """

    __slots__ = ("random",)

    if TYPE_CHECKING:  # the signatures, for the type checker (``random.Random``'s expect a ``Random``)

        def uniform(self, a: float, b: float) -> float: ...
        def choices(self, population: Sequence[_T], *, cum_weights: Sequence[float]) -> list[_T]: ...
        def normalvariate(self, mu: float = 0.0, sigma: float = 1.0) -> float: ...
        def gammavariate(self, alpha: float, beta: float) -> float: ...
        def expovariate(self, lambd: float = 1.0) -> float: ...

    else:  # pure-Python methods of random.Random that draw only through ``self.random``
        uniform = random.Random.uniform
        choices = random.Random.choices
        normalvariate = random.Random.normalvariate
        gammavariate = random.Random.gammavariate
        expovariate = random.Random.expovariate

    def __init__(self, numbers: Iterator[float]) -> None:
        self.random = numbers.__next__


class _Continuation:
    """What a person draws once their block is used up: a Mersenne Twister of their own,
    seeded only then (``itertools.chain`` asks for the iterator when it reaches it)."""

    __slots__ = ("seed",)

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def __iter__(self) -> Iterator[float]:
        return iter(random.Random(self.seed).random, None)  # never returns None: endless


class PersonStreams:
    """Hands out the random streams of the people of one arrival stream.

    Args:
        seed: The run's seed.
        tag: The arrival stream (``sim.model.housing_model.STREAM_*``).
        continuation_base: Person ``index``'s Mersenne Twister, once their block is used up,
            is seeded with ``continuation_base | (index + 1)``.
    """

    __slots__ = ("_base", "_batch", "_numbers", "_seed", "_tag")

    def __init__(self, seed: int, tag: int, continuation_base: int) -> None:
        self._seed = seed
        self._tag = tag
        self._base = continuation_base
        self._batch = -1
        self._numbers = memoryview(b"")

    def luck(self, index: int) -> Luck:
        """The stream of person ``index`` (from 0) of this arrival stream."""
        batch, row = divmod(index, BATCH)
        if batch != self._batch:
            key = np.random.SeedSequence((self._seed, _BATCH_KEY, self._tag, batch))
            self._numbers = memoryview(np.random.Generator(np.random.PCG64(key)).random(BATCH * BLOCK).tobytes())
            self._batch = batch
        first = array("d")
        first.frombytes(
            self._numbers[row * _BLOCK_BYTES : (row + 1) * _BLOCK_BYTES]
        )  # a copy: 1 KB of the person's own
        return Luck(chain(first, _Continuation(self._base | (index + 1))))
