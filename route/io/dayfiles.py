"""Reading a day's input files: holds, complaints, supply and the shortage policy.

Each reader checks every row and reports every problem at once in one
:class:`~route.errors.InputError`, naming the file, row, column, value and fix.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from pathlib import Path
from typing import Any

from route.constants import MAX_ID_CHARS, MAX_SUPPLY, MAX_TEXT_CHARS
from route.errors import InputError, Issue, input_error
from route.io.fields import (
    PRODUCT_NAME,
    RowProblems,
    cell_text,
    parse_date,
    parse_whole,
    read_csv_table,
    read_text,
)
from route.io.subscribers import PRODUCT_FIX, check_text
from route.model.day import COMPLAINT_KINDS, REDELIVER_KINDS, Complaint, Hold
from route.model.policy import Policy, parse_policy


def _day_csv(path: Path, required: tuple[str, ...], problems: list[Issue]) -> list[dict[str, Any]]:
    """Rows of a small day file, or [] with the problems noted (never raises)."""
    source = str(path)
    if not path.is_file():
        problems.append(Issue(source, "file not found", "check the path and spelling"))
        return []
    try:
        rows = read_csv_table(path)
    except InputError as e:
        problems.extend(e.issues)
        return []
    columns = {k for r in rows for k in r if not k.startswith("__")}
    missing = [c for c in required if c not in columns]
    if missing and rows:
        problems.append(
            Issue(
                source,
                f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}",
                f"use the header {','.join(required)}",
            )
        )
        return []
    for r in rows:
        if "__extra__" in r:
            problems.append(
                Issue(
                    source,
                    "the row has more cells than the header",
                    "remove them",
                    r["__row__"],
                    None,
                    r["__extra__"],
                )
            )
    return rows


def read_holds(path: str | Path, known: Collection[str], problems: list[Issue]) -> list[Hold]:
    """Read a holds file (``id,from,to``, optionally ``note``; an empty ``to`` holds until
    further notice).

    Problems (unknown ids, malformed or reversed dates) are appended to ``problems``.
    """
    path = Path(path)
    holds: list[Hold] = []
    for r in _day_csv(path, ("id", "from", "to"), problems):
        p = RowProblems(str(path), r["__row__"], problems)
        before = p.count
        sid = cell_text(r.get("id"))
        if sid not in known:
            p.add("id", sid, "unknown subscriber id", "use an id from the subscriber file")
        start = p.parse(
            "from", cell_text(r.get("from")), parse_date, "not a date", "use YYYY-MM-DD"
        )
        end_text = cell_text(r.get("to"))
        end = (
            p.parse(
                "to",
                end_text,
                parse_date,
                "not a date",
                "use YYYY-MM-DD, or leave empty for 'until further notice'",
            )
            if end_text
            else None
        )
        if start is not None and end is not None and end < start:
            p.add("to", end_text, "the hold ends before it starts", "swap 'from' and 'to'")
        if p.count == before and start is not None:
            holds.append(Hold(sid, start, end, cell_text(r.get("note"))))
    return holds


def read_complaints(
    path: str | Path,
    known: Collection[str],
    problems: list[Issue],
    held: Mapping[str, tuple[str, str]] | None = None,
) -> list[Complaint]:
    """Read a complaints file (``id,kind,note``; kind = missed, wet, damaged or wrong_spot).

    Problems (unknown ids or kinds) are appended to ``problems``. ``held`` maps the ids on hold
    that day to (what the hold is, how to end it): a missed, wet or damaged complaint from one
    of them is refused, since nothing was delivered to replace.
    """
    path = Path(path)
    out: list[Complaint] = []
    for r in _day_csv(path, ("id", "kind"), problems):
        p = RowProblems(str(path), r["__row__"], problems)
        before = p.count
        sid = cell_text(r.get("id"))
        if sid not in known:
            p.add("id", sid, "unknown subscriber id", "use an id of a subscriber on the route")
        kind = cell_text(r.get("kind")).lower().replace("-", "_").replace(" ", "_")
        if kind not in COMPLAINT_KINDS:
            p.add("kind", r.get("kind"), "unknown complaint", f"use {', '.join(COMPLAINT_KINDS)}")
        elif kind in REDELIVER_KINDS and held and sid in held:
            what, cancel = held[sid]
            p.add(
                "id",
                sid,
                f"{what}: no paper was delivered to be {kind}, so none can be redelivered",
                f"remove the row, or if they are back, end the hold first ({cancel})",
            )
        note = cell_text(r.get("note"))
        check_text(p, "note", note, limit=MAX_TEXT_CHARS, single=False)
        if p.count == before:
            out.append(Complaint(sid, kind, note))
    return out


def merge_repeated_complaints(
    complaints: Iterable[Complaint],
) -> tuple[list[Complaint], list[str]]:
    """The same complaint (subscriber and kind) given twice for a day counts once.

    Returns the complaints with repeats merged (their notes joined) and a note per repeat.
    """
    merged: dict[tuple[str, str], Complaint] = {}
    counts: dict[tuple[str, str], int] = {}
    for c in complaints:
        key = (c.subscriber_id, c.kind)
        counts[key] = counts.get(key, 0) + 1
        if key in merged:
            first = merged[key]
            notes = [n for n in (first.note, c.note) if n]
            note = "; ".join(dict.fromkeys(notes))
            merged[key] = Complaint(c.subscriber_id, c.kind, note)
        else:
            merged[key] = c
    notes = [
        f"{sid} '{kind}' is given {n} times; counted once"
        for (sid, kind), n in counts.items()
        if n > 1
    ]
    return list(merged.values()), notes


def read_supply(path: str | Path, problems: list[Issue]) -> dict[str, int]:
    """Read a supply file (``product,count``); problems are appended to ``problems``."""
    path = Path(path)
    supply: dict[str, int] = {}
    for r in _day_csv(path, ("product", "count"), problems):
        p = RowProblems(str(path), r["__row__"], problems)
        _supply_item(cell_text(r.get("product")), cell_text(r.get("count")), supply, p)
    return supply


def parse_supply_args(values: Iterable[str], source: str, problems: list[Issue]) -> dict[str, int]:
    """Parse ``PRODUCT=N`` arguments; problems are appended to ``problems``."""
    supply: dict[str, int] = {}
    for text in values:
        p = RowProblems(f"{source} {text}", None, problems)
        product, eq, count = text.partition("=")
        if not eq:
            p.add(None, text, "not PRODUCT=N", "write e.g. paper=78")
            continue
        _supply_item(product.strip(), count.strip(), supply, p)
    return supply


def _supply_item(product: str, count: str, supply: dict[str, int], p: RowProblems) -> None:
    if len(product) > MAX_ID_CHARS or not PRODUCT_NAME.match(product):
        p.add("product", product, "not a product name", PRODUCT_FIX)
        return
    n = p.parse(
        "count",
        count,
        lambda t: parse_whole(t, 0, MAX_SUPPLY),
        f"not a whole number from 0 to {MAX_SUPPLY:,} (the limit of a day's supply)",
        "write the items that arrived, e.g. 78",
    )
    if n is None:
        return
    if product in supply:
        p.add("product", product, "the product is given twice", "give each product once")
        return
    supply[product] = n


def load_policy(path: str | Path) -> Policy:
    """Read a policy file; a missing file gives the default policy.

    Raises
    ------
    InputError
        If the file is unreadable or invalid (every problem listed).
    """
    path = Path(path)
    if not path.exists():
        return Policy()
    if not path.is_file():
        raise input_error(str(path), "not a file", "give the policy's TOML file")
    return parse_policy(read_text(path), str(path))
