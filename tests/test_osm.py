"""Loading street networks from each kind of source."""

from __future__ import annotations

from pathlib import Path

import osmnx as ox
import pytest

from route.errors import InputError
from route.io.osm import load_buildings, load_network
from route.network import StreetIndex

DATA = Path(__file__).parent / "data"


@pytest.mark.parametrize("mode", ["walk", "bike", "drive"])
def test_embedded_default_loads_projected_with_travel_times(mode):
    net = load_network("demo", mode)
    G = net.G
    assert G.number_of_edges() > 100
    assert "326" in net.crs  # a UTM zone, EPSG:326xx: metres
    for _, _, d in list(G.edges(data=True))[:50]:
        assert d["length"] >= 0
        assert d["travel_time"] > 0 or d["length"] == 0
    assert net.fingerprint.startswith(f"{mode}:")


def test_travel_times_follow_the_documented_speeds():
    for mode, mps in (("walk", 1.3), ("bike", 4.2)):
        for _, _, d in list(load_network("demo", mode).G.edges(data=True))[:20]:
            assert d["travel_time"] == pytest.approx(d["length"] / mps)
    # Driving: the speed limit, times 0.7 for junctions and kerbside stops.
    checked = 0
    for _, _, d in load_network("demo", "drive").G.edges(data=True):
        if str(d.get("maxspeed")) == "30":
            assert d["travel_time"] == pytest.approx(d["length"] / (30 / 3.6 * 0.7))
            checked += 1
    assert checked > 10


def test_osm_xml_walk_uses_every_way_both_ways():
    G = load_network(str(DATA / "tiny.osm"), "walk").G
    highways = {d["highway"] for _, _, d in G.edges(data=True)}
    assert "footway" in highways
    for u, v in G.edges():
        assert G.has_edge(v, u)


def test_osm_xml_drive_keeps_one_way_streets_and_leaves_footways_out():
    net = load_network(str(DATA / "tiny.osm"), "drive")
    G = net.G
    assert {d["highway"] for _, _, d in G.edges(data=True)} == {"residential"}
    one_way = [(u, v) for u, v, d in G.edges(data=True) if d.get("name") == "Northgate"]
    assert one_way
    for u, v in one_way:
        assert not G.has_edge(v, u)
    # Snapping and matrices work on it: along Northgate one way is short, the other way round.
    index = StreetIndex(net)
    a, b = index.snap([(60.17105, 24.9405), (60.17105, 24.9435)])
    m = index.matrix([a, b]).distance
    assert m[0, 1] < 200 < m[1, 0]


def test_graphml_round_trip(tmp_path):
    G = load_network(str(DATA / "tiny.osm"), "walk").G
    path = tmp_path / "tiny.graphml"
    ox.save_graphml(G, path)
    again = load_network(str(path), "walk").G
    assert again.number_of_edges() == G.number_of_edges()


@pytest.mark.parametrize(
    ("source", "phrase"),
    [
        ("nowhere.osm.pbf", "network file not found"),
        (str(DATA / "subscribers.csv"), "unsupported network file"),
        (str(DATA / "broken" / "not_geojson.geojson"), "unsupported network file"),
    ],
)
def test_bad_network_sources_are_refused(source, phrase):
    with pytest.raises(InputError, match=phrase):
        load_network(source, "walk")


def test_unknown_mode_is_refused():
    with pytest.raises(InputError, match="unknown travel mode"):
        load_network("demo", "fly")


def test_corrupt_extract_is_refused(tmp_path):
    bad = tmp_path / "bad.osm.pbf"
    bad.write_bytes(b"not a protobuf at all")
    with pytest.raises(InputError, match="cannot read the extract"):
        load_network(str(bad), "walk")


def test_buildings_of_the_embedded_extract_have_addresses():
    buildings = load_buildings("demo")
    assert len(buildings) >= 80
    assert all(b.address and 60.1 < b.lat < 60.2 and 24.9 < b.lon < 25.0 for b in buildings)
    assert [b.osm_id for b in buildings] == sorted(b.osm_id for b in buildings)
