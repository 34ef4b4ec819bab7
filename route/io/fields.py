"""Parsing one field of user input: numbers, clock times, dates, weekdays and table files.

Shared by the subscriber and day files. Validation happens at the boundary and reports every
problem at once (file, row, column, value, fix) in one :class:`~route.errors.InputError`.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from route.constants import WEEKDAYS
from route.errors import Issue, input_error

PRODUCT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
CLOCK_PATTERN = re.compile(r"^(\d{1,2}):(\d{2})(?::00)?$")  # GeoJSON readers add ":00"

T = TypeVar("T")


def read_csv_table(path: Path) -> list[dict[str, Any]]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            rows = [dict(r) for r in reader]
            if reader.fieldnames is None:
                raise input_error(str(path), "the file is empty", "add a header row with 'id'")
    except UnicodeDecodeError as e:
        raise input_error(str(path), "the file is not UTF-8 text", "save it as UTF-8 CSV") from e
    except csv.Error as e:
        raise input_error(str(path), f"not a readable CSV ({e})", "save it as CSV") from e
    for r in rows:
        if None in r:  # more cells than headers
            r["__extra__"] = r.pop(None)
    return rows


def is_missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


class RowProblems:
    def __init__(self, source: str, row: int | None, sink: list[Issue]) -> None:
        self.source, self.row, self.sink, self.count = source, row, sink, 0

    def add(self, column: str | None, value: object, message: str, fix: str) -> None:
        self.sink.append(Issue(self.source, message, fix, self.row, column, value))
        self.count += 1

    def parse(
        self, column: str, text: str, fn: Callable[[str], T], message: str, fix: str
    ) -> T | None:
        try:
            return fn(text)
        except ValueError:
            self.add(column, text, message, fix)
            return None


def cell_text(v: Any) -> str:
    if is_missing(v):
        return ""
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return repr(v)
    return str(v).strip()


def parse_float(s: str) -> float:
    v = float(s.replace(",", ".") if s.count(",") == 1 and "." not in s else s)
    if not math.isfinite(v):
        raise ValueError(s)
    return v


def parse_whole(s: str, minimum: int = 0) -> int:
    """A whole number (written ``3`` or ``3.0``) of at least ``minimum``."""
    v = float(s)
    if not v.is_integer() or v < minimum:
        raise ValueError(s)
    return int(v)


def parse_positive_int(s: str) -> int:
    return parse_whole(s, 1)


def parse_seconds(s: str) -> float | None:
    if not s:
        return None
    v = parse_float(s)
    if v < 0:
        raise ValueError(s)
    return v


DAYS_FIX = "write daily, Mon-Sat, Sun, or a list such as Mon,Wed,Fri"
DAY_INDEX = {d.lower(): i for i, d in enumerate(WEEKDAYS)}
DAY_WORDS = {"daily": tuple(range(7)), "weekdays": tuple(range(5)), "weekends": (5, 6)}


def parse_days(text: str) -> tuple[int, ...]:
    """Parse a schedule: ``daily``, ``Mon-Sat``, ``Sun``, ``Mon,Wed,Fri`` (empty = daily).

    Raises
    ------
    ValueError
        For anything else.
    """
    t = text.strip().lower().replace(" ", "")
    if not t:
        return tuple(range(7))
    if t in DAY_WORDS:
        return DAY_WORDS[t]
    days: set[int] = set()
    for part in t.replace(";", ",").split(","):
        a, dash, b = part.partition("-")
        if a not in DAY_INDEX or (dash and b not in DAY_INDEX):
            raise ValueError(text)
        i, j = DAY_INDEX[a], DAY_INDEX[b if dash else a]
        days.update(range(i, j + 1) if i <= j else [*range(i, 7), *range(0, j + 1)])
    return tuple(sorted(days))


def parse_clock(text: str) -> int | None:
    """Parse ``HH:MM`` into seconds after midnight (empty gives ``None``).

    Raises
    ------
    ValueError
        For anything but a valid 24-hour time.
    """
    if not text:
        return None
    m = CLOCK_PATTERN.match(text.strip())
    if not m or int(m[1]) > 23 or int(m[2]) > 59:
        raise ValueError(text)
    return int(m[1]) * 3600 + int(m[2]) * 60


# -- day files: holds, complaints, supply -------------------------------------------------------


def parse_date(text: str) -> date:
    """Parse an ISO date ``YYYY-MM-DD``.

    Raises
    ------
    ValueError
        For anything else (including impossible dates such as 2024-02-30).
    """
    t = text.strip()
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", t):
        raise ValueError(text)
    return date.fromisoformat(t)
