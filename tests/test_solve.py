"""The routing engine: exact optima on tiny instances (brute-forced here), feasibility under
windows and capacity, asymmetric matrices, open and fixed ends, determinism, the time limit."""

from __future__ import annotations

import argparse
import itertools
import time

import numpy as np
import pytest

from route.cli.common import _plan_limits
from route.errors import InputError
from route.solver import solve as solve_module
from route.solver.problem import Problem
from route.solver.solve import ortools_steps, solve
from tests.budget import explicit_work


def _points(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).uniform(0, 1000, size=(n, 2))


def _symmetric(n: int, seed: int) -> np.ndarray:
    p = _points(n, seed)
    return np.rint(np.hypot(*(p[:, None, :] - p[None, :, :]).transpose(2, 0, 1))).astype(np.int64)


def _asymmetric(n: int, seed: int) -> np.ndarray:
    # One-way streets: some directions take a detour.
    d = _symmetric(n, seed)
    extra = np.random.default_rng(seed + 1).integers(0, 400, size=(n, n))
    out = d + np.triu(extra, 1)
    np.fill_diagonal(out, 0)
    return out


def _problem(d: np.ndarray, **kw) -> Problem:
    n = d.shape[0]
    base = dict(
        distance=d,
        duration=d // 5,
        service=(0,) + (30,) * (n - 1),
        earliest=(None,) * n,
        latest=(None,) * n,
        start_s=0,
    )
    base.update(kw)
    return Problem(**base)


def _route_length(d: np.ndarray, route: tuple[int, ...], end: int | None) -> int:
    path = [0, *route] + ([] if end is None else [end])
    return int(sum(d[a, b] for a, b in itertools.pairwise(path)))


def _simulate(p: Problem, route: tuple[int, ...]) -> tuple[bool, list[int]]:
    """Whether a route meets windows and capacity, and its arrival times (waiting allowed)."""
    t, prev, load, times = p.start_s, 0, 0, []
    for node in route:
        t += int(p.duration[prev, node]) + (p.service[prev] if prev else 0)
        if p.earliest[node] is not None:
            t = max(t, p.earliest[node])
        if p.latest[node] is not None and t > p.latest[node]:
            return False, times
        times.append(t)
        load += p.demand[node] if p.demand else 1
        prev = node
    ok = p.capacity is None or load <= p.capacity
    return ok, times


def _brute_force(p: Problem, end: int | None = 0) -> int:
    """Shortest total over every order and every cut into at most ``carriers`` routes."""
    clients = [i for i in range(1, p.size) if i != end]
    best = None
    for perm in itertools.permutations(clients):
        for cuts in itertools.combinations(range(len(perm) + 1), p.carriers - 1):
            bounds = [0, *cuts, len(perm)]
            routes = [perm[a:b] for a, b in itertools.pairwise(bounds)]
            if all(_simulate(p, r)[0] for r in routes):
                total = sum(_route_length(p.distance, r, end) for r in routes if r)
                best = total if best is None else min(best, total)
    assert best is not None
    return best


def _check_solution(p: Problem, sol, end: int | None = 0) -> None:
    served = sorted(n for r in sol.routes for n in r)
    clients = [i for i in range(1, p.size) if i != end]
    assert sorted(served + list(sol.unassigned)) == clients  # nothing lost, nothing twice
    for r, arrivals in zip(sol.routes, sol.arrivals, strict=True):
        ok, times = _simulate(p, r)
        assert ok
        assert list(arrivals) == times
    assert sol.distance == sum(_route_length(p.distance, r, end) for r in sol.routes if r)


def test_single_tour_is_optimal_on_a_symmetric_instance():
    p = _problem(_symmetric(9, 1))
    sol = solve(p, time_limit=2)
    _check_solution(p, sol)
    assert sol.distance == _brute_force(p)
    assert sol.stats.method == "tour+ortools"


def test_asymmetric_matrix_is_routed_in_its_own_direction():
    d = _asymmetric(8, 2)
    assert not np.array_equal(d, d.T)
    p = _problem(d)
    sol = solve(p, time_limit=2)
    _check_solution(p, sol)
    assert sol.distance == _brute_force(p)


def test_windows_and_capacity_with_two_carriers_are_met_at_the_optimum():
    d = _asymmetric(7, 3)
    n = d.shape[0]
    earliest = (None, None, 200, None, None, None, None)
    latest = (None, 300, None, 200, None, 400, None)
    p = _problem(
        d, carriers=2, demand=(0, 1, 2, 1, 1, 2, 1), capacity=4, earliest=earliest, latest=latest
    )
    assert n == 7
    sol = solve(p, time_limit=2)
    _check_solution(p, sol)
    assert not sol.unassigned
    assert sol.distance == _brute_force(p)
    assert all(sum(p.demand[i] for i in r) <= 4 for r in sol.routes)


def test_fixed_end_and_open_route_are_optimal():
    d = _symmetric(8, 4)
    fixed = _problem(d, end=7)
    sol = solve(fixed, time_limit=2)
    _check_solution(fixed, sol, end=7)
    assert sol.distance == _brute_force(fixed, end=7)
    opened = _problem(d, open_end=True)
    sol = solve(opened, time_limit=2)
    _check_solution(opened, sol, end=None)
    assert sol.distance == _brute_force(opened, end=None)


def test_impossible_window_is_reported_not_dropped():
    d = _symmetric(6, 5)
    latest = (None, None, 1, None, None, None)  # closes long before anyone can get there
    p = _problem(d, latest=latest)
    sol = solve(p, time_limit=1)
    assert sol.unassigned == (2,)
    _check_solution(p, sol)


def test_same_seed_same_solution(monkeypatch):
    d = _asymmetric(60, 6)
    n = d.shape[0]
    rng = np.random.default_rng(7)
    latest = tuple(
        None if i == 0 or rng.random() < 0.6 else int(d[0, i] // 5 + 1500) for i in range(n)
    )
    p = _problem(d, carriers=3, demand=(0,) + (1,) * (n - 1), capacity=25, latest=latest)
    # 1.5 s of counted work under a cap 40 times longer: the clock cannot decide.
    cap = explicit_work(monkeypatch, 1.5)
    a = solve(p, time_limit=cap, seed=3)
    b = solve(p, time_limit=cap, seed=3)
    assert a.stats.stopped_by == "work_limit"  # the clock did not decide
    assert a == b
    _check_solution(p, a)


def test_time_limit_is_honoured_and_progress_reported(monkeypatch):
    d = _asymmetric(150, 8)
    p = _problem(d, carriers=2)
    seen = []
    # Far more work than half a second holds (the work model thinks the machine 1,000 times
    # faster): only the clock can stop this search.
    monkeypatch.setattr(solve_module, "WORK_SHARE", solve_module.WORK_SHARE * 1000)
    t0 = time.perf_counter()
    sol = solve(p, time_limit=0.5, progress=lambda t, best: seen.append((t, best)))
    elapsed = time.perf_counter() - t0
    assert sol.stats.stopped_by == "time_limit"
    # The planned work would take minutes; a generous bound keeps a loaded machine passing.
    assert elapsed < 30
    _check_solution(p, sol)
    assert seen
    assert all(b2 <= b1 for (_, b1), (_, b2) in itertools.pairwise(seen))


def test_work_budget_grows_with_time_and_shrinks_with_size():
    assert ortools_steps(100, 2.0) > ortools_steps(100, 1.0)
    assert ortools_steps(400, 1.0) < ortools_steps(100, 1.0)
    # A search step never gets cheaper on a larger problem: the budget never grows with size.
    budgets = [ortools_steps(n, 5.0) for n in range(2, 3000, 7)]
    assert all(b >= a for a, b in itertools.pairwise(reversed(budgets)))


def test_bad_problem_is_refused():
    d = _symmetric(5, 9)
    with pytest.raises(ValueError, match="time_limit"):
        solve(_problem(d), time_limit=0)
    with pytest.raises(ValueError, match="service"):
        solve(_problem(d, service=(0, 1)), time_limit=1)


def _args(**kw) -> argparse.Namespace:
    base = dict(capacity=None, shift=None, end=None, open=False, balance=1)
    base.update(kw)
    return argparse.Namespace(**base)


def test_plan_flags_become_options_and_bad_ones_are_listed_together():
    out = _plan_limits(_args(capacity=40, shift="3:30", end="60.17,24.94"))
    assert out == {
        "balance": 1,
        "open_end": False,
        "capacity": 40,
        "shift_s": 12600,
        "end": (60.17, 24.94),
    }
    assert _plan_limits(_args(shift="90"))["shift_s"] == 5400
    with pytest.raises(InputError) as e:
        _plan_limits(_args(capacity=0, shift="soon", end="north", balance=-1))
    assert {p.source for p in e.value.issues} == {"--capacity", "--shift", "--end", "--balance"}


def test_problem_freezes_a_copy_and_shares_it_with_derived_problems():
    import dataclasses

    d = np.array([[0, 5, 7], [5, 0, 3], [7, 3, 0]], dtype=np.int64)
    p = _problem(d)
    assert d.flags.writeable  # the caller's matrix is never frozen under it
    assert not p.distance.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        p.distance[0, 1] = 1
    assert dataclasses.replace(p, carriers=2).distance is p.distance  # no copy for a variant
    with pytest.raises(ValueError, match="square"):
        _problem(np.zeros((2, 3)))
