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
means is replication noise rather than the parameters' doing (with two or more replications).

This module computes; :mod:`sim.reports.sensitivity_report` writes the tables and draws the plot.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.config import ScenarioError
from sim.experiments.designs import SENSITIVITY_DESIGNS, salib_problem
from sim.experiments.sweeps import SweepResults
from sim.measures.statistics import CONFIDENCE

RESAMPLES = 1000  # bootstrap resamples behind every index's confidence interval (SALib's default)
#: A metric whose point means are more than this share replication noise gets a note: its indices
#: mostly split noise among the parameters.
NOISY_SHARE = 0.2


@dataclass
class SensitivityResult:
    """Sensitivity indices of a sweep.

    Attributes:
        design: ``"sobol"`` or ``"morris"``.
        table: One row per (metric, parameter) with the indices (see the module's docstring).
        pairs: Second-order Sobol indices (metric, parameter_1, parameter_2, S2, S2_conf), or empty.
        notes: Metrics that could not be analysed, and why.
        path: The folder written (set by the caller that writes it), or ``None``.
    """

    design: str
    table: pd.DataFrame
    pairs: pd.DataFrame
    notes: list[str]
    path: Path | None = None

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
        noise = noise_share(results.runs, metric)
        for row in r:
            row["noise_share"] = noise
        rows += r
        if noise > NOISY_SHARE:
            notes.append(
                f"{metric}: {noise:.0%} of the variance of the point means is replication noise; the indices "
                "mix it with the parameters' effects. Use more replications or longer runs."
            )
    table = pd.DataFrame(rows, columns=_columns(design))
    pair_table = pd.DataFrame(pairs, columns=["metric", "parameter_1", "parameter_2", "S2", "S2_conf"])
    return SensitivityResult(design, table, pair_table, notes)


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
    grouped = runs.groupby("point")[metric]
    reps = grouped.count()
    if reps.min() < 2:
        return math.nan
    within = float(grouped.var(ddof=1).mean()) / float(reps.mean())
    total = float(grouped.mean().var(ddof=1))
    if total <= 0:
        return 1.0 if within > 0 else math.nan
    return min(within / total, 1.0)


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
