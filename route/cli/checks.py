"""Checking the command line's values before a command reads or writes anything.

Every number a flag takes has a documented range (the README's "Limits"); :func:`check_args`
refuses values outside it, ``nan`` and ``inf`` included, listing every problem at once, before
the command runs. That is what keeps a command from writing part of its work and then refusing
a flag it reaches later.
"""

from __future__ import annotations

import argparse
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from route.constants import (
    MAX_BALANCE,
    MAX_CAPACITY,
    MAX_CARRIERS,
    MAX_ID_CHARS,
    MAX_KICKS,
    MAX_RATE,
    MAX_ROWS,
    MAX_SIMULATED_DAYS,
    MAX_TEXT_CHARS,
    MAX_TIME_LIMIT_S,
    MAX_WAIT_S,
)
from route.errors import InputError, Issue


@dataclass(frozen=True, slots=True)
class Bound:
    """The range of one numeric flag."""

    flag: str
    low: float
    high: float
    fix: str
    low_open: bool = False  # the low end itself is refused (a time limit of 0)

    def check(self, value: float) -> Issue | None:
        ok = math.isfinite(value) and (
            (value > self.low if self.low_open else value >= self.low) and value <= self.high
        )
        if ok:
            return None
        low = f"above {_num(self.low)}" if self.low_open else f"from {_num(self.low)}"
        return Issue(self.flag, f"out of range: give a number {low} to {_num(self.high)}",
                     self.fix, value=_show(value))  # fmt: skip


def _num(x: float) -> str:
    return f"{int(x):,}" if float(x).is_integer() else f"{x:g}"


def _show(value: float) -> str:
    return str(value) if isinstance(value, int) and abs(value) < 10**30 else f"{value:g}"


#: Every numeric flag by its argparse ``dest``, with its documented range.
BOUNDS: dict[str, Bound] = {
    "time_limit": Bound("--time-limit", 0, MAX_TIME_LIMIT_S, "give seconds, e.g. 5", low_open=True),
    "carriers": Bound("--carriers", 1, MAX_CARRIERS, "give a whole number of carriers, e.g. 2"),
    "capacity": Bound("--capacity", 1, MAX_CAPACITY, "give the items a bag holds, e.g. 60"),
    "seed": Bound("--seed", 0, 2**63 - 1, "give a whole number, e.g. 0"),
    "balance": Bound("--balance", 0, MAX_BALANCE, "give 0 (shortest total) or more, e.g. 1"),
    "kicks": Bound("--kicks", 0, MAX_KICKS, "give 0 or a few rounds, e.g. 3"),
    "max_moved": Bound("--max-moved", 0, MAX_ROWS, "give the stops that may move, e.g. 10"),
    "keep_first": Bound("--keep-first", 0, MAX_ROWS, "give 0 or more stops, e.g. 5"),
    "threshold": Bound("--threshold", 0, 24 * 60, "give minutes, e.g. 5"),
    "days": Bound("--days", 1, MAX_SIMULATED_DAYS, "give a number of days, e.g. 28"),
    "wait": Bound("--wait", 0, MAX_WAIT_S, "give seconds, e.g. 60, or 0 not to wait"),
    "routes": Bound("--routes", 1, MAX_CARRIERS, "give a whole number of districts, e.g. 3"),
    "max_stops": Bound("--max-stops", 1, MAX_ROWS, "give the stops a district holds, e.g. 250"),
    "max_hours": Bound("--max-hours", 0, 24, "give hours of work per route, e.g. 3", low_open=True),
    "move_cost": Bound("--move-cost", 0, 10**7, "give metres, e.g. 150, or 0 for the most compact"),
    "per_stop": Bound("--per-stop", 0, MAX_RATE, "give the amount per stop, e.g. 0.25"),
    "per_km": Bound("--per-km", 0, MAX_RATE, "give the amount per km, e.g. 0.3"),
    "per_hour": Bound("--per-hour", 0, MAX_RATE, "give the amount per hour, e.g. 14"),
}

#: Every free-text flag by its ``dest``: its name and longest length. Control characters
#: (terminal escape codes) are refused: the text is shown on sheets and in the terminal.
TEXTS: dict[str, tuple[str, int]] = {
    "note": ("--note", MAX_TEXT_CHARS),
    "currency": ("--currency", MAX_ID_CHARS),
}

#: A negative LAT,LON pair such as ``-33.86,151.21``, or a negative number argparse does not
#: know for one (``-inf``, ``-1e5``): argparse would take either for a flag.
_NEGATIVE_PAIR = re.compile(
    r"^-\d+(\.\d*)?,\s*-?\d+(\.\d*)?$|^-(inf|infinity|nan)$|^-\d*\.?\d+e[-+]?\d+$", re.I
)


def join_negative_pairs(argv: Sequence[str]) -> list[str]:
    """Write ``--depot -33.86,151.21`` as ``--depot=-33.86,151.21`` (and ``--wait -inf`` as
    ``--wait=-inf``) so argparse reads the value as a value, to be checked like any other."""
    out: list[str] = []
    for token in argv:
        if out and _NEGATIVE_PAIR.match(token) and out[-1].startswith("--") and "=" not in out[-1]:
            out[-1] = f"{out[-1]}={token}"
        else:
            out.append(token)
    return out


def check_args(args: argparse.Namespace) -> None:
    """Refuse any flag value out of its range, every problem at once.

    Raises
    ------
    InputError
        Naming each flag, its value and the range.
    """
    problems: list[Issue] = []
    for dest, bound in BOUNDS.items():
        value = getattr(args, dest, None)
        if isinstance(value, int | float) and not isinstance(value, bool):
            issue = bound.check(value)
            if issue is not None:
                problems.append(issue)
    problems += _check_texts(args)
    problems += _check_paths(args)
    if args.command == "skips" and getattr(args, "first", None):
        problems += _check_simulated_days(args.first, args.days)
    problems += _check_environment()
    if problems:
        raise InputError(problems)


def _check_environment() -> list[Issue]:
    """The settings paperroute reads from the environment (the work model)."""
    from route.solver import speed

    try:
        speed.model()
    except InputError as e:
        return list(e.issues)
    return []


def _check_texts(args: argparse.Namespace) -> list[Issue]:
    out: list[Issue] = []
    for dest, (flag, longest) in TEXTS.items():
        text = getattr(args, dest, None)
        if not isinstance(text, str):
            continue
        if len(text) > longest:
            shown = text[:40] + "..."
            out.append(Issue(flag, f"longer than {longest:,} characters", "shorten it",
                             value=shown))  # fmt: skip
        elif not text.isprintable():
            out.append(Issue(flag, "holds control characters (terminal escape codes?)",
                             "write plain text", value=text))  # fmt: skip
    return out


def _check_paths(args: argparse.Namespace) -> list[Issue]:
    out: list[Issue] = []
    workspace = getattr(args, "workspace", None) if args.command != "demo" else args.out
    flag = "--out" if args.command == "demo" else "WORKSPACE"
    if isinstance(workspace, Path) and workspace.exists() and not workspace.is_dir():
        out.append(
            Issue(
                flag,
                "is a file, not a folder",
                "give a folder for the workspace (a new one for init)",
                value=str(workspace),
            )
        )
    output = getattr(args, "output", None)
    # ``export -o`` takes a folder; every other ``-o`` a file.
    if isinstance(output, Path) and output.is_dir() and args.command != "export":
        out.append(
            Issue("--output", "is a folder", "give a file name, e.g. map.html", value=str(output))
        )
    return out


def _check_simulated_days(first: str, days: int) -> list[Issue]:
    """The simulated days, and the week of arrival times from ``first``, within the calendar."""
    try:
        start = date.fromisoformat(first)
    except ValueError:
        return []  # refused by the command with its own message
    span = max(days, 7) if isinstance(days, int) else 7
    if (date.max - start).days < span - 1:
        latest = date.max - timedelta(days=span - 1)
        return [
            Issue(
                "--from",
                f"the {span} days from this date run past the calendar's last day, {date.max}",
                f"start on {latest} or earlier",
                value=first,
            )
        ]
    return []
