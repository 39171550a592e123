"""Every command's help reads as prose at 80 columns: no raw reST markup, no line broken mid-sentence."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from sim.cli import app

COMMANDS = [c.name or c.callback.__name__ for c in app.registered_commands]


@pytest.mark.parametrize("command", COMMANDS)
def test_help_is_reflowed_prose(command):
    """The description block (between the usage line and the first box) has no short line
    inside a paragraph and no ````code```` markup."""
    result = CliRunner().invoke(app, [command, "--help"], env={"COLUMNS": "80", "TERM": "dumb"}, terminal_width=80)
    assert result.exit_code == 0, result.output
    assert "``" not in result.output and ":func:" not in result.output
    lines = result.output.splitlines()
    start = next(i for i, line in enumerate(lines) if "Usage:" in line) + 1
    end = next(i for i, line in enumerate(lines) if line.lstrip().startswith("╭"))
    paragraphs: list[list[str]] = [[]]
    for line in lines[start:end]:
        if line.strip():
            paragraphs[-1].append(line.strip())
        elif paragraphs[-1]:
            paragraphs.append([])
    for paragraph in paragraphs:
        for line in paragraph[:-1]:  # every line but a paragraph's last fills the width
            assert len(line) > 55, f"{command}: a line broken mid-sentence: {line!r}"
