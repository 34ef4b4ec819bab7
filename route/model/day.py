"""Frozen data of a day: its inputs (holds, complaints, supply, weather) and its result.

:class:`Day` is what :func:`route.day.run.run_day` returns and what ``day.json`` holds: one
:class:`DayStop` per route-book stop in route-book order, plus inserted redeliveries, with
totals, street measures and the ledger lines the day appends.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date as Date
from typing import Any

#: Actions a day may give a stop, in the order legends and totals list them.
ACTIONS = ("deliver", "deliver_substitute", "redeliver", "short", "skip")
#: Actions where the carrier goes to the stop (the others are passed by).
VISITED = ("deliver", "deliver_substitute", "redeliver")
COMPLAINT_KINDS = ("missed", "wet", "damaged", "wrong_spot")
REDELIVER_KINDS = ("missed", "wet", "damaged")

#: ``travel(a, b) -> (metres, seconds)`` between stops named by subscriber id (``None`` = depot).
Travel = Callable[[str | None, str | None], tuple[int, int]]


@dataclass(frozen=True, slots=True)
class Hold:
    """A vacation hold: no delivery from ``start`` to ``end`` inclusive (``end`` None = open)."""

    subscriber_id: str
    start: Date
    end: Date | None = None
    note: str = ""

    def covers(self, day: Date) -> bool:
        """Whether the hold covers a date."""
        return self.start <= day and (self.end is None or day <= self.end)

    def span(self) -> str:
        """``START to END`` as days and messages say it (``further notice`` when open)."""
        end = self.end.isoformat() if self.end else "further notice"
        return f"{self.start.isoformat()} to {end}"


@dataclass(frozen=True, slots=True)
class Complaint:
    """A complaint about the last delivery: ``missed``, ``wet``, ``damaged`` or ``wrong_spot``."""

    subscriber_id: str
    kind: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class DayInputs:
    """What is known on the morning: supply per product, late supply, holds, complaints, weather.

    A product missing from ``supply`` is supplied exactly to its demand.
    """

    supply: Mapping[str, int] = field(default_factory=dict)
    late: Mapping[str, int] = field(default_factory=dict)
    holds: tuple[Hold, ...] = ()
    complaints: tuple[Complaint, ...] = ()
    weather: str = "clear"


@dataclass(frozen=True, slots=True)
class History:
    """What the ledger says about earlier days (see :func:`history_from_ledger`).

    Attributes
    ----------
    shorted
        Subscriber id -> the dates (ISO, oldest first) they went without.
    previous_date
        The last date run before this one, or ``None``.
    wrong_spot
        Subscriber id -> wrong-spot notes not yet shown on a sheet.
    """

    shorted: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    previous_date: str | None = None
    wrong_spot: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One line of the ledger (append-only): shortages, credits, substitutions, redeliveries."""

    date: str
    subscriber_id: str
    kind: str
    product: str = ""
    detail: str = ""


@dataclass(frozen=True, slots=True)
class DayStop:
    """One action of the day.

    Attributes
    ----------
    seq
        The stop's position in its carrier's route book; a ``redeliver`` visit carries the
        ``seq`` of the stop it follows (0 = straight from the depot).
    action
        One of :data:`ACTIONS`.
    product
        What is handed out (the subscriber's own product when nothing is).
    items
        Copies handed out per product.
    late
        Served in the catch-up pass with the late second delivery.
    credit
        Copies credited.
    arrival
        Planned arrival (``HH:MM``) for that day's visits in order, after any wait for the
        window to open; ``None`` for a stop that is not visited (skipped or short).
    wait_s
        Seconds the carrier waits there for the window to open.
    earliest, latest
        The subscriber's window that day (``HH:MM``; ``None`` where it is open), kept with the
        day so that its sheet shows the window the day was run with, not today's.
    """

    seq: int
    carrier: int
    id: str
    action: str
    product: str
    spot: str
    instructions: str
    reason: str
    items: Mapping[str, int] = field(default_factory=dict)
    late: bool = False
    credit: int = 0
    arrival: str | None = None
    wait_s: int = 0
    earliest: str | None = None
    latest: str | None = None

    @property
    def visited(self) -> bool:
        """Whether the carrier goes to the stop that day (something is handed out there)."""
        return self.action in VISITED

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dictionary."""
        return {
            "seq": self.seq,
            "carrier": self.carrier,
            "id": self.id,
            "action": self.action,
            "product": self.product,
            "spot": self.spot,
            "instructions": self.instructions,
            "reason": self.reason,
            "items": dict(sorted(self.items.items())),
            "late": self.late,
            "credit": self.credit,
            "arrival": self.arrival,
            "wait_s": self.wait_s,
            "earliest": self.earliest,
            "latest": self.latest,
        }


@dataclass(frozen=True, slots=True)
class CarrierDay:
    """One carrier's day: what goes in the bag, how far, from when to when.

    Attributes
    ----------
    stops
        Visits, both passes together (redeliveries included).
    pieces
        Copies per product handed out in the morning pass: the bag load at the depot.
    distance_m, duration_s
        Street metres, and seconds from leaving the depot until back after the last pass
        (travel, walk-ins and waits).
    start, end
        Leaving the depot and back, ``HH:MM``.
    wait_s
        Seconds spent waiting for windows to open.
    leave_at, avoidable_wait_s
        When leaving later avoids waiting and still keeps every window and the same return:
        the later departure (``HH:MM``) and the waiting it saves; ``""`` and 0 otherwise.
    late_stops, late_pieces, late_distance_m, late_duration_s, late_start, late_end
        The catch-up pass with the late bundle (part of the totals above), when there is one.
    deliveries, redeliveries
        Visits that hand out the day's copy (a substitute included), and replacement visits
        for complaints; ``stops`` is their sum. Piece-rate pay counts ``pieces`` and
        ``late_pieces`` together.
    """

    carrier: int
    stops: int
    pieces: Mapping[str, int]
    distance_m: int
    duration_s: int
    start: str
    end: str
    wait_s: int = 0
    leave_at: str = ""
    avoidable_wait_s: int = 0
    late_stops: int = 0
    late_pieces: Mapping[str, int] = field(default_factory=dict)
    late_distance_m: int = 0
    late_duration_s: int = 0
    late_start: str = ""
    late_end: str = ""
    deliveries: int = 0
    redeliveries: int = 0

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dictionary."""
        out = {f: getattr(self, f) for f in self.__dataclass_fields__}
        out["pieces"] = dict(sorted(self.pieces.items()))
        out["late_pieces"] = dict(sorted(self.late_pieces.items()))
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CarrierDay:
        """Build from :meth:`to_dict` output."""
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**{"start": "", "end": "", **known, "pieces": dict(data.get("pieces", {})),
                      "late_pieces": dict(data.get("late_pieces", {}))})  # fmt: skip


@dataclass(frozen=True, slots=True)
class Day:
    """One date's actions in route-book order, with totals, distance and the ledger lines.

    ``distance_m`` and ``duration_s`` are the sums of ``carriers``, one :class:`CarrierDay`
    each. ``changes`` are the day's news for the carrier, one ``{"id", "kind", "text"}`` each,
    kind ``start`` (first delivery), ``last`` (last delivery before the stop date), ``hold`` (on
    hold from today) or ``back`` (back from a hold). ``districts`` (a distributor's workspace
    only) holds each district's bundle and totals by name (see :mod:`route.day.districts`).
    """

    date: str
    route_version: int
    supply: Mapping[str, int]
    stops: tuple[DayStop, ...]
    totals: Mapping[str, int]
    distance_m: int
    duration_s: int
    weather: str = "clear"
    demand: Mapping[str, int] = field(default_factory=dict)
    late: Mapping[str, Any] = field(default_factory=dict)
    wrong_spot_notes: tuple[Mapping[str, str], ...] = ()
    not_routed: tuple[Mapping[str, str], ...] = ()
    policy: Mapping[str, Any] = field(default_factory=dict)
    unreplaced: tuple[Mapping[str, Any], ...] = ()
    ledger: tuple[LedgerEntry, ...] = ()
    carriers: tuple[CarrierDay, ...] = ()
    changes: tuple[Mapping[str, Any], ...] = ()
    districts: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def handed_out(self) -> dict[str, int]:
        """Copies handed out per product, both passes together."""
        out: dict[str, int] = {}
        for s in self.stops:
            for p, n in s.items.items():
                out[p] = out.get(p, 0) + n
        return out

    def to_dict(self) -> dict[str, Any]:
        """The ``day.json`` document (DESIGN.md), with the ledger lines it appended."""
        out = self._record()
        if self.districts:
            out["districts"] = {k: dict(v) for k, v in self.districts.items()}
        return out

    def _record(self) -> dict[str, Any]:
        return {
            "date": self.date,
            "route_version": self.route_version,
            "weather": self.weather,
            "supply": dict(sorted(self.supply.items())),
            "demand": dict(sorted(self.demand.items())),
            "stops": [s.to_dict() for s in self.stops],
            "totals": dict(self.totals),
            "distance_m": self.distance_m,
            "duration_s": self.duration_s,
            "carriers": [c.to_dict() for c in self.carriers],
            "changes": [dict(c) for c in self.changes],
            "late": dict(self.late),
            "wrong_spot_notes": [dict(n) for n in self.wrong_spot_notes],
            "not_routed": [dict(n) for n in self.not_routed],
            "policy": dict(self.policy),
            "unreplaced": [dict(u) for u in self.unreplaced],
            "ledger": [
                {
                    "date": e.date,
                    "id": e.subscriber_id,
                    "kind": e.kind,
                    "product": e.product,
                    "detail": e.detail,
                }
                for e in self.ledger
            ],
        }

    def to_dataframe(self) -> Any:
        """The day's actions as a :class:`pandas.DataFrame`, one row per action in the day's
        order (a redelivery is its own row).

        Columns: ``date``, then the fields of ``day.json``'s stops: ``seq``, ``carrier``,
        ``id``, ``action``, ``product``, ``spot`` (the day's spot: the rain spot when it rains),
        ``instructions``, ``reason``, ``items`` (copies per product, a dict), ``late``,
        ``credit``, ``arrival`` (that day's planned arrival, ``HH:MM``; ``None`` for a stop
        passed by) and ``wait_s`` (the wait there for a window to open).
        """
        import pandas as pd

        records = [{"date": self.date, **s.to_dict()} for s in self.stops]
        fields = ["date", *DayStop.__dataclass_fields__, *(k for r in records for k in r)]
        return pd.DataFrame(records, columns=list(dict.fromkeys(fields)))

    def to_json(self) -> str:
        """Canonical, indented JSON."""
        return json.dumps(self.to_dict(), indent=1, ensure_ascii=False) + "\n"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Day:
        """Build from :meth:`to_dict` output."""
        return cls(
            date=data["date"],
            route_version=data["route_version"],
            supply=dict(data["supply"]),
            stops=tuple(DayStop(**{**s, "items": dict(s.get("items", {}))}) for s in data["stops"]),
            totals=dict(data["totals"]),
            distance_m=data["distance_m"],
            duration_s=data["duration_s"],
            weather=data.get("weather", "clear"),
            demand=dict(data.get("demand", {})),
            late=dict(data.get("late", {})),
            wrong_spot_notes=tuple(data.get("wrong_spot_notes", ())),
            not_routed=tuple(data.get("not_routed", ())),
            policy=dict(data.get("policy", {})),
            unreplaced=tuple(data.get("unreplaced", ())),
            ledger=tuple(
                LedgerEntry(e["date"], e["id"], e["kind"], e["product"], e["detail"])
                for e in data.get("ledger", ())
            ),
            carriers=tuple(CarrierDay.from_dict(c) for c in data.get("carriers", ())),
            changes=tuple(dict(c) for c in data.get("changes", ())),
            districts={k: dict(v) for k, v in data.get("districts", {}).items()},
        )
