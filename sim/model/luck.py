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
seed, in whatever order people are created. Handing out a block costs under a microsecond.

A stream is one object (:class:`Luck`: the block, a place in it and the seed of what follows)
besides its block: the garbage collector, which walks every object that can hold others at
each full collection, has two objects a person to walk rather than eight (a long docking run
keeps 100,000 people). :class:`Luck` has the methods of ``random.Random`` the model uses
(``random``, ``uniform``, ``normalvariate``, ``gammavariate``, ``expovariate``, and ``choice``,
which draws what ``choices(...)[0]`` draws); all but ``random`` and ``choice`` are
``random.Random``'s own, run on this stream (they draw only through ``random``), so they draw
exactly what they draw from a ``random.Random``.
"""

from __future__ import annotations

import random
from array import array
from bisect import bisect
from collections.abc import Callable, Sequence
from typing import Final, TypeVar

import numpy as np

#: Uniforms in a person's first block (1 KB). Measured on the baseline (two 10-year runs,
#: 2,395 people, 2026-12-01): a person draws a median of 47 numbers (mean 59); 34% use more
#: than 64 and 8% more than 128, who then seed a Mersenne Twister of their own.
BLOCK: Final = 128
#: People whose first blocks are drawn at once (one numpy call, one generator per batch).
BATCH: Final = 256
#: Tag of the batch generators' seed, kept apart from every ``random.Random`` seed of the model.
_BATCH_KEY: Final = 0x5EED

_T = TypeVar("_T")


# random.Random's pure-Python methods, run on a Luck: they draw only through ``self.random``.
_uniform: Final[Callable[..., float]] = random.Random.uniform
_normalvariate: Final[Callable[..., float]] = random.Random.normalvariate
_gammavariate: Final[Callable[..., float]] = random.Random.gammavariate
_expovariate: Final[Callable[..., float]] = random.Random.expovariate


class Luck:
    """A person's random stream: ``random()`` and the few distributions the model draws from it.

    Args:
        block: The first uniforms, drawn in order.
        seed: The seed of the Mersenne Twister that gives the numbers after them (made only
            if the block is used up).
    """

    __slots__ = ("_after", "_block", "_held", "_next", "_seed", "_u1", "_u2", "_u3", "_u4", "_u5", "_u6", "_u7")

    def __init__(self, block: array[float], seed: int) -> None:
        self._block = block
        self._next = 0  # the place in the block of the next number not yet taken out of it
        self._seed = seed
        self._after: random.Random | None = None  # the numbers after the block, once it is used up
        # The next numbers, taken out of the block seven at a time with the one drawn before them
        # (``_held`` of them are left: ``_u1`` is drawn last): a draw reads this object alone, not
        # the block's object and its numbers, which in a large population are rarely in the
        # processor's cache by the time the person's next event comes (eight at a time, one
        # cache line of numbers, reads the block half as often as four at a time: at 50 times
        # the baseline's size, reading the block was 5% of a run).
        self._held = 0
        self._u1 = 0.0
        self._u2 = 0.0
        self._u3 = 0.0
        self._u4 = 0.0
        self._u5 = 0.0
        self._u6 = 0.0
        self._u7 = 0.0

    @classmethod
    def seeded(cls, seed: int) -> Luck:
        """A stream with no block: exactly the numbers of ``random.Random(seed)``."""
        return cls(array("d"), seed)

    def random(self) -> float:
        """The next number, uniform in [0, 1)."""
        held = self._held
        if held != 0:
            self._held = held - 1
            if held == 1:
                return self._u1
            if held == 2:
                return self._u2
            if held == 3:
                return self._u3
            if held == 4:
                return self._u4
            if held == 5:
                return self._u5
            if held == 6:
                return self._u6
            return self._u7
        i = self._next
        block = self._block
        if i + 8 <= len(block):
            self._u7 = block[i + 1]
            self._u6 = block[i + 2]
            self._u5 = block[i + 3]
            self._u4 = block[i + 4]
            self._u3 = block[i + 5]
            self._u2 = block[i + 6]
            self._u1 = block[i + 7]
            self._held = 7
            self._next = i + 8
            return block[i]
        if i < len(block):  # a block whose length is not a multiple of 8 (a test's): one at a time
            self._next = i + 1
            return block[i]
        after = self._after
        if after is None:
            after = self._after = random.Random(self._seed)
        return after.random()

    def uniform(self, a: float, b: float) -> float:
        """As ``random.Random.uniform``."""
        return _uniform(self, a, b)

    def choice(self, population: Sequence[_T], cum_weights: Sequence[float]) -> _T:
        """One of ``population``, with these cumulative weights: what
        ``random.Random.choices(population, cum_weights=cum_weights)[0]`` draws, from one number.

        Args:
            population: What to choose from.
            cum_weights: The running totals of the weights, one per member of ``population``,
                the last finite and above 0 (a scenario's shares, checked when the model is made:
                unlike ``random.Random.choices``, this checks nothing).
        """
        total = cum_weights[-1] + 0.0
        return population[bisect(cum_weights, self.random() * total, 0, len(population) - 1)]

    def normalvariate(self, mu: float = 0.0, sigma: float = 1.0) -> float:
        """As ``random.Random.normalvariate``."""
        return _normalvariate(self, mu, sigma)

    def gammavariate(self, alpha: float, beta: float) -> float:
        """As ``random.Random.gammavariate``."""
        return _gammavariate(self, alpha, beta)

    def expovariate(self, lambd: float = 1.0) -> float:
        """As ``random.Random.expovariate``."""
        return _expovariate(self, lambd)


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
        self._numbers = array("d")  # the first blocks of the people of batch ``_batch``

    def luck(self, index: int) -> Luck:
        """The stream of person ``index`` (from 0) of this arrival stream."""
        batch, row = divmod(index, BATCH)
        if batch != self._batch:
            key = np.random.SeedSequence((self._seed, _BATCH_KEY, self._tag, batch))
            numbers = array("d")
            numbers.frombytes(np.random.Generator(np.random.PCG64(key)).random(BATCH * BLOCK).tobytes())
            self._numbers = numbers
            self._batch = batch
        # A copy: 1 KB of the person's own.
        return Luck(self._numbers[row * BLOCK : (row + 1) * BLOCK], self._base | (index + 1))
