"""Local search on one carrier's tour for any tour cost: Or-opt and 2-opt on neighbour lists.

The cost is a black box (street metres, or the expected length when absent stops are skipped),
so every move is evaluated in full; neighbour lists keep the number of moves near linear in the
number of stops. First improvement, in a fixed scan order: the same input gives the same tour.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

Tour = tuple[int, ...]

#: A move must save more than this (relative) to count, so float noise never loops the search.
_EPS = 1e-9


def neighbour_lists(
    distance: np.ndarray, nodes: Sequence[int], k: int = 8
) -> dict[int, tuple[int, ...]]:
    """For each node, the ``k`` nearest other nodes of ``nodes`` (by the symmetrised matrix)."""
    nodes = list(nodes)
    if len(nodes) < 2:
        return {n: () for n in nodes}
    sub = distance[np.ix_(nodes, nodes)].astype(float)
    sym = np.minimum(sub, sub.T)
    np.fill_diagonal(sym, np.inf)
    k = min(k, len(nodes) - 1)
    order = np.argsort(sym, axis=1, kind="stable")[:, :k]
    return {nodes[i]: tuple(nodes[j] for j in order[i]) for i in range(len(nodes))}


def improve_tour(
    tour: Sequence[int],
    cost: Callable[[Tour], float],
    neighbours: dict[int, tuple[int, ...]],
    *,
    accept: Callable[[Tour], bool] | None = None,
    keep_first: int = 0,
    max_rounds: int = 50,
) -> Tour:
    """Improve a tour by Or-opt (segments of 1-3 stops, either direction) and 2-opt moves.

    Parameters
    ----------
    tour
        Node indices in visiting order (depot excluded).
    cost
        The tour's cost; lower is better.
    neighbours
        Candidate neighbours per node; a segment is tried next to its ends' neighbours only.
    accept
        Feasibility check for an improving tour (windows, capacity); ``None`` accepts all.
    keep_first
        The first stops that never move and before which nothing goes.
    max_rounds
        Full scans at most; the search also stops when a scan finds nothing.

    Returns
    -------
    tuple
        A tour no costlier than ``tour``.
    """
    cur = tuple(tour)
    best = cost(cur)
    n = len(cur)

    def better(cand: Tour) -> bool:
        nonlocal cur, best
        c = cost(cand)
        if c < best - _EPS * max(1.0, abs(best)) and (accept is None or accept(cand)):
            cur, best = cand, c
            return True
        return False

    for _round in range(max_rounds):
        improved = False
        for length in (1, 2, 3):
            i = keep_first
            while i + length <= n:
                seg = cur[i : i + length]
                rest = cur[:i] + cur[i + length :]
                pos = {x: j for j, x in enumerate(rest)}
                targets: list[int] = []
                for end in (seg[0], seg[-1]):
                    for v in neighbours.get(end, ()):
                        j = pos.get(v)
                        if j is not None:
                            targets.extend((j, j + 1))  # before v, after v
                moved = False
                for j in sorted(set(targets)):
                    if j < keep_first or j == i:
                        continue
                    for s in (seg, seg[::-1]) if length > 1 else (seg,):
                        if better(rest[:j] + s + rest[j:]):
                            moved = True
                            break
                    if moved:
                        break
                improved |= moved
                i += 1
        pos = {x: j for j, x in enumerate(cur)}
        for i in range(keep_first, n - 1):
            for v in neighbours.get(cur[i], ()):
                j = pos.get(v)
                if j is None or j <= i + 1:
                    continue
                # New edges (cur[i], cur[j]) and (cur[i + 1], cur[j + 1]): reverse i+1..j.
                if better(cur[: i + 1] + cur[i + 1 : j + 1][::-1] + cur[j + 1 :]):
                    improved = True
                    pos = {x: k for k, x in enumerate(cur)}
                    break
        if not improved:
            break
    return cur
