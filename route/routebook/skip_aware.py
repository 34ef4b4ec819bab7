"""A route built for the days it skips: presence probabilities and the a-priori tour.

On any given day some stops drop out: a Sunday-only subscriber on a Tuesday, a family on
holiday. The carrier keeps the fixed order and simply skips them. This module measures and
plans for that:

- :func:`hold_rates` and :func:`presence` give each subscriber's probability of getting an item
  on each weekday, from the schedule (``Subscriber.days``) and the hold history (a plain list of
  ``(date, subscriber_id)`` absences, however they were recorded);
- :func:`expected_length` is the exact expected length of a fixed tour when absent stops are
  skipped and presences are independent (Jaillet 1985; Bertsimas, Jaillet and Odoni 1990):
  ``E = sum over a < b of d(a, b) p_a p_b prod_{a<k<b} (1 - p_k)``, averaged over weekdays;
- :func:`apriori_tour` searches (Or-opt and 2-opt) on that expected length, starting from the
  usual all-present tour and keeping every all-present promise (windows, capacity, shift), so
  the result is never longer in expectation than where it started;
- :func:`simulate_days`, :func:`skipped_length` and :func:`daily_optimum` compare the fixed
  route with one re-optimised every day (the price of a fixed route);
- :func:`arrival_spread` gives each stop's usual arrival time and how much it varies.

Everything is pure: matrices and data in, numbers out; random draws take an explicit seed.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise

import numpy as np

from route.model.subscriber import Subscriber
from route.solver.localsearch import improve_tour, neighbour_lists
from route.solver.problem import Problem
from route.solver.solve import solve

Tour = tuple[int, ...]

#: Weights below this (a pair of stops with almost surely someone present between them) are
#: left out of the expected-length sum; the error is far below a millimetre.
_NEGLIGIBLE = 1e-15


def hold_rates(
    subscribers: Sequence[Subscriber],
    absences: Iterable[tuple[date, str]],
    first: date,
    last: date,
) -> dict[str, float]:
    """Share of each subscriber's scheduled days, from ``first`` to ``last``, spent on hold.

    Absences outside the period, on unscheduled days, or of unknown subscribers are ignored;
    a subscriber without scheduled days in the period gets 0.
    """
    if last < first:
        return {s.id: 0.0 for s in subscribers}
    span = (last - first).days + 1
    per_weekday = [0] * 7
    for i in range(span):
        per_weekday[(first + timedelta(days=i)).weekday()] += 1
    by_id = {s.id: s for s in subscribers}
    held: dict[str, set[date]] = {}
    for day, sid in absences:
        sub = by_id.get(sid)
        if sub is not None and first <= day <= last and day.weekday() in sub.days:
            held.setdefault(sid, set()).add(day)
    rates = {}
    for s in subscribers:
        scheduled = sum(per_weekday[w] for w in set(s.days))
        rates[s.id] = len(held.get(s.id, ())) / scheduled if scheduled else 0.0
    return rates


def presence(
    subscribers: Sequence[Subscriber], rates: dict[str, float] | None = None
) -> np.ndarray:
    """Probability that each node gets an item, per weekday: shape ``(7, 1 + len(subscribers))``.

    Column 0 is the depot (always 1); column ``i`` is ``subscribers[i - 1]``: 0 on weekdays
    outside their schedule, ``1 - hold rate`` on the others.
    """
    rates = rates or {}
    p = np.zeros((7, len(subscribers) + 1))
    p[:, 0] = 1.0
    for i, s in enumerate(subscribers, start=1):
        for w in set(s.days):
            p[w, i] = 1.0 - min(1.0, max(0.0, rates.get(s.id, 0.0)))
    return p


def expected_length(
    distance: np.ndarray, tour: Sequence[int], p: np.ndarray, end: int | None = 0
) -> float:
    """Expected length of a tour from node 0 when absent stops are skipped.

    Parameters
    ----------
    distance
        Matrix over all nodes (node 0 the depot, always present).
    tour
        Node indices in visiting order, depot excluded.
    p
        Presence probability per node, shape ``(n,)``, or per weekday ``(days, n)``: the result
        is then the mean over the rows (each row one equally likely kind of day).
    end
        Where the tour ends: node 0 (a closed tour), another node (an end point, always
        reached), or ``None`` for an open tour that ends at its last present stop.
    """
    p2 = np.atleast_2d(np.asarray(p, dtype=float))
    tail = [] if end is None else [end]
    s = np.asarray([0, *tour, *tail])
    m = len(s)
    # The end point may lie outside ``p``'s columns; it is always reached, like the depot.
    ps = p2[:, np.asarray([0, *tour, *([0] * len(tail))])]
    ps[:, 0] = 1.0
    if tail:
        ps[:, -1] = 1.0
    q = 1.0 - ps
    total = np.zeros(p2.shape[0])
    # reach[:, a] = p_a * prod of (1 - p_k) for a < k < a + offset: the chance that a is the
    # last present stop before position a + offset.
    reach = ps[:, :-1].copy()
    for offset in range(1, m):
        width = m - offset
        r = reach[:, :width]
        total += (r * ps[:, offset:] * distance[s[:width], s[offset:]]).sum(axis=1)
        if width == 1:
            break
        reach = r[:, : width - 1] * q[:, offset : m - 1]
        if reach.max() < _NEGLIGIBLE:
            break
    return float(total.mean())


def skipped_length(
    distance: np.ndarray, tour: Sequence[int], present: Sequence[bool], end: int | None = 0
) -> int:
    """Street metres of a fixed tour on a day, skipping the stops not present (by node).

    ``end`` as in :func:`expected_length` (``None``: the tour ends at its last present stop).
    """
    s = [0, *(n for n in tour if present[n]), *([] if end is None else [end])]
    return int(sum(int(distance[a, b]) for a, b in pairwise(s)))


def terminal(problem: Problem) -> int | None:
    """Where a problem's routes end: 0 (the depot), the end node, or ``None`` when open."""
    if problem.open_end:
        return None
    return 0 if problem.end is None else problem.end


@dataclass(frozen=True, slots=True)
class SimulatedDay:
    """One simulated (or recorded) day: the date and which nodes get an item."""

    date: date
    present: tuple[bool, ...]


def simulate_days(
    subscribers: Sequence[Subscriber],
    first: date,
    days: int,
    rates: dict[str, float] | None = None,
    seed: int = 0,
) -> tuple[SimulatedDay, ...]:
    """Draw who gets an item on each of ``days`` days from ``first``: schedule, then holds.

    Node ``i`` is ``subscribers[i - 1]``; node 0 (the depot) is always present.
    """
    rng = random.Random(seed)
    rates = rates or {}
    out = []
    for k in range(days):
        d = first + timedelta(days=k)
        w = d.weekday()
        present = [True]
        for s in subscribers:
            # Draw for everyone every day so one subscriber's schedule never shifts the others'.
            held = rng.random() < rates.get(s.id, 0.0)
            present.append(w in s.days and not held)
        out.append(SimulatedDay(d, tuple(present)))
    return tuple(out)


def _feasible(problem: Problem, tour: Tour, limit_late: set[int]) -> bool:
    from route.routebook.timing import time_route

    t = time_route(problem, tour)
    if not set(t.late) <= limit_late:
        return False
    if problem.capacity is not None and t.load > problem.capacity:
        return False
    return problem.shift_s is None or t.finish_s <= problem.start_s + problem.shift_s


def apriori_tour(
    problem: Problem,
    tour: Sequence[int],
    p: np.ndarray,
    *,
    keep_first: int = 0,
    max_rounds: int = 30,
    kicks: int = 0,
    seed: int = 0,
) -> Tour:
    """Reorder one carrier's tour to minimise its expected length with skipping.

    Starts from ``tour`` (the usual all-present solve) and only accepts moves that shorten
    the expected length and keep every promise the all-present tour keeps (windows, capacity,
    shift). The result is therefore never longer in expectation than ``tour``.

    With ``kicks``, an iterated local search follows: that many times, a stretch of up to 30
    stops is cut in three and its pieces swapped (a local double bridge, drawn with ``seed``),
    the tour is searched again, and the result is kept when it is shorter in expectation and
    keeps every promise. Each kick costs about as much as the first search.
    """
    from route.routebook.timing import time_route

    d = problem.distance
    start = tuple(tour)
    late = set(time_route(problem, start).late)
    p = np.atleast_2d(p)
    # Kinds of day that repeat (Mon = Wed = Fri for most schedules) are evaluated once, weighted.
    rows, counts = np.unique(p, axis=0, return_counts=True)
    weights = counts / counts.sum()
    end = terminal(problem)

    def cost(t: Tour) -> float:
        total: float = sum(
            w * expected_length(d, t, r, end) for w, r in zip(weights, rows, strict=True)
        )
        return total

    def feasible(t: Tour) -> bool:
        return _feasible(problem, t, late)

    neigh = neighbour_lists(d, start)
    cur = improve_tour(
        start, cost, neigh, keep_first=keep_first, max_rounds=max_rounds, accept=feasible
    )
    best = cost(cur)
    rng = random.Random(seed)
    n = len(cur)
    for _ in range(kicks if n - keep_first >= 8 else 0):
        i = rng.randrange(keep_first, n - 7)
        span = rng.randint(8, min(30, n - i))
        a, b, c = sorted(rng.sample(range(i + 1, i + span), 3))
        kicked = cur[:i] + cur[b:c] + cur[a:b] + cur[i:a] + cur[c:]
        cand = improve_tour(
            kicked,
            cost,
            neigh,
            keep_first=keep_first,
            max_rounds=max_rounds,
        )
        value = cost(cand)
        if value < best - 1e-9 * max(1.0, best) and feasible(cand):
            cur, best = cand, value
    return cur


def shortest_tour(
    problem: Problem, tour: Sequence[int], *, keep_first: int = 0, max_rounds: int = 30
) -> Tour:
    """Polish a tour on plain street metres (Or-opt and 2-opt), keeping every promise.

    The first ``keep_first`` stops stay where they are.
    """
    from route.routebook.timing import time_route

    d = problem.distance
    start = tuple(tour)
    late = set(time_route(problem, start).late)

    end = terminal(problem)

    def cost(t: Tour) -> float:
        s = np.asarray([0, *t, *([] if end is None else [end])])
        return float(d[s[:-1], s[1:]].sum())

    return improve_tour(
        start,
        cost,
        neighbour_lists(d, start),
        keep_first=keep_first,
        max_rounds=max_rounds,
        accept=lambda t: _feasible(problem, t, late),
    )


def _sub_problem(problem: Problem, nodes: Sequence[int]) -> Problem:
    """The problem restricted to ``nodes`` (the end node kept last when there is one)."""
    end = terminal(problem)
    tail = [end] if end not in (None, 0) else []
    sel = [0, *nodes, *tail]
    ix = np.ix_(sel, sel)
    return Problem(
        distance=problem.distance[ix],
        duration=problem.duration[ix],
        service=tuple(problem.service[n] for n in sel),
        earliest=tuple(problem.earliest[n] for n in sel),
        latest=tuple(problem.latest[n] for n in sel),
        start_s=problem.start_s,
        carriers=1,
        demand=tuple(problem.demand[n] for n in sel) if problem.demand else (),
        capacity=problem.capacity,
        shift_s=problem.shift_s,
        end=len(sel) - 1 if tail else None,
        open_end=problem.open_end,
    )


def daily_optimum(
    problem: Problem,
    tour: Sequence[int],
    present: Sequence[bool],
    *,
    time_limit: float = 1.0,
    seed: int = 0,
) -> int:
    """Street metres of one day's route re-optimised for the stops present.

    The better of a fresh solve of the day's stops and the fixed tour with absent stops skipped,
    polished by Or-opt and 2-opt: what re-planning every morning could achieve.
    """
    nodes = [n for n in tour if present[n]]
    if not nodes:
        return 0
    sub = _sub_problem(problem, nodes)
    end = terminal(sub)
    everyone = [True] * sub.size
    local = tuple(range(1, len(nodes) + 1))
    best = skipped_length(sub.distance, shortest_tour(sub, local), everyone, end)
    sol = solve(sub, time_limit=time_limit, seed=seed)
    if not sol.unassigned and sol.routes and sol.routes[0]:
        best = min(best, skipped_length(sub.distance, sol.routes[0], everyone, end))
    return best


@dataclass(frozen=True, slots=True)
class Spread:
    """A stop's arrival times over the days it is served.

    Attributes
    ----------
    node
        The stop's node.
    days
        Days it was served (of those given).
    mean_s, earliest_s, latest_s
        Mean, earliest and latest arrival, seconds after midnight.
    std_s
        Standard deviation of the arrival, seconds.
    """

    node: int
    days: int
    mean_s: int
    earliest_s: int
    latest_s: int
    std_s: int

    @property
    def range_s(self) -> int:
        """Latest minus earliest arrival."""
        return self.latest_s - self.earliest_s


def arrivals_on(problem: Problem, tour: Sequence[int], present: Sequence[bool]) -> dict[int, int]:
    """Arrival at each present stop of a fixed tour on a day, the absent ones skipped."""
    from route.routebook.timing import time_route

    nodes = tuple(n for n in tour if present[n])
    return dict(zip(nodes, time_route(problem, nodes).arrivals, strict=True))


def arrival_spread(
    problem: Problem, tour: Sequence[int], days: Sequence[SimulatedDay]
) -> tuple[Spread, ...]:
    """Per stop, in tour order: how its arrival time varies over ``days`` with skipping.

    Stops served on none of the days are left out.
    """
    seen: dict[int, list[int]] = {n: [] for n in tour}
    for day in days:
        for n, t in arrivals_on(problem, tour, day.present).items():
            seen[n].append(t)
    out = []
    for n in tour:
        ts = np.asarray(seen[n], dtype=float)
        if ts.size:
            out.append(
                Spread(
                    n,
                    int(ts.size),
                    round(float(ts.mean())),
                    int(ts.min()),
                    int(ts.max()),
                    round(float(ts.std())),
                )
            )
    return tuple(out)


def week_of(first: date, subscribers: Sequence[Subscriber]) -> tuple[SimulatedDay, ...]:
    """The seven days from ``first``, each subscriber present on their scheduled weekdays."""
    return simulate_days(subscribers, first, 7, None, seed=0)
