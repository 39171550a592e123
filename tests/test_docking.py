"""Docking: the model's queues against exact queueing theory.

With everything but one queue switched off (``scenarios/verification/``), the model is a queue
whose waiting times are known exactly:

* ``mmc_rho0xx.toml``: NAV temporary housing as an M/M/c queue (Poisson arrivals, c units,
  exponential tenancy, an offer the moment a unit is free, first come first served). A temporary
  stay is the wait Wq; exact results from Erlang's C formula.
* ``mdc_treatment.toml``: the treatment queue as an M/D/c queue (c beds, a fixed stay). Exact
  results from Crommelin's embedded Markov chain: the number in the system every D days follows
  N' = max(N - c, 0) + A with A ~ Poisson(lambda D); the mean wait follows from Little's law and
  the wait distribution from Franx (2001, Queueing Systems 37:263).

Two kinds of test for each configuration:

* Trace-driven: on one replication, every customer's start of service (moving into a unit,
  admission to a bed) must be exactly what a first-come-first-served queue with c servers gives
  the same arrival times and service times (the Kiefer-Wolfowitz recursion: each customer
  takes the earliest free server), and the inputs must have the theory's distributions
  (Kolmogorov-Smirnov: exponential inter-arrival times with rate lambda; exponential tenancies
  with mean 1/mu, or stays within 1 % of D). Together these make the model's queue an M/M/c
  (M/D/c) queue, customer by customer, so a wrong order, a stray delay or a unit offered late
  fails at once.
* Statistical: the simulated P(wait > 0), mean wait and P(wait > t) must contain the exact value
  in their confidence intervals. Waits within one replication are correlated, so each
replication is one batch (its mean) and intervals come from the spread between replications.
The intervals use control variates with known means (Lavenberg & Welch 1981): the replication's
realised arrival rate and, for M/M/c, its mean tenancy, whose luck drives most of the spread of
a replication's mean wait. Twelve intervals are checked, each at level 1 - 0.05/12 (Bonferroni),
so the whole file has at most a 5% chance of a false alarm; each interval must also be narrower
than a stated share of the exact value, so the test can fail when the model is wrong.
"""

from __future__ import annotations

import heapq
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from sim import config as sc
from sim.experiments.replications import replication_seeds
from sim.model import HousingModel, check_invariants
from tests.conftest import REPO

VERIFICATION = REPO / "scenarios" / "verification"
INTERVALS = 12  # intervals checked in this file (4 configurations x 3 measures)
LEVEL = 1.0 - 0.05 / INTERVALS
MARGIN_DAYS = 2000.0  # customers arriving this close to the end are not counted (their wait may be cut off)


# ----------------------------------------------------------------------------- exact results


@dataclass(frozen=True)
class Exact:
    """Exact waiting-time results of a queue."""

    p_wait: float  # P(wait > 0)
    mean_wait: float  # E[Wq], days
    p_over: float  # P(wait > t)


def erlang_c(lam: float, mu: float, c: int) -> float:
    """Erlang's C formula: the probability an arrival waits in an M/M/c queue (rho < 1)."""
    a = lam / mu
    assert a < c, "the queue must be stable"
    tail = stats.poisson.pmf(c, a) * c / (c - a)
    return float(tail / (stats.poisson.cdf(c - 1, a) + tail))


def mmc_exact(lam: float, mu: float, c: int, t: float) -> Exact:
    """P(W > 0), E[W] and P(W > t) of the M/M/c queue: W > 0 with probability C, and then
    W is exponential with rate c mu - lambda."""
    pw = erlang_c(lam, mu, c)
    rate = c * mu - lam
    return Exact(pw, pw / rate, pw * math.exp(-rate * t))


def mdc_number_in_system(lam: float, d: float, c: int, states: int | None = None) -> np.ndarray:
    """Stationary distribution of the number in an M/D/c system (Crommelin's embedded chain).

    Every D days all customers in service leave and those waiting are served next, so the
    number in the system follows N' = max(N - c, 0) + A, A ~ Poisson(lambda D). The chain's
    stationary law is the time-stationary law of N. Truncated at ``states`` (the last state
    takes the tail).
    """
    a = lam * d
    k = states or int(c + 40 * a + 400)
    pmf = stats.poisson.pmf(np.arange(k), a)
    p = np.zeros((k, k))
    for n in range(k):
        q = max(n - c, 0)
        p[n, q:] = pmf[: k - q]
        p[n, k - 1] += 1.0 - pmf[: k - q].sum()
    system = p.T - np.eye(k)
    system[-1, :] = 1.0  # replace one balance equation by sum(pi) = 1
    rhs = np.zeros(k)
    rhs[-1] = 1.0
    pi = np.linalg.solve(system, rhs)
    assert pi[-20:].sum() < 1e-12, "truncation too short"
    return pi


def mdc_exact(lam: float, d: float, c: int, t: float) -> Exact:
    """P(W > 0), E[W] and P(W > t) of the M/D/c queue (first come first served).

    An arrival waits iff it finds c or more in the system (PASTA). Franx (2001): with
    t = kD + u (0 <= u < D), W <= t iff max(N - c, 0) + A <= (k + 1) c - 1, where N has the
    stationary law and A ~ Poisson(lambda (D - u)) counts the arrivals of the last D - u days
    before the tagged one.
    """
    pi = mdc_number_in_system(lam, d, c)
    n = np.arange(len(pi))
    queue = np.maximum(n - c, 0)
    k, u = divmod(t, d)
    within = float((pi * stats.poisson.cdf((int(k) + 1) * c - 1 - queue, lam * (d - u))).sum())
    return Exact(float(pi[c:].sum()), float((queue * pi).sum()) / lam, 1.0 - within)


# ----------------------------------------------------------------------------- the exact results themselves


def test_erlang_c_reduces_to_mm1():
    """With one server, P(wait) = rho and E[W] = rho / (mu - lambda)."""
    lam, mu = 0.8, 1.0
    ex = mmc_exact(lam, mu, 1, t=2.0)
    assert ex.p_wait == pytest.approx(0.8)
    assert ex.mean_wait == pytest.approx(0.8 / 0.2)
    assert ex.p_over == pytest.approx(0.8 * math.exp(-0.2 * 2.0))


def test_erlang_c_against_the_birth_death_chain():
    """Erlang C equals P(N >= c) of the M/M/c birth-death chain solved directly."""
    lam, mu, c = 0.1125, 1 / 40, 5
    k = 400
    weights = np.empty(k)
    weights[0] = 1.0
    for n in range(1, k):
        weights[n] = weights[n - 1] * lam / (mu * min(n, c))
    pi = weights / weights.sum()
    assert erlang_c(lam, mu, c) == pytest.approx(pi[c:].sum(), rel=1e-10)
    lq = (np.maximum(np.arange(k) - c, 0) * pi).sum()
    assert mmc_exact(lam, mu, c, 0.0).mean_wait == pytest.approx(lq / lam, rel=1e-10)


def test_mdc_reduces_to_pollaczek_khinchine():
    """With one server, P(wait) = rho and E[W] = rho D / (2 (1 - rho))."""
    ex = mdc_exact(0.8, 1.0, 1, t=0.5)
    assert ex.p_wait == pytest.approx(0.8, rel=1e-9)
    assert ex.mean_wait == pytest.approx(0.8 / (2 * 0.2), rel=1e-9)


def test_mdc_against_a_direct_fcfs_recursion():
    """The M/D/c results agree with a plain FCFS simulation (Kiefer-Wolfowitz: the next free
    server is the earliest of c), independent of the model."""
    lam, d, c, t = 2.4, 1.0, 3, 0.7
    rng = np.random.default_rng(7)
    n = 200_000
    arrivals = np.cumsum(rng.exponential(1 / lam, n))
    free = np.zeros(c)
    waits = np.empty(n)
    for i, a in enumerate(arrivals):
        j = free.argmin()
        waits[i] = max(0.0, free[j] - a)
        free[j] = a + waits[i] + d
    waits = waits[5000:]
    ex = mdc_exact(lam, d, c, t)
    assert ex.p_wait == pytest.approx((waits > 0).mean(), abs=0.01)
    assert ex.mean_wait == pytest.approx(waits.mean(), rel=0.05)
    assert ex.p_over == pytest.approx((waits > t).mean(), abs=0.01)


# ----------------------------------------------------------------------------- running the configurations


def controlled_mean(y: np.ndarray, controls: np.ndarray, level: float = LEVEL) -> tuple[float, float]:
    """Estimate of E[y] over replications with control variates of known mean 0, and the
    half-width of its ``level`` interval (regression estimator, t with R - q - 1 degrees of freedom).

    Args:
        y: One value per replication.
        controls: One row per replication, one column per control (each with expectation 0).
        level: Confidence level.

    Returns:
        (estimate, half-width).
    """
    r, q = controls.shape
    design = np.column_stack([np.ones(r), controls])
    beta, *_ = np.linalg.lstsq(design, y, rcond=None)
    resid = y - design @ beta
    s2 = float(resid @ resid) / (r - q - 1)
    var = s2 * float(np.linalg.inv(design.T @ design)[0, 0])
    return float(beta[0]), float(stats.t.ppf(0.5 + level / 2, r - q - 1) * math.sqrt(var))


def header_values(path: Path) -> tuple[float, float, float]:
    """The exact values a verification file states in its comments."""
    text = path.read_text(encoding="utf-8")
    number = r"(\d+\.\d+)"
    m = re.search(
        rf"P\(wait > 0\) = {number},\s*#?\s*mean wait Wq = {number} days, P\(wait > \d+ days\) = {number}", text
    )
    assert m, f"{path.name} must state the exact results in its comments"
    return float(m.group(1)), float(m.group(2)), float(m.group(3))


def simulate(scenario: sc.Scenario, measure) -> tuple[np.ndarray, np.ndarray]:
    """Run every replication of ``scenario`` in this process; ``measure(model)`` gives one row of
    statistics and one row of controls per replication."""
    ys, xs = [], []
    for seed in replication_seeds(scenario.seed, scenario.run.replications):
        model = HousingModel(scenario, seed=seed)
        model.run()
        check_invariants(model)  # people conserved over the whole run, books consistent
        y, x = measure(model)
        ys.append(y)
        xs.append(x)
    return np.asarray(ys), np.asarray(xs)


def wait_statistics(waits: np.ndarray, t: float) -> list[float]:
    """P(wait > 0), mean wait, P(wait > t) of one replication."""
    return [float((waits > 0).mean()), float(waits.mean()), float((waits > t).mean())]


def check_against_exact(
    y: np.ndarray, x: np.ndarray, exact: Exact, max_rel_half: tuple[float, float, float]
) -> list[str]:
    """Each statistic's interval must contain the exact value and be narrow enough to mean something."""
    problems = []
    names = ("P(wait > 0)", "mean wait", "P(wait > t)")
    for k, (name, value, limit) in enumerate(zip(names, (exact.p_wait, exact.mean_wait, exact.p_over), max_rel_half,
                                                  strict=True)):  # fmt: skip
        est, half = controlled_mean(y[:, k], x)
        if abs(est - value) > half:
            problems.append(f"{name}: exact {value:.4f} outside the simulated {est:.4f} +- {half:.4f}")
        if half > limit * value:
            problems.append(f"{name}: interval +-{half:.4f} wider than {limit:.0%} of {value:.4f} (test too weak)")
    return problems


# ----------------------------------------------------------------------------- M/M/c: temporary housing

# The widest interval (as a share of the exact value) each measure may have, (P(wait > 0), mean
# wait, P(wait > 90)): the size of error the statistical test is sure to see. Near saturation the
# queue forgets its past slowly (about 2 rho^2 / (1 - rho)^2 arrivals) and a replication's mean
# wait swings widely, so within ~10 s of simulation the mean wait at rho >= 0.9 is only known to
# within +-60-70 %; P(wait > 0) stays within +-4 %. The trace-driven tests above carry the
# precision: they hold customer by customer.
MMC = {
    "mmc_rho080": (0.06, 0.45, 0.30),
    "mmc_rho090": (0.05, 0.95, 0.50),
    "mmc_rho095": (0.04, 0.80, 0.65),
}


def mmc_parameters(s: sc.Scenario) -> tuple[float, float, int]:
    """The queue's lambda (per day), mu (per day) and c, from the keys the file documents."""
    lam = s.inflow.nav_homeless_per_year / 365.0
    mu = s.exits.own_housing_rate_per_year_housed / 365.0
    c = sum(s.stock.types["flat"].units.values())
    return lam, mu, c


def fcfs_starts(arrivals: np.ndarray, services: np.ndarray, busy_until: list[float], c: int) -> np.ndarray:
    """Start of service of each customer (in arrival order) in a first-come-first-served queue with
    ``c`` servers, the first of them busy until ``busy_until`` (Kiefer-Wolfowitz recursion)."""
    free = sorted(busy_until) + [0.0] * (c - len(busy_until))
    heapq.heapify(free)
    starts = np.empty(len(arrivals))
    for i, (arrival, service) in enumerate(zip(arrivals, services, strict=True)):
        starts[i] = max(arrival, heapq.heappop(free))
        heapq.heappush(free, starts[i] + service)
    return starts


def trace_problems(arrivals: np.ndarray, starts: np.ndarray, ends: np.ndarray, busy_until: list[float], c: int,
                   end: float) -> list[str]:  # fmt: skip
    """Differences between the model's starts of service and an ideal FCFS c-server queue fed
    with the same arrivals and service times. ``starts`` is ``nan`` for customers still waiting
    at the end of the run; ``ends`` is when each customer's service ended (or the end of the run)."""
    order = np.lexsort((np.nan_to_num(starts, nan=np.inf), arrivals))
    arrivals, starts, ends = arrivals[order], starts[order], ends[order]
    services = np.where(np.isnan(starts), np.inf, ends - starts)
    ideal = fcfs_starts(arrivals, services, busy_until, c)
    waiting = np.isnan(starts)
    problems = []
    off = np.abs(ideal[~waiting] - starts[~waiting])
    if off.size and off.max() > 1e-6:
        i = int(np.argmax(off))
        problems.append(f"{int((off > 1e-6).sum())} customers start at the wrong time (worst: arrived "
                        f"{arrivals[~waiting][i]:.3f}, model {starts[~waiting][i]:.3f}, FCFS {ideal[~waiting][i]:.3f})")
    if waiting.any() and ideal[waiting].min() < end - 1e-6:
        problems.append("a customer still waiting at the end should have been served")
    return problems


@pytest.mark.parametrize("name", ["mmc_rho080", "mmc_rho090", "mmc_rho095"])
def test_temporary_housing_is_an_exact_fcfs_queue(name):
    """Customer by customer, moving into a unit happens exactly when an ideal FCFS queue with c
    units would let the person in, given the same arrivals and tenancies; arrivals are Poisson
    with rate lambda and tenancies exponential with mean 1/mu (Kolmogorov-Smirnov, p > 0.001)."""
    s = sc.with_overrides(sc.load(VERIFICATION / f"{name}.toml"), {"run": {"years": 200.0}})
    lam, mu, c = mmc_parameters(s)
    end = s.total_days
    model = HousingModel(s, seed=replication_seeds(s.seed, 1)[0])
    model.run()
    check_invariants(model)
    spells = model.records.frame("spells")
    temp = spells[spells["state"] == "temporary"].set_index("person")
    housed = spells[spells["state"] == "housed"].set_index("person")
    assert temp.index.is_unique and housed.index.is_unique, "one stay and one tenancy per person"
    initial_tenants = housed.index.difference(temp.index)
    assert (housed.loc[initial_tenants, "start"] == 0.0).all()
    tenancy = housed.reindex(temp.index)
    problems = trace_problems(
        arrivals=temp["start"].to_numpy(),
        starts=tenancy["start"].to_numpy(),
        ends=tenancy["end"].to_numpy(),
        busy_until=housed.loc[initial_tenants, "end"].tolist(),
        c=c,
        end=end,
    )
    arrivals = np.sort(temp.loc[temp["start"] > 0.0, "start"].to_numpy())
    gaps = np.diff(arrivals)
    p_arrivals = stats.kstest(gaps, "expon", args=(0.0, 1.0 / lam)).pvalue
    done = housed[(housed["start"] > 0.0) & (housed["start"] < end - MARGIN_DAYS)]
    assert (done["end_reason"] == "own_housing").all()
    p_tenancy = stats.kstest((done["end"] - done["start"]).to_numpy(), "expon", args=(0.0, 1.0 / mu)).pvalue
    if p_arrivals < 0.001:
        problems.append(f"inter-arrival times are not exponential with rate {lam:.4f} (p = {p_arrivals:.2g})")
    if p_tenancy < 0.001:
        problems.append(f"tenancies are not exponential with mean {1 / mu:.1f} days (p = {p_tenancy:.2g})")
    assert len(gaps) > 2000 and len(done) > 2000
    assert not problems, f"{name}: " + "; ".join(problems)


def test_treatment_is_an_exact_fcfs_queue_with_fixed_stays():
    """Customer by customer, admission to treatment happens exactly when an ideal FCFS queue with
    c beds would admit the person, given the same referrals and stays; referrals are Poisson with
    rate lambda (Kolmogorov-Smirnov, p > 0.001) and every stay is within 1 % of D."""
    s = sc.with_overrides(sc.load(VERIFICATION / "mdc_treatment.toml"), {"run": {"years": 30.0}})
    lam, d, c = s.inflow.treatment_referrals_per_year / 365.0, s.treatment.stay_days_mean, s.treatment.beds
    end = s.total_days
    model = HousingModel(s, seed=replication_seeds(s.seed, 1)[0])
    model.run()
    check_invariants(model)
    spells = model.records.frame("spells")
    stays = spells[spells["state"] == "treatment"].set_index("person")
    assert stays.index.is_unique, "one stay per person"
    waits = model.records.frame("treatment_waits").set_index("person")
    initial = stays.index.difference(waits.index)
    assert (stays.loc[initial, "start"] == 0.0).all() and len(initial) == c
    stay = stays.reindex(waits.index)
    assert np.allclose(stay["start"].to_numpy(), waits["admitted"].to_numpy())
    problems = trace_problems(
        arrivals=waits["referred"].to_numpy(),
        starts=waits["admitted"].to_numpy(),
        ends=stay["end"].to_numpy(),
        busy_until=stays.loc[initial, "end"].tolist(),
        c=c,
        end=end,
    )
    done = stays[(stays["end_reason"] == "discharged") & (stays["start"] > 0.0)]
    lengths = (done["end"] - done["start"]).to_numpy()
    if np.abs(lengths / d - 1.0).max() > 0.01:
        problems.append(f"stays range from {lengths.min():.2f} to {lengths.max():.2f} days, not {d:g}")
    gaps = np.diff(np.sort(waits["referred"].to_numpy()))
    p_arrivals = stats.kstest(gaps, "expon", args=(0.0, 1.0 / lam)).pvalue
    if p_arrivals < 0.001:
        problems.append(f"referral gaps are not exponential with rate {lam:.4f} (p = {p_arrivals:.2g})")
    assert len(gaps) > 2000
    assert not problems, "mdc_treatment: " + "; ".join(problems)


@pytest.mark.parametrize("name", sorted(MMC))
def test_temporary_housing_docks_with_mmc(name):
    """Temporary stays in the M/M/c configurations match Erlang C: P(wait > 0), mean wait and
    P(wait > 90 days) each contain the exact value in their interval."""
    path = VERIFICATION / f"{name}.toml"
    s = sc.load(path)
    lam, mu, c = mmc_parameters(s)
    exact = mmc_exact(lam, mu, c, t=90.0)
    assert header_values(path) == pytest.approx((exact.p_wait, exact.mean_wait, exact.p_over), rel=5e-4)
    lo, hi = s.run.warmup_days, s.total_days - MARGIN_DAYS

    def measure(model: HousingModel) -> tuple[list[float], list[float]]:
        spells = model.records.frame("spells")
        counted = spells[(spells["start"] >= lo) & (spells["start"] < hi)]
        temp = counted[counted["state"] == "temporary"]
        housed = counted[counted["state"] == "housed"]
        # the queue and nothing else: stays end with a unit, tenancies with leaving the system
        assert set(temp["end_reason"]) <= {"moved_in", "end_of_run"}
        assert set(housed["end_reason"]) <= {"own_housing", "end_of_run"}
        assert (temp["end_reason"] == "moved_in").all(), "no wait may be cut off by the end of the run"
        waits = (temp["end"] - temp["start"]).to_numpy()
        tenancy = (housed["end"] - housed["start"]).to_numpy()
        controls = [len(waits) / (lam * (hi - lo)) - 1.0, float(tenancy.mean()) * mu - 1.0]
        return wait_statistics(waits, 90.0), controls

    y, x = simulate(s, measure)
    problems = check_against_exact(y, x, exact, MMC[name])
    assert not problems, f"{name} (rho {lam / (c * mu):.2f}): " + "; ".join(problems)


def test_mmc_configurations_cover_high_utilisation():
    """At least three settings, one at utilisation 0.9 or more; each file's own description is right."""
    rhos = []
    for name in MMC:
        s = sc.load(VERIFICATION / f"{name}.toml")
        lam, mu, c = mmc_parameters(s)
        rho = lam / (c * mu)
        assert name == f"mmc_rho{round(rho * 100):03d}"
        assert s.housing_office.allocate_on_vacancy and s.housing_office.rule == "fcfs"
        assert s.choice.decline_prob_other_zone == s.choice.decline_prob_preferred_zone == 0.0
        assert s.housing_office.processing_days == s.housing_office.move_in_delay_days_mean == 0.0
        assert s.relapse.rate_per_day == s.eviction.rate_per_day == s.exits.mortality_per_100_person_years == 0.0
        assert list(s.stock.types) == ["flat"]
        rhos.append(rho)
    assert len(rhos) >= 3 and max(rhos) >= 0.9


# ----------------------------------------------------------------------------- M/D/c: treatment


def test_treatment_queue_docks_with_mdc():
    """Waits for a treatment bed in the M/D/c configuration match the exact M/D/c results:
    P(wait > 0), mean wait and P(wait > 30 days)."""
    path = VERIFICATION / "mdc_treatment.toml"
    s = sc.load(path)
    lam = s.inflow.treatment_referrals_per_year / 365.0
    d = s.treatment.stay_days_mean
    c = s.treatment.beds
    assert s.treatment.stay_days_cv <= 0.001, "the stay must be practically fixed"
    exact = mdc_exact(lam, d, c, t=30.0)
    assert header_values(path) == pytest.approx((exact.p_wait, exact.mean_wait, exact.p_over), rel=5e-4)
    lo, hi = s.run.warmup_days, s.total_days - MARGIN_DAYS

    def measure(model: HousingModel) -> tuple[list[float], list[float]]:
        w = model.records.frame("treatment_waits")
        w = w[(w["referred"] >= lo) & (w["referred"] < hi)]
        waits = (w["admitted"] - w["referred"]).to_numpy()
        assert len(waits) > 1000
        return wait_statistics(waits, 30.0), [len(waits) / (lam * (hi - lo)) - 1.0]

    y, x = simulate(s, measure)
    problems = check_against_exact(y, x, exact, (0.05, 0.25, 0.45))
    assert not problems, "mdc_treatment: " + "; ".join(problems)
