"""Penalised local search with ruin and recreate, compiled: the windowed multi-carrier phase.

OR-Tools' guided local search only moves between feasible solutions, and hard time windows wall
it in. This phase searches through infeasible solutions instead (Vidal et al., "A hybrid genetic
algorithm with adaptive diversity management for a large class of vehicle routing problems
with time windows", 2013): lateness is *time warp* (arriving late costs a penalty per second,
as if the carrier travelled back in time), an overfull bag costs a penalty per item, and both
penalties adapt so that the search spends about half its time on each side of feasibility.

Each route keeps forward and backward concatenation data (distance, duration, time warp,
earliest and latest start, load) for its prefixes and suffixes, so a move that joins prefixes,
suffixes and a chain of up to three stops is costed in O(1) whatever the route's length. The
moves are tried among each stop's nearest neighbours (granular neighbourhoods): relocating a
chain of one to three stops (also reversed), swapping chains of one or two, 2-opt* between
routes, and 2-opt inside a route (a reversal, costed by walking it: matrices may be
asymmetric). Local optima are left by ruin and recreate (strings of nearby stops removed as in
SISR, Christiaens and Vanden Berghe 2020, then reinserted greedily with blinks) under a
threshold acceptance that tightens towards the end.

Everything is integer arithmetic and one seeded xorshift generator, and the search stops after
a counted amount of *work* (move and insertion evaluations), so the same input gives the same
routes on any machine; the clock is only a safety cap, reported when it cuts the search short.
The functions are compiled with explicit signatures when this module is imported (from numba's
on-disk cache after the first time), so compilation never eats into a solve's time limit.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from route.solver.penalised_kernels import penalised_search
from route.solver.problem import Routes

if TYPE_CHECKING:
    from route.solver.problem import Problem


#: Neighbours per stop that the moves consider (PyVRP's default granularity).
GRANULAR = 40
#: A very late latest time: two days after the start, as in the OR-Tools model.
_HORIZON_S = 2 * 24 * 3600


@dataclass(frozen=True, slots=True)
class Result:
    """The phase's best feasible routes (``None`` if it found none) and its effort."""

    routes: Routes | None
    left_out: tuple[int, ...]
    work: int
    iterations: int
    capped: bool


# -- the phase from Python -------------------------------------------------------------------


def applies(problem: Problem) -> bool:
    """Whether the phase takes this problem: several carriers or time windows."""
    return problem.carriers > 1 or any(
        w is not None for w in (*problem.earliest[1:], *problem.latest[1:])
    )


def _arrays(problem: Problem) -> tuple[np.ndarray, ...]:
    """Matrices and node data with a virtual end node appended (index ``size``).

    The end node copies the depot's column (closed routes), the fixed end's column, or costs
    nothing to reach (open routes); its latest time is the end of the shift, so a shift run
    over shows as time warp.
    """
    p = problem
    n = p.size
    d = np.zeros((n + 1, n + 1), np.int64)
    t = np.zeros((n + 1, n + 1), np.int64)
    d[:n, :n] = p.distance
    t[:n, :n] = p.duration
    if not p.open_end:
        col = 0 if p.end is None else p.end
        d[:n, n] = p.distance[:, col]
        t[:n, n] = p.duration[:, col]
    start = p.start_s
    service = np.zeros(n + 1, np.int64)
    service[1:n] = p.service[1:]
    early = np.full(n + 1, start, np.int64)
    late = np.full(n + 1, start + _HORIZON_S, np.int64)
    for i in range(1, n):
        lo, hi = p.earliest[i], p.latest[i]
        early[i] = start if lo is None else max(lo, start)
        late[i] = start + _HORIZON_S if hi is None else max(hi, start)
    late[0] = start
    if p.shift_s is not None:
        late[n] = start + p.shift_s
    load = np.zeros(n + 1, np.int64)
    if p.capacity is not None:
        load[1:n] = p.demand[1:] if p.demand else 1
    if p.end is not None and not p.open_end:
        service[p.end] = load[p.end] = 0
    return d, t, service, early, late, load


def _neighbours(d: np.ndarray, clients: np.ndarray, count: int) -> np.ndarray:
    """Each client's nearest other clients, both directions counted; -1 pads short rows."""
    out = np.full((d.shape[0] - 1, count), -1, np.int64)
    if len(clients) < 2:
        return out
    sub = d[np.ix_(clients, clients)]
    near = sub + sub.T
    np.fill_diagonal(near, np.iinfo(np.int64).max)
    take = min(count, len(clients) - 1)
    order = np.argsort(near, axis=1, kind="stable")[:, :take]
    out[clients, :take] = clients[order]
    return out


def search(problem: Problem, work: int, seconds: float, seed: int) -> Result:
    """Run the phase on ``problem`` for ``work`` evaluations (``seconds`` as a safety cap).

    Stops no single carrier could serve on its own (a window closed before anyone gets there,
    more papers than a bag holds, a shift too short for the trip) are left out from the start;
    the result's routes serve every other stop, or are ``None`` if no feasible set was found.
    """
    d, t, service, early, late, load = _arrays(problem)
    n = problem.size
    cap = problem.capacity if problem.capacity is not None else 1 << 40
    candidates = [i for i in range(1, n) if i != problem.end or problem.open_end]
    clients: list[int] = []
    left_out: list[int] = []
    for i in candidates:
        arrive = max(problem.start_s + t[0, i], early[i])
        back = arrive + service[i] + t[i, n]
        ok = arrive <= late[i] and back <= late[n] and load[i] <= cap
        (clients if ok else left_out).append(i)
    k = problem.carriers
    if not clients:
        return Result(((),) * k, tuple(left_out), 0, 0, False)
    c = np.asarray(clients, np.int64)
    best_r = np.zeros((k, len(clients) + 2), np.int64)
    best_len = np.zeros(k, np.int64)
    stats = np.zeros(3, np.int64)
    penalised_search(
        d, t, service, early, late, load, np.int64(cap), np.int64(problem.balance), np.int64(k),
        c, _neighbours(d, c, GRANULAR), np.int64(seed), np.int64(work),
        time.perf_counter() + seconds, best_r, best_len, stats,
    )  # fmt: skip
    routes = None
    if best_len[0] > 0:
        routes = tuple(tuple(int(x) for x in best_r[r, 1 : best_len[r] - 1]) for r in range(k))
    return Result(routes, tuple(left_out), int(stats[0]), int(stats[1]), bool(stats[2]))


#: Evaluations per second by problem size, measured on the Helsinki benchmark (50 to 200 stops)
#: on a shared two-core machine under a load of 3 to 4: 2.2 to 3.7 million. The table takes 2.5
#: million and the caller plans to use only a share of the time; sizes beyond 200 were not
#: measured, their rates fall with the size as a guess on the safe side.
_EVALS_PER_S = ((10, 2_500_000), (200, 2_500_000), (400, 1_600_000), (1600, 700_000))


def evaluation_budget(size: int, seconds: float, share: float) -> int:
    """Evaluations for ``seconds`` of search, planning to use ``share`` of them."""
    sizes = [np.log(s) for s, _ in _EVALS_PER_S]
    rates = [np.log(r) for _, r in _EVALS_PER_S]
    rate = float(np.exp(np.interp(np.log(max(size, 2)), sizes, rates)))
    return max(1000, int(rate * seconds * share))


def _warm_up() -> None:
    """Compile (or load from numba's cache) the search on a three-stop instance."""
    d = np.array([[0, 5, 9, 4, 0], [5, 0, 3, 6, 5], [9, 3, 0, 7, 9], [4, 6, 7, 0, 4], [0] * 5])
    d = np.ascontiguousarray(d, dtype=np.int64)
    zero = np.zeros(5, np.int64)
    late = np.full(5, 10_000, np.int64)
    clients = np.array([1, 2, 3], np.int64)
    penalised_search(
        d, d.copy(), zero, zero.copy(), late, np.ones(5, np.int64), np.int64(2), np.int64(0),
        np.int64(2), clients, _neighbours(d, clients, GRANULAR), np.int64(0), np.int64(5000),
        time.perf_counter() + 60.0, np.zeros((2, 5), np.int64), np.zeros(2, np.int64),
        np.zeros(3, np.int64),
    )  # fmt: skip


_warm_up()
