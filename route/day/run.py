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

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date as Date
from typing import Any

from route.constants import RAIN_BAG_S, SPOT_HANDLING_S, WEEKDAYS
from route.day.allocation import Allocation, Demand, allocate
from route.day.changes import day_changes
from route.day.districts import district_records
from route.day.history import rotation_ranks
from route.day.travel import Schedule, day_metric, place_visits, schedule
from route.model.day import (
    REDELIVER_KINDS,
    Complaint,
    Day,
    DayInputs,
    DayStop,
    History,
    Hold,
    LedgerEntry,
    Travel,
)
from route.model.policy import DEFAULT_POLICY, SPARE, Policy
from route.model.routebook import RouteBook, Stop
from route.model.subscriber import Subscriber, format_clock

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
    inputs: DayInputs | None = None,
    policy: Policy = DEFAULT_POLICY,
    history: History | None = None,
    travel: Travel | None = None,
    districts: Mapping[int, str] | None = None,
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
        Supply, late supply, holds, complaints and weather, already validated (by default:
        every due subscriber supplied, nothing else known).
    policy
        The shortage policy (:data:`route.DEFAULT_POLICY` by default).
    history
        The ledger's history (fairness rotation, pending wrong-spot notes).
    travel
        Street metres and seconds between stops; by default measured along the route book's
        own legs (the carrier walks past a skipped stop on the same streets). See
        :func:`route.day.travel.day_metric` for one that also takes the street network's
        shortcuts.
    districts
        Carrier -> district name, for a distributor: the day then records each district's
        bundle and totals (:func:`route.day.districts.district_records`).

    Returns
    -------
    Day
        One entry per route-book stop in route-book order, plus inserted ``redeliver`` visits;
        every visit with its planned arrival, every carrier with its totals.
    """
    inputs = inputs or DayInputs()
    history = history or History()
    iso = date.isoformat()
    subs = {s.id: s for s in subscribers}
    slots = [_Slot(r.carrier, s, subs.get(s.subscriber_id)) for r in book.routes for s in r.stops]
    travel = travel or day_metric(book)
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
        elif not sub.in_service(date):
            skip_reason[sid] = _out_of_service(sub, date)
        elif weekday not in sub.days:
            skip_reason[sid] = f"not scheduled on {WEEKDAYS[weekday]} ({sub.schedule})"
        elif hold is not None:
            note = f" ({hold.note})" if hold.note else ""
            skip_reason[sid] = f"on hold {hold.span()}{note}"
        else:
            due.append(slot)
    demand: dict[str, int] = {}
    for slot in due:
        assert slot.sub is not None
        demand[slot.sub.product] = demand.get(slot.sub.product, 0) + slot.sub.quantity
    supply = {**demand, **inputs.supply}

    routed = {s.stop.subscriber_id: s for s in slots if s.sub is not None}
    repl = [c for c in inputs.complaints if c.kind in REDELIVER_KINDS and c.subscriber_id in routed]
    ranks = rotation_ranks([s.stop.subscriber_id for s in slots], history, iso)
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
    # One allocation for the day: the morning pass, then the catch-up pass with a late bundle.
    main = allocate(demands, supply, policy, inputs.late)

    ctx = _Assembly(
        book=book,
        iso=iso,
        inputs=inputs,
        policy=policy,
        history=history,
        by_key={d.key: d for d in demands},
        main=main,
        late_given=main.late,
    )
    stops = [_route_stop(ctx, slot, skip_reason) for slot in slots]
    visits, unreplaced = _replacement_visits(ctx, slots, repl)
    for c in (c for c in inputs.complaints if c.kind == "wrong_spot"):
        ctx.ledger.append(LedgerEntry(iso, c.subscriber_id, "wrong_spot", "", _detail(note=c.note)))
        ctx.wrong_notes.append({"id": c.subscriber_id, "note": c.note})
    ordered = place_visits(book, stops + visits, travel)
    service = {
        s.subscriber_id: s.walk_in_s + ctx.extra_s.get(s.subscriber_id, 0)
        for r in book.routes
        for s in r.stops
    }
    windows = {sid: (sub.earliest, sub.latest) for sid, sub in subs.items()}
    timed = schedule(book, ordered, travel, service, windows)
    changes = day_changes([s.stop.subscriber_id for s in slots], subs, date, inputs.holds)
    day = replace(_day(ctx, timed, unreplaced, supply, demand), changes=changes)
    if districts:
        day = replace(day, districts=district_records(day, districts))
    return day


def _out_of_service(sub: Subscriber, date: Date) -> str:
    if sub.start is not None and date < sub.start:
        return f"subscription starts {sub.start.isoformat()}"
    assert sub.stop is not None
    return f"subscription stopped after {sub.stop.isoformat()}"


def _weather(sub: Subscriber, weather: str) -> tuple[str, str, int]:
    """The spot, extra instructions and extra seconds the weather asks for."""
    if weather in ("rain", "snow") and sub.spot.rain:
        if sub.spot.rain == "bag":
            return sub.spot.kind, f"{weather}: bag it", RAIN_BAG_S
        # Another spot: its handling time instead (the walk to it is taken as the same).
        extra = 0
        if sub.service_s is None:
            extra = SPOT_HANDLING_S[sub.spot.rain] - SPOT_HANDLING_S[sub.spot.kind]
        return sub.spot.rain, f"{weather}: use the {sub.spot.rain.replace('_', ' ')} instead", extra
    return sub.spot.kind, "", 0


def _label(items: Mapping[str, int]) -> str:
    return ";".join(p for p in sorted(items))


@dataclass
class _Assembly:
    """What the allocation decided, and the ledger lines and notes gathered while the day's
    stops are put together."""

    book: RouteBook
    iso: str
    inputs: DayInputs
    policy: Policy
    history: History
    by_key: Mapping[str, Demand]
    main: Allocation
    late_given: Mapping[str, Mapping[str, int]]
    ledger: list[LedgerEntry] = field(default_factory=list)
    wrong_notes: list[dict[str, str]] = field(default_factory=list)
    extra_s: dict[str, int] = field(default_factory=dict)  # weather seconds per visited stop


def _detail(**kw: Any) -> str:
    return json.dumps(kw, sort_keys=True, ensure_ascii=False)


def _route_stop(ctx: _Assembly, slot: _Slot, skip_reason: Mapping[str, str]) -> DayStop:
    """The day's action at one route-book stop."""
    sid = slot.stop.subscriber_id
    if sid not in skip_reason:
        return _served(ctx, slot, sid, "deliver", "")
    sub = slot.sub
    return DayStop(
        slot.stop.seq,
        slot.carrier,
        sid,
        "skip",
        sub.product if sub else "",
        sub.spot.kind if sub else "",
        sub.spot.instructions if sub else "",
        skip_reason[sid],
        earliest=_clock(sub.earliest) if sub else None,
        latest=_clock(sub.latest) if sub else None,
    )


def _clock(seconds: int | None) -> str | None:
    """One end of a window as the day keeps it: ``HH:MM``, ``None`` where open."""
    return format_clock(seconds) if seconds is not None else None


def _served(ctx: _Assembly, slot: _Slot, key: str, action_if_given: str, prefix: str) -> DayStop:
    """A due stop or a replacement visit, with what the allocation gave it and its ledger lines."""
    sub = slot.sub
    assert sub is not None  # slots without a subscriber never reach the allocation
    iso, ledger = ctx.iso, ctx.ledger
    d = ctx.by_key[key]
    first = dict(ctx.main.given.get(key, {}))
    second = dict(ctx.late_given.get(key, {}))
    items = {p: first.get(p, 0) + second.get(p, 0) for p in {*first, *second}}
    got = sum(items.values())
    missing = d.quantity - got
    credit = missing if sub.tier in ctx.policy.credit_tiers else 0
    spot, extra, bag_s = _weather(sub, ctx.inputs.weather)
    notes = [x for x in (sub.spot.instructions, extra) if x]
    reasons = [prefix] if prefix else []
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
        elif second:
            # One visit per stop and pass: the morning copies wait for the catch-up pass too.
            reasons.append(f"all {got} in the catch-up pass ({sum(second.values())} late)")
        ctx.extra_s[sub.id] = bag_s
        pending = ctx.history.wrong_spot.get(sub.id, ())
        if pending and not d.replacement:
            notes.append(
                "Last time left in the wrong spot: " + "; ".join(n or "no note" for n in pending)
            )
            ledger.append(LedgerEntry(iso, sub.id, "wrong_spot_shown"))
        for p, n in subs_given.items():
            ledger.append(
                LedgerEntry(iso, sub.id, "substitute", p, _detail(units=n, instead_of=sub.product))
            )
    if missing and not d.replacement:
        ledger.append(
            LedgerEntry(iso, sub.id, "short", sub.product, _detail(units=missing, tier=sub.tier))
        )
    if credit:
        ledger.append(LedgerEntry(iso, sub.id, "credit", sub.product, _detail(units=credit)))
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
        late=bool(second),
        credit=credit,
        earliest=_clock(sub.earliest),
        latest=_clock(sub.latest),
    )


def _replacement_visits(
    ctx: _Assembly, slots: Sequence[_Slot], complaints: Sequence[Complaint]
) -> tuple[list[DayStop], list[dict[str, Any]]]:
    """Redeliveries for missed, wet and damaged complaints, and those no copy could replace.

    The visits are placed later where they cost least between delivered stops, never moving
    anyone; with a street metric obeying the triangle inequality that is next to the
    subscriber's own place in the route.
    """
    routed = {s.stop.subscriber_id: s for s in slots}
    visits: list[DayStop] = []
    unreplaced: list[dict[str, Any]] = []
    for n, c in enumerate(complaints):
        key = f"{c.subscriber_id}#r{n}"
        prefix = f"{c.kind} complaint" + (f": {c.note}" if c.note else "")
        visit = _served(ctx, routed[c.subscriber_id], key, "redeliver", prefix)
        if visit.action == "short":
            # No copy to spare: the complaint is credited instead of redelivered.
            detail = _detail(kind=c.kind, note=c.note, redelivered=False)
            ctx.ledger.append(
                LedgerEntry(ctx.iso, c.subscriber_id, "complaint", visit.product, detail)
            )
            unreplaced.append(
                {"id": c.subscriber_id, "kind": c.kind, "note": c.note, "credit": visit.credit}
            )
            continue
        source = "late delivery" if visit.late else _replacement_source(ctx.policy)
        detail = _detail(kind=c.kind, note=c.note, source=source)
        ctx.ledger.append(LedgerEntry(ctx.iso, c.subscriber_id, "redeliver", visit.product, detail))
        visits.append(visit)
    return visits, unreplaced


def _day(
    ctx: _Assembly,
    timed: Schedule,
    unreplaced: Sequence[Mapping[str, Any]],
    supply: Mapping[str, int],
    demand: Mapping[str, int],
) -> Day:
    """The day: its stops in order, totals, street measures and times, the ledger lines."""
    book, inputs, ordered = ctx.book, ctx.inputs, timed.stops
    late_info: dict[str, Any] = {}
    if inputs.late:
        late_info = {**timed.late, "supply": dict(sorted(inputs.late.items()))}
    totals = {
        "delivered": sum(s.action == "deliver" for s in ordered),
        "substituted": sum(s.action == "deliver_substitute" for s in ordered),
        "skipped": sum(s.action == "skip" for s in ordered),
        "shorted": sum(s.action == "short" for s in ordered),
        "redelivered": sum(s.action == "redeliver" for s in ordered),
        "credits": sum(s.credit for s in ordered) + sum(u["credit"] for u in unreplaced),
        "late": sum(s.late for s in ordered),
    }
    header = LedgerEntry(ctx.iso, "", "day", "", _detail(route_version=book.version, **totals))
    return Day(
        date=ctx.iso,
        route_version=book.version,
        supply=dict(supply),
        stops=tuple(ordered),
        totals=totals,
        distance_m=timed.distance_m,
        duration_s=timed.duration_s,
        weather=inputs.weather,
        demand=dict(demand),
        late=late_info,
        wrong_spot_notes=tuple(ctx.wrong_notes),
        not_routed=tuple({"id": u.subscriber_id, "reason": u.reason} for u in book.unserved),
        policy=ctx.policy.to_dict(),
        unreplaced=tuple(unreplaced),
        ledger=(header, *ctx.ledger),
        carriers=timed.carriers,
    )


def _replacement_source(policy: Policy) -> str:
    # The supply is pooled, so whose copy it was is bookkeeping: spare copies go first, and the
    # allocation takes a forgo tier's copy only when none is left.
    tiers = [t for t in policy.replacement_from if t != SPARE]
    return " or ".join([SPARE, *(f"{t} copy" for t in tiers)]) if tiers else SPARE
