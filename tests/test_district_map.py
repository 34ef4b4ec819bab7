"""Districts on the plan map: a layer of their own, one outlined area per district in its
route's colour, covering its subscribers, named with its stop count; the page offline."""

from __future__ import annotations

import re

import folium
import shapely

from route.output.district_layer import district_areas
from route.output.maps import plan_map
from route.output.offline import render_offline
from route.output.style import CARRIER_COLOURS
from tests.routes import make_route


def _districts(subs) -> dict[str, str]:
    half = len(subs) // 2
    return {s.id: ("D01" if i < half else "D02") for i, s in enumerate(subs)}


def test_each_district_is_an_area_covering_its_subscribers() -> None:
    _book, subs = make_route(12)
    areas = district_areas(_districts(subs), subs)
    assert list(areas) == ["D01", "D02"]
    for i, s in enumerate(subs):
        name = "D01" if i < 6 else "D02"
        assert areas[name].contains(shapely.Point(s.lon, s.lat))
        assert areas[name].geom_type == "Polygon"


def test_the_plan_map_draws_the_districts_in_their_own_layer() -> None:
    book, subs = make_route(12)
    m = plan_map(book, subs, districts=_districts(subs))
    groups = [
        c
        for c in m._children.values()
        if isinstance(c, folium.FeatureGroup) and c.layer_name.startswith("Districts")
    ]
    assert [g.layer_name for g in groups] == ["Districts (2)"]
    shapes = [c for c in groups[0]._children.values() if isinstance(c, folium.GeoJson)]
    assert [g.layer_name for g in shapes] == ["D01", "D02"]
    styles = [g.style_function({}) for g in shapes]
    assert [s["color"] for s in styles] == list(CARRIER_COLOURS[:2])
    assert all(0 < s["fillOpacity"] < 0.5 for s in styles)
    page = render_offline(m)
    assert '"district": "D01", "stops": 6' in page
    assert not re.search(r"<script[^>]+src=[\"']https?://", page)  # every script inline


def test_without_districts_there_is_no_district_layer() -> None:
    book, subs = make_route(12)
    m = plan_map(book, subs)
    names = [c.layer_name for c in m._children.values() if isinstance(c, folium.FeatureGroup)]
    assert not any(n.startswith("Districts") for n in names)


def test_the_side_panel_and_route_tooltips_name_each_carriers_district() -> None:
    book, subs = make_route(12, carriers=2)
    districts = {s.subscriber_id: f"D0{r.carrier}" for r in book.routes for s in r.stops}
    page = render_offline(plan_map(book, subs, districts=districts))
    assert "D01 · Carrier 1: 6 stops" in page
    assert "D02 · Carrier 2: 6 stops" in page
    # A route whose stops lie in two districts (a book planned before them) is not named.
    mixed = {**districts, book.routes[0].stops[0].subscriber_id: "D02"}
    page = render_offline(plan_map(book, subs, districts=mixed))
    assert "D01 · Carrier 1" not in page
    assert "Carrier 1: 6 stops" in page
    assert "D02 · Carrier 2: 6 stops" in page
