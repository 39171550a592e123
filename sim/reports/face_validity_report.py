"""``docs/face_validity.md``: the face-validity table of every shipped scenario, as Markdown.

Every number, verdict and count is taken from a :class:`~sim.experiments.face_validity.FaceValidity`
computed by the same command; the only hand-written text is the expectations' sources and the
mechanisms that explain a result not as expected, both read from ``scenarios/checks/face_validity.toml``.
"""

from __future__ import annotations

from sim.experiments.face_validity import FaceValidity, Row
from sim.measures.metrics import METRICS
from sim.reports.calibration_text import difference_interval_text, face_sentences, face_table, fmt_difference, fmt_value
from sim.reports.text import PLAIN

REPORT_PATH_NAME = "face_validity.md"
MARK = {"as expected": "as expected", "against": "**against**", "not significant": "not significant", "no value": "no value"}


def _observed(r: Row) -> str:
    unit = METRICS[r.metric].unit
    return f"{fmt_difference(r.difference.mean, unit)} ({difference_interval_text(r.difference, unit)})"


def _outcome(metric: str) -> str:
    return f"{PLAIN.get(metric, metric)} (`{metric}`)"


def render(result: FaceValidity, command: str) -> str:
    """The whole Markdown page.

    Args:
        result: The assessed scenarios.
        command: The command line that wrote the page (shown so anyone can regenerate it).
    """
    base = result.base
    n = result.replications
    judged = [r for r in result.rows if r.verdict is not None]
    against = [r for r in judged if r.verdict == "against"]
    unexplained = result.unexplained()
    lines = [
        "# Face validity: every shipped scenario against the baseline",
        "",
        (
            f"Written by `{command}`; do not edit by hand. Each scenario ran {n} replications of "
            f"{base.run.years:g} years ({base.run.warmup_days:g} days of warm-up left out) with the baseline's "
            f"seed {base.seed}, so replication *r* of every scenario shares its random numbers with the "
            "baseline's (common random numbers). A difference is the scenario minus the baseline, replication "
            "by replication, with its 95% Student-t interval."
        ),
        "",
        (
            "The expected directions, their sources and the explanations are in "
            "`scenarios/checks/face_validity.toml`; the sources' full references are in `docs/sources.md`. "
            "The verdict is computed: **as expected** when the whole interval is on the expected side of 0, "
            "**against** when it is on the other side, **not significant** when it contains 0. A result that "
            "is not as expected is followed by the mechanism that explains it, where the file gives one."
        ),
        "",
        f"**{result.count('as expected')} of {len(judged)} expected directions are met; "
        f"{result.count('not significant')} are not significant; {len(against)} go against expectation"
        + (f", {len(unexplained)} of them without an explanation" if unexplained else ", each explained below")
        + ".**",
        "",
    ]
    if against:
        lines.append("Against expectation: " + "; ".join(f"`{r.scenario}` {_outcome(r.metric)}" for r in against) + ".")
        lines.append("")
    if result.checks:
        lines += ["## Checks on a scenario's own values", "", "| scenario | measure | bound | value (95% interval) | met |",
                  "|---|---|---|---:|:---:|"]  # fmt: skip
        for c in result.checks:
            unit = METRICS[c.metric].unit
            bound = " and ".join(
                part for part in (
                    f"at least {fmt_value(c.check.at_least, unit)}" if c.check.at_least is not None else "",
                    f"at most {fmt_value(c.check.at_most, unit)}" if c.check.at_most is not None else "",
                ) if part
            )  # fmt: skip
            value = c.value
            interval = "-" if value.n < 2 else f"{fmt_value(value.low, unit)} to {fmt_value(value.high, unit)}"
            met = {None: "no value", True: "yes", False: "**no**"}[c.met]
            lines.append(f"| `{c.scenario}` | {_outcome(c.metric)} | {bound} ({c.check.source}) | "
                         f"{fmt_value(value.mean, unit)} ({interval}) | {met} |")  # fmt: skip
        lines.append("")
    for scenario in result.scenarios:
        name = scenario.name
        lines += [f"## `{name}`", "", scenario.description.strip(), ""]
        keys = result.changed.get(name, [])
        lines.append("Keys changed against the baseline (computed): " + (", ".join(f"`{k}`" for k in keys) or "none") + ".")
        lines.append("")
        rows = [r for r in result.rows if r.scenario == name]
        if rows:
            lines += ["| outcome | expected | source | observed difference (95% interval) | verdict |", "|---|:---:|---|---:|---|"]
            for r in rows:
                assert r.expected is not None
                lines.append(f"| {_outcome(r.metric)} | {r.expected.direction} | {r.expected.source} | {_observed(r)} | "
                             f"{MARK[r.verdict or 'no value']} |")  # fmt: skip
            lines.append("")
            notes = [r for r in rows if r.verdict in ("against", "not significant")]
            for r in notes:
                text = r.explanation or "no explanation in scenarios/checks/face_validity.toml yet"
                lines.append(f"- {_outcome(r.metric)}, {MARK[r.verdict or 'no value']}: {text}")
            if notes:
                lines.append("")
        levers = result.levers.get(name, [])
        if levers and rows:
            metrics = list(dict.fromkeys(r.metric for r in rows))
            lines += [f"Each lever of `{name}` alone (observed difference from the baseline, 95% interval; no verdict):", ""]
            lines.append("| lever (keys) | " + " | ".join(f"`{m}`" for m in metrics) + " |")
            lines.append("|---|" + "---:|" * len(metrics))
            for lever, lever_keys, run in levers:
                cells = []
                for m in metrics:
                    row = next(r for r in result.rows if r.scenario == run.name and r.metric == m)
                    cells.append(_observed(row))
                lines.append(f"| {lever} ({', '.join(f'`{k}`' for k in lever_keys)}) | " + " | ".join(cells) + " |")
            whole = [next(r for r in rows if r.metric == m) for m in metrics]
            lines.append("| **the whole package** | " + " | ".join(_observed(r) for r in whole) + " |")
            lines.append("")
            for lever, note in result.lever_notes.get(name, {}).items():
                lines.append(f"- {lever} alone: {note}")
            if result.lever_notes.get(name):
                lines.append("")
        if name == "housing_first" and result.contrasts:
            lines += [
                (
                    "Against the published trials (F16: At Home/Chez Soi; F17, the Oxford House trial, is "
                    "shown by the baseline's staffed against ordinary units, see `docs/calibration.md`):"
                ),
                "",
            ]
            lines += face_table(result.contrasts)
            lines.append("")
            lines += face_sentences(result.contrasts)
            lines.append("")
    return "\n".join(lines) + "\n"
