"""OR-Tools model building, seeds and search phases behind :func:`route.solver.solve.solve`.

Private: the engine's parts, each deterministic for the same problem and parameters. The model
takes its matrices natively (``RegisterTransitMatrix``), which keeps Python out of the search's
inner loop; that alone gives the local search several times more moves per second than
Python callbacks.
"""

from __future__ import annotations

import contextlib
import ctypes
import sys
import time
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import TYPE_CHECKING

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from route.solver.problem import DROP_PENALTY, Routes

if TYPE_CHECKING:
    from route.solver.problem import Problem


FSS = routing_enums_pb2.FirstSolutionStrategy
LSM = routing_enums_pb2.LocalSearchMetaheuristic


@dataclass(frozen=True, slots=True)
class Outcome:
    """One phase's result."""

    routes: Routes
    objective: int
    dropped: int
    solutions: int
    work: int
    elapsed_s: float
    capped: bool


class Model:
    """The OR-Tools routing model of a :class:`~route.solver.solve.Problem`.

    Node ``n`` (one past the problem's nodes) is a virtual end when routes are open: arcs into it
    cost nothing, so a route ends at its last stop.
    """

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        n, k = problem.size, problem.carriers
        free_end = problem.open_end
        end = n if free_end else (0 if problem.end is None else problem.end)
        self.end = end
        self.clients = clients(problem)
        self.manager = pywrapcp.RoutingIndexManager(n + free_end, k, [0] * k, [end] * k)
        self.routing = routing = pywrapcp.RoutingModel(self.manager)
        arc = routing.RegisterTransitMatrix(_transit_rows(problem.distance, None, free_end))
        routing.SetArcCostEvaluatorOfAllVehicles(arc)
        service = np.asarray(problem.service, np.int64)
        travel = routing.RegisterTransitMatrix(_transit_rows(problem.duration, service, free_end))
        # The rows are copied into OR-Tools and let go: hand their memory back before the
        # search allocates its own (at 5,000 stops, 200 MB the allocator would keep).
        release_memory()
        horizon = _horizon(problem)
        routing.AddDimension(travel, 24 * 3600, horizon, False, "Time")
        self.time = time_dim = routing.GetDimensionOrDie("Time")
        for v in range(k):
            time_dim.CumulVar(routing.Start(v)).SetValue(problem.start_s)
            if problem.shift_s is not None:
                time_dim.SetSpanUpperBoundForVehicle(problem.shift_s, v)
        if problem.balance and k > 1:
            time_dim.SetGlobalSpanCostCoefficient(problem.balance)
        for node in self.clients:
            idx = self.manager.NodeToIndex(node)
            lo, hi = problem.earliest[node], problem.latest[node]
            time_dim.CumulVar(idx).SetRange(
                problem.start_s if lo is None else max(lo, problem.start_s),
                horizon if hi is None else max(hi, problem.start_s),
            )
            routing.AddDisjunction([idx], DROP_PENALTY)
        if problem.capacity is not None:
            demand = list(problem.demand) or [0] + [1] * (n - 1)
            if problem.open_end:
                demand.append(0)
            load = routing.RegisterUnaryTransitVector(demand)
            routing.AddDimensionWithVehicleCapacity(load, 0, [problem.capacity] * k, True, "Load")
        for v in range(k):
            routing.AddVariableMinimizedByFinalizer(time_dim.CumulVar(routing.End(v)))
        self.solutions = 0
        self._report: Callable[[int], None] | None = None
        # The callbacks reach the model through a weak reference: OR-Tools holds them, and a
        # strong one would make a cycle through C++ that Python never collects (the model and
        # its matrices, 400 MB at 5,000 stops, would outlive every phase).
        me = weakref.ref(self)
        routing.AddAtSolutionCallback(lambda: _on_solution(me))
        # The search's work, counted in checks of this limit (OR-Tools checks its limits at
        # every step of the search): a measure of effort that does not depend on the clock.
        self.budget = _Budget()
        routing.AddSearchMonitor(routing.solver().CustomLimit(self.budget.spent))

    @property
    def work(self) -> int:
        """Search steps the last run took."""
        return self.budget.work

    def _on_solution(self) -> None:
        self.solutions += 1
        if self._report is not None:
            self._report(int(self.routing.CostVar().Value()))

    def run(
        self,
        params: pywrapcp.RoutingSearchParameters,
        seed_routes: Routes | None,
        work: int,
        cap_s: float,
        report: Callable[[int], None] | None,
    ) -> Outcome | None:
        """Search from ``seed_routes`` (or the first-solution strategy).

        The search stops after ``work`` steps, or at ``cap_s`` seconds if that comes first.
        """
        routing = self.routing
        params.time_limit.FromMilliseconds(max(1, int(cap_s * 1000)))
        self.solutions = 0
        self.budget.work = 0
        self.budget.limit = work
        self._report = report
        t0 = time.perf_counter()
        initial = None
        if seed_routes is not None:
            routing.CloseModelWithParameters(params)
            initial = routing.ReadAssignmentFromRoutes([list(r) for r in seed_routes], True)
            if initial is None:
                return None
            found = routing.SolveFromAssignmentWithParameters(initial, params)
        else:
            found = routing.SolveWithParameters(params)
        elapsed = time.perf_counter() - t0
        if found is None:
            return None
        routes = []
        for v in range(self.problem.carriers):
            idx, order = found.Value(routing.NextVar(routing.Start(v))), []
            while not routing.IsEnd(idx):
                order.append(self.manager.IndexToNode(idx))
                idx = found.Value(routing.NextVar(idx))
            routes.append(tuple(order))
        served = sum(len(r) for r in routes)
        return Outcome(
            tuple(routes),
            int(found.ObjectiveValue()),
            len(self.clients) - served,
            self.solutions,
            self.work,
            elapsed,
            self.work <= self.budget.limit and elapsed >= cap_s * 0.95,
        )

    def arrivals(self, routes: Routes) -> tuple[tuple[int, ...], ...]:
        """Earliest feasible arrival (service start) times along routes, waiting allowed."""
        return arrivals(self.problem, routes)


class _Budget:
    """The search's work, counted in checks of this limit (OR-Tools checks its limits at every
    step of the search): a measure of effort that does not depend on the clock. Kept apart
    from the model so that OR-Tools, which holds the check, holds no way back to the model."""

    __slots__ = ("limit", "work")

    def __init__(self) -> None:
        self.work = 0
        self.limit = 0

    def spent(self) -> bool:
        self.work += 1
        return self.work > self.limit


def _on_solution(ref: weakref.ReferenceType[Model]) -> None:
    """Count a solution of a model that may be gone."""
    model = ref()
    if model is not None:
        model._on_solution()


def release_memory() -> None:
    """Give memory freed by Python and OR-Tools back to the operating system.

    The C allocator keeps freed small blocks (a matrix row each) for reuse, so a process's
    resident memory never falls after a search; later large arrays then come on top. Where the
    C library offers ``malloc_trim`` (glibc), it returns them; elsewhere this does nothing.
    """
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):  # another C library
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def clients(problem: Problem) -> list[int]:
    """The nodes a route may visit: all but the depot and the end point."""
    end = None if problem.open_end else problem.end
    return [i for i in range(1, problem.size) if i != end]


def arrivals(p: Problem, routes: Routes) -> tuple[tuple[int, ...], ...]:
    """Earliest feasible arrival (service start) times along routes, waiting allowed."""
    out = []
    for r in routes:
        t, prev, times = p.start_s, 0, []
        for node in r:
            t += int(p.duration[prev, node]) + (p.service[prev] if prev else 0)
            lo = p.earliest[node]
            t = max(t, lo) if lo is not None else t
            times.append(t)
            prev = node
        out.append(tuple(times))
    return tuple(out)


def _transit_rows(m: np.ndarray, add: np.ndarray | None, free_end: bool) -> list[tuple[int, ...]]:
    """A matrix as the rows OR-Tools reads, ``add[i]`` added to row ``i``.

    With ``free_end``, a virtual end node is appended, reached from anywhere at no cost and
    never left. The rows share one Python integer per distinct value: ``tolist()`` would make
    a 28-byte object for every cell (a gigabyte at 5,000 stops) where a shared one costs the
    8-byte reference.
    """
    n = m.shape[0]
    top = int(m.max()) + (int(add.max()) if add is not None and len(add) else 0)
    values = list(range(top + 1))
    rows = []
    for i in range(n):
        row = m[i].astype(np.int64)
        if add is not None:
            row += add[i]
        cells = [*row.tolist(), 0] if free_end else row.tolist()
        rows.append(itemgetter(*cells)(values) if len(cells) > 1 else (values[cells[0]],))
    if free_end:
        rows.append((0,) * (n + 1))
    return rows


def _horizon(problem: Problem) -> int:
    """The latest time any route may end: two days, or more where one route could take longer.

    Every leg of a route is at most its stop's longest leg, so the sum of those and of every
    service time bounds any route (a carrier walking 5,000 stops needs more than two days).
    """
    bound = int(np.asarray(problem.duration).max(axis=1).astype(np.int64).sum())
    return problem.start_s + max(2 * 24 * 3600, bound + sum(problem.service))


def search_parameters(
    first: int, metaheuristic: int, neighbours: int | None
) -> pywrapcp.RoutingSearchParameters:
    """Search parameters for one phase.

    ``neighbours`` restricts the local-search operators to that many nearest neighbours of a
    node: far fewer useless moves on larger instances, hence more useful ones per second.
    """
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = first
    params.local_search_metaheuristic = metaheuristic
    if neighbours is not None:
        params.ls_operator_neighbors_ratio = 1.0
        params.ls_operator_min_neighbors = neighbours
    # CP-based LNS operators stop on a wall-clock limit of their own; off, for determinism.
    ops = params.local_search_operators
    for name in ("use_path_lns", "use_full_path_lns", "use_tsp_lns", "use_inactive_lns"):
        setattr(ops, name, 2)  # BOOL_FALSE
    return params


# -- seeds -----------------------------------------------------------------------------------------


def orient(tour: Sequence[int], dist: np.ndarray) -> list[int]:
    """The direction of a closed tour (starting at 0) that is shorter on an asymmetric matrix."""
    fwd = list(tour)
    back = [fwd[0], *reversed(fwd[1:])]

    def length(t: list[int]) -> int:
        return int(sum(dist[a, b] for a, b in zip(t, [*t[1:], t[0]], strict=True)))

    return fwd if length(fwd) <= length(back) else back


def repair(routes: Routes, problem: Problem) -> Routes:
    """Leave out the stops a seed route reaches too late, over capacity or past the shift.

    The search then inserts them where they fit; a seed must be feasible to be read.
    """
    p = problem
    cap = p.capacity if p.capacity is not None else 1 << 62
    demand = p.demand or (0, *([1] * (p.size - 1)))
    out = []
    for r in routes:
        t, prev, load, kept = p.start_s, 0, 0, []
        for node in r:
            arrive = t + int(p.duration[prev, node]) + (p.service[prev] if prev else 0)
            lo, hi = p.earliest[node], p.latest[node]
            arrive = max(arrive, lo) if lo is not None else arrive
            if (hi is not None and arrive > hi) or load + demand[node] > cap:
                continue
            if p.shift_s is not None:
                back = arrive + p.service[node] + int(p.duration[node, 0]) - p.start_s
                if back > p.shift_s:
                    continue
            kept.append(node)
            t, prev, load = arrive, node, load + demand[node]
        out.append(tuple(kept))
    return tuple(out)
