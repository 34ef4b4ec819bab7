"""A lower bound on route length: how far from the best possible a plan can be.

The search gives no proof of how good its routes are. :func:`lower_bound` gives one: the
Held-Karp bound (Held and Karp 1970, 1971), the weight of a minimum 1-tree (a spanning tree of
every stop but the depot, plus the depot's two cheapest edges) maximised over node penalties
``pi`` by subgradient ascent. Every tour is a 1-tree, and adding ``pi[i]`` to every edge at
``i`` adds ``2 * pi[i]`` to every tour, so each round's 1-tree weight minus ``2 * sum(pi)`` is a
lower bound; the best round is kept. On street networks it is typically within a few per cent
of the optimum.

Why it bounds a plan:

- One-way streets: the bound is computed on ``min(d[i, j], d[j, i])``, which no directed route
  can beat.
- Several carriers with closed routes: joining them at the depot and shortcutting the repeated
  depot visits gives one tour no longer than their total (street distances obey the triangle
  inequality; whole metres may break it by a metre per join, which is subtracted).
- One carrier ending at an end point: a tour where the end point and the depot are joined at no
  cost. Open routes, or several carriers ending elsewhere: their union spans every stop, so
  the minimum spanning tree bounds them (a weaker bound, without ascent).
- Windows, the bag's capacity and the shift only make routes longer, so the bound holds with
  them; the gap then also counts what they cost.

The ascent's work is counted in rounds (each a minimum spanning tree, O(n**2)), never timed, so
the same routes give the same bound.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numba as nb
import numpy as np

#: Cells of 1-tree work the ascent may spend (rounds x stops**2): about a second.
WORK_CELLS = 1_000_000_000
MIN_ROUNDS, MAX_ROUNDS = 10, 200


@dataclass(frozen=True, slots=True)
class Bound:
    """A lower bound on the length of any route serving the same stops.

    Attributes
    ----------
    metres
        No route through these stops under these rules is shorter.
    method
        ``held-karp`` (1-trees with penalties) or ``spanning-tree``.
    rounds
        Rounds of the ascent spent.
    """

    metres: int
    method: str
    rounds: int

    def gap(self, length: int) -> float:
        """How much longer than the bound ``length`` is, as a fraction of the bound."""
        return (length - self.metres) / self.metres if self.metres > 0 else 0.0


def rounds_for(size: int) -> int:
    """Ascent rounds for ``size`` nodes: :data:`WORK_CELLS` of work, within the limits."""
    return int(min(MAX_ROUNDS, max(MIN_ROUNDS, WORK_CELLS // max(1, size * size))))


def lower_bound(
    distance: np.ndarray,
    nodes: Sequence[int],
    *,
    carriers: int = 1,
    end: int | None = 0,
    upper: int | None = None,
    rounds: int | None = None,
) -> Bound:
    """A lower bound on the total length of routes from node 0 through ``nodes``.

    Parameters
    ----------
    distance
        The street-metre matrix (node 0 the depot); may be asymmetric.
    nodes
        The stops the routes serve (the depot and the end point excluded).
    carriers
        How many routes share the stops.
    end
        Where routes end: 0 (closed), another node (an end point), or ``None`` (open).
    upper
        The length of a known solution, to steer the ascent's steps (it does not change what
        is bounded).
    rounds
        Ascent rounds (by default :func:`rounds_for` the size).
    """
    stops = [int(n) for n in nodes if n != 0 and n != end]
    if not stops:
        return Bound(0, "empty", 0)
    tree_only = end is None or (end != 0 and carriers > 1)
    sel = np.asarray([0, *stops, *([end] if end not in (None, 0) and not tree_only else [])])
    S = _symmetric(np.asarray(distance), sel.astype(np.int64))
    if end not in (None, 0) and not tree_only:
        S[0, -1] = S[-1, 0] = 0  # the end point and the depot joined at no cost
    if tree_only:
        value = _tree(S, np.zeros(len(sel)), np.zeros(len(sel), np.int64), True)
        return Bound(max(0, math.floor(value)), "spanning-tree", 1)
    rounds = rounds_for(len(sel)) if rounds is None else rounds
    target = float(upper) if upper is not None else float(_tree(S, np.zeros(len(sel)),
                                                                np.zeros(len(sel), np.int64),
                                                                False)) * 1.1  # fmt: skip
    value, spent = _ascent(S, rounds, target)
    # Whole metres may break the triangle inequality by up to a metre at each join of routes.
    return Bound(max(0, math.floor(value + 1e-6) - (carriers - 1)), "held-karp", int(spent))


@nb.njit(cache=True)
def _symmetric(d, sel):
    m = len(sel)
    out = np.empty((m, m), d.dtype)  # int32 planning matrices stay int32: half the memory
    for a in range(m):
        for b in range(a, m):
            w = min(d[sel[a], sel[b]], d[sel[b], sel[a]])
            out[a, b] = w
            out[b, a] = w
    return out


@nb.njit(cache=True)
def _tree(S, pi, deg, tree_only):
    """Weight of a minimum 1-tree (or spanning tree) under penalties ``pi``, minus 2 sum(pi).

    Fills ``deg`` with each node's degree in it. Prim's algorithm on the dense matrix.
    """
    m = S.shape[0]
    first = 0 if tree_only else 1
    key = np.full(m, np.inf)
    parent = np.full(m, -1)
    done = np.zeros(m, np.bool_)
    deg[:] = 0
    key[first] = 0.0
    total = 0.0
    for _ in range(first, m):
        u, best = -1, np.inf
        for v in range(first, m):
            if not done[v] and key[v] < best:
                best, u = key[v], v
        if u < 0:
            return np.inf  # cannot happen on a finite matrix
        done[u] = True
        total += best
        if parent[u] >= 0:
            deg[u] += 1
            deg[parent[u]] += 1
        pu = pi[u]
        for v in range(first, m):
            if not done[v]:
                w = S[u, v] + pu + pi[v]
                if w < key[v]:
                    key[v] = w
                    parent[v] = u
    if not tree_only:
        a = b = np.inf
        ia = ib = -1
        for v in range(1, m):
            w = S[0, v] + pi[0] + pi[v]
            if w < a:
                b, ib = a, ia
                a, ia = w, v
            elif w < b:
                b, ib = w, v
        if ib < 0:  # one stop: the tour goes there and back
            b, ib = a, ia
        total += a + b
        deg[0] += 2
        deg[ia] += 1
        deg[ib] += 1
    return total - 2.0 * pi.sum()


@nb.njit(cache=True)
def _ascent(S, rounds, target):
    """Subgradient ascent on the 1-tree bound (Polyak steps towards ``target``)."""
    m = S.shape[0]
    pi = np.zeros(m)
    deg = np.zeros(m, np.int64)
    best = -np.inf
    lam, stall = 2.0, 0
    spent = 0
    for _ in range(rounds):
        value = _tree(S, pi, deg, False)
        spent += 1
        if value > best + 1e-9:
            best, stall = value, 0
        else:
            stall += 1
            if stall >= 5:
                lam, stall = lam / 2.0, 0
        norm = 0.0
        for i in range(m):
            norm += (deg[i] - 2) * (deg[i] - 2)
        if norm == 0:  # the 1-tree is a tour: the bound is exact
            break
        step = lam * max(target - value, 1e-3 * abs(target) + 1.0) / norm
        for i in range(m):
            pi[i] += step * (deg[i] - 2)
    return best, spent
