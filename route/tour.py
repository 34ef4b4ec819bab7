"""Single-carrier tour engine: a closed tour through every stop, starting at the depot.

Two engines sit behind :func:`solve_tour`:

``reproducible=True`` (the default)
    A seeded iterated local search (2-opt and Or-opt moves evaluated with numpy on the
    true integer matrix, double-bridge kicks). Its work is a number of kicks computed
    from ``time_limit`` and the instance size by :func:`kick_budget`, never from the
    clock, so the same matrix, seed and time limit give the same tour on any machine.
    The clock is only a safety net: if a slow machine reaches the deadline before the
    budget is spent, the search stops there and ``stats["time_capped"]`` is ``True``;
    only then can the tour differ between runs.

``reproducible=False``
    fast-tsp's Or-opt/LK search (symmetric matrices directly, asymmetric ones through
    the Jonker–Volgenant 2n-node transformation), then a polish on the true matrix.
    Much shorter tours on large instances, but fast-tsp 0.2.2 seeds its random number
    generator from the clock and takes no seed, so two runs can return different tours
    (measured: ch150 gives different optimal tours, pr1002 different lengths at 1 s).

Instances of at most :data:`EXACT_MAX_NODES` nodes are solved exactly (Held–Karp) by
both engines.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
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
    "tour_length",
]

#: Largest distance fast-tsp accepts (its matrices are ``uint16``).
FAST_TSP_MAX = 65535
#: Instances with at most this many nodes are solved exactly by dynamic programming.
EXACT_MAX_NODES = 12
#: Work model of the reproducible engine, measured on a 2-core machine (TSPLIB a280, the
#: slowest per kick, takes about 5 ms at n = 280): one kick
#: (perturbation plus local repair) costs about ``KICK_COST_BASE_S + KICK_COST_PER_NODE_S * n``
#: seconds (twice that on asymmetric matrices, which keep path sums). Budgets plan for
#: 40% of the time limit, leaving room for the first descent and slower machines.
KICK_COST_BASE_S = 1.2e-3
KICK_COST_PER_NODE_S = 1.2e-5
#: Share of the time limit the reproducible engine plans to use.
KICK_TIME_SHARE = 0.4
#: Longest segment moved by one double-bridge kick.
KICK_MAX_SEGMENT = 50

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
        Engine details (``symmetric``, ``reproducible``, ``kicks``, ``time_capped``, ...).
    """

    tour: list[int]
    length: int
    method: str
    elapsed_s: float
    stats: dict[str, Any] = field(default_factory=dict)


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
    per_kick = (KICK_COST_BASE_S + KICK_COST_PER_NODE_S * n) * (1 if symmetric else 2)
    return max(0, int(KICK_TIME_SHARE * time_limit / per_kick))


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
    deadline = start + time_limit
    symmetric = bool(np.array_equal(m, m.T))
    stats: dict[str, Any] = {"n": n, "symmetric": symmetric, "reproducible": reproducible}

    def report(length: int) -> None:
        if progress is not None:
            progress(time.perf_counter() - start, length)

    if n <= EXACT_MAX_NODES:
        tour, method = _held_karp(m), "exact"
    elif reproducible:
        tour = _ils(
            m,
            symmetric,
            seed,
            kick_budget(n, time_limit, symmetric=symmetric),
            deadline,
            stats,
            report,
        )
        method = "ils"
    else:
        tour, method = _fast(m, symmetric, seed, start, time_limit, deadline, stats, report)
    tour = _canonical(m, tour, symmetric)
    length = tour_length(m, tour)
    report(length)
    return TourResult(tour, length, method, time.perf_counter() - start, stats)


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


class _LocalSearch:
    """2-opt and Or-opt on the true matrix, with the tour kept starting at node 0."""

    def __init__(self, m: IntMatrix, tour: Sequence[int], symmetric: bool) -> None:
        self.m = m
        self.n = len(m)
        self.symmetric = symmetric
        self.t = np.asarray(tour, dtype=np.int64)
        self.length = tour_length(m, self.t)
        self._index()

    def _index(self) -> None:
        t = self.t
        self.pos = np.empty(self.n, dtype=np.int64)
        self.pos[t] = np.arange(self.n)
        self.nxt = np.roll(t, -1)
        if not self.symmetric:
            # fwd[k] / bwd[k]: cost of the path t[0..k] walked forwards / backwards.
            self.fwd = np.concatenate(([0], np.cumsum(self.m[t[:-1], t[1:]])))
            self.bwd = np.concatenate(([0], np.cumsum(self.m[t[1:], t[:-1]])))

    def set_tour(self, tour: npt.NDArray[np.int64], length: int) -> None:
        self.t = tour.copy()
        self.length = length
        self._index()

    def _best_two_opt(self, i: int) -> tuple[int, int, int]:
        """Best 2-opt move with one removed edge at position i: (delta, lo, hi)."""
        n, t, m = self.n, self.t, self.m
        js = np.arange(n)
        ok = np.abs(js - i) >= 2
        ok &= ~(((i == 0) & (js == n - 1)) | ((i == n - 1) & (js == 0)))
        js = js[ok]
        if len(js) == 0:
            return 0, 0, 0
        lo, hi = np.minimum(i, js), np.maximum(i, js)
        a, b, c, e = t[lo], t[lo + 1], t[hi], self.nxt[hi]
        delta = m[a, c] + m[b, e] - m[a, b] - m[c, e]
        if not self.symmetric:
            delta = delta + (self.bwd[hi] - self.bwd[lo + 1]) - (self.fwd[hi] - self.fwd[lo + 1])
        k = int(np.argmin(delta))
        return int(delta[k]), int(lo[k]), int(hi[k])

    def _best_or_opt(self, s: int, seg: int) -> tuple[int, int, bool]:
        """Best move of the segment t[s:s+seg]: (delta, insertion edge, reversed)."""
        n, t, m = self.n, self.t, self.m
        e = s + seg - 1
        if s < 1 or e > n - 1 or seg >= n - 2:
            return 0, 0, False
        p, f, last, q = t[s - 1], t[s], t[e], self.nxt[e]
        gain = m[p, f] + m[last, q] - m[p, q]
        ks = np.concatenate((np.arange(0, s - 1), np.arange(e + 1, n)))
        u, v = t[ks], self.nxt[ks]
        base = m[u, v]
        fwd = m[u, f] + m[last, v] - base
        rev = m[u, last] + m[f, v] - base
        if seg > 1 and not self.symmetric:
            rev = rev + (self.bwd[e] - self.bwd[s]) - (self.fwd[e] - self.fwd[s])
        kf, kr = int(np.argmin(fwd)), int(np.argmin(rev))
        if seg > 1 and rev[kr] < fwd[kf]:
            return int(rev[kr] - gain), int(ks[kr]), True
        return int(fwd[kf] - gain), int(ks[kf]), False

    def improve_node(self, v: int) -> list[int]:
        """Apply the best improving move around node v; return the nodes it touched."""
        i = int(self.pos[v])
        best: tuple[int, str, tuple[int, ...]] = (0, "", ())
        for edge in (i, (i - 1) % self.n):
            d, lo, hi = self._best_two_opt(edge)
            if d < best[0]:
                best = (d, "2opt", (lo, hi))
        for seg in (1, 2, 3):
            for s in (i, i - seg + 1):
                d, k, rev = self._best_or_opt(s, seg)
                if d < best[0]:
                    best = (d, "or", (s, seg, k, int(rev)))
        delta, kind, args = best
        if delta >= 0:
            return []
        t = self.t
        if kind == "2opt":
            lo, hi = args
            touched = [t[lo], t[lo + 1], t[hi], self.nxt[hi]]
            t[lo + 1 : hi + 1] = t[lo + 1 : hi + 1][::-1].copy()
        else:
            s, seg, k, rev = args
            segment = t[s : s + seg]
            touched = [t[s - 1], segment[0], segment[-1], self.nxt[s + seg - 1], t[k], self.nxt[k]]
            segment = segment[::-1] if rev else segment
            rest = np.concatenate((t[:s], t[s + seg :]))
            at = k + 1 if k < s else k - seg + 1
            self.t = np.concatenate((rest[:at], segment, rest[at:]))
        self.length += delta
        self._index()
        return [int(x) for x in touched]

    def descend(self, queue: list[int], deadline: float) -> bool:
        """Improve until no node in the queue has a move; False if the deadline hit."""
        waiting = set(queue)
        steps = 0
        while queue:
            steps += 1
            if steps % 64 == 0 and time.perf_counter() > deadline:
                return False
            v = queue.pop()
            waiting.discard(v)
            for u in self.improve_node(v):
                if u not in waiting:
                    waiting.add(u)
                    queue.append(u)
        return True


def _nearest_neighbour(m: IntMatrix, start: int = 0) -> list[int]:
    n = len(m)
    seen = np.zeros(n, dtype=bool)
    tour = [start]
    seen[start] = True
    big = np.iinfo(np.int64).max
    for _ in range(n - 1):
        row = np.where(seen, big, m[tour[-1]])
        nxt = int(np.argmin(row))
        tour.append(nxt)
        seen[nxt] = True
    return tour


def _ils(
    m: IntMatrix,
    symmetric: bool,
    seed: int,
    kicks: int,
    deadline: float,
    stats: dict[str, Any],
    report: Callable[[int], None],
) -> list[int]:
    """Seeded iterated local search with a fixed number of double-bridge kicks."""
    n = len(m)
    rng = np.random.default_rng(seed)
    ls = _LocalSearch(m, _nearest_neighbour(m), symmetric)
    finished = ls.descend(list(rng.permutation(n)), deadline)
    best_t, best_len = ls.t.copy(), ls.length
    report(best_len)
    done = 0
    while finished and done < kicks:
        if time.perf_counter() > deadline:
            finished = False
            break
        done += 1
        # Double bridge on a local window: t = A B C D becomes A C B D.
        width = int(rng.integers(1, KICK_MAX_SEGMENT + 1))
        width2 = int(rng.integers(1, KICK_MAX_SEGMENT + 1))
        a = int(rng.integers(1, max(2, n - width - width2)))
        b, c = min(a + width, n - 1), min(a + width + width2, n)
        if not a < b < c:
            continue
        t = ls.t
        touched = [t[a - 1], t[a], t[b - 1], t[b], t[c - 1], t[c % n]]
        new = np.concatenate((t[:a], t[b:c], t[a:b], t[c:]))
        ls.set_tour(new, tour_length(m, new))
        finished = ls.descend([int(x) for x in touched], deadline)
        if ls.length < best_len:
            best_t, best_len = ls.t.copy(), ls.length
            report(best_len)
        elif ls.length > best_len:
            ls.set_tour(best_t, best_len)
    stats.update(kicks=done, kick_budget=kicks, time_capped=not finished)
    return [int(x) for x in best_t]


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
    deadline: float,
    stats: dict[str, Any],
    report: Callable[[int], None],
) -> tuple[list[int], str]:
    """fast-tsp search, then Or-opt on the true matrix."""
    import fast_tsp

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
    ls = _LocalSearch(m, tour, symmetric)
    before = ls.length
    stats["polished"] = ls.descend(list(range(n)), deadline)
    stats["polish_gain"] = before - ls.length
    return [int(x) for x in ls.t], method + "+or-opt"
