"""Stable edits of a fixed route: insertion, removal, bounded re-optimisation, version diffs.

A carrier learns the route by heart, so adding or removing a subscriber must not reshuffle it.
Everything here works on a :class:`route.solve.Problem` (node 0 the depot) and routes given as
tuples of node indices, one tuple per carrier:

- :func:`insert_stops` slots each new node in at its cheapest feasible position (windows,
  capacity, shift) without changing the relative order of anyone else;
- :func:`remove_stops` closes the gaps, the others keep their order;
- :func:`reoptimise` is the one thing that reorders, and only when asked: a full re-solve, or
  a re-solve that keeps each carrier's first K stops (``keep_first``), or a local search that
  moves at most N stops (``max_moved``);
- :func:`moved` and :func:`diff_books` say what a change disturbs: stops that had to be taken out
  and put back elsewhere (the complement of the longest common subsequence of the two orders),
  and stops whose arrival time shifts by more than a threshold.

Arrival times are the earliest-start schedule: leave each stop as soon as it is served, wait
at a stop only for the start of its window. The same routes always give the same times.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from .model import RouteBook, format_clock
from .solve import Problem, solve

Routes = tuple[tuple[int, ...], ...]

#: An arrival time that moves by more than this counts as a disturbance (seconds).
RETIME_THRESHOLD_S = 300


@dataclass(frozen=True, slots=True)
class Timing:
    """The all-present schedule of one carrier's route.

    Attributes
    ----------
    arrivals
        Arrival at each stop, seconds after midnight (after any wait for a window's start).
    finish_s
        Back at the end point, seconds after midnight.
    distance_m
        Street metres, depot to depot.
    load
        Items carried (sum of demands).
    late
        Nodes reached after their window closes.
    """

    arrivals: tuple[int, ...]
    finish_s: int
    distance_m: int
    load: int
    late: tuple[int, ...]


def time_route(problem: Problem, route: Sequence[int], start_s: int | None = None) -> Timing:
    """Schedule one carrier's route, every stop present.

    Parameters
    ----------
    problem
        Matrices, service times, windows and demands.
    route
        Node indices in visiting order, depot excluded.
    start_s
        Departure from the depot; the problem's start by default.
    """
    t = problem.start_s if start_s is None else start_s
    end = 0 if problem.end is None else problem.end
    prev, dist, load = 0, 0, 0
    arrivals, late = [], []
    for node in route:
        t += int(problem.duration[prev, node]) + problem.service[prev]
        lo, hi = problem.earliest[node], problem.latest[node]
        if lo is not None and t < lo:
            t = lo
        if hi is not None and t > hi:
            late.append(node)
        arrivals.append(t)
        dist += int(problem.distance[prev, node])
        load += problem.demand[node] if problem.demand else 1
        prev = node
    if route and not problem.open_end:
        t += int(problem.duration[prev, end]) + problem.service[prev]
        dist += int(problem.distance[prev, end])
    elif route:
        t += problem.service[prev]  # an open route ends when the last stop is served
    return Timing(tuple(arrivals), t, dist, load, tuple(late))


def routes_distance(problem: Problem, routes: Routes) -> int:
    """Street metres of all carriers."""
    return sum(time_route(problem, r).distance_m for r in routes)


def _acceptable(problem: Problem, new: Timing, old: Timing, node: int | None = None) -> bool:
    """Whether a changed route keeps every promise the old one kept.

    A route that already broke a window or the shift (the plan is never allowed to, but a
    subscriber may have narrowed their window since) may change, as long as the change breaks
    no further promise.
    """
    if node is not None and node in new.late:
        return False
    if not set(new.late) <= set(old.late):
        return False
    if problem.capacity is not None and new.load > max(problem.capacity, old.load):
        return False
    if problem.shift_s is not None:
        limit = problem.start_s + problem.shift_s
        if new.finish_s > max(limit, old.finish_s):
            return False
    return True


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
        if _acceptable(problem, time_route(problem, new_route), old[c], node):
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


# -- what a change disturbs ---------------------------------------------------------------------


def _lcs_keep(old: Sequence[str], new: Sequence[str]) -> set[str]:
    """Ids in a longest common subsequence of two orders of distinct ids (O(n log n))."""
    pos = {x: i for i, x in enumerate(old)}
    seq = [(pos[x], x) for x in new if x in pos]
    # Longest increasing subsequence of old positions, in new order (patience sorting).
    tails: list[int] = []
    tail_idx: list[int] = []
    parent = [-1] * len(seq)
    for i, (p, _x) in enumerate(seq):
        k = bisect.bisect_left(tails, p)
        if k == len(tails):
            tails.append(p)
            tail_idx.append(i)
        else:
            tails[k] = p
            tail_idx[k] = i
        parent[i] = tail_idx[k - 1] if k > 0 else -1
    keep: set[str] = set()
    i = tail_idx[-1] if tail_idx else -1
    while i >= 0:
        keep.add(seq[i][1])
        i = parent[i]
    return keep


def moved(old: Sequence[Sequence[str]], new: Sequence[Sequence[str]]) -> frozenset[str]:
    """Stops that must be taken out and put back to turn ``old`` into ``new``.

    Both are per-carrier id orders. A stop in both that changes carrier counts as moved; among
    the rest of a carrier, the stops outside a longest common subsequence of its two orders are
    the fewest that explain the change. Added or removed stops are not counted.
    """
    carrier_old = {x: c for c, r in enumerate(old) for x in r}
    carrier_new = {x: c for c, r in enumerate(new) for x in r}
    common = carrier_old.keys() & carrier_new.keys()
    out = {x for x in common if carrier_old[x] != carrier_new[x]}
    for c in range(max(len(old), len(new))):
        o = [x for x in (old[c] if c < len(old) else ()) if x in common and x not in out]
        n = [x for x in (new[c] if c < len(new) else ()) if x in common and x not in out]
        out |= set(o) - _lcs_keep(o, n)
    return frozenset(out)


@dataclass(frozen=True, slots=True)
class BookDiff:
    """What changed between two route-book versions.

    Attributes
    ----------
    added, removed
        Subscriber ids routed only in the new or only in the old version.
    moved
        Ids that left their place in the order (see :func:`moved`).
    retimed
        ``(id, old arrival, new arrival)`` for stops in both versions whose arrival moves by
        more than ``threshold_s`` and that did not move.
    distance_m, duration_s
        New minus old (negative: the new version saves).
    """

    old_version: int
    new_version: int
    added: tuple[str, ...]
    removed: tuple[str, ...]
    moved: tuple[str, ...]
    retimed: tuple[tuple[str, int, int], ...]
    distance_m: int
    duration_s: int
    threshold_s: int = RETIME_THRESHOLD_S
    positions: Mapping[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def disturbed(self) -> tuple[str, ...]:
        """Stops whose place or arrival time changes (moved, then retimed)."""
        return self.moved + tuple(r[0] for r in self.retimed)

    def lines(self, limit: int | None = None) -> list[str]:
        """The diff as lines a person reads; at most ``limit`` moved and retimed stops each."""
        sign = "saves" if self.distance_m < 0 else "adds"
        out = [
            f"Version {self.old_version} -> {self.new_version}: {sign} "
            f"{abs(self.distance_m):,} m and {abs(self.duration_s) / 60:.1f} min a day "
            f"({self.distance_m:+,} m, {self.duration_s / 60:+.1f} min)",
            f"  added {len(self.added)}, removed {len(self.removed)}, moved {len(self.moved)}, "
            f"arrival shifted by more than {self.threshold_s // 60} min: {len(self.retimed)}",
        ]
        if self.added:
            out.append("  added:   " + ", ".join(self.added))
        if self.removed:
            out.append("  removed: " + ", ".join(self.removed))
        for x in self.moved[:limit]:
            a, b = self.positions.get(x, (0, 0))
            out.append(f"  moved    {x:<10} stop {a:>3} -> {b:>3}")
        if limit is not None and len(self.moved) > limit:
            out.append(f"  ... and {len(self.moved) - limit} more moved")
        for x, a, b in self.retimed[:limit]:
            out.append(
                f"  retimed  {x:<10} {format_clock(a)} -> {format_clock(b)} "
                f"({(b - a) / 60:+.0f} min)"
            )
        if limit is not None and len(self.retimed) > limit:
            out.append(f"  ... and {len(self.retimed) - limit} more retimed")
        return out


def diff_books(old: RouteBook, new: RouteBook, threshold_s: int = RETIME_THRESHOLD_S) -> BookDiff:
    """Compare two route-book versions (old first)."""
    o_orders = [r.order for r in old.routes]
    n_orders = [r.order for r in new.routes]
    o_ids = {x for r in o_orders for x in r}
    n_ids = {x for r in n_orders for x in r}
    mv = moved(o_orders, n_orders)
    o_stop = {s.subscriber_id: s for r in old.routes for s in r.stops}
    n_stop = {s.subscriber_id: s for r in new.routes for s in r.stops}
    order = [x for r in n_orders for x in r]
    retimed = tuple(
        (x, o_stop[x].arrival_s, n_stop[x].arrival_s)
        for x in order
        if x in o_ids
        and x not in mv
        and abs(n_stop[x].arrival_s - o_stop[x].arrival_s) > threshold_s
    )
    return BookDiff(
        old_version=old.version,
        new_version=new.version,
        added=tuple(x for x in order if x not in o_ids),
        removed=tuple(x for r in o_orders for x in r if x not in n_ids),
        moved=tuple(x for x in order if x in mv),
        retimed=retimed,
        distance_m=new.distance_m - old.distance_m,
        duration_s=new.duration_s - old.duration_s,
        threshold_s=threshold_s,
        positions={x: (o_stop[x].seq, n_stop[x].seq) for x in mv},
    )


# -- explicit re-optimisation ---------------------------------------------------------------------


def _node_moved(old: Routes, new: Routes) -> int:
    return len(moved([tuple(map(str, r)) for r in old], [tuple(map(str, r)) for r in new]))


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
                _acceptable(problem, time_route(problem, trial[k]), timings[k]) for k in changed
            ):
                continue
            if max_moved is not None and _node_moved(start, tuple(trial)) > max_moved:
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
        from .apriori import shortest_tour

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
        n_moved = _node_moved(routes, cand)
        if max_moved is not None and n_moved > max_moved:
            continue
        timings = [time_route(problem, r) for r in cand]
        if not all(_acceptable(problem, t, o) for t, o in zip(timings, old_timings, strict=True)):
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
