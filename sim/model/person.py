"""People in recovery: a small state machine driven by competing-risk events.

A person is always in exactly one place (:class:`~sim.model.states.State`) until they leave the
system. They hold at most one pending event on the model's calendar: the earliest of their
clocks (sampled hazards such as relapse or eviction, and fixed timers such as discharge or
move-in; :mod:`sim.model.clocks`). Whenever their situation changes, the clocks are drawn again
from "now" (:meth:`Person.reschedule`). When the event comes up, :mod:`sim.model.events` says
what its kind (:class:`~sim.model.states.EventKind`) does; the transitions it calls are here.

Each person draws from a random stream of their own (:mod:`sim.model.luck`), keyed by the run's
seed and the person's place in their arrival stream, so the same person meets the same luck in
two scenarios wherever the scenarios agree.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

import mesa

from sim.config import DAYS_PER_YEAR
from sim.model.clocks import next_event
from sim.model.events import HANDLERS
from sim.model.hazards import INF, gamma_duration
from sim.model.states import HOME, INSTITUTION, VALUE, EventKind, Need, State, TempPlace

if TYPE_CHECKING:
    from sim.model.calendar import Entry
    from sim.model.housing_model import HousingModel
    from sim.model.luck import Luck
    from sim.model.stock import Unit

#: A discharge held back until the keys are ready comes this many days (under 0.1 second) after
#: the move-in day, so that at that time the move-in runs first and the person leaves to housing.
HELD_DISCHARGE_LAG_DAYS: Final = 1e-6


class Person(mesa.Agent):
    """A person recovering from substance dependence.

    Args:
        model: The model.
        luck: This person's own random stream.
        need: Support need.
        female: Sex (a woman in active use may not take an ordinary temporary place).
        competence: Housing competence (boevne), 0 to 1.
        preferred_zone: The zone they would like to live in.
        network_zone: The zone of their using network.
        using: Whether they are in active use at entry.
    """

    model: HousingModel
    unique_id: Any  # Mesa's: None, then the number the model gives (mesa.Agent.__init__)
    pos: Any  # Mesa's position, unused here (None)

    # Attributes live in slots, not in a per-person dict: a person has more attributes than
    # Python's shared-key instance dicts hold (30), so each would get a dict of its own, about
    # 1.5 KB a person and slower to read. Mesa's own three (model, unique_id, pos) have slots
    # here too, so the dict that mesa.Agent allows is not made (about 0.2 KB a person) unless
    # something asks for ``person.__dict__``.
    __slots__ = (
        "_competence_updated",
        "_event",
        "_next_kind",
        "_spare",
        "admissions",
        "chosen_home",
        "competence",
        "declines",
        "evictions",
        "female",
        "followup_until",
        "has_private",
        "held_discharge",
        "in_followup",
        "last_discharge",
        "luck",
        "model",
        "move_in_day",
        "need",
        "network_zone",
        "offer",
        "offer_chosen",
        "offers",
        "pos",
        "preferred_zone",
        "reapply_day",
        "relapses",
        "release_day",
        "spell_start",
        "stable_since",
        "state",
        "temp_place",
        "temporary_spells",
        "tenancy_end",
        "unique_id",
        "unit",
        "using",
    )

    def __init__(
        self,
        model: HousingModel,
        *,
        luck: Luck,
        need: Need,
        female: bool,
        competence: float,
        preferred_zone: str,
        network_zone: str,
        using: bool,
    ) -> None:
        super().__init__(model)
        self.luck = luck
        self.need = need
        self.female = female
        self.competence = competence
        self.preferred_zone = preferred_zone
        self.network_zone = network_zone
        self.using = using

        self.state: State | None = None
        self.spell_start = model.calendar.now
        self.unit: Unit | None = None  # tenancy held (also while in treatment or prison)
        self.offer: Unit | None = None  # accepted, waiting for the keys
        self.offer_chosen = False  # the accepted unit is one the person chose (see accept_offer)
        self.chosen_home = False  # the unit held is one the person chose
        self.move_in_day = INF
        self.tenancy_end = INF
        self.release_day = INF  # planned discharge from treatment or prison
        self.reapply_day = INF
        self.followup_until = INF
        self.in_followup = False
        self.held_discharge = False
        self.last_discharge = -INF
        self.has_private = False  # private housing to go back to (kept during a stay inside)
        self.temp_place: TempPlace | None = None  # the kind of temporary place held
        self.stable_since = model.calendar.now  # housed, not using and no follow-up since (when in a home)
        self._competence_updated = model.calendar.now
        self._event: Entry | None = None  # the pending entry on the calendar
        self._spare: Entry | None = None  # the entry of the last event, used again for the next
        self._next_kind: EventKind | None = None  # what the pending entry is

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

    @property
    def renews_tenancy(self) -> bool:
        """The tenancy of the unit held would be renewed now: its type is renewable, and the person
        is not in active use where the type renews only for people who are not."""
        unit = self.unit
        assert unit is not None
        kind = unit.kind
        return kind.renewable and not (kind.renewal_requires_not_using and self.using)

    def change_state(self, new: State, reason: str) -> None:
        """Close the current spell (with ``reason``) and open one in ``new``.

        Args:
            new: The place the person is in from now on.
            reason: Why the current spell ends, as recorded (nothing is recorded for a person
                who was nowhere: a new person, or one whose home was just closed).
        """
        model = self.model
        now = model.calendar.now
        self._update_competence(now)
        old = self.state
        if old is not None:
            self.close_spell(reason, now)
            model.counts[old] -= 1
            if old is State.TEMPORARY:
                assert self.temp_place is not None
                model.temporary.leave(self.temp_place)
                self.temp_place = None
        if new is State.TEMPORARY:
            assert self.temp_place is not None, "a place is found before moving in (find_temporary_place)"
            model.temporary.enter(self.temp_place)
            self.temporary_spells += 1
        elif new is State.HOUSED or new is State.PRIVATE:
            self.stable_since = now
        model.counts[new] += 1
        self.state = new
        self.spell_start = now

    def close_spell(self, reason: str, now: float | None = None) -> None:
        """Record the spell in the current place as ended ``now`` (default: the model's time).

        The person stays where they are; the caller opens the next spell, or the run ends.

        Args:
            reason: Why the spell ended, as recorded (``end_reason``).
            now: The end of the spell, if already looked up.
        """
        state = self.state
        assert state is not None
        unit = self.unit if state is State.HOUSED else None  # the unit lived in, for a housed spell
        self.model.records.spell(
            self.unique_id,
            VALUE[state],
            "" if unit is None else unit.type_name,
            "" if unit is None else unit.zone,
            self.spell_start,
            self.model.calendar.now if now is None else now,
            reason,
        )

    def competence_gain_per_year(self) -> float:
        """How fast housing competence grows now, per year (mechanism 4).

        The sum of: the unit type's rate while holding a unit and living in it; the rate in
        treatment; the rate while not in active use (remission) outside treatment; the rate
        while in follow-up. It falls only at a relapse (``relapse.competence_loss``).
        """
        rates = self.model.rates
        state = self.state
        gain = 0.0
        if state is State.TREATMENT:
            gain += rates.competence_treatment
        elif not self.using:
            gain += rates.competence_not_using
        if state is State.HOUSED:
            unit = self.unit
            if unit is not None:
                gain += unit.kind.competence_gain_per_year
        if self.in_followup:
            gain += rates.competence_followup
        return gain

    def _update_competence(self, now: float | None = None) -> None:
        """Add the competence gained since the last update (the situation has not changed since)."""
        if now is None:
            now = self.model.calendar.now
        if self.competence < 1.0 and now > self._competence_updated and self.state is not None:
            elapsed = now - self._competence_updated
            gain = self.competence_gain_per_year()
            if gain > 0.0:
                self.competence = min(1.0, self.competence + gain * elapsed / DAYS_PER_YEAR)
        self._competence_updated = now

    # ------------------------------------------------------------------ the clock

    def reschedule(self) -> None:
        """Cancel the pending event and schedule the earliest of all clocks from now."""
        self._cancel_event()
        calendar = self.model.calendar
        now = calendar.now
        when, kind = next_event(self, now)
        if when < INF:
            self._next_kind = kind
            # A timer that ran out while away (e.g. in treatment) fires now. The person is the
            # event's action (see ``__call__``).
            self._event = calendar.schedule(now + when if when > 0.0 else now, self, self._spare)
            self._spare = None

    def __call__(self) -> None:
        """The pending event is due (the calendar calls the person): act on it, then draw the clocks again."""
        self._spare = self._event  # taken off the calendar to run: the next event may use it again
        self._event = None
        self._update_competence()
        kind = self._next_kind
        assert kind is not None, "set with the entry now due (reschedule)"
        HANDLERS[kind](self)
        if self.state is not None and self.pending_event() is None:  # the handler may have drawn the clocks
            self.reschedule()

    def pending_event(self) -> Entry | None:
        """The person's entry on the calendar, if any.

        (``__call__`` asks through this method after the handler: reading ``self._event`` there
        would be taken by a type checker, and by the compiler of :mod:`sim.model.native`, to be
        the ``None`` just assigned.)
        """
        return self._event

    # ------------------------------------------------------------------ transitions

    def ensure_application(self, delay: float) -> None:
        """Apply for housing unless the person has a unit, an offer, an application or a ban.

        Args:
            delay: Days until the application reaches the office.
        """
        if self.unit is None and self.offer is None and self.reapply_day == INF:
            self.model.office.apply(self, delay)

    def move_to_private(self, reason: str) -> None:
        """Move to private housing (private rental, family, own flat): give back a municipal unit
        or an accepted offer, leave the waiting list and follow-up.

        Args:
            reason: Why the current spell ends, as recorded (``own_housing`` or ``arranged_private``).
        """
        model = self.model
        now = model.calendar.now
        self.change_state(State.PRIVATE, reason)  # closes a housed spell while the unit is still held
        self.has_private = True
        if self.unit is not None:
            unit, self.unit, self.tenancy_end = self.unit, None, INF
            model.stock.release(unit, now)
        if self.offer is not None:
            model.stock.release(self.offer, now)
            self.offer, self.move_in_day = None, INF
        model.office.withdraw(self)
        self.reapply_day = INF
        self.end_followup()

    def lose_private(self) -> None:
        """Lose private housing (end of lease, eviction, thrown out by family): to NAV or the street."""
        self.has_private = False
        self._become_homeless("lost_private", self.model.cfg.private.loss_to_temporary_prob)
        self.ensure_application(self.model.cfg.housing_office.processing_days)

    def find_temporary_place(self) -> TempPlace | None:
        """Ask NAV for a temporary place: the kind the person takes (held in ``temp_place`` until
        they move in), or ``None`` (refused, or a woman in active use who will not take an ordinary
        place). Refusals are recorded."""
        model = self.model
        cfg = model.cfg.temporary
        crisis = self.female and self.using
        place = model.temporary.find(staffed=self.need >= model.staffed_min_need, crisis=crisis)
        reason = ""
        if place is None:
            reason = "full"
        elif crisis and place is TempPlace.ORDINARY and self.luck.random() >= cfg.women_using_accept_prob:
            # No place for women in active use: many go to a sofa or the street instead (7.2.2, 7.4.1).
            reason, place = "unsuitable", None
        if place is None:
            model.records.refusal(self.unique_id, model.calendar.now, reason)
        self.temp_place = place
        return place

    def _become_homeless(self, reason: str, to_temporary_prob: float) -> None:
        """Go to NAV temporary housing if the person goes there and gets a place, else the street."""
        if self.luck.random() < to_temporary_prob and self.find_temporary_place() is not None:
            self.change_state(State.TEMPORARY, reason)
        else:
            self.change_state(State.STREET, reason)

    def lose_home(self, reason: str, *, lose_unit: bool, to_temporary_prob: float) -> None:
        """Move out of the unit held (eviction, tenancy not renewed) to temporary housing or the street.

        Args:
            reason: Why the housed spell ends, as recorded.
            lose_unit: The unit is lost to the stock (force-sold after damage, mechanism 5).
            to_temporary_prob: Chance of going to NAV temporary housing if it has room.
        """
        unit = self.unit
        assert unit is not None
        self.close_spell(reason)
        self.model.counts[State.HOUSED] -= 1
        self.state = None
        self.unit = None
        self.tenancy_end = INF
        self.model.stock.release(unit, self.model.calendar.now, lose=lose_unit)
        self.model.office.withdraw(self)  # a move-on application from a training flat lapses
        if not self.model.cfg.followup.continues_after_eviction:
            self.end_followup()
        self._become_homeless(reason, to_temporary_prob)
        self.ensure_application(self.model.cfg.housing_office.processing_days)

    def start_in(self, state: State, *, unit: Unit | None = None, release_day: float = INF) -> None:
        """Place a new person (initial population or arrival) and start their clocks.

        Args:
            state: Where the person starts.
            unit: For a day-0 tenant, the unit they hold (part-way through a tenancy).
            release_day: In treatment or prison, the day of the planned discharge.
        """
        model = self.model
        if unit is not None:
            model.stock.reserve(unit, self)
            self.chosen_home = unit.zone == self.preferred_zone
            # Day-0 tenants are part-way through their tenancy.
            self._start_tenancy(unit, model.calendar.now + self.luck.uniform(0.0, unit.kind.tenancy_days))
        self.release_day = release_day
        if state is State.TREATMENT:
            model.treatment.occupy_at_start(self)
        if state is State.TEMPORARY and self.find_temporary_place() is None:
            state = State.STREET
        if state is State.PRIVATE:
            self.has_private = True
        self.change_state(state, "")
        if state in HOME and not self.using:
            # Day-0 people at home have been stable for part of the time it takes to leave.
            stable = model.rates.stable_after
            self.stable_since = model.calendar.now - self.luck.uniform(0.0, stable if stable < INF else 0.0)
        if state in INSTITUTION:
            self.using = False
            if model.cfg.coordination.application_timing == "admission":
                self.ensure_application(model.cfg.coordination.notice_delay_days)
        elif state is not State.HOUSED and state is not State.PRIVATE:
            self.ensure_application(model.cfg.housing_office.processing_days)
        self.reschedule()

    def admit(self, state: State) -> None:
        """Admission to treatment (from the queue) or to prison.

        Args:
            state: ``State.TREATMENT`` or ``State.PRISON``.
        """
        model = self.model
        cfg = model.cfg
        self._update_competence()  # an admission from the queue comes at another person's event
        self.admissions += 1
        before = self.state
        assert before is not None
        model.records.admission(self.unique_id, model.calendar.now, VALUE[state], VALUE[before])
        if state is State.PRISON:
            model.treatment.withdraw(self)
            duration = gamma_duration(self.luck, cfg.prison.sentence_days_mean, cfg.prison.sentence_days_cv)
        else:
            assert state is State.TREATMENT
            duration = gamma_duration(self.luck, cfg.treatment.stay_days_mean, cfg.treatment.stay_days_cv)
        self.end_followup()
        self.change_state(state, "admitted_treatment" if state is State.TREATMENT else "admitted_prison")
        self.using = False
        self.held_discharge = False
        self.release_day = model.calendar.now + duration
        if self.unit is None and not self.has_private:
            if cfg.coordination.application_timing == "admission":
                # Housing planned from admission (mechanism 2): the application stands, or the
                # institution makes one now.
                self.ensure_application(cfg.coordination.notice_delay_days)
            elif cfg.coordination.admission_cancels_application:
                # Nobody plans housing while the person is inside and the NAV application lapses:
                # a new one is made after discharge, at the back of the queue. (The thesis, 7.3,
                # says applying only after discharge puts a person at the back of the queue; it
                # does not say an admission cancels a standing application, so this is off in
                # the baseline.)
                model.office.withdraw(self)
        self.reschedule()

    def discharge(self) -> None:
        """Leave treatment or prison: to ready housing, temporary housing, or nothing (mechanism 1)."""
        model = self.model
        cfg = model.cfg
        source = self.state
        assert source in INSTITUTION
        now = model.calendar.now
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
            self.release_day = self.move_in_day + HELD_DISCHARGE_LAG_DAYS
            self.reschedule()
            return
        self.last_discharge = now
        self.release_day = INF
        if self.unit is not None and self.tenancy_end <= now:
            self._tenancy_ended_inside()
        if self.unit is not None:
            destination = "housing"
            self.change_state(State.HOUSED, "discharged")
            self._try_followup()
        elif self.has_private:
            destination = "private"  # back to the private rental or family kept while inside
            self.change_state(State.PRIVATE, "discharged")
        else:
            p_temp = (
                cfg.discharge.treatment_to_temporary_prob
                if source is State.TREATMENT
                else cfg.discharge.prison_to_temporary_prob
            )
            self._become_homeless("discharged", p_temp)
            assert self.state is not None
            destination = VALUE[self.state]
            self.ensure_application(coordination.notice_delay_days)
        model.records.discharge(self.unique_id, now, VALUE[source], destination)
        if source is State.TREATMENT:
            model.treatment.leave(self)
        self.reschedule()

    def _tenancy_ended_inside(self) -> None:
        """The tenancy ran out while the person was in treatment or prison: renew it, or give
        the unit back before discharge (so the discharge is not counted as "to housing")."""
        unit = self.unit
        assert unit is not None
        if self.renews_tenancy:
            while self.tenancy_end <= self.model.calendar.now:
                self.tenancy_end += unit.kind.tenancy_days
            return
        self.unit = None
        self.tenancy_end = INF
        self.model.stock.release(unit, self.model.calendar.now)

    def accept_offer(self, unit: Unit, move_in_day: float, *, chosen: bool = False) -> None:
        """The person said yes to a unit reserved for them.

        Args:
            unit: The unit.
            move_in_day: When the keys are ready (the person moves in at once if that is now).
            chosen: The person chose it (their preferred zone, or taken after using a decline):
                the tenancy lasts better (``choice.chosen_eviction_multiplier``).
        """
        self.offer = unit
        self.offer_chosen = chosen
        self.move_in_day = move_in_day
        if move_in_day <= self.model.calendar.now:
            self.move_in()  # no paperwork delay (e.g. the M/M/c docking scenarios)
        else:
            self.reschedule()

    def refused_offers_limit(self) -> None:
        """Declined past the limit with ``after_limit = "temporary_only"``: off the list for a while."""
        self.reapply_day = self.model.calendar.now + self.model.cfg.choice.reapply_after_days
        self.reschedule()

    def move_in(self) -> None:
        """Take the tenancy of the accepted unit; move in now unless in an institution."""
        model = self.model
        self._update_competence()  # a move-in with no delay comes at the allocation meeting
        unit = self.offer
        assert unit is not None
        self.offer = None
        self.move_in_day = INF
        if self.unit is not None:  # moving on, e.g. from a training flat
            old = self.unit
            if self.state is State.HOUSED:
                self.close_spell("moved_on")
                self.spell_start = model.calendar.now
            self.unit = None
            model.stock.release(old, model.calendar.now)
        model.office.withdraw(self)
        self.reapply_day = INF
        model.records.letting(
            self.unique_id, model.calendar.now, unit.uid, unit.type_name, unit.zone,
            model.calendar.now - unit.empty_since, unit.offers, self.offer_chosen,
        )  # fmt: skip
        unit.offers = 0
        self.chosen_home = self.offer_chosen
        self._start_tenancy(unit, model.calendar.now + unit.kind.tenancy_days)
        if self.state is State.TEMPORARY or self.state is State.STREET:
            self.change_state(State.HOUSED, "moved_in")
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
            model.office.apply(self, max(0.0, tenancy_end - lead - model.calendar.now))

    def _try_followup(self) -> None:
        """Take up follow-up after moving in, if the need qualifies and the teams have a slot (mechanism 9)."""
        followup = self.model.followup
        if not self.in_followup and self.need >= followup.min_need and followup.try_enrol(self):
            self.in_followup = True
            self.followup_until = self.model.calendar.now + followup.duration_days

    def end_followup(self) -> None:
        """Close the follow-up case, if any (the time without service contact starts now)."""
        if self.in_followup:
            self.model.followup.end(self)
            self.in_followup = False
            self.followup_until = INF
            self.stable_since = self.model.calendar.now

    def leave_system(self, reason: str) -> None:
        """Leave for good (stable out of services, moving away, death): free everything the person held.

        Args:
            reason: Why, as recorded (``exits.reason`` and the last spell's ``end_reason``).
        """
        model = self.model
        state = self.state
        assert state is not None
        self.close_spell(reason)
        model.counts[state] -= 1
        if state is State.TEMPORARY:
            assert self.temp_place is not None
            model.temporary.leave(self.temp_place)
            self.temp_place = None
        self.state = None
        model.treatment.withdraw(self)
        if state is State.TREATMENT:
            model.treatment.leave(self)
        model.office.withdraw(self)
        if self.offer is not None:
            model.stock.release(self.offer, model.calendar.now)
            self.offer = None
        if self.unit is not None:
            model.stock.release(self.unit, model.calendar.now)
            self.unit = None
        self.end_followup()
        model.records.exit(self.unique_id, model.calendar.now, reason, VALUE[state])
        self.remove()  # cancels the pending event too

    def _cancel_event(self) -> None:
        """Take the pending event, if any, off the calendar."""
        event = self._event
        if event is not None:
            self.model.calendar.cancel(event)
            self._event = None

    def remove(self) -> None:
        """Leave Mesa's registry; the pending event goes too (the calendar holds its actions by
        strong reference, so a removed person would otherwise stay alive until it came up)."""
        self._cancel_event()
        super().remove()
