"""Stable insertion, removal, disturbance and bounded re-optimisation on tiny problems."""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from route.model.routebook import CarrierRoute, RouteBook, Stop
from route.model.subscriber import Depot
from route.routebook.diff import diff_books, moved
from route.routebook.insertion import cheapest_insertion, insert_stops, remove_stops
from route.routebook.reoptimise import relocate_search, reoptimise
from route.routebook.timing import routes_distance, time_route
from route.solver.problem import Problem

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def euclid_problem(points, *, windows=None, capacity=None, carriers=1, service=0) -> Problem:
    """A problem on plane points (node 0 the depot), 1 m/s, integer metres."""
    xy = np.asarray(points, dtype=float)
    d = np.rint(np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))).astype(np.int64)
    n = len(points)
    windows = windows or [(None, None)] * n
    return Problem(
        distance=d,
        duration=d.copy(),
        service=(0, *([service] * (n - 1))),
        earliest=tuple(w[0] for w in windows),
        latest=tuple(w[1] for w in windows),
        start_s=0,
        carriers=carriers,
        demand=(0, *([1] * (n - 1))),
        capacity=capacity,
    )


def line_problem(xs) -> Problem:
    return euclid_problem([(0, 0)] + [(x, 0) for x in xs])


@st.composite
def instances(draw):
    """A random plane problem, a split of its nodes into routed and new, and carriers."""
    n = draw(st.integers(3, 12))
    pts = [(0, 0)] + [
        (draw(st.integers(-500, 500)), draw(st.integers(-500, 500))) for _ in range(n - 1)
    ]
    windows = [(None, None)]
    for _ in range(n - 1):
        if draw(st.booleans()) and draw(st.booleans()):
            lo = draw(st.integers(0, 3000))
            windows.append((lo, lo + draw(st.integers(200, 3000))))
        else:
            windows.append((None, None))
    carriers = draw(st.integers(1, 3))
    capacity = draw(st.one_of(st.none(), st.integers(min(n - 1, n // carriers + 1), n)))
    problem = euclid_problem(
        pts, windows=windows, capacity=capacity, carriers=carriers, service=draw(st.integers(0, 60))
    )
    nodes = list(range(1, n))
    perm = draw(st.permutations(nodes))
    k = draw(st.integers(0, n - 1))
    existing, new = perm[:k], perm[k:]
    cuts = sorted(draw(st.lists(st.integers(0, k), min_size=carriers - 1, max_size=carriers - 1)))
    bounds = [0, *cuts, k]
    routes = tuple(tuple(existing[bounds[i] : bounds[i + 1]]) for i in range(carriers))
    return problem, routes, tuple(new)


def subsequence(short, long) -> bool:
    it = iter(long)
    return all(x in it for x in short)


@FAST
@given(instances())
def test_stable_insertion_never_reorders_existing_stops(inst):
    problem, routes, new = inst
    out, placements, unplaced = insert_stops(problem, routes, new)
    for old, got in zip(routes, out, strict=True):
        assert tuple(x for x in got if x not in new) == old
    placed = {p.node for p in placements}
    assert placed | set(unplaced) == set(new)
    assert not placed & set(unplaced)
    assert sorted(x for r in out for x in r) == sorted([*(x for r in routes for x in r), *placed])


@FAST
@given(instances())
def test_insertion_keeps_every_promise_the_route_kept(inst):
    problem, routes, new = inst
    before = [time_route(problem, r) for r in routes]
    out, _placements, _unplaced = insert_stops(problem, routes, new)
    for b, r in zip(before, out, strict=True):
        t = time_route(problem, r)
        assert set(t.late) <= set(b.late)
        if problem.capacity is not None:
            assert t.load <= max(problem.capacity, b.load)


@FAST
@given(instances(), st.data())
def test_removal_keeps_the_rest_in_order(inst, data):
    problem, routes, _new = inst
    every = [x for r in routes for x in r]
    gone = set(data.draw(st.lists(st.sampled_from(every), unique=True)) if every else [])
    out = remove_stops(routes, gone)
    for old, got in zip(routes, out, strict=True):
        assert got == tuple(x for x in old if x not in gone)
    assert routes_distance(problem, out) <= routes_distance(problem, routes) + 1 + len(gone)


def test_cheapest_insertion_is_the_cheapest_feasible_place_by_brute_force():
    rng = np.random.default_rng(3)
    pts = [(0, 0), *map(tuple, rng.integers(-300, 300, size=(7, 2)))]
    problem = euclid_problem(pts)
    routes = ((1, 2, 3, 4, 5, 6),)
    p = cheapest_insertion(problem, routes, 7)
    costs = [routes_distance(problem, ((*routes[0][:i], 7, *routes[0][i:]),)) for i in range(7)]
    assert p is not None
    assert routes_distance(problem, routes) + p.added_m == min(costs)
    assert costs[p.position] == min(costs)


def test_insertion_on_a_line_goes_between_its_neighbours():
    # Depot at 0, stops at 100..500; a new stop at 250 belongs between 200 and 300.
    problem = line_problem([100, 200, 300, 400, 500, 250])
    out, (p,), _ = insert_stops(problem, ((1, 2, 3, 4, 5),), [6])
    assert out == ((1, 2, 6, 3, 4, 5),)
    assert (p.after, p.before, p.added_m) == (2, 3, 0)


def test_insertion_respects_a_window_over_the_cheapest_place():
    # At 1 m/s the stop at 250 m cannot be reached by t = 150 from any place: it is unplaced.
    # With the window closing at 260 only the first place (arrival 250) keeps it.
    tight = euclid_problem(
        [(0, 0), (100, 0), (200, 0), (250, 0)],
        windows=[(None, None), (None, None), (None, None), (None, 150)],
    )
    _out, placements, unplaced = insert_stops(tight, ((1, 2),), [3])
    assert (placements, unplaced) == ((), (3,))
    ok = euclid_problem(
        [(0, 0), (100, 0), (200, 0), (250, 0)],
        windows=[(None, None), (None, None), (None, None), (None, 260)],
    )
    out, _p, unplaced = insert_stops(ok, ((1, 2),), [3])
    assert unplaced == ()
    assert time_route(ok, out[0]).late == ()


def test_insertion_respects_capacity():
    problem = euclid_problem([(0, 0), (100, 0), (200, 0), (210, 0)], carriers=2, capacity=2)
    out, (p,), _ = insert_stops(problem, ((1, 2), ()), [3])
    assert p.carrier == 1
    assert out == ((1, 2), (3,))


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (["a", "b", "c", "d"], ["a", "b", "c", "d"], set()),
        (["a", "b", "c", "d"], ["b", "c", "d", "a"], {"a"}),
        (["a", "b", "c", "d"], ["d", "c", "b", "a"], 3),
        (["a", "b", "c"], ["a", "x", "c"], set()),  # b removed, x added: nothing moved
    ],
)
def test_moved_counts_the_fewest_stops_taken_out(old, new, expected):
    got = moved([old], [new])
    assert (len(got) == expected) if isinstance(expected, int) else (got == expected)


def test_moving_to_another_carrier_counts():
    assert moved([["a", "b"], ["c"]], [["a"], ["b", "c"]]) == {"b"}


@FAST
@given(st.permutations(list(range(10))), st.integers(0, 4), st.randoms(use_true_random=False))
def test_moved_is_at_most_the_number_of_relocations(order, k, rnd):
    new = list(order)
    for _ in range(k):
        x = new.pop(rnd.randrange(len(new)))
        new.insert(rnd.randrange(len(new) + 1), x)
    assert len(moved([list(order)], [new])) <= k


@FAST
@given(instances(), st.integers(0, 3), st.integers(0, 3))
def test_relocation_search_respects_its_bounds(inst, n, k):
    problem, routes, _new = inst
    out = relocate_search(problem, routes, max_moved=n, keep_first=k)
    assert routes_distance(problem, out) <= routes_distance(problem, routes)
    assert len(moved([list(r) for r in routes], [list(r) for r in out])) <= n
    for a, b in zip(routes, out, strict=True):
        assert b[:k] == a[:k]
    assert sorted(x for r in out for x in r) == sorted(x for r in routes for x in r)


def test_reoptimise_finds_the_line_optimum_disturbing_least():
    # Closed tours on a line: any order that runs out and back monotonically is 800 m long;
    # among them, (1, 3, 4, 2) takes only stop 3 out of (3, 1, 4, 2).
    problem = line_problem([100, 200, 300, 400])
    bad = ((3, 1, 4, 2),)
    best = reoptimise(problem, bad, time_limit=1)
    assert (best.distance_m, best.moved) == (800, 1)
    assert best.routes == ((1, 3, 4, 2),)
    assert reoptimise(problem, bad, max_moved=0, time_limit=1).routes == bad
    kept = reoptimise(problem, ((4, 3, 1, 2),), keep_first=2, time_limit=1)
    assert kept.routes == ((4, 3, 2, 1),)


def test_reoptimise_refuses_negative_bounds():
    with pytest.raises(ValueError, match="negative"):
        reoptimise(line_problem([1, 2]), ((1, 2),), max_moved=-1)


def _book(order_times, version=1):
    stops = tuple(
        Stop(i, x, 0.0, 0.0, t, 10, 10, 0, 0) for i, (x, t) in enumerate(order_times, start=1)
    )
    route = CarrierRoute(1, stops, (), 10 * len(stops), 100 * len(stops), 0, 0)
    return RouteBook("walk", Depot(0, 0), 0, (route,), version=version)


def test_diff_books_names_added_removed_moved_and_retimed():
    old = _book([("a", 100), ("b", 200), ("c", 300), ("d", 400)], 1)
    new = _book([("a", 100), ("c", 300), ("b", 350), ("e", 1000), ("d", 1400)], 2)
    d = diff_books(old, new, threshold_s=300)
    assert d.added == ("e",)
    assert d.removed == ()
    assert len(d.moved) == 1
    assert d.moved[0] in {"b", "c"}
    assert d.retimed == (("d", 400, 1400),)
    assert d.distance_m == 10
    text = "\n".join(d.lines())
    assert "added:   e" in text
    assert "retimed  d" in text


def test_every_permutation_of_four_reports_consistent_moves():
    base = ["a", "b", "c", "d"]
    for perm in itertools.permutations(base):
        m = moved([base], [list(perm)])
        kept = [x for x in perm if x not in m]
        assert subsequence(kept, base)


def test_open_routes_end_at_the_last_stop():
    # Depot at 0, stops at 100 and 300 on a line: open, the route is 300 m; closed, 600 m.
    closed = line_problem([100, 300, 200])
    opened = replace(closed, open_end=True)
    assert time_route(opened, (1, 2)).distance_m == 300
    assert time_route(closed, (1, 2)).distance_m == 600
    # The stop at 200 fits between 100 and 300 for nothing.
    p = cheapest_insertion(opened, ((1, 2),), 3)
    assert (p.position, p.added_m) == (1, 0)  # between 100 and 300 costs nothing
    far = line_problem([100, 300, 900])
    p = cheapest_insertion(replace(far, open_end=True), ((1, 2),), 3)
    assert (p.position, p.added_m) == (2, 600)  # at the end, no way back to pay for


def test_an_end_point_is_where_every_route_finishes():
    # Node 3 is the end point (not a stop) at 1000 m.
    problem = replace(line_problem([100, 300, 1000]), end=3)
    assert time_route(problem, (1, 2)).distance_m == 1000
    out, _p, _u = insert_stops(problem, ((1,),), [2])
    assert out == ((1, 2),)
