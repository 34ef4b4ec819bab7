"""The day: invariants 2 and 3 over random routes, supplies, holds and policies, and the story."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from route.constants import TIERS
from route.day.history import history_from_ledger
from route.day.run import run_day
from route.model.day import Complaint, Day, DayInputs, History, Hold
from route.model.policy import SPARE, Policy
from tests._daykit import book, sub

MONDAY = date(2024, 6, 3)
PRODUCTS = ("paper", "tabloid", "weekly")


def route_part(day: Day) -> list[tuple[int, str]]:
    return [(s.carrier, s.id) for s in day.stops if s.action != "redeliver"]


def book_part(b) -> list[tuple[int, str]]:
    return [(r.carrier, s.subscriber_id) for r in b.routes for s in r.stops]


def options(s, policy: Policy) -> set[str]:
    return {s.product, *s.substitutes} if policy.substitutes else {s.product}


@st.composite
def scenarios(draw):
    n = draw(st.integers(1, 12))
    subs = []
    for i in range(n):
        product = draw(st.sampled_from(PRODUCTS))
        others = [p for p in PRODUCTS if p != product]
        subst = draw(st.lists(st.sampled_from(others), unique=True, max_size=2))
        days = draw(st.sets(st.integers(0, 6), min_size=1))
        subs.append(
            sub(
                f"s{i}",
                draw(st.sampled_from(TIERS)),
                product=product,
                quantity=draw(st.integers(1, 2)),
                substitutes=subst,
                days=sorted(days),
                rain=draw(st.sampled_from(["", "bag", "screen_door"])),
            )
        )
    ids = [s.id for s in subs]
    ids = draw(st.permutations(ids))
    cut = draw(st.integers(0, n))
    order = [ids[:cut], ids[cut:]] if draw(st.booleans()) else [ids]
    b = book([o for o in order if o] or [[]])
    day = MONDAY + timedelta(days=draw(st.integers(0, 6)))
    supply = {p: draw(st.integers(0, 8)) for p in PRODUCTS if draw(st.booleans())}
    late = {p: draw(st.integers(0, 3)) for p in PRODUCTS if draw(st.booleans())}
    holds = tuple(
        Hold(s.id, day - timedelta(days=draw(st.integers(0, 2))), None)
        for s in subs
        if draw(st.integers(0, 4)) == 0
    )
    kinds = ("missed", "wet", "damaged", "wrong_spot")
    complaints = tuple(
        Complaint(s.id, draw(st.sampled_from(kinds))) for s in subs if draw(st.integers(0, 4)) == 0
    )
    forgo = tuple(draw(st.permutations(["household", "sample", "complimentary"])))
    forgo = forgo[: draw(st.integers(0, 3))]
    taken = forgo[: draw(st.integers(0, len(forgo)))]
    policy = Policy(forgo=forgo, substitutes=draw(st.booleans()), replacement_from=(SPARE, *taken))
    shorted = {
        s.id: ((day - timedelta(days=1)).isoformat(),) for s in subs if draw(st.integers(0, 3)) == 0
    }
    history = History(shorted=shorted, previous_date=(day - timedelta(days=1)).isoformat())
    weather = draw(st.sampled_from(["clear", "rain", "snow"]))
    inputs = DayInputs(supply, late, holds, complaints, weather)
    return b, subs, day, inputs, policy, history


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_day_invariants(scenario):
    b, subs, day_date, inputs, policy, history = scenario
    day = run_day(b, subs, day_date, inputs, policy, history)
    by_id = {s.id: s for s in subs}

    # Invariant 2: route-book order, every stop exactly once; redeliveries only added.
    assert route_part(day) == book_part(b)
    assert all(
        s.action in ("deliver", "deliver_substitute", "skip", "short", "redeliver")
        for s in day.stops
    )

    # Invariant 3: never more than the supply (both deliveries) of any product.
    available = {p: day.supply.get(p, 0) + inputs.late.get(p, 0) for p in PRODUCTS}
    for p, n in day.handed_out().items():
        assert n <= available[p], (p, n, available)

    # Nobody gets a product they did not order or accept (never a refused substitute).
    for s in day.stops:
        assert set(s.items) <= options(by_id[s.id], policy)
        if s.action == "skip":
            assert not s.items

    # Scheduled and held subscribers are skipped, with the reason; the rest are not.
    for s in day.stops:
        if s.action == "redeliver":
            continue
        sb = by_id[s.id]
        off = day_date.weekday() not in sb.days or any(
            h.subscriber_id == s.id and h.covers(day_date) for h in inputs.holds
        )
        assert (s.action == "skip") == off
        assert (s.action == "skip") <= bool(s.reason)

    # The policy order: a rotated-tier subscriber goes short only when no forgo-tier
    # subscriber and no replacement got anything they would have taken, and nothing is spare.
    regular = [s for s in day.stops if s.action != "skip" and s.action != "redeliver"]
    missing = {s.id: by_id[s.id].quantity - sum(s.items.values()) for s in regular}
    for s in regular:
        sb = by_id[s.id]
        if missing[s.id] <= 0:
            continue
        wanted = options(sb, policy)
        if sb.tier in policy.rotated:
            for o in day.stops:
                if o.action == "redeliver" or by_id[o.id].tier in policy.forgo:
                    assert not (set(o.items) & wanted), (s, o)
            for p in wanted:
                assert day.handed_out().get(p, 0) == available[p]
        else:
            rank = policy.forgo.index(sb.tier)
            for o in regular:
                t = by_id[o.id].tier
                if t in policy.forgo and policy.forgo.index(t) < rank:
                    assert not (set(o.items) & wanted), (s, o)

    # Credits go to the credited tiers, one per copy short.
    for s in regular:
        expect = missing[s.id] if by_id[s.id].tier in policy.credit_tiers else 0
        assert s.credit == expect

    # Nobody shorted two days running while a rotated subscriber not shorted yesterday got a
    # copy they could have had (same tier group, single copies).
    for s in regular:
        sb = by_id[s.id]
        if (
            sb.tier in policy.rotated
            and missing[s.id] > 0
            and sb.quantity == 1
            and s.id in history.shorted
        ):
            for o in regular:
                ob = by_id[o.id]
                if (
                    ob.tier in policy.rotated
                    and o.id not in history.shorted
                    and ob.quantity == 1
                    and set(o.items) & options(sb, policy)
                ):
                    raise AssertionError(f"{s.id} shorted again while {o.id} was not")


# -- the story ----------------------------------------------------------------------------------


def story():
    subs = [
        sub("p1", name="Mr North"),
        sub("p2", name="Mr Lindqvist"),
        sub("p3"),
        sub("h4", "household", name="Our own household"),
        sub("p5"),
        sub("c6", "complimentary"),
    ]
    return book([s.id for s in subs]), subs


def test_one_paper_short_the_household_goes_without_and_no_customer_notices():
    b, subs = story()
    day = run_day(b, subs, MONDAY, DayInputs(supply={"paper": 5}), Policy())
    actions = {s.id: s.action for s in day.stops}
    assert actions.pop("h4") == "short"
    assert set(actions.values()) == {"deliver"}
    assert day.totals["credits"] == 0
    assert route_part(day) == book_part(b)
    assert [e.kind for e in day.ledger if e.subscriber_id == "h4"] == ["short"]


def test_a_wet_paper_is_replaced_by_the_household_copy():
    b, subs = story()
    day = run_day(
        b, subs, MONDAY, DayInputs(complaints=(Complaint("p2", "wet", "soaked"),)), Policy()
    )
    assert route_part(day) == book_part(b)
    redeliver = [s for s in day.stops if s.action == "redeliver"]
    assert [(s.id, s.items) for s in redeliver] == [("p2", {"paper": 1})]
    # Placed right after Mr Lindqvist's own stop, nobody else moved.
    ids = [s.id for s in day.stops]
    assert ids[ids.index("p2") + 1] == "p2"
    assert {s.id: s.action for s in day.stops}["h4"] == "short"
    assert day.totals["redelivered"] == 1
    assert day.totals["shorted"] == 1
    assert any(e.kind == "redeliver" and e.subscriber_id == "p2" for e in day.ledger)


def ledger_rows(days: list[Day]):
    rows, seq = [], 0
    for d in days:
        for e in d.ledger:
            seq += 1
            rows.append((seq, e.date, e.subscriber_id, e.kind, e.product, e.detail))
    return rows


def test_two_short_days_in_a_row_short_different_paying_subscribers():
    b, subs = story()
    # The household and the complimentary copy are away: only paying subscribers are left.
    holds = (Hold("h4", MONDAY), Hold("c6", MONDAY))
    days: list[Day] = []
    shorted = []
    for k in range(4):
        d = MONDAY + timedelta(days=k)
        history = history_from_ledger(ledger_rows(days), d.isoformat(), [x.date for x in days])
        day = run_day(b, subs, d, DayInputs(supply={"paper": 3}, holds=holds), Policy(), history)
        days.append(day)
        shorted.append({s.id for s in day.stops if s.action == "short"})
        assert all(s.credit == 1 for s in day.stops if s.action == "short")
    assert all(len(s) == 1 for s in shorted)
    for a, c in itertools.pairwise(shorted):
        assert not (a & c), shorted
    # Four paying subscribers, four short days: each one once.
    assert set().union(*shorted) == {"p1", "p2", "p3", "p5"}


def test_wrong_spot_is_shown_on_the_next_days_sheet_once():
    b, subs = story()
    d1 = run_day(
        b, subs, MONDAY, DayInputs(complaints=(Complaint("p3", "wrong_spot", "lawn"),)), Policy()
    )
    assert d1.wrong_spot_notes == ({"id": "p3", "note": "lawn"},)
    tue = MONDAY + timedelta(days=1)
    h = history_from_ledger(ledger_rows([d1]), tue.isoformat(), [d1.date])
    d2 = run_day(b, subs, tue, DayInputs(), Policy(), h)
    stop = next(s for s in d2.stops if s.id == "p3")
    assert "wrong spot: lawn" in stop.instructions
    wed = MONDAY + timedelta(days=2)
    h = history_from_ledger(ledger_rows([d1, d2]), wed.isoformat(), [d1.date, d2.date])
    d3 = run_day(b, subs, wed, DayInputs(), Policy(), h)
    assert "wrong spot" not in next(s for s in d3.stops if s.id == "p3").instructions


def test_rain_applies_each_subscribers_rule():
    subs = [sub("a1", rain="bag"), sub("b2", rain="screen_door"), sub("c3")]
    b = book([s.id for s in subs])
    clear = run_day(b, subs, MONDAY, DayInputs(), Policy())
    rain = run_day(b, subs, MONDAY, DayInputs(weather="rain"), Policy())
    by = {s.id: s for s in rain.stops}
    assert "bag it" in by["a1"].instructions
    assert by["a1"].spot == "porch"
    assert by["b2"].spot == "screen_door"
    assert "screen door" in by["b2"].instructions
    assert by["c3"].instructions == "porch of c3"
    assert rain.duration_s > clear.duration_s
    assert rain.distance_m == clear.distance_m


def test_skipped_stops_are_bypassed_and_late_copies_make_a_catch_up_pass():
    subs = [sub(f"p{i}") for i in range(1, 6)]
    b = book([s.id for s in subs])
    full = run_day(b, subs, MONDAY, DayInputs(), Policy())
    assert full.distance_m == b.distance_m
    assert full.duration_s == b.duration_s

    def metric(a, c):  # a street grid where skipping the middle stop saves a detour
        pos = {None: 0, "p1": 1, "p2": 2, "p3": 30, "p4": 3, "p5": 4}
        return abs(pos[a] - pos[c]) * 100, abs(pos[a] - pos[c]) * 60

    held = DayInputs(holds=(Hold("p3", MONDAY, MONDAY),))
    with_p3 = run_day(b, subs, MONDAY, DayInputs(), Policy(), travel=metric)
    without = run_day(b, subs, MONDAY, held, Policy(), travel=metric)
    assert without.distance_m < with_p3.distance_m

    short = run_day(b, subs, MONDAY, DayInputs(supply={"paper": 3}, late={"paper": 2}), Policy())
    late = [s for s in short.stops if s.late]
    assert len(late) == 2
    assert all(s.action == "deliver" for s in late)
    assert short.totals["shorted"] == 0
    assert short.totals["late"] == 2
    assert [x["id"] for x in short.late["stops"]] == [s.id for s in late]  # route order
    assert short.distance_m > full.distance_m  # the second pass costs a trip


def test_day_json_round_trips():
    b, subs = story()
    day = run_day(
        b,
        subs,
        MONDAY,
        DayInputs(supply={"paper": 4}, complaints=(Complaint("p1", "missed"),)),
        Policy(),
    )
    again = Day.from_dict(__import__("json").loads(day.to_json()))
    assert again == day
    data = day.to_dict()
    for key in ("date", "route_version", "supply", "stops", "totals", "distance_m", "duration_s"):
        assert key in data
    assert set(data["stops"][0]) >= {
        "seq",
        "carrier",
        "id",
        "action",
        "product",
        "spot",
        "instructions",
        "reason",
    }
    assert set(data["totals"]) >= {
        "delivered",
        "substituted",
        "skipped",
        "shorted",
        "redelivered",
        "credits",
    }


def test_a_paying_replacement_comes_before_complimentary_and_sample_copies():
    subs = [sub("p1"), sub("p2"), sub("h3", "household"), sub("c4", "complimentary"),
            sub("s5", "sample"), sub("p6")]  # fmt: skip
    b = book([s.id for s in subs])
    wet = (Complaint("p2", "wet", "soaked"),)
    # Seven copies wanted (six and a replacement), five arrive: two go without.
    day = run_day(b, subs, MONDAY, DayInputs(supply={"paper": 5}, complaints=wet), Policy())
    actions = {s.id: s.action for s in day.stops if s.action != "redeliver"}
    assert [s.id for s in day.stops if s.action == "redeliver"] == ["p2"]
    assert (actions["h3"], actions["s5"], actions["c4"]) == ("short", "short", "deliver")
    assert day.unreplaced == ()
    # The late bundle too: the three paying copies take the morning supply, and the one late
    # copy is the replacement's, not the complimentary or the sample copy's.
    day = run_day(
        b, subs, MONDAY, DayInputs(supply={"paper": 3}, late={"paper": 1}, complaints=wet),
        Policy(),
    )  # fmt: skip
    assert [(s.id, s.action) for s in day.stops if s.late] == [("p2", "redeliver")]
    assert {s.id for s in day.stops if s.action == "short"} == {"h3", "c4", "s5"}
    # The policy file can put the replacement after the household only, as before.
    old = Policy(replacement_from=(SPARE, "household"))
    day = run_day(b, subs, MONDAY, DayInputs(supply={"paper": 5}, complaints=wet), old)
    actions = {s.id: s.action for s in day.stops if s.action != "redeliver"}
    assert not [s for s in day.stops if s.action == "redeliver"]
    assert (actions["h3"], actions["s5"], actions["c4"]) == ("short", "deliver", "deliver")
    assert [(u["id"], u["credit"]) for u in day.unreplaced] == [("p2", 1)]
