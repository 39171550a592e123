"""Global sensitivity analysis of a finished sweep: Sobol indices or Morris screening (SALib).

The model output at a point is the mean of the metric over the point's replications. With common
random numbers (the default) every point sees the same random numbers, so the model is a
deterministic function of the parameters, as Sobol and Morris assume.

- **Sobol** (a ``sobol`` sweep): first-order ``S1`` (the share of the metric's variance due to the
  parameter alone) and total ``ST`` (alone and in interactions), with bootstrap 95% intervals
  (``S1_conf``, ``ST_conf`` are the half-widths), and ``S2`` for pairs if the sweep has
  ``second_order = true``.
- **Morris** (a ``morris`` sweep): ``mu_star`` (mean absolute elementary effect: overall
  influence, in the metric's unit per whole range of the parameter), ``mu`` (signed mean),
  ``sigma`` (spread: interactions or non-linearity) and ``mu_star_conf``.

Both tables carry ``noise_share`` (:func:`noise_share`): how much of the variance of the point
means is replication noise rather than the parameters' doing (with two or more replications). The
Morris table is sorted by ``mu_star``, most influential first, within each metric. The parameters
in words (:func:`sim.config.labels.parameter_label`) are :attr:`SensitivityResult.labels`; the
written tables carry them as a ``label`` column.

**When indices cannot be read** (:func:`readability`): the notes say so, computed from the
results against the thresholds below, and say how large ``samples`` and ``replications`` would
need to be, from the observed interval widths and noise:

- a first-order index below 0 beyond its interval, or a total index above 1: a share of variance
  cannot be either, so the estimates have not settled;
- 95% intervals wider than :data:`WIDE_SHARE` of their estimate (and wider than
  :data:`NEGLIGIBLE`): intervals shrink as 1/sqrt(N), so N times (width / target)^2 would do;
- replication noise above :data:`NOISY_SHARE` of the variance of the point means: its variance
  falls as 1/R, which sizes R.

This module computes; :mod:`sim.reports.sensitivity_report` writes the tables and draws the plot.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.config import ScenarioError
from sim.config.labels import parameter_label
from sim.experiments.designs import SENSITIVITY_DESIGNS, salib_problem
from sim.experiments.sweeps import SweepResults
from sim.measures.statistics import CONFIDENCE

RESAMPLES = 1000  # bootstrap resamples behind every index's confidence interval (SALib's default)
#: A metric whose point means are more than this share replication noise gets a note: its indices
#: mostly split noise among the parameters.
NOISY_SHARE = 0.2
#: An index whose 95% interval's half-width is more than this share of the estimate cannot be
#: read (is it large or small?) ...
WIDE_SHARE = 0.5
#: ... unless the half-width is below this: a Sobol index this small reads as "next to no effect"
#: either way. For Morris, the share of the metric's largest mu*.
NEGLIGIBLE = 0.05


@dataclass
class SensitivityResult:
    """Sensitivity indices of a sweep.

    Attributes:
        design: ``"sobol"`` or ``"morris"``.
        table: One row per (metric, parameter) with the indices (see the module's docstring).
        pairs: Second-order Sobol indices (metric, parameter_1, parameter_2, S2, S2_conf), or empty.
        notes: Metrics that could not be analysed, indices that cannot be read (:func:`readability`), and why.
        path: The folder written (set by the caller that writes it), or ``None``.
        labels: Each parameter's key in words (:func:`sim.config.labels.parameter_label`).
    """

    design: str
    table: pd.DataFrame
    pairs: pd.DataFrame
    notes: list[str]
    path: Path | None = None
    labels: dict[str, str] = field(default_factory=dict)

    def labelled(self) -> pd.DataFrame:
        """The table with the parameters in words (``label``) after ``parameter``: what is written."""
        table = self.table.copy()
        table.insert(2, "label", [self.labels.get(p, p) for p in table["parameter"]])
        return table

    def _repr_html_(self) -> str:  # pragma: no cover - notebook display
        return self.table._repr_html_()


def analyse(results: SweepResults, metrics: list[str] | None = None, *, seed: int | None = None) -> SensitivityResult:
    """Compute the indices for ``metrics`` (default: every metric the sweep kept).

    Args:
        results: A complete sweep's results (:func:`sim.experiments.sweeps.open_results`, or
            :meth:`~sim.experiments.sweeps.SweepResult.as_results` for a sweep in memory).
        metrics: Metrics to analyse.
        seed: Seed of the bootstrap (default: the sweep's).

    Returns:
        The indices; nothing is written.

    Raises:
        ScenarioError: The sweep is not a Sobol or Morris design, is not complete, or a metric
            was not kept.
    """
    manifest = results.manifest
    source = str(results.path)
    design = manifest["design"]
    if design not in SENSITIVITY_DESIGNS:
        raise ScenarioError(
            source, [f"design = {design!r}: sensitivity indices need a sweep with design = \"sobol\" or \"morris\""]
        )
    if not results.complete:
        missing = manifest["n_runs"] - len(results.runs)
        raise ScenarioError(
            source,
            [
                (f"{missing} of {manifest['n_runs']} runs are missing; "
                "finish the sweep first (pathways sweep FILE --out RESULTS --resume)")
            ],
        )
    kept = list(manifest["metrics"])
    metrics = list(metrics or kept)
    unknown = [m for m in metrics if m not in kept]
    if unknown:
        raise ScenarioError(
            source, [f"--metric {', '.join(unknown)}: not kept by this sweep; its metrics are: {', '.join(kept)}"]
        )
    names = [p["key"] for p in manifest["parameters"]]
    base = _base_data(results)
    labels = {name: parameter_label(name, base) for name in names}
    problem = salib_problem(names, [p["bounds"] for p in manifest["parameters"]])
    means = results.runs.groupby("point")[metrics].mean().sort_index()
    seed = manifest["seed"] if seed is None else seed
    rows: list[dict[str, Any]] = []
    pairs: list[dict[str, Any]] = []
    notes: list[str] = []
    for metric in metrics:
        y = means[metric].to_numpy(dtype=float)
        if np.isnan(y).any():
            missing = int(np.isnan(y).sum())
            notes.append(f"{metric}: no value at {missing} points (e.g. no events in the window); skipped")
            continue
        if np.ptp(y) == 0:
            notes.append(f"{metric}: the same at every point; no parameter matters for it; skipped")
            continue
        if design == "sobol":
            r, p = _sobol(problem, y, manifest, metric, seed)
            pairs += p
        else:
            x = results.points.sort_values("point")[[f"design:{n}" for n in names]].to_numpy(dtype=float)
            r = _morris(problem, x, y, manifest, metric, seed)
            r.sort(key=lambda row: -row["mu_star"])  # most influential first
        noise = noise_share(results.runs, metric)
        for row in r:
            row["noise_share"] = noise
        rows += r
    table = pd.DataFrame(rows, columns=_columns(design))
    notes += readability(table, results.runs, manifest, labels)
    pair_table = pd.DataFrame(pairs, columns=["metric", "parameter_1", "parameter_2", "S2", "S2_conf"])
    return SensitivityResult(design, table, pair_table, notes, labels=labels)


def _base_data(results: SweepResults) -> dict[str, Any] | None:
    """The sweep's base scenario as data (for labels), from its folder's ``base.resolved.toml``, or ``None``."""
    import tomllib

    try:
        return tomllib.loads((Path(results.path) / "base.resolved.toml").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _columns(design: str) -> list[str]:
    """The index table's columns for ``design``."""
    if design == "sobol":
        return ["metric", "parameter", "S1", "S1_conf", "ST", "ST_conf", "noise_share"]
    return ["metric", "parameter", "mu_star", "mu_star_conf", "mu", "sigma", "noise_share"]


def noise_share(runs: pd.DataFrame, metric: str) -> float:
    """Share of the variance of the point means that is replication noise (``nan`` with one replication).

    The model is stochastic: even with common random numbers, a changed parameter sends people
    down other paths, so a point's mean carries noise of variance ``s2 / R`` (``s2`` the mean
    variance between replications at a point). The share ``(s2 / R) / var(point means)`` says how
    much of what the indices split among the parameters is that noise.
    """
    within, total, _ = _noise_parts(runs, metric)
    if math.isnan(within):
        return math.nan
    if total <= 0:
        return 1.0 if within > 0 else math.nan
    return min(within / total, 1.0)


def _noise_parts(runs: pd.DataFrame, metric: str) -> tuple[float, float, float]:
    """Noise variance of a point mean (``s2 / R``), variance of the point means, and mean replications ``R``.

    The first is ``nan`` with fewer than two replications at some point.
    """
    grouped = runs.groupby("point")[metric]
    reps = grouped.count()
    total = float(grouped.mean().var(ddof=1))
    if reps.min() < 2:
        return math.nan, total, float(reps.mean())
    return float(grouped.var(ddof=1).mean()) / float(reps.mean()), total, float(reps.mean())


def replications_for(runs: pd.DataFrame, metric: str, target: float = NOISY_SHARE) -> int | None:
    """Replications per point that would bring the noise share of ``metric`` down to ``target``.

    The noise variance of a point mean falls as 1/R while the parameters' variance stays, so with
    ``noise = s2 / R`` and ``signal = var(point means) - noise`` the share is ``target`` at
    ``R' = R * noise * (1 - target) / (target * signal)``.

    Returns:
        ``R'`` rounded up (at least 2), or ``None`` when the point means vary no more than the
        noise alone would make them (no ``R'`` can be sized) or the noise cannot be measured.
    """
    within, total, reps = _noise_parts(runs, metric)
    signal = total - within
    if math.isnan(within) or not signal > 0:
        return None
    return max(2, math.ceil(reps * within * (1 - target) / (target * signal)))


def readability(
    table: pd.DataFrame, runs: pd.DataFrame, manifest: dict[str, Any], labels: dict[str, str] | None = None
) -> list[str]:
    """Notes on the indices that cannot be read, and how large the sweep would need to be.

    Computed from the indices (``table``, :func:`analyse`'s), the runs and the sweep's manifest
    against :data:`WIDE_SHARE`, :data:`NEGLIGIBLE` and :data:`NOISY_SHARE`; see the module's
    docstring. One line per problem and metric.

    Args:
        table: The index table.
        runs: The sweep's runs (one row per replication).
        manifest: The sweep's manifest (design, samples, replications, parameters).
        labels: Parameters in words, for the notes (default: the keys).

    Returns:
        The notes, ``"<metric>: ..."``; empty if every index can be read.
    """
    notes: list[str] = []
    design = manifest["design"]
    reps = int(manifest["replications"])
    table = table.assign(label=[(labels or {}).get(p, p) for p in table["parameter"]])
    if reps < 2 and not table.empty:
        notes.append(
            "one replication per point: the replication noise in the indices cannot be measured; "
            "with replications = 2 or more the notes say how much of each metric's variance it is"
        )
    for metric, rows in table.groupby("metric", sort=False):
        if design == "sobol":
            notes += _sobol_checks(str(metric), rows, manifest)
        else:
            notes += _morris_checks(str(metric), rows, manifest)
        notes += _noise_checks(str(metric), rows, runs, reps)
    return notes


def _pm(value: float, half: float) -> str:
    """``0.31 +- 0.12`` (an estimate and its 95% interval's half-width)."""
    return f"{value:.2f} \u00b1 {half:.2f}"


def _power_of_two_at_least(n: float) -> int:
    """The least power of 2 not below ``n`` (Sobol samples come in powers of 2)."""
    return 1 << max(0, math.ceil(math.log2(max(n, 1.0))))


def _sobol_checks(metric: str, rows: pd.DataFrame, manifest: dict[str, Any]) -> list[str]:
    """Negative S1, ST above 1 and wide intervals of one metric's Sobol indices."""
    notes: list[str] = []
    negative = rows[rows["S1"] + rows["S1_conf"] < 0]
    if not negative.empty:
        shown = "; ".join(f"{r.label}: S1 = {_pm(r.S1, r.S1_conf)}" for r in negative.itertuples())
        notes.append(
            f"{metric}: first-order index below 0 beyond its 95% interval ({shown}). A share of variance "
            "cannot be negative: the estimates have not settled, and this metric's S1 cannot be read."
        )
    above = rows[rows["ST"] > 1]
    if not above.empty:
        shown = "; ".join(f"{r.label}: ST = {_pm(r.ST, r.ST_conf)}" for r in above.itertuples())
        notes.append(
            f"{metric}: total index above 1 ({shown}). A share of variance cannot exceed 1: the estimates "
            "have not settled, and this metric's ST cannot be read."
        )
    estimates = pd.concat(
        [
            rows[["label", "S1", "S1_conf"]].set_axis(["label", "value", "half"], axis=1).assign(index="S1"),
            rows[["label", "ST", "ST_conf"]].set_axis(["label", "value", "half"], axis=1).assign(index="ST"),
        ]
    )
    samples = int(manifest["samples"])
    points_per_sample = int(manifest["n_points"]) // samples
    notes += _wide(metric, estimates, NEGLIGIBLE, samples, points_per_sample, int(manifest["replications"]), True)
    return notes


def _morris_checks(metric: str, rows: pd.DataFrame, manifest: dict[str, Any]) -> list[str]:
    """Wide intervals of one metric's Morris mu*."""
    estimates = rows[["label", "mu_star", "mu_star_conf"]].set_axis(["label", "value", "half"], axis=1)
    estimates = estimates.assign(index="mu*")
    floor = NEGLIGIBLE * float(rows["mu_star"].abs().max())
    samples = int(manifest["samples"])
    points_per_sample = int(manifest["n_points"]) // samples
    return _wide(metric, estimates, floor, samples, points_per_sample, int(manifest["replications"]), False)


def _wide(
    metric: str,
    estimates: pd.DataFrame,
    floor: float,
    samples: int,
    points_per_sample: int,
    replications: int,
    sobol: bool,
) -> list[str]:
    """A note if intervals are wider than :data:`WIDE_SHARE` of their estimates (and than ``floor``).

    The intervals shrink as 1/sqrt(samples) (base samples N of a Sobol design, trajectories of a
    Morris design), so the widest one fits its target at ``samples * (half / target)^2``.
    """
    target = np.maximum(WIDE_SHARE * estimates["value"].abs().to_numpy(), floor)
    half = estimates["half"].to_numpy(dtype=float)
    wide = half > target
    if not wide.any():
        return []
    ratio = half / target
    worst = estimates.iloc[int(np.argmax(ratio))]
    needed = samples * float(ratio.max()) ** 2
    needed_n = _power_of_two_at_least(needed) if sobol else math.ceil(needed)
    quadruple = 4 * samples
    symbol, what = ("N", "N") if sobol else ("r", "samples (trajectories r)")
    runs = needed_n * points_per_sample * replications
    text = (
        f"{metric}: {int(wide.sum())} of {len(half)} indices have 95% intervals wider than "
        f"{WIDE_SHARE:.0%} of their estimate (and than {floor:.3g}); the widest is {worst['index']} of "
        f"{worst['label']}: {_pm(float(worst['value']), float(worst['half']))}. Intervals shrink as "
        f"1/sqrt({symbol}): {what} = {quadruple} (now {samples}) would roughly halve them; "
        f"{what} = {needed_n} would bring the widest within {WIDE_SHARE:.0%} of its estimate "
        f"({runs} runs at {replications} replications)."
    )
    return [text]


def _noise_checks(metric: str, rows: pd.DataFrame, runs: pd.DataFrame, replications: int) -> list[str]:
    """A note if replication noise is more than :data:`NOISY_SHARE` of the variance of the point means."""
    noise = float(rows["noise_share"].iloc[0])
    if math.isnan(noise) or noise <= NOISY_SHARE:
        return []
    text = (
        f"{metric}: replication noise is {noise:.0%} of the variance of the point means (more than "
        f"{NOISY_SHARE:.0%}); the indices split it among the parameters as if it were their doing."
    )
    needed = replications_for(runs, metric)
    if needed is None:
        return [
            text + " The point means vary no more than the noise alone would make them: within their ranges "
            "the parameters may not matter for this metric, and no number of replications can be sized from "
            "these results (longer runs lower the noise too)."
        ]
    return [
        text + f" Its variance falls as 1/R: replications = {needed} (now {replications}) would bring it to "
        f"{NOISY_SHARE:.0%}, or longer runs."
    ]


def _sobol(
    problem: dict[str, Any], y: np.ndarray, manifest: dict[str, Any], metric: str, seed: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Sobol indices of one metric: one row per parameter (S1, ST) and one per pair (S2, with second order)."""
    from SALib.analyze import sobol

    second = bool(manifest["second_order"])
    si = sobol.analyze(
        problem, y, calc_second_order=second, num_resamples=RESAMPLES, conf_level=CONFIDENCE, seed=seed
    )
    names = problem["names"]
    rows = [
        {
            "metric": metric,
            "parameter": name,
            "S1": float(si["S1"][i]),
            "S1_conf": float(si["S1_conf"][i]),
            "ST": float(si["ST"][i]),
            "ST_conf": float(si["ST_conf"][i]),
        }
        for i, name in enumerate(names)
    ]
    pairs = []
    if second:
        for i in range(len(names)):
            for j in range(i + 1, len(names)):
                pairs.append(
                    {
                        "metric": metric,
                        "parameter_1": names[i],
                        "parameter_2": names[j],
                        "S2": float(si["S2"][i, j]),
                        "S2_conf": float(si["S2_conf"][i, j]),
                    }
                )
    return rows, pairs


def _morris(
    problem: dict[str, Any], x: np.ndarray, y: np.ndarray, manifest: dict[str, Any], metric: str, seed: int
) -> list[dict[str, Any]]:
    """Morris indices of one metric, one row per parameter; ``x`` are the points in design coordinates."""
    from SALib.analyze import morris

    si = morris.analyze(
        problem,
        x,
        y,
        num_resamples=RESAMPLES,
        conf_level=CONFIDENCE,
        num_levels=int(manifest["morris_levels"]),
        seed=seed,
    )
    return [
        {
            "metric": metric,
            "parameter": name,
            "mu_star": float(si["mu_star"][i]),
            "mu_star_conf": float(si["mu_star_conf"][i]),
            "mu": float(si["mu"][i]),
            "sigma": float(si["sigma"][i]),
        }
        for i, name in enumerate(problem["names"])
    ]
