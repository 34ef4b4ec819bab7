"""What a change to the route disturbs: moved stops and shifted arrivals between two versions.

:func:`moved` names the stops that had to be taken out and put back elsewhere (carriers matched
by the stops they share, then the complement of the longest common subsequence of each matched
pair's orders); :func:`diff_books` adds the stops whose
arrival time shifts by more than a threshold, and the change in length and duration.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from route.model.routebook import RouteBook
from route.model.subscriber import format_clock
from route.routebook.timing import RETIME_THRESHOLD_S
from route.solver.problem import Routes

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


def match_carriers(old: Sequence[Sequence[str]], new: Sequence[Sequence[str]]) -> dict[int, int]:
    """Pair each new carrier with the old carrier it shares the most stops with.

    An assignment (``scipy.optimize.linear_sum_assignment``) over the counts of shared stops,
    so a renumbered carrier is recognised as the same route; among equal pairings the carriers
    keep their numbers. Returns new index -> old index (0-based); a new carrier that shares no
    stop with any old one is left out.
    """
    import numpy as np
    from scipy.optimize import linear_sum_assignment

    if not old or not new:
        return {}
    old_sets = [set(r) for r in old]
    shared = np.array([[len(o.intersection(n)) for o in old_sets] for n in new], dtype=np.int64)
    # Shared stops first; then keeping the number breaks ties.
    weight = shared * (len(old) * len(new) + 1) + np.eye(len(new), len(old), dtype=np.int64)
    rows, cols = linear_sum_assignment(weight, maximize=True)
    return {int(r): int(c) for r, c in zip(rows, cols, strict=True) if shared[r, c] > 0}


def moved(old: Sequence[Sequence[str]], new: Sequence[Sequence[str]]) -> frozenset[str]:
    """Stops that must be taken out and put back to turn ``old`` into ``new``.

    Both are per-carrier id orders. Carriers are matched by the stops they share
    (:func:`match_carriers`), so renumbering moves nobody. A stop in both versions that ends up
    with another carrier counts as moved; within a matched pair of carriers, the stops outside
    a longest common subsequence of the two orders are the fewest that explain the change.
    Added or removed stops are not counted.
    """
    carrier_old = {x: c for c, r in enumerate(old) for x in r}
    carrier_new = {x: c for c, r in enumerate(new) for x in r}
    common = carrier_old.keys() & carrier_new.keys()
    match = match_carriers(old, new)
    out = {x for x in common if match.get(carrier_new[x]) != carrier_old[x]}
    for cn, co in match.items():
        o = [x for x in old[co] if x in common and x not in out]
        n = [x for x in new[cn] if x in common and x not in out]
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
        New minus old (negative: the new version saves); measured on ``compared`` subscribers
        when the two versions do not serve the same ones.
    positions
        Per moved id: (old carrier, old stop, new carrier, new stop).
    after
        Per moved id: the stop it came after in the old version and in the new one (``None``:
        first of its route). A stop can move and keep its number, when stops around it move.
    renumbered
        New carrier number -> old carrier number, for carriers that kept their route under
        another number.
    compared
        How many subscribers (served by both) the saving is measured on, when not all are.
    dropped
        Subscribers the old version serves and the new one does not, with the reason.
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
    positions: Mapping[str, tuple[int, int, int, int]] = field(default_factory=dict)
    after: Mapping[str, tuple[str | None, str | None]] = field(default_factory=dict)
    renumbered: Mapping[int, int] = field(default_factory=dict)
    carrier_of: Mapping[str, int] = field(default_factory=dict)
    compared: int | None = None
    dropped: Mapping[str, str] = field(default_factory=dict)

    def lines(self, limit: int | None = None) -> list[str]:
        """The diff as lines a person reads; at most ``limit`` moved and retimed stops each."""
        sign = "saves" if self.distance_m < 0 else "adds"
        on = f" on the {self.compared} subscribers both serve" if self.compared is not None else ""
        out = [
            f"Version {self.old_version} -> {self.new_version}: {sign} "
            f"{abs(self.distance_m):,} m and {abs(self.duration_s) / 60:.1f} min a day{on} "
            f"({self.distance_m:+,} m, {self.duration_s / 60:+.1f} min)",
            f"  added {len(self.added)}, removed {len(self.removed)}, moved {len(self.moved)}, "
            f"arrival shifted by more than {self.threshold_s // 60} min: {len(self.retimed)}",
        ]
        for new_c, old_c in sorted(self.renumbered.items()):
            out.append(f"  carrier {old_c} is now carrier {new_c} (same stops, renumbered)")
        if self.added:
            out.append("  added:   " + ", ".join(self.added))
        if self.removed:
            out.append("  removed: " + ", ".join(self.removed))
        for x in self.moved[:limit]:
            oc, a, nc, b = self.positions.get(x, (0, 0, 0, 0))
            line = f"  moved    {x:<10} carrier {oc} stop {a:>3} -> carrier {nc} stop {b:>3}"
            if x in self.after:
                was, now = (p or "the start" for p in self.after[x])
                line += f", now after {now} (was after {was})"
            out.append(line)
        if limit is not None and len(self.moved) > limit:
            out.append(f"  ... and {len(self.moved) - limit} more moved")
        for x, a, b in self.retimed[:limit]:
            c = self.carrier_of.get(x)
            who = f"{x:<10}" + (f" carrier {c}" if c is not None else "")
            out.append(
                f"  retimed  {who} {format_clock(a)} -> {format_clock(b)} ({(b - a) / 60:+.0f} min)"
            )
        if limit is not None and len(self.retimed) > limit:
            out.append(f"  ... and {len(self.retimed) - limit} more retimed")
        if self.dropped:
            out.append(f"  would no longer be served ({len(self.dropped)}):")
            for x, reason in list(self.dropped.items())[:limit]:
                out.append(f"    {x:<10} {reason}")
            if limit is not None and len(self.dropped) > limit:
                out.append(f"    ... and {len(self.dropped) - limit} more")
        return out


def diff_books(old: RouteBook, new: RouteBook, threshold_s: int = RETIME_THRESHOLD_S) -> BookDiff:
    """Compare two route-book versions (old first)."""
    o_orders = [r.order for r in old.routes]
    n_orders = [r.order for r in new.routes]
    o_ids = {x for r in o_orders for x in r}
    n_ids = {x for r in n_orders for x in r}
    mv = moved(o_orders, n_orders)
    o_before, n_before = _before(o_orders), _before(n_orders)
    o_stop = {s.subscriber_id: (r.carrier, s) for r in old.routes for s in r.stops}
    n_stop = {s.subscriber_id: (r.carrier, s) for r in new.routes for s in r.stops}
    order = [x for r in n_orders for x in r]
    retimed = tuple(
        (x, o_stop[x][1].arrival_s, n_stop[x][1].arrival_s)
        for x in order
        if x in o_ids
        and x not in mv
        and abs(n_stop[x][1].arrival_s - o_stop[x][1].arrival_s) > threshold_s
    )
    match = match_carriers(o_orders, n_orders)
    renumbered = {
        new.routes[n].carrier: old.routes[o].carrier
        for n, o in match.items()
        if new.routes[n].carrier != old.routes[o].carrier
    }
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
        positions={x: (o_stop[x][0], o_stop[x][1].seq, n_stop[x][0], n_stop[x][1].seq) for x in mv},
        after={x: (o_before.get(x), n_before.get(x)) for x in mv},
        renumbered=renumbered,
        carrier_of={x: c for x, (c, _s) in n_stop.items()} if len(new.routes) > 1 else {},
    )


def _before(orders: Sequence[Sequence[str]]) -> dict[str, str]:
    """Per stop, the stop it comes after in its route (the first of a route has none)."""
    return {x: r[i - 1] for r in orders for i, x in enumerate(r) if i}


# -- explicit re-optimisation ---------------------------------------------------------------------


def node_moved(old: Routes, new: Routes) -> int:
    return len(moved([tuple(map(str, r)) for r in old], [tuple(map(str, r)) for r in new]))
