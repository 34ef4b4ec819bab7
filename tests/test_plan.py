"""Planning a route book: exact optima on tiny instances, nothing dropped, determinism."""

from __future__ import annotations

import pytest

from route.io.osm import load_network
from route.io.subscribers import parse_subscribers
from route.model.routebook import RouteBook
from route.model.subscriber import DeliverySpot, Depot, Subscriber
from route.network import StreetIndex
from route.routebook.plan import PlanOptions, plan
from route.teaching.demo import DEMO_DEPOT
from tests.budget import explicit_work
from tests.graphs import latlon, square_block, street


def sub(sid: str, x: float, y: float, **kw) -> Subscriber:
    lat, lon = latlon(x, y)
    kind = kw.pop("kind", "curb")
    return Subscriber(id=sid, lat=lat, lon=lon, spot=DeliverySpot(kind, lat, lon), **kw)


def depot(x: float, y: float) -> Depot:
    return Depot(*latlon(x, y))


def test_square_block_optimum_is_the_perimeter():
    index = square_block(100)
    # One house beside the middle of each side, shuffled; the depot on the south side.
    subs = [sub("E", 105, 50), sub("W", -5, 50), sub("N", 50, 105), sub("S", 70, -5)]
    book = plan(subs, depot(30, -5), index, PlanOptions(time_limit=2))
    assert book.distance_m == 400
    order = book.order
    # Around the block one way or the other; routes that tie are compared as sets of cycles.
    assert order in (("S", "E", "N", "W"), ("W", "N", "E", "S"))


def test_street_optimum_is_out_and_back():
    index = street(400)
    subs = [sub(f"H{x}", x, 8 if x % 2 else -8) for x in (350, 60, 210, 130, 290)]
    book = plan(subs, depot(0, 0), index, PlanOptions(time_limit=2))
    assert book.distance_m == 700  # to the far house at x=350 and back
    xs = [int(i[1:]) for i in book.order]
    assert xs in (sorted(xs), sorted(xs, reverse=True))


def test_walk_in_is_the_cost_of_the_spot():
    index = street(400)
    lat, lon = latlon(100, 0)
    spot_lat, spot_lon = latlon(100, 24)  # 24 m up the garden path
    north = Subscriber("N", lat, lon, DeliverySpot("milk_box", spot_lat, spot_lon))
    book = plan([north], depot(0, 0), index, PlanOptions(time_limit=1))
    stop = book.routes[0].stops[0]
    assert stop.walk_in_m == 48
    assert stop.walk_in_s == round(48 / 1.2 + 20)  # walking speed, milk-box handling
    assert book.walk_in_s == stop.walk_in_s
    assert book.duration_s == 100 + stop.walk_in_s + 100  # 1 m/s on this street, there and back


def test_every_subscriber_is_routed_once_or_unserved_with_a_reason():
    index = street(400)
    subs = [
        sub("A", 100, 5),
        sub("B", 300, -5),
        sub("FAR", 100, 5000),  # 5 km from any street
        sub("EARLY", 200, 5, latest=4 * 3600),  # wants it by 04:00; the shift starts at 05:00
        sub("C", 250, 5, earliest=5 * 3600 + 600, latest=5 * 3600 + 900),
    ]
    book = plan(subs, depot(0, 0), index, PlanOptions(time_limit=2))
    routed = list(book.order)
    unserved = {u.subscriber_id: u.reason for u in book.unserved}
    assert sorted(routed + list(unserved)) == sorted(s.id for s in subs)
    assert len(routed) == len(set(routed))
    assert "from the nearest usable street" in unserved["FAR"]
    assert "time window" in unserved["EARLY"]
    assert "04:00" in unserved["EARLY"]
    c = next(s for r in book.routes for s in r.stops if s.subscriber_id == "C")
    assert 5 * 3600 + 600 <= c.arrival_s <= 5 * 3600 + 900


@pytest.fixture(scope="module")
def demo_index() -> StreetIndex:
    return StreetIndex(load_network("demo", "walk"))


def test_same_inputs_and_seed_give_the_same_route_book(demo_index, monkeypatch):
    from route.teaching.demo import demo_rows

    subs = parse_subscribers(demo_rows(), source="demo").subscribers
    cap = explicit_work(monkeypatch, 3)  # 3 s of counted work, the clock far beyond it
    first = plan(subs, DEMO_DEPOT, demo_index, PlanOptions(time_limit=cap, seed=1))
    second = plan(subs, DEMO_DEPOT, demo_index, PlanOptions(time_limit=cap, seed=1))
    assert first.solver["stopped_by"] == "work_limit"  # the clock did not decide
    assert first.to_json() == second.to_json()
    assert len(first.order) + len(first.unserved) == len(subs)
    # It survives a round trip through its stored form unchanged.
    assert RouteBook.from_dict(first.to_dict()).to_json() == first.to_json()
