"""Re-optimisation on request: the one thing that reorders a route book.

:func:`reoptimise` is a full re-solve, a re-solve that keeps each carrier's first K stops
(``keep_first``), or a local search that moves at most N stops (``max_moved``); the caller
reports what it saves and what it disturbs before anything is committed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from route.routebook.diff import node_moved
from route.routebook.timing import acceptable, routes_distance, time_route
from route.solver.problem import Problem, Routes
from route.solver.solve import solve


def relocate_search(
    problem: Problem,
    routes: Routes,
    *,
    max_moved: int | None = None,
    keep_first: int = 0,
    max_steps: int | None = None,
) -> Routes:
    """Best-improvement relocation of single stops, on street metres, keeping every promise.

    Each step takes out the one stop whose move to another place (any carrier) saves the most
    metres and keeps windows, capacity and shift. It stops when no move saves anything, when a
    further move would disturb more than ``max_moved`` stops of the starting order, or after
    ``max_steps`` steps. The first ``keep_first`` stops of each carrier never move and nothing
    is put before them.
    """
    start = routes
    cur = [tuple(r) for r in routes]
    end = 0 if problem.end is None else problem.end
    d = problem.distance
    steps = 0
    limit = max_steps if max_steps is not None else 10 * max(1, sum(len(r) for r in routes))
    while steps < limit:
        timings = [time_route(problem, r) for r in cur]
        cands = []
        for c, r in enumerate(cur):
            seq = (0, *r, end)
            for i in range(keep_first, len(r)):
                node = r[i]
                if problem.open_end and i == len(r) - 1:
                    gain = int(d[seq[i], node])
                else:
                    gain = int(d[seq[i], node] + d[node, seq[i + 2]] - d[seq[i], seq[i + 2]])
                for c2, r2 in enumerate(cur):
                    base = r2 if c2 != c else tuple(x for x in r2 if x != node)
                    s2 = (0, *base, end)
                    a = np.asarray(s2[:-1])
                    b = np.asarray(s2[1:])
                    add = d[a, node] + d[node, b] - d[a, b]
                    if problem.open_end:
                        add[-1] = d[a[-1], node]
                    for pos in range(keep_first, len(s2) - 1):
                        delta = int(add[pos]) - gain
                        if delta < 0 and not (c2 == c and pos == i):
                            cands.append((delta, c, i, c2, pos))
        cands.sort()
        done = False
        for _delta, c, i, c2, pos in cands:
            node = cur[c][i]
            trial = list(cur)
            trial[c] = tuple(x for x in cur[c] if x != node)
            base = trial[c2]
            trial[c2] = (*base[:pos], node, *base[pos:])
            changed = {c, c2}
            if not all(
                acceptable(problem, time_route(problem, trial[k]), timings[k]) for k in changed
            ):
                continue
            if max_moved is not None and node_moved(start, tuple(trial)) > max_moved:
                continue
            cur = trial
            done = True
            break
        if not done:
            break
        steps += 1
    return tuple(cur)


def _solve_suffixes(
    problem: Problem, routes: Routes, keep_first: int, time_limit: float, seed: int
) -> Routes:
    """Re-solve each carrier's stops after its first ``keep_first``, the prefix kept as is."""
    out = []
    for r in routes:
        prefix, rest = r[:keep_first], r[keep_first:]
        if len(rest) < 2:
            out.append(tuple(r))
            continue
        timing = time_route(problem, prefix)
        if prefix:
            last = prefix[-1]
            depart = timing.arrivals[-1] + problem.service[last]
        else:
            last, depart = 0, problem.start_s
        end = 0 if problem.end is None else problem.end
        tail = [] if problem.open_end else [end]
        sel = [last, *rest, *tail]
        ix = np.ix_(sel, sel)
        closing = (0,) * len(tail)
        no_window = (None,) * len(tail)
        used_s = depart - problem.start_s
        sub = Problem(
            distance=problem.distance[ix],
            duration=problem.duration[ix],
            service=(0, *(problem.service[n] for n in rest), *closing),
            earliest=(None, *(problem.earliest[n] for n in rest), *no_window),
            latest=(None, *(problem.latest[n] for n in rest), *no_window),
            start_s=depart,
            carriers=1,
            demand=(0, *(problem.demand[n] for n in rest), *closing) if problem.demand else (),
            capacity=None if problem.capacity is None else max(0, problem.capacity - timing.load),
            shift_s=None if problem.shift_s is None else max(0, problem.shift_s - used_s),
            end=len(sel) - 1 if tail else None,
            open_end=problem.open_end,
        )
        sol = solve(sub, time_limit=time_limit, seed=seed)
        if sol.unassigned:
            out.append(tuple(r))  # never drop a stop to save metres
            continue
        out.append((*prefix, *(sel[i] for i in sol.routes[0])))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class Reoptimised:
    """A candidate re-optimised order and how it was found."""

    routes: Routes
    method: str
    distance_m: int
    moved: int


def reoptimise(
    problem: Problem,
    routes: Routes,
    *,
    max_moved: int | None = None,
    keep_first: int = 0,
    time_limit: float = 5.0,
    seed: int = 0,
) -> Reoptimised:
    """Find a shorter order for the same stops, disturbing no more than allowed.

    Parameters
    ----------
    problem
        The problem over the routed stops (node 0 the depot).
    routes
        The current order, one tuple per carrier; ``problem.carriers`` tuples.
    max_moved
        At most this many stops may leave their place in the order (``None``: no bound).
    keep_first
        Each carrier's first K stops stay where they are.
    time_limit, seed
        For the solver's re-solves.

    Returns
    -------
    Reoptimised
        The best candidate found, never longer than ``routes`` (it is ``routes`` itself when
        nothing shorter keeps every promise within the bounds).

    Raises
    ------
    ValueError
        If ``max_moved`` or ``keep_first`` is negative.
    """
    if (max_moved is not None and max_moved < 0) or keep_first < 0:
        raise ValueError("max_moved and keep_first must not be negative")
    placed = {n for r in routes for n in r}
    cands: list[tuple[Routes, str]] = [(routes, "unchanged")]
    if keep_first == 0:
        sol = solve(problem, time_limit=time_limit, seed=seed)
        if not (placed - {n for r in sol.routes for n in r}):
            cands.append((sol.routes, "full re-solve"))
            cands.append((relocate_search(problem, sol.routes), "full re-solve + relocations"))
    else:
        cands.append(
            (
                _solve_suffixes(problem, routes, keep_first, time_limit, seed),
                f"re-solve after the first {keep_first} stops",
            )
        )
    cands.append(
        (
            relocate_search(problem, routes, max_moved=max_moved, keep_first=keep_first),
            "relocations",
        )
    )
    if max_moved is None:
        from route.routebook.skip_aware import shortest_tour

        for base, method in list(cands):
            polished = tuple(shortest_tour(problem, r, keep_first=keep_first) for r in base)
            name = "Or-opt/2-opt" if method == "unchanged" else f"{method} + Or-opt/2-opt"
            cands.append((polished, name))
    old_timings = [time_route(problem, r) for r in routes]
    best: Reoptimised | None = None
    for cand, method in cands:
        if len(cand) != len(routes):
            continue
        if keep_first and any(
            c[:keep_first] != r[:keep_first] for c, r in zip(cand, routes, strict=True)
        ):
            continue
        n_moved = node_moved(routes, cand)
        if max_moved is not None and n_moved > max_moved:
            continue
        timings = [time_route(problem, r) for r in cand]
        if not all(acceptable(problem, t, o) for t, o in zip(timings, old_timings, strict=True)):
            continue
        dist = sum(t.distance_m for t in timings)
        key = (dist, n_moved)
        if best is None or key < (best.distance_m, best.moved):
            best = Reoptimised(tuple(tuple(r) for r in cand), method, dist, n_moved)
    if best is None:  # cannot happen: the unchanged order always qualifies
        return Reoptimised(
            tuple(tuple(r) for r in routes), "unchanged", routes_distance(problem, routes), 0
        )
    return best
