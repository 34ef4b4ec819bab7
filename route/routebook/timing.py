"""Timing a fixed route: arrival times, lengths and whether a route keeps its limits.

Everything in :mod:`route.routebook` works on a :class:`route.solver.problem.Problem` (node 0
the depot) and routes given as tuples of node indices, one tuple per carrier. Arrival times are
the earliest-start schedule: leave each stop as soon as it is served, wait at a stop only for
the start of its window. The same routes always give the same times.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

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


def problem_slack(problem: Problem, route: Sequence[int]) -> Slack:
    """The :class:`Slack` of one carrier's route of a problem."""
    end = 0 if problem.end is None else problem.end
    legs = [int(problem.duration[a, b]) for a, b in zip((0, *route), route, strict=False)]
    back = int(problem.duration[route[-1], end]) if route else 0
    return slack_of(
        problem.start_s,
        legs,
        [problem.service[n] for n in route],
        [problem.earliest[n] for n in route],
        [problem.latest[n] for n in route],
        back,
        open_end=problem.open_end,
        shift_s=problem.shift_s,
        load=sum(problem.demand[n] for n in route) if problem.demand else len(route),
    )


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


# -- slack: whether a change keeps every promise, in O(1) per place ----------------------------


@dataclass(frozen=True, slots=True)
class Slack:
    """One carrier's schedule with the slack of every place in it (forward time slack).

    A route of ``m`` stops has ``m + 1`` places to put a new stop: place ``p`` lies after stop
    ``p - 1`` (place 0 right after the depot, place ``m`` before the way back).

    Attributes
    ----------
    ready
        ``ready[p]``: when the carrier leaves the stop before place ``p`` (the depot's start for
        place 0): its arrival plus its service.
    reach
        ``reach[p]``: when the carrier reached what follows place ``p`` before the change,
        before any wait: stop ``p``, or for ``p == m`` the end (the finish, for an open route).
    slack
        ``slack[p]``: how much later ``reach[p]`` may come without a stop that is on time
        becoming late and without the finish passing both the shift's end and the old finish.
        Waits for a window's start absorb delay, so ``slack[p] = wait[p] + min(room[p],
        slack[p + 1])``: Savelsbergh's forward time slack, the concatenation the penalised
        search keeps per route in its own terms.
    load
        Items carried.
    """

    ready: np.ndarray
    reach: np.ndarray
    slack: np.ndarray
    load: int


def slack_of(
    start_s: int,
    leg_s: Sequence[int],
    service: Sequence[int],
    earliest: Sequence[int | None],
    latest: Sequence[int | None],
    back_s: int,
    *,
    open_end: bool = False,
    shift_s: int | None = None,
    load: int = 0,
) -> Slack:
    """The :class:`Slack` of a route given its legs.

    Parameters
    ----------
    start_s
        Departure from the depot.
    leg_s, service, earliest, latest
        Per stop in order: seconds of the leg leading to it, its service, its window.
    back_s
        Seconds of the way from the last stop to the end (ignored for an open route).
    open_end, shift_s, load
        As in :class:`~route.solver.problem.Problem`; ``load`` is the route's items.
    """
    m = len(leg_s)
    ready = np.empty(m + 1, np.int64)
    reach = np.empty(m + 1, np.int64)
    wait = np.zeros(m + 1, np.int64)
    room = np.full(m + 1, np.inf)
    t = start_s
    ready[0] = t
    for i in range(m):
        raw = t + leg_s[i]
        lo, hi = earliest[i], latest[i]
        t = max(raw, lo) if lo is not None else raw
        reach[i], wait[i] = raw, t - raw
        if hi is not None and t <= hi:
            room[i] = hi - t
        t += service[i]
        ready[i + 1] = t
    finish = start_s if m == 0 else (t if open_end else t + back_s)
    reach[m] = finish
    slack = np.empty(m + 1)
    slack[m] = np.inf if shift_s is None else max(start_s + shift_s, finish) - finish
    for i in range(m - 1, -1, -1):
        slack[i] = wait[i] + min(room[i], slack[i + 1])
    return Slack(ready, reach, slack, load)


def insertion_feasible(
    s: Slack,
    places: np.ndarray,
    to_node_s: np.ndarray,
    from_node_s: np.ndarray,
    service_s: int,
    earliest: int | None,
    latest: int | None,
    demand: int,
    capacity: int | None,
) -> np.ndarray:
    """Whether putting a stop at each of ``places`` keeps every promise, in O(1) per place.

    ``to_node_s[k]`` is the leg from the stop before ``places[k]`` to the new stop, and
    ``from_node_s[k]`` the leg from it to what follows (0 where an open route ends there). The
    same test as :func:`acceptable` on the re-timed route: the new stop is on time, no stop on
    time becomes late, the bag holds the load and the finish stays within the shift (or the old
    finish, if the route already ran over).
    """
    arrive = s.ready[places] + to_node_s
    begin = np.maximum(arrive, earliest) if earliest is not None else arrive
    ok: np.ndarray = begin <= latest if latest is not None else np.ones(len(places), bool)
    delay = begin + service_s + from_node_s - s.reach[places]
    ok &= delay <= s.slack[places]
    if capacity is not None and s.load + demand > max(capacity, s.load):
        ok[:] = False
    return ok


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
