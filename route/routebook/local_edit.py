"""Stable edits that cost the size of the neighbourhood, not of the route.

Adding or removing one subscriber must not wait for a travel matrix of the whole route. The
route book already holds every leg it drives (metres, seconds and street geometry), so an edit
keeps those and measures only what is new:

- a removal needs one new leg per gap (from the stop before to the stop after);
- an insertion needs the legs between the new curb point and the stops around the places it
  might take. Every place gets a lower bound on its added metres from straight-line distances
  (no street is shorter than the straight line between its ends), and on its travel times
  from the network's fastest street, so most places are ruled out, by cost or by a window, for
  the price of a subtraction. The rest are measured nearest first, a batch at a time, with
  street searches from the new point stopped at the neighbourhood's radius
  (:meth:`route.network.StreetIndex.around`), until no place left could beat the best found.
  Windows, the bag and the shift are checked in O(1) per place with the route's slack
  (:func:`route.routebook.timing.insertion_feasible`).

The result is the place the whole-matrix insertion would choose (the same metres, seconds and
tie-breaks), every other stop keeping its carrier and order (invariant 7). A subscriber left
unserved before is tried again only when something that could make them servable changed
(:data:`route.model.routebook.UNSERVED_KINDS`): their own spot, window, service or quantity,
or, when no place kept their promises, a stop leaving the route.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from route.constants import MAX_MATRIX_VALUE, MAX_SNAP_M
from route.model.routebook import (
    FAR,
    NO_PLACE,
    UNREACHABLE,
    WINDOW,
    CarrierRoute,
    RouteBook,
    Stop,
    Unserved,
    fingerprint,
)
from route.model.subscriber import Subscriber
from route.network import CurbPoint, StreetIndex
from route.routebook.edits import OWN_DATA_ONLY, Edit, Placed, Work, edit_work
from route.routebook.plan import PlanOptions, solver_record, walk_in, why_unplaced, window_reason
from route.routebook.timing import insertion_feasible, slack_of
from route.solver.problem import Problem

Say = Callable[[str], None]
Leg = tuple[tuple[float, float], ...]

_DEPOT, _END = "\x00depot", "\x00end"
#: Places measured in the first batch of an insertion (doubling after each batch).
_FIRST_BATCH = 24


@dataclass
class _Route:
    """One carrier's route while it is edited."""

    carrier: int
    ids: list[str]
    leg_m: list[int]
    leg_s: list[int]
    legs: list[Leg]
    curb: list[tuple[float, float]]
    walk: list[tuple[int, int]]
    back_m: int = 0
    back_s: int = 0
    back_leg: Leg | None = None
    original: CarrierRoute | None = None
    changed: bool = False
    cache: dict[str, Any] = field(default_factory=dict)


class LocalEdit:
    """The state of one stable edit of a route book (see the module docstring)."""

    def __init__(
        self,
        book: RouteBook,
        subscribers: Sequence[Subscriber],
        index: StreetIndex,
        options: PlanOptions,
        say: Say | None = None,
        carrier_of: Mapping[str, int] | None = None,
    ) -> None:
        self.book, self.index, self.options = book, index, options
        self.carrier_of = carrier_of or {}  # a district's subscriber: its carrier's route only
        self.say = say or (lambda _m: None)
        self.subs = {s.id: s for s in subscribers}
        self.order = [s.id for s in subscribers]
        self.problem = _limits(book, options)
        self.routes = [
            _Route(
                r.carrier,
                [s.subscriber_id for s in r.stops],
                [s.leg_m for s in r.stops],
                [s.leg_s for s in r.stops],
                list(r.legs[: len(r.stops)]),
                [(s.curb_lat, s.curb_lon) for s in r.stops],
                [(s.walk_in_m, s.walk_in_s) for s in r.stops],
                r.return_m,
                r.return_s,
                r.legs[len(r.stops)] if len(r.legs) > len(r.stops) else None,
                r,
            )
            for r in book.routes
        ]
        while len(self.routes) < options.carriers:
            self.routes.append(_Route(len(self.routes) + 1, [], [], [], [], [], []))
        self._curbs: dict[str, CurbPoint] = {}
        depot_curb = index.snap([(book.depot.lat, book.depot.lon)])[0]
        self._curbs[_DEPOT] = depot_curb
        self.closed = not options.open_end
        end_curb = depot_curb
        if options.end is not None and not options.open_end:
            end_curb = index.snap([options.end])[0]
        self._curbs[_END] = end_curb
        self._xy_fixed = {k: (c.x, c.y) for k, c in self._curbs.items()}
        self.unserved = {u.subscriber_id: u for u in book.unserved}
        self.placed: list[Placed] = []
        self.unplaced: list[str] = []
        self.removed: list[str] = []

    # -- curb points -------------------------------------------------------------------------

    def curb(self, key: str) -> CurbPoint:
        """The curb point of a subscriber's spot (snapped as the plan did), or of the ends."""
        if key not in self._curbs:
            sub = self.subs[key]
            self._curbs[key] = self.index.snap([(sub.spot.lat, sub.spot.lon)])[0]
        return self._curbs[key]

    def _snap_all(self, ids: Sequence[str]) -> None:
        todo = [i for i in dict.fromkeys(ids) if i not in self._curbs]
        if todo:
            points = [(self.subs[i].spot.lat, self.subs[i].spot.lon) for i in todo]
            self._curbs.update(zip(todo, self.index.snap(points), strict=True))

    # -- removal ------------------------------------------------------------------------------

    def remove(self, ids: set[str]) -> None:
        """Take stops out of their routes; each gap is closed by one new leg."""
        gaps: list[tuple[_Route, int, str, str | None]] = []
        for c, r in enumerate(self.routes):
            if not ids & set(r.ids):
                continue
            keep = [i for i, x in enumerate(r.ids) if x not in ids]
            self.removed += [x for x in r.ids if x in ids]
            new = _Route(r.carrier, [], [], [], [], [], [], original=r.original, changed=True)
            prev_kept = -1
            for i in keep:
                new.ids.append(r.ids[i])
                new.curb.append(r.curb[i])
                new.walk.append(r.walk[i])
                if i == prev_kept + 1:  # the same leg as before
                    new.leg_m.append(r.leg_m[i])
                    new.leg_s.append(r.leg_s[i])
                    new.legs.append(r.legs[i])
                else:
                    new.leg_m.append(0)
                    new.leg_s.append(0)
                    new.legs.append(())
                    gaps.append((new, len(new.ids) - 1, _key(new, len(new.ids) - 2), r.ids[i]))
                prev_kept = i
            if new.ids and self.closed:
                if prev_kept == len(r.ids) - 1:
                    new.back_m, new.back_s, new.back_leg = r.back_m, r.back_s, r.back_leg
                else:
                    gaps.append((new, len(new.ids), new.ids[-1], None))
            self.routes[c] = new
        if not gaps:
            return
        self.say(f"Closing {len(gaps)} gap{'s' if len(gaps) > 1 else ''} in the route")
        self._snap_all([k for g in gaps for k in (g[2], g[3]) if k and not k.startswith("\x00")])
        starts = [self.curb(g[2]) for g in gaps]
        ends = [self.curb(g[3] or _END) for g in gaps]
        metres, seconds = self.index.travel(starts, ends)
        for (r, pos, _a, b), m, s, ca, cb in zip(gaps, metres, seconds, starts, ends, strict=True):
            leg = self.index.leg(ca, cb)
            if b is None:
                r.back_m, r.back_s, r.back_leg = _whole(m), _whole(s), leg
            else:
                r.leg_m[pos], r.leg_s[pos], r.legs[pos] = _whole(m), _whole(s), leg

    # -- insertion ----------------------------------------------------------------------------

    def insert(self, sub: Subscriber, *, retry: bool = False) -> Placed | None:
        """Slot ``sub`` in at its cheapest feasible place, or list them as unserved.

        ``retry``: ``sub`` is unserved, unchanged, because no place kept their promises, and is
        tried again because room was freed. When no place keeps them (not one even by the
        straight-line bounds, then nothing is measured on the streets) they stay unserved for
        the reason recorded: it depends only on their own data and the limits.
        """
        self.subs[sub.id] = sub
        self._curbs.pop(sub.id, None)
        cx = self.curb(sub.id)
        if cx.distance_m > MAX_SNAP_M:
            return self._unserved(
                sub,
                f"spot is {cx.distance_m:.0f} m from the nearest usable street "
                f"(limit {MAX_SNAP_M:.0f} m): check its coordinates",
                FAR,
            )
        walk_m, walk_s = walk_in(sub, cx, self.index)
        retry = retry and sub.id in self.unserved
        if retry and not len(self._candidates(sub, cx, walk_s)[1]):
            self.unplaced.append(sub.id)
            return None
        near = Measure(self, cx)
        if not retry:
            # A retried subscriber reached the depot and could meet their window before; the
            # legs to and from the depot are measured only if a place next to it is tried.
            near.measure([_DEPOT, _END] if self.closed else [_DEPOT], math.inf)
            out_m, out_s = near.into.get(_DEPOT, (math.inf, math.inf))
            back_m, back_s = near.out.get(_DEPOT, (math.inf, math.inf))
            if not all(map(math.isfinite, (out_m, back_m))):
                return self._unserved(sub, "no street path to or from the depot", UNREACHABLE)
            soonest = self.problem.start_s + int(out_s)
            if sub.latest is not None and sub.latest < soonest:
                return self._unserved(sub, window_reason(sub, soonest), WINDOW)
        best = self._best_place(sub, cx, walk_s, near)
        if best is None and retry:
            self.unplaced.append(sub.id)  # unserved still, for the reason recorded
            return None
        if best is None:
            reason = why_unplaced(sub, self.problem, int(out_s), int(back_s), walk_s)
            return self._unserved(sub, reason, NO_PLACE)
        add_m, add_s, c, pos, to_leg, from_leg = best
        r = self.routes[c]
        before_key = r.ids[pos] if pos < len(r.ids) else None
        placed = Placed(
            sub.id,
            c,
            pos,
            add_m,
            add_s,
            r.ids[pos - 1] if pos > 0 else None,
            before_key,
        )
        a, b = self.curb(_key(r, pos - 1)), self.curb(before_key or _END)
        r.ids.insert(pos, sub.id)
        lat, lon = self.index.to_latlon([(cx.x, cx.y)])[0]
        r.curb.insert(pos, (lat, lon))
        r.walk.insert(pos, (walk_m, walk_s))
        r.leg_m.insert(pos, to_leg[0])
        r.leg_s.insert(pos, to_leg[1])
        r.legs.insert(pos, self.index.leg(a, cx))
        if before_key is not None:
            r.leg_m[pos + 1], r.leg_s[pos + 1] = from_leg
            r.legs[pos + 1] = self.index.leg(cx, b)
        elif self.closed:
            r.back_m, r.back_s = from_leg
            r.back_leg = self.index.leg(cx, b)
        r.changed = True
        r.cache.clear()
        self.unserved.pop(sub.id, None)
        self.placed.append(placed)
        return placed

    def _unserved(self, sub: Subscriber, reason: str, kind: str) -> Placed | None:
        self.unserved[sub.id] = Unserved(sub.id, reason, kind)
        self.unplaced.append(sub.id)
        return None

    def _places(self, r: _Route) -> dict[str, Any]:
        """Per place of a route: the ends' positions, the leg between them, the slack."""
        if not r.cache:
            n = len(r.ids)
            xy = self.index.xy_of(r.curb) if n else np.zeros((0, 2))
            end_xy = np.asarray([self._xy_fixed[_END] if self.closed else (np.nan, np.nan)])
            depot_xy = np.asarray([self._xy_fixed[_DEPOT]])
            subs = [self.subs[x] for x in r.ids]
            r.cache.update(
                a_xy=np.vstack([depot_xy, xy]),
                b_xy=np.vstack([xy, end_xy]),
                ab_m=np.asarray([*r.leg_m, r.back_m if self.closed else 0], np.int64),
                ab_s=np.asarray([*r.leg_s, r.back_s if self.closed else 0], np.int64),
                slack=slack_of(
                    self.problem.start_s,
                    r.leg_s,
                    [w[1] for w in r.walk],
                    [s.earliest for s in subs],
                    [s.latest for s in subs],
                    r.back_s,
                    open_end=not self.closed,
                    shift_s=self.problem.shift_s,
                    load=sum(s.quantity for s in subs),
                ),
            )
        return r.cache

    def _candidates(
        self, sub: Subscriber, cx: CurbPoint, service: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """The places the bounds leave: a lower bound on each one's added metres, and its
        (carrier, place); no street is measured."""
        ratio, fastest = self.index.length_ratio, self.index.fastest_mps
        x = np.asarray([cx.x, cx.y])
        lows, groups = [], []
        only = self.carrier_of.get(sub.id)
        for c, r in enumerate(self.routes):
            if only is not None and r.carrier != only:
                continue
            pl = self._places(r)
            e_a = np.hypot(*(pl["a_xy"] - x).T) * ratio
            e_b = np.nan_to_num(np.hypot(*(pl["b_xy"] - x).T) * ratio, nan=0.0)
            # Street metres are at least the straight line; whole metres round by half a metre.
            low_m = np.floor(e_a + e_b - pl["ab_m"] - 1.5)
            places = np.arange(len(r.ids) + 1)
            maybe = insertion_feasible(
                pl["slack"],
                places,
                np.floor(e_a / fastest - 1).astype(np.int64),
                np.floor(e_b / fastest - 1).astype(np.int64),
                service,
                sub.earliest,
                sub.latest,
                sub.quantity,
                self.problem.capacity,
            )
            keep = np.flatnonzero(maybe)
            lows.append(low_m[keep])
            groups.append(np.column_stack([np.full(len(keep), c), keep]))
        if not groups:
            return np.zeros(0), np.zeros((0, 2), np.int64)
        return np.concatenate(lows), np.vstack(groups)

    def _best_place(
        self, sub: Subscriber, cx: CurbPoint, service: int, near: Measure
    ) -> tuple[int, int, int, int, tuple[int, int], tuple[int, int]] | None:
        """The cheapest feasible place: (metres, seconds, carrier, place, leg in, leg out)."""
        low, cand = self._candidates(sub, cx, service)
        if not len(cand):
            return None
        order = np.lexsort((cand[:, 1], cand[:, 0], low))
        best: tuple[int, int, int, int, tuple[int, int], tuple[int, int]] | None = None
        i, size = 0, _FIRST_BATCH
        while i < len(order):
            if best is not None and low[order[i]] > best[0]:
                break  # no place left can add fewer metres
            batch = order[i : i + size]
            i, size = i + size, size * 2
            if best is not None:
                batch = batch[low[batch] <= best[0]]
            keys = {k for c, p in cand[batch] for k in self._ends(c, p)}
            near.measure(list(keys))
            for c in np.unique(cand[batch, 0]):
                mine = cand[batch][cand[batch, 0] == c, 1]
                found = self._exact(int(c), mine, sub, service, near)
                if found is not None and (best is None or found[:4] < best[:4]):
                    best = found
        return best

    def _ends(self, c: int, p: int) -> tuple[str, ...]:
        r = self.routes[c]
        a = _key(r, p - 1)
        if p < len(r.ids):
            return (a, r.ids[p])
        return (a, _END) if self.closed else (a,)

    def _exact(
        self, c: int, places: np.ndarray, sub: Subscriber, service: int, near: Measure
    ) -> tuple[int, int, int, int, tuple[int, int], tuple[int, int]] | None:
        r = self.routes[c]
        pl = self._places(r)
        n = len(r.ids)
        inf = (math.inf, math.inf)
        to = [near.into.get(_key(r, p - 1), inf) for p in places]
        fr = [
            near.out.get(r.ids[p] if p < n else _END, inf) if (p < n or self.closed) else (0, 0)
            for p in places
        ]
        to_m, to_s = np.asarray(to, float).T
        fr_m, fr_s = np.asarray(fr, float).T
        known = np.isfinite(to_m) & np.isfinite(fr_m)
        if not known.any():
            return None
        places, to_m, to_s, fr_m, fr_s = (
            v[known] for v in (places, to_m, to_s, fr_m, fr_s)
        )  # fmt: skip
        ti, fi = to_s.astype(np.int64), fr_s.astype(np.int64)
        ok = insertion_feasible(
            pl["slack"],
            places,
            ti,
            fi,
            service,
            sub.earliest,
            sub.latest,
            sub.quantity,
            self.problem.capacity,
        )
        if not ok.any():
            return None
        add_m = (to_m + fr_m - pl["ab_m"][places]).astype(np.int64)
        add_s = (ti + fi - pl["ab_s"][places] + service).astype(np.int64)
        k = np.flatnonzero(ok)
        k = k[np.lexsort((places[k], add_s[k], add_m[k]))[0]]
        return (
            int(add_m[k]),
            int(add_s[k]),
            c,
            int(places[k]),
            (int(to_m[k]), int(to_s[k])),
            (int(fr_m[k]), int(fr_s[k])),
        )

    # -- the new route book -------------------------------------------------------------------

    def book_out(self, stats: dict[str, Any]) -> RouteBook:
        """The edited route book (same version number as the book edited)."""
        start = self.problem.start_s
        routes = []
        for r in self.routes:
            if not r.changed and r.original is not None:
                routes.append(r.original)
                continue
            stops, t = [], start
            for i, x in enumerate(r.ids):
                sub = self.subs[x]
                t += r.leg_s[i] + (r.walk[i - 1][1] if i else 0)
                t = max(t, sub.earliest) if sub.earliest is not None else t
                lat, lon = r.curb[i]
                stops.append(
                    Stop(i + 1, x, lat, lon, t, r.leg_m[i], r.leg_s[i], r.walk[i][0], r.walk[i][1])
                )
            closes = bool(r.ids) and self.closed
            back_m, back_s = (r.back_m, r.back_s) if closes else (0, 0)
            finish = (t + r.walk[-1][1] + back_s) if r.ids else start
            legs = [*r.legs, *([r.back_leg] if closes and r.back_leg is not None else [])]
            routes.append(
                CarrierRoute(
                    carrier=r.carrier,
                    stops=tuple(stops),
                    legs=tuple(legs),
                    distance_m=sum(r.leg_m) + back_m,
                    duration_s=int(finish - start),
                    walk_in_m=sum(w[0] for w in r.walk),
                    walk_in_s=sum(w[1] for w in r.walk),
                    return_m=back_m,
                    return_s=back_s,
                )
            )
        kept = {x for x in self.order if x in self.subs}
        unserved = tuple(u for u in self.unserved.values() if u.subscriber_id in kept)
        set_aside = {u.subscriber_id for u in unserved if u.kind in OWN_DATA_ONLY}
        served = [self.subs[x] for x in self.order if x not in set_aside]
        return RouteBook(
            mode=self.book.mode,
            depot=self.book.depot,
            start_s=self.book.start_s,
            routes=tuple(routes),
            unserved=unserved,
            solver=solver_record(stats, self.options),
            fingerprints={
                **self.book.fingerprints,
                "subscribers": fingerprint([s.to_dict() for s in served]),
            },
            version=self.book.version,
        )


class Measure:
    """Street legs between one new curb point and the stops around it, measured on demand.

    ``into[key]`` is the leg from that stop (or the depot) to the new point, ``out[key]`` the
    leg from the new point to it, in whole metres and seconds.
    """

    def __init__(self, edit: LocalEdit, c: CurbPoint) -> None:
        self.edit, self.c = edit, c
        self.into: dict[str, tuple[float, float]] = {}
        self.out: dict[str, tuple[float, float]] = {}

    def measure(self, keys: Sequence[str], limit_m: float | None = None) -> None:
        """Measure the legs to and from ``keys`` not measured yet.

        The searches stop at three times the farthest straight line plus a kilometre; a stop
        beyond that (a river between, a one-way detour) is measured again without a limit.
        """
        todo = [k for k in dict.fromkeys(keys) if k not in self.into]
        if not todo:
            return
        e = self.edit
        e._snap_all([k for k in todo if not k.startswith("\x00")])
        curbs = [e.curb(k) for k in todo]
        if limit_m is None:
            far = max(math.hypot(c.x - self.c.x, c.y - self.c.y) for c in curbs)
            limit_m = 3 * far / e.index.length_ratio + 1000.0
        around = e.index.around(self.c, curbs, limit_m)
        again = []
        for k, tm, ts, fm, fs in zip(
            todo, around.to_m, around.to_s, around.from_m, around.from_s, strict=True
        ):
            if math.isfinite(limit_m) and not (math.isfinite(tm) and math.isfinite(fm)):
                again.append(k)
                continue
            self.out[k] = (_whole(tm), _whole(ts)) if math.isfinite(tm) else (math.inf, math.inf)
            self.into[k] = (_whole(fm), _whole(fs)) if math.isfinite(fm) else (math.inf, math.inf)
        if again:
            self.measure(again, math.inf)


def _key(r: _Route, i: int) -> str:
    """The stop at index ``i`` of a route, or the depot for -1."""
    return r.ids[i] if i >= 0 else _DEPOT


def _whole(v: float) -> int:
    """Whole metres or seconds, as the planning matrices round them."""
    return int(min(np.rint(v), MAX_MATRIX_VALUE))


def _limits(book: RouteBook, options: PlanOptions) -> Problem:
    """A one-node problem carrying only the fleet and limits (for the unserved reasons)."""
    zero = np.zeros((1, 1), np.int32)
    return Problem(
        distance=zero,
        duration=zero,
        service=(0,),
        earliest=(None,),
        latest=(None,),
        start_s=book.start_s,
        carriers=options.carriers,
        capacity=options.capacity,
        shift_s=options.shift_s,
    )


def applies(book: RouteBook, index: StreetIndex) -> bool:
    """Whether a book's legs can be kept: it was planned on this very network."""
    return book.mode == index.net.mode and book.fingerprints.get("network") == (
        index.net.fingerprint
    )


def local_stable_edit(
    book: RouteBook,
    subscribers: Sequence[Subscriber],
    index: StreetIndex,
    options: PlanOptions,
    *,
    changed: Sequence[str] = (),
    say: Say | None = None,
    work: Work | None = None,
    carrier_of: Mapping[str, int] | None = None,
) -> Edit:
    """Bring ``book`` up to date with ``subscribers`` measuring only the new legs.

    ``changed`` names the subscribers whose spot, window, service or quantity changed: those on
    the route are taken out and slotted in again, those unserved are tried again (see
    :func:`edit_work`). ``carrier_of`` limits subscribers to one carrier's route (their
    district's).
    """
    say = say or (lambda _m: None)
    work = work or edit_work(book, subscribers, changed)
    e = LocalEdit(book, subscribers, index, options, say, carrier_of)
    # Unserved, unchanged, for want of a place: tried again only because room was freed.
    retried = {
        u.subscriber_id
        for u in book.unserved
        if u.kind == NO_PLACE and u.subscriber_id not in changed
    }
    e.remove(set(work.gone) | set(work.again))
    todo = work.todo
    if len(todo) > 1:
        say(f"Slotting {len(todo):,} subscribers into the route")
    shown = 0.0
    t0 = time.perf_counter()
    for k, x in enumerate(todo, start=1):
        e.insert(e.subs[x], retry=x in retried)
        if len(todo) > 20 and time.perf_counter() - t0 - shown >= 1.0:
            shown = time.perf_counter() - t0
            say(f"  {k:,} of {len(todo):,} slotted")
    new = e.book_out(
        {
            **{k: v for k, v in book.solver.items() if k not in _NOT_CARRIED},
            "last_edit": "stable",
        }
    )
    return Edit(
        book=new,
        placements=tuple((p.subscriber_id, p) for p in e.placed),
        inserted_ids=tuple(p.subscriber_id for p in e.placed),
        removed_ids=tuple(x for x in book.order if x in work.gone),
        unplaced_ids=tuple(e.unplaced),
        base=book,
    )


#: Solver-statistics keys an edited book does not inherit (the plan's bound was for its stops).
_NOT_CARRIED = ("seed", "time_limit_s", "carriers", "lower_bound", "last_edit")
