"""Snapping to street edges and travel matrices."""

from __future__ import annotations

import itertools
import math

import networkx as nx
import numpy as np
import pytest

from route.io.osm import load_network
from route.network import StreetIndex
from tests.graphs import latlon, network, square_block, street


def test_snap_projects_onto_the_edge_not_the_nearest_junction():
    index = street(400)
    # A house 20 m north of x=130: the nearest junction is at x=200 (70 m away); the curb point
    # must be on the street straight below the house.
    curb = index.snap([latlon(130, 20)])[0]
    x, y = index.to_xy(*latlon(130, 0))
    assert math.hypot(curb.x - x, curb.y - y) < 0.05
    assert curb.distance_m == pytest.approx(20, abs=0.05)
    assert {curb.u, curb.v} == {0, 1}


def test_matrix_along_a_street_is_the_distance_between_curb_points():
    index = street(400)
    curbs = index.snap([latlon(50, 10), latlon(130, -15), latlon(390, 5)])
    m = index.matrix(curbs)
    expected = np.array([[0, 80, 340], [80, 0, 260], [340, 260, 0]], dtype=float)
    np.testing.assert_allclose(m.distance, expected, atol=0.05)
    np.testing.assert_allclose(m.duration, expected, atol=0.05)  # speed 1 m/s


def test_walk_matrix_is_symmetric_on_the_real_network():
    index = StreetIndex(load_network("demo", "walk"))
    rng = np.random.default_rng(3)
    pts = [(60.163 + 0.01 * rng.random(), 24.93 + 0.025 * rng.random()) for _ in range(25)]
    m = index.matrix(index.snap(pts)).distance
    assert np.isfinite(m).all()
    np.testing.assert_allclose(m, m.T, atol=1e-6)


def test_drive_matrix_respects_one_way_streets():
    # Around a block with one one-way side (0 -> 1, eastbound): going west along it means
    # driving around the other three sides.
    index = square_block(100, oneway={0}, mode="drive")
    a, b = index.snap([latlon(20, -5), latlon(80, -5)])
    m = index.matrix([a, b]).distance
    assert m[0, 1] == pytest.approx(60, abs=0.05)
    assert m[1, 0] == pytest.approx(20 + 300 + 20, abs=0.05)


def test_drive_matrix_is_asymmetric_on_the_real_network():
    index = StreetIndex(load_network("demo", "drive"))
    rng = np.random.default_rng(5)
    pts = [(60.165 + 0.008 * rng.random(), 24.935 + 0.02 * rng.random()) for _ in range(30)]
    m = index.matrix(index.snap(pts)).distance
    assert np.isfinite(m).all()
    assert np.abs(m - m.T).max() > 50


def test_matrix_agrees_with_networkx_between_junction_curbs():
    # Curb points exactly at junctions: the matrix must equal networkx's shortest paths.
    net = load_network("demo", "walk")
    index = StreetIndex(net)
    G = net.G
    nodes = list(G.nodes)[::400][:6]
    pts = [index.to_latlon([(G.nodes[n]["x"], G.nodes[n]["y"])])[0] for n in nodes]
    m = index.matrix(index.snap(pts)).distance
    for i, a in enumerate(nodes):
        lengths = nx.single_source_dijkstra_path_length(G, a, weight="length")
        for j, b in enumerate(nodes):
            assert m[i, j] == pytest.approx(lengths[b], abs=0.5)


def test_leg_follows_the_streets_around_the_block():
    index = square_block(100, oneway={0}, mode="drive")
    a, b = index.snap([latlon(80, -5), latlon(20, -5)])
    leg = index.leg(a, b)
    xy = [index.to_xy(lat, lon) for lat, lon in leg]
    length = sum(math.dist(p, q) for p, q in itertools.pairwise(xy))
    assert length == pytest.approx(340, abs=0.5)
    # It passes the far corner (100, 100) of the block.
    corner = index.to_xy(*latlon(100, 100))
    assert min(math.dist(p, corner) for p in xy) < 0.5


def test_points_far_from_any_street_are_flagged():
    from route.network import too_far

    index = street(400)
    near, far = index.snap([latlon(100, 30), latlon(100, 5000)])
    assert not too_far(near)
    assert too_far(far)


def test_disconnected_edge_pairs_are_unreachable():
    index = network([(0, 1, 0, 0, 100, 0), (2, 3, 0, 500, 100, 500)])
    m = index.matrix(index.snap([latlon(50, 5), latlon(50, 505)])).distance
    assert math.isinf(m[0, 1])
    assert math.isinf(m[1, 0])
