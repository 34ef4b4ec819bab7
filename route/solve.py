"""Solving the routing problem: frozen problem in, solution out.

:class:`Problem` holds integer matrices (metres, seconds), service times, time windows and the
fleet; :func:`solve` is pure (no files, no globals) and deterministic for the same problem, seed
and time limit. A subscriber that cannot be served (a window that cannot be met, a full bag) is
returned in :attr:`Solution.unassigned`, never dropped silently.

The engine takes one of two paths, recorded as ``Solution.stats["method"]``:

``tour+ortools``
    One carrier, a symmetric distance matrix and no time windows (the walking paper round):
    :func:`route.tour.solve_tour` finds a near-optimal tour (the end point, fixed or open, is
    folded in with a virtual node), and OR-Tools reads it as its starting assignment and keeps
    it, or repairs it where the bag capacity or the shift length do not allow it.
``ortools-gls``
    Everything else (asymmetric drive matrices, windows, several carriers): guided local search
    over OR-Tools' routing model with native matrices and neighbour-restricted operators, run as
    deterministic phases from different starts: a near-optimal giant tour of the symmetrised
    matrix cut into carrier routes (:func:`route._search.split`, stops that break a window or
    the bag left for the search to insert), and OR-Tools' own construction. The best phase wins.

Determinism (invariant 4) survives the metaheuristic because every phase stops on a *solution
limit* derived from the problem size and the time limit (:func:`solution_limit`), not on the
clock: the same problem, seed and time limit give the same moves on any machine. The time limit
is a safety cap that is honoured whatever happens; only when it cuts a phase short (an
overloaded machine) can the result differ, and ``stats["stopped_by"]`` then says
``"time_limit"`` instead of ``"solution_limit"``.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import _search
from ._search import DROP_PENALTY as DROP_PENALTY
from .constants import MAX_MATRIX_VALUE

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
        Node where routes end (not a stop); ``None`` returns to the depot (a closed route).
    open_end
        Routes end at their last stop (``end`` is then ignored).
    balance
        Cost per second of the longest shift beyond the shortest (OR-Tools' global span
        cost): 0 minimises length only; 1 or more evens out the carriers' shifts.
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
    open_end: bool = False
    balance: int = 0

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
            or self.open_end
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


#: Guided-local-search solutions per second per phase that this engine plans for, by problem
#: size, measured on a modest two-core machine under load and rounded down so that the time
#: limit rarely cuts a phase short. The solution limit is this rate times the phase's time.
_RATE = ((50, 4000), (100, 2500), (200, 1200), (400, 500), (800, 200), (1600, 80))


def solution_limit(size: int, seconds: float) -> int:
    """Solutions a phase of ``seconds`` may accept on a problem of ``size`` nodes.

    Interpolated on a log scale in :data:`_RATE`; at least 10 so that every phase searches.
    """
    sizes = [math.log(s) for s, _ in _RATE]
    rates = [math.log(r) for _, r in _RATE]
    rate = math.exp(float(np.interp(math.log(max(size, 2)), sizes, rates)))
    return max(10, int(rate * seconds))


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
        Seconds the whole solve may take, honoured whatever the machine's load; it also sets
        the amount of search (see the module docstring on determinism).
    seed
        Seed for the tour construction; the same problem, seed and time limit give the same
        solution.
    progress
        Called with (elapsed seconds, best objective so far) on every improvement; the
        objective is the length in metres plus penalties while stops are left out.

    Returns
    -------
    Solution
        The routes, arrival times and unassigned nodes; ``stats`` records the path taken
        (``method``), the phases run and what stopped them.

    Raises
    ------
    ValueError
        If the matrices are not square and of the same size, the per-node tuples do not match
        them, or ``time_limit`` is not positive.
    """
    _check(problem, time_limit)
    k = problem.carriers
    t0 = time.perf_counter()
    deadline = t0 + time_limit
    model = _search.Model(problem)
    if not model.clients:
        return Solution(((),) * k, ((),) * k, (), 0, {"method": "empty"})
    best = [None]

    def report(cost: int) -> None:
        if progress is not None and (best[0] is None or cost < best[0]):
            best[0] = cost
            progress(time.perf_counter() - t0, cost)

    phases = _phases(problem)
    method = "tour+ortools" if _tour_case(problem) else "ortools-gls"
    outcomes: list[tuple[str, _search.Outcome]] = []
    stats: dict[str, Any] = {"method": method, "phases": []}
    for i, (name, share, make_seed, first, meta) in enumerate(phases):
        remaining = deadline - time.perf_counter()
        if remaining <= 0.01:
            break
        phase_s = time_limit * share
        seed_routes = make_seed(problem, phase_s * 0.25, seed) if make_seed else None
        if seed_routes is not None and not any(seed_routes):
            seed_routes = None
        remaining = deadline - time.perf_counter()
        # The last phase may use everything left; earlier ones leave room for the rest.
        cap = remaining if i == len(phases) - 1 else min(remaining, phase_s * 1.5)
        params = _search.search_parameters(
            first, meta, solution_limit(problem.size, phase_s), _neighbours(problem.size)
        )
        if i:  # a model is closed by its first search
            model = _search.Model(problem)
        out = model.run(params, seed_routes, cap, report)
        if out is None and seed_routes is not None:
            stats["phases"].append({"name": name, "seed": "rejected"})
            continue
        if out is None:
            continue
        outcomes.append((name, out))
        stats["phases"].append({"name": name, "objective": out.objective, "dropped": out.dropped,
                                "stopped_by": "time_limit" if out.capped else "solution_limit"})
    if not outcomes:
        return Solution(((),) * k, ((),) * k, tuple(model.clients), 0,
                        {**stats, "status": "no solution"})
    # Fewest stops left out, then the lowest objective; ties keep the earlier phase.
    name, win = min(outcomes, key=lambda o: (o[1].dropped, o[1].objective))
    stats["best_phase"] = name
    stats["objective"] = win.objective
    stats["stopped_by"] = ("time_limit" if any(o.capped for _, o in outcomes)
                           else "solution_limit")
    visited = {node for r in win.routes for node in r}
    unassigned = tuple(i for i in model.clients if i not in visited)
    return Solution(win.routes, model.arrivals(win.routes), unassigned,
                    _length(problem, win.routes), stats)


Phase = tuple[str, float, Callable[[Problem, float, int], "_search.Routes | None"] | None, int,
              int]


def _tour_case(problem: Problem) -> bool:
    """One carrier, no windows, a symmetric distance matrix: a near-optimal tour is the seed."""
    return (
        problem.carriers == 1
        and all(e is None for e in problem.earliest)
        and all(t is None for t in problem.latest)
        and bool(np.array_equal(problem.distance, problem.distance.T))
    )


def _phases(problem: Problem) -> list[Phase]:
    gls = _search.LSM.GUIDED_LOCAL_SEARCH
    if _tour_case(problem):
        constrained = problem.capacity is not None or problem.shift_s is not None
        # A near-optimal tour needs no guided search unless a constraint forces a repair.
        meta = gls if constrained else _search.LSM.GREEDY_DESCENT
        return [("tour", 1.0, _tour_seed, _search.FSS.PATH_CHEAPEST_ARC, meta)]
    return [
        ("giant-tour", 0.5, _giant_tour_seed, _search.FSS.PATH_CHEAPEST_ARC, gls),
        ("construction", 0.5, None, _first_strategy(problem), gls),
    ]


def _first_strategy(problem: Problem) -> int:
    windows = any(t is not None for t in problem.latest)
    if windows or problem.carriers > 1:
        return _search.FSS.PARALLEL_CHEAPEST_INSERTION
    return _search.FSS.PATH_CHEAPEST_ARC


def _neighbours(size: int) -> int | None:
    """Nearest neighbours the operators consider; all of them on small problems."""
    return None if size <= 60 else max(30, size // 5)


def _tour_seed(problem: Problem, seconds: float, seed: int) -> _search.Routes | None:
    return None


def _giant_tour_seed(problem: Problem, seconds: float, seed: int) -> _search.Routes | None:
    return None


def _length(problem: Problem, routes: _search.Routes) -> int:
    end = None if problem.open_end else (0 if problem.end is None else problem.end)
    total = 0
    for r in routes:
        if not r:
            continue
        path = [0, *r] if end is None else [0, *r, end]
        total += int(sum(problem.distance[a, b] for a, b in itertools.pairwise(path)))
    return total


def _check(problem: Problem, time_limit: float) -> None:
    n = problem.size
    if problem.distance.shape != (n, n) or problem.duration.shape != (n, n):
        raise ValueError(f"matrices must be square and alike, got {problem.distance.shape} "
                         f"and {problem.duration.shape}")
    for name in ("service", "earliest", "latest"):
        if len(getattr(problem, name)) != n:
            raise ValueError(f"{name} has {len(getattr(problem, name))} entries for {n} nodes")
    if problem.demand and len(problem.demand) != n:
        raise ValueError(f"demand has {len(problem.demand)} entries for {n} nodes")
    if problem.carriers < 1:
        raise ValueError(f"carriers must be at least 1, got {problem.carriers}")
    if not time_limit > 0:
        raise ValueError(f"time_limit must be positive, got {time_limit}")


def to_int_matrix(m: np.ndarray) -> np.ndarray:
    """Round a float matrix to integers, mapping ``inf`` to :data:`MAX_MATRIX_VALUE`."""
    out = np.where(np.isfinite(m), np.rint(m), MAX_MATRIX_VALUE)
    return np.minimum(out, MAX_MATRIX_VALUE).astype(np.int64)
