"""The day as it really is: arrivals and waits for that day's visits, per-carrier totals, the
late pass, and leaving later when that avoids waiting; on books whose streets are known."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from route.day.run import run_day
from route.day.travel import day_metric
from route.model.day import Complaint, DayInputs, Hold
from route.model.policy import Policy
from route.model.subscriber import DeliverySpot, format_clock
from route.routebook.timing import departure_slack, plan_carriers, route_waits
from tests._daykit import sub as make_sub
from tests._gridbook import START, clock, grid_book, subscribers

MONDAY = date(2024, 6, 3)


def visits(day, carrier):
    """A carrier's visits in the order they are made: the morning pass, then the late pass."""
    mine = [s for s in day.stops if s.carrier == carrier and s.visited]
    return [s for s in mine if not s.late] + [s for s in mine if s.late]


@st.composite
def grid_days(draw):
    n = draw(st.integers(2, 10))
    points = [(draw(st.integers(0, 600)), draw(st.integers(0, 600))) for _ in range(n)]
    walk_s = {f"s{i}": draw(st.integers(5, 90)) for i in range(n)}
    windows = {}
    for i in range(n):
        if draw(st.integers(0, 3)) == 0:
            e = START + draw(st.integers(0, 3000))
            windows[f"s{i}"] = (e, e + draw(st.integers(600, 3600)))
    ids = [f"s{i}" for i in draw(st.permutations(range(n)))]
    cut = draw(st.integers(1, n))
    carriers = [ids[:cut], ids[cut:]] if draw(st.booleans()) and cut < n else [ids]
    book, street = grid_book(points, walk_s, windows, carriers)
    day = MONDAY + timedelta(days=draw(st.integers(0, 6)))
    holds = tuple(Hold(s, day) for s in ids if draw(st.integers(0, 3)) == 0)
    tiers = {f"s{i}": {"tier": draw(st.sampled_from(("paying", "household", "sample")))}
             for i in range(n)}  # fmt: skip
    supply = {"paper": draw(st.integers(0, n))} if draw(st.booleans()) else {}
    late = {"paper": draw(st.integers(0, 3))} if supply and draw(st.booleans()) else {}
    complaints = tuple(Complaint(s, "wet") for s in ids if draw(st.integers(0, 5)) == 0)
    inputs = DayInputs(supply, late, holds, complaints, draw(st.sampled_from(("clear", "rain"))))
    return book, street, subscribers(n, windows, **tiers), day, inputs


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(grid_days())
def test_arrivals_follow_the_days_visits_and_totals_add_up(case):
    book, street, subs, on, inputs = case
    day = run_day(book, subs, on, inputs, Policy(), travel=day_metric(book, street))
    plan = {s.subscriber_id: s.arrival_s for r in book.routes for s in r.stops}
    by_id = {s.id: s for s in subs}
    assert len(day.carriers) == len(book.routes)
    for c in day.carriers:
        seq = visits(day, c.carrier)
        times = [clock(s.arrival) for s in seq]
        # Non-decreasing along the carrier's visits, never before leaving or after coming back.
        assert times == sorted(times)
        assert all(c.start <= s.arrival <= c.end for s in seq)
        assert c.stops == len(seq)
        assert c.late_stops == sum(s.late for s in seq)
        # Nobody is reached before their window opens; a wait is exactly what that takes.
        for s in seq:
            e = by_id[s.id].earliest
            if e is not None:
                assert clock(s.arrival) >= e - 30
            assert s.wait_s >= 0
            assert (s.wait_s > 0) <= (e is not None)
        # Skipped stops are bypassed: before the first redelivery, never later than the plan.
        for s in seq:
            if s.action == "redeliver" or s.late:
                break
            assert clock(s.arrival) <= plan[s.id] + 30, (s, format_clock(plan[s.id]))
        # The bag holds what the morning pass hands out.
        bag: dict[str, int] = {}
        for s in seq:
            if not s.late:
                for p, k in s.items.items():
                    bag[p] = bag.get(p, 0) + k
        assert dict(c.pieces) == bag
        assert c.late_distance_m <= c.distance_m
    assert day.distance_m == sum(c.distance_m for c in day.carriers)
    assert day.duration_s == sum(c.duration_s for c in day.carriers)
    for s in day.stops:
        assert (s.arrival is None) == (not s.visited)
    assert day.late.get("distance_m", 0) == sum(c.late_distance_m for c in day.carriers)


def test_an_all_present_day_is_the_route_book_to_the_second():
    windows = {"s1": (clock("05:30"), clock("06:00"))}
    book, street = grid_book([(60, 0), (360, 0), (420, 0)], {"s0": 60, "s1": 60, "s2": 60},
                             windows, [["s0", "s1", "s2"]])  # fmt: skip
    subs = subscribers(3, windows)
    day = run_day(book, subs, MONDAY, DayInputs(), Policy(), travel=day_metric(book, street))
    assert [s.arrival for s in day.stops] == [
        format_clock(s.arrival_s) for s in book.routes[0].stops
    ]
    assert (day.distance_m, day.duration_s) == (book.distance_m, book.duration_s)
    assert plan_carriers(book, {s.id: s for s in subs}) == day.carriers


def test_waiting_for_a_window_is_shown_and_leaving_later_avoids_it():
    # Stop 1 at 05:01, a 5-minute leg to stop 2 whose window opens at 05:30: 23 min waiting.
    windows = {"s1": (clock("05:30"), clock("06:00"))}
    book, _ = grid_book([(60, 0), (360, 0), (420, 0)], {"s0": 60, "s1": 60, "s2": 60},
                        windows, [["s0", "s1", "s2"]])  # fmt: skip
    assert [format_clock(s.arrival_s) for s in book.routes[0].stops] == ["05:01", "05:30", "05:32"]
    waits = route_waits(book.routes[0].stops, book.start_s)
    assert [w for _, w in waits] == [0, 23 * 60, 0]
    [c] = plan_carriers(book, {s.id: s for s in subscribers(3, windows)})
    assert c.wait_s == 23 * 60
    assert (c.leave_at, c.avoidable_wait_s) == ("05:23", 23 * 60)
    day = run_day(book, subscribers(3, windows), MONDAY, DayInputs(), Policy())
    assert [s.wait_s for s in day.stops] == [0, 23 * 60, 0]
    assert day.carriers[0].leave_at == "05:23"


def test_leaving_later_never_breaks_a_window_before_the_wait():
    # Stop 1 must be reached by 05:05: leaving later than 05:04 would break it.
    assert departure_slack([(START + 60, 0, START + 300), (START + 420, 1380, None)]) == 240
    # No window ends before the wait: the whole wait can be avoided.
    assert departure_slack([(START + 60, 0, None), (START + 420, 1380, None)]) == 1380
    # Already late at the first stop: leaving later would make it worse.
    assert departure_slack([(START + 600, 0, START + 300), (START + 900, 600, None)]) == 0
    # A second wait is absorbed after the first: both count.
    assert departure_slack([(START, 300, None), (START + 900, 200, None)]) == 500
    assert departure_slack([]) == 0


def test_the_late_pass_starts_when_the_morning_pass_is_back_and_goes_in_route_order():
    ids = ["s0", "s1", "s2", "s3"]
    book, street = grid_book([(100, 0), (200, 0), (300, 0), (400, 0)],
                             dict.fromkeys(ids, 30), {}, [ids])  # fmt: skip
    subs = subscribers(4, {})
    inputs = DayInputs(supply={"paper": 2}, late={"paper": 2})
    day = run_day(book, subs, MONDAY, inputs, Policy(), travel=day_metric(book, street))
    late = [s for s in day.stops if s.late]
    assert len(late) == 2
    assert [x["id"] for x in day.late["stops"]] == [s.id for s in late]
    [c] = day.carriers
    assert c.late_stops == 2
    morning_back = max(clock(s.arrival) for s in day.stops if s.visited and not s.late)
    assert c.late_start >= format_clock(morning_back)
    assert all(s.arrival >= c.late_start for s in late)
    assert c.end == c.late_end
    assert dict(c.pieces) == {"paper": 2}
    assert dict(c.late_pieces) == {"paper": 2}
    # Two passes walk farther than one.
    full = run_day(book, subs, MONDAY, DayInputs(), Policy(), travel=day_metric(book, street))
    assert day.distance_m > full.distance_m


def test_rain_costs_the_bagging_seconds_at_the_stops_that_bag():
    ids = ["s0", "s1", "s2"]
    book, _street = grid_book([(100, 0), (200, 0), (300, 0)], dict.fromkeys(ids, 30), {}, [ids])
    subs = [make_sub("s0", rain="bag"), make_sub("s1"), make_sub("s2")]
    dry = run_day(book, subs, MONDAY, DayInputs(), Policy())
    wet = run_day(book, subs, MONDAY, DayInputs(weather="rain"), Policy())
    assert wet.duration_s - dry.duration_s == 5  # RAIN_BAG_S at one stop
    assert wet.stops[0].arrival == dry.stops[0].arrival


def test_a_rain_spot_takes_its_own_handling_time():
    ids = ["s0"]
    book, _ = grid_book([(100, 0)], {"s0": 30}, {}, [ids])
    porch = make_sub("s0", rain="screen_door")
    wet = run_day(book, [porch], MONDAY, DayInputs(weather="rain"), Policy())
    dry = run_day(book, [porch], MONDAY, DayInputs(), Policy())
    assert wet.duration_s - dry.duration_s == 25 - 10  # screen door instead of the porch
    fixed = replace(porch, spot=DeliverySpot("porch", 60.17, 24.94, "", "screen_door"),
                    service_s=12.0)  # fmt: skip
    assert run_day(book, [fixed], MONDAY, DayInputs(weather="rain"), Policy()).duration_s == (
        dry.duration_s
    )
