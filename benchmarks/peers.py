"""The docking queue (M/M/c, first come first served) written for other engines, and its exact solution.

Every engine simulates the same queue from empty: Poisson arrivals at rate ``lam`` per day,
``c`` servers, exponential service with mean ``mean_service`` days, for ``days`` days. Each
returns a :class:`QueueRun`: the people whose service ended (``served``, the throughput count)
and, for the people who arrived after the warm-up and got a server, their waits (for the mean
wait next to Erlang C).

Engines:
    simpy: SimPy 4, a process per customer and a ``Resource`` with ``c`` slots.
    ciw: Ciw 3, one node with ``c`` servers.
    mesa_loop: a bare Mesa model, nothing but ``schedule_event`` on two of its methods.
    mesa_agents: the same with a Mesa agent per customer and a ``random.Random`` of its own,
        seeded the way this project seeds a person's stream: the cheapest possible version of
        "full Person agents" in Mesa (a floor for this project's docking run).
    mesa_agents_calendar: the same agents on this project's calendar, with this project's streams
        (``sim.model.luck``: a block of numbers per person instead of a seeded Mersenne Twister)
        (``sim.model.calendar.CalendarModel``) instead of Mesa's event list: the fastest this
        project's design (a Mesa agent with a stream of its own per person, on that calendar)
        can be with people who do nothing but queue (a ceiling for its docking run).
    heapq: a hand-written event loop on ``heapq`` (no engine at all).
"""

from __future__ import annotations

import heapq
import math
import random
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class QueueRun:
    """What one engine's run of the queue gives."""

    served: int  # service completions up to the end of the run
    waits: list[float] = field(repr=False)  # waits of those who arrived after the warm-up and got a server
    arrivals: list[float] = field(repr=False)  # their arrival days (for batch means), same order

    @property
    def mean_wait(self) -> float:
        return sum(self.waits) / len(self.waits) if self.waits else math.nan


def erlang_c(lam: float, c: int, mean_service: float) -> tuple[float, float]:
    """Exact M/M/c: (probability of waiting, mean wait in the queue Wq), in days."""
    a = lam * mean_service  # offered load in servers
    rho = a / c
    if rho >= 1.0:
        return 1.0, math.inf
    erlang_b = 1.0
    for k in range(1, c + 1):  # Erlang B by its recursion, then C from B
        erlang_b = a * erlang_b / (k + a * erlang_b)
    p_wait = erlang_b / (1.0 - rho * (1.0 - erlang_b))
    return p_wait, p_wait * mean_service / (c - a)


def batch_ci(arrivals: list[float], waits: list[float], start: float, end: float, batches: int = 20) -> float:
    """Half-width of a 95% batch-means interval for the mean wait (batches by arrival day)."""
    if len(waits) < batches * 10:
        return math.nan
    width = (end - start) / batches
    sums = [0.0] * batches
    counts = [0] * batches
    for t, w in zip(arrivals, waits, strict=True):
        b = min(int((t - start) / width), batches - 1)
        sums[b] += w
        counts[b] += 1
    means = [s / n for s, n in zip(sums, counts, strict=True) if n]
    m = sum(means) / len(means)
    sd = math.sqrt(sum((x - m) ** 2 for x in means) / (len(means) - 1))
    return 2.093 * sd / math.sqrt(len(means))  # t(0.975, 19)


# ----------------------------------------------------------------------------- SimPy


def run_simpy(lam: float, c: int, mean_service: float, days: float, warmup: float, seed: int) -> QueueRun:
    import simpy

    rng = random.Random(seed)
    env = simpy.Environment()
    servers = simpy.Resource(env, capacity=c)
    out = QueueRun(0, [], [])
    rate = 1.0 / mean_service

    def customer(env: simpy.Environment):
        arrived = env.now
        with servers.request() as request:
            yield request
            if arrived >= warmup:
                out.waits.append(env.now - arrived)
                out.arrivals.append(arrived)
            yield env.timeout(rng.expovariate(rate))
        out.served += 1

    def source(env: simpy.Environment):
        while True:
            yield env.timeout(rng.expovariate(lam))
            env.process(customer(env))

    env.process(source(env))
    env.run(until=days)
    return out


# ----------------------------------------------------------------------------- Ciw


def run_ciw(lam: float, c: int, mean_service: float, days: float, warmup: float, seed: int) -> QueueRun:
    import ciw

    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=lam)],
        service_distributions=[ciw.dists.Exponential(rate=1.0 / mean_service)],
        number_of_servers=[c],
    )
    ciw.seed(seed)
    sim = ciw.Simulation(network)
    sim.simulate_until_max_time(days)
    records = sim.get_all_records()
    out = QueueRun(len(records), [], [])  # one record per completed service
    for r in records:
        if r.arrival_date >= warmup:
            out.waits.append(r.waiting_time)
            out.arrivals.append(r.arrival_date)
    return out


# ----------------------------------------------------------------------------- Mesa, bare


def run_mesa_loop(lam: float, c: int, mean_service: float, days: float, warmup: float, seed: int) -> QueueRun:
    import mesa

    out = QueueRun(0, [], [])
    rate = 1.0 / mean_service

    class Queue(mesa.Model):
        def __init__(self) -> None:
            super().__init__(rng=seed)
            # Event-driven only: stop Mesa's daily step (a private generator; Mesa's own DEVSimulator
            # stops it the same way). This row measures Mesa itself, not this project's model.
            self._default_schedule.stop()
            self.draw = random.Random(seed)
            self.free = c
            self.waiting: deque[float] = deque()
            self.schedule_event(self.arrive, after=self.draw.expovariate(lam))

        def arrive(self) -> None:
            self.schedule_event(self.arrive, after=self.draw.expovariate(lam))
            if self.free:
                self.free -= 1
                self.serve(self.time)
            else:
                self.waiting.append(self.time)

        def serve(self, arrived: float) -> None:
            if arrived >= warmup:
                out.waits.append(self.time - arrived)
                out.arrivals.append(arrived)
            self.schedule_event(self.depart, after=self.draw.expovariate(rate))

        def depart(self) -> None:
            out.served += 1
            if self.waiting:
                self.serve(self.waiting.popleft())
            else:
                self.free += 1

    Queue().run_until(days)
    return out


# ----------------------------------------------------------------------------- Mesa, an agent per customer


def run_mesa_agents(
    lam: float, c: int, mean_service: float, days: float, warmup: float, seed: int, on_calendar: bool = False
) -> QueueRun:
    """A Mesa agent per customer with a stream of its own; events on Mesa's event list, or
    (``on_calendar``) on this project's calendar (``sim.model.calendar.CalendarModel``) with this
    project's people's streams (``sim.model.luck.PersonStreams``): the ceiling of its design."""
    import mesa

    from sim.model.calendar import CalendarModel
    from sim.model.luck import PersonStreams

    streams = PersonStreams(seed, 3, (seed << 48) | (3 << 36))

    out = QueueRun(0, [], [])
    rate = 1.0 / mean_service

    class Customer(mesa.Agent):
        def __init__(self, model: Queue, index: int) -> None:
            super().__init__(model)
            # A stream of their own: as the model's people (on the calendar), or a Mersenne
            # Twister seeded like sim.model.HousingModel.stream_rng (the model's people before 2026-12-01).
            self.luck = streams.luck(index) if on_calendar else random.Random((seed << 48) | (3 << 36) | (index + 1))
            self.arrived = model.time

        def __call__(self) -> None:  # service ends
            model = self.model
            out.served += 1
            self.remove()
            if model.waiting:
                model.serve(model.waiting.popleft())
            else:
                model.free += 1

    class Queue(CalendarModel if on_calendar else mesa.Model):
        def __init__(self) -> None:
            super().__init__(rng=seed)
            # at(time, action): schedule on the calendar or on Mesa's event list
            if on_calendar:
                self.at = self.calendar.schedule  # CalendarModel runs its own loop: no daily step to stop
            else:
                self._default_schedule.stop()  # event-driven only (Mesa's private generator; measuring Mesa)
                self.at = lambda t, f: self.schedule_event(f, at=t)
            self.draw = random.Random(seed)
            self.free = c
            self.count = 0
            self.waiting: deque[Customer] = deque()
            self.at(self.draw.expovariate(lam), self.arrive)

        def arrive(self) -> None:
            self.at(self.time + self.draw.expovariate(lam), self.arrive)
            person = Customer(self, self.count)
            self.count += 1
            if self.free:
                self.free -= 1
                self.serve(person)
            else:
                self.waiting.append(person)

        def serve(self, person: Customer) -> None:
            if person.arrived >= warmup:
                out.waits.append(self.time - person.arrived)
                out.arrivals.append(person.arrived)
            self.at(self.time + person.luck.expovariate(rate), person)

    Queue().run_until(days)
    return out


def run_mesa_agents_calendar(
    lam: float, c: int, mean_service: float, days: float, warmup: float, seed: int
) -> QueueRun:
    return run_mesa_agents(lam, c, mean_service, days, warmup, seed, on_calendar=True)


# ----------------------------------------------------------------------------- heapq


def run_heapq(lam: float, c: int, mean_service: float, days: float, warmup: float, seed: int) -> QueueRun:
    rng = random.Random(seed)
    rate = 1.0 / mean_service
    ARRIVAL, DEPARTURE = 0, 1
    events: list[tuple[float, int]] = [(rng.expovariate(lam), ARRIVAL)]
    free = c
    waiting: deque[float] = deque()
    out = QueueRun(0, [], [])
    push, pop = heapq.heappush, heapq.heappop
    while events:
        now, kind = pop(events)
        if now > days:
            break
        if kind == ARRIVAL:
            push(events, (now + rng.expovariate(lam), ARRIVAL))
            if free:
                free -= 1
                arrived = now
            else:
                waiting.append(now)
                continue
        else:
            out.served += 1
            if not waiting:
                free += 1
                continue
            arrived = waiting.popleft()
        if arrived >= warmup:
            out.waits.append(now - arrived)
            out.arrivals.append(arrived)
        push(events, (now + rng.expovariate(rate), DEPARTURE))
    return out


ENGINES: dict[str, Callable[..., QueueRun]] = {
    "simpy": run_simpy,
    "ciw": run_ciw,
    "mesa_loop": run_mesa_loop,
    "mesa_agents": run_mesa_agents,
    "mesa_agents_calendar": run_mesa_agents_calendar,
    "heapq": run_heapq,
}
