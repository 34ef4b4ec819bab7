"""The value disciplines, measured: the same subscribers planned three ways over one week.

A company excels in one value discipline and meets the standard in the others; customer
intimacy works only on top of a lean operation. This module makes that lesson a measurement on
the real street network, with real solves (nothing here is a constant).

The three approaches
--------------------
curbside only (pure operational excellence)
    Every delivery spot is replaced by a curb drop at the spot's own curb point: no walk-ins, no
    time windows, no handling beyond the curb's. One fixed route, kept all week. The solver's
    route for this relaxed problem is compared with the preference route's order (which a
    curbside carrier could drive just as well) and the shorter over the week is kept, so a short
    time limit never makes the lean route look longer than the tailored one.
fixed with preferences (the paper-route model)
    The route book as planned by :func:`route.routebook.plan.plan`, with spots, walk-ins and
    windows. Each day the carrier follows it and bypasses the stops not scheduled that day.
daily re-optimised (intimacy with no lean back end)
    For each day of the week, only the subscribers scheduled that day, with every preference,
    planned from scratch by the same solver.

What is measured
----------------
Every day of the week (the seven dates from ``week_start``) is run on the same integer travel
matrices the solver sees (whole metres and seconds between curb points):

street length, duration
    Mean over the seven days. For a fixed route the day's length follows the route order with
    the unscheduled stops bypassed (straight from the previous scheduled stop to the next one).
    Duration is street time plus the time at every stop (the walk-in and handling of the spot
    used) plus any wait for a window that has not opened yet; the curbside carrier never waits.
preferences honoured
    Among the subscribers who asked for more than a curb drop (a spot other than ``curb``, or a
    time window), the share whose chosen spot was used and whose window was met (arrival at the
    curb point between ``earliest`` and ``latest``) on every scheduled day of the week. A
    subscriber left unserved is not honoured.
route changes per week
    Over the seven day-to-day transitions of a repeating week (Sunday to the next Monday
    included): for the stops present on both days, how many have a different next stop (or a
    different carrier) on the second day than on the first. It counts what a carrier has to
    relearn; it is computed from the orders for every approach, and a fixed route scores 0
    because bypassing keeps the relative order.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from route.model.routebook import RouteBook, Unserved
from route.model.subscriber import DeliverySpot, Depot, Subscriber
from route.network import StreetIndex
from route.routebook.plan import (
    PlanOptions,
    Snapped,
    build_problem,
    plan,
    snap_subscribers,
    walk_in,
)
from route.solver.problem import Solution, to_int_matrix
from route.solver.solve import solve

Say = Callable[[str], None]

#: The approaches in the order the lesson tells them.
TITLES = {
    "curbside": "Curbside only (operational excellence)",
    "fixed": "Fixed route, every preference (paper-route model)",
    "daily": "Re-optimised daily (intimacy, no lean back end)",
}
SHORT = {
    "curbside": "Curbside only",
    "fixed": "Fixed + preferences",
    "daily": "Re-optimised daily",
}

#: A day's orders: one tuple of subscriber ids per carrier.
Orders = tuple[tuple[str, ...], ...]


@dataclass(frozen=True, slots=True)
class DayRun:
    """One approach on one date.

    Attributes
    ----------
    date
        The date.
    orders
        Subscriber ids in the order served, one tuple per carrier.
    distance_m
        Street metres from the depot round all stops and back.
    duration_s
        Seconds from leaving the depot to returning: streets, stops and waits.
    walk_in_s
        Seconds of it spent off the street, at the spots (walk-in and handling).
    """

    date: date
    orders: Orders
    distance_m: int
    duration_s: int
    walk_in_s: int

    @property
    def stops(self) -> int:
        """Number of stops served that day."""
        return sum(len(o) for o in self.orders)


@dataclass(frozen=True, slots=True)
class Approach:
    """One way of planning the week, with its measurements.

    Attributes
    ----------
    key
        ``curbside``, ``fixed`` or ``daily``.
    days
        The seven days, from ``week_start``.
    asked
        Subscribers who asked for more than a curb drop (spot or window).
    honoured
        How many of them got their spot and window on every scheduled day.
    route_changes
        Day-to-day changes of next stop over the week (see the module docstring).
    """

    key: str
    days: tuple[DayRun, ...]
    asked: int
    honoured: int
    route_changes: int

    @property
    def title(self) -> str:
        """The approach's name in the lesson."""
        return TITLES[self.key]

    @property
    def mean_distance_m(self) -> float:
        """Mean daily street length, metres."""
        return sum(d.distance_m for d in self.days) / len(self.days)

    @property
    def mean_duration_s(self) -> float:
        """Mean daily duration, seconds."""
        return sum(d.duration_s for d in self.days) / len(self.days)

    @property
    def mean_walk_in_s(self) -> float:
        """Mean daily seconds at the spots (the cost of intimacy)."""
        return sum(d.walk_in_s for d in self.days) / len(self.days)

    @property
    def honoured_pct(self) -> float:
        """Share of preferences honoured, percent (100 when nobody asked for anything)."""
        return 100.0 * self.honoured / self.asked if self.asked else 100.0


@dataclass(frozen=True, slots=True)
class Comparison:
    """The three approaches over one week on the same subscribers and network.

    Attributes
    ----------
    week_start
        The first of the seven dates.
    subscribers
        Number of subscribers given.
    approaches
        Curbside, fixed and daily, in that order.
    unserved
        Subscribers no approach can serve (too far from a street, unreachable), with reasons.
    book
        The fixed route book the ``fixed`` approach follows.
    """

    week_start: date
    subscribers: int
    approaches: tuple[Approach, ...]
    unserved: tuple[Unserved, ...]
    book: RouteBook

    def __iter__(self) -> Iterator[Approach]:
        return iter(self.approaches)

    def __getitem__(self, key: str) -> Approach:
        for a in self.approaches:
            if a.key == key:
                return a
        raise KeyError(key)

    def rows(self) -> list[tuple[str, str, str, str, str, str]]:
        """The table's cells: approach, km/day, min/day, of it at spots, honoured, changes."""
        out = []
        for a in self.approaches:
            out.append(
                (
                    SHORT[a.key],
                    f"{a.mean_distance_m / 1000:.2f}",
                    f"{a.mean_duration_s / 60:.0f}",
                    f"{a.mean_walk_in_s / 60:.0f}",
                    f"{a.honoured_pct:.0f}% ({a.honoured}/{a.asked})",
                    f"{a.route_changes}",
                )
            )
        return out

    def table(self) -> str:
        """The comparison as an aligned text table, with a line on what was measured."""
        head = ("approach", "km/day", "min/day", "at spots", "preferences honoured", "changes/wk")
        rows = [head, *self.rows()]
        widths = [max(len(r[i]) for r in rows) for i in range(len(head))]

        def line(r: Sequence[str]) -> str:
            cells = [r[0].ljust(widths[0])] + [
                c.rjust(w) for c, w in zip(r[1:], widths[1:], strict=True)
            ]
            return "  ".join(cells).rstrip()

        end = self.week_start + timedelta(days=6)
        lines = [
            f"Three ways to serve the same {self.subscribers} subscribers, "
            f"{self.week_start:%a %d %b} to {end:%a %d %b %Y} (means per day):",
            line(head),
            line(["-" * w for w in widths]),
            *(line(r) for r in rows[1:]),
            "Fixed routes bypass the stops not scheduled that day. At spots: minutes off the",
            "street (walk-ins and handling). Changes/wk: stops whose next stop differs from the",
            "day before, over the week.",
        ]
        for u in self.unserved:
            lines.append(f"  not served by any approach: {u.subscriber_id}: {u.reason}")
        return "\n".join(lines)


def compare_disciplines(
    subscribers: Sequence[Subscriber],
    depot: Depot,
    index: StreetIndex,
    *,
    week_start: date,
    time_limit: float = 2.0,
    seed: int = 0,
    options: PlanOptions | None = None,
    book: RouteBook | None = None,
    say: Say | None = None,
) -> Comparison:
    """Plan the same subscribers three ways and measure a week of each.

    Parameters
    ----------
    subscribers
        The active subscribers.
    depot
        Where the carriers start and end.
    index
        The street network's index.
    week_start
        The first of the seven dates measured.
    time_limit
        Solver seconds for each solve (one curbside, one fixed unless ``book`` is given, and
        one per day of the week).
    seed
        Solver seed; the same inputs and seed give the same comparison.
    options
        Carriers, shift start and limits; its ``time_limit`` and ``seed`` are replaced by the
        arguments above.
    book
        A route book already planned for these subscribers (``fixed`` follows it rather than
        planning again). Its subscribers must be among ``subscribers``.
    say
        Progress printer.

    Returns
    -------
    Comparison
        The measurements; see the module docstring for the definitions.

    Raises
    ------
    ValueError
        If ``book`` routes a subscriber that is not among ``subscribers``, or ``time_limit``
        is not positive.
    """
    if time_limit <= 0:
        raise ValueError(f"time_limit must be positive, got {time_limit}")
    say = say or (lambda _m: None)
    options = dataclasses.replace(options or PlanOptions(), time_limit=time_limit, seed=seed)
    dates = tuple(week_start + timedelta(days=i) for i in range(7))

    say(f"Comparing three ways to serve {len(subscribers)} subscribers over a week")
    snapped = snap_subscribers(subscribers, depot, index)
    curbs = (snapped.depot_curb, *snapped.curbs)
    matrix = index.matrix(curbs)
    reach = matrix.reachable()
    keep = [0] + [i for i in range(1, len(curbs)) if reach[i]]
    lost = tuple(
        Unserved(s.id, "no street path to or from the depot")
        for i, s in enumerate(snapped.served, start=1)
        if not reach[i]
    )
    snapped = _subset(snapped, keep)
    dist = to_int_matrix(matrix.distance[np.ix_(keep, keep)])
    dur = to_int_matrix(matrix.duration[np.ix_(keep, keep)])
    curb_snapped = _curbside(snapped, index)
    world = _World(snapped, curb_snapped, dist, dur, options.start_s, dates)

    if book is None:
        say("  fixed route with every preference: planning the route book")
        book = plan(subscribers, depot, index, options)
    unknown = [i for i in book.order if i not in world.node]
    if unknown:
        raise ValueError(f"the route book routes subscribers not given here: {unknown[:5]}")
    book_orders: Orders = tuple(r.order for r in book.routes)
    fixed = world.fixed("fixed", book_orders, curbside=False)

    say("  curbside only: planning one route with every spot moved to the curb")
    problem = build_problem(curb_snapped, dist, dur, options)
    curb_orders = world.orders(solve(problem, time_limit=time_limit, seed=seed), range(len(keep)))
    # The preference route's order is a valid curbside route too; keep whichever is shorter
    # over the week, so a short time limit cannot turn the relaxation into a longer route.
    served_in_book = tuple(tuple(i for i in o) for o in book_orders)
    candidates = [
        world.fixed("curbside", curb_orders, curbside=True),
        world.fixed("curbside", _with_missing(served_in_book, curb_orders), curbside=True),
    ]
    curbside = min(candidates, key=lambda a: (a.mean_distance_m, a.mean_duration_s))

    runs = []
    for day in dates:
        say(f"  re-optimised daily: planning {day:%a} {day} from scratch")
        nodes = [0] + [
            n for n in range(1, len(keep)) if day.weekday() in snapped.served[n - 1].days
        ]
        sub = _subset(snapped, nodes)
        problem = build_problem(sub, dist[np.ix_(nodes, nodes)], dur[np.ix_(nodes, nodes)], options)
        runs.append(world.orders(solve(problem, time_limit=time_limit, seed=seed), nodes))
    daily = world.run("daily", tuple(runs), curbside=False)

    unserved = snapped.unserved + lost
    return Comparison(week_start, len(subscribers), (curbside, fixed, daily), unserved, book)


class _World:
    """The measured week: integer matrices, stops and dates shared by the three approaches."""

    def __init__(
        self,
        snapped: Snapped,
        curb_snapped: Snapped,
        dist: np.ndarray,
        dur: np.ndarray,
        start_s: int,
        dates: tuple[date, ...],
    ) -> None:
        self.subs = snapped.served
        self.node = {s.id: n for n, s in enumerate(self.subs, start=1)}
        self.walk_s = {s.id: w[1] for s, w in zip(self.subs, snapped.walk_ins, strict=True)}
        self.curb_s = {s.id: w[1] for s, w in zip(self.subs, curb_snapped.walk_ins, strict=True)}
        self.dist = dist
        self.dur = dur
        self.start_s = start_s
        self.dates = dates

    def orders(self, solution: Solution, nodes: Sequence[int]) -> Orders:
        """A solution's routes as subscriber ids (``nodes`` maps its indices to ours)."""
        return tuple(tuple(self.subs[nodes[n] - 1].id for n in r) for r in solution.routes)

    def fixed(self, key: str, orders: Orders, *, curbside: bool) -> Approach:
        """Follow one fixed order all week, bypassing the stops not scheduled each day."""
        week = tuple(
            tuple(tuple(i for i in o if d.weekday() in self._sub(i).days) for o in orders)
            for d in self.dates
        )
        return self.run(key, week, curbside=curbside)

    def run(self, key: str, week: Sequence[Orders], *, curbside: bool) -> Approach:
        """Measure a week of orders."""
        days = []
        met: dict[str, bool] = {}
        for d, orders in zip(self.dates, week, strict=True):
            dist_m = dur_s = spots_s = 0
            seen = set()
            for order in orders:
                metres, seconds, at, arrivals = self._drive(order, curbside=curbside)
                dist_m, dur_s, spots_s = dist_m + metres, dur_s + seconds, spots_s + at
                for i, t in arrivals.items():
                    seen.add(i)
                    sub = self._sub(i)
                    ok = (sub.earliest is None or t >= sub.earliest) and (
                        sub.latest is None or t <= sub.latest
                    )
                    met[i] = met.get(i, True) and ok and not (curbside and sub.spot.kind != "curb")
            for s in self.subs:
                if d.weekday() in s.days and s.id not in seen:
                    met[s.id] = False  # scheduled and not served: not honoured
            days.append(DayRun(d, orders, dist_m, dur_s, spots_s))
        asked = [s.id for s in self.subs if _asks(s)]
        honoured = sum(1 for i in asked if met.get(i, True))
        return Approach(key, tuple(days), len(asked), honoured, route_changes(week))

    def _sub(self, sub_id: str) -> Subscriber:
        return self.subs[self.node[sub_id] - 1]

    def _drive(
        self, order: Sequence[str], *, curbside: bool
    ) -> tuple[int, int, int, dict[str, int]]:
        """Metres, seconds, seconds at spots and arrivals of one carrier's day."""
        t = self.start_s
        prev = 0
        metres = at_spots = 0
        arrivals = {}
        for i in order:
            n = self.node[i]
            metres += int(self.dist[prev, n])
            t += int(self.dur[prev, n])
            sub = self._sub(i)
            if not curbside and sub.earliest is not None and t < sub.earliest:
                t = sub.earliest  # the tailored carrier waits for the window to open
            arrivals[i] = t
            service = self.curb_s[i] if curbside else self.walk_s[i]
            t += service
            at_spots += service
            prev = n
        if order:
            metres += int(self.dist[prev, 0])
            t += int(self.dur[prev, 0])
        return metres, t - self.start_s, at_spots, arrivals


def route_changes(week: Sequence[Orders]) -> int:
    """Count day-to-day changes of next stop over a repeating week.

    For each pair of consecutive days (the last day followed by the first), only the stops
    present on both days are compared; a stop counts once when its next stop or its carrier
    differs.

    Parameters
    ----------
    week
        Each day's orders, one tuple of subscriber ids per carrier.

    Returns
    -------
    int
        The number of changed stops summed over the transitions.
    """
    total = 0
    for a, b in zip(week, [*week[1:], *week[:1]], strict=True):
        common = {i for o in a for i in o} & {i for o in b for i in o}
        total += sum(
            1 for i, nxt in _successors(a, common).items() if _successors(b, common)[i] != nxt
        )
    return total


def _successors(orders: Orders, keep: set[str]) -> dict[str, tuple[int, str | None]]:
    out: dict[str, tuple[int, str | None]] = {}
    for carrier, order in enumerate(orders):
        kept = [i for i in order if i in keep]
        for j, i in enumerate(kept):
            out[i] = (carrier, kept[j + 1] if j + 1 < len(kept) else None)
    return out


def _asks(sub: Subscriber) -> bool:
    """Whether a subscriber asked for more than a curb drop."""
    return sub.spot.kind != "curb" or sub.earliest is not None or sub.latest is not None


def _curb_subs(subs: Sequence[Subscriber]) -> tuple[Subscriber, ...]:
    """Every spot moved to the curb at the same point; no windows, no handling overrides."""
    return tuple(
        dataclasses.replace(
            s,
            spot=DeliverySpot("curb", s.spot.lat, s.spot.lon),
            earliest=None,
            latest=None,
            service_s=None,
        )
        for s in subs
    )


def _curbside(snapped: Snapped, index: StreetIndex) -> Snapped:
    subs = _curb_subs(snapped.served)
    return Snapped(
        snapped.depot_curb,
        subs,
        snapped.curbs,
        tuple(walk_in(s, c, index) for s, c in zip(subs, snapped.curbs, strict=True)),
        snapped.unserved,
    )


def _subset(snapped: Snapped, nodes: Sequence[int]) -> Snapped:
    """The subscribers at matrix rows ``nodes`` (row 0, the depot, first)."""
    pick = [n - 1 for n in nodes[1:]]
    return Snapped(
        snapped.depot_curb,
        tuple(snapped.served[i] for i in pick),
        tuple(snapped.curbs[i] for i in pick),
        tuple(snapped.walk_ins[i] for i in pick),
        snapped.unserved,
    )


def _with_missing(orders: Orders, other: Orders) -> Orders:
    """``orders`` with any stop only ``other`` has appended to the last carrier."""
    have = {i for o in orders for i in o}
    extra = tuple(i for o in other for i in o if i not in have)
    if not extra:
        return orders
    return (*orders[:-1], orders[-1] + extra)
