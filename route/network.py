"""Snapping spots to streets, travel matrices between curb points, and leg geometry.

A *curb point* is a spot projected onto the nearest usable street edge (not the nearest
junction), so two houses on one block get two different curb points, and a house on a one-way
street is reached only in the street's direction. Shortest paths run on the graph's arrays
with :func:`scipy.sparse.csgraph.dijkstra`, from every curb point's exit junctions at once.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from pyproj import Transformer
from scipy.sparse import csr_array
from scipy.sparse.csgraph import dijkstra
from shapely.geometry import LineString, Point
from shapely.ops import substring

from route.constants import MAX_SNAP_M
from route.io.osm import StreetNetwork, highways
from route.model.extent import Extent

#: Road classes where a carrier may not stop, whatever the mode.
_NO_STOPPING = {"motorway", "motorway_link", "trunk", "trunk_link"}
_MIN_EDGE_M = 0.01  # csgraph drops explicit zeros; a zero-length edge must stay an edge


@dataclass(frozen=True, slots=True)
class CurbPoint:
    """Where a location meets the street network.

    Attributes
    ----------
    u, v, key
        The edge, oriented as stored (its geometry runs from ``u`` to ``v``).
    offset
        Fraction of the edge from ``u`` (0..1).
    forward, backward
        Whether the edge may be travelled ``u -> v`` and ``v -> u``.
    x, y
        The curb point in the network's CRS.
    distance_m
        Straight-line distance from the located point to the curb point.
    """

    u: int
    v: int
    key: int
    offset: float
    forward: bool
    backward: bool
    x: float
    y: float
    distance_m: float


@dataclass(frozen=True)
class Matrix:
    """Shortest street distances (m) and times (s) between curb points; ``inf`` = unreachable."""

    distance: np.ndarray
    duration: np.ndarray

    def reachable(self) -> np.ndarray:
        """Boolean per point: reachable from point 0 and able to return to it."""
        d = self.distance
        ok: npt.NDArray[np.bool_] = np.isfinite(d[0, :]) & np.isfinite(d[:, 0])
        return ok


class StreetIndex:
    """Snapping, matrices and leg geometry on one street network.

    Build once per network; it holds the CSR arrays and a spatial index of usable edges.
    """

    def __init__(self, net: StreetNetwork) -> None:
        self.net = net
        G = net.G
        self.nodes = list(G.nodes)
        self.index = {n: i for i, n in enumerate(self.nodes)}
        self.xy = np.array([(G.nodes[n]["x"], G.nodes[n]["y"]) for n in self.nodes])
        to_wgs = Transformer.from_crs(net.crs, "EPSG:4326", always_xy=True)
        self._to_wgs = to_wgs
        self._from_wgs = Transformer.from_crs("EPSG:4326", net.crs, always_xy=True)

        # Best (shortest) edge per (u, v): to_scipy_sparse_array would sum parallel edges.
        best: dict[tuple[int, int], tuple[float, float, int]] = {}
        for u, v, k, d in G.edges(keys=True, data=True):
            length = max(float(d["length"]), _MIN_EDGE_M)
            old = best.get((u, v))
            if old is None or length < old[0]:
                best[(u, v)] = (length, max(float(d["travel_time"]), _MIN_EDGE_M), k)
        self._best_key = {uv: k for uv, (_, _, k) in best.items()}
        rows = np.array([self.index[u] for u, _ in best])
        cols = np.array([self.index[v] for _, v in best])
        n = len(self.nodes)
        lengths = np.array([b[0] for b in best.values()])
        times = np.array([b[1] for b in best.values()])
        self._csr_m = csr_array((lengths, (rows, cols)), shape=(n, n))
        self._csr_s = csr_array((times, (rows, cols)), shape=(n, n))

        # One geometry per street segment for snapping; both directions share it.
        segs: list[tuple[int, int, int]] = []
        geoms: list[LineString] = []
        seen: set[tuple[int, int, float]] = set()
        for u, v, k, d in G.edges(keys=True, data=True):
            if highways(d.get("highway")) & _NO_STOPPING:
                continue
            length = round(float(d["length"]), 1)
            if (v, u, length) in seen:
                continue
            seen.add((u, v, length))
            segs.append((u, v, k))
            geoms.append(self.edge_line(u, v, k))
        self._segs = segs
        self._geoms = geoms
        self._tree = shapely.STRtree(geoms)

    # -- geometry helpers ---------------------------------------------------------------------

    def edge_line(self, u: int, v: int, k: int) -> LineString:
        """The edge's geometry oriented from ``u`` to ``v`` (a straight line if it has none)."""
        G = self.net.G
        d = G.edges[u, v, k]
        pu = (G.nodes[u]["x"], G.nodes[u]["y"])
        pv = (G.nodes[v]["x"], G.nodes[v]["y"])
        line = d.get("geometry")
        if line is None:
            return LineString([pu, pv])
        start = Point(line.coords[0])
        if start.distance(Point(pu)) > start.distance(Point(pv)):
            line = line.reverse()
        return line

    def to_xy(self, lat: float, lon: float) -> tuple[float, float]:
        """WGS84 (lat, lon) to the network's projected (x, y)."""
        x, y = self._from_wgs.transform(lon, lat)
        return float(x), float(y)

    def to_latlon(self, coords: Sequence[tuple[float, float]]) -> tuple[tuple[float, float], ...]:
        """Projected (x, y) pairs to (lat, lon) pairs rounded to 7 decimals (about 1 cm)."""
        if len(coords) == 0:
            return ()
        arr = np.asarray(coords, dtype=float)
        lon, lat = self._to_wgs.transform(arr[:, 0], arr[:, 1])
        return tuple(
            (round(float(a), 7), round(float(o), 7)) for a, o in zip(lat, lon, strict=True)
        )

    def extent(self) -> Extent:
        """The WGS84 box around the network's streets (to refuse locations far outside it)."""
        x0, y0, x1, y1 = shapely.total_bounds([*self._geoms, shapely.multipoints(self.xy)])
        xs, ys = np.array([x0, x0, x1, x1]), np.array([y0, y1, y0, y1])
        lon, lat = self._to_wgs.transform(xs, ys)
        return Extent(float(lat.min()), float(lon.min()), float(lat.max()), float(lon.max()))

    # -- snapping -----------------------------------------------------------------------------

    def snap(self, points: Sequence[tuple[float, float]]) -> list[CurbPoint]:
        """Project (lat, lon) points onto their nearest usable street edge.

        The result's ``distance_m`` says how far the point is from the street; callers report
        points beyond :data:`~route.constants.MAX_SNAP_M` as unreachable.
        """
        if not points:
            return []
        xy = [self.to_xy(lat, lon) for lat, lon in points]
        pts = shapely.points(np.array(xy))
        idx = self._tree.query_nearest(pts, all_matches=False)
        # query_nearest returns (input index, tree index) pairs ordered by input index.
        nearest = dict(zip(idx[0].tolist(), idx[1].tolist(), strict=True))
        G = self.net.G
        out = []
        for i, pt in enumerate(pts):
            u, v, k = self._segs[nearest[i]]
            line = self._geoms[nearest[i]]
            along = line.project(pt)
            curb = line.interpolate(along)
            length = float(G.edges[u, v, k]["length"])
            backward = any(
                abs(float(d["length"]) - length) < 1.0
                for d in (G.get_edge_data(v, u) or {}).values()
            )
            out.append(
                CurbPoint(
                    u=u,
                    v=v,
                    key=k,
                    offset=along / line.length if line.length > 0 else 0.0,
                    forward=True,
                    backward=backward,
                    x=curb.x,
                    y=curb.y,
                    distance_m=float(pt.distance(curb)),
                )
            )
        return out

    # -- matrices -----------------------------------------------------------------------------

    def _ends(
        self, c: CurbPoint, weight: str
    ) -> tuple[list[tuple[int, float]], list[tuple[int, float]]]:
        """(exits, entries): lists of (node index, cost) to leave or reach the curb point."""
        d = self.net.G.edges[c.u, c.v, c.key]
        total = max(float(d[weight]), _MIN_EDGE_M)
        a, b = c.offset * total, (1.0 - c.offset) * total
        iu, iv = self.index[c.u], self.index[c.v]
        exits, entries = [], []
        if c.forward:
            exits.append((iv, b))
            entries.append((iu, a))
        if c.backward:
            exits.append((iu, a))
            entries.append((iv, b))
        return exits, entries

    def matrix(self, curbs: Sequence[CurbPoint]) -> Matrix:
        """Street distance and time between every pair of curb points (diagonal 0)."""
        return Matrix(
            distance=self._matrix(curbs, "length", self._csr_m),
            duration=self._matrix(curbs, "travel_time", self._csr_s),
        )

    def _matrix(self, curbs: Sequence[CurbPoint], weight: str, csr: csr_array) -> np.ndarray:
        n = len(curbs)
        ends = [self._ends(c, weight) for c in curbs]
        # Pad every point to two exits and two entries (cost inf where a direction is closed).
        ex_node = np.zeros((n, 2), dtype=np.int64)
        ex_cost = np.full((n, 2), np.inf)
        en_node = np.zeros((n, 2), dtype=np.int64)
        en_cost = np.full((n, 2), np.inf)
        for i, (exits, entries) in enumerate(ends):
            for j, (node, cost) in enumerate(exits):
                ex_node[i, j], ex_cost[i, j] = node, cost
            for j, (node, cost) in enumerate(entries):
                en_node[i, j], en_cost[i, j] = node, cost
        sources = np.unique(ex_node[np.isfinite(ex_cost)])
        dist = dijkstra(csr, directed=True, indices=sources)
        # Padded slots (cost inf) map to any row; their inf cost keeps them out of the minimum.
        rows = np.minimum(np.searchsorted(sources, ex_node), len(sources) - 1)  # (n, 2)
        # via[i, a, j, b] = exit cost + node-to-node + entry cost
        node_d = dist[rows[:, :, None, None], en_node[None, None, :, :]]
        via = ex_cost[:, :, None, None] + node_d + en_cost[None, None, :, :]
        out: npt.NDArray[np.float64] = via.min(axis=(1, 3))
        self._same_edge(curbs, weight, out)
        np.fill_diagonal(out, 0.0)
        return out

    def _same_edge(self, curbs: Sequence[CurbPoint], weight: str, out: np.ndarray) -> None:
        groups: dict[tuple[int, int, int], list[int]] = {}
        for i, c in enumerate(curbs):
            groups.setdefault((c.u, c.v, c.key), []).append(i)
        G = self.net.G
        for (u, v, k), members in groups.items():
            total = max(float(G.edges[u, v, k][weight]), _MIN_EDGE_M)
            for i in members:
                for j in members:
                    ci, cj = curbs[i], curbs[j]
                    delta = (cj.offset - ci.offset) * total
                    if (delta >= 0 and ci.forward) or (delta <= 0 and ci.backward):
                        out[i, j] = min(out[i, j], abs(delta))

    # -- leg geometry -------------------------------------------------------------------------

    def leg(self, a: CurbPoint, b: CurbPoint) -> tuple[tuple[float, float], ...]:
        """The street geometry from curb point ``a`` to ``b`` as (lat, lon) pairs."""
        line_a = self.edge_line(a.u, a.v, a.key)
        if (a.u, a.v, a.key) == (b.u, b.v, b.key):
            delta = b.offset - a.offset
            if (delta >= 0 and a.forward) or (delta <= 0 and a.backward):
                seg = substring(line_a, a.offset, b.offset, normalized=True)
                return self.to_latlon(_coords(seg, a, b))
        exits, _ = self._ends(a, "length")
        _, entries = self._ends(b, "length")
        # (total, exit node, entry node, predecessors); the nodes stay None if nothing connects.
        best: tuple[float, Any, Any, Any] = (np.inf, None, None, None)
        for xn, xc in exits:
            dist, pred = dijkstra(self._csr_m, directed=True, indices=xn, return_predecessors=True)
            for yn, yc in entries:
                total = xc + dist[yn] + yc
                if total < best[0]:
                    best = (total, xn, yn, pred)
        _, xn, yn, pred = best
        if xn is None:
            return self.to_latlon([(a.x, a.y), (b.x, b.y)])
        path = [yn]
        while path[-1] != xn:
            path.append(int(pred[path[-1]]))
        path.reverse()
        coords: list[tuple[float, float]] = [(a.x, a.y)]
        # Leave a's edge towards the exit junction, along the street.
        to = 1.0 if self.nodes[xn] == a.v else 0.0
        coords += list(substring(line_a, a.offset, to, normalized=True).coords)
        for p, q in itertools.pairwise(path):
            u, v = self.nodes[p], self.nodes[q]
            coords += list(self.edge_line(u, v, self._best_key[(u, v)]).coords)
        line_b = self.edge_line(b.u, b.v, b.key)
        frm = 0.0 if self.nodes[yn] == b.u else 1.0
        coords += list(substring(line_b, frm, b.offset, normalized=True).coords)
        coords.append((b.x, b.y))
        return self.to_latlon(_dedupe(coords))


def _coords(seg: object, a: CurbPoint, b: CurbPoint) -> list[tuple[float, float]]:
    pts = list(getattr(seg, "coords", []))
    return _dedupe([(a.x, a.y), *pts, (b.x, b.y)])


def _dedupe(coords: list[tuple[float, float]]) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for c in coords:
        if not out or abs(out[-1][0] - c[0]) > 1e-6 or abs(out[-1][1] - c[1]) > 1e-6:
            out.append((float(c[0]), float(c[1])))
    return out


def too_far(curb: CurbPoint) -> bool:
    """Whether a point is too far from any usable street to be served from it."""
    return curb.distance_m > MAX_SNAP_M
