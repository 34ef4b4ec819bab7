"""One date's run of the route book: holds, shortages, substitutes, redeliveries and weather.

:func:`run_day` is pure: the route book, the subscribers, the date, the day's inputs, the policy
and the ledger's history in, a frozen :class:`Day` out. It never reorders the route: every stop
of the route book appears once, in route-book order, and only its action changes. Replacement
visits for complaints (``redeliver``) are inserted where they cost least, between two stops,
without moving anyone else; a late second delivery becomes a catch-up pass over the shorted
stops, in route order.

Complaints given for a date are the ones known when the day is run (phoned in since the last
delivery); the replacement copy is taken from that day's supply per the policy (spare copies,
then the household's copy). ``wrong_spot`` is recorded in the ledger and shown on the
subscriber's next delivered stop.

Weather ``rain`` and ``snow`` apply each subscriber's rain rule: ``bag`` (bag it, a few seconds
more) or another spot kind to use instead.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date as Date
from typing import Any

from .constants import RAIN_BAG_S, WEEKDAYS
from .daytravel import measure, place_visits, route_metric
from .model import RouteBook, Stop, Subscriber
from .policy import SPARE, Allocation, Demand, Policy, allocate

ACTIONS = ("deliver", "deliver_substitute", "skip", "short", "redeliver")
COMPLAINT_KINDS = ("missed", "wet", "damaged", "wrong_spot")
REDELIVER_KINDS = ("missed", "wet", "damaged")
WEATHER = ("clear", "rain", "snow")

#: ``travel(a, b) -> (metres, seconds)`` between stops named by subscriber id (``None`` = depot).
Travel = Callable[[str | None, str | None], tuple[int, int]]


@dataclass(frozen=True, slots=True)
class Hold:
    """A vacation hold: no delivery from ``start`` to ``end`` inclusive (``end`` None = open)."""

    subscriber_id: str
    start: Date
    end: Date | None = None

    def covers(self, day: Date) -> bool:
        """Whether the hold covers a date."""
        return self.start <= day and (self.end is None or day <= self.end)


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
        }


@dataclass(frozen=True, slots=True)
class Day:
    """One date's actions in route-book order, with totals, distance and the ledger lines."""

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

    def handed_out(self) -> dict[str, int]:
        """Copies handed out per product, both passes together."""
        out: dict[str, int] = {}
        for s in self.stops:
            for p, n in s.items.items():
                out[p] = out.get(p, 0) + n
        return out

    def to_dict(self) -> dict[str, Any]:
        """The ``day.json`` document (DESIGN.md), with the ledger lines it appended."""
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
        )


# -- history ------------------------------------------------------------------------------------


def history_from_ledger(
    rows: Iterable[tuple[int, str, str, str, str, str]], date: str, day_dates: Iterable[str]
) -> History:
    """Read the fairness history and pending notes from ledger rows before ``date``.

    Parameters
    ----------
    rows
        ``(seq, date, subscriber_id, kind, product, detail)`` in ``seq`` order.
    date
        The day being run (ISO); its own rows and later ones are ignored.
    day_dates
        Dates of the days run so far.
    """
    rows = list(rows)
    voided = {json.loads(d)["voids"] for _s, _d, _i, k, _p, d in rows if k == "void"}
    shorted: dict[str, list[str]] = {}
    pending: dict[str, list[str]] = {}
    for seq, d, sid, kind, _product, detail in rows:
        if seq in voided or d >= date:
            continue
        if kind == "short":
            shorted.setdefault(sid, []).append(d)
        elif kind == "wrong_spot":
            pending.setdefault(sid, []).append(json.loads(detail).get("note", "") if detail else "")
        elif kind == "wrong_spot_shown":
            pending.pop(sid, None)
    earlier = [d for d in day_dates if d < date]
    return History(
        shorted={k: tuple(sorted(set(v))) for k, v in shorted.items()},
        previous_date=max(earlier) if earlier else None,
        wrong_spot={k: tuple(v) for k, v in pending.items()},
    )


def _rotation_ranks(ids: Iterable[str], history: History, date: str) -> dict[str, int]:
    """Rank 1 = first to go without: least recently shorted, then fewest times, then a hash
    of (date, id) so ties rotate from day to day instead of always hitting the same house."""

    def key(sid: str) -> tuple[str, int, str]:
        dates = history.shorted.get(sid, ())
        tie = hashlib.sha256(f"{date}:{sid}".encode()).hexdigest()
        return (dates[-1] if dates else "", len(dates), tie)

    return {sid: r for r, sid in enumerate(sorted(set(ids), key=key), start=1)}


# -- the day ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Slot:
    carrier: int
    stop: Stop
    sub: Subscriber | None


def run_day(
    book: RouteBook,
    subscribers: Sequence[Subscriber],
    date: Date,
    inputs: DayInputs,
    policy: Policy,
    history: History | None = None,
    travel: Travel | None = None,
) -> Day:
    """Run the route book for one date.

    Parameters
    ----------
    book
        The route book; its order is the day's order.
    subscribers
        Subscribers by id (inactive ones too; a stop whose subscriber is gone is skipped).
    date
        The date.
    inputs
        Supply, late supply, holds, complaints and weather, already validated.
    policy
        The shortage policy.
    history
        The ledger's history (fairness rotation, pending wrong-spot notes).
    travel
        Street metres and seconds between stops; by default measured along the route book's
        own legs (the carrier walks past a skipped stop on the same streets).

    Returns
    -------
    Day
        One entry per route-book stop in route-book order, plus inserted ``redeliver`` visits.
    """
    history = history or History()
    iso = date.isoformat()
    subs = {s.id: s for s in subscribers}
    slots = [_Slot(r.carrier, s, subs.get(s.subscriber_id)) for r in book.routes for s in r.stops]
    travel = travel or route_metric(book)
    weekday = date.weekday()
    holds: dict[str, list[Hold]] = {}
    for h in inputs.holds:
        holds.setdefault(h.subscriber_id, []).append(h)

    # Who is due today, and why the others are not.
    skip_reason: dict[str, str] = {}
    due: list[_Slot] = []
    for slot in slots:
        sub, sid = slot.sub, slot.stop.subscriber_id
        hold = next((h for h in holds.get(sid, ()) if h.covers(date)), None)
        if sub is None:
            skip_reason[sid] = "no longer a subscriber"
        elif weekday not in sub.days:
            skip_reason[sid] = f"not scheduled on {WEEKDAYS[weekday]} ({sub.schedule})"
        elif hold is not None:
            until = hold.end.isoformat() if hold.end else "further notice"
            skip_reason[sid] = f"on hold {hold.start.isoformat()} to {until}"
        else:
            due.append(slot)
    demand: dict[str, int] = {}
    for slot in due:
        assert slot.sub is not None
        demand[slot.sub.product] = demand.get(slot.sub.product, 0) + slot.sub.quantity
    supply = {**demand, **inputs.supply}

    routed = {s.stop.subscriber_id: s for s in slots if s.sub is not None}
    repl = [c for c in inputs.complaints if c.kind in REDELIVER_KINDS and c.subscriber_id in routed]
    ranks = _rotation_ranks([s.stop.subscriber_id for s in slots], history, iso)
    prev = history.previous_date

    def demand_of(key: str, sub: Subscriber, qty: int, replacement: bool) -> Demand:
        return Demand(
            key=key,
            tier=sub.tier,
            quantity=qty,
            options=(sub.product, *sub.substitutes),
            rank=ranks.get(sub.id, 1),
            replacement=replacement,
            shorted_last_day=prev is not None and prev in history.shorted.get(sub.id, ()),
        )

    demands = [
        demand_of(s.stop.subscriber_id, s.sub, s.sub.quantity, False)
        for s in due
        if s.sub is not None
    ]
    demands += [
        demand_of(
            f"{c.subscriber_id}#r{n}",
            routed[c.subscriber_id].sub,  # type: ignore[arg-type]
            1,
            True,
        )
        for n, c in enumerate(repl)
    ]
    main = allocate(demands, supply, policy)

    # The late second delivery: a catch-up pass over what is still missing.
    late_given: Mapping[str, Mapping[str, int]] = {}
    if inputs.late:
        rest = [
            Demand(
                d.key,
                d.tier,
                d.quantity - main.received(d.key),
                d.options,
                d.rank,
                d.shorted_last_day,
                d.replacement,
            )
            for d in demands
        ]
        rest = [d for d in rest if d.quantity > 0]
        spare = _spare(supply, main)
        late_supply = {p: inputs.late.get(p, 0) + spare.get(p, 0) for p in {*inputs.late, *spare}}
        late_given = allocate(rest, late_supply, policy).given if rest else {}

    return _assemble(
        book,
        slots,
        skip_reason,
        demands,
        main,
        late_given,
        supply,
        demand,
        inputs,
        policy,
        history,
        travel,
        iso,
        repl,
    )


def _spare(supply: Mapping[str, int], alloc: Allocation) -> dict[str, int]:
    used: dict[str, int] = {}
    for got in alloc.given.values():
        for p, n in got.items():
            used[p] = used.get(p, 0) + n
    return {p: n - used.get(p, 0) for p, n in supply.items() if n - used.get(p, 0) > 0}


def _weather(sub: Subscriber, weather: str) -> tuple[str, str, int]:
    """The spot, extra instructions and extra seconds the weather asks for."""
    if weather in ("rain", "snow") and sub.spot.rain:
        if sub.spot.rain == "bag":
            return sub.spot.kind, f"{weather}: bag it", RAIN_BAG_S
        return sub.spot.rain, f"{weather}: use the {sub.spot.rain.replace('_', ' ')} instead", 0
    return sub.spot.kind, "", 0


def _label(items: Mapping[str, int]) -> str:
    return ";".join(p for p in sorted(items))


def _assemble(
    book,
    slots,
    skip_reason,
    demands,
    main,
    late_given,
    supply,
    demand,
    inputs,
    policy,
    history,
    travel,
    iso,
    repl,
) -> Day:
    ledger: list[LedgerEntry] = []
    stops: list[DayStop] = []
    by_key = {d.key: d for d in demands}
    wrong_notes = []
    unreplaced: list[dict[str, Any]] = []
    extra_s = 0

    def detail(**kw: Any) -> str:
        return json.dumps(kw, sort_keys=True, ensure_ascii=False)

    def make(slot: _Slot, key: str, action_if_given: str, reason_prefix: str) -> DayStop:
        nonlocal extra_s
        sub = slot.sub
        assert sub is not None  # slots without a subscriber never reach the allocation
        d = by_key[key]
        first = dict(main.given.get(key, {}))
        second = dict(late_given.get(key, {}))
        items = {p: first.get(p, 0) + second.get(p, 0) for p in {*first, *second}}
        got = sum(items.values())
        missing = d.quantity - got
        credit = missing if sub.tier in policy.credit_tiers else 0
        spot, extra, bag_s = _weather(sub, inputs.weather)
        notes = [x for x in (sub.spot.instructions, extra) if x]
        reasons = [reason_prefix] if reason_prefix else []
        if got == 0:
            action, product = "short", sub.product
            reasons.append(
                f"{'replacement' if d.replacement else sub.tier} copy short"
                + (f"; credit {credit}" if credit else "")
            )
        else:
            subs_given = {p: n for p, n in items.items() if p != sub.product}
            action = "deliver_substitute" if subs_given and not d.replacement else action_if_given
            product = _label(items)
            if subs_given:
                reasons.append(f"substitute {_label(subs_given)} for {sub.product}")
            if missing:
                reasons.append(
                    f"{got} of {d.quantity}; {missing} short"
                    + (f", credit {missing}" if credit else "")
                )
            if second and not first:
                reasons.append("late delivery: catch-up pass")
            extra_s += bag_s
            pending = history.wrong_spot.get(sub.id, ())
            if pending and not d.replacement:
                notes.append(
                    "Last time left in the wrong spot: "
                    + "; ".join(n or "no note" for n in pending)
                )
                ledger.append(LedgerEntry(iso, sub.id, "wrong_spot_shown"))
            for p, n in subs_given.items():
                ledger.append(
                    LedgerEntry(
                        iso, sub.id, "substitute", p, detail(units=n, instead_of=sub.product)
                    )
                )
        if missing and not d.replacement:
            ledger.append(
                LedgerEntry(iso, sub.id, "short", sub.product, detail(units=missing, tier=sub.tier))
            )
        if credit:
            ledger.append(LedgerEntry(iso, sub.id, "credit", sub.product, detail(units=credit)))
        return DayStop(
            slot.stop.seq,
            slot.carrier,
            sub.id,
            action,
            product,
            spot,
            " | ".join(notes),
            "; ".join(reasons),
            items,
            late=bool(second) and not first,
            credit=credit,
        )

    for slot in slots:
        sid = slot.stop.subscriber_id
        if sid in skip_reason:
            sub = slot.sub
            stops.append(
                DayStop(
                    slot.stop.seq,
                    slot.carrier,
                    sid,
                    "skip",
                    sub.product if sub else "",
                    sub.spot.kind if sub else "",
                    sub.spot.instructions if sub else "",
                    skip_reason[sid],
                )
            )
        else:
            stops.append(make(slot, sid, "deliver", ""))

    # Replacement visits: inserted where they cost least between delivered stops, never
    # moving anyone. With a street metric obeying the triangle inequality that is next to the
    # subscriber's own place in the route.
    routed = {s.stop.subscriber_id: s for s in slots}
    for n, c in enumerate(repl):
        slot = routed[c.subscriber_id]
        key = f"{c.subscriber_id}#r{n}"
        visit = make(
            slot, key, "redeliver", f"{c.kind} complaint" + (f": {c.note}" if c.note else "")
        )
        if visit.action == "short":
            # No copy to spare: the complaint is credited instead of redelivered.
            ledger.append(
                LedgerEntry(
                    iso,
                    c.subscriber_id,
                    "complaint",
                    visit.product,
                    detail(kind=c.kind, note=c.note, redelivered=False),
                )
            )
            unreplaced.append(
                {"id": c.subscriber_id, "kind": c.kind, "note": c.note, "credit": visit.credit}
            )
        else:
            source = "late delivery" if visit.late else _replacement_source(policy)
            ledger.append(
                LedgerEntry(
                    iso,
                    c.subscriber_id,
                    "redeliver",
                    visit.product,
                    detail(kind=c.kind, note=c.note, source=source),
                )
            )
            stops.append(visit)
    for c in (c for c in inputs.complaints if c.kind == "wrong_spot"):
        ledger.append(LedgerEntry(iso, c.subscriber_id, "wrong_spot", "", detail(note=c.note)))
        wrong_notes.append({"id": c.subscriber_id, "note": c.note})

    ordered = place_visits(book, stops, travel)
    distance_m, duration_s, late_info = measure(book, ordered, travel, extra_s)
    late_info = {**late_info, "supply": dict(sorted(inputs.late.items()))} if inputs.late else {}
    totals = {
        "delivered": sum(s.action == "deliver" for s in ordered),
        "substituted": sum(s.action == "deliver_substitute" for s in ordered),
        "skipped": sum(s.action == "skip" for s in ordered),
        "shorted": sum(s.action == "short" for s in ordered),
        "redelivered": sum(s.action == "redeliver" for s in ordered),
        "credits": sum(s.credit for s in ordered) + sum(u["credit"] for u in unreplaced),
        "late": sum(s.late for s in ordered),
    }
    ledger.insert(
        0,
        LedgerEntry(
            iso,
            "",
            "day",
            "",
            detail(route_version=book.version, **{k: v for k, v in totals.items()}),
        ),
    )
    return Day(
        date=iso,
        route_version=book.version,
        supply=dict(supply),
        stops=tuple(ordered),
        totals=totals,
        distance_m=distance_m,
        duration_s=duration_s,
        weather=inputs.weather,
        demand=dict(demand),
        late=late_info,
        wrong_spot_notes=tuple(wrong_notes),
        not_routed=tuple({"id": u.subscriber_id, "reason": u.reason} for u in book.unserved),
        policy=policy.to_dict(),
        unreplaced=tuple(unreplaced),
        ledger=tuple(ledger),
    )


def _replacement_source(policy: Policy) -> str:
    # The supply is pooled, so whose copy it was is bookkeeping: spare copies go first, and the
    # allocation takes a forgo tier's copy only when none is left.
    tiers = [t for t in policy.replacement_from if t != SPARE]
    return " or ".join([SPARE, *(f"{t} copy" for t in tiers)]) if tiers else SPARE
