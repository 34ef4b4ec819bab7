"""The ledger report as a person reads it (aligned tables) and as a spreadsheet reads it (CSV).

The CSV has one row per subscriber, per day and per day and carrier, told apart by its first
column, ``table`` (``subscriber``, ``day``, ``carrier``), with a ``pieces_PRODUCT`` column per
product.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence

from route.day.ledger import CarrierLine, LedgerReport


def _table(
    rows: Sequence[Sequence[str]], right: int = 1, left: frozenset[int] = frozenset()
) -> list[str]:
    """Rows as aligned text; columns from ``right`` on are right-aligned (numbers), except
    those in ``left``."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = []
    for r in rows:
        cells = [
            c.rjust(w) if i >= right and i not in left else c.ljust(w)
            for i, (c, w) in enumerate(zip(r, widths, strict=True))
        ]
        out.append("  " + "  ".join(cells).rstrip())
    return out


def _pieces(p: Mapping[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(p.items())) or "0"


def _money(x: float | None, currency: str) -> str:
    if x is None:
        return ""
    return f"{x:,.2f}" + (f" {currency}" if currency else "")


def ledger_text(report: LedgerReport, names: Mapping[str, str] | None = None) -> str:
    """The report as aligned tables."""
    names = names or {}
    span = f"{report.first or 'the first day'} to {report.last or 'the last day'}"
    lines = [f"Ledger from {span}: {len(report.days)} day(s) run"]
    if report.subscribers:
        subs: list[tuple[str, ...]] = [("id", "name", "deliveries", "credits", "shortages",
                 "substitutions", "redeliveries", "complaints")]  # fmt: skip
        total = [0] * 6
        for s in report.subscribers:
            figures = [s.deliveries, s.credits, s.shortages, s.substitutions, s.redeliveries,
                       s.complaints]  # fmt: skip
            total = [a + b for a, b in zip(total, figures, strict=True)]
            subs.append((s.id, names.get(s.id, "")[:28], *map(str, figures)))
        subs.append(("total", "", *map(str, total)))
        lines += ["", "Per subscriber:", *_table(subs, right=2)]
    else:
        lines += ["", "Per subscriber: nothing recorded."]
    if report.repeated_complaints:
        lines.append(
            f"  ({report.repeated_complaints} complaint(s) given twice for a subscriber on "
            "one day, counted once)"
        )
    if report.events:
        events: list[tuple[str, ...]] = [("date", "id", "what")]
        events += [(e.date, e.id, e.text) for e in report.events]
        lines += ["", "Ledger lines:", *_table(events, right=9)]
    if report.days:
        rows: list[tuple[str, ...]] = [("date", "version", "delivered", "substituted",
                 "skipped", "shorted", "redelivered", "credits", "complaints",
                 "per 1,000")]  # fmt: skip
        for d in report.days:
            per = "" if d.per_1000 is None else f"{d.per_1000:.1f}"
            rows.append((d.date, str(d.route_version), str(d.delivered), str(d.substituted),
                         str(d.skipped), str(d.shorted), str(d.redelivered), str(d.credits),
                         str(d.complaints), per))  # fmt: skip
        delivered = sum(d.deliveries for d in report.days)
        complaints = sum(d.complaints for d in report.days)
        per = f"{1000 * complaints / delivered:.1f}" if delivered else ""
        rows.append(("total", "", str(sum(d.delivered for d in report.days)),
                     str(sum(d.substituted for d in report.days)),
                     str(sum(d.skipped for d in report.days)),
                     str(sum(d.shorted for d in report.days)),
                     str(sum(d.redelivered for d in report.days)),
                     str(sum(d.credits for d in report.days)), str(complaints), per))  # fmt: skip
        lines += ["", "Per day:", *_table(rows)]
    if report.carriers:
        lines += ["", "Carriers per day (stops, pieces, km and hours: what pay is computed from):"]
        lines += _table(_carrier_rows(report.carriers, report.rates), 2, frozenset({3}))
        if not report.rates:
            lines.append("  (no pay rates set: paperroute rates WORKSPACE --per-piece 0.12 ...)")
    return "\n".join(lines)


def _carrier_rows(
    carriers: Sequence[CarrierLine], rates: Mapping[str, object]
) -> list[tuple[str, ...]]:
    currency = str(rates.get("currency") or "")
    head = ("date", "carrier", "stops", "pieces", "km", "hours") + (("pay",) if rates else ())
    rows: list[tuple[str, ...]] = [head]
    for c in carriers:
        row = (c.date, str(c.carrier), str(c.stops), _pieces(c.pieces),
               "" if c.km is None else f"{c.km:.2f}",
               "" if c.hours is None else f"{c.hours:.2f}")  # fmt: skip
        rows.append(row + ((_money(c.pay, currency),) if rates else ()))
    pieces: dict[str, int] = {}
    for c in carriers:
        for p, n in c.pieces.items():
            pieces[p] = pieces.get(p, 0) + n
    km = sum(c.km or 0 for c in carriers)
    hours = sum(c.hours or 0 for c in carriers)
    total = ("total", "", str(sum(c.stops for c in carriers)), _pieces(pieces), f"{km:.2f}",
             f"{hours:.2f}")  # fmt: skip
    pay = sum(c.pay or 0 for c in carriers)
    rows.append(total + ((_money(pay, currency),) if rates else ()))
    return rows


CSV_COLUMNS = (
    "table", "date", "carrier", "id", "name", "route_version", "deliveries", "delivered",
    "substituted", "skipped", "shorted", "short_units", "redelivered", "credits",
    "substitutions", "redeliveries", "complaints", "complaints_per_1000", "stops", "km",
    "hours", "distance_m", "duration_s", "pay",
)  # fmt: skip


def ledger_csv(report: LedgerReport, names: Mapping[str, str] | None = None) -> str:
    """The report as CSV text (see the module docstring)."""
    names = names or {}
    products = sorted({p for c in report.carriers for p in c.pieces})
    columns = [*CSV_COLUMNS, *(f"pieces_{p}" for p in products)]
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=columns, lineterminator="\n", restval="")
    w.writeheader()
    for s in report.subscribers:
        w.writerow({
            "table": "subscriber", "id": s.id, "name": names.get(s.id, ""),
            "deliveries": s.deliveries, "credits": s.credits, "shorted": s.shortages,
            "short_units": s.short_units, "substitutions": s.substitutions,
            "redeliveries": s.redeliveries, "complaints": s.complaints,
        })  # fmt: skip
    for d in report.days:
        w.writerow({
            "table": "day", "date": d.date, "route_version": d.route_version,
            "deliveries": d.deliveries, "delivered": d.delivered, "substituted": d.substituted,
            "skipped": d.skipped, "shorted": d.shorted, "redelivered": d.redelivered,
            "credits": d.credits, "complaints": d.complaints,
            "complaints_per_1000": "" if d.per_1000 is None else f"{d.per_1000:.2f}",
        })  # fmt: skip
    for c in report.carriers:
        w.writerow({
            "table": "carrier", "date": c.date, "carrier": c.carrier,
            "deliveries": c.deliveries, "redeliveries": c.redeliveries, "stops": c.stops,
            "km": "" if c.km is None else f"{c.km:.3f}",
            "hours": "" if c.hours is None else f"{c.hours:.3f}",
            "distance_m": "" if c.distance_m is None else c.distance_m,
            "duration_s": "" if c.duration_s is None else c.duration_s,
            "pay": "" if c.pay is None else f"{c.pay:.2f}",
            **{f"pieces_{p}": c.pieces.get(p, 0) for p in products},
        })  # fmt: skip
    return out.getvalue()
