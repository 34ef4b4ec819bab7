"""Small street networks built by hand, so distances can be checked on paper.

Coordinates are metres in UTM zone 35N (EPSG:32635), near Helsinki, so WGS84 conversion works.
"""

from __future__ import annotations

import networkx as nx
from pyproj import Transformer

from route.io.osm import StreetNetwork
from route.network import StreetIndex

CRS = "EPSG:32635"
X0, Y0 = 385_000.0, 6_672_000.0
_TO_WGS = Transformer.from_crs(CRS, "EPSG:4326", always_xy=True)


def latlon(x: float, y: float) -> tuple[float, float]:
    """Local metres (from X0, Y0) to (lat, lon)."""
    lon, lat = _TO_WGS.transform(X0 + x, Y0 + y)
    return lat, lon


def network(
    edges: list[tuple[int, int, float, float, float, float]],
    *,
    oneway: set[int] = frozenset(),
    mode: str = "walk",
    speed: float = 1.0,
) -> StreetIndex:
    """Build a network from straight edges (u, v, x_u, y_u, x_v, y_v) in local metres.

    Edges whose position in ``edges`` is in ``oneway`` are one-way ``u -> v``; the others are
    two-way. Travel time is length / ``speed``.
    """
    G = nx.MultiDiGraph(crs=CRS)
    for i, (u, v, xu, yu, xv, yv) in enumerate(edges):
        G.add_node(u, x=X0 + xu, y=Y0 + yu)
        G.add_node(v, x=X0 + xv, y=Y0 + yv)
        length = ((xu - xv) ** 2 + (yu - yv) ** 2) ** 0.5
        G.add_edge(u, v, length=length, travel_time=length / speed, highway="residential")
        if i not in oneway:
            G.add_edge(v, u, length=length, travel_time=length / speed, highway="residential")
    return StreetIndex(StreetNetwork(G=G, mode=mode, source="test", fingerprint=f"{mode}:test"))


def square_block(side: float = 100.0, **kw) -> StreetIndex:
    """A square block: junctions 0..3 at the corners, counter-clockwise from (0, 0)."""
    s = side
    return network(
        [(0, 1, 0, 0, s, 0), (1, 2, s, 0, s, s), (2, 3, s, s, 0, s), (3, 0, 0, s, 0, 0)], **kw
    )


def street(length: float = 400.0, **kw) -> StreetIndex:
    """A straight east-west street of two edges: junctions 0 (x=0), 1 (middle), 2 (end)."""
    h = length / 2
    return network([(0, 1, 0, 0, h, 0), (1, 2, h, 0, length, 0)], **kw)
