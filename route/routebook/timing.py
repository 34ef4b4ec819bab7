"""Timing a fixed route: arrival times, lengths and whether a route keeps its limits.

Everything in :mod:`route.routebook` works on a :class:`route.solver.problem.Problem` (node 0
the depot) and routes given as tuples of node indices, one tuple per carrier. Arrival times are
the earliest-start schedule: leave each stop as soon as it is served, wait at a stop only for
the start of its window. The same routes always give the same times.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from route.model.day import CarrierDay
from route.model.routebook import RouteBook, Stop
from route.model.subscriber import Subscriber
from route.solver.problem import Problem, Routes

#: An arrival time that moves by more than this counts as a disturbance (seconds).
RETIME_THRESHOLD_S = 300

#: Leaving later is advised only when it saves at least this much waiting (seconds).
LEAVE_LATER_FROM_S = 60


@dataclass(frozen=True, slots=True)
class Timing:
    """The all-present schedule of one carrier's route.

    Attributes
    ----------
    arrivals
        Arrival at each stop, seconds after midnight (after any wait for a window's start).
    finish_s
        Back at the end point, seconds after midnight.
    distance_m
        Street metres, depot to depot.
    load
        Items carried (sum of demands).
    late
        Nodes reached after their window closes.
    """

    arrivals: tuple[int, ...]
    finish_s: int
    distance_m: int
    load: int
    late: tuple[int, ...]


def time_route(problem: Problem, route: Sequence[int], start_s: int | None = None) -> Timing:
    """Schedule one carrier's route, every stop present.

    Parameters
    ----------
    problem
        Matrices, service times, windows and demands.
    route
        Node indices in visiting order, depot excluded.
    start_s
        Departure from the depot; the problem's start by default.
    """
    t = problem.start_s if start_s is None else start_s
    end = 0 if problem.end is None else problem.end
    prev, dist, load = 0, 0, 0
    arrivals, late = [], []
    for node in route:
        t += int(problem.duration[prev, node]) + problem.service[prev]
        lo, hi = problem.earliest[node], problem.latest[node]
        if lo is not None and t < lo:
            t = lo
        if hi is not None and t > hi:
            late.append(node)
        arrivals.append(t)
        dist += int(problem.distance[prev, node])
        load += problem.demand[node] if problem.demand else 1
        prev = node
    if route and not problem.open_end:
        t += int(problem.duration[prev, end]) + problem.service[prev]
        dist += int(problem.distance[prev, end])
    elif route:
        t += problem.service[prev]  # an open route ends when the last stop is served
    return Timing(tuple(arrivals), t, dist, load, tuple(late))


def routes_distance(problem: Problem, routes: Routes) -> int:
    """Street metres of all carriers."""
    return sum(time_route(problem, r).distance_m for r in routes)


def acceptable(problem: Problem, new: Timing, old: Timing, node: int | None = None) -> bool:
    """Whether a changed route keeps every promise the old one kept.

    A route that already broke a window or the shift (the plan is never allowed to, but a
    subscriber may have narrowed their window since) may change, as long as the change breaks
    no further promise.
    """
    if node is not None and node in new.late:
        return False
    if not set(new.late) <= set(old.late):
        return False
    if problem.capacity is not None and new.load > max(problem.capacity, old.load):
        return False
    if problem.shift_s is not None:
        limit = problem.start_s + problem.shift_s
        if new.finish_s > max(limit, old.finish_s):
            return False
    return True


# -- waiting for windows ------------------------------------------------------------------------


def route_waits(stops: Sequence[Stop], start_s: int) -> list[tuple[int, int]]:
    """``(reached_s, wait_s)`` per stop of a route book's carrier route: when the carrier gets
    there, and how long they wait for the window to open (arrival minus reached)."""
    out = []
    t = start_s
    for stop in stops:
        reached = t + stop.leg_s
        out.append((reached, max(0, stop.arrival_s - reached)))
        t = max(reached, stop.arrival_s) + stop.walk_in_s
    return out


def departure_slack(visits: Sequence[tuple[int, int, int | None]]) -> int:
    """How much later a carrier may leave and still keep every window and come back on time.

    Leaving ``d`` seconds later moves each arrival later by what is left of ``d`` after the
    waits before it (a wait absorbs the delay), so the return is unchanged while ``d`` is at
    most the total wait, and a stop ``j`` still meets its window while
    ``d <= waits before j + latest_j - reached_j``. The largest such ``d`` is returned (0 when
    nothing can be gained); leaving that much later saves exactly that much waiting.

    Parameters
    ----------
    visits
        ``(reached_s, wait_s, latest_s)`` per visit in order; ``latest_s`` is ``None`` without
        a window's end.
    """
    waited = 0
    slack = sum(w for _, w, _ in visits)
    for reached, wait, latest in visits:
        if latest is not None:
            slack = min(slack, waited + max(0, latest - reached))
        waited += wait
    return max(0, slack)


def plan_carriers(book: RouteBook, subscribers: Mapping[str, Subscriber]) -> tuple[CarrierDay, ...]:
    """Each carrier's all-present day in the route book: stops, items, km, times, waiting, and
    when to leave instead when leaving later avoids waiting (see :func:`departure_slack`)."""
    from route.model.subscriber import format_clock

    out = []
    for r in book.routes:
        waits = route_waits(r.stops, book.start_s)
        pieces: dict[str, int] = {}
        rows = []
        for stop, (reached, wait) in zip(r.stops, waits, strict=True):
            sub = subscribers.get(stop.subscriber_id)
            if sub is not None:
                pieces[sub.product] = pieces.get(sub.product, 0) + sub.quantity
            rows.append((reached, wait, sub.latest if sub else None))
        slack = departure_slack(rows)
        leave = slack >= LEAVE_LATER_FROM_S
        out.append(
            CarrierDay(
                carrier=r.carrier,
                stops=len(r.stops),
                pieces=dict(sorted(pieces.items())),
                distance_m=r.distance_m,
                duration_s=r.duration_s,
                start=format_clock(book.start_s),
                end=format_clock(book.start_s + r.duration_s),
                wait_s=sum(w for _, w in waits),
                leave_at=format_clock(book.start_s + slack) if leave else "",
                avoidable_wait_s=slack if leave else 0,
                deliveries=len(r.stops),
            )
        )
    return tuple(out)
