"""Navigation links to the curb point on every stop of the sheets and in every map popup."""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from route.output.maps import day_map, plan_map
from route.output.nav import geo_uri, google_url, nav_links, osm_url
from route.output.offline import render_offline
from route.output.sheet import sheet_csv, sheet_html, sheet_rows
from tests.routes import DEPOT, make_day, make_route

XHTML = "{http://www.w3.org/1999/xhtml}"
GEO = re.compile(r"^geo:(-?\d+\.\d{6}),(-?\d+\.\d{6})\?q=(-?\d+\.\d{6}),(-?\d+\.\d{6})(\(.*\))?$")


def _geo_point(uri: str) -> tuple[float, float]:
    m = GEO.match(uri)
    assert m, uri
    assert m.group(1, 2) == m.group(3, 4)  # the pin and the point agree
    return float(m.group(1)), float(m.group(2))


def _osm_route(url: str) -> tuple[str, tuple[float, float] | None, tuple[float, float]]:
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == (
        "https",
        "www.openstreetmap.org",
        "/directions",
    )
    query = parse_qs(parts.query)
    start, end = query["route"][0].split(";")
    as_pt = lambda text: tuple(map(float, text.split(",")))  # noqa: E731
    return query["engine"][0], (as_pt(start) if start else None), as_pt(end)


def test_geo_uri_names_the_point_and_a_label_without_brackets():
    uri = geo_uri(60.1709812, 24.9413, "12. Mr (North) & Co")
    assert _geo_point(uri) == (60.170981, 24.9413)
    label = unquote(uri.split("(", 1)[1].rstrip(")"))
    assert label == "12. Mr  North  & Co"
    assert "(" not in label
    assert geo_uri(1.0, 2.0) == "geo:1.000000,2.000000?q=1.000000,2.000000"


@pytest.mark.parametrize(
    ("mode", "engine", "travel"),
    [
        ("walk", "fossgis_osrm_foot", "walking"),
        ("bike", "fossgis_osrm_bike", "bicycling"),
        ("drive", "fossgis_osrm_car", "driving"),
    ],
)
def test_directions_use_the_router_of_the_travel_mode(mode, engine, travel):
    assert _osm_route(osm_url(60.2, 24.9, mode, origin=(60.1, 24.8))) == (
        engine,
        (60.1, 24.8),
        (60.2, 24.9),
    )
    assert _osm_route(osm_url(60.2, 24.9, mode)) == (engine, None, (60.2, 24.9))
    google = urlsplit(google_url(60.2, 24.9, mode))
    assert (google.netloc, google.path) == ("www.google.com", "/maps/dir/")
    assert parse_qs(google.query) == {
        "api": ["1"],
        "destination": ["60.200000,24.900000"],
        "travelmode": [travel],
    }
    assert "key" not in google.query


def test_google_only_when_asked_and_nothing_else_accepted():
    assert [link.kind for link in nav_links(60.0, 25.0)] == ["geo", "osm"]
    assert [link.kind for link in nav_links(60.0, 25.0, nav="google")] == ["geo", "osm", "google"]
    with pytest.raises(ValueError, match="osm, google"):
        nav_links(60.0, 25.0, nav="apple")


def _sheet_links(page: str) -> list[dict[str, str]]:
    root = ET.fromstring(page.split("\n", 1)[1])
    out = []
    for tr in root.iter(f"{XHTML}tr"):
        if "stop" in tr.get("class", "").split():
            out.append({a.get("class"): a.get("href") for a in tr.iter(f"{XHTML}a")})
    return out


@pytest.mark.parametrize("carriers", [1, 3])
def test_every_sheet_stop_links_to_its_curb_point_from_the_previous_stop(carriers):
    book, subs = make_route(12, carriers=carriers)
    links = _sheet_links(sheet_html(sheet_rows(book, subs), "Sheet"))

    stops = [s for r in book.routes for s in r.stops]
    assert len(links) == len(stops)
    i = 0
    for r in book.routes:
        came_from = (DEPOT.lat, DEPOT.lon)
        for s in r.stops:
            curb = (round(s.curb_lat, 6), round(s.curb_lon, 6))
            assert set(links[i]) == {"nav-geo", "nav-osm"}
            assert _geo_point(links[i]["nav-geo"]) == curb
            engine, start, end = _osm_route(links[i]["nav-osm"])
            assert engine == "fossgis_osrm_foot"
            assert end == curb
            assert start == pytest.approx(came_from)
            came_from = curb
            i += 1


def test_a_days_sheet_routes_past_the_stops_it_skips_and_offers_google_when_asked():
    book, subs = make_route(10)
    day = make_day(book)  # actions cycle deliver, substitute, skip, short, redeliver
    rows = sheet_rows(book, subs, day, nav="google")
    links = _sheet_links(sheet_html(rows, "Day"))
    assert all(set(x) == {"nav-geo", "nav-osm", "nav-google"} for x in links)
    stops = book.routes[0].stops
    # Stop 4 comes after a skipped stop 3: its directions start at stop 2, the last visited.
    _, start, _ = _osm_route(links[3]["nav-osm"])
    assert start == pytest.approx((stops[1].curb_lat, stops[1].curb_lon))
    table = list(csv.DictReader(io.StringIO(sheet_csv(rows))))
    assert [t["geo"] for t in table] == [x["nav-geo"] for x in links]
    assert [t["google"] for t in table] == [x["nav-google"] for x in links]
    assert float(table[0]["curb_lat"]) == round(stops[0].curb_lat, 6)


def _layer_rows(page: str, kind: str) -> list[list]:
    """The rows of every ``paperroute.<kind>(layer, rows)`` call in a rendered map."""
    decoder = json.JSONDecoder()
    page = page.replace("<\\/", "</")
    rows = []
    for m in re.finditer(rf"paperroute\.{kind}\(\w+, ", page):
        found, _ = decoder.raw_decode(page, m.end())
        rows += found
    return rows


@pytest.mark.parametrize("kind", ["plan", "day"])
def test_every_map_popup_links_to_the_curb_point(kind):
    book, subs = make_route(14, carriers=2)
    if kind == "plan":
        m = plan_map(book, subs, tiles=False, nav="google")
    else:
        m = day_map(book, subs, make_day(book), tiles=False, nav="google")
    page = render_offline(m)
    stops = _layer_rows(page, "stops")
    spots = _layer_rows(page, "spots")
    assert len(stops) == len(spots) == 14
    for stop, spot in zip(stops, spots, strict=True):
        lat, lon = stop[0], stop[1]
        assert spot[2:4] == [lat, lon]  # the spot's popup belongs to the same curb point
        for card in (stop[4], spot[7]):
            hrefs = dict(re.findall(r'<a class="pr-nav-(\w+)" href="([^"]+)"', card))
            assert set(hrefs) == {"geo", "osm", "google"}
            assert _geo_point(hrefs["geo"].replace("&amp;", "&")) == (lat, lon)
            assert _osm_route(hrefs["osm"].replace("&amp;", "&"))[2] == (lat, lon)
    plain = render_offline(plan_map(book, subs, tiles=False))
    assert "pr-nav-geo" in plain
    assert "pr-nav-google" not in plain
