"""The ledger as a report: per subscriber, per day, and each carrier's record per day.

Built from the ledger's lines (cancelled runs left out: a ``void`` line cancels the line it
names) and the stored days: per subscriber the deliveries, credits, shortages, substitutions,
redeliveries and complaints; per day the totals and complaints per 1,000 deliveries; per day
and carrier the stops, pieces by product, metres and seconds, the figures piece-rate and mileage
pay are computed from, turned into pay by optional rates.

The same complaint (subscriber, kind) given twice on one day counts once; the report says how
many repeats it left out.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

#: Ledger kinds that record a complaint, and where the complaint's kind is.
_COMPLAINT_LINES = ("redeliver", "complaint", "wrong_spot")
_DELIVERED = ("deliver", "deliver_substitute")

Row = tuple[int, str, str, str, str, str]


@dataclass(frozen=True, slots=True)
class SubscriberLine:
    """One subscriber's figures over the report's days."""

    id: str
    deliveries: int = 0
    credits: int = 0
    shortages: int = 0
    short_units: int = 0
    substitutions: int = 0
    redeliveries: int = 0
    complaints: int = 0


@dataclass(frozen=True, slots=True)
class DayLine:
    """One day's totals, and its complaints per 1,000 deliveries (``None`` with none)."""

    date: str
    route_version: int
    delivered: int
    substituted: int
    skipped: int
    shorted: int
    redelivered: int
    credits: int
    complaints: int

    @property
    def deliveries(self) -> int:
        """Route stops handed a copy (delivered or substituted)."""
        return self.delivered + self.substituted

    @property
    def per_1000(self) -> float | None:
        """Complaints per 1,000 deliveries."""
        return 1000 * self.complaints / self.deliveries if self.deliveries else None


@dataclass(frozen=True, slots=True)
class CarrierLine:
    """One carrier's record of one day."""

    date: str
    carrier: int
    stops: int
    deliveries: int
    redeliveries: int
    pieces: Mapping[str, int]
    distance_m: int | None
    duration_s: int | None
    pay: float | None = None

    @property
    def km(self) -> float | None:
        """Kilometres on the streets."""
        return None if self.distance_m is None else self.distance_m / 1000

    @property
    def hours(self) -> float | None:
        """Hours of the day's run."""
        return None if self.duration_s is None else self.duration_s / 3600


@dataclass(frozen=True, slots=True)
class Event:
    """One ledger line of a subscriber, as words."""

    date: str
    id: str
    kind: str
    product: str
    text: str


@dataclass(frozen=True, slots=True)
class LedgerReport:
    """The report over ``first`` .. ``last`` (``None``: unbounded)."""

    first: str | None
    last: str | None
    subscribers: tuple[SubscriberLine, ...]
    days: tuple[DayLine, ...]
    carriers: tuple[CarrierLine, ...]
    events: tuple[Event, ...] = ()
    repeated_complaints: int = 0
    rates: Mapping[str, Any] = field(default_factory=dict)


def _detail(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text) if text else {}
    except json.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


def live_rows(rows: Iterable[Row]) -> list[Row]:
    """Ledger lines that count: ``void`` lines and the lines they cancel left out."""
    rows = list(rows)
    voided = {_detail(r[5]).get("voids") for r in rows if r[3] == "void"}
    return [r for r in rows if r[3] != "void" and r[0] not in voided]


def _in(d: str, first: str | None, last: str | None) -> bool:
    return (first is None or d >= first) and (last is None or d <= last)


def pay_of(line: CarrierLine, rates: Mapping[str, Any]) -> float | None:
    """Pay for a carrier's day: stops, pieces, km and hours times their rates."""
    if not rates:
        return None
    piece = rates.get("per_piece") or {}
    total = line.stops * float(rates.get("per_stop") or 0)
    for product, n in line.pieces.items():
        total += n * float(piece.get(product, piece.get("*", 0)))
    total += (line.km or 0) * float(rates.get("per_km") or 0)
    total += (line.hours or 0) * float(rates.get("per_hour") or 0)
    return round(total, 2)


def ledger_report(
    rows: Iterable[Row],
    days: Sequence[tuple[str, int, Mapping[str, Any]]],
    *,
    first: str | None = None,
    last: str | None = None,
    ids: Sequence[str] = (),
    rates: Mapping[str, Any] | None = None,
) -> LedgerReport:
    """Build the report.

    Parameters
    ----------
    rows
        Every ledger line, ``(seq, date, subscriber_id, kind, product, detail)``.
    days
        The stored days as (date, route version, ``day.json`` mapping).
    first, last
        The range of dates (ISO, inclusive); ``None`` for no bound.
    ids
        Only these subscribers (and their lines as events); every subscriber when empty.
    rates
        Pay rates: ``per_stop``, ``per_piece`` ({product or ``*``: amount}), ``per_km``,
        ``per_hour``.
    """
    rates = dict(rates or {})
    wanted = set(ids)
    lines = [r for r in live_rows(rows) if _in(r[1], first, last)]
    figures: dict[str, dict[str, int]] = {}
    complaints: dict[str, set[tuple[str, str]]] = {}
    per_day_complaints: dict[str, set[tuple[str, str]]] = {}
    complaint_lines = 0
    events: list[Event] = []

    def add(sid: str, key: str, n: int = 1) -> None:
        f = figures.setdefault(sid, {})
        f[key] = f.get(key, 0) + n

    for _seq, d, sid, kind, product, text in lines:
        if not sid:
            continue
        detail = _detail(text)
        units = int(detail.get("units", 1))
        if kind == "credit":
            add(sid, "credits", units)
        elif kind == "short":
            add(sid, "shortages")
            add(sid, "short_units", units)
        elif kind == "substitute":
            add(sid, "substitutions")
        elif kind == "redeliver":
            add(sid, "redeliveries")
        if kind in _COMPLAINT_LINES:
            what = "wrong_spot" if kind == "wrong_spot" else str(detail.get("kind", kind))
            complaints.setdefault(sid, set()).add((d, what))
            per_day_complaints.setdefault(d, set()).add((sid, what))
            complaint_lines += 1
        if wanted and sid in wanted:
            events.append(Event(d, sid, kind, product, _words(kind, product, detail)))
    for sid, found in complaints.items():
        add(sid, "complaints", len(found))

    day_lines: list[DayLine] = []
    carrier_lines: list[CarrierLine] = []
    for d, version, data in days:
        if not _in(d, first, last):
            continue
        for s in data.get("stops", ()):
            if s.get("action") in _DELIVERED:
                add(str(s.get("id")), "deliveries")
        t = data.get("totals") or {}
        day_lines.append(
            DayLine(
                date=d,
                route_version=version,
                delivered=int(t.get("delivered", 0)),
                substituted=int(t.get("substituted", 0)),
                skipped=int(t.get("skipped", 0)),
                shorted=int(t.get("shorted", 0)),
                redelivered=int(t.get("redelivered", 0)),
                credits=int(t.get("credits", 0)),
                complaints=len(per_day_complaints.get(d, ())),
            )
        )
        for c in _carriers(data):
            carrier_lines.append(CarrierLine(d, **c))
    if rates:
        carrier_lines = [
            CarrierLine(
                c.date,
                c.carrier,
                c.stops,
                c.deliveries,
                c.redeliveries,
                c.pieces,
                c.distance_m,
                c.duration_s,
                pay_of(c, rates),
            )
            for c in carrier_lines
        ]
    subs = tuple(
        SubscriberLine(sid, **f)
        for sid, f in sorted(figures.items())
        if not wanted or sid in wanted
    )
    repeated = complaint_lines - sum(len(v) for v in complaints.values())
    return LedgerReport(
        first=first,
        last=last,
        subscribers=subs,
        days=tuple(day_lines),
        carriers=tuple(carrier_lines),
        events=tuple(events),
        repeated_complaints=repeated,
        rates=rates,
    )


def _carriers(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A day's carrier records; for days stored before they were recorded, counted from the
    stops (metres and seconds only when one carrier ran the whole day)."""
    records = data.get("carriers")
    if records:
        return [
            {
                "carrier": int(r["carrier"]),
                "stops": int(r["stops"]),
                "deliveries": int(r["deliveries"]),
                "redeliveries": int(r["redeliveries"]),
                "pieces": dict(r.get("pieces", {})),
                "distance_m": int(r["distance_m"]),
                "duration_s": int(r["duration_s"]),
            }
            for r in records
        ]
    by: dict[int, dict[str, Any]] = {}
    for s in data.get("stops", ()):
        c = by.setdefault(
            int(s.get("carrier", 1)),
            {"stops": 0, "deliveries": 0, "redeliveries": 0, "pieces": {}},
        )
        action = s.get("action")
        if action in _DELIVERED:
            c["deliveries"] += 1
        elif action == "redeliver":
            c["redeliveries"] += 1
        c["stops"] = c["deliveries"] + c["redeliveries"]
        for p, n in (s.get("items") or {}).items():
            c["pieces"][p] = c["pieces"].get(p, 0) + int(n)
    single = len(by) == 1
    return [
        {
            "carrier": k,
            **v,
            "distance_m": int(data["distance_m"]) if single else None,
            "duration_s": int(data["duration_s"]) if single else None,
        }
        for k, v in sorted(by.items())
    ]


def _words(kind: str, product: str, detail: Mapping[str, Any]) -> str:
    units = detail.get("units", 1)
    note = f": {detail['note']}" if detail.get("note") else ""
    if kind == "short":
        return f"shorted {units} {product} ({detail.get('tier', '')})".replace(" ()", "")
    if kind == "credit":
        return f"credit {units} {product}"
    if kind == "substitute":
        return f"{units} {product} instead of {detail.get('instead_of', '')}"
    if kind == "redeliver":
        return f"redelivered {product} for a {detail.get('kind', '')} complaint{note}"
    if kind == "complaint":
        return f"{detail.get('kind', '')} complaint, not redelivered (no copy to spare){note}"
    if kind == "wrong_spot":
        return f"wrong spot complaint{note}"
    if kind == "wrong_spot_shown":
        return "wrong-spot note shown on the sheet"
    return kind
