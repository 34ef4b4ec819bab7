"""What a carrier carries: the day's sheet and map (late pass, stops passed by, changes, waits),
and the plan's sheet and map with waiting and the advice to leave later."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from dataclasses import replace

import folium

from route.day.run import run_day
from route.day.travel import day_metric
from route.model.day import Complaint, DayInputs, Hold
from route.model.policy import Policy
from route.model.subscriber import format_duration
from route.output.export import export_features
from route.output.layers import Panel, StopLayer
from route.output.maps import day_map, plan_map
from route.output.sheet import route_sheet, sheet_csv, sheet_rows
from route.output.sheet_page import sheet_html
from tests._gridbook import clock, grid_book, subscribers
from tests.test_day import MONDAY

XHTML = "{http://www.w3.org/1999/xhtml}"
IDS = [f"s{i}" for i in range(8)]


def parse(page: str) -> ET.Element:
    return ET.fromstring(page.split("\n", 1)[1])


def text(el: ET.Element) -> str:
    return "".join(el.itertext())


def by_class(root: ET.Element, tag: str, cls: str) -> list[ET.Element]:
    return [e for e in root.iter(f"{XHTML}{tag}") if cls in (e.get("class") or "").split()]


def windowed():
    """Eight stops east of the depot; stop 2 (s1) opens at 05:30, reached at about 05:05."""
    windows = {"s1": (clock("05:30"), clock("06:30"))}
    points = [(100 * (i + 1), 0) for i in range(8)]
    book, street = grid_book(points, dict.fromkeys(IDS, 30), windows, [IDS])
    extra = {"s0": {"rain": "bag"}, "s3": {"tier": "household"}, "s6": {"days": range(5)}}
    return book, street, subscribers(8, windows, **extra)


def hard_day(book, street, subs, **kw):
    inputs = DayInputs(
        supply={"paper": 3},
        late={"paper": 2},
        holds=(Hold("s4", MONDAY), Hold("s5", MONDAY)),
        complaints=(Complaint("s2", "wet"),),
        **kw,
    )
    return run_day(
        book, subs, MONDAY.replace(day=8), inputs, Policy(), travel=day_metric(book, street)
    )


def test_plan_sheet_shows_the_wait_and_when_to_leave_instead():
    book, _, subs = windowed()
    root = parse(sheet_html(route_sheet(book, subs)))
    stop2 = root.find(f".//{XHTML}tr[@id='stop-1-2']")
    assert "wait 26 min" in text(stop2)
    advice = by_class(root, "p", "advice")
    [c] = route_sheet(book, subs).carriers
    assert [text(a) for a in advice] == [
        "Leave at 05:26 instead of 05:00: 26 min less waiting, every window still kept, "
        f"back at {dict(c.facts)['Back']} as planned"
    ]
    facts = {text(d[0]): text(d[1]) for d in by_class(root, "dl", "facts")[0]}
    assert facts["Waiting"] == "26 min"
    assert facts["All items"] == "paper 8"
    # Each subscriber's days, and the rain rule once.
    assert "Mon-Fri" in text(root.find(f".//{XHTML}tr[@id='stop-1-7']"))
    assert text(root.find(f".//{XHTML}tr[@id='stop-1-1']")).count("bag it") == 1


def test_day_sheet_lists_the_late_pass_and_collapses_the_stops_passed_by():
    book, street, subs = windowed()
    day = hard_day(book, street, subs)
    root = parse(sheet_html(route_sheet(book, subs, day, depot_name="Kiosk")))
    [section] = by_class(root, "section", "carrier")
    late_rows = [tr for t in by_class(section, "table", "late") for tr in by_class(t, "tr", "stop")]
    late = [s for s in day.stops if s.late]
    assert late, "the day has a late pass"
    assert [tr.get("id").split("-")[2] for tr in late_rows] == [str(s.seq) for s in late]
    assert "Late pass" in text(by_class(section, "h3", "late")[0])
    # The morning list holds the morning visits only, in order.
    [morning] = [t for t in section.iter(f"{XHTML}table") if t.get("class") == "stops"][:1]
    morning_ids = [tr.get("id") for tr in by_class(morning, "tr", "stop")]
    expected = [s for s in day.stops if s.visited and not s.late]
    assert len(morning_ids) == len(expected)
    # One line per reason for the stops passed by, with their rows behind the toggle.
    groups = {
        text(d.find(f"{XHTML}summary")).split(" (")[0]: d for d in section.iter(f"{XHTML}details")
    }
    assert set(groups) >= {"On hold", "Short today: no copy"}
    assert len(by_class(groups["On hold"], "tr", "stop")) == 2
    passed = [s for s in day.stops if not s.visited]
    assert sum(len(by_class(d, "tr", "stop")) for d in groups.values()) == len(passed)
    # Times and waits of that day.
    for s, tr in zip(expected, by_class(morning, "tr", "stop"), strict=True):
        assert s.arrival in text(tr)
    page_text = text(root)
    assert "from Kiosk" in page_text
    assert "None today." in page_text  # no changes given


def test_day_sheet_puts_the_days_changes_first_and_says_the_rain_rule_once():
    book, street, subs = windowed()
    day = hard_day(book, street, subs, weather="rain")
    changes = (
        {"kind": "back_from_hold", "id": "s6", "note": "away since 1 June"},
        {"kind": "start", "id": "s7"},
        {"kind": "new_spot", "id": "s0", "spot": "milk box"},
    )
    root = parse(sheet_html(route_sheet(book, subs, replace(day, changes=changes))))
    [box] = by_class(root, "section", "changes")
    items = [text(li) for li in box.iter(f"{XHTML}li")]
    assert items == [
        "Back from hold: Name s6 (s6): away since 1 June",
        "Start: Name s7 (s7)",
        "New spot: Name s0 (s0): milk box",
    ]
    # The changes come before every carrier's list.
    order = [e for e in root.iter() if e.tag == f"{XHTML}section"]
    assert order[0] is box
    [row] = [tr for tr in by_class(root, "tr", "stop") if tr.get("id").startswith("stop-1-1")]
    assert text(row).count("bag it") == 1  # s0 bags it in the rain, said once
    assert "Rain today" in text(root)


def test_sheet_csv_carries_the_days_times_waits_and_passes():
    book, street, subs = windowed()
    day = hard_day(book, street, subs)
    rows = sheet_rows(book, subs, day)
    assert [r.time for r in rows] == [s.arrival or "" for s in day.stops]
    assert [r.late for r in rows] == [s.late for s in day.stops]
    assert [r.wait_s for r in rows] == [s.wait_s for s in day.stops]
    header = next(csv.reader(io.StringIO(sheet_csv(rows))))
    assert {"time", "usual", "days", "wait_s", "late", "group"} <= set(header)


def _layers(m: folium.Map, kind: type) -> list:
    out, todo = [], [m]
    while todo:
        node = todo.pop()
        if isinstance(node, kind):
            out.append(node)
        todo.extend(node._children.values())
    return out


def test_day_map_draws_the_late_pass_in_its_own_layer_and_style():
    book, street, subs = windowed()
    day = hard_day(book, street, subs)
    m = day_map(book, subs, day, tiles=False)
    groups = [g for g in _layers(m, folium.FeatureGroup) if g.layer_name.startswith("Late pass")]
    late = [s for s in day.stops if s.late and s.visited]
    assert [g.layer_name for g in groups] == [f"Late pass: {len(late)} stops after the late bundle"]
    [late_layer] = _layers(groups[0], StopLayer)
    assert [r[2] for r in late_layer.rows] == [f"L{k}" for k in range(1, len(late) + 1)]
    assert {r[7] for r in late_layer.rows} == {"pr-late"}
    lines = _layers(groups[0], folium.PolyLine)
    assert [ln.options.get("dashArray") for ln in lines] == ["6 8"]  # the order, not streets
    main_rows = [
        r for layer in _layers(m, StopLayer) if layer is not late_layer for r in layer.rows
    ]
    assert len(main_rows) + len(late_layer.rows) == len(day.stops)  # every visit drawn once
    [panel] = _layers(m, Panel)
    c = day.carriers[0]
    assert f'<td>Hours</td><td class="n">{format_duration(c.duration_s)}</td>' in panel.html
    assert f'<td>Leave</td><td class="n">{c.late_start}</td>' in panel.html  # the late pass
    assert f'<td>Back</td><td class="n">{c.late_end}</td>' in panel.html
    # With the streets' path given, the pass follows it.
    path = {1: [(60.17, 24.94), (60.171, 24.941), (60.17, 24.94)]}
    m = day_map(book, subs, day, tiles=False, late_path=path)
    [line] = [ln for g in _layers(m, folium.FeatureGroup) if g.layer_name.startswith("Late")
              for ln in _layers(g, folium.PolyLine)]  # fmt: skip
    assert line.locations == [[60.17, 24.94], [60.171, 24.941], [60.17, 24.94]]


def test_plan_map_rings_the_stop_with_a_wait_and_gives_the_advice():
    book, _, subs = windowed()
    m = plan_map(book, subs, tiles=False)
    [stops] = _layers(m, StopLayer)
    assert [r[7] for r in stops.rows] == ["", "pr-wait", "", "", "", "", "", ""]
    assert "waits 26 min for the window" in stops.rows[1][4]
    [panel] = _layers(m, Panel)
    assert "Leave at 05:26 instead of 05:00" in panel.html


def test_day_export_carries_that_days_arrival_wait_and_pass():
    book, street, subs = windowed()
    day = hard_day(book, street, subs)
    stops = export_features(book, subs, day)["stops"]
    # One feature per action of the day, in the day's order (a redelivery is its own).
    for f, s in zip(stops, day.stops, strict=True):
        p = f["properties"]
        assert (p["id"], p["action"]) == (s.id, s.action)
        assert p["arrival"] == (s.arrival or "")
        assert (p["wait_s"], p["late"]) == (s.wait_s, s.late)
