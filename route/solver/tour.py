"""Single-carrier tour engine: a closed tour through every stop, starting at the depot.

Two engines sit behind :func:`solve_tour`:

``reproducible=True`` (the default)
    A compiled (C++, :mod:`route.solver.native`), seeded iterated local search: candidate
    edges by alpha-nearness (minimum 1-trees after a subgradient ascent, as in LKH) besides
    the nearest neighbours; a descent over a queue of changed nodes (don't-look bits) with
    2-opt (the shorter side reversed), Or-opt and Or-opt chains (sequential 3-opt moves
    chained as in Lin-Kernighan); kicks that rewrite three short consecutive segments (a
    double bridge on a window), now and then a global one; a walk that goes on from any tour
    within a small slack of the best and restarts from the best after a long spell without
    progress. A large budget is shared by up to four such searches, each from another
    nearest-neighbour tour (:func:`runs_for`), and the shortest tour of all is kept. Its
    work is counted (move evaluations and nodes moved), never timed:
    :func:`work_budget` turns ``time_limit`` into an amount of work (at fixed rates, or at
    this machine's measured one, :mod:`route.solver.speed`, as :func:`route.solver.solve.solve`
    passes it), or the caller passes ``work``. With its own seeded generator and integer
    arithmetic, the same matrix, seed and work give the same tour on any machine. It also
    stops after :func:`stall_limit` kicks in a row without a shorter tour. The clock is only a
    safety net: if a slow or busy machine reaches the deadline before the work is done, the
    search stops there and ``stats.time_capped`` is ``True``; only then can the tour differ
    between runs.

``reproducible=False``
    fast-tsp's search (symmetric matrices directly, asymmetric ones through the
    Jonker–Volgenant 2n-node transformation), then the local search above on the true matrix.
    fast-tsp takes no seed (it draws from the clock), so two runs can return different tours.

Instances of at most :data:`EXACT_MAX_NODES` nodes are solved exactly (Held–Karp) by
both engines.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from route.solver.tour_matrices import (
    FAST_TSP_MAX,
    IntMatrix,
    decode_jv,
    fit_range,
    held_karp,
    jonker_volgenant,
)
from route.solver.worktable import rate_at

__all__ = [
    "EXACT_MAX_NODES",
    "FAST_TSP_MAX",
    "TourResult",
    "TourStats",
    "runs_for",
    "solve_tour",
    "solve_tour_detailed",
    "stall_limit",
    "tour_length",
    "work_budget",
]

#: Instances with at most this many nodes are solved exactly by dynamic programming.
EXACT_MAX_NODES = 12
#: Work model of the reproducible engine: units of work (move evaluations, nodes moved) per
#: second of one core, by instance size. Measured as wall time of the whole solve (candidates,
#: ascent and every restart included), the clock far away, with ``benchmarks/tsplib.py``
#: instances (both sets) and random ones on this project's two-core development machine with
#: nothing else running: 70-80M at 50-70 nodes, 89-105M at 100-200, 149-173M at 440-580 (203M on
#: rat783), 153-161M at 1,000-1,060, 186M at 2,000 and 142M at 3,000 (the descent is dearer per
#: unit on small tours, larger ones spill out of the caches). The rates below are the lower
#: ones less about 15%, a margin for a slower core; with :data:`WORK_SHARE` the work is sized
#: to about 70% of the limit on that machine.
#: Asymmetric matrices price reversals by walking them and run at about the same rate.
WORK_PER_S = (
    (50, 60_000_000),
    (100, 76_000_000),
    (200, 80_000_000),
    (500, 127_000_000),
    (1000, 130_000_000),
    (2000, 133_000_000),
    (3000, 120_000_000),
)
#: Share of the time limit the work is sized to fill on an idle machine; the rest is room for
#: a busier or slower one before the clock cap fires.
WORK_SHARE = 0.85
#: Nodes of the tour a machine's rate is measured on (:mod:`route.solver.speed`): the table
#: above then gives only how the rate changes with the size.
MEASURED_SIZE = 500
#: Nearest neighbours per node (2-opt and Or-opt) and alpha-nearest ones (the chained moves).
#: Eight alpha-nearest candidates rather than five: with five, pr1002 at its 5 s work lands
#: 0.14-0.16% above the optimum with three seeds of five; with eight, at it with all five.
NEIGHBOURS = 16
ALPHA_CANDIDATES = 8
#: Subgradient-ascent iterations for the alpha-nearness candidates, at most.
ASCENT_ITERATIONS = 100
#: Longest segment of a local kick, the kicked tour's slack over the best (thousandths of the
#: first local optimum's mean edge), walk restarts (kicks per node without a new record of the
#: walk, at least, and the kicks that shake the best tour), one global kick in so many, and the
#: deepest chain of 3-opt moves.
KICK_MAX_SEGMENT = 200
SLACK_PERMILLE = 100
RESTART_PER_NODE = 3
RESTART_MIN_KICKS = 3000
RESTART_BRIDGES = 32
GLOBAL_KICK_ONE_IN = 16
MAX_CHAIN = 25
#: Work per node one independent search is given, at least, before the budget is shared by
#: several (at most ``MAX_RUNS``), each from the start: on 1,000 nodes a search has settled in
#: its basin long before its work runs out, and which basin it settles in depends on the seed,
#: so several searches find a good one far more often than one search with all the work.
RUN_WORK_PER_NODE = 160_000
MAX_RUNS = 4

Progress = Callable[[float, int], None]


@dataclass(frozen=True, slots=True)
class TourResult:
    """A solved tour and how it was found.

    Attributes
    ----------
    tour
        Closed tour as a permutation of all node indices, starting at 0 (the depot).
    length
        Length of the closed tour on the input matrix.
    method
        Which path produced it, e.g. ``"exact"``, ``"ils"``, ``"fast-tsp+or-opt"``,
        ``"jv-fast-tsp+or-opt"``.
    elapsed_s
        Wall-clock seconds spent.
    stats
        Engine details (:class:`TourStats`).
    """

    tour: list[int]
    length: int
    method: str
    elapsed_s: float
    stats: TourStats


@dataclass(frozen=True, slots=True)
class TourStats:
    """How the tour engine went.

    Attributes
    ----------
    n
        Nodes.
    symmetric
        Whether the matrix is symmetric.
    reproducible
        The deterministic engine (``True``) or fast-tsp (``False``).
    method
        The path taken: ``exact``, ``ils``, ``fast-tsp+or-opt``, ``jv-fast-tsp+or-opt``.
    work, work_budget
        Work done and allowed (deterministic engine): move evaluations and nodes moved.
    kicks, restarts
        Kicks of the iterated local search, and restarts of its walk from the best tour.
    runs
        Independent searches the work was shared by (:func:`runs_for`).
    stalled
        The search stopped because no kick had improved the tour for a long time.
    time_capped
        The clock stopped the search before its work budget was spent.
    load_s
        Seconds spent loading (on first use building) the compiled code.
    scale
        Factor the matrix was scaled by to fit fast-tsp's range.
    jv_invalid
        fast-tsp's asymmetric tour could not be decoded (a nearest-neighbour tour was used).
    polish_gain
        Length saved by the local search after fast-tsp.
    """

    n: int
    symmetric: bool
    reproducible: bool
    method: str = ""
    work: int | None = None
    work_budget: int | None = None
    kicks: int | None = None
    restarts: int | None = None
    runs: int | None = None
    stalled: bool = False
    time_capped: bool = False
    load_s: float | None = None
    scale: float | None = None
    jv_invalid: bool = False
    polish_gain: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {f: getattr(self, f) for f in self.__dataclass_fields__}


def tour_length(matrix: npt.ArrayLike, tour: Sequence[int]) -> int:
    """Return the length of a closed tour, including the edge back to its start.

    Parameters
    ----------
    matrix
        Square distance matrix; ``matrix[i][j]`` is the cost of going from i to j.
    tour
        Node indices in visiting order.

    Returns
    -------
    int
        Sum of ``matrix[tour[k]][tour[k + 1]]`` over the closed tour.
    """
    m = np.asarray(matrix)
    t = np.asarray(tour, dtype=np.int64)
    if len(t) < 2:
        return 0
    return int(m[t, np.roll(t, -1)].sum())


def work_budget(n: int, time_limit: float, measured: int | None = None) -> int:
    """Return the work the reproducible engine spends for a time limit.

    A pure function of its arguments (see :data:`WORK_PER_S`), so the search does the same
    work wherever the arguments are the same.

    Parameters
    ----------
    n
        Number of nodes.
    time_limit
        Seconds allowed for the whole solve.
    measured
        This machine's rate at :data:`MEASURED_SIZE` nodes
        (``route.solver.speed.rate(1, "tour")``): the table then gives only how the rate
        changes with the size. Without it, the table's own rates.

    Returns
    -------
    int
        Units of work: move evaluations and nodes moved.
    """
    rate = rate_at(WORK_PER_S, n)
    if measured is not None:
        rate *= measured / rate_at(WORK_PER_S, MEASURED_SIZE)
    return max(10_000, int(rate * time_limit * WORK_SHARE))


def stall_limit(n: int) -> int:
    """Return how many kicks in a row without a shorter tour end the search early.

    Parameters
    ----------
    n
        Number of nodes.

    Returns
    -------
    int
        A count of kicks (a pure function of ``n``, like :func:`work_budget`).
    """
    return max(100_000, 500 * n)


def solve_tour(
    distance_matrix: npt.ArrayLike,
    *,
    time_limit: float,
    seed: int = 0,
    progress: Progress | None = None,
    reproducible: bool = True,
    work: int | None = None,
) -> list[int]:
    """Return a short closed tour through all nodes, starting at node 0.

    Parameters
    ----------
    distance_matrix
        Square matrix of non-negative integers, symmetric or not (numpy array or nested
        lists). Node 0 is the depot.
    time_limit
        Seconds the call may take; it returns within about this plus a small overhead. It
        also sets the amount of search (:func:`work_budget` at the fixed rates) unless ``work``
        is given; :func:`route.solver.solve.solve` passes the work this machine does in its
        time (``work_budget(n, seconds, route.solver.speed.rate(1, "tour"))``).
    seed
        Seed of the search. With ``reproducible=True`` the same matrix, seed and work (or
        time limit) always give the same tour.
    progress
        Called as ``progress(elapsed_s, best_length)`` whenever a shorter tour is found.
    reproducible
        Use the deterministic engine (default) or the clock-seeded fast-tsp engine; see the
        module documentation.
    work
        The amount of search, instead of the one derived from ``time_limit`` (which then only
        caps the time): for results that must not depend on the machine's speed at all.

    Returns
    -------
    list of int
        A permutation of ``range(n)`` with ``tour[0] == 0``.

    Raises
    ------
    ValueError
        If the matrix is not square, not integer, negative, or ``time_limit`` or ``work`` is
        not positive.
    """
    return solve_tour_detailed(
        distance_matrix,
        time_limit=time_limit,
        seed=seed,
        progress=progress,
        reproducible=reproducible,
        work=work,
    ).tour


def solve_tour_detailed(
    distance_matrix: npt.ArrayLike,
    *,
    time_limit: float,
    seed: int = 0,
    progress: Progress | None = None,
    reproducible: bool = True,
    work: int | None = None,
) -> TourResult:
    """Solve a tour like :func:`solve_tour` and report how it was found.

    Parameters
    ----------
    distance_matrix, time_limit, seed, progress, reproducible, work
        As for :func:`solve_tour`.

    Returns
    -------
    TourResult
        The tour, its length, the method used, the elapsed time and statistics.

    Raises
    ------
    ValueError
        As for :func:`solve_tour`.
    """
    start = time.perf_counter()
    m = _validate(distance_matrix, time_limit)
    if work is not None and not (isinstance(work, int) and work > 0):
        raise ValueError(f"work must be a positive whole number, got {work!r}")
    n = len(m)
    symmetric = bool(np.array_equal(m, m.T))
    stats: dict[str, Any] = {"n": n, "symmetric": symmetric, "reproducible": reproducible}

    def report(length: int) -> None:
        if progress is not None:
            progress(time.perf_counter() - start, length)

    if n <= EXACT_MAX_NODES:
        tour, method = held_karp(m), "exact"
    elif reproducible:
        budget = work if work is not None else work_budget(n, time_limit)
        tour = _ils(m, symmetric, seed, time_limit, budget, stats, report)
        method = "ils"
    else:
        tour, method = _fast(m, symmetric, seed, start, time_limit, stats, report)
    tour = _canonical(m, tour, symmetric)
    length = tour_length(m, tour)
    report(length)
    stats["method"] = method
    return TourResult(tour, length, method, time.perf_counter() - start, TourStats(**stats))


def _validate(distance_matrix: npt.ArrayLike, time_limit: float) -> IntMatrix:
    if not time_limit > 0:
        raise ValueError(f"time_limit must be a positive number of seconds, got {time_limit!r}")
    raw = np.asarray(distance_matrix)
    if raw.ndim != 2 or raw.shape[0] != raw.shape[1] or raw.shape[0] == 0:
        raise ValueError(f"distance matrix must be square and non-empty, got shape {raw.shape}")
    if raw.dtype.kind not in "iu" and (
        raw.dtype.kind != "f" or not np.all(np.isfinite(raw)) or np.any(raw != np.round(raw))
    ):
        raise ValueError(
            f"distance matrix must hold integers (dtype {raw.dtype}); "
            "round or scale the costs to integers first"
        )
    m = raw.astype(np.int64)  # a copy (astype copies by default), so the diagonal may change
    if m.min() < 0:
        i, j = np.unravel_index(int(np.argmin(m)), m.shape)
        raise ValueError(f"distance matrix must be non-negative, got {m[i, j]} at [{i}, {j}]")
    np.fill_diagonal(m, 0)
    return m


def _canonical(m: IntMatrix, tour: Sequence[int], symmetric: bool) -> list[int]:
    """Rotate to start at 0; for symmetric matrices, also fix the direction."""
    t = [int(v) for v in tour]
    k = t.index(0)
    t = t[k:] + t[:k]
    if len(t) > 2:
        back = t[:1] + t[:0:-1]
        shorter = tour_length(m, back) < tour_length(m, t)
        if shorter or (symmetric and t[-1] < t[1]):
            t = back
    return t


def _engine() -> Any:
    """The compiled engine (installed, or built once for this machine and cached)."""
    from route.solver import native

    return native.load("_tour")


def _params(n: int, budget: int) -> npt.NDArray[np.int64]:
    """The engine's parameters (the layout of ``Param`` in ``native/tour.cpp``)."""
    # The ascent costs about 40 n work an iteration: at most a twentieth of the budget.
    ascent = max(10, min(ASCENT_ITERATIONS, budget // (20 * 40 * n)))
    return np.array(
        [
            NEIGHBOURS,
            ALPHA_CANDIDATES,
            ascent,
            KICK_MAX_SEGMENT,
            SLACK_PERMILLE,
            stall_limit(n),
            RESTART_PER_NODE,
            RESTART_MIN_KICKS,
            RESTART_BRIDGES,
            GLOBAL_KICK_ONE_IN,
            MAX_CHAIN,
        ],
        dtype=np.int64,
    )


def runs_for(n: int, budget: int) -> int:
    """Return how many independent searches share a work budget (see :data:`RUN_WORK_PER_NODE`).

    Parameters
    ----------
    n
        Number of nodes.
    budget
        Units of work of the whole search.

    Returns
    -------
    int
        Between 1 and :data:`MAX_RUNS` (a pure function of its arguments).
    """
    return max(1, min(MAX_RUNS, budget // (RUN_WORK_PER_NODE * max(n, 1))))


def _ils(
    m: IntMatrix,
    symmetric: bool,
    seed: int,
    time_limit: float,
    budget: int,
    stats: dict[str, Any],
    report: Callable[[int], None],
) -> list[int]:
    """Seeded iterated local search for ``budget`` units of work (the clock only caps it).

    The budget is shared by :func:`runs_for` searches, each from the nearest-neighbour tour
    of another first node (so each starts from another structure), with the generator where
    the previous one left it; the shortest tour of all is kept.
    """
    loaded = time.perf_counter()
    engine = _engine()
    now = time.perf_counter()
    stats["load_s"] = round(now - loaded, 3)
    # Safety cap only: a little under the limit, counted from after the code loaded.
    deadline = now + 0.95 * time_limit
    n = len(m)
    state = engine.create(
        np.ascontiguousarray(m), n, symmetric, seed & (2**64 - 1), _params(n, budget)
    )
    runs = runs_for(n, budget)
    best = int(engine.start(state, None))
    report(best)
    tour = np.zeros(n, dtype=np.int64)
    engine.best(state, tour)
    # Chunks only decide when to look at the clock and report progress; the search state
    # carries over in the engine, so the tour does not depend on the chunk size. Each run ends
    # at a fixed amount of work, so the runs do not depend on it either.
    chunk = max(100_000, budget // 50)
    stall = stall_limit(n)
    capped = stalled = False
    done_runs = 0
    for run in range(runs):
        if run > 0:  # from the nearest-neighbour tour of another first node, by the seed
            first = int(np.random.default_rng((seed & (2**64 - 1), run)).integers(n))
            engine.start(state, np.asarray(_nearest_neighbour(m, first), dtype=np.int64))
        end = budget * (run + 1) // runs
        while True:
            work, _, since, _, capped_inside, _ = engine.stats(state)
            stalled = since >= stall
            if work >= end or stalled or capped_inside:
                break
            left = deadline - time.perf_counter()
            if left <= 0:
                capped = True
                break
            length = int(engine.run(state, min(end, int(work) + chunk), left))
            if length < best:
                best = length
                engine.best(state, tour)
                report(best)
        done_runs += 1
        if capped or capped_inside or stalled:
            break
    work, kicks, since, _, capped_inside, restarts = engine.stats(state)
    stats.update(
        work=int(work),
        work_budget=budget,
        kicks=int(kicks),
        restarts=int(restarts),
        runs=done_runs,
        stalled=bool(stalled),
        time_capped=bool(capped or capped_inside),
    )
    return [int(x) for x in tour]


def _nearest_neighbour(m: IntMatrix, first: int = 0) -> list[int]:
    n = len(m)
    seen = np.zeros(n, dtype=bool)
    tour = [first]
    seen[first] = True
    for _ in range(n - 1):
        row = np.where(seen, np.iinfo(np.int64).max, m[tour[-1]])
        nxt = int(np.argmin(row))
        tour.append(nxt)
        seen[nxt] = True
    return tour


def _fast(
    m: IntMatrix,
    symmetric: bool,
    seed: int,
    start: float,
    time_limit: float,
    stats: dict[str, Any],
    report: Callable[[int], None],
) -> tuple[list[int], str]:
    """fast-tsp search, then Or-opt on the true matrix."""
    try:
        import fast_tsp
    except ImportError:
        raise ImportError(
            "solve_tour(reproducible=False) uses fast-tsp: pip install 'paperroute[bench]' "
            "(the default, reproducible engine needs nothing more)"
        ) from None

    n = len(m)
    # Keep time for setup and polish: a tenth of the budget, at most half a second.
    budget = max(0.05, time_limit - min(0.5, 0.1 * time_limit) - (time.perf_counter() - start))
    # fast-tsp takes no seed; relabelling the nodes by the seed still varies the search.
    perm = np.random.default_rng(seed).permutation(n)
    perm = np.concatenate(([0], perm[perm != 0]))
    if symmetric:
        scaled, factor = fit_range(m[np.ix_(perm, perm)])
        raw = fast_tsp.find_tour(np.ascontiguousarray(scaled), budget, 1)
        tour = [int(perm[v]) for v in raw]
        method = "fast-tsp"
    else:
        raw2 = fast_tsp.find_tour(jonker_volgenant(m[np.ix_(perm, perm)]), budget, 1)
        decoded = decode_jv(raw2, n)
        factor = 1.0
        if decoded is None:
            stats["jv_invalid"] = True
            decoded = _nearest_neighbour(m[np.ix_(perm, perm)])
        tour = [int(perm[v]) for v in decoded]
        method = "jv-fast-tsp"
    stats["scale"] = factor
    k = tour.index(0)
    tour = tour[k:] + tour[:k]
    report(tour_length(m, tour))
    engine = _engine()
    t = np.asarray(tour, dtype=np.int64)
    before = tour_length(m, tour)
    after = engine.polish(np.ascontiguousarray(m), n, symmetric, NEIGHBOURS, t)
    stats["polish_gain"] = int(before - after)
    return [int(x) for x in t], method + "+or-opt"
