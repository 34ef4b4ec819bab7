"""Stable insertion and removal: a new subscriber slots in, nobody else moves (invariant 7).

A carrier learns the route by heart, so adding or removing a subscriber must not reshuffle it.
:func:`insert_stops` slots each new node in at its cheapest feasible position (windows,
capacity, shift) without changing the relative order of anyone else; :func:`remove_stops`
closes the gaps.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from route.routebook.timing import acceptable, time_route
from route.solver.problem import Problem, Routes


@dataclass(frozen=True, slots=True)
class Placement:
    """Where an inserted node went.

    ``position`` is 0-based within carrier ``carrier`` (0-based); ``before``/``after`` are the
    neighbouring nodes (0 = the depot).
    """

    node: int
    carrier: int
    position: int
    added_m: int
    added_s: int
    after: int
    before: int


def cheapest_insertion(problem: Problem, routes: Routes, node: int) -> Placement | None:
    """The cheapest feasible place for ``node``, or ``None`` when no place keeps every promise.

    Cheapest means fewest added metres, then fewest added seconds; ties go to the lower carrier
    and the earlier position, so the result is deterministic.
    """
    end = 0 if problem.end is None else problem.end
    d, t = problem.distance, problem.duration
    cands = []
    for c, r in enumerate(routes):
        seq = (0, *r, end)
        a = np.asarray(seq[:-1])
        b = np.asarray(seq[1:])
        add_m = d[a, node] + d[node, b] - d[a, b]
        add_s = t[a, node] + t[node, b] - t[a, b] + problem.service[node]
        if problem.open_end:  # after the last stop nothing closes the route
            add_m[-1] = d[a[-1], node]
            add_s[-1] = t[a[-1], node] + problem.service[node]
        for pos in range(len(seq) - 1):
            cands.append((int(add_m[pos]), int(add_s[pos]), c, pos))
    cands.sort()
    old = {c: time_route(problem, r) for c, r in enumerate(routes)}
    for add_m, add_s, c, pos in cands:
        r = routes[c]
        new_route = (*r[:pos], node, *r[pos:])
        if acceptable(problem, time_route(problem, new_route), old[c], node):
            after = r[pos - 1] if pos > 0 else 0
            before = r[pos] if pos < len(r) else 0
            return Placement(node, c, pos, add_m, add_s, after, before)
    return None


def insert_stops(
    problem: Problem, routes: Routes, nodes: Sequence[int]
) -> tuple[Routes, tuple[Placement, ...], tuple[int, ...]]:
    """Insert nodes one by one, each at its cheapest feasible place.

    Returns
    -------
    routes, placements, unplaced
        The new routes (every old stop keeps its carrier and relative order), where each node
        went (in insertion order), and the nodes no place could take.
    """
    out = [tuple(r) for r in routes]
    placements, unplaced = [], []
    for node in nodes:
        p = cheapest_insertion(problem, tuple(out), node)
        if p is None:
            unplaced.append(node)
            continue
        r = out[p.carrier]
        out[p.carrier] = (*r[: p.position], node, *r[p.position :])
        placements.append(p)
    return tuple(out), tuple(placements), tuple(unplaced)


def remove_stops(routes: Routes, nodes: Sequence[int] | set[int]) -> Routes:
    """Drop nodes; every other stop keeps its carrier and relative order."""
    gone = set(nodes)
    return tuple(tuple(n for n in r if n not in gone) for r in routes)
