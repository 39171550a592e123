"""The ``pathways`` command (also ``python -m sim``): one module per group of commands.

``run``, ``validate`` and ``list`` are in :mod:`sim.cli.run`; ``compare``, ``sweep`` and
``sensitivity`` in :mod:`sim.cli.experiments`; ``calibrate`` in :mod:`sim.cli.calibrate`;
``face-validity`` in :mod:`sim.cli.face_validity`. Each is
a plain function, registered on :data:`app` here.
"""

from __future__ import annotations

import typer

from sim.cli import calibrate, experiments, face_validity, people, run

app = typer.Typer(
    help="Housing pathways in substance-use recovery: an agent-based simulation.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    # Help texts are Markdown: a docstring's paragraphs are reflowed to the terminal's width
    # (no line broken mid-sentence) and ``code`` is shown as code, not as raw markup.
    rich_markup_mode="markdown",
)
app.command()(run.run)
app.command()(run.validate)
app.command("list")(run.list_)
app.command()(experiments.compare)
app.command()(experiments.sweep)
app.command()(experiments.sensitivity)
app.command()(calibrate.calibrate)
app.command("face-validity")(face_validity.face_validity)
app.command()(people.people)


def main() -> None:
    """Console-script entry point."""
    app()
