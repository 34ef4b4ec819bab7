"""Small exact tours and the integer matrices fast-tsp is given.

:func:`held_karp` solves instances of a dozen nodes exactly; :func:`fit_range` fits a matrix
into fast-tsp's ``uint16`` range, and :func:`jonker_volgenant` / :func:`decode_jv` carry a
directed (asymmetric) tour problem over to a symmetric one of twice the nodes and back.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

#: Largest distance fast-tsp accepts (its matrices are ``uint16``).
FAST_TSP_MAX = 65535

IntMatrix = npt.NDArray[np.int64]


def held_karp(m: IntMatrix) -> list[int]:
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


def fit_range(m: IntMatrix, limit: int = FAST_TSP_MAX) -> tuple[IntMatrix, float]:
    """Scale a matrix into [0, limit] for fast-tsp; returns the matrix and the factor."""
    top = int(m.max())
    if top <= limit:
        return m, 1.0
    factor = limit / top
    return np.rint(m * factor).astype(np.int64), factor


def jonker_volgenant(m: IntMatrix) -> IntMatrix:
    """Symmetric 2n-node matrix whose tours encode directed tours of ``m``.

    Node i keeps the arrivals, node n + i the departures; the pair (i, n + i) is tied
    with cost 0, arc i -> j costs ``M + c(i, j)`` between n + i and j, and every other
    pair is forbidden with a cost above any tour that keeps the ties.
    """
    n = len(m)
    # Keep 3 * span within fast-tsp's range: M = span, forbidden = 3 * span.
    scaled, _ = fit_range(m, FAST_TSP_MAX // 3)
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


def decode_jv(tour2: Sequence[int], n: int) -> list[int] | None:
    """Directed tour from a 2n-node tour, or None if it breaks a tie."""
    t = list(tour2)
    for order in (t, t[::-1]):
        k = order.index(0)
        order = order[k:] + order[:k]
        if all(order[2 * q + 1] == order[2 * q] + n for q in range(n)):
            return order[0::2]
    return None
