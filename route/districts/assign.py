"""Districts: compact, balanced, non-overlapping territories, as a capacitated assignment.

A distributor's area is split into districts (carrier territories) of about equal size. This
module does it as a capacitated assignment solved exactly by min-cost flow (OR-Tools
:class:`~ortools.graph.python.min_cost_flow.SimpleMinCostFlow`), the centres improved by a few
Lloyd-style rounds:

1. **Seed.** A fresh split orders the subscribers along a Hilbert curve and cuts it into
   consecutive runs of the districts' sizes; a rebalance starts from the current districts.
2. **Centres.** Each district's centre is its medoid: of a few members near its mean, the one
   with the smallest sum of (street) distances to all members.
3. **Assign.** A min-cost flow sends one unit from every subscriber to a district: arcs only to
   its few nearest centres (sparse: never a dense subscribers x districts cost table), each
   district takes between its lower and upper capacity, a fixed subscriber has one arc only,
   and leaving the current district costs a penalty per move (a stay bonus of a few
   neighbour spacings by default, so a subscriber moves only when the move brings them
   clearly nearer their centre: districts stay compact and moves stay few). The flow is
   optimal for the arcs it has; if the sparse arcs leave it infeasible, the nearest count
   doubles until it is not.
4. Repeat 2-3 until nothing changes or the rounds are spent.

The function is pure (points, a distance function, capacities, memberships in; memberships
out) and deterministic: the same input gives the same districts. Distances come from
:data:`DistanceRows`; :func:`euclidean_rows` is the straight-line default, and
:mod:`route.districts.streets` gives street distances.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from ortools.graph.python import min_cost_flow
from scipy.spatial import cKDTree

from route.model.subscriber import district_name

#: Distances from some subscribers to all: ``rows(sources)`` (subscriber indices) gives a
#: ``(len(sources), n)`` array of metres (``inf`` where no path joins them).
DistanceRows = Callable[[np.ndarray], np.ndarray]

#: Default tolerance of a balanced split: each district within 5 % of the mean size.
DEFAULT_TOLERANCE = 0.05
#: Nearest centres a subscriber gets an arc to (more only if the flow needs them).
DEFAULT_CANDIDATES = 8
#: Lloyd-style rounds after the seed.
DEFAULT_ROUNDS = 4
#: Members near a district's mean tried as its medoid.
_MEDOID_TRIALS = 6
#: Sources whose distance rows are held at once (rows x subscribers x 8 bytes).
_ROWS_AT_ONCE = 64
#: The default cost of one move in a rebalance, in median nearest-neighbour spacings: a
#: subscriber changes district only when that brings them this much nearer a centre. Small
#: enough that boundaries stay where compact districts put them (a band of about half this
#: either side), large enough that a rebalance with nothing changed moves nobody.
DEFAULT_MOVE_SPACINGS = 3.0
#: Cost of an arc whose ends no path joins (metres; far above any street distance in a town).
_UNREACHABLE_M = 10_000_000


@dataclass(frozen=True, slots=True)
class Capacity:
    """How many districts, and how many subscribers each may hold (``low[j]..high[j]``)."""

    low: tuple[int, ...]
    high: tuple[int, ...]

    def __post_init__(self) -> None:
        if not self.low or len(self.low) != len(self.high):
            raise ValueError("a capacity needs one (low, high) pair per district")
        if any(lo < 0 or lo > hi for lo, hi in zip(self.low, self.high, strict=True)):
            raise ValueError(f"each district needs 0 <= low <= high: {self.low}, {self.high}")

    @property
    def count(self) -> int:
        """The number of districts."""
        return len(self.low)

    @classmethod
    def balanced(
        cls, n: int, count: int, tolerance: float = DEFAULT_TOLERANCE, most: int | None = None
    ) -> Capacity:
        """``count`` districts of ``n`` subscribers, each within ``tolerance`` of ``n/count``
        (at least one either side of it when that is not whole), never above ``most``."""
        if count < 1 or n < count:
            raise ValueError(f"{count} districts need at least {count} subscribers, not {n}")
        mean = n / count
        low = max(0, min(math.floor(mean * (1 - tolerance)), math.floor(mean)))
        high = max(math.ceil(mean * (1 + tolerance)), math.ceil(mean))
        if most is not None:
            high = min(high, most)
        return cls((low,) * count, (high,) * count)

    @classmethod
    def at_most(cls, n: int, most: int, tolerance: float = DEFAULT_TOLERANCE) -> Capacity:
        """As few districts as hold ``n`` subscribers at ``most`` each, balanced."""
        if most < 1:
            raise ValueError(f"a district holds at least one subscriber, not {most}")
        return cls.balanced(n, max(1, math.ceil(n / most)), tolerance, most)


@dataclass(frozen=True, slots=True)
class Assignment:
    """Districts found by :func:`assign`.

    Attributes
    ----------
    district
        Each subscriber's district, 0-based (read-only).
    centres
        Each district's centre: the index of its medoid subscriber (read-only).
    cost_m
        Sum of every subscriber's distance to its district's centre (metres, rounded).
    moved
        Subscribers whose district differs from the current one given (empty without one).
    rounds
        Assignment rounds done.
    """

    district: np.ndarray
    centres: np.ndarray
    cost_m: int
    moved: tuple[int, ...]
    rounds: int

    def __post_init__(self) -> None:
        self.district.setflags(write=False)
        self.centres.setflags(write=False)

    @property
    def count(self) -> int:
        """The number of districts."""
        return len(self.centres)

    def sizes(self) -> list[int]:
        """Subscribers per district."""
        return [int(c) for c in np.bincount(self.district, minlength=self.count)]

    def names(self, ids: Sequence[str]) -> dict[str, str]:
        """Subscriber id -> district name (``D01`` ...), for ``Workspace.save_districts``."""
        k = self.count
        return {i: district_name(int(d) + 1, k) for i, d in zip(ids, self.district, strict=True)}


def euclidean_rows(xy: np.ndarray) -> DistanceRows:
    """Straight-line distances between projected points (an ``(n, 2)`` array in metres)."""
    pts = np.asarray(xy, dtype=float)

    def rows(sources: np.ndarray) -> np.ndarray:
        d: np.ndarray = np.hypot(
            pts[sources, 0][:, None] - pts[None, :, 0], pts[sources, 1][:, None] - pts[None, :, 1]
        )
        return d

    return rows


def hilbert_order(xy: np.ndarray, bits: int = 16) -> np.ndarray:
    """Indices of the points in the order a Hilbert curve over their bounding box visits them
    (ties by index): near in the order means near in space."""
    pts = np.asarray(xy, dtype=float)
    lo = pts.min(axis=0)
    span = float(max(np.ptp(pts[:, 0]), np.ptp(pts[:, 1]), 1e-9))
    side = 1 << bits
    cells = np.minimum(((pts - lo) / span * (side - 1)).astype(np.int64), side - 1)
    x, y = cells[:, 0].copy(), cells[:, 1].copy()
    d = np.zeros(len(pts), dtype=np.int64)
    s = side >> 1
    while s > 0:
        rx = ((x & s) > 0).astype(np.int64)
        ry = ((y & s) > 0).astype(np.int64)
        d += s * s * ((3 * rx) ^ ry)
        # Rotate the quadrant so the curve stays continuous.
        flip = ry == 0
        mirror = flip & (rx == 1)
        x = np.where(mirror, side - 1 - x, x)
        y = np.where(mirror, side - 1 - y, y)
        x, y = np.where(flip, y, x), np.where(flip, x, y)
        s >>= 1
    return np.lexsort((np.arange(len(pts)), d))


def assign(
    xy: np.ndarray,
    capacity: Capacity,
    *,
    distance_rows: DistanceRows | None = None,
    fixed: Sequence[int | None] | None = None,
    current: Sequence[int | None] | None = None,
    rounds: int = DEFAULT_ROUNDS,
    candidates: int = DEFAULT_CANDIDATES,
    move_penalty_m: int | None = None,
) -> Assignment:
    """Split subscribers into compact, balanced districts.

    Parameters
    ----------
    xy
        The subscribers' projected points, an ``(n, 2)`` array in metres (for the seed and the
        medoid trials).
    capacity
        The districts and their sizes.
    distance_rows
        Distances between subscribers (default: straight lines between ``xy``).
    fixed
        Per subscriber, the district (0-based) they must stay in, or ``None``.
    current
        Per subscriber, their district now (0-based), or ``None`` (new): a rebalance. Moving a
        subscriber away from it costs ``move_penalty_m``.
    rounds
        Lloyd-style rounds (centres, then assignment) at most.
    candidates
        Nearest centres a subscriber gets an arc to.
    move_penalty_m
        Cost of one move in metres (default: :func:`default_move_cost`, a few neighbour
        spacings). A large value (above any distance) moves only as many as the capacities
        force, but the new districts are then made of the old ones' edges and overlap them.

    Returns
    -------
    Assignment

    Raises
    ------
    ValueError
        If the capacities cannot hold the subscribers, fixed members overfill a district, or
        a fixed or current district is out of range.
    """
    pts = np.asarray(xy, dtype=float)
    n, k = len(pts), capacity.count
    rows_of = distance_rows or euclidean_rows(pts)
    fix = _memberships(fixed, n, k, "fixed")
    cur = _memberships(current, n, k, "current")
    _check_capacity(capacity, n, fix)
    if cur is not None:
        seed = _nearest_seeded(pts, cur, k)
        if move_penalty_m is None:
            move_penalty_m = default_move_cost(pts)
    else:
        seed = _hilbert_seed(pts, capacity, fix)
    centres = _medoids(pts, seed, k, rows_of, None)
    district = seed
    done = 0
    for done in range(1, max(1, rounds) + 1):
        new, cost = _flow(rows_of, centres, capacity, fix, cur, candidates, move_penalty_m)
        settled = done > 1 and np.array_equal(new, district)
        district = new
        if settled or done == max(1, rounds):
            break
        moved_centres = _medoids(pts, district, k, rows_of, centres)
        if np.array_equal(moved_centres, centres):
            break
        centres = moved_centres
    moved: tuple[int, ...] = ()
    if cur is not None:
        moved = tuple(int(i) for i in np.flatnonzero((cur >= 0) & (cur != district)))
    return Assignment(district.astype(np.int32), centres.astype(np.int64), cost, moved, done)


def default_move_cost(xy: np.ndarray) -> int:
    """The default cost of one move in a rebalance (metres): :data:`DEFAULT_MOVE_SPACINGS`
    times the median straight-line distance from a subscriber to their nearest neighbour."""
    pts = np.asarray(xy, dtype=float)
    if len(pts) < 2:
        return 1
    gap, _ = cKDTree(pts).query(pts, k=2)
    return max(1, round(DEFAULT_MOVE_SPACINGS * float(np.median(gap[:, 1]))))


def _memberships(
    given: Sequence[int | None] | None, n: int, k: int, what: str
) -> np.ndarray | None:
    if given is None:
        return None
    if len(given) != n:
        raise ValueError(f"{what} districts: {len(given)} values for {n} subscribers")
    arr = np.array([-1 if d is None else int(d) for d in given], dtype=np.int64)
    bad = np.flatnonzero((arr < -1) | (arr >= k))
    if len(bad):
        raise ValueError(
            f"{what} district {int(arr[bad[0]]) + 1} of subscriber {int(bad[0])} is not one "
            f"of the {k} districts"
        )
    return arr


def _check_capacity(capacity: Capacity, n: int, fix: np.ndarray | None) -> None:
    if sum(capacity.low) > n or sum(capacity.high) < n:
        raise ValueError(
            f"{capacity.count} districts of {min(capacity.low)}-{max(capacity.high)} cannot "
            f"hold {n} subscribers"
        )
    if fix is not None:
        counts = np.bincount(fix[fix >= 0], minlength=capacity.count)
        over = [j for j in range(capacity.count) if counts[j] > capacity.high[j]]
        if over:
            j = over[0]
            raise ValueError(
                f"{int(counts[j])} subscribers are fixed to district {j + 1}, which holds at "
                f"most {capacity.high[j]}"
            )


def _hilbert_seed(pts: np.ndarray, capacity: Capacity, fix: np.ndarray | None) -> np.ndarray:
    """Consecutive runs along the Hilbert curve, sized as the capacities' middles."""
    n = len(pts)
    order = hilbert_order(pts)
    mids = np.array([(lo + hi) / 2 for lo, hi in zip(capacity.low, capacity.high, strict=True)])
    cuts = np.round(np.cumsum(mids) / mids.sum() * n).astype(np.int64)
    seed = np.empty(n, dtype=np.int64)
    start = 0
    for j, end in enumerate(cuts):
        seed[order[start:end]] = j
        start = int(end)
    if fix is not None:
        seed = np.where(fix >= 0, fix, seed)
    return seed


def _nearest_seeded(pts: np.ndarray, seed: np.ndarray, k: int) -> np.ndarray:
    """Each point without a district joins that of its nearest point with one (straight line);
    a district without members (a new one) first gets the point farthest from every other
    district's mean, as a k-means++ start does (ties by index)."""
    out = seed.copy()
    for j in range(k):
        if not np.any(out == j):
            taken = [d for d in range(k) if np.any(out == d)]
            if not taken:
                out[0] = j
                continue
            means = np.array([pts[out == d].mean(axis=0) for d in taken])
            gap, _ = cKDTree(means).query(pts)
            out[int(np.argmax(gap))] = j
    have = np.flatnonzero(out >= 0)
    lost = np.flatnonzero(out < 0)
    if len(lost):
        _, near = cKDTree(pts[have]).query(pts[lost])
        out[lost] = out[have][near]
    return out


def _medoids(
    pts: np.ndarray,
    district: np.ndarray,
    k: int,
    rows_of: DistanceRows,
    previous: np.ndarray | None,
) -> np.ndarray:
    """Each district's medoid among a few members nearest its mean (and its previous centre);
    an empty district keeps its previous centre (or its nearest point to the others' mean)."""
    trials: list[tuple[int, int]] = []  # (district, member tried)
    for j in range(k):
        members = np.flatnonzero(district == j)
        if len(members) == 0:
            continue
        mean = pts[members].mean(axis=0)
        near = members[np.argsort(np.hypot(*(pts[members] - mean).T), kind="stable")]
        tried = list(near[:_MEDOID_TRIALS])
        if previous is not None and previous[j] in members and previous[j] not in tried:
            tried.append(int(previous[j]))
        trials.extend((j, int(m)) for m in tried)
    best_cost = np.full(k, np.inf)
    best = np.array(previous if previous is not None else np.zeros(k), dtype=np.int64)
    for i in range(0, len(trials), _ROWS_AT_ONCE):
        part = trials[i : i + _ROWS_AT_ONCE]
        rows = rows_of(np.array([m for _, m in part], dtype=np.int64))
        for (j, m), row in zip(part, rows, strict=True):
            members = district == j
            total = float(np.minimum(row[members], _UNREACHABLE_M).sum())
            if total < best_cost[j] or (total == best_cost[j] and m < best[j]):
                best_cost[j], best[j] = total, m
    return best


def _flow(
    rows_of: DistanceRows,
    centres: np.ndarray,
    capacity: Capacity,
    fix: np.ndarray | None,
    cur: np.ndarray | None,
    candidates: int,
    move_penalty_m: int | None,
) -> tuple[np.ndarray, int]:
    """One capacitated assignment to fixed centres by min-cost flow; (districts, cost)."""
    k = len(centres)
    # The one dense table: subscribers x centres in 32-bit metres (40 MB at 50,000 x 200),
    # filled a block of centres at a time.
    cost: np.ndarray | None = None
    n = 0
    for i in range(0, k, _ROWS_AT_ONCE):
        block = rows_of(centres[i : i + _ROWS_AT_ONCE])
        if cost is None:
            n = block.shape[1]
            cost = np.empty((n, k), dtype=np.int32)
        cost[:, i : i + len(block)] = np.minimum(np.round(block), _UNREACHABLE_M).T
    assert cost is not None
    penalty = move_penalty_m if move_penalty_m is not None else int(cost.max()) + 1
    width = min(k, max(1, candidates))
    while True:
        tails, heads, costs = _arcs(cost, fix, cur, width, penalty)
        result = _solve(tails, heads, costs, capacity, n)
        if result is not None or width >= k:
            break
        width = min(k, width * 2)
    if result is None:
        raise ValueError("no assignment meets the capacities (fixed members leave no room)")
    chosen = result
    total = int(cost[np.arange(n), chosen].astype(np.int64).sum())
    return chosen, total


def _arcs(
    cost: np.ndarray,
    fix: np.ndarray | None,
    cur: np.ndarray | None,
    width: int,
    penalty: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Subscriber -> district arcs: to the ``width`` nearest centres and the current district;
    a fixed subscriber to its own only."""
    n, k = cost.shape
    if width >= k:
        heads = np.tile(np.arange(k), n)
    else:
        # A block of rows at a time: argpartition's index table is as large as the costs.
        heads = np.concatenate(
            [
                np.argpartition(cost[i : i + 4096], width - 1, axis=1)[:, :width].reshape(-1)
                for i in range(0, n, 4096)
            ]
        )
    tails = np.repeat(np.arange(n), min(width, k))
    if cur is not None:
        have = np.flatnonzero(cur >= 0)
        tails = np.concatenate([tails, have])
        heads = np.concatenate([heads, cur[have]])
    if fix is not None:
        keep = (fix[tails] < 0) | (fix[tails] == heads)
        tails, heads = tails[keep], heads[keep]
        pinned = np.flatnonzero(fix >= 0)
        tails = np.concatenate([tails, pinned])
        heads = np.concatenate([heads, fix[pinned]])
    # One arc per pair, in a fixed order: the same input gives the same flow.
    pairs = np.unique(tails * k + heads)
    tails, heads = pairs // k, pairs % k
    costs = cost[tails, heads].astype(np.int64)
    if cur is not None:
        costs = costs + np.where((cur[tails] >= 0) & (cur[tails] != heads), penalty, 0)
    return tails, heads, costs


def _solve(
    tails: np.ndarray, heads: np.ndarray, costs: np.ndarray, capacity: Capacity, n: int
) -> np.ndarray | None:
    """Solve the assignment flow; each subscriber's district, or ``None`` if infeasible."""
    k = capacity.count
    sink = n + k
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(
        tails.astype(np.int32), (heads + n).astype(np.int32), np.ones(len(tails), np.int64), costs
    )
    spare = np.array([hi - lo for lo, hi in zip(capacity.low, capacity.high, strict=True)])
    flow.add_arcs_with_capacity_and_unit_cost(
        np.arange(n, n + k, dtype=np.int32),
        np.full(k, sink, dtype=np.int32),
        spare.astype(np.int64),
        np.zeros(k, np.int64),
    )
    supplies = np.concatenate(
        [np.ones(n, np.int64), -np.array(capacity.low, np.int64), [-(n - sum(capacity.low))]]
    )
    flow.set_nodes_supplies(np.arange(n + k + 1, dtype=np.int32), supplies)
    if flow.solve() != flow.OPTIMAL:
        return None
    flows = flow.flows(np.arange(len(tails), dtype=np.int32))
    used = flows > 0
    out = np.full(n, -1, dtype=np.int64)
    out[tails[used]] = heads[used]
    return out
