"""Street measures of a day: replacement visits placed where they cost least, bypassed stops,
and the catch-up pass, all without moving a single stop of the route book."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from route.model.routebook import RouteBook

if TYPE_CHECKING:
    from route.model.day import DayStop, Travel


def place_visits(book: RouteBook, stops: list[DayStop], travel: Travel) -> list[DayStop]:
    """Put each replacement visit where it costs least, keeping every route stop in place."""
    n_route = sum(len(r.stops) for r in book.routes)
    order, visits = list(stops[:n_route]), stops[n_route:]
    for v in visits:
        own = next(i for i, s in enumerate(order) if s.id == v.id and s.action != "redeliver")
        rows = [i for i, s in enumerate(order) if s.carrier == v.carrier]
        at = own
        if not v.late:
            anchors: list[int | None] = [None]
            anchors += [i for i in rows if _visited(order[i]) and not order[i].late]
            best: tuple[int, int] | None = None
            for k, a in enumerate(anchors):
                nxt = anchors[k + 1] if k + 1 < len(anchors) else None
                prev_id = None if a is None else order[a].id
                next_id = None if nxt is None else order[nxt].id
                cost = (
                    travel(prev_id, v.id)[0]
                    + travel(v.id, next_id)[0]
                    - travel(prev_id, next_id)[0]
                )
                lo = rows[0] - 1 if a is None else a
                hi = rows[-1] + 1 if nxt is None else nxt
                # Between these two visited stops: right after the subscriber's own stop when it
                # lies there, else right after the first of them.
                pos = own if lo <= own < hi else lo
                cand = (cost, abs(pos - own))
                if best is None or cand < best:
                    best, at = cand, pos
        seq = order[at].seq if at >= rows[0] else 0
        order.insert(at + 1, replace(v, seq=seq))
    return order


def _visited(s: DayStop) -> bool:
    return s.action in ("deliver", "deliver_substitute", "redeliver")


def route_metric(book: RouteBook) -> Travel:
    """Distances along the route book's own legs (a stop passed by is on the same streets).

    ``travel(None, x)`` is from the depot at the start; ``travel(x, None)`` back to the depot at
    the end.
    """
    pos: dict[str, tuple[int, int, int]] = {}
    ends: dict[int, tuple[int, int]] = {}
    where: dict[str, int] = {}
    for r in book.routes:
        m = s = 0
        for stop in r.stops:
            m += stop.leg_m
            s += stop.leg_s
            pos[stop.subscriber_id] = (r.carrier, m, s)
            where[stop.subscriber_id] = r.carrier
        ends[r.carrier] = (m + r.return_m, s + r.return_s)

    def travel(a: str | None, b: str | None) -> tuple[int, int]:
        carrier = where.get(a or b or "", 0)
        am, as_ = (0, 0) if a is None else pos[a][1:]
        bm, bs = ends.get(carrier, (0, 0)) if b is None else pos[b][1:]
        if a is None and b is None:
            return 0, 0
        return abs(bm - am), abs(bs - as_)

    return travel


def day_totals(
    book: RouteBook, order: list[DayStop], travel: Travel, extra_s: int
) -> tuple[int, int, dict[str, Any]]:
    """Street metres and total seconds of the day, and the catch-up pass."""
    walk = {s.subscriber_id: (s.walk_in_m, s.walk_in_s) for r in book.routes for s in r.stops}
    metres = seconds = 0
    late_m = late_s = 0
    late_order: list[dict[str, Any]] = []
    for r in book.routes:
        mine = [s for s in order if s.carrier == r.carrier]
        for late_pass in (False, True):
            seq = [s for s in mine if _visited(s) and s.late == late_pass]
            if not seq:
                continue
            prev: str | None = None
            m = t = 0
            for s in seq:
                dm, ds = travel(prev, s.id) if prev != s.id else (0, 0)
                m += dm
                t += ds + walk[s.id][1]
                prev = s.id
            dm, ds = travel(prev, None)
            m += dm
            t += ds
            metres += m
            seconds += t
            if late_pass:
                late_m += m
                late_s += t
                late_order += [{"carrier": s.carrier, "seq": s.seq, "id": s.id} for s in seq]
    info = {"stops": late_order, "distance_m": late_m, "duration_s": late_s} if late_order else {}
    return metres, seconds + extra_s, info
