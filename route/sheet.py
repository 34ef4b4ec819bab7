"""Printable route sheets (HTML and CSV) in route-book order."""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Sequence

from .model import RouteBook, Subscriber, format_clock


def sheet_rows(book: RouteBook, subscribers: Sequence[Subscriber]) -> list[dict[str, str]]:
    """One row per stop, in route order."""
    subs = {s.id: s for s in subscribers}
    rows = []
    for r in book.routes:
        for stop in r.stops:
            sub = subs[stop.subscriber_id]
            rows.append(
                {
                    "carrier": str(r.carrier),
                    "seq": str(stop.seq),
                    "time": format_clock(stop.arrival_s),
                    "id": sub.id,
                    "name": sub.name,
                    "address": sub.address,
                    "spot": sub.spot.kind,
                    "instructions": sub.spot.instructions,
                    "hazard": sub.hazard,
                }
            )
    return rows


def sheet_csv(rows: list[dict[str, str]]) -> str:
    """The rows as CSV text."""
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=list(rows[0]) if rows else ["seq"])
    w.writeheader()
    w.writerows(rows)
    return out.getvalue()


def sheet_html(rows: list[dict[str, str]], title: str) -> str:
    """The rows as a printable HTML page."""
    head = "".join(f"<th>{html.escape(k)}</th>" for k in (rows[0] if rows else {}))
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in r.values()) + "</tr>" for r in rows
    )
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"</head><body><h1>{html.escape(title)}</h1><table><thead><tr>{head}</tr></thead>"
        f"<tbody>{body}</tbody></table></body></html>"
    )
