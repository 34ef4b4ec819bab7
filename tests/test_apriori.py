"""Presence probabilities, the exact expected length with skipping, and the a-priori tour."""

from __future__ import annotations

import itertools
from datetime import date

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from route.model.subscriber import DeliverySpot, Subscriber
from route.routebook.skip_aware import (
    apriori_tour,
    arrival_spread,
    daily_optimum,
    expected_length,
    hold_rates,
    presence,
    shortest_tour,
    simulate_days,
    skipped_length,
    week_of,
)
from route.routebook.timing import time_route
from tests.test_edit import euclid_problem


def sub(i: str, days=(0, 1, 2, 3, 4, 5, 6)) -> Subscriber:
    return Subscriber(i, 60.0, 25.0, DeliverySpot("porch", 60.0, 25.0), days=tuple(days))


def brute_force(d: np.ndarray, tour, p) -> float:
    """Sum over every subset of present stops of its probability times the skipped length."""
    total = 0.0
    for pattern in itertools.product([False, True], repeat=len(tour)):
        prob = 1.0
        present = [True] * d.shape[0]
        for node, here in zip(tour, pattern, strict=True):
            prob *= p[node] if here else 1 - p[node]
            present[node] = here
        total += prob * skipped_length(d, tour, present)
    return total


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 7), st.data())
def test_expected_length_matches_enumeration_of_every_day(n, data):
    rng = np.random.default_rng(data.draw(st.integers(0, 10_000)))
    d = rng.integers(1, 1000, size=(n + 1, n + 1))  # asymmetric on purpose
    p = np.concatenate([[1.0], rng.choice([0.0, 0.3, 0.9, 1.0], size=n)])
    tour = tuple(data.draw(st.permutations(list(range(1, n + 1)))))
    assert expected_length(d, tour, p) == pytest.approx(brute_force(d, tour, p), rel=1e-9)


def test_expected_length_with_everyone_present_is_the_tour_length():
    problem = euclid_problem([(0, 0), (100, 0), (100, 100), (0, 100)])
    p = np.ones(4)
    assert expected_length(problem.distance, (1, 2, 3), p) == 400


def test_weekday_rows_average():
    d = np.array([[0, 10, 10], [10, 0, 5], [10, 5, 0]])
    p = np.array([[1, 1, 1], [1, 0, 0]] + [[1, 1, 1]] * 5)  # Tuesday: nobody
    assert expected_length(d, (1, 2), p) == pytest.approx(25 * 6 / 7)


def test_hold_rates_and_presence_from_schedules_and_holds():
    subs = [sub("daily"), sub("sun", [6]), sub("holiday")]
    first, last = date(2026, 6, 1), date(2026, 6, 28)  # four whole weeks, Monday to Sunday
    absences = [(date(2026, 6, d), "holiday") for d in range(1, 15)]  # two weeks away
    absences += [(date(2026, 6, 2), "sun"), (date(2026, 6, 7), "sun"), (date(2025, 1, 5), "sun")]
    rates = hold_rates(subs, absences, first, last)
    assert rates == {"daily": 0.0, "sun": 0.25, "holiday": 0.5}  # a Tuesday hold on Sun-only
    p = presence(subs, rates)
    assert p.shape == (7, 4)
    assert (p[:, 0] == 1).all()
    assert list(p[:, 2]) == [0, 0, 0, 0, 0, 0, 0.75]
    assert list(p[:, 3]) == [0.5] * 7


def test_simulated_month_converges_to_the_exact_expectation():
    rng = np.random.default_rng(5)
    pts = [(0, 0), *map(tuple, rng.integers(-400, 400, size=(9, 2)))]
    problem = euclid_problem(pts)
    subs = [
        sub(f"s{i}", days)
        for i, days in enumerate(
            [range(7), range(6), [6], range(7), [0, 2, 4], range(7), range(6), range(7), [6]]
        )
    ]
    rates = {"s0": 0.2, "s3": 0.5}
    p = presence(subs, rates)
    tour = tuple(range(1, 10))
    days = simulate_days(subs, date(2026, 1, 5), 7 * 400, rates, seed=1)
    mean = np.mean([skipped_length(problem.distance, tour, d.present) for d in days])
    assert mean == pytest.approx(expected_length(problem.distance, tour, p), rel=0.02)
    again = simulate_days(subs, date(2026, 1, 5), 30, rates, seed=1)
    assert again == days[:30]  # same seed, same month


def test_apriori_tour_is_never_longer_in_expectation_and_keeps_windows():
    rng = np.random.default_rng(11)
    n = 16
    pts = [(0, 0), *map(tuple, rng.integers(-600, 600, size=(n, 2)))]
    windows = [(None, None)] * (n + 1)
    windows[4] = (None, 1500)
    problem = euclid_problem(pts, windows=windows)
    base = shortest_tour(problem, (4, *(i for i in range(1, n + 1) if i != 4)))
    assert 4 not in time_route(problem, base).late
    p = np.ones((7, n + 1))
    p[:6, 1::3] = 0.0  # a third of the stops are Sunday-only
    p[:, 2::5] *= 0.6
    best = apriori_tour(problem, base, p)
    assert sorted(best) == sorted(base)
    assert expected_length(problem.distance, best, p) <= expected_length(problem.distance, base, p)
    assert 4 not in time_route(problem, best).late


def test_apriori_tour_gains_where_skipping_matters():
    # Half the stops are served on Sundays only: on the six other days the all-present order
    # zig-zags between the daily stops; the skip-aware order shortens those days (seed 2: the
    # expected length drops from 3,120 m to about 2,714 m).
    rng = np.random.default_rng(2)
    problem = euclid_problem([(0, 0), *map(tuple, rng.integers(-500, 500, size=(12, 2)))])
    p = np.ones((7, 13))
    p[:6, 1::2] = 0.0
    base = shortest_tour(problem, tuple(range(1, 13)))
    best = apriori_tour(problem, base, p)
    before = expected_length(problem.distance, base, p)
    after = expected_length(problem.distance, best, p)
    assert after < 0.9 * before


def test_daily_optimum_is_at_most_the_skipped_fixed_tour():
    rng = np.random.default_rng(2)
    pts = [(0, 0), *map(tuple, rng.integers(-500, 500, size=(12, 2)))]
    problem = euclid_problem(pts)
    tour = tuple(range(1, 13))
    present = [True] + [i % 3 != 0 for i in range(1, 13)]
    assert daily_optimum(problem, tour, present, time_limit=0.5) <= skipped_length(
        problem.distance, tour, present
    )
    assert daily_optimum(problem, tour, [True] + [False] * 12) == 0


def test_arrival_spread_over_a_week():
    # At 1 m/s from t = 0: stop 1 is a Sunday-only detour 300 m north; stop 2 (100 m east) is
    # reached at t = 100 on weekdays and only after the detour on Sundays.
    problem = euclid_problem([(0, 0), (0, 300), (100, 0), (200, 0)])
    subs = [sub("a", [6]), sub("b"), sub("c")]
    days = week_of(date(2026, 6, 1), subs)
    spreads = {s.node: s for s in arrival_spread(problem, (1, 2, 3), days)}
    assert spreads[1].days == 1
    assert spreads[2].days == 7
    assert spreads[2].earliest_s == 100  # straight from the depot
    assert spreads[2].latest_s == 300 + round(np.hypot(100, 300))  # via the detour
    assert spreads[2].range_s == spreads[2].latest_s - 100
    assert spreads[3].range_s == spreads[2].range_s


def brute_force_open(d: np.ndarray, tour, p, end) -> float:
    total = 0.0
    for pattern in itertools.product([False, True], repeat=len(tour)):
        prob = 1.0
        present = [True] * d.shape[0]
        for node, here in zip(tour, pattern, strict=True):
            prob *= p[node] if here else 1 - p[node]
            present[node] = here
        total += prob * skipped_length(d, tour, present, end)
    return total


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 6), st.data())
def test_expected_length_of_open_tours_and_end_points(n, data):
    rng = np.random.default_rng(data.draw(st.integers(0, 10_000)))
    d = rng.integers(1, 1000, size=(n + 2, n + 2))
    p = np.concatenate([[1.0], rng.choice([0.0, 0.5, 0.8, 1.0], size=n)])  # no column for end
    tour = tuple(data.draw(st.permutations(list(range(1, n + 1)))))
    for end in (None, n + 1):
        assert expected_length(d, tour, p, end) == pytest.approx(
            brute_force_open(d, tour, p, end), rel=1e-9
        )


def test_kicks_never_lose_and_repeat_with_the_seed():
    rng = np.random.default_rng(2)
    problem = euclid_problem([(0, 0), *map(tuple, rng.integers(-500, 500, size=(14, 2)))])
    p = np.ones((7, 15))
    p[:6, 1::2] = 0.0
    p[:, 2::3] *= 0.7
    base = shortest_tour(problem, tuple(range(1, 15)))
    plain = apriori_tour(problem, base, p)
    kicked = apriori_tour(problem, base, p, kicks=6, seed=3)
    assert expected_length(problem.distance, kicked, p) <= expected_length(
        problem.distance, plain, p
    )
    assert apriori_tour(problem, base, p, kicks=6, seed=3) == kicked
    assert apriori_tour(problem, base, p, kicks=6, seed=3, keep_first=4)[:4] == base[:4]
