"""Route sheets: what a carrier carries, as rows (CSV) and as a page (:mod:`.sheet_page`).

A plan's sheet lists every stop in route-book order with its planned time, any wait for a
window, the usual arrival over the week, the subscriber's days, the spot and its rain rule, and
hazards. A day's sheet is the day as it really is: per carrier, the totals of that day (stops,
the bag load per product, km, leaving and back), the morning visits with that day's arrival
times, the catch-up pass with the late bundle as its own list in route order, and the stops
passed by that day collapsed into one line per reason. The day's changes come first. Every
row carries navigation links to the curb point (see :mod:`route.output.nav`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from route.day.summary import carrier_facts, late_facts, leave_later_note
from route.io.dayrecord import DayLike, as_record, day_stops
from route.model.day import ACTIONS, VISITED, CarrierDay
from route.model.routebook import RouteBook, Stop, subscribers_by_id
from route.model.subscriber import Subscriber, format_clock, format_duration, format_km
from route.output.nav import NavLink, stop_links
from route.output.style import window_ends, window_label
from route.routebook.timing import plan_carriers, route_waits

__all__ = [
    "CarrierSheet",
    "Sheet",
    "SheetRow",
    "route_sheet",
    "sheet_csv",
    "sheet_rows",
    "spreadsheet_safe",
]

ACTION_LABELS = {
    "deliver": "deliver",
    "deliver_substitute": "substitute",
    "redeliver": "redeliver",
    "short": "short",
    "skip": "skip",
}


@dataclass(frozen=True, slots=True)
class SheetRow:
    """One stop of a route sheet (all text, as printed).

    ``time`` is the planned arrival (that day's, on a day's sheet; empty for a stop passed
    by), ``wait_s`` the wait there for the window to open, ``usual`` the spread of arrivals
    over the week, ``late`` a stop of the catch-up pass, ``group`` why a stop is passed by,
    ``links`` the navigation links to the curb point.
    """

    carrier: int
    seq: int
    time: str
    id: str
    name: str
    address: str
    spot: str
    instructions: str
    rain: str
    window: str
    product: str
    action: str
    reason: str
    hazard: str
    walk_in_m: int
    usual: str = ""
    days: str = ""
    wait_s: int = 0
    late: bool = False
    group: str = ""
    after_window: bool = False
    curb_lat: float = 0.0
    curb_lon: float = 0.0
    links: tuple[NavLink, ...] = ()


def sheet_rows(
    book: RouteBook,
    subscribers: Sequence[Subscriber],
    day: DayLike | None = None,
    usual: Mapping[str, tuple[int, int]] | None = None,
    nav: str = "osm",
) -> list[SheetRow]:
    """One row per stop, in route-book order (the day's order when a day is given).

    Parameters
    ----------
    book
        The route book (for a day, the version it ran on).
    subscribers
        At least every subscriber in the book.
    day
        A day (:class:`route.Day` or its ``day.json``); its actions, products, spots, reasons
        and arrival times fill the rows.
    usual
        Per subscriber id, the earliest and latest arrival (seconds after midnight) over a
        week of schedules, shown as the stop's usual arrival when they differ.
    nav
        Navigation links on every row: ``osm`` (a ``geo:`` link and OpenStreetMap directions
        from the previous stop) or ``google`` (Google Maps as well); see
        :func:`route.output.nav.nav_links`.

    Raises
    ------
    InputError
        If a routed subscriber is missing, or the day does not match the route book.
    """
    record = None if day is None else as_record(day)
    subs = subscribers_by_id(book, subscribers)
    entries: list[tuple[int, Stop, Mapping[str, Any] | None]]
    if record is None:
        entries = [(r.carrier, s, None) for r in book.routes for s in r.stops]
        waits = {
            s.subscriber_id: w
            for r in book.routes
            for s, (_, w) in zip(r.stops, route_waits(r.stops, book.start_s), strict=True)
        }
    else:
        entries = list(day_stops(book, record))
    rows = []
    all_links = stop_links(book, entries, subs, nav)
    for (carrier, stop, ds), links in zip(entries, all_links, strict=True):
        sub = subs[stop.subscriber_id]
        spot, instructions, product = sub.spot.kind, sub.spot.instructions, sub.product
        action = reason = group = ""
        time, wait, late = format_clock(stop.arrival_s), 0, False
        rain = "bag it" if sub.spot.rain == "bag" else sub.spot.rain.replace("_", " ")
        if ds is None:
            wait = waits[sub.id]
        else:
            spot = str(ds.get("spot") or spot)
            # The day's own instructions, even none: today's may be for another spot.
            instructions = str(ds.get("instructions", instructions))
            product = str(ds.get("product") or product)
            action, reason = ACTION_LABELS[str(ds["action"])], str(ds.get("reason") or "")
            time, wait = str(ds.get("arrival") or ""), int(ds.get("wait_s") or 0)
            late = bool(ds.get("late"))
            if ds["action"] not in VISITED:
                time, group = "", _group(str(ds["action"]), reason)
            elif "arrival" not in ds:  # a day.json from before the day's own times
                time = format_clock(stop.arrival_s)
            # The day's instructions already say what the weather asks: not twice.
            rain = ""
        if sub.quantity != 1:
            product = f"{product} ×{sub.quantity}"
        # The window the day was run with, not today's.
        window, latest = window_label(sub, ds), window_ends(sub, ds)[1]
        after = bool(time) and bool(latest) and time > latest
        rows.append(SheetRow(
            carrier=carrier, seq=stop.seq, time=time, id=sub.id, name=sub.name,
            address=sub.address, spot=spot.replace("_", " "), instructions=instructions,
            rain=rain, window=window, product=product, action=action, reason=reason,
            hazard=sub.hazard, walk_in_m=stop.walk_in_m, usual=_usual((usual or {}).get(sub.id)),
            days=sub.schedule, wait_s=wait, late=late, group=group, after_window=after,
            curb_lat=round(stop.curb_lat, 6), curb_lon=round(stop.curb_lon, 6), links=links,
        ))  # fmt: skip
    return rows


def _usual(span: tuple[int, int] | None) -> str:
    if span is None or format_clock(span[0]) == format_clock(span[1]):
        return ""
    return f"{format_clock(span[0])}–{format_clock(span[1])}"


def _group(action: str, reason: str) -> str:
    """Why a stop is passed by, without the details that differ from stop to stop."""
    if action == "short":
        return "Short today: no copy"
    text = reason.split(";")[0].strip()
    if text.startswith("not scheduled on "):
        return "Not scheduled on " + text.removeprefix("not scheduled on ").split(" (")[0]
    if text.startswith("on hold"):
        return "On hold"
    return (text[:1].upper() + text[1:]) or "Skipped"


def sheet_csv(rows: Sequence[SheetRow]) -> str:
    """The rows as CSV text (a header row, then one row per stop), safe to open in a spreadsheet.

    The navigation links are columns named by their kind (``geo``, ``osm``, ``google``). Every
    cell is quoted, and text a spreadsheet would run as a formula is neutralised (see
    :func:`spreadsheet_safe`).
    """
    out = io.StringIO()
    kinds = list(dict.fromkeys(link.kind for r in rows for link in r.links))
    names = [n for n in SheetRow.__dataclass_fields__ if n != "links"] + kinds
    w = csv.DictWriter(out, fieldnames=names, lineterminator="\n", quoting=csv.QUOTE_ALL)
    w.writeheader()
    for r in rows:
        record = asdict(r)
        del record["links"]
        record |= {link.kind: link.url for link in r.links}
        w.writerow({k: spreadsheet_safe(v) for k, v in record.items()})
    return out.getvalue()


#: First characters that make a spreadsheet read a cell as a formula (OWASP, "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\0")


def spreadsheet_safe(value: object) -> object:
    """A text cell that would start a formula, prefixed with ``'`` so it stays text (OWASP).

    Numbers are left as they are; so is any other text.
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


# -- the sheet as a page sees it ----------------------------------------------------------------


def _district_facts(record: Mapping[str, Any], carrier: int) -> tuple[tuple[str, str], ...]:
    """A distributor's day: the carrier's district, its bundle and shortages, first."""
    for name, d in (record.get("districts") or {}).items():
        if d.get("carrier") == carrier:
            bundle = ", ".join(f"{p} {n}" for p, n in d.get("bundle", {}).items()) or "nothing"
            return (("District", f"{name}: bundle {bundle}, {d.get('shorted', 0)} shorted"),)
    return ()


@dataclass(frozen=True, slots=True)
class CarrierSheet:
    """One carrier's section: totals, advice, and the rows in the lists a carrier works from.

    Attributes
    ----------
    facts
        ``(label, value)`` totals of the carrier's day (or the route book's all-present day).
    advice
        When to leave instead, if leaving later avoids waiting; ``""`` otherwise.
    visits
        The stops to go to, in order (on a day's sheet, the morning pass).
    late, late_facts
        The catch-up pass with the late bundle, in route order, and its totals.
    passed
        ``(reason, rows)``: the stops passed by that day, one group per reason.
    """

    carrier: int
    facts: tuple[tuple[str, str], ...]
    advice: str
    visits: tuple[SheetRow, ...]
    late: tuple[SheetRow, ...] = ()
    late_facts: tuple[tuple[str, str], ...] = ()
    passed: tuple[tuple[str, tuple[SheetRow, ...]], ...] = ()


@dataclass(frozen=True, slots=True)
class Sheet:
    """A whole route sheet, ready for :func:`route.output.sheet_page.sheet_html`; ``rows`` are
    every row in the day's order (what :func:`sheet_csv` writes)."""

    title: str
    subtitle: str
    carriers: tuple[CarrierSheet, ...]
    totals: tuple[tuple[str, str], ...]
    changes: tuple[str, ...] = ()
    notice: str = ""
    is_day: bool = False
    has_usual: bool = False
    rows: tuple[SheetRow, ...] = ()


def route_sheet(
    book: RouteBook,
    subscribers: Sequence[Subscriber],
    day: DayLike | None = None,
    usual: Mapping[str, tuple[int, int]] | None = None,
    *,
    depot_name: str | None = None,
    nav: str = "osm",
) -> Sheet:
    """Lay out a plan's or a day's sheet (see the module docstring).

    Parameters
    ----------
    book, subscribers, day, usual, nav
        As for :func:`sheet_rows`.
    depot_name
        Where the bundles are picked up (the route book's depot name by default).

    Raises
    ------
    InputError
        If a routed subscriber is missing, or the day does not match the route book.
    """
    record = None if day is None else as_record(day)
    rows = sheet_rows(book, subscribers, record, usual, nav)
    subs = {s.id: s for s in subscribers}
    depot = depot_name or book.depot.name
    if record is None:
        carriers = plan_carriers(book, subs)
        title = "Route sheet"
    else:
        carriers = tuple(CarrierDay.from_dict(c) for c in record.get("carriers") or ())
        title = f"Route sheet for {_long_date(str(record['date']))}"
    by_carrier = {c.carrier: c for c in carriers}
    sections = []
    for r in book.routes:
        mine = [row for row in rows if row.carrier == r.carrier]
        c = by_carrier.get(r.carrier)
        if record is None:
            facts = tuple(carrier_facts(c, "All items")) if c is not None else ()
            sections.append(CarrierSheet(r.carrier, facts, _advice(c), tuple(mine)))
            continue
        groups: dict[str, list[SheetRow]] = {}
        for row in mine:
            if row.group:
                groups.setdefault(row.group, []).append(row)
        late = tuple(row for row in mine if row.late and not row.group)
        sections.append(
            CarrierSheet(
                carrier=r.carrier,
                facts=_district_facts(record, r.carrier) + _facts(c),
                advice=_advice(c),
                visits=tuple(row for row in mine if not row.late and not row.group),
                late=late,
                late_facts=tuple(late_facts(c)) if c is not None and c.late_stops else (),
                passed=tuple((g, tuple(rs)) for g, rs in groups.items()),
            )
        )
    mode = f"{book.mode} · " if book.mode else ""
    subtitle = f"Route book version {book.version} · {mode}{len(book.order)} stops · from {depot}"
    if record is None:
        return Sheet(title, subtitle, tuple(sections), _plan_totals(book, carriers),
                     has_usual=bool(usual), rows=tuple(rows))  # fmt: skip
    weather = str(record.get("weather") or "clear")
    notice = ""
    if weather in ("rain", "snow"):
        notice = f"{weather.capitalize()} today: each stop's instructions say how to keep it dry."
    return Sheet(
        title,
        f"{subtitle} · weather: {weather}",
        tuple(sections),
        _day_totals(record, rows),
        changes=tuple(_change_line(ch, subs) for ch in record.get("changes") or ()),
        notice=notice,
        is_day=True,
        has_usual=bool(usual),
        rows=tuple(rows),
    )


def _facts(c: CarrierDay | None) -> tuple[tuple[str, str], ...]:
    return tuple(carrier_facts(c)) if c is not None else ()


def _advice(c: CarrierDay | None) -> str:
    return leave_later_note(c) if c is not None else ""


def _plan_totals(book: RouteBook, carriers: Sequence[CarrierDay]) -> tuple[tuple[str, str], ...]:
    waited = sum(c.wait_s for c in carriers)
    return (
        ("Stops", f"{len(book.order):,}"),
        ("Street distance", format_km(book.distance_m)),
        ("Duration", format_duration(book.duration_s)),
        ("At the spots (walk-ins)", f"{format_duration(book.walk_in_s)}, {book.walk_in_m:,} m"),
        ("Waiting for windows", format_duration(waited) if waited else "none"),
    )


def _day_totals(record: Mapping[str, Any], rows: Sequence[SheetRow]) -> tuple[tuple[str, str], ...]:
    counts = {label: 0 for label in ACTION_LABELS.values()}
    for r in rows:
        counts[r.action] += 1
    out = [(ACTION_LABELS[a].capitalize(), str(counts[ACTION_LABELS[a]])) for a in ACTIONS]
    late = sum(r.late for r in rows)
    if late:
        out.append(("Late pass", str(late)))
    totals = record.get("totals") or {}
    if "credits" in totals:
        out.append(("Credits", str(totals["credits"])))
    supply = record.get("supply") or {}
    if supply:
        out.append(("Supply", ", ".join(f"{k} {v}" for k, v in supply.items())))
    if record.get("late", {}).get("supply"):
        out.append(
            ("Late bundle", ", ".join(f"{k} {v}" for k, v in record["late"]["supply"].items()))
        )
    out.append(("Street distance", format_km(float(record["distance_m"]))))
    out.append(("Duration", format_duration(float(record["duration_s"]))))
    return tuple(out)


def _change_line(change: Mapping[str, Any], subs: Mapping[str, Subscriber]) -> str:
    """One of the day's changes as a line: ``Mr North (S001): back from hold (...)``.

    A change with a ``text`` (what :func:`route.day.changes.day_changes` gives) reads as that
    text; another as its kind and details.
    """
    kind = str(change.get("kind") or "change").replace("_", " ")
    sid = str(change.get("id") or "")
    sub = subs.get(sid)
    who = f"{sub.name} ({sid})" if sub is not None and sub.name else sid
    if change.get("text"):
        return f"{who}: {change['text']}"
    details = [
        str(v)
        for k, v in change.items()
        if k not in ("kind", "id") and isinstance(v, str | int | float) and str(v)
    ]
    return f"{kind[:1].upper()}{kind[1:]}: {who}" + (f": {'; '.join(details)}" if details else "")


def _long_date(iso: str) -> str:
    from datetime import date

    try:
        d = date.fromisoformat(iso)
    except ValueError:
        return iso
    return f"{d:%A} {d.day} {d:%B %Y}"
