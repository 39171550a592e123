"""The model's wiring: services, stock, people, arrivals and the recurring events.

:class:`HousingModel` owns the clock (one time unit = one day) and its calendar of events
(:mod:`sim.model.calendar`), the services with capacity, the stock and the records. People drive
themselves with their own events (:mod:`sim.model.person`); the model adds the arrivals of new
people, the allocation meetings, stock additions and the data collection.
"""

from __future__ import annotations

import math
import random
from array import array
from collections.abc import Callable
from functools import partial
from itertools import accumulate
from typing import Any, Final

from mypy_extensions import mypyc_attr

from sim.config import DAYS_PER_YEAR, Scenario
from sim.model import allocation
from sim.model.calendar import CalendarModel, CyclesPaused
from sim.model.clocks import Race
from sim.model.hazards import Rates, gamma_duration
from sim.model.luck import PersonStreams
from sim.model.person import Person
from sim.model.records import Records
from sim.model.services import FollowupTeam, HousingOffice, TemporaryHousing, Treatment
from sim.model.states import NEED_KEYS, VALUE, Need, State
from sim.model.stock import HousingStock, Unit

# Random stream tags: each source of randomness has its own stream, so that changing one part
# of a scenario does not shift the luck of every other part (common random numbers). A person's
# stream is keyed by the tag of their arrival stream and their place in it (``sim.model.luck``:
# a block of numbers drawn for their batch, then a Mersenne Twister seeded with (tag, place + 1));
# an arrival stream's own gaps are drawn from (``ARRIVAL_STREAM_OFFSET`` + its tag, 0).
STREAM_INITIAL, STREAM_TREATMENT, STREAM_PRISON, STREAM_NAV = 0, 1, 2, 3
STREAM_STOCK: Final = 10
ARRIVAL_STREAM_OFFSET: Final = 100
# A stream's seed packs (run seed, tag, index) into one integer: the index in the low 36 bits,
# the tag in the 12 above it, the run's seed above those.
SEED_SHIFT, TAG_SHIFT = 48, 36

#: The day-0 waiting list is spread over this many days before day 0 (half a year), rather
#: than all applying on day 0.
INITIAL_QUEUE_SPREAD_DAYS: Final = 180.0


class Recurring:
    """Calls ``action`` every ``interval`` days from ``start`` on, on the model's calendar.

    The next call is scheduled after this one has run, as Mesa's
    ``schedule_recurring(action, Schedule(interval, start))`` does.
    """

    def __init__(self, model: HousingModel, interval: float, start: float, action: Callable[[], None]) -> None:
        self.model = model
        self.interval = interval
        self.action = action
        model.calendar.schedule(start, self)

    def __call__(self) -> None:
        self.action()
        model = self.model
        model.calendar.schedule(model.calendar.now + self.interval, self)


class ArrivalStream:
    """Poisson arrivals of new people of one kind.

    Args:
        model: The model.
        tag: The stream's tag (see ``STREAM_*``).
        rate_per_year: Mean arrivals per year.
        place: Puts the new person where this kind of arrival starts.
    """

    def __init__(self, model: HousingModel, tag: int, rate_per_year: float, place: Callable[[Person], None]) -> None:
        self.model = model
        self.tag = tag
        self.rate = rate_per_year / DAYS_PER_YEAR
        self.place = place
        self.rng = model.stream_rng(ARRIVAL_STREAM_OFFSET + tag)
        self.count = 0
        self._schedule_next()

    def _schedule_next(self) -> None:
        """Draw the gap to the next arrival and put it on the calendar (none if the rate is 0)."""
        if self.rate > 0:
            gap = -math.log(1.0 - self.rng.random()) / self.rate  # exactly random.Random.expovariate(self.rate)
            self.model.calendar.schedule(self.model.calendar.now + gap, self.fire)

    def fire(self) -> None:
        """One arrival, then schedule the next."""
        person = self.model.new_person(self.tag, self.count)
        self.count += 1
        self.place(person)
        self._schedule_next()


@mypyc_attr(allow_interpreted_subclasses=True)  # compiled (sim.model.native), and open to subclasses
class HousingModel(CalendarModel):
    """Housing pathways of people recovering from substance dependence.

    Args:
        scenario: A validated scenario.
        seed: The run's seed; defaults to the scenario's.
    """

    def __init__(self, scenario: Scenario, *, seed: int | None = None) -> None:
        seed = scenario.seed if seed is None else seed
        super().__init__(rng=seed)
        self.cfg = scenario
        self.seed = seed
        self.rates = Rates.from_scenario(scenario)  # per-day hazards, read at every clock draw
        self.race = Race()  # the clocks of a draw, used again at every draw (sim.model.clocks)
        self.records = Records()
        self.counts: dict[State, int] = dict.fromkeys(State, 0)
        self.stock = HousingStock.from_config(scenario.stock)
        self.treatment = Treatment(self, scenario.treatment.beds)
        temporary = scenario.temporary
        self.temporary = TemporaryHousing(temporary.capacity, temporary.staffed_places, temporary.women_crisis_places)
        self.staffed_min_need = Need[temporary.staffed_min_need.upper()]
        self.office = HousingOffice(self)
        followup = scenario.followup
        self.followup = FollowupTeam(followup.capacity, Need[followup.min_need.upper()], followup.duration_days)
        self.stock_rng = self.stream_rng(STREAM_STOCK)
        delay = scenario.stock.replacement_delay_days
        if delay != "never":
            self.stock.on_loss = partial(self._replace_later, delay)
        self.entered = 0  # people created so far (initial population and arrivals)
        self._person_streams: dict[int, PersonStreams] = {}  # arrival stream tag -> its people's streams
        # The sample columns' appends (collect); ``Any``: the count columns take ints, the day a float.
        self._sample_appends: tuple[Callable[[Any], None], ...] = ()
        # What a new person's attributes are drawn from, prepared once (``random.choices`` with
        # cumulative weights draws exactly as with the weights).
        pop, zones = scenario.population, scenario.zones.names
        self._needs = list(Need)
        self._need_cum_weights = list(accumulate(pop.need_shares[key] for key in NEED_KEYS))
        self._competence_means = [pop.competence_mean[key] for key in NEED_KEYS]  # by need
        self._zones = zones
        self._network_cum_weights = list(accumulate(pop.network_zone_weights.get(z, 0.0) for z in zones))
        self._preferred_cum_weights = list(accumulate(pop.preferred_zone_weights.get(z, 0.0) for z in zones))
        for name, cum in (("population.need_shares", self._need_cum_weights),
                          ("population.network_zone_weights", self._network_cum_weights),
                          ("population.preferred_zone_weights", self._preferred_cum_weights)):  # fmt: skip
            # What random.Random.choices checks (Luck.choice does not): a scenario that skipped
            # validation (built with model_copy, say) is refused here, not drawn from wrongly.
            if not (0.0 < cum[-1] < math.inf):
                raise ValueError(f"{name}: the weights must add up to a finite number above 0, not {cum[-1]!r}")

        with CyclesPaused():  # as a run: no cycles, and the collector would walk every new person
            self._populate()
        inflow = scenario.inflow
        self.arrivals = [
            ArrivalStream(self, STREAM_TREATMENT, inflow.treatment_referrals_per_year, self._arrive_referral),
            ArrivalStream(self, STREAM_PRISON, inflow.prison_releases_per_year, self._arrive_prison),
            ArrivalStream(self, STREAM_NAV, inflow.nav_homeless_per_year, self._arrive_nav),
        ]
        interval = scenario.housing_office.meeting_interval_days
        Recurring(self, interval, start=interval, action=self.office.meeting)  # allocation meetings
        Recurring(self, scenario.run.sample_every_days, start=0.0, action=self.collect)  # data collection
        for addition in scenario.stock.additions:
            add = partial(self.add_units, addition.type, addition.zone, addition.count, addition.day)
            self.calendar.schedule(addition.day, add)

    def add_units(self, type_name: str, zone: str, count: int, day: float) -> None:
        """A scenario's stock addition (``stock.additions``): new vacant units, recorded so that
        the measures can follow how soon they are let."""
        first = len(self.stock.units)
        self.stock.add(type_name, zone, count, day)
        for uid in range(first, first + count):
            self.records.added_unit(uid, day, type_name, zone)

    def _replace_later(self, delay: float, unit: Unit) -> None:
        """A unit was lost: the municipality replaces it ``delay`` days from now
        (``stock.replacement_delay_days``), with a unit of the same type in the same zone."""
        when = self.calendar.now + delay
        self.calendar.schedule(when, partial(self.stock.replace, unit, when))

    # ------------------------------------------------------------------ people

    def stream_rng(self, tag: int, index: int = 0) -> random.Random:
        """An independent random stream for (this run's seed, tag, index).

        Args:
            tag: The source of randomness (``STREAM_*``, or ``ARRIVAL_STREAM_OFFSET`` + a tag).
            index: Which one of that source's streams (a person's place in their arrival stream + 1).
        """
        return random.Random(self.stream_seed(tag, index))

    def stream_seed(self, tag: int, index: int = 0) -> int:
        """The integer that seeds stream (this run's seed, tag, index): see :meth:`stream_rng`."""
        return (self.seed << SEED_SHIFT) | (tag << TAG_SHIFT) | index

    def new_person(self, tag: int, index: int) -> Person:
        """Create the ``index``-th person of arrival stream ``tag``, with attributes from their own stream.

        Args:
            tag: The arrival stream (``STREAM_INITIAL`` for the day-0 population).
            index: The person's place in it, from 0.

        Returns:
            The new person, registered with the model but not placed anywhere yet (``start_in``).
        """
        pop = self.cfg.population
        self.entered += 1
        streams = self._person_streams.get(tag)
        if streams is None:
            # after the block, person ``index`` continues on stream_rng(tag, index + 1)'s numbers
            streams = self._person_streams[tag] = PersonStreams(self.seed, tag, self.stream_seed(tag))
        rng = streams.luck(index)
        need = rng.choice(self._needs, self._need_cum_weights)
        competence = min(1.0, max(0.0, rng.normalvariate(self._competence_means[need], pop.competence_sd)))
        network = rng.choice(self._zones, self._network_cum_weights)
        preferred = rng.choice(self._zones, self._preferred_cum_weights)
        if rng.random() < pop.prefers_network_zone_prob:
            preferred = network  # drawn to the old neighbourhood (thesis 7.4.1)
        return Person(
            self,
            luck=rng,
            need=need,
            female=rng.random() < pop.female_share,
            competence=competence,
            preferred_zone=preferred,
            network_zone=network,
            using=rng.random() < self.cfg.inflow.new_person_using_prob,
        )

    def _arrive_referral(self, person: Person) -> None:
        """Place a person referred to treatment from outside, with no home of their own (F1: sofa, friends)."""
        person.using = True
        if self.treatment.has_bed and not self.treatment.queue:
            # A bed is free: straight into treatment, no night on the street.
            stay = gamma_duration(person.luck, self.cfg.treatment.stay_days_mean, self.cfg.treatment.stay_days_cv)
            person.start_in(State.TREATMENT, release_day=self.calendar.now + stay)
            self._record_outside_admission(person, State.TREATMENT)
            self.records.treatment_wait(person.unique_id, self.calendar.now, self.calendar.now)  # no wait
            return
        person.start_in(State.STREET)
        self.treatment.refer(person)

    def _record_outside_admission(self, person: Person, state: State) -> None:
        """An admission to ``state`` (treatment or prison) of someone who arrives from outside
        the system (counted like any other)."""
        person.admissions += 1
        self.records.admission(person.unique_id, self.calendar.now, VALUE[state], "outside")

    def _arrive_prison(self, person: Person) -> None:
        """Place a person who arrives in prison (the sentence drawn now; released into the municipality)."""
        sentence = self.cfg.prison
        release = self.calendar.now + gamma_duration(person.luck, sentence.sentence_days_mean, sentence.sentence_days_cv)
        person.start_in(State.PRISON, release_day=release)
        self._record_outside_admission(person, State.PRISON)

    def _arrive_nav(self, person: Person) -> None:
        """Place a person who comes to NAV with no home: temporary housing within 24 hours if there is a place."""
        person.start_in(State.TEMPORARY)  # the street if no suitable place is free (a refusal)

    def _populate(self) -> None:
        """The day-0 population, so a run does not start empty."""
        init = self.cfg.initial
        cfg = self.cfg
        rng = self.stream_rng(STREAM_INITIAL)
        index = 0

        def person() -> Person:
            """The next day-0 person, in active use with the initial share's chance."""
            nonlocal index
            p = self.new_person(STREAM_INITIAL, index)
            index += 1
            p.using = p.luck.random() < init.using_share
            return p

        for _ in range(init.in_treatment):
            p = person()
            left = gamma_duration(p.luck, cfg.treatment.stay_days_mean, cfg.treatment.stay_days_cv)
            p.start_in(State.TREATMENT, release_day=p.luck.uniform(0.0, left))
        for _ in range(init.in_prison):
            p = person()
            left = gamma_duration(p.luck, cfg.prison.sentence_days_mean, cfg.prison.sentence_days_cv)
            p.start_in(State.PRISON, release_day=p.luck.uniform(0.0, left))
        for _ in range(init.in_temporary):
            person().start_in(State.TEMPORARY)
        for _ in range(init.on_street):
            person().start_in(State.STREET)
        for _ in range(init.in_private):
            person().start_in(State.PRIVATE)
        for unit in list(self.stock.units):
            if rng.random() < init.housed_share:
                person().start_in(State.HOUSED, unit=unit)
        # Spread the initial waiting list over the past half year rather than all on day 0.
        for app in self.office.applications.values():
            if app.person.state is not State.HOUSED:  # not the move-on applications of training flats
                self.office.requeue(app, queue_day=-rng.uniform(0.0, INITIAL_QUEUE_SPREAD_DAYS))

    # ------------------------------------------------------------------ observation

    def collect(self) -> None:
        """Record counts by state and the size of the queues (one sample)."""
        samples = self.records.samples
        if not samples:  # one typed column per quantity, in this order
            samples.update(
                (name, array("d" if name == "day" else "q"))
                for name in ("day", *(f"n_{state.value}" for state in State), "waitlist", "treatment_queue",
                             "units", "units_occupied", "followup_clients",
                             *(f"units_{name}" for name in self.stock.by_type))
            )  # fmt: skip
            self._sample_appends = tuple(column.append for column in samples.values())
        # ``object``: the counts stay ints (a tuple of a float and ints would be typed, and compiled, as floats).
        values: tuple[object, ...] = (
            self.calendar.now,
            *self.counts.values(),  # in State order, as the columns
            len(self.office),
            len(self.treatment.queue),
            self.stock.size,
            self.stock.occupied,
            len(self.followup.clients),
            *self.stock.by_type.values(),  # in type order, as the columns
        )
        for append, value in zip(self._sample_appends, values, strict=True):
            append(value)

    def run(self) -> None:
        """Run to the end of the scenario and close every open spell."""
        self.run_until(self.cfg.total_days)
        for person in list(self.agents):
            if person.state is not None:
                person.close_spell("end_of_run")


def population_size(model: HousingModel) -> int:
    """People in the system now."""
    return sum(model.counts.values())


def check_invariants(model: HousingModel) -> None:
    """Assert the model's bookkeeping is consistent (used by tests)."""
    people = list(model.agents)
    assert len(people) == population_size(model), "counts by state must add up to the people present"
    assert model.entered == len(people) + len(model.records.exits["person"]), "people are conserved"
    tenants = [u.tenant for u in model.stock.units if u.tenant is not None]
    assert len(tenants) == len(set(tenants)), "a person holds at most one unit"
    for unit in model.stock.units:
        if unit.tenant is not None:
            assert unit.tenant.unit is unit, "tenant and unit must point at each other"
            assert not unit.lost
    temporary = model.temporary
    assert temporary.residents == model.counts[State.TEMPORARY] == sum(temporary.by_kind.values())
    for kind, limit in temporary.limits.items():
        assert limit is None or temporary.by_kind[kind] <= limit, f"{kind} temporary places over capacity"
    for person in people:
        assert (person.temp_place is not None) == (person.state is State.TEMPORARY)
        assert not (person.has_private and person.unit is not None), "private housing or a municipal unit, not both"
    assert model.stock.size == len(model.stock.units) - model.stock.lost_count
    assert len(model.followup.clients) <= model.followup.capacity
    assert math.isfinite(model.time) and model.time == model.calendar.now, "the calendar keeps Mesa's clock"
    office = model.office
    assert office.in_order() == allocation.order_applicants(office.cfg.rule, office.applications.values()), (
        "the waiting list's standing order is the order of the matching rule"
    )
    assert all(entry[:-1] == allocation.queue_key(office.cfg.rule, entry[-1]) for entry in office._order), (
        "an application's place changed without HousingOffice.requeue"
    )
