"""Street measures and times of a day: replacement visits placed where they cost least,
bypassed stops, the catch-up pass, and every visit's planned arrival, all without moving a
single stop of the route book.

The day's times follow the route book's rule (:mod:`route.routebook.timing`): leave the depot
at the shift start, go to each visit in the day's order, wait only for a window to open, spend
the walk-in (and the weather's extra seconds) at the spot. A stop that is skipped or short is
passed by. The catch-up pass with a late bundle starts from the depot when the morning pass is
back, and visits its stops in route order.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from route.model.day import CarrierDay
from route.model.routebook import RouteBook
from route.model.subscriber import format_clock
from route.routebook.timing import LEAVE_LATER_FROM_S, departure_slack

if TYPE_CHECKING:
    from route.model.day import DayStop, Travel

_DELIVERED = ("deliver", "deliver_substitute")


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
            anchors += [i for i in rows if order[i].visited and not order[i].late]
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


def day_metric(book: RouteBook, street: Travel | None = None) -> Travel:
    """The day's travel: the route book's own legs between stops that follow each other, and
    elsewhere the quicker of the street network's shortest path (``street``) and walking on
    along the route past the stops in between.

    Between consecutive stops the route book's leg is the shortest path already, so an
    all-present day takes the route book's times exactly, and the network is asked only about
    the pairs a day's bypasses and placements need. Going on along the route is always
    possible, so a day with stops skipped is never slower than the route book.
    """
    along = route_metric(book)
    adjacent: set[tuple[str | None, str | None]] = set()
    place: dict[str, tuple[int, int]] = {}
    for r in book.routes:
        ids: list[str | None] = [None, *r.order, None]
        adjacent.update(itertools.pairwise(ids))
        place.update({sid: (r.carrier, i) for i, sid in enumerate(r.order)})

    def forward(a: str | None, b: str | None) -> bool:
        """Whether ``b`` lies ahead of ``a`` on one carrier's route (the depot at both ends)."""
        if a is None or b is None:
            return a != b
        pa, pb = place.get(a), place.get(b)
        return pa is not None and pb is not None and pa[0] == pb[0] and pa[1] < pb[1]

    def travel(a: str | None, b: str | None) -> tuple[int, int]:
        if (a, b) in adjacent or street is None:
            return along(a, b)
        found = street(a, b)
        if not forward(a, b):
            return found
        return min(found, along(a, b), key=lambda mt: (mt[1], mt[0]))

    return travel


@dataclass(frozen=True, slots=True)
class Schedule:
    """The day's stops with their arrivals, each carrier's day, and the catch-up pass."""

    stops: tuple[DayStop, ...]
    carriers: tuple[CarrierDay, ...]
    late: Mapping[str, Any]

    @property
    def distance_m(self) -> int:
        return sum(c.distance_m for c in self.carriers)

    @property
    def duration_s(self) -> int:
        return sum(c.duration_s for c in self.carriers)


def schedule(
    book: RouteBook,
    order: Sequence[DayStop],
    travel: Travel,
    service: Mapping[str, int],
    windows: Mapping[str, tuple[int | None, int | None]],
) -> Schedule:
    """Time the day's visits: arrival and wait at every visit, totals per carrier.

    Parameters
    ----------
    book
        The route book (carriers, shift start).
    order
        The day's stops in their order (route stops and placed redeliveries).
    travel
        Street metres and seconds between stops (``None`` = the depot).
    service
        Seconds at each subscriber's spot: the walk-in, plus the weather's extra seconds.
    windows
        ``(earliest, latest)`` per subscriber id, seconds after midnight or ``None``.
    """
    stops = list(order)
    carriers = []
    late_order: list[dict[str, Any]] = []
    for r in book.routes:
        mine = [k for k, s in enumerate(stops) if s.carrier == r.carrier and s.visited]
        main = _time_pass(stops, [k for k in mine if not stops[k].late], book.start_s,
                          travel, service, windows)  # fmt: skip
        late = _time_pass(stops, [k for k in mine if stops[k].late], main.end_s,
                          travel, service, windows)  # fmt: skip
        slack = departure_slack(main.slack_rows)
        leave = slack >= LEAVE_LATER_FROM_S
        carrier = CarrierDay(
            carrier=r.carrier,
            stops=len(mine),
            pieces=main.pieces,
            distance_m=main.distance_m + late.distance_m,
            duration_s=late.end_s - book.start_s,
            start=format_clock(book.start_s),
            end=format_clock(late.end_s),
            wait_s=main.wait_s + late.wait_s,
            leave_at=format_clock(book.start_s + slack) if leave else "",
            avoidable_wait_s=slack if leave else 0,
            deliveries=sum(stops[k].action in _DELIVERED for k in mine),
            redeliveries=sum(stops[k].action == "redeliver" for k in mine),
        )
        if late.visits:
            carrier = replace(
                carrier,
                late_stops=len(late.visits),
                late_pieces=late.pieces,
                late_distance_m=late.distance_m,
                late_duration_s=late.end_s - late.start_s,
                late_start=format_clock(late.start_s),
                late_end=format_clock(late.end_s),
            )
            late_order += [
                {"carrier": stops[k].carrier, "seq": stops[k].seq, "id": stops[k].id}
                for k in late.visits
            ]
        carriers.append(carrier)
    info: dict[str, Any] = {}
    if late_order:
        info = {
            "stops": late_order,
            "distance_m": sum(c.late_distance_m for c in carriers),
            "duration_s": sum(c.late_duration_s for c in carriers),
        }
    return Schedule(tuple(stops), tuple(carriers), info)


@dataclass(frozen=True, slots=True)
class _Pass:
    visits: tuple[int, ...]
    start_s: int
    end_s: int
    distance_m: int
    wait_s: int
    pieces: Mapping[str, int]
    slack_rows: tuple[tuple[int, int, int | None], ...]


def _time_pass(
    stops: list[DayStop],
    visits: Sequence[int],
    start_s: int,
    travel: Travel,
    service: Mapping[str, int],
    windows: Mapping[str, tuple[int | None, int | None]],
) -> _Pass:
    """Time one pass from the depot over ``stops[k]`` for ``k`` in ``visits`` (in place)."""
    t, metres, waited = start_s, 0, 0
    pieces: dict[str, int] = {}
    rows: list[tuple[int, int, int | None]] = []
    prev: str | None = None
    for k in visits:
        s = stops[k]
        dm, ds = (0, 0) if prev == s.id else travel(prev, s.id)
        reached = t + ds
        earliest, latest = windows.get(s.id, (None, None))
        arrival = reached if earliest is None else max(reached, earliest)
        stops[k] = replace(s, arrival=format_clock(arrival), wait_s=arrival - reached)
        rows.append((reached, arrival - reached, latest))
        waited += arrival - reached
        metres += dm
        t = arrival + service.get(s.id, 0)
        prev = s.id
        for p, n in s.items.items():
            pieces[p] = pieces.get(p, 0) + n
    if visits:
        dm, ds = travel(prev, None)
        metres += dm
        t += ds
    return _Pass(tuple(visits), start_s, t, metres, waited, dict(sorted(pieces.items())),
                 tuple(rows))  # fmt: skip
