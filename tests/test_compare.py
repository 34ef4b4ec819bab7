"""The value-discipline comparison: hand-checked measurements, and the lesson's relations."""

from __future__ import annotations

from datetime import date

import pytest

from route.io.osm import load_network
from route.io.subscribers import parse_subscribers
from route.model.subscriber import DeliverySpot, Depot, Subscriber
from route.network import StreetIndex
from route.teaching.compare import compare_disciplines, route_changes
from route.teaching.demo import DEMO_DEPOT, demo_rows
from tests.graphs import latlon, street

MONDAY = date(2025, 3, 3)
WEEKDAYS = (0, 1, 2, 3, 4)


def sub(sid: str, x: float, y: float, kind: str = "curb", spot_y: float | None = None, **kw):
    lat, lon = latlon(x, y)
    slat, slon = latlon(x, y if spot_y is None else spot_y)
    return Subscriber(id=sid, lat=lat, lon=lon, spot=DeliverySpot(kind, slat, slon), **kw)


# -- route changes on hand-written orders --------------------------------------------------------


def test_a_fixed_order_never_changes():
    assert route_changes([(("a", "b", "c"),)] * 7) == 0


def test_bypassing_a_stop_is_not_a_change():
    # b is not scheduled on the second day: a goes straight to c, the relative order stands.
    assert route_changes([(("a", "b", "c"),), (("a", "c"),)]) == 0


def test_a_swap_changes_every_next_stop_it_touches():
    # a->b->c then a->c->b: a, b and c each get another next stop, both ways round the week.
    assert route_changes([(("a", "b", "c"),), (("a", "c", "b"),)]) == 6


def test_moving_a_stop_to_another_carrier_is_a_change():
    assert route_changes([(("a", "b"), ("c",)), (("a",), ("b", "c"))]) == 2 * 2


# -- measurements on a street that can be checked on paper --------------------------------------


def test_week_on_a_straight_street_matches_the_hand_calculation():
    # Depot at x=0 on a 400 m street walked at 1 m/s. N is daily, 24 m up a garden path to his
    # milk box; W at x=300 is served on weekdays only and wants it by 05:10.
    index = street(400, speed=1.0)
    north = sub("N", 100, 5, kind="milk_box", spot_y=24)
    west = sub("W", 300, 5, days=WEEKDAYS, latest=5 * 3600 + 600)
    c = compare_disciplines(
        [north, west], Depot(*latlon(0, 0)), index, week_start=MONDAY, time_limit=1
    )
    walk_n = round(48 / 1.2 + 20)  # 2 x 24 m at walking speed, plus the milk box
    for key in ("curbside", "fixed", "daily"):
        a = c[key]
        assert [d.distance_m for d in a.days] == [600] * 5 + [200] * 2, key
        assert a.mean_distance_m == pytest.approx((5 * 600 + 2 * 200) / 7)
        assert a.route_changes == 0
        assert a.asked == 2  # N asks for a spot, W for a window
        assert [d.stops for d in a.days] == [2] * 5 + [1] * 2
    fixed = c["fixed"]
    assert fixed.days[0].duration_s == 600 + walk_n + 5  # W's curb drop takes 5 s
    assert fixed.days[5].duration_s == 200 + walk_n
    assert fixed.honoured == 2
    curb = c["curbside"]
    assert curb.days[0].duration_s == 600 + 5 + 5
    assert curb.days[5].walk_in_s == 5
    # N's milk box is not used; W's window is met by chance (arrival 05:05), still counted.
    assert curb.honoured == 1


def test_a_window_missed_by_the_curbside_carrier_is_not_honoured():
    index = street(400, speed=1.0)
    # E wants it no earlier than 05:20: the tailored carrier waits, the curbside one does not.
    early = sub("E", 100, 5, earliest=5 * 3600 + 1200)
    c = compare_disciplines([early], Depot(*latlon(0, 0)), index, week_start=MONDAY, time_limit=1)
    assert c["curbside"].honoured == 0
    assert c["fixed"].honoured == 1
    assert c["fixed"].days[0].duration_s == 1200 + 5 + 100  # wait at E, drop, walk back
    assert c["curbside"].days[0].duration_s == 100 + 5 + 100


def test_a_route_book_with_unknown_subscribers_is_refused():
    index = street(400)
    book_subs = [sub("A", 100, 5), sub("B", 200, 5)]
    from route.routebook.plan import PlanOptions, plan

    book = plan(book_subs, Depot(*latlon(0, 0)), index, PlanOptions(time_limit=1))
    with pytest.raises(ValueError, match="not given here"):
        compare_disciplines(
            book_subs[:1], Depot(*latlon(0, 0)), index, week_start=MONDAY, time_limit=1, book=book
        )


# -- the lesson on the real demo network ----------------------------------------------------------


@pytest.fixture(scope="module")
def demo():
    index = StreetIndex(load_network("demo", "walk"))
    subs = parse_subscribers(demo_rows(), source="demo").subscribers
    return subs, compare_disciplines(
        subs, DEMO_DEPOT, index, week_start=MONDAY, time_limit=2, seed=0
    )


def test_curbside_is_no_longer_than_the_fixed_route_with_preferences(demo):
    _, c = demo
    assert c["curbside"].mean_distance_m <= c["fixed"].mean_distance_m
    # Serving people their own way costs time at the spots, far beyond curb drops.
    assert c["curbside"].mean_walk_in_s < c["fixed"].mean_walk_in_s
    assert c["curbside"].mean_duration_s < c["fixed"].mean_duration_s


def test_preferences_honoured_none_curbside_all_on_the_fixed_route(demo):
    subs, c = demo
    asking = sum(1 for s in subs if s.spot.kind != "curb" or s.latest or s.earliest)
    assert c["curbside"].asked == c["fixed"].asked == asking > 50
    assert c["curbside"].honoured_pct == 0
    assert c["fixed"].honoured_pct == 100


def test_only_daily_re_optimisation_changes_the_route(demo):
    _, c = demo
    assert c["fixed"].route_changes == 0
    assert c["curbside"].route_changes == 0
    assert c["daily"].route_changes > 0


def test_each_day_serves_exactly_the_scheduled_subscribers_in_route_book_order(demo):
    subs, c = demo
    book_order = c.book.order
    for a in c.approaches:
        for day in a.days:
            scheduled = {s.id for s in subs if day.date.weekday() in s.days}
            served = [i for o in day.orders for i in o]
            assert sorted(served) == sorted(scheduled), (a.key, day.date)
    for day in c["fixed"].days:
        served = [i for o in day.orders for i in o]
        assert served == [i for i in book_order if i in set(served)]
    # Sunday has the fewest subscribers: the fixed route bypasses the others.
    assert c["fixed"].days[6].distance_m < c["fixed"].days[0].distance_m


def test_table_lists_every_approach_with_its_numbers(demo):
    _, c = demo
    table = c.table()
    lines = table.splitlines()
    assert "km/day" in lines[1]
    for a, line in zip(c.approaches, lines[3:6], strict=True):
        assert f"{a.mean_distance_m / 1000:.2f}" in line
        assert f"{a.honoured_pct:.0f}%" in line
        assert line.rstrip().endswith(str(a.route_changes))


def test_route_changes_with_an_empty_carrier_route():
    # A carrier with nothing to deliver one day: no successors, and no crash.
    assert route_changes([(("a", "b"), ()), (("a", "b"), ())]) == 0
    assert route_changes([(("a", "b"), ()), (("a",), ("b",))]) == 2 * 2
