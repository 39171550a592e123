"""The vocabulary of a person's life in the model: where they are, what they need, what can happen next.

:class:`State` is the place a person is in, :class:`Need` their support need, :class:`EventKind`
the kind of their one pending event. This module imports nothing of the model, so every other
module of it (and the later stages) can take these names without an import cycle.
"""

from __future__ import annotations

from enum import Enum, IntEnum, StrEnum
from typing import Final, Literal


class State(Enum):
    """Where a person is. The value is what the records write (a plain ``str``)."""

    TREATMENT = "treatment"
    PRISON = "prison"
    TEMPORARY = "temporary"
    STREET = "street"
    HOUSED = "housed"  # a municipal unit
    PRIVATE = "private"  # private rental, family or their own flat: outside the municipal stock

    # Members are singletons, so identity is equality: hash in C rather than through Enum's
    # Python-level ``__hash__`` (a state is a dict key on every change of place). Identity
    # hashes differ between runs: never iterate a set of states (dicts keep insertion order).
    __hash__ = object.__hash__


#: Each state's value, read without ``Enum.value`` (a Python-level property): at every spell and row.
VALUE: Final[dict[State, str]] = {state: state.value for state in State}

#: A municipal unit or private housing: the places a person can be stable in and leave the
#: population from (``exits.stable_after_days``).
HOME: Final = (State.HOUSED, State.PRIVATE)

#: Treatment and prison: the places a person is discharged from. A tuple, not a set: states
#: hash by identity, so a set of them would iterate in an order that changes from run to run.
INSTITUTION: Final = (State.TREATMENT, State.PRISON)


class Need(IntEnum):
    """Support need; the value lines up with a unit type's ``support_level``."""

    LOW = 0
    MEDIUM = 1
    HIGH = 2
    ROP = 3  # co-occurring substance use and mental illness


#: The scenario files' names of the needs (``population.need_shares`` and the like), in ``Need`` order.
NEED_KEYS: Final[tuple[Literal["low", "medium", "high", "rop"], ...]] = ("low", "medium", "high", "rop")
assert NEED_KEYS == tuple(need.name.lower() for need in Need)


class TempPlace(StrEnum):
    """The kind of NAV temporary place a person in ``State.TEMPORARY`` holds."""

    ORDINARY = "ordinary"  # hostels, rooms NAV rents
    STAFFED = "staffed"  # staffed temporary place, for high support need (none exists, thesis 7.2.2)
    CRISIS = "women_crisis"  # crisis place for women in active use (none exists, thesis 7.4.1)


class EventKind(StrEnum):
    """What a person's pending event is: one of their clocks (``sim.model.clocks``).

    The values are plain strings and their order matters: when two clocks come up at exactly
    the same time, the kind whose value sorts first wins (a ``StrEnum`` compares as its value).
    ``Person.__call__`` runs the handler that ``sim.model.events.HANDLERS`` maps each kind to.
    """

    # fixed timers
    MOVE_IN = "move_in"  # the keys of an accepted unit are ready
    REAPPLY = "reapply"  # off the waiting list after too many declines: may apply again
    DISCHARGE = "discharge"  # planned end of a treatment stay or prison sentence
    TENANCY_END = "tenancy_end"
    FOLLOWUP_END = "followup_end"
    # competing risks (sampled)
    DEATH = "death"
    MOVE_AWAY = "move_away"
    OWN_HOUSING = "own_housing"  # moves to private housing (private rental, family, arranged by the office)
    PRIVATE_LOSS = "private_loss"  # loses private housing (end of lease, eviction, thrown out)
    REVIEW = "review"  # housing competence has moved: redraw the clocks that depend on it
    STABLE = "stable"  # stable long enough: leaves the population as "stable, out of services"
    REFERRAL = "referral"  # referred to treatment (in active use)
    PRISON = "prison"
    REMISSION = "remission"  # stops using
    RELAPSE = "relapse"  # starts using again
    NO_CONTACT = "no_contact"  # follow-up ends: not reached while using
    LEAVE_TEMPORARY = "leave_temporary"  # from temporary housing to the street
    TO_NAV = "to_nav"  # from the street to NAV (temporary housing, an application)
    EVICTION = "eviction"
