"""A stored day as maps, sheets and exports read it.

The day itself is computed elsewhere; this module reads it from the workspace's database (never
from ``day.json``, which is written from it) and checks the parts the maps and sheets rely on,
so they can be drawn from a plain mapping.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from route.errors import InputError, Issue, input_error
from route.model.day import ACTIONS, Day
from route.model.routebook import RouteBook, Stop

if TYPE_CHECKING:
    from route.io.workspace import Workspace


def day_path(workspace: str | Path, date: str) -> Path:
    """Where ``paperroute day`` writes the day of ``date`` (``YYYY-MM-DD``)."""
    return Path(workspace) / "days" / date / "day.json"


def stored_day(ws: Workspace, date: str) -> tuple[str, dict[str, Any]]:
    """The day of ``date`` as the workspace's database holds it: (ISO date, ``day.json``
    mapping). The database is the truth; the file beside it is never read.

    Raises
    ------
    InputError
        If the date is malformed or the day has not been run yet.
    """
    from route.io.fields import parse_date

    try:
        iso = parse_date(date).isoformat()
    except ValueError:
        raise input_error(
            "--date", "not a date", "write it as YYYY-MM-DD, e.g. 2024-06-03", value=date
        ) from None
    text = ws.day_json(iso)
    if text is None:
        raise input_error(
            "--date",
            f"no day run for {iso}",
            f"run paperroute day {ws.path} --date {iso} first",
            value=date,
        )
    data = json.loads(text)
    data["date"] = iso  # the key it is stored under
    return iso, data


def read_day(workspace: str | Path, date: str) -> dict[str, Any]:
    """Read the day of ``date`` from a workspace (from its database, the truth).

    Raises
    ------
    InputError
        If the date is malformed or the day has not been run yet.
    """
    from route.io.workspace import Workspace

    with Workspace.open(workspace) as ws:
        return stored_day(ws, date)[1]


DayLike = Day | Mapping[str, Any]


def as_record(day: DayLike) -> Mapping[str, Any]:
    """A day as the ``day.json`` mapping that maps, sheets and exports draw from.

    Takes what :func:`route.run_day` returns or what :func:`read_day` reads.
    """
    return day.to_dict() if isinstance(day, Day) else day


def day_stops(
    book: RouteBook, day: DayLike, source: str = "day.json"
) -> list[tuple[int, Stop, Mapping[str, Any]]]:
    """Pair each of the day's stops with its route-book stop, in the day's order.

    Returns
    -------
    list of (carrier, Stop, day stop)

    Raises
    ------
    InputError
        Listing every day stop whose id is not in the route book, whose action is unknown, or
        a day that has no ``stops`` list.
    """
    stops = as_record(day).get("stops")
    if not isinstance(stops, list):
        raise input_error(source, "no 'stops' list", "run paperroute day again")
    out: list[tuple[int, Stop, Mapping[str, Any]]] = []
    problems: list[Issue] = []
    for i, ds in enumerate(stops, start=1):
        sid = str(ds.get("id", "")) if isinstance(ds, Mapping) else ""
        found = book.stop_of(sid) if sid else None
        if found is None:
            problems.append(
                Issue(
                    source,
                    f"stop {i} is not in route book {book.version}",
                    "run paperroute day again for this route book",
                    row=i,
                    column="id",
                    value=sid,
                )
            )
            continue
        if ds.get("action") not in ACTIONS:
            problems.append(
                Issue(
                    source,
                    "unknown action",
                    f"one of: {', '.join(ACTIONS)}",
                    row=i,
                    column="action",
                    value=ds.get("action"),
                )
            )
            continue
        out.append((found[0], found[1], ds))
    if problems:
        raise InputError(problems)
    return out
