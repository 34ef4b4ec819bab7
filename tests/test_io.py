"""Reading subscriber files in each format, and refusing broken ones with every problem."""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import Point

from route.errors import InputError
from route.io.fields import parse_clock, parse_days
from route.io.subscribers import read_subscribers

DATA = Path(__file__).parent / "data"


def test_reads_csv_with_defaults_and_every_column():
    subs = {s.id: s for s in read_subscribers(DATA / "subscribers.csv").subscribers}
    assert list(subs) == ["N1", "L2", "H3", "C4"]
    north = subs["N1"]
    assert north.spot.kind == "milk_box"
    assert (north.spot.lat, north.spot.lon) == (60.16755, 24.9407)
    assert north.latest == 6 * 3600 + 30 * 60
    assert north.earliest is None
    assert north.substitutes == ()
    lind = subs["L2"]
    assert lind.days == (0, 1, 2, 3, 4, 5)
    assert lind.substitutes == ("tabloid", "weekly")
    assert (lind.spot.lat, lind.spot.lon) == (lind.lat, lind.lon)  # spot defaults to location
    assert lind.spot.rain == "bag"
    assert lind.hazard == "Icy steps"
    home = subs["H3"]
    assert home.tier == "household"
    assert home.quantity == 2
    assert home.days == (6,)
    assert home.spot.kind == "front_door"  # the documented default
    assert home.service_s == 45
    assert home.spot.rain == "screen_door"
    assert subs["C4"].days == (0, 2, 4)
    assert subs["C4"].product == "paper"


def test_reads_geojson_points():
    subs = read_subscribers(DATA / "subscribers.geojson").subscribers
    assert [s.id for s in subs] == ["N1", "L2"]
    assert (subs[0].lat, subs[0].lon) == pytest.approx((60.1675232, 24.9407791))
    assert subs[1].substitutes == ("tabloid", "weekly")


def test_reads_geopackage_in_another_crs(tmp_path):
    gdf = gpd.GeoDataFrame(
        {"id": ["A", "B"], "spot": ["porch", "tube"], "quantity": [1, 3]},
        geometry=[Point(24.94, 60.17), Point(24.95, 60.171)],
        crs="EPSG:4326",
    ).to_crs("EPSG:3067")  # the Finnish national grid: the reader must convert back
    path = tmp_path / "subs.gpkg"
    gdf.to_file(path, driver="GPKG")
    subs = read_subscribers(path).subscribers
    assert [s.id for s in subs] == ["A", "B"]
    assert (subs[0].lat, subs[0].lon) == pytest.approx((60.17, 24.94), abs=1e-7)
    assert subs[1].quantity == 3
    assert subs[1].spot.kind == "tube"


def test_geocodes_addresses_from_the_street_data(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text('id,address\nA,"Mannerheimintie 10, Helsinki"\n')
    subs = read_subscribers(path, addresses={"mannerheimintie 10": (60.1675, 24.9407)})
    assert (subs.subscribers[0].lat, subs.subscribers[0].lon) == (60.1675, 24.9407)


def test_reports_unused_columns(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("id,lat,lon,phone\nA,60.17,24.94,555\n")
    assert read_subscribers(path).ignored_columns == ("phone",)


# file -> (row, column, a phrase of the message) of the problem it must produce
BROKEN = {
    "no_id_column.csv": (None, None, "no 'id' column"),
    "no_location.csv": (None, None, "no location columns"),
    "duplicate_id.csv": (3, "id", "duplicate id (also in row 2)"),
    "missing_id.csv": (2, "id", "missing id"),
    "lat_not_number.csv": (2, "lat", "not a number"),
    "lat_out_of_range.csv": (2, "lat", "latitude out of range"),
    "lon_missing.csv": (2, "lon", "go together"),
    "unknown_spot.csv": (2, "spot", "unknown spot kind"),
    "bad_days.csv": (2, "days", "unknown schedule"),
    "bad_tier.csv": (2, "tier", "unknown tier"),
    "bad_quantity.csv": (2, "quantity", "whole number"),
    "bad_time.csv": (2, "earliest", "not a time"),
    "window_reversed.csv": (2, "latest", "closes before it opens"),
    "bad_rain.csv": (2, "rain", "unknown rain rule"),
    "substitute_same_product.csv": (2, "substitutes", "other product"),
    "negative_service.csv": (2, "service_s", "seconds from 0 to"),
    "spot_half_point.csv": (2, "spot_lon", "go together"),
    "extra_cells.csv": (2, None, "more cells than the header"),
    "no_rows.csv": (None, None, "no subscribers"),
    "empty.csv": (None, None, "empty"),
    "address_not_found.csv": (2, "address", "not found in the street data"),
    "not_utf8.csv": (2, None, "not UTF-8"),
    "line_geometry.geojson": (1, "geometry", "not a point"),
    "not_geojson.geojson": (None, None, "cannot be read"),
    "wrong_suffix.txt": (None, None, "unsupported file type"),
    "does_not_exist.csv": (None, None, "file not found"),
}


@pytest.mark.parametrize(("name", "expected"), sorted(BROKEN.items()))
def test_raises_invalid_file(name, expected):
    row, column, phrase = expected
    path = DATA / "broken" / name
    with pytest.raises(InputError) as info:
        read_subscribers(path, addresses={"mannerheimintie 10": (60.1675, 24.9407)})
    problems = info.value.issues
    assert any(p.row == row and p.column == column and phrase in p.message for p in problems), (
        info.value.report()
    )
    for p in problems:
        assert p.source == str(path)
        assert p.fix  # every problem says how to fix it
    # The report names the file, the place and the fix.
    text = info.value.report()
    assert str(path) in text
    assert "Fix:" in text


def test_every_problem_in_a_file_is_reported_at_once():
    with pytest.raises(InputError) as info:
        read_subscribers(DATA / "broken" / "many_problems.csv")
    found = {(p.row, p.column) for p in info.value.issues}
    assert {(2, "lat"), (2, "spot"), (2, "days"), (2, "tier"), (4, "id")} <= found
    assert "sixty" in info.value.report()  # the offending value is quoted


def test_a_duplicate_id_is_reported_even_when_its_rows_have_other_problems(tmp_path: Path):
    """Every problem at once: fixing the quantity must not reveal the duplicate on the next run."""
    path = tmp_path / "dup.csv"
    path.write_text(
        "id,lat,lon,quantity\n"
        "Y01,60.17,24.94,0\n"  # a bad quantity
        "Y01,60.171,24.941,1\n"  # the same id again
        "Y02,60.172,24.942,0\n"
        "Y02,60.173,sixty,1\n",  # both rows of Y02 bad
        encoding="utf-8",
    )
    with pytest.raises(InputError) as info:
        read_subscribers(path)
    found = {(p.row, p.column, p.message) for p in info.value.issues}
    assert (2, "quantity") in {(r, c) for r, c, _ in found}
    assert (3, "id", "duplicate id (also in row 2)") in found
    assert (5, "id", "duplicate id (also in row 4)") in found


def test_every_broken_file_is_covered():
    assert {p.name for p in (DATA / "broken").iterdir()} == (
        set(BROKEN) | {"many_problems.csv"}
    ) - {"does_not_exist.csv"}


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("", (0, 1, 2, 3, 4, 5, 6)),
        ("daily", (0, 1, 2, 3, 4, 5, 6)),
        ("Mon-Sat", (0, 1, 2, 3, 4, 5)),
        ("Sun", (6,)),
        ("Mon,Wed,Fri", (0, 2, 4)),
        ("sat-mon", (0, 5, 6)),
        ("weekdays", (0, 1, 2, 3, 4)),
    ],
)
def test_parse_days(text, days):
    assert parse_days(text) == days


@pytest.mark.parametrize("text", ["Funday", "Mon-", "Mon-Fun", "Mon;;Tue"])
def test_parse_days_refuses(text):
    with pytest.raises(ValueError, match=re.escape(text)):
        parse_days(text)


def test_parse_clock():
    assert parse_clock("06:30") == 23_400
    assert parse_clock("") is None
    assert parse_clock("06:30:00") == 23_400  # as GeoJSON readers give times
    for bad in ("24:00", "6.30", "06:60", "06:30:15"):
        with pytest.raises(ValueError, match=bad):
            parse_clock(bad)
