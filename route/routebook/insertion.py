"""Stable insertion and removal: a new subscriber slots in, nobody else moves (invariant 7).

A carrier learns the route by heart, so adding or removing a subscriber must not reshuffle it.
:func:`insert_stops` slots each new node in at its cheapest feasible position (windows,
capacity, shift) without changing the relative order of anyone else; :func:`remove_stops`
closes the gaps.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from route.routebook.timing import Slack, insertion_feasible, problem_slack
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


def cheapest_insertion(
    problem: Problem,
    routes: Routes,
    node: int,
    slacks: dict[int, Slack] | None = None,
    only: int | None = None,
) -> Placement | None:
    """The cheapest feasible place for ``node``, or ``None`` when no place keeps every promise.

    Cheapest means fewest added metres, then fewest added seconds; ties go to the lower carrier
    and the earlier position, so the result is deterministic. Each place is checked in O(1)
    with the route's slack (:func:`~route.routebook.timing.insertion_feasible`), never by
    re-timing the route. ``slacks`` caches each carrier's :class:`Slack` between calls (the
    caller drops a carrier's entry when its route changes). ``only`` (0-based) limits the
    places to that carrier's route.
    """
    end = 0 if problem.end is None else problem.end
    d, t = problem.distance, problem.duration
    slacks = {} if slacks is None else slacks
    best: tuple[int, int, int, int] | None = None
    for c, r in enumerate(routes):
        if only is not None and c != only:
            continue
        if c not in slacks:
            slacks[c] = problem_slack(problem, r)
        a = np.asarray((0, *r))
        b = np.asarray((*r, end))
        to_m, from_m, ab_m = d[a, node].astype(np.int64), d[node, b].astype(np.int64), d[a, b]
        to_s, from_s, ab_s = t[a, node].astype(np.int64), t[node, b].astype(np.int64), t[a, b]
        if problem.open_end:  # after the last stop nothing closes the route
            from_m[-1] = from_s[-1] = 0
            ab_m, ab_s = ab_m.astype(np.int64), ab_s.astype(np.int64)
            ab_m[-1] = ab_s[-1] = 0
        ok = insertion_feasible(
            slacks[c],
            np.arange(len(a)),
            to_s,
            from_s,
            problem.service[node],
            problem.earliest[node],
            problem.latest[node],
            problem.demand[node] if problem.demand else 1,
            problem.capacity,
        )
        if not ok.any():
            continue
        add_m = to_m + from_m - ab_m
        add_s = to_s + from_s - ab_s + problem.service[node]
        # Fewest metres, then seconds, then the earliest place (lexsort's last key is primary).
        places = np.flatnonzero(ok)
        k = places[np.lexsort((places, add_s[places], add_m[places]))[0]]
        cand = (int(add_m[k]), int(add_s[k]), c, int(k))
        if best is None or cand < best:
            best = cand
    if best is None:
        return None
    add_m, add_s, c, pos = best
    r = routes[c]
    after = r[pos - 1] if pos > 0 else 0
    before = r[pos] if pos < len(r) else 0
    return Placement(node, c, pos, add_m, add_s, after, before)


def insert_stops(
    problem: Problem,
    routes: Routes,
    nodes: Sequence[int],
    route_of: Mapping[int, int] | None = None,
) -> tuple[Routes, tuple[Placement, ...], tuple[int, ...]]:
    """Insert nodes one by one, each at its cheapest feasible place (in the route ``route_of``
    names, 0-based, for a node it names).

    Returns
    -------
    routes, placements, unplaced
        The new routes (every old stop keeps its carrier and relative order), where each node
        went (in insertion order), and the nodes no place could take.
    """
    out = [tuple(r) for r in routes]
    placements, unplaced = [], []
    slacks: dict[int, Slack] = {}
    for node in nodes:
        only = None if route_of is None else route_of.get(node)
        p = cheapest_insertion(problem, tuple(out), node, slacks, only)
        if p is None:
            unplaced.append(node)
            continue
        r = out[p.carrier]
        out[p.carrier] = (*r[: p.position], node, *r[p.position :])
        del slacks[p.carrier]  # that route changed
        placements.append(p)
    return tuple(out), tuple(placements), tuple(unplaced)


def remove_stops(routes: Routes, nodes: Sequence[int] | set[int]) -> Routes:
    """Drop nodes; every other stop keeps its carrier and relative order."""
    gone = set(nodes)
    return tuple(tuple(n for n in r if n not in gone) for r in routes)
