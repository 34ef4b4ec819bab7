"""Solving the routing problem with OR-Tools: frozen problem in, solution out.

:class:`Problem` holds integer matrices (metres, seconds), service times, time windows and the
fleet; :func:`solve` is pure (no files, no globals) and deterministic for the same problem and
seed. A subscriber that cannot be served (a window that cannot be met, a full bag) is returned in
:attr:`Solution.unassigned`, never dropped silently.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from .constants import MAX_MATRIX_VALUE

#: Penalty for leaving a stop out: larger than any route, so stops are dropped only when
#: serving them is infeasible.
DROP_PENALTY = 100 * MAX_MATRIX_VALUE

ProgressFn = Callable[[float, int], None]


@dataclass(frozen=True)
class Problem:
    """A routing problem on integer matrices; node 0 is the depot.

    Attributes
    ----------
    distance, duration
        Square integer matrices (metres, seconds); may be asymmetric.
    service
        Seconds spent at each node (0 for the depot).
    earliest, latest
        Time window per node in seconds after midnight, ``None`` where open.
    start_s
        When every carrier leaves the depot, seconds after midnight.
    carriers
        Number of carriers (vehicles).
    demand, capacity
        Items per node and the bag capacity per carrier (``None``: unlimited).
    shift_s
        Longest a carrier may work, seconds (``None``: unlimited).
    end
        Node where routes end; ``None`` returns to the depot (a closed route).
    """

    distance: np.ndarray
    duration: np.ndarray
    service: tuple[int, ...]
    earliest: tuple[int | None, ...]
    latest: tuple[int | None, ...]
    start_s: int = 0
    carriers: int = 1
    demand: tuple[int, ...] = ()
    capacity: int | None = None
    shift_s: int | None = None
    end: int | None = None

    @property
    def size(self) -> int:
        """Number of nodes, the depot included."""
        return int(self.distance.shape[0])

    @property
    def has_constraints(self) -> bool:
        """Whether anything beyond a single closed tour is asked for."""
        return (
            self.carriers > 1
            or self.capacity is not None
            or self.shift_s is not None
            or self.end is not None
            or any(e is not None for e in self.earliest)
            or any(t is not None for t in self.latest)
        )


@dataclass(frozen=True)
class Solution:
    """Routes as node indices (depot excluded), planned arrival times, and what was left out."""

    routes: tuple[tuple[int, ...], ...]
    arrivals: tuple[tuple[int, ...], ...]
    unassigned: tuple[int, ...]
    distance: int
    stats: dict[str, Any] = field(default_factory=dict)


def solve(
    problem: Problem,
    *,
    time_limit: float = 5.0,
    seed: int = 0,
    progress: ProgressFn | None = None,
) -> Solution:
    """Solve a routing problem.

    Parameters
    ----------
    problem
        The problem.
    time_limit
        Seconds the search may take; honoured.
    seed
        Seed for randomised parts of the search; the same problem and seed give the same result.
    progress
        Called with (elapsed seconds, best length) on every improvement.

    Returns
    -------
    Solution
        The routes, arrival times and unassigned nodes.
    """
    n = problem.size
    if n == 1:
        return Solution(
            ((),) * problem.carriers, ((),) * problem.carriers, (), 0, {"method": "empty"}
        )
    end = 0 if problem.end is None else problem.end
    k = problem.carriers
    manager = pywrapcp.RoutingIndexManager(n, k, [0] * k, [end] * k)
    model = pywrapcp.RoutingModel(manager)
    dist = problem.distance.astype(np.int64).tolist()
    dur = problem.duration.astype(np.int64).tolist()
    service = list(problem.service)

    def arc(i: int, j: int) -> int:
        return dist[manager.IndexToNode(i)][manager.IndexToNode(j)]

    def travel(i: int, j: int) -> int:
        a, b = manager.IndexToNode(i), manager.IndexToNode(j)
        return dur[a][b] + service[a]

    arc_cb = model.RegisterTransitCallback(arc)
    model.SetArcCostEvaluatorOfAllVehicles(arc_cb)
    time_cb = model.RegisterTransitCallback(travel)
    horizon = problem.start_s + (problem.shift_s or 24 * 3600)
    model.AddDimension(time_cb, 24 * 3600, horizon + 24 * 3600, False, "Time")
    time_dim = model.GetDimensionOrDie("Time")
    for v in range(k):
        time_dim.CumulVar(model.Start(v)).SetRange(problem.start_s, problem.start_s)
        if problem.shift_s is not None:
            time_dim.SetSpanUpperBoundForVehicle(problem.shift_s, v)
    for node in range(1, n):
        if node == end:
            continue
        idx = manager.NodeToIndex(node)
        lo, hi = problem.earliest[node], problem.latest[node]
        time_dim.CumulVar(idx).SetRange(
            problem.start_s if lo is None else max(lo, problem.start_s),
            horizon + 24 * 3600 if hi is None else hi,
        )
        model.AddDisjunction([idx], DROP_PENALTY)
    if problem.capacity is not None:
        demand = list(problem.demand) or [0] + [1] * (n - 1)
        dem_cb = model.RegisterUnaryTransitCallback(lambda i: demand[manager.IndexToNode(i)])
        model.AddDimensionWithVehicleCapacity(dem_cb, 0, [problem.capacity] * k, True, "Load")
    for v in range(k):
        model.AddVariableMinimizedByFinalizer(time_dim.CumulVar(model.End(v)))

    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    # Greedy descent converges to the same local optimum whatever the machine's speed, which
    # keeps route books identical for identical inputs; the time limit only guards runaways.
    params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GREEDY_DESCENT
    params.time_limit.FromMilliseconds(max(1, int(time_limit * 1000)))

    best = [None]
    if progress is not None:
        import time

        t0 = time.perf_counter()

        def on_solution() -> None:
            cost = model.CostVar().Value()
            if best[0] is None or cost < best[0]:
                best[0] = cost
                progress(time.perf_counter() - t0, int(cost))

        model.AddAtSolutionCallback(on_solution)

    assignment = model.SolveWithParameters(params)
    if assignment is None:
        return Solution(
            ((),) * k, ((),) * k, tuple(range(1, n)), 0, {"method": "ortools", "status": "none"}
        )
    routes, arrivals, visited = [], [], set()
    total = 0
    for v in range(k):
        idx = model.Start(v)
        order, times = [], []
        while not model.IsEnd(idx):
            nxt = assignment.Value(model.NextVar(idx))
            total += arc(idx, nxt)
            idx = nxt
            node = manager.IndexToNode(idx)
            if not model.IsEnd(idx):
                order.append(node)
                times.append(assignment.Value(time_dim.CumulVar(idx)))
                visited.add(node)
        routes.append(tuple(order))
        arrivals.append(tuple(times))
    unassigned = tuple(i for i in range(1, n) if i != end and i not in visited)
    stats = {
        "method": "ortools-greedy-descent",
        "first_solution": "PATH_CHEAPEST_ARC",
        "status": int(model.status()),
        "objective": int(assignment.ObjectiveValue()),
    }
    return Solution(tuple(routes), tuple(arrivals), unassigned, total, stats)


def to_int_matrix(m: np.ndarray) -> np.ndarray:
    """Round a float matrix to integers, mapping ``inf`` to :data:`MAX_MATRIX_VALUE`."""
    out = np.where(np.isfinite(m), np.rint(m), MAX_MATRIX_VALUE)
    return np.minimum(out, MAX_MATRIX_VALUE).astype(np.int64)
