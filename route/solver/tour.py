"""Single-carrier tour engine: a closed tour through every stop, starting at the depot.

Two engines sit behind :func:`solve_tour`:

``reproducible=True`` (the default)
    A compiled (numba), seeded iterated local search: nearest-neighbour start, 2-opt and
    Or-opt moves over neighbour lists with a queue of dirty nodes, and double-bridge
    kicks on local windows (see :mod:`route.solver.tour_kernels`). Its work is a number of kicks
    computed from ``time_limit`` and the instance size by :func:`kick_budget`, never
    from the clock, and its random numbers come from its own seeded generator, so the
    same matrix, seed and time limit give the same tour on any machine. It also stops
    after :func:`stall_limit` kicks in a row without a shorter tour. The clock is only
    a safety net: if a slow machine reaches the deadline before the budget is spent,
    the search stops there and ``stats.time_capped`` is ``True``; only then can the
    tour differ between runs. The first call in a process loads the compiled code
    (compiles it once per installation, a few seconds); that time is not counted
    against ``time_limit``.

``reproducible=False``
    fast-tsp's Or-opt/LK search (symmetric matrices directly, asymmetric ones through
    the Jonker–Volgenant 2n-node transformation), then a local-search polish on the
    true matrix.
    Much shorter tours on large instances, but fast-tsp 0.2.2 seeds its random number
    generator from the clock and takes no seed, so two runs can return different tours
    (measured: ch150 gives different optimal tours, pr1002 different lengths at 1 s).

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

__all__ = [
    "EXACT_MAX_NODES",
    "FAST_TSP_MAX",
    "TourResult",
    "kick_budget",
    "solve_tour",
    "solve_tour_detailed",
    "stall_limit",
    "tour_length",
]

#: Largest distance fast-tsp accepts (its matrices are ``uint16``).
FAST_TSP_MAX = 65535
#: Instances with at most this many nodes are solved exactly by dynamic programming.
EXACT_MAX_NODES = 12
#: Work model of the reproducible engine, measured with ``benchmarks/tsplib.py`` on a
#: shared 2-core machine (near its busy end, so runs under load finish): one kick (perturbation plus
#: local repair) costs about ``KICK_COST_BASE_S + KICK_COST_PER_NODE_S * n`` seconds on
#: a symmetric matrix and ``KICK_ASYMMETRIC_FACTOR`` times that on an asymmetric one
#: (which re-sums path costs after every change).
KICK_COST_BASE_S = 12e-6
KICK_COST_PER_NODE_S = 8e-9
KICK_ASYMMETRIC_FACTOR = 2.0
#: Share of the time limit the reproducible engine plans to use; the rest is room for
#: slower or busier machines before the clock cap would fire.
KICK_TIME_SHARE = 0.55
#: Longest segment moved by one double-bridge kick.
KICK_MAX_SEGMENT = 120
#: Neighbour-list length of the local search.
NEIGHBOURS = 12
#: A kicked tour is accepted when it is at most this share of the mean
#: nearest-neighbour distance longer than the accepted one (lets the search leave
#: deep local optima; TSPLIB pcb442 and rat783 stall without it).
ACCEPT_SHARE = 0.5

Progress = Callable[[float, int], None]
IntMatrix = npt.NDArray[np.int64]


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
        The path taken: ``exact``, ``ils-numba``, ``fast-tsp+or-opt``, ``jv-fast-tsp+or-opt``.
    kicks, kick_budget
        Kicks done and allowed (deterministic engine).
    stalled
        The search stopped because no kick had improved the tour for a long time.
    time_capped
        The clock stopped the search before its kick budget was spent.
    load_s
        Seconds spent loading the compiled code.
    scale
        Factor the matrix was scaled by to fit fast-tsp's range.
    jv_invalid
        fast-tsp's asymmetric tour could not be decoded (a nearest-neighbour tour was used).
    polish_gain
        Length saved by the Or-opt polish after fast-tsp.
    """

    n: int
    symmetric: bool
    reproducible: bool
    method: str = ""
    kicks: int | None = None
    kick_budget: int | None = None
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


def kick_budget(n: int, time_limit: float, *, symmetric: bool = True) -> int:
    """Return the number of kicks the reproducible engine spends for a time limit.

    A pure function of its arguments, so the search does the same work on any machine.

    Parameters
    ----------
    n
        Number of nodes.
    time_limit
        Seconds allowed for the whole solve.
    symmetric
        Whether the matrix is symmetric; asymmetric kicks cost about twice as much.

    Returns
    -------
    int
        Number of iterated-local-search kicks.
    """
    per_kick = KICK_COST_BASE_S + KICK_COST_PER_NODE_S * n
    if not symmetric:
        per_kick *= KICK_ASYMMETRIC_FACTOR
    return max(0, int(KICK_TIME_SHARE * time_limit / per_kick))


def stall_limit(n: int) -> int:
    """Return how many kicks in a row without a shorter tour end the search early.

    Parameters
    ----------
    n
        Number of nodes.

    Returns
    -------
    int
        A count of kicks (a pure function of ``n``, like :func:`kick_budget`).
    """
    return max(150_000, 300 * n)


def solve_tour(
    distance_matrix: npt.ArrayLike,
    *,
    time_limit: float,
    seed: int = 0,
    progress: Progress | None = None,
    reproducible: bool = True,
) -> list[int]:
    """Return a short closed tour through all nodes, starting at node 0.

    Parameters
    ----------
    distance_matrix
        Square matrix of non-negative integers, symmetric or not (numpy array or nested
        lists). Node 0 is the depot.
    time_limit
        Seconds the call may take; it returns within about this plus a small overhead.
    seed
        Seed of the search. With ``reproducible=True`` the same matrix, seed and time
        limit always give the same tour.
    progress
        Called as ``progress(elapsed_s, best_length)`` whenever a shorter tour is found.
    reproducible
        Use the deterministic engine (default) or the faster, clock-seeded fast-tsp
        engine; see the module documentation.

    Returns
    -------
    list of int
        A permutation of ``range(n)`` with ``tour[0] == 0``.

    Raises
    ------
    ValueError
        If the matrix is not square, not integer, negative, or ``time_limit`` is not
        positive.
    """
    return solve_tour_detailed(
        distance_matrix,
        time_limit=time_limit,
        seed=seed,
        progress=progress,
        reproducible=reproducible,
    ).tour


def solve_tour_detailed(
    distance_matrix: npt.ArrayLike,
    *,
    time_limit: float,
    seed: int = 0,
    progress: Progress | None = None,
    reproducible: bool = True,
) -> TourResult:
    """Solve a tour like :func:`solve_tour` and report how it was found.

    Parameters
    ----------
    distance_matrix, time_limit, seed, progress, reproducible
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
    n = len(m)
    symmetric = bool(np.array_equal(m, m.T))
    stats: dict[str, Any] = {"n": n, "symmetric": symmetric, "reproducible": reproducible}

    def report(length: int) -> None:
        if progress is not None:
            progress(time.perf_counter() - start, length)

    if n <= EXACT_MAX_NODES:
        tour, method = _held_karp(m), "exact"
    elif reproducible:
        tour = _ils(m, symmetric, seed, time_limit, stats, report)
        method = "ils-numba"
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
    m = raw.astype(np.int64)
    if m.min() < 0:
        i, j = np.unravel_index(int(np.argmin(m)), m.shape)
        raise ValueError(f"distance matrix must be non-negative, got {m[i, j]} at [{i}, {j}]")
    m = m.copy()
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


def _held_karp(m: IntMatrix) -> list[int]:
    """Exact directed tour by dynamic programming over subsets (small n only)."""
    n = len(m)
    if n <= 3:
        return list(range(n))
    k = n - 1  # nodes 1..n-1 are bits 0..k-1
    big = np.iinfo(np.int64).max // 4
    cost = np.full((1 << k, k), big, dtype=np.int64)
    parent = np.full((1 << k, k), -1, dtype=np.int64)
    for j in range(k):
        cost[1 << j, j] = m[0, j + 1]
    sub = m[1:, 1:]
    for mask in range(1, 1 << k):
        row = cost[mask]
        if not np.any(row < big):
            continue
        # Extend every end j in mask to every node not yet in mask.
        cand = row[:, None] + sub  # cand[j, x]
        best_j = np.argmin(cand, axis=0)
        best = cand[best_j, np.arange(k)]
        for x in range(k):
            if mask >> x & 1:
                continue
            nxt = mask | 1 << x
            if best[x] < cost[nxt, x]:
                cost[nxt, x] = best[x]
                parent[nxt, x] = best_j[x]
    full = (1 << k) - 1
    last = int(np.argmin(cost[full] + m[1:, 0]))
    order = []
    mask = full
    while last >= 0:
        order.append(last + 1)
        last, mask = int(parent[mask, last]), mask & ~(1 << last)
    return [0, *order[::-1]]


def _engine() -> Any:
    """The compiled kernels, loaded (or compiled) and warmed up once per process."""
    from route.solver import tour_kernels as _ils
    from route.solver.cache_guard import load_compiled

    if not _WARM:
        # Run every kernel once on a tiny instance with the argument types of real
        # calls, so loading or compiling happens here and not inside a timed search.
        m = np.abs(np.subtract.outer(np.arange(16), np.arange(16))).astype(np.int64)
        m[0, 1] += 1  # asymmetric
        load_compiled(lambda: _ils_run(_ils, m, False, 0, 10, None))
        _WARM.append(True)
    return _ils


_WARM: list[bool] = []


def _ils_run(
    engine: Any,
    m: IntMatrix,
    symmetric: bool,
    seed: int,
    kicks: int,
    deadline: float | None,
    report: Callable[[int], None] | None = None,
) -> tuple[npt.NDArray[np.int64], dict[str, Any]]:
    """Run the compiled search for at most ``kicks`` kicks; return tour and stats."""
    n = len(m)
    nb_out, nb_in = engine.neighbour_lists(m, NEIGHBOURS)
    t = engine.nearest_neighbour(m)
    state = np.array([_splitmix64(seed)], dtype=np.uint64)
    order = np.arange(n, dtype=np.int64)
    length = engine.local_search(m, nb_out, nb_in, t, symmetric, order)
    pos = np.empty(n, dtype=np.int64)
    pos[t] = np.arange(n)
    acc_t, acc_pos, best_t = t.copy(), pos.copy(), t.copy()
    info = np.zeros(engine.INFO_SIZE, dtype=np.int64)
    info[engine.CUR] = info[engine.BEST] = info[engine.ACC] = length
    if report is not None:
        report(int(length))
    stall = stall_limit(n)
    # Integer arithmetic keeps the threshold identical on every machine.
    nearest = int(m[np.arange(n), nb_out[:, 0]].sum())
    threshold = int(ACCEPT_SHARE * 1000) * nearest // (1000 * n)
    # Chunks only decide when to look at the clock and report progress; the search
    # state carries over, so the tour does not depend on the chunk size.
    chunk = max(100, int(0.05 * kick_budget(n, 1.0, symmetric=symmetric)))
    capped = False
    while info[engine.KICKS] < kicks and info[engine.SINCE] < stall:
        if deadline is not None and time.perf_counter() > deadline:
            capped = True
            break
        before = int(info[engine.BEST])
        todo = min(chunk, kicks - int(info[engine.KICKS]))
        engine.kicks(
            m, nb_out, nb_in, symmetric, t, pos, acc_t, acc_pos, best_t, info, state,
            todo, stall, KICK_MAX_SEGMENT, threshold,
        )  # fmt: skip
        if report is not None and info[engine.BEST] < before:
            report(int(info[engine.BEST]))
    stats = {
        "kicks": int(info[engine.KICKS]),
        "kick_budget": kicks,
        "stalled": bool(info[engine.SINCE] >= stall),
        "time_capped": capped,
    }
    return best_t, stats


def _splitmix64(seed: int) -> int:
    """A well-mixed, non-zero 64-bit generator state from any integer seed."""
    mask = (1 << 64) - 1
    z = (seed * 0x9E3779B97F4A7C15 + 0x9E3779B97F4A7C15) & mask
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
    return (z ^ (z >> 31)) or 1


def _ils(
    m: IntMatrix,
    symmetric: bool,
    seed: int,
    time_limit: float,
    stats: dict[str, Any],
    report: Callable[[int], None],
) -> list[int]:
    """Seeded iterated local search with a kick budget fixed by n and the time limit."""
    loaded = time.perf_counter()
    engine = _engine()
    now = time.perf_counter()
    stats["load_s"] = round(now - loaded, 3)
    kicks = kick_budget(len(m), time_limit, symmetric=symmetric)
    # Safety cap only: a little under the limit, counted from after the code loaded.
    tour, run = _ils_run(engine, m, symmetric, seed, kicks, now + 0.95 * time_limit, report)
    stats.update(run)
    return [int(x) for x in tour]


def _nearest_neighbour(m: IntMatrix) -> list[int]:
    return [int(x) for x in _engine().nearest_neighbour(m)]


def _scaled(m: IntMatrix, limit: int = FAST_TSP_MAX) -> tuple[IntMatrix, float]:
    """Scale a matrix into [0, limit] for fast-tsp; returns the matrix and the factor."""
    top = int(m.max())
    if top <= limit:
        return m, 1.0
    factor = limit / top
    return np.rint(m * factor).astype(np.int64), factor


def _jonker_volgenant(m: IntMatrix) -> IntMatrix:
    """Symmetric 2n-node matrix whose tours encode directed tours of ``m``.

    Node i keeps the arrivals, node n + i the departures; the pair (i, n + i) is tied
    with cost 0, arc i -> j costs ``M + c(i, j)`` between n + i and j, and every other
    pair is forbidden with a cost above any tour that keeps the ties.
    """
    n = len(m)
    # Keep 3 * span within fast-tsp's range: M = span, forbidden = 3 * span.
    scaled, _ = _scaled(m, FAST_TSP_MAX // 3)
    span = max(1, int(scaled.max()))
    big = 3 * span
    out = np.full((2 * n, 2 * n), big, dtype=np.int64)
    arcs = scaled + span
    out[n:, :n] = arcs
    out[:n, n:] = arcs.T
    idx = np.arange(n)
    out[idx, n + idx] = 0
    out[n + idx, idx] = 0
    np.fill_diagonal(out, 0)
    return out


def _decode_jv(tour2: Sequence[int], n: int) -> list[int] | None:
    """Directed tour from a 2n-node tour, or None if it breaks a tie."""
    t = list(tour2)
    for order in (t, t[::-1]):
        k = order.index(0)
        order = order[k:] + order[:k]
        if all(order[2 * q + 1] == order[2 * q] + n for q in range(n)):
            return order[0::2]
    return None


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
        scaled, factor = _scaled(m[np.ix_(perm, perm)])
        raw = fast_tsp.find_tour(np.ascontiguousarray(scaled), budget, 1)
        tour = [int(perm[v]) for v in raw]
        method = "fast-tsp"
    else:
        raw2 = fast_tsp.find_tour(_jonker_volgenant(m[np.ix_(perm, perm)]), budget, 1)
        decoded = _decode_jv(raw2, n)
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
    nb_out, nb_in = engine.neighbour_lists(m, NEIGHBOURS)
    after = engine.local_search(m, nb_out, nb_in, t, symmetric, np.arange(n, dtype=np.int64))
    stats["polish_gain"] = int(before - after)
    return [int(x) for x in t], method + "+or-opt"
