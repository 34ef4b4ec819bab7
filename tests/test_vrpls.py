"""The penalised local search phase: feasibility checked independently of the engine, exact
optima on brute-forceable instances (closed, fixed and open ends), stops no carrier can serve
left out, determinism across processes, the time limit."""

from __future__ import annotations

import itertools
import pickle
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from route.solver import penalised as _vrpls
from route.solver.problem import Problem
from route.solver.solve import solve
from tests.budget import CHILD_BUDGET, FACTOR

ROOT = Path(__file__).resolve().parents[1]


def _matrix(n: int, seed: int, asymmetric: bool = True) -> np.ndarray:
    rng = np.random.default_rng(seed)
    p = rng.uniform(0, 1000, size=(n, 2))
    d = np.rint(np.hypot(*(p[:, None, :] - p[None, :, :]).transpose(2, 0, 1))).astype(np.int64)
    if asymmetric:  # one-way streets: some directions take a detour
        d = d + np.triu(rng.integers(0, 300, size=(n, n)), 1)
        np.fill_diagonal(d, 0)
    return d


def _windowed(n: int, seed: int, carriers: int = 3, **kw) -> Problem:
    """Random windows (some tight), quantities of 1-2 and a bag that forces several carriers."""
    d = _matrix(n, seed)
    rng = np.random.default_rng(seed + 100)
    earliest: list[int | None] = [None]
    latest: list[int | None] = [None]
    for i in range(1, n):
        reach = int(d[0, i] // 5)
        r = rng.random()
        if r < 0.3:
            latest.append(reach + int(rng.integers(200, 1500)))
            earliest.append(None)
        elif r < 0.5:
            lo = int(rng.integers(0, 1500))
            earliest.append(lo)
            latest.append(max(lo, reach) + 600)
        else:
            earliest.append(None)
            latest.append(None)
    demand = (0, *(int(q) for q in rng.integers(1, 3, size=n - 1)))
    base = dict(
        distance=d,
        duration=d // 5,
        service=(0,) + (30,) * (n - 1),
        earliest=tuple(earliest),
        latest=tuple(latest),
        carriers=carriers,
        demand=demand,
        capacity=int(sum(demand) / carriers * 1.2) + 1,
    )
    base.update(kw)
    return Problem(**base)


def _end_of(p: Problem) -> int | None:
    return None if p.open_end else (0 if p.end is None else p.end)


def _feasible(p: Problem, route: tuple[int, ...]) -> bool:
    """Windows (waiting allowed), bag and shift of one route, simulated from scratch."""
    if not route:
        return True
    end = _end_of(p)
    t, prev, load = p.start_s, 0, 0
    for node in route:
        t += int(p.duration[prev, node]) + p.service[prev]
        if p.earliest[node] is not None:
            t = max(t, p.earliest[node])
        if p.latest[node] is not None and t > p.latest[node]:
            return False
        load += p.demand[node] if p.demand else 1
        prev = node
    t += p.service[prev] + (0 if end is None else int(p.duration[prev, end]))
    shift_ok = p.shift_s is None or t - p.start_s <= p.shift_s
    return shift_ok and (p.capacity is None or load <= p.capacity)


def _length(p: Problem, routes) -> int:
    end = _end_of(p)
    total = 0
    for r in routes:
        if r:
            path = [0, *r] + ([] if end is None else [end])
            total += int(sum(p.distance[a, b] for a, b in itertools.pairwise(path)))
    return total


def _brute_force(p: Problem) -> int:
    """Shortest total over every order and every cut into at most ``carriers`` routes."""
    clients = [i for i in range(1, p.size) if i != _end_of(p)]
    best = None
    for perm in itertools.permutations(clients):
        for cuts in itertools.combinations_with_replacement(range(len(perm) + 1), p.carriers - 1):
            bounds = [0, *cuts, len(perm)]
            routes = [perm[a:b] for a, b in itertools.pairwise(bounds)]
            if all(_feasible(p, r) for r in routes):
                total = _length(p, routes)
                best = total if best is None else min(best, total)
    assert best is not None
    return best


def _served_once(p: Problem, routes, left_out) -> None:
    clients = [i for i in range(1, p.size) if i != _end_of(p)]
    assert sorted([n for r in routes for n in r] + list(left_out)) == clients


@pytest.mark.parametrize("seed", range(6))
def test_random_windowed_instances_come_out_feasible(seed):
    p = _windowed(30 + 5 * seed, seed, shift_s=None if seed % 2 else 4000)
    res = _vrpls.search(p, 200_000, 10.0, seed)
    assert res.routes is not None
    assert not res.capped
    _served_once(p, res.routes, res.left_out)
    assert all(_feasible(p, r) for r in res.routes)


@pytest.mark.parametrize(
    "kw",
    [
        {},  # closed routes back to the depot
        {"end": 6},  # a fixed end
        {"open_end": True},  # routes end at their last stop
    ],
    ids=["closed", "fixed-end", "open"],
)
def test_tiny_instance_reaches_the_brute_forced_optimum(kw):
    p = _windowed(7, 11, carriers=2, **kw)
    res = _vrpls.search(p, 50_000, 10.0, 0)
    assert res.routes is not None
    _served_once(p, res.routes, res.left_out)
    assert all(_feasible(p, r) for r in res.routes)
    assert _length(p, res.routes) == _brute_force(p)


def test_a_stop_no_carrier_can_reach_in_time_is_left_out():
    p = _windowed(12, 3)
    latest = list(p.latest)
    latest[4] = 1  # closes before anyone can get there
    p = Problem(**{**{f: getattr(p, f) for f in p.__dataclass_fields__}, "latest": tuple(latest)})
    res = _vrpls.search(p, 50_000, 10.0, 0)
    assert res.left_out == (4,)
    _served_once(p, res.routes, res.left_out)
    sol = solve(p, time_limit=1.0)
    assert sol.unassigned == (4,)


def test_solve_keeps_the_shorter_phase_and_says_which():
    p = _windowed(60, 5)
    sol = solve(p, time_limit=1.5)
    assert all(_feasible(p, r) for r in sol.routes)
    _served_once(p, sol.routes, sol.unassigned)
    phases = {ph.name: ph for ph in sol.stats.phases}
    assert "penalised-ls" in phases
    best = min(ph.objective for ph in phases.values() if ph.objective is not None)
    assert sol.stats.objective == best
    assert sol.distance == _length(p, sol.routes)
    if sol.stats.best_phase == "penalised-ls":
        assert sol.stats.method == "penalised-ls"


def test_balance_evens_out_the_shifts():
    p = _windowed(40, 8, capacity=None, latest=(None,) * 40, earliest=(None,) * 40)
    plain = _vrpls.search(p, 100_000, 10.0, 0)
    even = _vrpls.search(
        Problem(**{**{f: getattr(p, f) for f in p.__dataclass_fields__}, "balance": 5}),
        100_000,
        10.0,
        0,
    )

    def longest(routes) -> int:
        return max(_length(p, [r]) for r in routes)

    assert longest(even.routes) < longest(plain.routes)


# Two seconds of counted work under a cap 40 times longer (tests/budget.py): the clock cannot
# decide, however loaded the machine.
_CHILD = (
    CHILD_BUDGET % {"factor": FACTOR}
    + """
import pickle, sys
from route.solver.solve import solve
p = pickle.loads(sys.stdin.buffer.read())
sys.stdout.buffer.write(pickle.dumps(solve(p, time_limit=%r, seed=4)))
"""
    % (2.0 * FACTOR)
)


def test_same_problem_and_seed_give_the_same_solution_in_two_processes():
    p = _windowed(80, 9)
    outs = []
    for _ in range(2):
        run = subprocess.run(
            [sys.executable, "-c", _CHILD],
            input=pickle.dumps(p),
            capture_output=True,
            check=True,
            cwd=ROOT,
            env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        )
        outs.append(pickle.loads(run.stdout))
    a, b = outs
    assert a.stats.stopped_by == "work_limit"  # the clock did not decide
    assert a.routes == b.routes
    assert a.arrivals == b.arrivals
    assert a.unassigned == b.unassigned
    assert a.distance == b.distance


def test_time_limit_is_honoured():
    # Given far more work than the time allows (10**12 evaluations take hours), the search
    # stops on the clock. The bounds are generous so that a loaded machine passes: what they
    # catch is a search that ignores the clock.
    p = _windowed(150, 12)
    t0 = time.perf_counter()
    res = _vrpls.search(p, 10**12, 0.3, 0)
    assert time.perf_counter() - t0 < 30
    assert res.capped
    sol = solve(p, time_limit=0.5)
    assert all(_feasible(p, r) for r in sol.routes)


@pytest.mark.parametrize("seed", range(4))
def test_crossover_children_serve_every_stop_once(seed):
    # Windows, bags and a shift limit on an asymmetric matrix: the child of two parents (before
    # its descent) keeps every stop exactly once, on no more routes than there are carriers.
    p = _windowed(45 + 10 * seed, 20 + seed, carriers=4, shift_s=None if seed % 2 else 5000)
    children = _vrpls.crossover_children(p, 30, seed, population=8)
    assert len(children) == 30
    left_out = _vrpls.search(p, 1000, 10.0, seed).left_out
    for child in children:
        assert len(child) == p.carriers
        _served_once(p, child, left_out)
    # The children differ: the crossover mixes parents rather than copying one.
    assert len(set(children)) > 1


# The genetic search with two threads under a work budget the clock cannot reach (a cap of
# 600 s for about a second of work): the routes' bytes are compared across processes.
_GENETIC_CHILD = """
import pickle, sys
from route.solver import penalised
p = pickle.loads(sys.stdin.buffer.read())
res = penalised.search(p, 20_000_000, 600.0, 7, workers=2, population=10, genetic=True)
sys.stdout.buffer.write(pickle.dumps((res.routes, res.work, res.iterations, res.capped)))
"""


def test_genetic_search_with_two_threads_is_the_same_in_two_processes():
    p = _windowed(90, 14, carriers=4)
    outs = []
    for _ in range(2):
        run = subprocess.run(
            [sys.executable, "-c", _GENETIC_CHILD],
            input=pickle.dumps(p),
            capture_output=True,
            check=True,
            cwd=ROOT,
            env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        )
        outs.append(run.stdout)
    routes, work, iterations, capped = pickle.loads(outs[0])
    assert not capped  # the work budget decided, not the clock
    assert routes is not None
    assert iterations > 0
    assert work >= 2 * 20_000_000
    _served_once(p, routes, _vrpls.search(p, 1000, 10.0, 0).left_out)
    assert all(_feasible(p, r) for r in routes)
    assert outs[0] == outs[1]


def test_a_plan_the_clock_would_cut_is_lowered_to_what_fits() -> None:
    replan = _vrpls._replan
    # At the pace planned (or faster) nothing changes: the same work, the same routes.
    assert replan(100, 50, 5.0, 10.5) is None
    assert replan(100, 50, 2.0, 10.0) is None
    assert replan(100, 100, 9.0, 10.0) is None  # done
    assert replan(100, 0, 1.0, 10.0) is None  # no pace yet
    # Slower: 10 units in 5 s leave 90 units that need 45 s of the 5 s left; the plan is what
    # fills REPLAN_SHARE of those 5 s at 2 units a second.
    assert replan(100, 10, 5.0, 10.0) == 10 + int(5.0 * _vrpls.REPLAN_SHARE * 2.0)
    assert replan(100, 10, 12.0, 10.0) == 10  # past the deadline: stop where it is


def test_a_search_planned_far_beyond_its_time_ends_on_work_before_the_clock() -> None:
    # Work for about a minute of this machine (the table's rates, which are slower than most)
    # and 12 s allowed: after the first meeting the search lowers its plan to fit and ends
    # on that work, cooled down, rather than being cut off by the clock while still roaming.
    from route.solver import speed

    problem = speed.problem_for_measuring()
    work = _vrpls.evaluation_budget(problem.size, 60.0, 1.0, 1)
    res = _vrpls.search(problem, work, 12.0, 0, workers=1)
    assert res.routes is not None
    assert res.capped  # the clock decided: reported as such
    assert res.planned < work
    # Ended on the lowered work (its last move may run a little past); a machine that slows
    # down further in the last meeting's stretch may still meet the clock there, near its end.
    assert 0.8 * res.planned <= res.work <= res.planned * 1.01
