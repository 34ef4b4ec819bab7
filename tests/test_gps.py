"""GPX and KML exports: written with gpxpy and simplekml, read back with other parsers."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import gpxpy
import pyogrio
import pytest

from route.output.gps import gpx_document, kml_document, write_gpx, write_kml
from route.output.style import kind_label
from tests.routes import DEPOT, make_day, make_route

GPX = "{http://www.topografix.com/GPX/1/1}"
KML = "{http://www.opengis.net/kml/2.2}"


@pytest.fixture
def three_carriers():
    book, subs = make_route(24, carriers=3)
    # User text that XML must escape survives the trip.
    subs[0] = replace(subs[0], name='Smith & Sons <"Ltd">', hazard="dog & cat")
    return book, subs


def test_gpx_has_a_track_per_carrier_and_a_waypoint_per_stop(three_carriers, tmp_path: Path):
    book, subs = three_carriers
    path = write_gpx(book, subs, tmp_path / "route.gpx")

    # gpxpy, which wrote it.
    gpx = gpxpy.parse(path.read_text(encoding="utf-8"))
    assert [t.name for t in gpx.tracks] == ["Carrier 1", "Carrier 2", "Carrier 3"]
    assert len(gpx.waypoints) == len(book.order) == 24
    assert gpx.copyright_author == "OpenStreetMap contributors"

    # The standard library's XML parser.
    root = ET.parse(path).getroot()
    assert root.tag == f"{GPX}gpx"
    assert root.get("version") == "1.1"
    assert len(root.findall(f"{GPX}trk")) == 3
    wpts = root.findall(f"{GPX}wpt")
    stops = [(r.carrier, s) for r in book.routes for s in r.stops]
    assert len(wpts) == len(stops)
    by_id = {s.id: s for s in subs}
    for wpt, (carrier, stop) in zip(wpts, stops, strict=True):
        sub = by_id[stop.subscriber_id]
        assert float(wpt.get("lat")) == pytest.approx(stop.curb_lat, abs=1e-6)
        assert float(wpt.get("lon")) == pytest.approx(stop.curb_lon, abs=1e-6)
        assert wpt.findtext(f"{GPX}name") == f"{stop.seq}. {sub.name}"
        desc = wpt.findtext(f"{GPX}desc")
        assert f"Spot: {kind_label(sub.spot.kind)}" in desc
        assert sub.spot.instructions in desc
        assert wpt.findtext(f"{GPX}cmt") == sub.spot.instructions
        assert wpt.findtext(f"{GPX}type") == f"Carrier {carrier}"
        link = wpt.find(f"{GPX}link").get("href")
        assert link.startswith("https://www.openstreetmap.org/directions?")
        assert f"{stop.curb_lat:.6f}%2C{stop.curb_lon:.6f}" in link
    assert wpts[0].findtext(f"{GPX}name") == '1. Smith & Sons <"Ltd">'
    assert "Hazard: dog & cat" in wpts[0].findtext(f"{GPX}desc")

    # GDAL's GPX driver.
    layers = dict(pyogrio.list_layers(path))
    assert "waypoints" in layers
    assert "tracks" in layers
    assert len(gpd.read_file(path, layer="waypoints")) == 24
    assert len(gpd.read_file(path, layer="tracks")) == 3


def test_gpx_tracks_follow_the_streets_from_the_depot_through_every_curb_point(three_carriers):
    book, subs = three_carriers
    gpx = gpxpy.parse(gpx_document(book, subs))
    for r, track in zip(book.routes, gpx.tracks, strict=True):
        pts = [(round(p.latitude, 6), round(p.longitude, 6)) for p in track.segments[0].points]
        assert pts[0] == pts[-1] == (DEPOT.lat, DEPOT.lon)  # closed at the depot
        legs = {(round(a, 6), round(o, 6)) for leg in r.legs for a, o in leg}
        assert set(pts) == legs  # every bend of every leg, nothing else
        for s in r.stops:
            assert (round(s.curb_lat, 6), round(s.curb_lon, 6)) in pts


def test_kml_has_a_folder_per_carrier_with_its_line_and_a_placemark_per_stop(
    three_carriers, tmp_path: Path
):
    book, subs = three_carriers
    path = write_kml(book, subs, tmp_path / "route.kml")

    root = ET.parse(path).getroot()
    folders = list(root.iter(f"{KML}Folder"))
    assert [f.findtext(f"{KML}name") for f in folders] == ["Carrier 1", "Carrier 2", "Carrier 3"]
    for folder, r in zip(folders, book.routes, strict=True):
        marks = folder.findall(f"{KML}Placemark")
        lines = [m for m in marks if m.find(f"{KML}LineString") is not None]
        points = [m for m in marks if m.find(f"{KML}Point") is not None]
        assert len(lines) == 1
        assert len(points) == len(r.stops)
        for mark, stop in zip(points, r.stops, strict=True):
            lon, lat, *_ = map(float, mark.findtext(f".//{KML}coordinates").split(","))
            assert (lat, lon) == pytest.approx((stop.curb_lat, stop.curb_lon), abs=1e-6)
            data = {d.get("name"): d.findtext(f"{KML}value") for d in mark.iter(f"{KML}Data")}
            assert data["seq"] == str(stop.seq)
            assert data["subscriber_id"] == stop.subscriber_id
            assert data["carrier"] == str(r.carrier)
            description = mark.findtext(f"{KML}description")
            assert "geo:" in description
            assert "openstreetmap.org/directions" in description
    first = next(root.iter(f"{KML}Placemark"))
    assert first.find(f"{KML}LineString") is not None
    names = [m.findtext(f"{KML}name") for m in root.iter(f"{KML}Placemark")]
    assert '1. Smith & Sons <"Ltd">' in names

    # GDAL reads one layer per folder, each with its line and its stops.
    layers = [name for name, _ in pyogrio.list_layers(path)]
    assert layers == ["Carrier 1", "Carrier 2", "Carrier 3"]
    for name, r in zip(layers, book.routes, strict=True):
        gdf = gpd.read_file(path, layer=name)
        assert gdf.geom_type.value_counts().to_dict() == {"Point": len(r.stops), "LineString": 1}


def test_a_days_gps_files_hold_its_visits_each_with_the_days_spot():
    book, subs = make_route(10)
    day = make_day(book)
    first = day["stops"][0]  # a delivery at the screen door today (the rain spot)
    day["stops"].insert(1, {**first, "action": "redeliver", "reason": "wet complaint"})
    visits = [
        s for s in day["stops"] if s["action"] in ("deliver", "deliver_substitute", "redeliver")
    ]

    gpx = gpxpy.parse(gpx_document(book, subs, day))
    assert len(gpx.waypoints) == len(visits)
    assert gpx.waypoints[0].name == f"1. {subs[0].name}"
    assert gpx.waypoints[1].name == f"1. {subs[0].name} (redeliver)"
    # The day's spot, with the day's instructions (none in this day record).
    assert gpx.waypoints[0].description.startswith(f"Spot: {kind_label('screen_door')}\n")
    assert "Today: redeliver (wet complaint)" in gpx.waypoints[1].description
    skipped = {s["id"] for s in day["stops"] if s["action"] in ("skip", "short")}
    shown = {w.name.split(". ", 1)[1] for w in gpx.waypoints}
    assert not shown & {s.name for s in subs if s.id in skipped}

    root = ET.fromstring(kml_document(book, subs, day).encode())
    points = [m for m in root.iter(f"{KML}Placemark") if m.find(f"{KML}Point") is not None]
    assert len(points) == len(visits)
    actions = [
        next(d.findtext(f"{KML}value") for d in m.iter(f"{KML}Data") if d.get("name") == "action")
        for m in points
    ]
    assert actions == [s["action"] for s in visits]
