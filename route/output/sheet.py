"""Printable route sheets (HTML and CSV), in route-book order.

One row per stop: sequence, planned time, who and where, the delivery spot and its
instructions, the day's action and reason (for a day's sheet), hazards, and navigation links to
the curb point (see :mod:`route.output.nav`). The HTML is one self-contained, well-formed page
(XHTML syntax, so an XML parser reads it): print CSS that fits A4 and Letter with the header
repeated on every page and each carrier on a page of their own, a tick box per stop, and a card
layout on narrow phone screens. :mod:`route.output.pdf` prints it to PDF.
"""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from route.constants import OSM_CREDIT
from route.io.dayrecord import DayLike, as_record, day_stops
from route.model.day import ACTIONS
from route.model.routebook import RouteBook, Stop, subscribers_by_id
from route.model.subscriber import Subscriber, format_clock
from route.output.nav import NavLink, links_html, stop_links

__all__ = [
    "SheetRow",
    "sheet_csv",
    "sheet_html",
    "sheet_rows",
    "sheet_totals",
    "spreadsheet_safe",
]

_ACTION_LABELS = {
    "deliver": "deliver",
    "deliver_substitute": "substitute",
    "redeliver": "redeliver",
    "short": "short",
    "skip": "skip",
}


@dataclass(frozen=True, slots=True)
class SheetRow:
    """One stop of a route sheet (all text, as printed)."""

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
        A day shaped as ``day.json``; its actions, products, spots and reasons fill the rows.
    usual
        Per subscriber id, the earliest and latest arrival (seconds after midnight) over a
        week of schedules, shown as the stop's usual time when they differ.
    nav
        Navigation links on every row: ``osm`` (a ``geo:`` link and OpenStreetMap directions
        from the previous stop) or ``google`` (Google Maps as well); see
        :func:`route.output.nav.nav_links`.

    Raises
    ------
    InputError
        If a routed subscriber is missing, or the day does not match the route book.
    """
    day = None if day is None else as_record(day)
    subs = subscribers_by_id(book, subscribers)
    entries: list[tuple[int, Stop, Mapping[str, Any] | None]]
    if day is None:
        entries = [(r.carrier, s, None) for r in book.routes for s in r.stops]
    else:
        entries = list(day_stops(book, day))
    rows = []
    all_links = stop_links(book, entries, subs, nav)
    for (carrier, stop, ds), links in zip(entries, all_links, strict=True):
        sub = subs[stop.subscriber_id]
        spot, instructions, product = sub.spot.kind, sub.spot.instructions, sub.product
        action = reason = ""
        if ds is not None:
            spot = str(ds.get("spot") or spot)
            instructions = str(ds.get("instructions") or instructions)
            product = str(ds.get("product") or product)
            action, reason = _ACTION_LABELS[str(ds["action"])], str(ds.get("reason") or "")
        if sub.quantity != 1:
            product = f"{product} ×{sub.quantity}"
        window = ""
        if sub.earliest is not None or sub.latest is not None:
            window = f"{format_clock(sub.earliest) or '…'}–{format_clock(sub.latest) or '…'}"
        rows.append(SheetRow(
            carrier=carrier, seq=stop.seq, time=format_clock(stop.arrival_s), id=sub.id,
            name=sub.name, address=sub.address, spot=spot.replace("_", " "),
            instructions=instructions,
            rain="" if not sub.spot.rain else
            ("bag it" if sub.spot.rain == "bag" else sub.spot.rain.replace("_", " ")),
            window=window, product=product, action=action, reason=reason, hazard=sub.hazard,
            walk_in_m=stop.walk_in_m, usual=_usual((usual or {}).get(sub.id)),
            curb_lat=round(stop.curb_lat, 6), curb_lon=round(stop.curb_lon, 6), links=links,
        ))  # fmt: skip
    return rows


def _usual(span: tuple[int, int] | None) -> str:
    if span is None or format_clock(span[0]) == format_clock(span[1]):
        return ""
    return f"{format_clock(span[0])}–{format_clock(span[1])}"


def sheet_totals(
    book: RouteBook, rows: Sequence[SheetRow], day: DayLike | None = None
) -> list[tuple[str, str]]:
    """The totals printed under the sheet, as (label, value) pairs."""
    day = None if day is None else as_record(day)
    out = [
        ("Stops", f"{len(rows):,}"),
        ("Street distance", f"{book.distance_m / 1000:.2f} km"),
        ("Duration", _hm(book.duration_s)),
        ("At the spots (walk-ins)", f"{_hm(book.walk_in_s)}, {book.walk_in_m:,} m"),
    ]
    if day is not None:
        counts = {a: 0 for a in _ACTION_LABELS.values()}
        for r in rows:
            counts[r.action] += 1
        out += [(label.capitalize(), str(counts[label]))
                for a in ACTIONS if (label := _ACTION_LABELS[a])]  # fmt: skip
        totals = day.get("totals") or {}
        if "credits" in totals:
            out.append(("Credits", str(totals["credits"])))
        supply = day.get("supply") or {}
        if supply:
            out.append(("Supply", ", ".join(f"{k} {v}" for k, v in supply.items())))
        if day.get("weather"):
            out.append(("Weather", str(day["weather"])))
    return out


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


_CSS = """
*{box-sizing:border-box}
body{font:10.5pt/1.35 system-ui,"DejaVu Sans",Arial,sans-serif;color:#1f2328;margin:16px}
h1{font-size:15pt;margin:0 0 2px}
.sub{color:#57606a;margin:0 0 10px}
table.stops{width:100%;border-collapse:collapse}
.stops th{text-align:left;font-size:9pt;color:#57606a;border-bottom:2px solid #1f2328;
 padding:3px 4px}
.stops td{border-bottom:1px solid #d0d7de;padding:4px;vertical-align:top}
.stops tr.stop:nth-child(even) td{background:#f6f8fa}
.seq{font-weight:700;text-align:right;width:2.5em}
.time{font-variant-numeric:tabular-nums;width:3.5em}
.who b{display:block}
.spot b{text-transform:capitalize}
.note{color:#57606a;font-size:9pt}
.hazard{color:#9a6700;font-weight:600}
.tick{width:1.6em}
.tick span{display:inline-block;width:13px;height:13px;border:1.5px solid #57606a;border-radius:2px}
.act{display:inline-block;border-radius:3px;padding:0 5px;color:#fff;font-weight:600;font-size:9pt}
.act-deliver{background:#2da44e}.act-substitute{background:#e16f24}
.act-redeliver{background:#8250df}.act-short{background:#cf222e}.act-skip{background:#8c959f}
tr.skip td{color:#8c959f}
table.totals{border-collapse:collapse;margin-top:12px}
.totals td{padding:1px 12px 1px 0}
.totals td.n{text-align:right;font-variant-numeric:tabular-nums}
footer{margin-top:10px;color:#57606a;font-size:8.5pt}
.nav{font-size:9pt;margin-top:2px}
.nav a{color:#0969da;text-decoration:none;white-space:nowrap}
.stops tr.carrier-row{display:none}
h2{font-size:12pt;margin:14px 0 4px}
@page{size:auto;margin:12mm 10mm}
@media print{
 body{margin:0;font-size:9.5pt}
 thead{display:table-header-group}
 tr{break-inside:avoid}
 .stops tr.stop:nth-child(even) td{background:none}
 section.carrier+section.carrier{break-before:page}
 section.carrier h2{display:none}
 .stops tr.carrier-row{display:table-row}
 .stops tr.carrier-row th{font-size:12pt;color:#1f2328;border:none;padding:0 0 4px}
 .nav{display:none}
 .act{color:#1f2328;background:none!important;border:1px solid #1f2328}
}
@media (max-width:640px){
 body{margin:8px;font-size:11pt}
 .stops thead{display:none}
 .stops,.stops tbody,.stops tr,.stops td{display:block;width:auto}
 .stops tr.stop{border:1px solid #d0d7de;border-radius:6px;margin:0 0 8px;padding:4px 6px}
 .stops td{border:none;padding:1px 0}
 .stops tr.stop:nth-child(even) td{background:none}
 .seq,.time{display:inline-block!important;text-align:left;width:auto!important;
  margin-right:8px}
 .seq::before{content:"#"}
 .tick{float:right}
 .nav{font-size:11pt;margin-top:4px}
 .nav a{display:inline-block;padding:4px 8px;margin:2px 4px 0 0;border:1px solid #0969da;
  border-radius:5px}
 .nav .sep{display:none}
}
"""


def sheet_html(
    rows: Sequence[SheetRow], title: str, totals: Sequence[tuple[str, str]] = (),
    subtitle: str = "", changes: Sequence[str] = (),
) -> str:  # fmt: skip
    """The rows as a printable, well-formed HTML page, one table per carrier.

    Every stop is a ``<tr class="stop">``; the page parses as XML. ``changes`` (the day's
    starts, last deliveries and holds, one line each) are listed at the top.
    """
    e = html.escape
    news = ""
    if changes:
        items = "".join(f"<li>{e(c)}</li>" for c in changes)
        news = f'<section class="changes"><h2>Changes today</h2><ul>{items}</ul></section>'

    with_day = any(r.action for r in rows)
    head = ["", "#", "Time", "Subscriber", "Spot and instructions"]
    head += ["Today"] if with_day else []
    head += ["Hazards"]
    columns = "<tr>" + "".join(f"<th>{e(h)}</th>" for h in head) + "</tr>"
    carriers = sorted({r.carrier for r in rows})
    sections = []
    for c in carriers:
        body = [_row_html(r, with_day) for r in rows if r.carrier == c]
        label = f"<h2>Carrier {c}</h2>" if len(carriers) > 1 else ""
        # Printed, the header rows repeat on every page: the carrier's name goes with them.
        carrier_row = (
            f'<tr class="carrier-row"><th colspan="{len(head)}">Carrier {c}</th></tr>'
            if len(carriers) > 1
            else ""
        )
        sections.append(
            f'<section class="carrier">{label}<table class="stops">'
            f"<thead>{carrier_row}{columns}</thead>"
            f"<tbody>{''.join(body)}</tbody></table></section>"
        )
    total_rows = "".join(f'<tr><td>{e(k)}</td><td class="n">{e(v)}</td></tr>' for k, v in totals)
    return (
        '<!DOCTYPE html>\n<html xmlns="http://www.w3.org/1999/xhtml" lang="en"><head>'
        '<meta charset="utf-8"/><meta name="viewport" content="width=device-width, '
        f'initial-scale=1"/><title>{e(title)}</title><style>{_CSS}</style></head><body>'
        f'<h1>{e(title)}</h1><p class="sub">{e(subtitle)}</p>{news}{"".join(sections)}'
        f'<table class="totals"><tbody>{total_rows}</tbody></table>'
        f"<footer>Street data {e(OSM_CREDIT)} (ODbL). Made with paperroute.</footer>"
        "</body></html>\n"
    )


def _row_html(r: SheetRow, with_day: bool) -> str:
    e = html.escape
    who = f"<b>{e(r.name or r.id)}</b>{e(r.address)}"
    if r.product and r.product != "paper":
        who += f'<div class="note">{e(r.product)}</div>'
    if r.links:
        who += links_html(r.links)
    spot = f"<b>{e(r.spot)}</b>" + (f": {e(r.instructions)}" if r.instructions else "")
    notes = [f"rain: {r.rain}"] if r.rain else []
    notes += [f"window {r.window}"] if r.window else []
    if notes:
        spot += f'<div class="note">{e(" · ".join(notes))}</div>'
    usual = (
        f'<div class="note" title="usual arrival over a week">{e(r.usual)}</div>' if r.usual else ""
    )
    cells = [
        '<td class="tick"><span></span></td>',
        f'<td class="seq">{r.seq}</td>',
        f'<td class="time">{e(r.time)}{usual}</td>',
        f'<td class="who">{who}</td>',
        f'<td class="spot">{spot}</td>',
    ]
    if with_day:
        today = f'<span class="act act-{e(r.action)}">{e(r.action)}</span>' if r.action else ""
        if r.reason:
            today += f'<div class="note">{e(r.reason)}</div>'
        cells.append(f'<td class="today">{today}</td>')
    hazard = f'<span class="hazard">⚠ {e(r.hazard)}</span>' if r.hazard else ""
    cells.append(f'<td class="hazards">{hazard}</td>')
    cls = "stop skip" if r.action == "skip" else "stop"
    return f'<tr class="{cls}" id="stop-{r.carrier}-{r.seq}">{"".join(cells)}</tr>'


def _hm(seconds: float) -> str:
    minutes = round(seconds / 60)
    return f"{minutes} min" if minutes < 60 else f"{minutes // 60} h {minutes % 60:02d} min"
