"""Route sheets (HTML, CSV) and GIS exports (GeoJSON, GeoPackage)."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest

from route.errors import InputError
from route.output.export import LAYERS, export_features, write_geojson, write_geopackage
from route.output.sheet import route_sheet, sheet_csv, sheet_rows
from route.output.sheet_page import sheet_html
from tests.routes import make_day, make_route

XHTML = "{http://www.w3.org/1999/xhtml}"


def _parse(page: str) -> ET.Element:
    """Parse the page as XML: it must be well-formed."""
    return ET.fromstring(page.split("\n", 1)[1])  # after <!DOCTYPE html>


def _stop_rows(root: ET.Element) -> list[ET.Element]:
    return [tr for tr in root.iter(f"{XHTML}tr") if "stop" in tr.get("class", "").split()]


@pytest.mark.parametrize("carriers", [1, 3])
def test_sheet_is_well_formed_with_one_row_per_stop_in_route_order(carriers: int) -> None:
    book, subs = make_route(25, carriers=carriers)
    page = sheet_html(route_sheet(book, subs))

    root = _parse(page)
    trs = _stop_rows(root)
    assert len(trs) == len(book.order) == 25
    assert [tr.get("id") for tr in trs] == [
        f"stop-{r.carrier}-{s.seq}" for r in book.routes for s in r.stops
    ]
    assert len(list(root.iter(f"{XHTML}section"))) == carriers


def test_sheet_prints_on_a4_and_letter_and_reads_on_a_phone() -> None:
    book, subs = make_route(3)
    page = sheet_html(route_sheet(book, subs))
    assert "@media print" in page
    assert "@page{size:A4;" in page
    assert "@page{size:letter;" in sheet_html(route_sheet(book, subs), paper="letter")
    with pytest.raises(ValueError, match="legal"):
        sheet_html(route_sheet(book, subs), paper="legal")
    assert "thead{display:table-header-group}" in page  # header repeats on every page
    assert 'name="viewport"' in page
    assert "@media (max-width:640px)" in page


def test_sheet_rows_carry_spot_instructions_hazard_and_the_days_action() -> None:
    book, subs = make_route(10)
    day = make_day(book)
    rows = sheet_rows(book, subs, day)

    assert [r.id for r in rows] == list(book.order)
    assert [r.action for r in rows[:5]] == ["deliver", "substitute", "skip", "short", "redeliver"]
    assert rows[0].spot == "screen door"  # the day's spot overrides the usual one
    assert rows[1].product == "tabloid"
    assert rows[3].hazard == "Dog in the yard"
    assert rows[2].reason == "reason for S0003"
    page = sheet_html(route_sheet(book, subs, day))
    root = _parse(page)
    assert len(_stop_rows(root)) == 10
    assert "act-short" in page
    assert "Credits" in page


def test_sheet_escapes_user_text_and_stays_well_formed() -> None:
    from dataclasses import replace

    book, subs = make_route(2)
    subs[0] = replace(subs[0], name="A & B <Ltd>", hazard='"steps" & ice')
    page = sheet_html(route_sheet(book, subs, depot_name="Kiosk <North> & Co"))
    root = _parse(page)
    text = "".join(root.itertext())
    assert "A & B <Ltd>" in text
    assert "from Kiosk <North> & Co" in text


def test_sheet_csv_has_a_header_and_one_row_per_stop() -> None:
    book, subs = make_route(7, carriers=2)
    text = sheet_csv(sheet_rows(book, subs))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 7
    assert rows[0]["seq"] == "1"
    assert rows[0]["carrier"] == "1"
    assert rows[-1]["carrier"] == "2"


def test_sheet_refuses_a_day_of_another_route() -> None:
    book, subs = make_route(3)
    day = make_day(book)
    day["stops"][0]["id"] = "ELSEWHERE"
    with pytest.raises(InputError, match="ELSEWHERE"):
        sheet_rows(book, subs, day)


def test_geojson_is_one_feature_collection_per_layer_lon_first_with_credit(
    tmp_path: Path,
) -> None:
    book, subs = make_route(6, carriers=2, unserved=1)
    paths = write_geojson(export_features(book, subs), tmp_path)

    assert [p.name for p in paths] == [f"{name}.geojson" for name in LAYERS]
    docs = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in paths}
    for name, doc in docs.items():
        assert doc["type"] == "FeatureCollection"
        assert doc["name"] == name
        assert "OpenStreetMap contributors" in doc["attribution"]
        assert len({f["geometry"]["type"] for f in doc["features"]}) == 1, name
    counts = {name: len(doc["features"]) for name, doc in docs.items()}
    assert counts == {"route": 2, "stops": 6, "spots": 6, "walk_ins": 6, "unserved": 1}
    first_stop = docs["stops"]["features"][0]
    lon, lat = first_stop["geometry"]["coordinates"]
    assert 24 < lon < 26
    assert 59 < lat < 61
    assert first_stop["properties"]["seq"] == 1
    assert docs["unserved"]["features"][0]["properties"]["reason"].endswith("nearest street")


def test_geojson_and_geopackage_hold_the_same_layers(tmp_path: Path) -> None:
    book, subs = make_route(9, carriers=3, unserved=2)
    layers = export_features(book, subs, make_day(book))
    write_geojson(layers, tmp_path)
    gpkg = write_geopackage(layers, tmp_path / "route.gpkg")

    assert [name for name, _ in pyogrio.list_layers(gpkg)] == list(LAYERS)
    for name in LAYERS:
        from_json = gpd.read_file(tmp_path / f"{name}.geojson")
        from_gpkg = gpd.read_file(gpkg, layer=name)
        assert len(from_json) == len(from_gpkg) == len(layers[name]), name
        assert set(from_json.columns) == set(from_gpkg.columns), name


def test_a_days_export_has_every_action_and_the_days_spot() -> None:
    """A redelivery is its own feature next to the regular delivery; the rain spot is the spot."""
    book, subs = make_route(8)
    day = make_day(book)
    first = day["stops"][0]
    # A wet-paper redelivery for the first subscriber, who also gets today's paper (at the
    # screen door: the day's rain spot, not their usual spot).
    day["stops"].insert(1, {**first, "action": "redeliver", "reason": "wet complaint"})
    layers = export_features(book, subs, day)

    stops = layers["stops"]
    assert len(stops) == len(day["stops"]) == 9
    assert [f["properties"]["action"] for f in stops] == [s["action"] for s in day["stops"]]
    mine = [f["properties"] for f in stops if f["properties"]["id"] == first["id"]]
    assert [p["action"] for p in mine] == ["deliver", "redeliver"]
    assert all(p["spot"] == "screen_door" for p in mine)
    assert mine[0]["usual_spot"] == subs[0].spot.kind != "screen_door"
    spot = next(f for f in layers["spots"] if f["properties"]["id"] == first["id"])
    assert spot["properties"]["spot"] == "screen_door"
    assert spot["properties"]["usual_spot"] == subs[0].spot.kind


def test_geopackage_has_typed_layers_in_wgs84(tmp_path: Path) -> None:
    book, subs = make_route(6)
    day = make_day(book)
    path = write_geopackage(export_features(book, subs, day), tmp_path / "route.gpkg")

    layers = dict(pyogrio.list_layers(path))
    assert list(layers) == list(LAYERS)
    assert layers["route"] == "LineString"
    assert layers["stops"] == "Point"
    stops = gpd.read_file(path, layer="stops")
    assert stops.crs.to_epsg() == 4326
    assert len(stops) == 6
    assert stops["seq"].tolist() == [1, 2, 3, 4, 5, 6]
    assert stops["seq"].dtype.kind == "i"
    assert stops["walk_in_m"].dtype.kind == "i"
    assert stops["action"].tolist()[:2] == ["deliver", "deliver_substitute"]
    assert not stops.geometry.is_empty.any()
    assert not list(tmp_path.glob(".*"))  # no temporary file left behind


def test_sheet_shows_each_stops_usual_arrival_over_the_week() -> None:
    book, subs = make_route(6, carriers=1)
    first, second = book.routes[0].stops[:2]
    usual = {
        first.subscriber_id: (first.arrival_s, first.arrival_s),  # never varies: not shown
        second.subscriber_id: (5 * 3600 + 40 * 60, 6 * 3600 + 5 * 60),
    }
    rows = sheet_rows(book, subs, usual=usual)
    assert [r.usual for r in rows[:3]] == ["", "05:40–06:05", ""]
    root = _parse(sheet_html(route_sheet(book, subs, usual=usual)))
    heads = [th.text for th in root.iter(f"{XHTML}th")]
    assert "Usual arrival" in heads
    cells = [td.text for td in root.iter(f"{XHTML}td") if td.get("class") == "usual"]
    assert cells[:3] == [None, "05:40–06:05", None]
    # Without usual arrivals there is no such column.
    root = _parse(sheet_html(route_sheet(book, subs)))
    assert "Usual arrival" not in [th.text for th in root.iter(f"{XHTML}th")]
    assert next(csv.DictReader(io.StringIO(sheet_csv(rows))))["usual"] == ""


def test_a_past_days_outputs_keep_that_days_instructions_after_an_edit() -> None:
    """A day's sheet, GIS export and GPS file say what the carrier was told that day: a
    subscriber who had no instructions then and has some now (an edit after the day) is shown
    with none, not with today's, which may belong to another spot."""
    import datetime as dt
    from dataclasses import replace

    import gpxpy

    from route.day.run import run_day
    from route.output.gps import gpx_document

    book, subs = make_route(6)
    then = [replace(s, spot=replace(s.spot, instructions="")) for s in subs]
    day = run_day(book, then, dt.date(2024, 6, 3)).to_dict()
    first = day["stops"][0]
    assert (first["action"], first["instructions"]) == ("deliver", "")

    now = [replace(s, spot=replace(s.spot, instructions="Back doorway, by the bins")) for s in subs]
    rows = sheet_rows(book, now, day)
    assert [r.instructions for r in rows] == [s["instructions"] for s in day["stops"]]
    assert "Back doorway" not in sheet_html(route_sheet(book, now, day))
    props = [f["properties"] for f in export_features(book, now, day)["stops"]]
    assert [p["instructions"] for p in props] == [s["instructions"] for s in day["stops"]]
    gpx = gpxpy.parse(gpx_document(book, now, day))
    assert gpx.waypoints
    assert not any("Back doorway" in (w.description or "") for w in gpx.waypoints)


def test_a_past_days_sheet_and_map_keep_that_days_windows_after_an_edit() -> None:
    """A window changed after the day (widened, narrowed, removed or added) leaves the day's
    sheet and map showing the window the day was run with, and "after the window" judged by
    it; a day.json from before windows were kept shows the subscriber's own."""
    import datetime as dt
    from dataclasses import replace

    from route.day.run import run_day
    from route.model.routebook import subscribers_by_id
    from route.output.panels import stop_card

    book, subs = make_route(6)
    then = [replace(s, earliest=None, latest=None) for s in subs]
    then[0] = replace(then[0], earliest=4 * 3600, latest=4 * 3600 + 60)  # long past by then
    day = run_day(book, then, dt.date(2024, 6, 3)).to_dict()
    first = day["stops"][0]
    assert (first["earliest"], first["latest"]) == ("04:00", "04:01")
    assert all(s["earliest"] is None and s["latest"] is None for s in day["stops"][1:])

    now = [replace(s, earliest=None, latest=None) for s in subs]
    now[1] = replace(now[1], earliest=5 * 3600, latest=23 * 3600)
    rows = sheet_rows(book, now, day)
    assert [r.window for r in rows[:2]] == ["04:00–04:01", ""]
    assert rows[0].after_window  # judged by that day's window
    assert not rows[1].after_window
    page = sheet_html(route_sheet(book, now, day))
    assert "04:00–04:01" in page
    assert "05:00–23:00" not in page

    by_id = subscribers_by_id(book, now)
    stops = {s.subscriber_id: (r.carrier, s) for r in book.routes for s in r.stops}
    cards = [stop_card(by_id[d["id"]], *stops[d["id"]], book, d) for d in day["stops"][:2]]
    assert "04:00–04:01" in cards[0]
    assert "05:00" not in cards[1]

    # A day stored before windows were kept: the subscriber's window as it is now.
    old = {**day, "stops": [{k: v for k, v in s.items() if k not in ("earliest", "latest")}
                            for s in day["stops"]]}  # fmt: skip
    assert [r.window for r in sheet_rows(book, now, old)[:2]] == ["", "05:00–23:00"]
