"""Parsing one field of user input: numbers, clock times, dates, weekdays and table files.

Shared by the subscriber and day files. Validation happens at the boundary and reports every
problem at once (file, row, column, value, fix) in one :class:`~route.errors.InputError`.
"""

from __future__ import annotations

import codecs
import csv
import io
import math
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from route.constants import MAX_CARRIERS, MAX_FILE_BYTES, MAX_OUTSIDE_NETWORK_M, MAX_ROWS, WEEKDAYS
from route.errors import InputError, Issue, input_error
from route.model.extent import Extent

PRODUCT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
CLOCK_PATTERN = re.compile(r"^(\d{1,2}):(\d{2})(?::00)?$")  # GeoJSON readers add ":00"

T = TypeVar("T")


#: Delimiters a table file may use; the header line decides (Excel in many locales writes ';').
DELIMITERS = (",", ";", "\t")


def check_size(path: Path) -> None:
    """Refuse a file larger than :data:`~route.constants.MAX_FILE_BYTES`.

    Raises
    ------
    InputError
        Naming the file, its size and the limit.
    """
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise input_error(
            str(path),
            f"the file is {size / 2**20:,.1f} MB, more than the limit of "
            f"{MAX_FILE_BYTES / 2**20:,.0f} MB",
            "split it into smaller files",
            value=f"{size} bytes",
        )


def read_text(path: Path) -> str:
    """A text file's content: UTF-8 (with or without a byte-order mark) or UTF-16 with one.

    Raises
    ------
    InputError
        For a file over the size limit, or bytes that are not text, naming the row.
    """
    check_size(path)
    data = path.read_bytes()
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"  # Excel's "Unicode text"
    else:
        encoding = "utf-8-sig"
    nul = data.find(b"\0") if encoding != "utf-16" else -1
    if nul >= 0:
        raise input_error(
            str(path),
            "the file holds NUL bytes: it is not text, or UTF-16 without a byte-order mark",
            "save it as UTF-8 (in Excel: 'CSV UTF-8')",
            row=data[:nul].count(b"\n") + 1,
        )
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as e:
        row = data[: e.start].count(b"\n") + 1
        begin = data.rfind(b"\n", 0, e.start) + 1
        line = data[begin : data.find(b"\n", e.start) % (len(data) + 1)]
        raise input_error(
            str(path),
            f"the file is not {'UTF-16' if encoding == 'utf-16' else 'UTF-8'} text "
            f"(byte 0x{data[e.start]:02x} on this row)",
            "save it as UTF-8 (in Excel: 'CSV UTF-8')",
            row=row,
            value=line[:80].decode("utf-8", "replace").rstrip("\r"),
        ) from e


def _delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","


def read_csv_table(path: Path) -> list[dict[str, Any]]:
    """Rows of a CSV file as ``{column: text}``, every problem with the file's layout at once.

    Column names are matched without case or surrounding spaces. A row carries its 1-based row
    number (the header is row 1) under ``__row__``, and cells beyond the header under
    ``__extra__``; blank rows are skipped but counted, so row numbers match a spreadsheet's.

    Raises
    ------
    InputError
        For an empty file, a file over the size or row limits, bytes that are not text, an
        unreadable row, or a header with a column named twice or a nameless column in use.
    """
    source = str(path)
    text = read_text(path)
    if not text.strip():
        raise input_error(source, "the file is empty", "add a header row with 'id'")
    delimiter = _delimiter(text.split("\n", 1)[0])
    # strict: a quote left open, or text after a closing quote, is an error with its row, not a
    # cell that silently swallows the rows after it.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    records: list[tuple[int, list[str]]] = []
    rowno = 0
    try:
        for record in reader:
            rowno += 1
            if rowno > MAX_ROWS + 1:
                raise input_error(
                    source,
                    f"more than {MAX_ROWS:,} rows",
                    f"split the file into files of at most {MAX_ROWS:,} rows",
                    row=rowno,
                )
            records.append((rowno, record))
    except csv.Error as e:
        raise input_error(
            source, f"the row cannot be read as CSV ({e})", "save the file as CSV", row=rowno + 1
        ) from e
    while records and not any(c.strip() for c in records[0][1]):
        records.pop(0)  # blank lines above the header
    if not records:
        raise input_error(source, "the file is empty", "add a header row with 'id'")
    header_row, header = records[0]
    names = [h.strip().lower() for h in header]
    problems: list[Issue] = []
    first_at: dict[str, int] = {}
    for k, name in enumerate(names):
        if not name:
            used = any(k < len(r) and r[k].strip() for _, r in records[1:])
            if used:
                problems.append(
                    Issue(
                        source,
                        f"column {k + 1} has values but no name",
                        "give the column a name in the header, or delete it",
                        header_row,
                        f"#{k + 1}",
                        header[k],
                    )
                )
        elif name in first_at:
            problems.append(
                Issue(
                    source,
                    f"the column appears twice (columns {first_at[name] + 1} and {k + 1})",
                    "keep one of the two columns",
                    header_row,
                    name,
                    header[k],
                )
            )
        else:
            first_at[name] = k
    if problems:
        raise InputError(problems)
    rows: list[dict[str, Any]] = []
    for number, record in records[1:]:
        if not any(c.strip() for c in record):
            continue  # a blank row, or one of empty cells only
        row: dict[str, Any] = {
            name: record[k] if k < len(record) else "" for name, k in first_at.items()
        }
        extra = [c for c in record[len(names) :] if c.strip()]
        if extra:
            row["__extra__"] = extra
        row["__row__"] = number
        rows.append(row)
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


#: A decimal number as people write it: ``60.1699``, ``60,1699`` (a decimal comma), ``-3``,
#: ``1e3``. Not ``nan``, ``inf``, ``1_000`` or other digits that ``float`` would take.
NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$")


def parse_float(s: str) -> float:
    """A finite decimal number; a single comma is read as the decimal point."""
    t = s.strip()
    if not NUMBER.match(t) or ("," in t and "." in t):
        raise ValueError(s)
    v = float(t.replace(",", "."))
    if not math.isfinite(v):
        raise ValueError(s)
    return v


def parse_whole(s: str, minimum: int = 0, maximum: int | None = None) -> int:
    """A whole number (written ``3`` or ``3.0``) from ``minimum`` to ``maximum``."""
    v = parse_float(s)
    if not v.is_integer() or v < minimum or (maximum is not None and v > maximum):
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


def _optional_number(text: str) -> int | None:
    return parse_whole(text, 1, MAX_CARRIERS) if text else None


def _district_number(text: str) -> int | None:
    # "D03", "d3" and "3" all name the third district.
    t = text.strip()
    if t[:1] in ("D", "d"):
        t = t[1:]
    if (text.strip() and not t) or (t and not t.isdigit()):
        raise ValueError(text)
    return _optional_number(t)


def parse_fixed_district(c: dict[str, str], p: RowProblems) -> tuple[int | None, int | None]:
    """A subscriber row's ``carrier`` (a number) and ``district`` (``D03``, ``d3`` or ``3``),
    each ``None`` when empty; a problem added to ``p`` for a bad value or a disagreement
    (district i is carrier i's territory)."""
    carrier = p.parse(
        "carrier",
        c.get("carrier", ""),
        _optional_number,
        "not a carrier number",
        "write the carrier's number (1 for the first route), or leave it empty",
    )
    district = p.parse(
        "district",
        c.get("district", ""),
        _district_number,
        "not a district name",
        "write a district as 'districts' lists it (D01, D02, ...), or leave it empty",
    )
    if carrier is not None and district is not None and carrier != district:
        p.add(
            "district",
            f"carrier {c.get('carrier')}, district {c.get('district')}",
            "the carrier and the district disagree (district i is carrier i's territory)",
            "give one of the two, or make them the same",
        )
    return carrier, district


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


def near_network(
    extent: Extent, lat: float, lon: float, lat_col: str, lat_s: str, lon_s: str, p: RowProblems
) -> bool:
    """Whether a point lies within reach of the street network; a problem added to ``p`` if not
    (a swapped latitude and longitude recognised)."""
    outside = extent.outside_m(lat, lon)
    if outside <= MAX_OUTSIDE_NETWORK_M:
        return True
    swapped = abs(lon) <= 90 and extent.outside_m(lon, lat) <= MAX_OUTSIDE_NETWORK_M
    where = f"{outside / 1000:,.0f} km outside the street network's area"
    if swapped:
        p.add(
            lat_col,
            f"{lat_s}, {lon_s}",
            f"{where}; latitude and longitude look swapped: did you mean {lon_s}, {lat_s}?",
            f"swap the values: latitude {lon_s}, longitude {lat_s}",
        )
    else:
        p.add(
            lat_col,
            f"{lat_s}, {lon_s}",
            f"{where} (more than {MAX_OUTSIDE_NETWORK_M / 1000:,.0f} km: a data error)",
            "check the coordinates, or use a workspace on a street network that covers them",
        )
    return False
