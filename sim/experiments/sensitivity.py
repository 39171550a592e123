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
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim import files as storage
from sim.config import ScenarioError
from sim.experiments.sweeps import SweepResults, open_results

SENSITIVITY_DIR = "sensitivity"
RESAMPLES = 1000
CONF_LEVEL = 0.95


@dataclass
class SensitivityResult:
    """Sensitivity indices of a sweep.

    Attributes:
        design: ``"sobol"`` or ``"morris"``.
        table: One row per (metric, parameter) with the indices (see the module's docstring).
        pairs: Second-order Sobol indices (metric, parameter_1, parameter_2, S2, S2_conf), or empty.
        notes: Metrics that could not be analysed, and why.
        path: The folder written, or ``None``.
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

    Raises:
        ScenarioError: The sweep is not a Sobol or Morris design, is not complete, or a metric
            was not kept.
    """
    manifest = results.manifest
    source = str(results.path)
    design = manifest["design"]
    if design not in ("sobol", "morris"):
        raise ScenarioError(
            source, [f"design = {design!r}: sensitivity indices need a sweep with design = \"sobol\" or \"morris\""]
        )
    if not results.complete:
        missing = manifest["n_runs"] - len(results.runs)
        raise ScenarioError(
            source,
            [
                f"{missing} of {manifest['n_runs']} runs are missing; "
                "finish the sweep first (pathways sweep FILE --out RESULTS --resume)"
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
    problem = {"num_vars": len(names), "names": names, "bounds": [p["bounds"] for p in manifest["parameters"]]}
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
        if noise > 0.2:
            notes.append(
                f"{metric}: {noise:.0%} of the variance of the point means is replication noise; the indices "
                "mix it with the parameters' effects. Use more replications or longer runs."
            )
    table = pd.DataFrame(rows, columns=_columns(design))
    pair_table = pd.DataFrame(pairs, columns=["metric", "parameter_1", "parameter_2", "S2", "S2_conf"])
    return SensitivityResult(design, table, pair_table, notes)


def _columns(design: str) -> list[str]:
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
    from SALib.analyze import sobol

    second = bool(manifest["second_order"])
    si = sobol.analyze(
        problem, y, calc_second_order=second, num_resamples=RESAMPLES, conf_level=CONF_LEVEL, seed=seed
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
    from SALib.analyze import morris

    si = morris.analyze(
        problem,
        x,
        y,
        num_resamples=RESAMPLES,
        conf_level=CONF_LEVEL,
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


# ----------------------------------------------------------------------------- output


def check_out_dir(out: Path) -> str | None:
    """Why ``out`` cannot be (re)written, or ``None``: it must be new, empty, or an earlier analysis."""
    return storage.check_out_dir(out, marker="sensitivity.csv", what="sensitivity results")


def write_sensitivity(result: SensitivityResult, out: Path) -> Path:
    """Write ``sensitivity.csv``/``.parquet`` (and ``sobol_pairs.csv``), and ``sensitivity.png``, all or nothing."""
    out = Path(out).resolve()
    problem = check_out_dir(out)
    if problem:
        raise ScenarioError(f"--out {out}", [problem])
    with storage.replace_folder(out, marker="sensitivity.csv") as staging:
        result.table.to_csv(staging / "sensitivity.csv", index=False)
        result.table.to_parquet(staging / "sensitivity.parquet", index=False)
        if not result.pairs.empty:
            result.pairs.to_csv(staging / "sobol_pairs.csv", index=False)
        if result.notes:
            (staging / "notes.txt").write_text("\n".join(result.notes) + "\n", encoding="utf-8")
        if not result.table.empty:
            plot(result, staging / "sensitivity.png")
    result.path = out
    return out


def plot(result: SensitivityResult, path: Path) -> None:
    """One panel per metric: Sobol S1 and ST bars with intervals, or Morris mu* against sigma."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    metrics = list(dict.fromkeys(result.table["metric"]))
    cols = min(2, len(metrics))
    rows = math.ceil(len(metrics) / cols)
    n_params = result.table["parameter"].nunique()
    height = max(2.8, 0.45 * n_params + 1.4) if result.design == "sobol" else 4.0
    fig, axes = plt.subplots(rows, cols, figsize=(7 * cols, height * rows), squeeze=False)
    for ax, metric in zip(axes.flat, metrics, strict=False):
        t = result.table[result.table["metric"] == metric]
        if result.design == "sobol":
            pos = np.arange(len(t))
            ax.barh(pos - 0.2, t["S1"], height=0.4, xerr=t["S1_conf"], capsize=3, label="first order S1")
            ax.barh(pos + 0.2, t["ST"], height=0.4, xerr=t["ST_conf"], capsize=3, label="total ST")
            ax.set_yticks(pos, t["parameter"], fontsize="small")
            ax.invert_yaxis()
            ax.axvline(0, color="black", linewidth=0.8)
            ax.set_xlabel("Sobol index (95% CI)")
            ax.legend(fontsize="small", loc="best")
        else:
            ax.errorbar(t["mu_star"], t["sigma"], xerr=t["mu_star_conf"], fmt="o", capsize=3)
            for _, r in t.iterrows():
                ax.annotate(r["parameter"], (r["mu_star"], r["sigma"]), fontsize="x-small",
                            xytext=(4, 4), textcoords="offset points")
            ax.set_xlabel("mu* (mean |elementary effect|, 95% CI)")
            ax.set_ylabel("sigma")
        noise = t["noise_share"].iloc[0]
        ax.set_title(metric if math.isnan(noise) else f"{metric} (noise: {noise:.0%} of variance)",
                     fontsize="medium")
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(metrics):]:
        ax.set_visible(False)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def sensitivity(
    results: Path | str, metrics: list[str] | None = None, *, out: Path | str | None = None, write: bool = True
) -> SensitivityResult:
    """Read a sweep's results folder, compute the indices and (by default) write them.

    Args:
        results: The sweep's output folder.
        metrics: Metrics to analyse (default: every metric the sweep kept).
        out: Where to write (default: ``<results>/sensitivity``).
        write: Write the table and the plot.

    Returns:
        The indices (``path`` set if written).
    """
    swept = open_results(results)
    result = analyse(swept, metrics)
    if write:
        write_sensitivity(result, Path(out) if out is not None else swept.path / SENSITIVITY_DIR)
    return result
