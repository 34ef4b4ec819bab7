"""What a change to the route disturbs: moved stops and shifted arrivals between two versions.

:func:`moved` names the stops that had to be taken out and put back elsewhere (the complement
of the longest common subsequence of the two orders); :func:`diff_books` adds the stops whose
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


def node_moved(old: Routes, new: Routes) -> int:
    return len(moved([tuple(map(str, r)) for r in old], [tuple(map(str, r)) for r in new]))
