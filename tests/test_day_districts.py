"""A distributor's day: one run covers every district, the supply is split across districts
by the shortage policy at depot level, and the per-district totals add up to the day's."""

from __future__ import annotations

import json
from datetime import date

from route.day.run import run_day
from route.io.workspace import Workspace
from route.model.day import DayInputs
from tests._daykit import book, sub
from tests._wskit import day, make_workspace

D = date(2024, 6, 3)
NAMES = {1: "D01", 2: "D02"}
# D01: four paying subscribers. D02: two paying, a complimentary copy and the household's.
SUBS = [sub(f"p{i}") for i in range(1, 5)] + [
    sub("q5"),
    sub("q6"),
    sub("c7", "complimentary"),
    sub("h8", "household"),
]
ORDER = [["p1", "p2", "p3", "p4"], ["q5", "q6", "c7", "h8"]]


def _day(supply: int):
    return run_day(book(ORDER), SUBS, D, DayInputs(supply={"paper": supply}), districts=NAMES)


def test_the_forgo_tiers_of_one_district_go_without_before_anyone_elsewhere() -> None:
    d = _day(6)
    # Split by head count, each district would get 3; by the policy D02's complimentary copy
    # and the household's go first, so D01 gets all 4 and D02 its 2 paying.
    assert d.districts["D01"]["bundle"] == {"paper": 4}
    assert d.districts["D02"]["bundle"] == {"paper": 2}
    assert d.districts["D01"]["shorted"] == 0
    assert d.districts["D02"]["shorted"] == 2
    short = {s.id for s in d.stops if s.action == "short"}
    assert short == {"c7", "h8"}


def test_a_deeper_shortage_rotates_over_every_districts_paying_subscribers() -> None:
    d = _day(4)
    short = {s.id for s in d.stops if s.action == "short"}
    assert {"c7", "h8"} <= short
    assert len(short) == 4
    bundles = sum(r["bundle"].get("paper", 0) for r in d.districts.values())
    assert bundles == 4 == d.handed_out()["paper"]


def test_district_totals_add_up_to_the_day() -> None:
    for supply in (8, 6, 5, 3, 0):
        d = _day(supply)
        for key in ("delivered", "substituted", "skipped", "shorted", "redelivered", "credits"):
            assert sum(r[key] for r in d.districts.values()) == d.totals[key], (supply, key)
        assert sum(r["distance_m"] for r in d.districts.values()) == d.distance_m
        assert sum(r["bundle"].get("paper", 0) for r in d.districts.values()) <= supply
        assert [r["carrier"] for r in d.districts.values()] == [1, 2]


def test_without_districts_the_day_is_as_before() -> None:
    d = run_day(book(ORDER), SUBS, D, DayInputs(supply={"paper": 6}))
    assert d.districts == {}
    assert "districts" not in d.to_dict()


def test_day_json_and_the_summary_carry_the_districts(tmp_path, capsys) -> None:
    ws = make_workspace(tmp_path / "ws", SUBS, ORDER)
    with Workspace.open(ws) as w:
        w.save_districts({s.id: ("D01" if s.id[0] == "p" else "D02") for s in SUBS}, "test")
    capsys.readouterr()
    assert day(ws, "2024-06-03", "--supply", "paper=6") == 0
    out = capsys.readouterr().out
    assert "Per district (the supply split by the shortage policy at the depot):" in out
    assert "D02       2        paper 2" in out
    with Workspace.open(ws) as w:
        stored = json.loads(w.day_json("2024-06-03"))
    assert stored["districts"]["D01"]["bundle"] == {"paper": 4}
    assert stored["districts"]["D02"]["shorted"] == 2


def test_the_days_sheet_names_each_carriers_district_and_bundle() -> None:
    from route.output.sheet import route_sheet

    d = _day(6)
    sheet = route_sheet(book(ORDER), SUBS, d.to_dict())
    firsts = [c.facts[0] for c in sheet.carriers]
    assert firsts == [
        ("District", "D01: bundle paper 4, 0 shorted"),
        ("District", "D02: bundle paper 2, 2 shorted"),
    ]
