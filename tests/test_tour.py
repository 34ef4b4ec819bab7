"""Tests of the single-carrier tour engine."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from route.solver.tour import (
    EXACT_MAX_NODES,
    FAST_TSP_MAX,
    MAX_RUNS,
    RUN_WORK_PER_NODE,
    TourResult,
    runs_for,
    solve_tour,
    solve_tour_detailed,
    stall_limit,
    tour_length,
    work_budget,
)
from route.solver.tour_matrices import held_karp
from tests.budget import CHILD_BUDGET, FACTOR, explicit_work


def brute_force_optimum(m: np.ndarray) -> int:
    n = len(m)
    return min(tour_length(m, (0, *rest)) for rest in itertools.permutations(range(1, n)))


def euclidean(points: np.ndarray, scale: float = 1.0) -> np.ndarray:
    d = np.sqrt(((points[:, None, :] - points[None, :, :]) ** 2).sum(-1))
    return np.rint(d * scale).astype(np.int64)


def random_points(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).uniform(0, 1000, size=(n, 2))


def assert_valid(tour: list[int], n: int) -> None:
    assert tour[0] == 0
    assert sorted(tour) == list(range(n))


def test_tour_length_closes_the_tour():
    m = np.array([[0, 1, 9], [9, 0, 2], [3, 9, 0]])
    assert tour_length(m, [0, 1, 2]) == 1 + 2 + 3
    assert tour_length(m, [0, 2, 1]) == 9 + 9 + 9


def test_points_on_a_line():
    # Visiting in order along the line and back is optimal: twice the span.
    xs = np.array([0, 7, 2, 9, 4, 1])
    m = np.abs(xs[:, None] - xs[None, :])
    tour = solve_tour(m, time_limit=1)
    assert tour_length(m, tour) == 2 * (xs.max() - xs.min())
    assert_valid(tour, len(xs))


def test_square_corners():
    m = euclidean(np.array([[0, 0], [10, 10], [10, 0], [0, 10]]))
    tour = solve_tour(m, time_limit=1)
    assert tour_length(m, tour) == 40
    assert {frozenset(p) for p in zip(tour, tour[1:] + tour[:1], strict=True)} == {
        frozenset(p) for p in [(0, 2), (2, 1), (1, 3), (3, 0)]
    }


def test_five_city_asymmetric_instance_is_solved_exactly():
    m = np.array(
        [
            [0, 3, 93, 13, 33],
            [4, 0, 77, 42, 21],
            [45, 17, 0, 36, 16],
            [39, 90, 80, 0, 56],
            [28, 46, 88, 33, 0],
        ]
    )
    result = solve_tour_detailed(m, time_limit=1)
    assert result.length == brute_force_optimum(m)
    assert result.method == "exact"


@pytest.mark.parametrize("n", [1, 2, 3])
def test_trivial_sizes(n):
    m = np.ones((n, n), dtype=int) - np.eye(n, dtype=int)
    assert solve_tour(m, time_limit=1) == list(range(n))


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("symmetric", [True, False])
def test_exact_up_to_the_exact_threshold(seed, symmetric):
    rng = np.random.default_rng(seed)
    n = 9
    m = rng.integers(0, 100, size=(n, n))
    if symmetric:
        m = np.triu(m) + np.triu(m, 1).T
    np.fill_diagonal(m, 0)
    assert tour_length(m, solve_tour(m, time_limit=1)) == brute_force_optimum(m)


@pytest.mark.parametrize("reproducible", [True, False])
def test_nested_lists_and_floats_holding_integers_are_accepted(reproducible):
    m = euclidean(random_points(30, 1))
    as_lists = solve_tour(m.tolist(), time_limit=0.5, reproducible=reproducible)
    as_floats = solve_tour(m.astype(float), time_limit=0.5, reproducible=reproducible)
    assert_valid(as_lists, 30)
    assert_valid(as_floats, 30)


@pytest.mark.parametrize(
    ("matrix", "message"),
    [
        (np.zeros((2, 3), dtype=int), "square"),
        (np.zeros((0, 0), dtype=int), "square"),
        (np.array([[0, 1.5], [1.5, 0]]), "integers"),
        (np.array([[0, -1], [1, 0]]), "non-negative"),
    ],
)
def test_bad_matrices_are_refused(matrix, message):
    with pytest.raises(ValueError, match=message):
        solve_tour(matrix, time_limit=1)


def test_time_limit_must_be_positive():
    with pytest.raises(ValueError, match="time_limit"):
        solve_tour([[0]], time_limit=0)


matrices = st.integers(min_value=2, max_value=40).flatmap(
    lambda n: st.tuples(
        st.just(n),
        st.integers(min_value=0, max_value=2**32 - 1),
        st.booleans(),
        st.sampled_from([10, 1000, 10**6]),
    )
)


@settings(max_examples=40, deadline=None)
@given(matrices)
def test_tour_is_a_permutation_starting_at_the_depot(case):
    n, seed, symmetric, top = case
    m = np.random.default_rng(seed).integers(0, top, size=(n, n))
    if symmetric:
        m = np.triu(m) + np.triu(m, 1).T
    np.fill_diagonal(m, 0)
    result = solve_tour_detailed(m, time_limit=0.3, seed=seed % 7)
    assert_valid(result.tour, n)
    assert result.length == tour_length(m, result.tour)


@pytest.mark.parametrize("symmetric", [True, False])
def test_same_seed_same_tour(symmetric, monkeypatch):
    rng = np.random.default_rng(5)
    m = euclidean(random_points(120, 5))
    if not symmetric:
        m = m + rng.integers(0, 200, size=m.shape)
        np.fill_diagonal(m, 0)
    cap = explicit_work(monkeypatch, 1.5)  # 1.5 s of work, the clock 40 times further out
    first = solve_tour_detailed(m, time_limit=cap, seed=3)
    second = solve_tour_detailed(m, time_limit=cap, seed=3)
    assert not first.stats.time_capped
    assert first.tour == second.tour
    assert first.stats.method == "ils"
    assert first.stats.work == second.stats.work
    assert first.stats.kicks == second.stats.kicks
    # The work is counted, not timed: the whole budget, or a stop for lack of progress.
    budget = work_budget(120, cap)
    assert first.stats.work_budget == budget
    assert first.stats.work is not None
    assert first.stats.kicks is not None
    assert first.stats.work >= budget or (
        first.stats.stalled and first.stats.kicks >= stall_limit(120)
    )


_SUBPROCESS_SOLVE = """
import json, sys
import numpy as np
from route.solver.tour import solve_tour_detailed
rng = np.random.default_rng(11)
xy = rng.uniform(0, 10_000, size=(300, 2))
m = np.rint(np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))).astype(int)
if sys.argv[1] == "asymmetric":
    m = m + rng.integers(0, 500, size=m.shape)
    np.fill_diagonal(m, 0)
r = solve_tour_detailed(m, time_limit=3 * FACTOR, seed=7)
print(json.dumps({"tour": r.tour, "stats": r.stats.to_dict()}))
"""
# Three seconds of work under a cap 40 times longer (tests/budget.py).
_SUBPROCESS_SOLVE = CHILD_BUDGET % {"factor": FACTOR} + f"FACTOR = {FACTOR!r}\n" + _SUBPROCESS_SOLVE


@pytest.mark.parametrize("kind", ["symmetric", "asymmetric"])
def test_same_tour_in_separate_processes(kind):
    # Two fresh interpreters: nothing (compiled code, generator state) is shared but
    # the on-disk cache, so equal tours mean the search depends on its inputs alone.
    root = str(Path(__file__).resolve().parents[1])
    runs = [
        subprocess.run(
            [sys.executable, "-c", _SUBPROCESS_SOLVE, kind],
            capture_output=True,
            text=True,
            check=True,
            cwd=root,
            env={**os.environ, "PYTHONPATH": root},
        )
        for _ in range(2)
    ]
    first, second = (json.loads(run.stdout) for run in runs)
    assert first["stats"]["time_capped"] is False
    assert second["stats"]["time_capped"] is False
    assert first["stats"]["kicks"] == second["stats"]["kicks"] > 0
    assert first["stats"]["work"] == second["stats"]["work"] > 0
    assert first["tour"] == second["tour"]
    assert sorted(first["tour"]) == list(range(300))


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("symmetric", [True, False])
def test_search_finds_the_optimum_just_above_the_exact_threshold(seed, symmetric):
    rng = np.random.default_rng(100 + seed)
    n = EXACT_MAX_NODES + 2
    m = rng.integers(0, 1000, size=(n, n))
    if symmetric:
        m = np.triu(m) + np.triu(m, 1).T
    np.fill_diagonal(m, 0)
    result = solve_tour_detailed(m, time_limit=1, seed=seed)
    assert result.method == "ils"
    assert result.length == tour_length(m, held_karp(m))


def test_search_stops_early_without_progress():
    # 40 points on a circle: the optimum is found at once, then the stall limit ends
    # the search long before a 30 s budget would.
    angles = np.linspace(0, 2 * np.pi, 40, endpoint=False)
    m = euclidean(np.column_stack((np.cos(angles), np.sin(angles))), scale=1000)
    result = solve_tour_detailed(m, time_limit=30)
    assert result.stats.stalled
    assert result.stats.work is not None
    assert result.stats.work_budget is not None
    assert result.stats.work < result.stats.work_budget
    assert result.length == tour_length(m, list(range(40)))


def test_a_large_budget_is_shared_by_several_searches():
    n = 1000
    assert runs_for(n, RUN_WORK_PER_NODE * n - 1) == 1
    assert runs_for(n, 2 * RUN_WORK_PER_NODE * n) == 2
    assert runs_for(n, 100 * RUN_WORK_PER_NODE * n) == MAX_RUNS
    counts = [runs_for(n, b) for b in range(0, 10 * RUN_WORK_PER_NODE * n, 7_777_777)]
    assert all(b >= a for a, b in itertools.pairwise(counts))


def test_several_searches_keep_the_shortest_tour():
    # Two runs with the work of two: the first is the one-run search with half the work (same
    # seed, same generator), so the pair is never worse, and as reproducible as one.
    m = euclidean(random_points(60, 8))
    work = 2 * RUN_WORK_PER_NODE * 60
    one = solve_tour_detailed(m, time_limit=600, seed=4, work=work // 2)
    two = solve_tour_detailed(m, time_limit=600, seed=4, work=work)
    again = solve_tour_detailed(m, time_limit=600, seed=4, work=work)
    assert (one.stats.runs, two.stats.runs) == (1, 2)
    assert not two.stats.time_capped
    assert two.length <= one.length
    assert two.length == tour_length(m, two.tour)
    assert two.tour == again.tour
    assert_valid(two.tour, 60)


def test_work_budget_does_not_depend_on_the_clock():
    assert work_budget(300, 5.0) == work_budget(300, 5.0) > 0
    assert work_budget(300, 10.0) > work_budget(300, 5.0)


@pytest.mark.parametrize("reproducible", [True, False])
def test_asymmetric_returns_the_cheap_direction(reproducible):
    # A one-way ring: going around 0 -> 1 -> ... costs 1 per leg, the other way 100.
    n = 40
    m = np.full((n, n), 100, dtype=np.int64)
    for i in range(n):
        m[i, (i + 1) % n] = 1
    np.fill_diagonal(m, 0)
    result = solve_tour_detailed(m, time_limit=1, reproducible=reproducible)
    assert result.tour == list(range(n))
    assert result.length == n
    assert not result.stats.symmetric


@pytest.mark.parametrize("reproducible", [True, False])
def test_time_limit_is_honoured(reproducible):
    m = euclidean(random_points(300, 2))
    start = time.perf_counter()
    result = solve_tour_detailed(m, time_limit=1, reproducible=reproducible)
    # Generous, so that a loaded machine passes: it catches a search that ignores its limit.
    assert time.perf_counter() - start < 30
    assert_valid(result.tour, 300)


@pytest.mark.parametrize("reproducible", [True, False])
def test_values_above_fast_tsp_range_give_a_good_tour(reproducible):
    points = random_points(60, 3)
    small = euclidean(points)
    big = euclidean(points, scale=1000.0)
    assert big.max() > FAST_TSP_MAX
    reference = solve_tour_detailed(small, time_limit=1, reproducible=reproducible)
    result = solve_tour_detailed(big, time_limit=1, reproducible=reproducible)
    assert_valid(result.tour, 60)
    # Within 1% of the tour found at the small scale (rounding differs slightly).
    assert result.length <= 1.01 * 1000 * reference.length


def test_progress_reports_improving_lengths():
    seen: list[tuple[float, int]] = []
    m = euclidean(random_points(80, 4))
    result = solve_tour_detailed(
        m, time_limit=1, progress=lambda t, length: seen.append((t, length))
    )
    assert seen
    lengths = [length for _, length in seen]
    assert lengths == sorted(lengths, reverse=True)
    assert lengths[-1] == result.length


def test_result_is_frozen():
    result = solve_tour_detailed(np.zeros((EXACT_MAX_NODES, EXACT_MAX_NODES)), time_limit=1)
    assert isinstance(result, TourResult)
    with pytest.raises(AttributeError):
        result.length = 0  # type: ignore[misc]
