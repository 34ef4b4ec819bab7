"""The plan and day maps, tested by their state (layers, markers, bounds, popups)."""

from __future__ import annotations

import html
import re
from dataclasses import replace

import folium
import geopandas as gpd
import pytest
import shapely
from folium.plugins import MarkerCluster, PolyLineTextPath

from route.errors import InputError
from route.output.layers import Panel, SpotLayer, StopLayer, StreetLayer
from route.output.maps import CLUSTER_FROM, day_map, plan_map, street_lines
from route.output.offline import render_offline
from route.output.style import ACTION_STYLES, CARRIER_COLOURS, SPOT_ICONS
from tests.routes import DEPOT, make_day, make_route


def _all(element, kind):
    """Every descendant of ``element`` of a type, depth first, in drawing order."""
    found = []
    for child in element._children.values():
        if isinstance(child, kind):
            found.append(child)
        found.extend(_all(child, kind))
    return found


def _layer_names(m: folium.Map) -> list[str]:
    return [c.layer_name for c in m._children.values()
            if isinstance(c, folium.map.Layer) and c.control]  # fmt: skip


def test_plan_map_has_back_end_and_front_end_layers_and_one_layer_control_last() -> None:
    book, subs = make_route(12)
    m = plan_map(book, subs, streets=[[(60.17, 24.94), (60.171, 24.941)]])

    names = _layer_names(m)
    assert "Back end: the route and its stops" in names
    assert "Front end: delivery spots and walk-ins" in names
    assert "Streets (OpenStreetMap data)" in names
    assert "OpenStreetMap tiles (when online)" in names
    controls = _all(m, folium.LayerControl)
    assert len(controls) == 1
    assert list(m._children.values())[-2:][0] is controls[0]  # only fit_bounds after it


def test_one_numbered_stop_and_one_spot_per_subscriber_in_route_order() -> None:
    book, subs = make_route(12)
    m = plan_map(book, subs)

    [stops] = _all(m, StopLayer)
    [spots] = _all(m, SpotLayer)
    assert [r[2] for r in stops.rows] == list(range(1, 13))
    assert len(spots.rows) == 12
    by_id = {s.id: s for s in subs}
    for stop, row in zip(book.routes[0].stops, stops.rows, strict=True):
        assert row[:2] == [round(stop.curb_lat, 6), round(stop.curb_lon, 6)]
    for stop, row in zip(book.routes[0].stops, spots.rows, strict=True):
        sub = by_id[stop.subscriber_id]
        assert row[:4] == [
            round(sub.spot.lat, 6),
            round(sub.spot.lon, 6),
            round(stop.curb_lat, 6),
            round(stop.curb_lon, 6),
        ]  # walk-in ends
        assert row[4] == SPOT_ICONS[sub.spot.kind]


def test_popups_carry_name_address_spot_instructions_schedule_tier_and_hazard() -> None:
    book, subs = make_route(12)
    m = plan_map(book, subs)
    [spots] = _all(m, SpotLayer)
    sub = subs[3]  # has a hazard
    card = spots.rows[3][7]

    for text in (sub.name, sub.address, sub.spot.instructions, sub.schedule, sub.tier, sub.hazard,
                 "05:04"):  # fmt: skip
        assert html.escape(text) in card, text
    assert sub.hazard
    assert "⚠" in card
    assert "Hazard" not in spots.rows[0][7]  # no hazard row for a subscriber without one


def test_route_is_drawn_along_the_legs_with_direction_arrows_per_carrier() -> None:
    book, subs = make_route(20, carriers=2)
    m = plan_map(book, subs)

    lines = [p for p in _all(m, folium.PolyLine) if p.options.get("color") != "#ffffff"]
    assert [p.options["color"] for p in lines] == list(CARRIER_COLOURS[:2])
    arrows = _all(m, PolyLineTextPath)
    assert [a.polyline for a in arrows] == lines
    # The line passes through every curb point of its carrier (legs are joined, simplified
    # by at most about a metre, never replaced by straight lines).
    for r, line in zip(book.routes, lines, strict=True):
        drawn = shapely.LineString([(lon, lat) for lat, lon in line.locations])
        for s in r.stops:
            assert drawn.distance(shapely.Point(s.curb_lon, s.curb_lat)) < 2e-5
    [stops] = _all(m, StopLayer)
    assert {r[3] for r in stops.rows} == set(CARRIER_COLOURS[:2])


def test_bounds_cover_depot_stops_and_spots() -> None:
    book, subs = make_route(30)
    m = plan_map(book, subs)

    (lat0, lon0), (lat1, lon1) = m.get_bounds()
    for s in subs:
        assert lat0 <= s.spot.lat <= lat1
        assert lon0 <= s.spot.lon <= lon1
    assert lat0 <= DEPOT.lat <= lat1
    assert lon0 <= DEPOT.lon <= lon1
    [fit] = _all(m, folium.map.FitBounds)
    assert fit.bounds[0][0] == pytest.approx(lat0)
    assert fit.bounds[1][1] == pytest.approx(lon1)


def test_summary_box_reports_length_duration_stops_and_walk_in_share() -> None:
    book, subs = make_route(10)
    m = plan_map(book, subs)
    [panel] = _all(m, Panel)

    share = book.walk_in_s / book.duration_s
    assert f"{book.distance_m / 1000:.2f} km" in panel.html
    assert f"<b>{share:.0%}</b>" in panel.html
    assert "the cost of intimacy" in panel.html
    assert '<td class="n">10</td>' in panel.html
    assert "OpenStreetMap" in panel.html


def test_rendered_page_credits_openstreetmap_and_escapes_user_text() -> None:
    book, subs = make_route(3)
    evil = "</script><script>alert(1)</script>"
    subs[0] = replace(subs[0], name=evil, hazard="<b>x</b>")
    page = plan_map(book, subs).get_root().render()

    assert "© OpenStreetMap contributors" in html.unescape(page) or "&copy;" in page
    assert evil not in page
    assert "<b>x</b>" not in page


def test_unserved_subscribers_get_their_own_layer_with_the_reason() -> None:
    book, subs = make_route(5, unserved=2)
    m = plan_map(book, subs)

    assert "Not on the route (2)" in _layer_names(m)
    spots = _all(m, SpotLayer)
    assert len(spots) == 2
    assert len(spots[1].rows) == 2
    assert "1,200 m from the nearest street" in spots[1].rows[0][7]
    assert spots[1].rows[0][2] is None  # no walk-in for an unserved spot


def test_draws_on_a_given_map_and_keeps_one_layer_control() -> None:
    book, subs = make_route(5)
    m = folium.Map(tiles=None)
    assert plan_map(book, subs, m) is m
    assert plan_map(book, subs, m) is m
    assert len(_all(m, folium.LayerControl)) == 1
    assert len(_all(m, StopLayer)) == 2
    assert not _all(m, folium.TileLayer)  # the caller's tiles are left alone


def test_missing_subscriber_is_refused() -> None:
    book, subs = make_route(5)
    with pytest.raises(InputError, match="S0002"):
        plan_map(book, [s for s in subs if s.id != "S0002"])


def test_street_layer_from_polylines_and_from_a_projected_geodataframe() -> None:
    book, subs = make_route(5)
    near = [(60.1705, 24.9405), (60.1709, 24.9410), (60.1707, 24.9415)]
    far = [(61.0, 25.0), (61.001, 25.001)]  # outside the route's area: left out
    m = plan_map(book, subs, streets=[near, far])
    [layer] = _all(m, StreetLayer)
    assert layer.rows == [[list(p) for p in near]]

    gdf = gpd.GeoDataFrame(geometry=[shapely.LineString([(lon, lat) for lat, lon in near])],
                           crs="EPSG:4326").to_crs("EPSG:3067")  # fmt: skip
    m = plan_map(book, subs, streets=gdf)
    [layer] = _all(m, StreetLayer)
    assert layer.rows[0][0] == pytest.approx([60.1705, 24.9405], abs=2e-5)


def test_street_lines_gives_one_latlon_line_per_two_way_segment() -> None:
    import networkx as nx

    G = nx.MultiDiGraph(crs="EPSG:4326")
    G.add_node(1, x=24.94, y=60.17)
    G.add_node(2, x=24.941, y=60.171)
    G.add_edge(1, 2, length=120.0)
    G.add_edge(2, 1, length=120.0)
    lines = street_lines(G)
    assert len(lines) == 1
    assert sorted(lines[0]) == [(60.17, 24.94), (60.171, 24.941)]


def test_day_map_colours_each_stop_by_action_and_gives_the_reason() -> None:
    book, subs = make_route(10)
    day = make_day(book)
    m = day_map(book, subs, day)

    [stops] = _all(m, StopLayer)
    [spots] = _all(m, SpotLayer)
    for ds, stop_row, spot_row in zip(day["stops"], stops.rows, spots.rows, strict=True):
        label, colour, _ = ACTION_STYLES[ds["action"]]
        assert stop_row[3] == colour
        assert spot_row[5] == colour
        assert ds["reason"] in spot_row[7]
        assert label in spot_row[7]
    [panel] = _all(m, Panel)
    assert "Day 2024-06-03" in panel.html
    assert "rain" in panel.html
    assert "usually" in spots.rows[0][7]  # the day moved stop 1 to the screen door


def test_day_map_refuses_unknown_stops_and_actions_listing_each() -> None:
    book, subs = make_route(4)
    day = make_day(book)
    day["stops"][1]["id"] = "NOPE"
    day["stops"][2]["action"] = "throw"
    with pytest.raises(InputError) as e:
        day_map(book, subs, day)
    assert len(e.value.issues) == 2
    assert "NOPE" in e.value.report()
    assert "throw" in e.value.report()


def test_big_route_is_clustered_and_stays_under_5_mb_offline() -> None:
    book, subs = make_route(2000, carriers=2)
    m = plan_map(book, subs)

    assert len(_all(m, MarkerCluster)) == 2  # stops and spots
    assert sum(len(s.rows) for s in _all(m, StopLayer)) == 2000
    page = render_offline(m)
    assert len(page.encode()) < 5_000_000
    assert CLUSTER_FROM <= 2000


def test_coordinates_are_rounded_to_six_decimals() -> None:
    book, subs = make_route(8)
    page = plan_map(book, subs).get_root().render()
    assert not re.search(r"\d+\.\d{7,}", page)
