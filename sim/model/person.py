"""People in recovery: a small state machine driven by competing-risk events.

A person is always in exactly one place (:class:`State`) until they leave the system. They
hold at most one pending event on the model's calendar: the earliest of their clocks (sampled hazards such as
relapse or eviction, and fixed timers such as discharge or move-in). Whenever their situation
changes, every clock is drawn again from "now" (:meth:`Person.reschedule`).

Each person draws from a random stream of their own, seeded from the run's seed and the
person's place in their arrival stream, so the same person meets the same luck in two
scenarios wherever the scenarios agree.
"""

from __future__ import annotations

import random
from enum import Enum, IntEnum
from typing import TYPE_CHECKING

import mesa

from sim.model import hazards
from sim.model.hazards import DAYS_PER_YEAR, INF

if TYPE_CHECKING:
    from sim.model import HousingModel
    from sim.model.calendar import Entry
    from sim.model.stock import Unit


class State(Enum):
    """Where a person is."""

    TREATMENT = "treatment"
    PRISON = "prison"
    TEMPORARY = "temporary"
    STREET = "street"
    HOUSED = "housed"

    # Members are singletons, so identity is equality: hash in C rather than through Enum's
    # Python-level ``__hash__`` (a state is a dict key on every change of place). Identity
    # hashes differ between runs: never iterate a set of states (dicts keep insertion order).
    __hash__ = object.__hash__


# Tuples, not sets: states hash by identity (below), so a set of them would iterate in an order
# that changes from run to run.
COMMUNITY = (State.TEMPORARY, State.STREET, State.HOUSED)
INSTITUTION = (State.TREATMENT, State.PRISON)


class Need(IntEnum):
    """Support need; the value lines up with a unit type's ``support_level``."""

    LOW = 0
    MEDIUM = 1
    HIGH = 2
    ROP = 3  # co-occurring substance use and mental illness


class Person(mesa.Agent):
    """A person recovering from substance dependence.

    Args:
        model: The model.
        luck: This person's own random stream.
        need: Support need.
        female: Sex.
        age: Age in years at entry.
        competence: Housing competence (boevne), 0 to 1.
        preferred_zone: The zone they would like to live in.
        network_zone: The zone of their using network.
        using: Whether they are in active use at entry.
    """

    model: HousingModel

    # Attributes live in slots, not in a per-person dict: a person has more attributes than
    # Python's shared-key instance dicts hold (30), so each would get a dict of its own, about
    # 1.5 KB a person and slower to read. (Mesa's own attributes, model and unique_id, stay in
    # the Agent's dict.)
    __slots__ = (
        "_competence_updated",
        "_event",
        "_next_kind",
        "admissions",
        "age",
        "competence",
        "declines",
        "evictions",
        "female",
        "followup_until",
        "held_discharge",
        "in_followup",
        "last_discharge",
        "luck",
        "move_in_day",
        "need",
        "network_zone",
        "offer",
        "offers",
        "preferred_zone",
        "reapply_day",
        "relapses",
        "release_day",
        "spell_start",
        "state",
        "temporary_spells",
        "tenancy_end",
        "unit",
        "using",
    )

    def __init__(
        self,
        model: HousingModel,
        *,
        luck: random.Random,
        need: Need,
        female: bool,
        age: float,
        competence: float,
        preferred_zone: str,
        network_zone: str,
        using: bool,
    ) -> None:
        super().__init__(model)
        self.luck = luck
        self.need = need
        self.female = female
        self.age = age
        self.competence = competence
        self.preferred_zone = preferred_zone
        self.network_zone = network_zone
        self.using = using

        self.state: State | None = None
        self.spell_start = model.time
        self.unit: Unit | None = None  # tenancy held (also while in treatment or prison)
        self.offer: Unit | None = None  # accepted, waiting for the keys
        self.move_in_day = INF
        self.tenancy_end = INF
        self.release_day = INF  # planned discharge from treatment or prison
        self.reapply_day = INF
        self.followup_until = INF
        self.in_followup = False
        self.held_discharge = False
        self.last_discharge = -INF
        self._competence_updated = model.time
        self._event: Entry | None = None  # the pending entry on the calendar
        self._next_kind = ""

        # history, for the record
        self.admissions = 0
        self.relapses = 0
        self.evictions = 0
        self.offers = 0
        self.declines = 0
        self.temporary_spells = 0

    # ------------------------------------------------------------------ helpers

    @property
    def in_institution(self) -> bool:
        """In treatment or prison now."""
        state = self.state
        return state is State.TREATMENT or state is State.PRISON

    @property
    def is_in_temporary(self) -> bool:
        """In NAV temporary housing now."""
        return self.state is State.TEMPORARY

    def _set_state(self, new: State, reason: str) -> None:
        """Close the current spell (with ``reason``) and open one in ``new``."""
        model = self.model
        now = model.time
        self._update_competence(now)
        old = self.state
        if old is not None:
            self._close_spell(reason, now)
            model.counts[old] -= 1
            if old is State.TEMPORARY:
                model.temporary.leave()
        if new is State.TEMPORARY:
            model.temporary.enter()
            self.temporary_spells += 1
        model.counts[new] += 1
        self.state = new
        self.spell_start = now

    def _close_spell(self, reason: str, now: float | None = None) -> None:
        state = self.state
        assert state is not None
        unit = self.unit
        housed = state is State.HOUSED and unit is not None
        self.model.records.spell(
            self.unique_id,
            state.value,
            unit.type_name if housed else "",
            unit.zone if housed else "",
            self.spell_start,
            self.model.time if now is None else now,
            reason,
        )

    def _update_competence(self, now: float | None = None) -> None:
        """Housing competence grows with time in a unit, at that unit type's rate (mechanism 4)."""
        if now is None:
            now = self.model.time
        if self.state is State.HOUSED and self.unit is not None:
            gain = self.unit.kind.competence_gain_per_year * (now - self._competence_updated) / DAYS_PER_YEAR
            self.competence = min(1.0, self.competence + gain)
        self._competence_updated = now

    # ------------------------------------------------------------------ the clock

    def reschedule(self) -> None:
        """Cancel the pending event and schedule the earliest of all clocks from now."""
        model = self.model
        self._cancel_event()
        now = model.time
        when, kind = self._next_event(now)
        if when < INF:
            self._next_kind = kind
            # A timer that ran out while away (e.g. in treatment) fires now. The person is the
            # event's action (see ``__call__``).
            self._event = model.calendar.schedule(now + max(when, 0.0), self)

    def _next_event(self, now: float) -> tuple[float, str]:
        """The time from ``now`` to the earliest clock, and what it is.

        Clocks are drawn in a fixed order from the person's own stream; ties go to the kind
        that sorts first.
        """
        model = self.model
        rates = model.rates
        rng = self.luck
        state = self.state
        using = self.using
        exp_time = hazards.exp_time
        clocks: list[tuple[float, str]] = []
        timer = clocks.append

        if self.offer is not None:
            timer((self.move_in_day - now, "move_in"))
        if self.reapply_day < INF:
            timer((self.reapply_day - now, "reapply"))

        death = rates.death_using if using else rates.death
        if state is State.TREATMENT or state is State.PRISON:
            timer((self.release_day - now, "discharge"))
            timer((exp_time(rng, death), "death"))
            return min(clocks)

        since = now - self.last_discharge
        early = death * rates.death_early_multiplier
        timer((hazards.piecewise_time(rng, early, death, rates.death_early_window - since), "death"))
        timer((exp_time(rng, rates.move_away), "move_away"))

        if using:
            if not model.treatment.is_queued(self):
                referral = rates.referral_housed if state is State.HOUSED else rates.referral_homeless
                timer((exp_time(rng, referral), "referral"))
            timer((exp_time(rng, rates.prison_using), "prison"))
            timer((exp_time(rng, rates.remission), "remission"))
            if self.in_followup:
                timer((exp_time(rng, rates.no_contact_using), "no_contact"))  # no draw if the rate is 0
        else:
            relapse = model.cfg.relapse
            rate = hazards.relapse_rate(self)
            timer((
                hazards.piecewise_time(rng, rate * relapse.early_multiplier, rate, relapse.early_window_days - since),
                "relapse",
            ))
        if self.competence >= rates.own_housing_min_competence:
            timer((exp_time(rng, rates.own_housing[state is State.HOUSED, using]), "own_housing"))

        if state is State.TEMPORARY:
            timer((exp_time(rng, rates.leave_temporary), "leave_temporary"))
        elif state is State.STREET:
            timer((exp_time(rng, rates.street_to_nav), "to_nav"))
        elif state is State.HOUSED:
            timer((exp_time(rng, hazards.eviction_rate(self)), "eviction"))
            timer((self.tenancy_end - now, "tenancy_end"))
        if self.in_followup:
            timer((self.followup_until - now, "followup_end"))
        return min(clocks)

    def __call__(self) -> None:
        """The pending event is due (the calendar calls the person): act on it, then draw the clocks again."""
        self._event = None
        self._update_competence()
        _HANDLERS[self._next_kind](self)
        if self.state is not None and self._event is None:
            self.reschedule()

    # ------------------------------------------------------------------ events

    def _on_death(self) -> None:
        self.leave_system("death")

    def _on_move_away(self) -> None:
        self.leave_system("moved_away")

    def _on_own_housing(self) -> None:
        self.leave_system("own_housing")

    def _on_relapse(self) -> None:
        cfg = self.model.cfg.relapse
        self.using = True
        self.relapses += 1
        self.competence = max(0.0, self.competence - cfg.competence_loss)
        self.model.records.add(self.model.records.relapses, self.unique_id, self.model.time, self.state.value)

    def _on_remission(self) -> None:
        self.using = False

    def _on_referral(self) -> None:
        self.model.treatment.refer(self)  # may admit at once

    def _on_prison(self) -> None:
        self.admit("prison")

    def _on_no_contact(self) -> None:
        # "Follow-up is often ended when the person does not open the door" (thesis 7.3).
        self.end_followup()

    def _on_followup_end(self) -> None:
        self.end_followup()

    def _on_reapply(self) -> None:
        self.reapply_day = INF
        if self.in_institution and self.model.cfg.coordination.application_timing == "discharge":
            return  # nobody applies while the person is inside; discharge makes the application
        if self.unit is None and self.offer is None:
            self.model.office.apply(self, self.model.cfg.housing_office.processing_days)

    def _on_leave_temporary(self) -> None:
        self._set_state(State.STREET, "left_temporary")

    def _on_to_nav(self) -> None:
        if self.model.temporary.has_room:
            self._set_state(State.TEMPORARY, "came_to_nav")
        self._ensure_application(self.model.cfg.housing_office.processing_days)

    def _on_eviction(self) -> None:
        model = self.model
        unit = self.unit
        assert unit is not None
        self.evictions += 1
        model.records.add(model.records.evictions, self.unique_id, model.time, unit.type_name)
        lose = model.stock_rng.random() < model.cfg.stock.loss_prob_after_eviction
        self._lose_home("evicted", lose_unit=lose, to_temporary_prob=model.cfg.eviction.to_temporary_prob)

    def _on_tenancy_end(self) -> None:
        unit = self.unit
        assert unit is not None
        kind = unit.kind
        if kind.renewable and not (kind.renewal_requires_not_using and self.using):
            self.tenancy_end += kind.tenancy_days
            return
        self._lose_home(
            "tenancy_ended", lose_unit=False, to_temporary_prob=self.model.cfg.eviction.tenancy_end_to_temporary_prob
        )

    def _on_move_in(self) -> None:
        self.move_in()

    def _on_discharge(self) -> None:
        self.discharge()

    # ------------------------------------------------------------------ transitions

    def _ensure_application(self, delay: float) -> None:
        if self.unit is None and self.offer is None and self.reapply_day == INF:
            self.model.office.apply(self, delay)

    def _become_homeless(self, reason: str, to_temporary_prob: float) -> None:
        """Go to NAV temporary housing if there is room and the person goes there, else the street."""
        model = self.model
        if model.temporary.has_room and self.luck.random() < to_temporary_prob:
            self._set_state(State.TEMPORARY, reason)
        else:
            self._set_state(State.STREET, reason)

    def _lose_home(self, reason: str, *, lose_unit: bool, to_temporary_prob: float) -> None:
        unit = self.unit
        assert unit is not None
        self._close_spell(reason)
        self.model.counts[State.HOUSED] -= 1
        self.state = None
        self.unit = None
        self.tenancy_end = INF
        self.model.stock.release(unit, self.model.time, lose=lose_unit)
        self.model.office.withdraw(self)  # a move-on application from a training flat lapses
        self.end_followup()
        self._become_homeless(reason, to_temporary_prob)
        self._ensure_application(self.model.cfg.housing_office.processing_days)

    def start_in(self, state: State, *, unit: Unit | None = None, release_day: float = INF) -> None:
        """Place a new person (initial population or arrival) and start their clocks."""
        model = self.model
        if unit is not None:
            model.stock.reserve(unit, self)
            # Day-0 tenants are part-way through their tenancy.
            self._start_tenancy(unit, model.time + self.luck.uniform(0.0, unit.kind.tenancy_days))
        self.release_day = release_day
        if state is State.TREATMENT:
            model.treatment.occupy_at_start(self)
        self._set_state(state, "")
        if state in INSTITUTION:
            self.using = False
            if model.cfg.coordination.application_timing == "admission":
                self._ensure_application(model.cfg.coordination.notice_delay_days)
        elif state is not State.HOUSED:
            self._ensure_application(model.cfg.housing_office.processing_days)
        self.reschedule()

    def admit(self, kind: str) -> None:
        """Admission to treatment (from the queue) or to prison."""
        model = self.model
        cfg = model.cfg
        state = State.TREATMENT if kind == "treatment" else State.PRISON
        self.admissions += 1
        model.records.add(model.records.admissions, self.unique_id, model.time, kind, self.state.value)
        if state is State.PRISON:
            model.treatment.withdraw(self)
            duration = hazards.gamma_duration(self.luck, cfg.prison.sentence_days_mean, cfg.prison.sentence_days_cv)
        else:
            duration = hazards.gamma_duration(self.luck, cfg.treatment.stay_days_mean, cfg.treatment.stay_days_cv)
        self.end_followup()
        self._set_state(state, "admitted_treatment" if state is State.TREATMENT else "admitted_prison")
        self.using = False
        self.held_discharge = False
        self.release_day = model.time + duration
        if self.unit is None:
            if cfg.coordination.application_timing == "admission":
                # Housing planned from admission (mechanism 2): the application stands, or the
                # institution makes one now.
                self._ensure_application(cfg.coordination.notice_delay_days)
            else:
                # Nobody plans housing while the person is inside: the NAV application lapses
                # and a new one is made after discharge, at the back of the queue (thesis 7.3).
                model.office.withdraw(self)
        self.reschedule()

    def discharge(self) -> None:
        """Leave treatment or prison: to ready housing, temporary housing, or nothing (mechanism 1)."""
        model = self.model
        cfg = model.cfg
        source = self.state
        assert source in INSTITUTION
        now = model.time
        coordination = cfg.coordination
        if (
            self.unit is None
            and self.offer is not None
            and not self.held_discharge
            and self.move_in_day - now <= coordination.hold_max_days
            and self.luck.random() < coordination.hold_discharge_share
        ):
            # The institution keeps the person until the keys are ready.
            self.held_discharge = True
            self.release_day = self.move_in_day + 1e-6
            self.reschedule()
            return
        self.last_discharge = now
        self.release_day = INF
        if self.unit is not None and self.tenancy_end <= now:
            self._tenancy_ended_inside()
        if self.unit is not None:
            destination = "housing"
            self._set_state(State.HOUSED, "discharged")
            self._try_followup()
        else:
            p_temp = (
                cfg.discharge.treatment_to_temporary_prob
                if source is State.TREATMENT
                else cfg.discharge.prison_to_temporary_prob
            )
            self._become_homeless("discharged", p_temp)
            destination = self.state.value
            self._ensure_application(coordination.notice_delay_days)
        model.records.add(model.records.discharges, self.unique_id, now, source.value, destination)
        if source is State.TREATMENT:
            model.treatment.leave(self)
        self.reschedule()

    def _tenancy_ended_inside(self) -> None:
        """The tenancy ran out while the person was in treatment or prison: renew it, or give
        the unit back before discharge (so the discharge is not counted as "to housing")."""
        unit = self.unit
        assert unit is not None
        kind = unit.kind
        if kind.renewable and not (kind.renewal_requires_not_using and self.using):
            while self.tenancy_end <= self.model.time:
                self.tenancy_end += kind.tenancy_days
            return
        self.unit = None
        self.tenancy_end = INF
        self.model.stock.release(unit, self.model.time)

    def accept_offer(self, unit: Unit, move_in_day: float) -> None:
        """The person said yes; the keys come on ``move_in_day`` (at once if that is now)."""
        self.offer = unit
        self.move_in_day = move_in_day
        if move_in_day <= self.model.time:
            self.move_in()  # no paperwork delay (e.g. the M/M/c docking scenarios)
        else:
            self.reschedule()

    def refused_offers_limit(self) -> None:
        """Declined past the limit with ``after_limit = "temporary_only"``: off the list for a while."""
        self.reapply_day = self.model.time + self.model.cfg.choice.reapply_after_days
        self.reschedule()

    def move_in(self) -> None:
        """Take the tenancy of the accepted unit; move in now unless in an institution."""
        model = self.model
        unit = self.offer
        assert unit is not None
        self.offer = None
        self.move_in_day = INF
        if self.unit is not None:  # moving on, e.g. from a training flat
            old = self.unit
            if self.state is State.HOUSED:
                self._close_spell("moved_on")
                self.spell_start = model.time
            self.unit = None
            model.stock.release(old, model.time)
        model.office.withdraw(self)
        self.reapply_day = INF
        self._start_tenancy(unit, model.time + unit.kind.tenancy_days)
        if self.state is State.TEMPORARY or self.state is State.STREET:
            self._set_state(State.HOUSED, "moved_in")
            self._try_followup()
        self.reschedule()

    def _start_tenancy(self, unit: Unit, tenancy_end: float) -> None:
        """Take the keys of a reserved unit; a non-renewable tenancy (training flat) starts the
        move-on application ``housing_office.move_on_lead_days`` before it ends."""
        model = self.model
        model.stock.occupy(unit, self)
        self.unit = unit
        self.tenancy_end = tenancy_end
        if not unit.kind.renewable:
            lead = model.cfg.housing_office.move_on_lead_days
            model.office.apply(self, max(0.0, tenancy_end - lead - model.time))

    def _try_followup(self) -> None:
        followup = self.model.followup
        if not self.in_followup and self.need >= followup.min_need and followup.try_enrol(self):
            self.in_followup = True
            self.followup_until = self.model.time + followup.duration_days

    def end_followup(self) -> None:
        """Close the follow-up case, if any."""
        if self.in_followup:
            self.model.followup.end(self)
            self.in_followup = False
            self.followup_until = INF

    def leave_system(self, reason: str) -> None:
        """Leave for good (own housing, moving away, death): free everything the person held."""
        model = self.model
        state = self.state
        assert state is not None
        self._close_spell(reason)
        model.counts[state] -= 1
        if state is State.TEMPORARY:
            model.temporary.leave()
        self.state = None
        model.treatment.withdraw(self)
        if state is State.TREATMENT:
            model.treatment.leave(self)
        model.office.withdraw(self)
        if self.offer is not None:
            model.stock.release(self.offer, model.time)
            self.offer = None
        if self.unit is not None:
            model.stock.release(self.unit, model.time)
            self.unit = None
        self.end_followup()
        model.records.add(model.records.exits, self.unique_id, model.time, reason, state.value)
        self.remove()  # cancels the pending event too

    def _cancel_event(self) -> None:
        event = self._event
        if event is not None:
            self.model.calendar.cancel(event)
            self._event = None

    def remove(self) -> None:
        """Leave Mesa's registry; the pending event goes too (the calendar holds its actions by
        strong reference, so a removed person would otherwise stay alive until it came up)."""
        self._cancel_event()
        super().remove()


# What each kind of pending event does: ``_next_event`` names the kind, ``Person.__call__``
# looks up the handler here (``_on_<kind>``).
_HANDLERS = {
    name.removeprefix("_on_"): handler
    for name, handler in vars(Person).items()
    if name.startswith("_on_") and callable(handler)
}
