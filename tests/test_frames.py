"""The notebook API: tables with documented columns and CRS, maps inline offline, addresses."""

from __future__ import annotations

import datetime as dt
import html
import re
from pathlib import Path

import folium
import pandas as pd
import pytest

import route
from route.errors import InputError
from route.io.subscribers import COLUMNS
from route.io.workspace import Settings, Workspace
from route.model.day import DayInputs
from route.model.subscriber import Depot
from tests import _daykit
from tests.routes import make_route

STOP_COLUMNS = [
    "carrier", "seq", "id", "name", "address", "arrival", "arrival_s", "leg_m", "leg_s",
    "walk_in_m", "walk_in_s", "spot", "instructions", "tier", "product", "curb_point",
    "spot_point",
]  # fmt: skip
DAY_COLUMNS = [
    "date", "seq", "carrier", "id", "action", "product", "spot", "instructions", "reason",
    "items", "late", "credit", "arrival", "wait_s", "earliest", "latest",
]  # fmt: skip


def test_route_book_stops_as_a_geodataframe_with_curb_and_spot_points_in_wgs84():
    book, subs = make_route(9, carriers=3)
    gdf = book.to_geodataframe(subs)

    assert list(gdf.columns) == STOP_COLUMNS
    assert gdf.geometry.name == "curb_point"
    assert gdf.crs.to_epsg() == 4326
    assert gdf["spot_point"].crs.to_epsg() == 4326
    stops = [(r.carrier, s) for r in book.routes for s in r.stops]
    assert list(zip(gdf["carrier"], gdf["seq"], strict=True)) == [(c, s.seq) for c, s in stops]
    by_id = {s.id: s for s in subs}
    for (_, stop), curb, spot in zip(stops, gdf["curb_point"], gdf["spot_point"], strict=True):
        assert (curb.y, curb.x) == (stop.curb_lat, stop.curb_lon)
        sub = by_id[stop.subscriber_id]
        assert (spot.y, spot.x) == (sub.spot.lat, sub.spot.lon)
    assert gdf["arrival"].iloc[0] == "05:01"
    assert gdf["walk_in_m"].dtype.kind == "i"
    with pytest.raises(InputError, match="not given"):
        book.to_geodataframe(subs[:3])


def test_a_day_as_a_dataframe_has_a_row_per_action_with_the_days_spot():
    subs = [
        _daykit.sub("S1", rain="screen_door", spot="porch"),
        _daykit.sub("S2"),
        _daykit.sub("S3", days=(0,)),
    ]
    book = _daykit.book(["S1", "S2", "S3"])
    inputs = DayInputs(
        complaints=(route.Complaint("S2", "wet"),), weather="rain", supply={"paper": 4}
    )
    day = route.run_day(book, subs, dt.date(2025, 3, 4), inputs)  # a Tuesday
    df = day.to_dataframe()

    assert isinstance(df, pd.DataFrame)
    assert list(df.columns) == DAY_COLUMNS
    assert len(df) == len(day.stops) == 4  # S2's redelivery is its own row
    assert df["date"].unique().tolist() == ["2025-03-04"]
    assert df[df["id"] == "S2"]["action"].tolist() == ["deliver", "redeliver"]
    assert df.set_index("id").loc["S1", "spot"] == "screen_door"  # the rain spot
    assert df.set_index("id").loc["S3", "action"] == "skip"
    assert df["action"].tolist() == [s.action for s in day.stops]


def test_workspace_subscribers_as_a_geodataframe(tmp_path: Path):
    subs = [_daykit.sub(f"S{i}") for i in range(1, 5)]
    with Workspace.create(tmp_path / "ws", Settings("demo", "walk", Depot(60.17, 24.94))) as ws:
        with ws.transaction() as con:
            ws.upsert_subscribers(subs, con)
            ws.deactivate(["S3"], con)
        gdf = ws.subscribers_frame()
        everyone = ws.subscribers_frame(active_only=False)
        assert isinstance(ws.subscribers(), tuple)  # the tuple of Subscriber stays as it was

    assert list(gdf.columns) == [*COLUMNS, "active", "geometry"]
    assert gdf.crs.to_epsg() == 4326
    assert gdf["id"].tolist() == ["S1", "S2", "S4"]
    assert everyone["id"].tolist() == ["S1", "S2", "S3", "S4"]
    assert everyone["active"].tolist() == [True, True, False, True]
    first = gdf.iloc[0]
    assert (first.geometry.y, first.geometry.x) == (subs[0].lat, subs[0].lon)
    assert first["lat"] == subs[0].lat
    assert first["spot"] == "porch"
    assert first["days"] == "daily"
    assert gdf["quantity"].dtype.kind == "i"
    same = route.subscribers_frame(subs)
    assert list(same.columns) == [*COLUMNS, "geometry"]


def _srcdoc(frame: str) -> str:
    m = re.search(r'<iframe srcdoc="([^"]*)"', frame)
    assert m, frame[:200]
    return html.unescape(m.group(1))


def test_maps_show_inline_in_a_notebook_with_everything_inlined():
    book, subs = make_route(6, carriers=2)
    m = route.plan_map(book, subs)
    page = _srcdoc(m._repr_html_())
    assert "paperroute.stops(" in page
    assert not re.search(r"<script[^>]+src=", page)
    assert not re.search(r'<link[^>]+rel="stylesheet"', page)
    assert "L.map(" in page
    # Showing a map leaves it as it was: shown again, or saved afterwards, it is the same page.
    assert _srcdoc(m._repr_html_()) == page
    assert route.render_offline(m) == page
    # Any folium map, through route.show.
    plain = _srcdoc(route.show(folium.Map(location=(60.17, 24.94)), height="400px")._repr_html_())
    assert not re.search(r"<script[^>]+src=", plain)
    assert "L.map(" in plain


def test_addresses_resolve_through_the_public_helper(tmp_path: Path):
    book = route.street_addresses("demo")
    assert len(book) > 50
    address, (lat, lon) = next(iter(book.items()))
    path = tmp_path / "by_address.csv"
    path.write_text(f"id,address\nA1,{address.title()}\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"street_addresses"):
        route.read_subscribers(path)
    (sub,) = route.read_subscribers(path, addresses=book).subscribers
    assert (sub.lat, sub.lon) == (lat, lon)
    assert route.street_addresses(str(tmp_path / "streets.graphml")) == {}
