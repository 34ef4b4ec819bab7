"""Edits at the cost of their neighbourhood: slack checks, kept legs, the retry rule.

The stable edit on a planned book keeps the book's own legs and measures only new ones; it must
give the very route book that measuring everyone on a whole matrix gives (invariant 7 as
before, and the same metres, seconds, arrivals, legs and reasons).
"""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pytest
from hypothesis import given

from route.model.routebook import FAR, NO_PLACE, WINDOW
from route.model.subscriber import DeliverySpot, Subscriber
from route.routebook.changes import remeasured_edit, stable_edit
from route.routebook.edits import edit_work
from route.routebook.insertion import cheapest_insertion
from route.routebook.plan import PlanOptions, plan
from route.routebook.timing import acceptable, problem_slack, time_route
from route.teaching.demo import DEMO_DEPOT, demo_rows
from tests.budget import explicit_work
from tests.test_edit import FAST, instances


def _retimed_insertion(problem, routes, node):
    """The cheapest feasible place found the old way: re-time the route for every place."""
    end = 0 if problem.end is None else problem.end
    d, t = problem.distance, problem.duration
    cands = []
    for c, r in enumerate(routes):
        seq = (0, *r, end)
        for pos in range(len(seq) - 1):
            a, b = seq[pos], seq[pos + 1]
            add_m = int(d[a, node] + d[node, b] - d[a, b])
            add_s = int(t[a, node] + t[node, b] - t[a, b]) + problem.service[node]
            if problem.open_end and pos == len(seq) - 2:
                add_m, add_s = int(d[a, node]), int(t[a, node]) + problem.service[node]
            cands.append((add_m, add_s, c, pos))
    for add_m, add_s, c, pos in sorted(cands):
        r = routes[c]
        new = (*r[:pos], node, *r[pos:])
        if acceptable(problem, time_route(problem, new), time_route(problem, r), node):
            return (add_m, add_s, c, pos)
    return None


@FAST
@given(instances())
def test_slack_insertion_chooses_what_retiming_the_route_chooses(inst):
    problem, routes, new = inst
    for node in new:
        p = cheapest_insertion(problem, routes, node)
        want = _retimed_insertion(problem, routes, node)
        got = None if p is None else (p.added_m, p.added_s, p.carrier, p.position)
        assert got == want
        if p is not None:  # go on from the grown route, as an import of several would
            r = routes[p.carrier]
            routes = (
                *routes[: p.carrier],
                (*r[: p.position], node, *r[p.position :]),
                *routes[p.carrier + 1 :],
            )


@FAST
@given(instances())
def test_slack_follows_the_timing_of_the_route(inst):
    problem, routes, _new = inst
    for r in routes:
        s, t = problem_slack(problem, r), time_route(problem, r)
        assert s.reach[-1] == t.finish_s
        assert s.load == t.load
        assert (s.slack >= 0).all()


# -- on the street network ---------------------------------------------------------------------


def _index():
    from route.cli.common import _load_index, _Reporter
    from route.io.workspace import Settings
    from route.model.subscriber import Depot

    return _load_index(Settings("demo", "walk", Depot(0, 0)), _Reporter(True))


@pytest.fixture(scope="module")
def subs() -> list[Subscriber]:
    from route.io.subscribers import parse_subscribers

    return list(parse_subscribers(demo_rows(), source="demo").subscribers)


@pytest.fixture
def limit(monkeypatch: pytest.MonkeyPatch) -> float:
    """A plan's time limit: one calibrated second of counted work, the clock far above it."""
    return explicit_work(monkeypatch, 1.0)


def _same(a, b) -> None:
    """Two route books are the same apart from the order of their unserved list."""
    da, db = a.to_dict(), b.to_dict()
    ua, ub = da.pop("unserved"), db.pop("unserved")
    assert da == db
    assert sorted(map(str, ua)) == sorted(map(str, ub))


LIMITS = {
    "closed": {},
    "open": {"open_end": True},
    "end point": {"end": (60.1653, 24.9460)},
    "two carriers, bag and shift": {"carriers": 2, "capacity": 30, "shift_s": 3 * 3600},
}


def _promises(subs: list[Subscriber], start_s: int) -> list[Subscriber]:
    """Windows and a bag that bind: early latest times, a late earliest time, three papers."""
    r = dataclasses.replace
    return [
        r(subs[0], earliest=None, latest=start_s + 10 * 60),
        r(subs[1], earliest=start_s + 50 * 60, latest=None),
        r(subs[2], earliest=None, latest=start_s + 25 * 60),
        r(subs[3], quantity=3),
        r(subs[4], earliest=start_s + 20 * 60, latest=start_s + 30 * 60),
    ]


@pytest.mark.parametrize("batch", [1, 24], ids=["one place a batch", "default batches"])
@pytest.mark.parametrize("limits", list(LIMITS.values()), ids=list(LIMITS))
def test_local_edit_gives_the_book_a_whole_matrix_gives(subs, limit, limits, batch, monkeypatch):
    import route.routebook.local_edit as local_edit

    monkeypatch.setattr(local_edit, "_FIRST_BATCH", batch)
    index = _index()
    base = plan(subs[:40], DEMO_DEPOT, index, PlanOptions(time_limit=limit, **limits))
    # Import five with windows and a bag that bind, then remove three (the first, one in the
    # middle, the last), then give one subscriber a window their place misses: each edit from
    # the book the previous one made.
    book = base
    current = [*subs[:40], *_promises(subs[40:45], base.start_s)]
    for k in range(3):
        if k == 1:
            order = book.order
            gone = {order[0], order[len(order) // 2], order[-1]}
            current = [s for s in current if s.id not in gone]
            reslot = ()
        elif k == 2:
            _c, stop = book.stop_of(subs[12].id) or (0, None)
            assert stop is not None
            latest = book.start_s + (stop.arrival_s - book.start_s) // 2
            moved = dataclasses.replace(subs[12], earliest=None, latest=latest)
            current = [moved if s.id == moved.id else s for s in current]
            reslot = (moved.id,)
        else:
            reslot = ()
        local = stable_edit(book, current, index, reslot=reslot)
        whole = remeasured_edit(book, current, index, reslot=reslot)
        _same(local.book, whole.book)
        assert local.changed
        if k == 2:  # they went earlier in a route, or are unserved with the reason
            after = local.book.stop_of(moved.id)
            if after is None:
                assert moved.id in local.unplaced_ids
            else:
                assert after[1].arrival_s <= latest
        # Everyone else kept their carrier and order.
        for old, new in zip(book.routes, local.book.routes, strict=True):
            both = (set(old.order) & set(new.order)) - set(reslot)
            assert [x for x in new.order if x in both] == [x for x in old.order if x in both]
        book = local.book
    assert book.distance_m == sum(r.distance_m for r in book.routes)


def test_local_edit_measures_only_the_neighbourhood(subs, limit, monkeypatch):
    index = _index()
    book = plan(subs[:79], DEMO_DEPOT, index, PlanOptions(time_limit=limit))
    searched = []
    real = type(index).around

    def counting(self, c, others, limit_m=np.inf):
        searched.append(len(others))
        return real(self, c, others, limit_m)

    monkeypatch.setattr(type(index), "around", counting)
    monkeypatch.setattr(type(index), "matrix", None)  # no matrix of any kind
    monkeypatch.setattr(type(index), "int_matrix", None)
    edit = stable_edit(book, subs[:80], index)
    assert edit.inserted_ids == (subs[79].id,)
    # A few batches of curb points around the new one, not every stop of the route.
    assert sum(searched) < len(book.order) / 2


def _far(sub: Subscriber) -> Subscriber:
    spot = DeliverySpot(sub.spot.kind, sub.spot.lat + 0.05, sub.spot.lon)  # 5 km north, at sea
    return dataclasses.replace(sub, spot=spot, lat=spot.lat)


def test_unserved_are_retried_only_when_something_could_make_them_servable(subs, limit):
    index = _index()
    heavy = dataclasses.replace(subs[3], quantity=41)  # more than the bag holds
    early = dataclasses.replace(subs[4], earliest=None, latest=5 * 3600 + 10)  # 05:00:10
    far = _far(subs[5])
    group = [*subs[:3], heavy, early, far, *subs[6:30]]
    book = plan(group, DEMO_DEPOT, index, PlanOptions(time_limit=limit, capacity=40))
    kinds = {u.subscriber_id: u.kind for u in book.unserved}
    assert kinds == {heavy.id: NO_PLACE, early.id: WINDOW, far.id: FAR}
    # A new subscriber: nothing that could make them servable changed; nobody is retried.
    work = edit_work(book, [*group, subs[30]])
    assert work.todo == (subs[30].id,)
    edit = stable_edit(book, [*group, subs[30]], index)
    assert edit.unplaced_ids == ()
    assert {u.subscriber_id: u for u in edit.book.unserved} == {
        u.subscriber_id: u for u in book.unserved
    }
    # A stop leaves the route: room may be freed, so the one no place could take is retried.
    book = edit.book
    rest = [s for s in [*group, subs[30]] if s.id != book.order[0]]
    assert edit_work(book, rest).todo == (heavy.id,)
    edit = stable_edit(book, rest, index)
    assert edit.unplaced_ids == (heavy.id,)
    # Their own spot moves back to the street: the far one is tried, and placed.
    near = subs[5]
    fixed = [near if s.id == far.id else s for s in rest]
    edit = stable_edit(edit.book, fixed, index, reslot=(far.id,))
    assert far.id in edit.inserted_ids
    assert far.id not in {u.subscriber_id for u in edit.book.unserved}


def test_an_edit_with_nothing_to_do_changes_nothing_and_needs_no_network(subs, limit):
    index = _index()
    book = plan(subs[:20], DEMO_DEPOT, index, PlanOptions(time_limit=limit))

    def no_network():
        raise AssertionError("the network was loaded for nothing")

    edit = stable_edit(book, subs[:20], no_network)
    assert not edit.changed
    assert edit.book is book
    renamed = [dataclasses.replace(s, name=s.name + " Jr") for s in subs[:20]]
    assert not stable_edit(book, renamed, no_network).changed


def test_the_plan_tries_what_the_search_left_out_and_bounds_its_length(subs, limit):
    index = _index()
    said: list[str] = []
    book = plan(subs[:40], DEMO_DEPOT, index, PlanOptions(time_limit=limit), say=said.append)
    lb = book.solver["lower_bound"]
    assert lb["method"] == "held-karp"
    assert 0 < lb["metres"] <= book.distance_m
    assert lb["stops"] == len(book.order)
    assert any(line.startswith("Quality: ") for line in said)
    assert any(line.startswith("Memory: ") and "int32 matrices" in line for line in said)
    # An edit's book is for other stops: the bound does not carry over.
    edit = stable_edit(book, subs[:41], index)
    assert "lower_bound" not in edit.book.solver


def test_every_subscriber_is_routed_once_or_unserved_after_edits(subs, limit):
    index = _index()
    book = plan(subs[:25], DEMO_DEPOT, index, PlanOptions(time_limit=limit))
    current = list(subs[:25])
    for k in range(4):  # alternate imports and removals
        if k % 2 == 0:
            current += subs[25 + 3 * k : 28 + 3 * k]
        else:
            current = current[2:]
        book = stable_edit(book, current, index).book
        routed = book.order
        unserved = [u.subscriber_id for u in book.unserved]
        assert len(routed) == len(set(routed))
        assert sorted([*routed, *unserved]) == sorted(s.id for s in current)
        for r in book.routes:
            for a, b in itertools.pairwise(r.stops):
                assert b.arrival_s >= a.arrival_s + a.walk_in_s + b.leg_s


def test_a_stop_leaving_makes_room_for_one_no_place_could_take(subs, limit):
    index = _index()
    group = subs[:26]  # one paper each, a bag of 25: one of them is left out
    book = plan(group, DEMO_DEPOT, index, PlanOptions(time_limit=limit, capacity=25))
    assert [u.kind for u in book.unserved] == [NO_PLACE]
    left = book.unserved[0].subscriber_id
    # A new subscriber frees no room: the one left out is not tried again, and stays out.
    more = stable_edit(book, [*group, subs[26]], index)
    assert more.unplaced_ids == (subs[26].id,)
    assert book.unserved[0] in more.book.unserved
    # A stop leaving does: they are slotted in, where a whole matrix would put them too.
    rest = [s for s in group if s.id != book.order[5]]
    local = stable_edit(book, rest, index)
    _same(local.book, remeasured_edit(book, rest, index).book)
    assert left in local.inserted_ids
    assert not local.book.unserved


def test_a_placement_that_shortens_the_route_reads_as_a_minus_not_plus_minus():
    """A stop slotted in where the route gets a metre shorter says '-1 m', not '+-1 m'."""
    from route.model.routebook import RouteBook
    from route.model.subscriber import Depot
    from route.routebook.edits import Edit, Placed

    book = RouteBook(mode="walk", depot=Depot(60.17, 24.94), start_s=5 * 3600, routes=())
    edit = Edit(book, (), (), (), (), book)
    text = edit.where(Placed("S1", 0, 16, -1, 12, "P018", "P044"))
    assert text.endswith("between P018 and P044 (-1 m, +0.2 min)"), text
    assert edit.where(Placed("S2", 0, 0, 110, 120, None, "P002")).endswith("(+110 m, +2.0 min)")
