"""Districts as a capacitated assignment: balanced within the tolerance, every subscriber in
exactly one, fixed ones kept, a rebalance with nothing changed moves nobody, deterministic, and
small instances whose answer is known or found by brute force."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from shapely.geometry import MultiPoint

from route.districts.assign import Capacity, assign, euclidean_rows, hilbert_order
from route.districts.streets import StreetRows
from tests.graphs import latlon, network


def _cloud(n: int, seed: int = 3) -> np.ndarray:
    return np.random.default_rng(seed).uniform(0, 3000, (n, 2))


def test_a_line_splits_into_its_halves() -> None:
    xy = np.array([[x * 100.0, 0.0] for x in (7, 0, 5, 2, 6, 1, 4, 3)])
    a = assign(xy, Capacity.balanced(8, 2, tolerance=0))
    left = {int(d) for x, d in zip(xy[:, 0], a.district, strict=True) if x < 400}
    right = {int(d) for x, d in zip(xy[:, 0], a.district, strict=True) if x >= 400}
    assert len(left) == len(right) == 1
    assert left != right
    # Medoids of 0..3 and 4..7 (100 m apart): the sum to them is 100+0+100+200 = 400 each.
    assert a.cost_m == 800


@pytest.mark.parametrize("rounds", [1, 4])
def test_the_assignment_to_its_centres_is_the_brute_force_optimum(rounds: int) -> None:
    xy = np.array(
        [[0, 0], [40, 10], [10, 60], [900, 0], [950, 40], [880, 70], [450, 500], [500, 430]]
    )
    cap = Capacity((3, 3, 1), (4, 4, 3))
    found = assign(xy, cap, rounds=rounds, candidates=1)  # one arc each: the flow must widen
    dist = np.round(euclidean_rows(xy)(found.centres))
    best = min(
        sum(dist[d, i] for i, d in enumerate(choice))
        for choice in itertools.product(range(3), repeat=len(xy))
        if all(
            lo <= choice.count(j) <= hi
            for j, (lo, hi) in enumerate(zip(cap.low, cap.high, strict=True))
        )
    )
    assert found.cost_m == best
    assert all(lo <= s <= hi for lo, s, hi in zip(cap.low, found.sizes(), cap.high, strict=True))


@pytest.mark.parametrize(("n", "k"), [(120, 3), (1000, 7), (2000, 40)])
def test_every_subscriber_is_in_one_district_within_the_tolerance(n: int, k: int) -> None:
    cap = Capacity.balanced(n, k)
    a = assign(_cloud(n), cap)
    assert a.district.shape == (n,)
    assert set(a.district.tolist()) == set(range(k))
    assert all(lo <= s <= hi for lo, s, hi in zip(cap.low, a.sizes(), cap.high, strict=True))
    assert max(cap.high) <= np.ceil(n / k * 1.05)
    assert min(cap.low) >= np.floor(n / k * 0.95)
    assert all(a.district[c] == j for j, c in enumerate(a.centres))


def test_districts_are_compact_not_interleaved() -> None:
    # Two towns 10 km apart, 60 subscribers each: each town is one district.
    rng = np.random.default_rng(5)
    xy = np.vstack([rng.uniform(0, 500, (60, 2)), rng.uniform(0, 500, (60, 2)) + 10_000])
    a = assign(xy, Capacity.balanced(120, 2))
    assert len(set(a.district[:60].tolist())) == 1
    assert len(set(a.district[60:].tolist())) == 1


def test_fixed_subscribers_stay_whatever_the_cost() -> None:
    n, k = 300, 3
    xy = _cloud(n)
    free = assign(xy, Capacity.balanced(n, k))
    fixed: list[int | None] = [None] * n
    # Pin five subscribers of district 0 to district 2.
    pinned = [int(i) for i in np.flatnonzero(free.district == 0)[:5]]
    for i in pinned:
        fixed[i] = 2
    a = assign(xy, Capacity.balanced(n, k), fixed=fixed)
    assert [int(a.district[i]) for i in pinned] == [2] * 5


def test_too_many_fixed_members_for_a_district_is_refused() -> None:
    fixed = [0] * 50 + [None] * 50
    with pytest.raises(ValueError, match="50 subscribers are fixed to district 1"):
        assign(_cloud(100), Capacity.balanced(100, 4), fixed=fixed)


def test_the_same_input_gives_the_same_districts() -> None:
    xy = _cloud(800)
    a, b = (assign(xy, Capacity.balanced(800, 6)) for _ in range(2))
    assert np.array_equal(a.district, b.district)
    assert np.array_equal(a.centres, b.centres)


def test_a_rebalance_with_nothing_changed_moves_nobody() -> None:
    xy = _cloud(500)
    cap = Capacity.balanced(500, 5)
    first = assign(xy, cap)
    again = assign(xy, cap, current=first.district.tolist())
    assert again.moved == ()
    assert np.array_equal(again.district, first.district)


def _worst_overlap(xy: np.ndarray, district: np.ndarray) -> float:
    """The largest share of a district's convex hull that another district's hull covers."""
    hulls = [MultiPoint(xy[district == j]).convex_hull for j in range(int(district.max()) + 1)]
    return max(
        a.intersection(b).area / min(a.area, b.area) for a, b in itertools.combinations(hulls, 2)
    )


@pytest.mark.parametrize("seed", [3, 5, 7])
def test_a_rebalance_to_another_count_keeps_districts_compact_and_apart(seed: int) -> None:
    n = 600
    xy = _cloud(n, seed)
    three = assign(xy, Capacity.balanced(n, 3))
    four = Capacity.balanced(n, 4)
    again = assign(xy, four, current=three.district.tolist())
    assert all(lo <= s <= hi for lo, s, hi in zip(four.low, again.sizes(), four.high, strict=True))
    assert _worst_overlap(xy, again.district) <= 0.02
    # Fewer move than the fewest possible would overlap; a fresh split moves more.
    fewest = assign(xy, four, current=three.district.tolist(), move_penalty_m=10**7)
    assert _worst_overlap(xy, fewest.district) > 0.2
    assert len(fewest.moved) <= len(again.moved) <= n // 2


def test_a_rebalance_at_any_move_cost_with_nothing_changed_moves_nobody() -> None:
    xy = _cloud(500)
    cap = Capacity.balanced(500, 5)
    first = assign(xy, cap)
    for cost in (None, 0, 10**7):
        again = assign(xy, cap, current=first.district.tolist(), move_penalty_m=cost)
        assert again.moved == ()


def test_a_rebalance_moves_only_what_the_new_sizes_need_at_a_high_move_cost() -> None:
    n = 600
    xy = _cloud(n)
    three = assign(xy, Capacity.balanced(n, 3))
    four = Capacity.balanced(n, 4)
    again = assign(xy, four, current=three.district.tolist(), move_penalty_m=10**7)
    assert all(lo <= s <= hi for lo, s, hi in zip(four.low, again.sizes(), four.high, strict=True))
    # The new district must be filled from the others: at least its lower bound moves, and
    # no more than what keeps the old districts within their new sizes.
    assert four.low[3] <= len(again.moved) <= n - sum(four.low[:3])
    stayed = [i for i in range(n) if i not in set(again.moved)]
    assert all(again.district[i] == three.district[i] for i in stayed)


def test_new_subscribers_in_a_rebalance_join_without_moving_others() -> None:
    xy = _cloud(400)
    cap = Capacity.balanced(400, 4)
    first = assign(xy[:380], Capacity.balanced(380, 4))
    current = [*first.district.tolist(), *[None] * 20]
    again = assign(xy, cap, current=current)
    assert all(lo <= s <= hi for lo, s, hi in zip(cap.low, again.sizes(), cap.high, strict=True))
    assert len(again.moved) <= 5


def test_capacities_that_cannot_hold_everyone_are_refused() -> None:
    with pytest.raises(ValueError, match="cannot hold 100"):
        assign(_cloud(100), Capacity((10, 10), (20, 20)))
    with pytest.raises(ValueError, match="at least 5 subscribers"):
        Capacity.balanced(4, 5)


def test_at_most_gives_the_fewest_districts_of_that_size() -> None:
    cap = Capacity.at_most(1000, 250)
    assert cap.count == 4
    assert max(cap.high) == 250
    assert Capacity.at_most(1001, 250).count == 5


def test_the_hilbert_order_keeps_neighbours_together() -> None:
    xy = np.array([[x, y] for x in range(8) for y in range(8)], dtype=float)
    order = hilbert_order(xy)
    steps = np.hypot(*np.diff(xy[order], axis=0).T)
    assert sorted(order.tolist()) == list(range(64))
    assert np.allclose(steps, 1.0)  # a Hilbert curve moves one cell at a time


def test_street_distances_follow_the_streets() -> None:
    # A street bent round a river: 0 -(0,0)..(0,500)- 1 -(0,500)..(300,500)- 2 -..(300,0)- 3.
    idx = network(
        [
            (0, 1, 0, 0, 0, 500),
            (1, 2, 0, 500, 300, 500),
            (2, 3, 300, 500, 300, 0),
        ]
    )
    points = [latlon(5, 10), latlon(5, 60), latlon(295, 10)]
    rows = StreetRows(idx, idx.snap(points))(np.array([0, 1, 2]))
    assert rows[0, 0] == pytest.approx(0, abs=0.01)
    assert rows[0, 1] == pytest.approx(50, abs=0.5)  # along the same street
    assert rows[0, 2] == pytest.approx(490 + 300 + 490, abs=1)  # round the bend, not 290 m
    assert np.allclose(rows, rows.T, atol=0.5)
