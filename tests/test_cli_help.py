"""A command line that explains itself: version, help with defaults, global options anywhere."""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from route.cli.main import _parser, main
from route.constants import VERSION

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "80"}
    return subprocess.run(
        [sys.executable, "-m", "route.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=ROOT,
    )


def _commands() -> dict[str, argparse.ArgumentParser]:
    sub = next(a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


def test_version_is_the_release_in_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["version"] == VERSION
    result = _run("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"paperroute {VERSION}"
    import route

    assert route.__version__ == VERSION


def test_help_lists_every_command_on_one_line_each():
    result = _run("--help")
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    start = lines.index("  COMMAND") + 1
    block = lines[start : lines.index("", start)]
    commands = _commands()
    assert len(block) == len(commands), "\n".join(block)
    for line, name in zip(block, commands, strict=True):
        assert re.match(rf"^    {re.escape(name)} +\S", line), line
        assert len(line) <= 78


@pytest.mark.parametrize("name", sorted(_commands()))
def test_every_option_says_what_it_does_and_its_default(name: str):
    parser = _commands()[name]
    formatter = parser._get_formatter()
    assert parser.description, f"{name} has no description"
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        text = formatter._expand_help(action) if action.help else ""
        assert text.strip(), f"{name} {action.dest}: no help"
        takes_value = action.nargs != 0
        if action.option_strings and takes_value and not action.required:
            assert "default" in text, f"{name} {'/'.join(action.option_strings)}: {text!r}"
        if action.required and action.option_strings:
            assert "required" in text, f"{name} {action.dest}: {text!r}"
        if action.default not in (None, False, [], argparse.SUPPRESS) and takes_value:
            shown = action.default
            if isinstance(shown, list):
                shown = ", ".join(map(str, shown))
            assert str(shown) in text, f"{name} {action.dest}: default {shown} not shown"


def test_the_formatter_shows_zero_defaults():
    text = _run("plan", "--help").stdout
    assert re.search(r"--seed SEED\s+random seed of the search \(default: 0\)", text)
    assert re.search(r"--keep-first K[^\n]*\n?[^\n]*\(default: 0\)", text)
    assert "(default: None)" not in text
    assert "(default: False)" not in text


@pytest.mark.parametrize("where", ["before", "after"])
def test_global_options_go_before_or_after_the_command(where: str, tmp_path: Path, capsys):
    args = ["history", str(tmp_path)]
    args = ["--quiet", *args] if where == "before" else [*args, "--quiet"]
    assert main(args) == 2  # not a workspace: refused, with the message
    assert "not a paperroute workspace" in capsys.readouterr().err
    parsed = _parser().parse_args(args)
    assert parsed.quiet is True
    assert parsed.debug is False
    assert _parser().parse_args(["history", str(tmp_path)]).quiet is False


@pytest.fixture(scope="module")
def planned(tmp_path_factory) -> Path:
    ws = tmp_path_factory.mktemp("help") / "ws"
    assert main(["--quiet", "init", str(ws), "--network", "demo"]) == 0
    assert main(["--quiet", "import", str(ws), str(DATA / "subscribers.csv")]) == 0
    assert main(["--quiet", "plan", str(ws), "--time-limit", "1"]) == 0
    return ws


def test_messages_name_the_flags_that_exist(planned: Path, capsys):
    capsys.readouterr()
    assert main(["--quiet", "plan", str(planned), "--open"]) == 2
    err = capsys.readouterr().err
    assert "--open:" in err or "--open " in err
    assert "--open-end" not in err
    assert main(["--quiet", "plan", str(planned), "--shift", "3:00", "--capacity", "9"]) == 2
    err = capsys.readouterr().err
    assert "--capacity, --shift" in err or "--shift, --capacity" in err


def test_replacing_a_day_counts_its_ledger_lines_in_good_english(planned: Path, capsys):
    from route.io.workspace import Workspace

    date = "2025-03-03"
    assert main(["--quiet", "day", str(planned), "--date", date]) == 0
    with Workspace.open(planned) as ws:
        lines = len([r for r in ws.ledger_rows() if r[1] == date])
    capsys.readouterr()
    assert main(["--quiet", "day", str(planned), "--date", date, "--replace"]) == 0
    out = capsys.readouterr().out
    word = "line" if lines == 1 else "lines"
    assert f"({lines} ledger {word} cancelled)" in out
    assert "1 ledger lines" not in out
