"""Penalised local search with ruin and recreate: the multi-carrier phase.

OR-Tools' guided local search only moves between feasible solutions, and hard time windows wall
it in. This phase searches through infeasible solutions instead (Vidal et al., "A hybrid genetic
algorithm with adaptive diversity management for a large class of vehicle routing problems
with time windows", 2013): lateness is *time warp* (arriving late costs a penalty per second,
as if the carrier travelled back in time), an overfull bag costs a penalty per item, and both
penalties adapt so that the search spends about half its time on each side of feasibility.

The search itself is compiled C++ (``native/vrp*``, built with the package or once for the
machine, see :mod:`route.solver.native`). Each route keeps forward and backward concatenation
data (distance, duration, time warp, earliest and latest start, load) for its prefixes and
suffixes, so a move that joins prefixes, suffixes and a chain of up to three stops is costed in
O(1) whatever the route's length. A move is first bounded by what prefix sums give at once (the
new routes' distance and load, time warp taken as none): one that cannot gain even so is turned
down without joining the time-warp data, which on most moves is all the costing there is. The
moves are tried among each stop's nearest neighbours (granular neighbourhoods): relocating a
chain of one to three stops (also reversed), swapping chains of one or two, 2-opt* between
routes, 2-opt inside a route, and SWAP* (Vidal 2022). Local optima are left by ruin and recreate
(strings of nearby stops removed as in SISR, Christiaens and Vanden Berghe 2020, then reinserted
greedily with blinks; a place whose distance and load alone already cost more than the best so
far is passed over without the time-warp data) under a threshold acceptance that tightens
towards the end. After each descent, SWAP* is tried between every two routes the recreated
stops went into, and between all near routes on every new best. That SWAP* after each descent,
at equal counted work: mean gap to the best-known cost on six X instances (X-n157 to X-n367,
two seeds) 0.72% -> 0.51%, and on five drawn X-like instances with 23 to 38 routes 0.9950 ->
0.9926 of PyVRP's length.

Beside that iterated local search there is a genetic one (the hybrid genetic search of Vidal et
al. 2012, in the form of Vidal 2022 and PyVRP): a population in feasible and infeasible halves,
parents drawn by binary tournament on biased fitness (cost rank plus diversity rank, diversity
being the broken-pairs distance to the closest others), children made by selective route
exchange (SREX), which needs no split and so works as it is with windows, shift limits and
asymmetric matrices, and educated by the same granular descent. It is there on request
(:func:`search` with ``genetic=True``), not by default: on CVRPLIB X at equal counted work, two
local-search workers that meet beat a local-search and a genetic worker at about 12 s (mean gap
to the best-known cost over six instances and two seeds, both with the relocations of three
stops and reversed chains left out: 0.68% against 0.94%; the local-search pair with every move,
at three quarters of that work: 0.67%); at about 50 s, with the same moves left out, the local-
search pair was better on two instances of three and 0.03% worse on the third, and the genetic
pair took 30-55% longer for the same counted work: educating a child costs several iterations of
the local search. So by default every worker runs the iterated local search, each with its own
seed, and they pass their best routes on at every meeting.

Everything is integer arithmetic and seeded generators, and the search stops after a counted
amount of *work* (move and insertion evaluations), so the same input gives the same routes on
any machine; the clock is only a safety cap, reported when it cuts the search short. With
several workers (threads), each searches with its own seed and they meet at fixed amounts of
work, where the best routes are compared in worker order: the routes depend on the number of
workers, never on which thread ran faster.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from route.solver.problem import Routes
from route.solver.worktable import rate_at

if TYPE_CHECKING:
    from route.solver.problem import Problem


#: Neighbours per stop that the moves consider (PyVRP's default granularity).
GRANULAR = 40
#: A very late latest time: two days after the start, as in the OR-Tools model.
_HORIZON_S = 2 * 24 * 3600


@dataclass(frozen=True, slots=True)
class Result:
    """The phase's best feasible routes (``None`` if it found none) and its effort.

    ``capped``: the clock decided where the search ended (it cut the search off, or the search
    lowered its plan to ``planned`` work per worker to end before it; see :func:`_replan`).
    """

    routes: Routes | None
    left_out: tuple[int, ...]
    work: int
    iterations: int
    capped: bool
    planned: int = 0


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
    # int32 holds metres and seconds (below MAX_MATRIX_VALUE): half the memory of int64.
    d = np.zeros((n + 1, n + 1), np.int32)
    t = np.zeros((n + 1, n + 1), np.int32)
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
    np.fill_diagonal(near, np.iinfo(near.dtype).max)
    take = min(count, len(clients) - 1)
    order = np.argsort(near, axis=1, kind="stable")[:, :take]
    out[clients, :take] = clients[order]
    return out


def search(
    problem: Problem,
    work: int,
    seconds: float,
    seed: int,
    *,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
    population: int | None = None,
    genetic: bool | None = None,
) -> Result:
    """Run the phase on ``problem`` for ``work`` evaluations per worker (``seconds`` caps it).

    Stops no single carrier could serve on its own (a window closed before anyone gets there,
    more papers than a bag holds, a shift too short for the trip) are left out from the start;
    the result's routes serve every other stop, or are ``None`` if no feasible set was found.
    ``workers`` searches run side by side, one a thread, and meet every :data:`EPOCHS`-th of
    the work; ``progress`` gets the best objective after each meeting that improved it.
    """
    k = problem.carriers
    made = _create(problem, work, seed, workers, population, genetic)
    if made is None:
        return Result(((),) * k, tuple(_split(problem)[1]), 0, 0, False)
    engine, state, clients, left_out = made
    started = time.perf_counter()
    deadline = started + seconds
    best_seen = -1
    capped = False
    plan = work  # lowered if the clock would cut the search short (see _replan)
    done = 0
    for epoch in range(1, EPOCHS + 1):
        left = deadline - time.perf_counter()
        if left <= 0:
            capped = True
            break
        # The meetings at fixed shares of the work, or of what is left of a lowered plan.
        target = (
            work * epoch // EPOCHS if plan == work else done + (plan - done) // (EPOCHS - epoch + 1)
        )
        best_obj, done, capped = engine.run(state, target, left)
        if best_obj >= 0 and (best_seen < 0 or best_obj < best_seen):
            best_seen = best_obj
            if progress is not None:
                progress(int(best_obj))
        if capped or (best_seen < 0 and epoch >= GIVE_UP_EPOCH):
            break
        lower = _replan(plan, done, time.perf_counter() - started, seconds)
        if lower is not None:
            plan = lower
            engine.shrink(state, plan)
    width = len(clients) + 2
    out = np.zeros((k, width), np.int64)
    lengths = np.zeros(k, np.int64)
    routes = None
    if engine.best(state, out, lengths, width) >= 0:
        routes = tuple(tuple(int(x) for x in out[r, 1 : lengths[r] - 1]) for r in range(k))
    total, iterations, capped_inside = engine.stats(state)
    # A lowered plan is the clock's doing too: the routes are not those of the planned work.
    cut = capped or capped_inside or plan < work
    return Result(routes, tuple(left_out), int(total), int(iterations), bool(cut), plan)


def _replan(plan: int, done: int, elapsed: float, seconds: float) -> int | None:
    """A lower amount of work per worker if, at the pace so far, ``plan`` would not be done
    within ``seconds``; else ``None``.

    A busy machine runs the search slower than its measured rate, and the clock would then cut
    it off where its acceptance threshold (which falls with the share of the work done) still
    lets it roam: with a 300 s plan cut at about three quarters, X-like draws ended up to 1.2%
    longer than with 20 s of work. Lowered to what fits in :data:`REPLAN_SHARE` of the time
    left, the search cools down and ends on work, before the clock. At the pace planned
    nothing changes, so the same work gives the same routes.
    """
    if done <= 0 or elapsed <= 0 or done >= plan:
        return None
    pace = done / elapsed
    if elapsed + (plan - done) / pace <= seconds:
        return None
    fits = done + int(max(seconds - elapsed, 0.0) * REPLAN_SHARE * pace)
    return max(fits, done) if fits < plan else None


def _split(problem: Problem) -> tuple[list[int], list[int]]:
    """The stops some carrier can serve on its own, and the others (left out)."""
    _, t, service, early, late, load = _arrays(problem)
    n = problem.size
    cap = problem.capacity if problem.capacity is not None else 1 << 40
    clients: list[int] = []
    left_out: list[int] = []
    for i in range(1, n):
        if i == problem.end and not problem.open_end:
            continue
        arrive = max(problem.start_s + t[0, i], early[i])
        back = arrive + service[i] + t[i, n]
        ok = arrive <= late[i] and back <= late[n] and load[i] <= cap
        (clients if ok else left_out).append(i)
    return clients, left_out


def _genetic_mask(workers: int, genetic: bool | None) -> int:
    """Bit i set: worker i runs the genetic search. By default (None) or with False, every
    worker runs the iterated local search. With True, a lone worker runs the genetic search,
    and of several the odd-numbered ones do (the even-numbered ones run the local search)."""
    if not genetic:
        return 0
    return 1 if workers == 1 else sum(1 << i for i in range(workers) if i % 2 == 1)


def _create(
    problem: Problem,
    work: int,
    seed: int,
    workers: int,
    population: int | None,
    genetic: bool | None = None,
) -> tuple[Any, Any, list[int], list[int]] | None:
    """The compiled search's state for ``problem`` (None if no stop can be served), with the
    stops it serves and those left out."""
    clients, left_out = _split(problem)
    if not clients:
        return None
    d, t, service, early, late, load = _arrays(problem)
    n = problem.size
    cap = problem.capacity if problem.capacity is not None else 1 << 40
    engine = _engine()
    c = np.asarray(clients, np.int64)
    nb = np.full((n + 1, GRANULAR), -1, np.int64)
    nb[:n] = _neighbours(d, c, GRANULAR)
    state = engine.create(
        n + 1, d, t, service, early, late, load, int(cap), int(problem.balance),
        problem.carriers, c, len(c), np.ascontiguousarray(nb), nb.shape[1], seed & (2**64 - 1),
        workers, int(work), POPULATION if population is None else population,
        _genetic_mask(workers, genetic),
    )  # fmt: skip
    return engine, state, clients, left_out


def crossover_children(
    problem: Problem, count: int, seed: int, population: int | None = None
) -> list[Routes]:
    """``count`` children of the genetic search's crossover, each as it comes out of the
    crossover and before any descent (one worker; the population is built first)."""
    made = _create(problem, 10**12, seed, 1, population, genetic=True)
    if made is None:
        return []
    engine, state, clients, _ = made
    k, width = problem.carriers, len(clients) + 2
    out = np.zeros((k, width), np.int64)
    lengths = np.zeros(k, np.int64)
    children: list[Routes] = []
    for _ in range(count):
        engine.child(state, out, lengths, width)
        children.append(tuple(tuple(int(x) for x in out[r, 1 : lengths[r] - 1]) for r in range(k)))
    return children


#: Size (mu) of a genetic worker's population.
POPULATION = 12
#: Meetings of the workers over a search (and chances to report progress and look at the clock).
EPOCHS = 20
#: Share of the time left that a lowered plan (:func:`_replan`) fills at the pace so far.
REPLAN_SHARE = 0.85
#: A search that has found no feasible routes after this many epochs gives up, leaving the
#: time to OR-Tools, which can leave stops out (more stops than the bags hold, say).
GIVE_UP_EPOCH = 6

#: Evaluations per second of one worker, by problem size: the work model that turns a time
#: limit into an amount of search. By default only its shape counts: the rate itself is this
#: machine's, measured once (:mod:`route.solver.speed`) at 200 stops, and scaled by this table
#: from there to the problem's size. With ``PAPERROUTE_WORK_MODEL=fixed`` the table's own
#: rates are used on every machine. They were set from how much of the limit the benchmarks'
#: searches used on an idle two-core machine, two workers side by side: at the rates before these
#: (20, 19, 19 and 23 million/s up to 331 stops), CVRPLIB X-n101 to X-n367 at 20 s used
#: 12.1-14.0 s, X-like draws with 32 and 29 routes 12.7-13.4 s, the Helsinki benchmark at 5 s
#: 2.9-3.2 s, of the 85% planned. Those rates are 1.25 times higher here, so a search is planned
#: to use about 75-90% of its time limit. An X-like draw of 1,000 customers already used 15.5 s
#: of 20 (its rate is kept), and the 1,600-stop rate is a guess on the safe side. A lone worker
#: runs faster (no meetings to wait at, a core to itself): :data:`_ONE_WORKER` times as fast.
#: The margin against a slower or busier machine is the share of the time the caller plans to
#: use (85% in route.solver.solve), and the clock caps the search in any case. The 331-stop
#: rate was 29 million/s until a second machine, planning by its measured rate at 200 stops,
#: used 18.1-19.6 s of 20 from 284 stops up (16.4-16.8 s up to 237): 26 million/s keeps the
#: same share of the limit there.
_EVALS_PER_S = ((10, 25_000_000), (100, 24_000_000), (214, 24_000_000), (331, 26_000_000),
                (1000, 22_000_000), (1600, 18_000_000))  # fmt: skip
#: How much faster one worker alone runs than each of two: X-n214 gave 28 against 19-20
#: million/s; the factor is taken lower, for the margin (a lone worker on the 1,000-customer
#: draw used 18.9 s of 20).
_ONE_WORKER = 1.25
#: Stops of the problem a machine's rate is measured on (:mod:`route.solver.speed`).
MEASURED_SIZE = 200


def evaluation_budget(
    size: int, seconds: float, share: float, workers: int = 2, measured: int | None = None
) -> int:
    """Evaluations (per worker) for ``seconds`` of search, planning to use ``share`` of them.

    ``measured`` is this machine's rate per worker at :data:`MEASURED_SIZE` stops with
    ``workers`` threads (:func:`route.solver.speed.rate`): the table then gives only how the
    rate changes with the size. Without it the table's own rates are used.
    """
    rate = rate_at(_EVALS_PER_S, size)
    if measured is not None:
        rate *= measured / rate_at(_EVALS_PER_S, MEASURED_SIZE)
    elif workers == 1:
        rate *= _ONE_WORKER
    return max(1000, int(rate * seconds * share))


def _engine() -> Any:
    """The compiled search (installed, or built once for this machine and cached)."""
    from route.solver import native

    return native.load("_vrp")
