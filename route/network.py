"""Snapping spots to streets, travel matrices between curb points, and leg geometry.

A *curb point* is a spot projected onto the nearest usable street edge (not the nearest
junction), so two houses on one block get two different curb points, and a house on a one-way
street is reached only in the street's direction. Shortest paths run on the graph's arrays
with :func:`scipy.sparse.csgraph.dijkstra`, from every curb point's exit junctions at once.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator, Sequence
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

from route.constants import MAX_MATRIX_VALUE, MAX_SNAP_M
from route.io.osm import StreetNetwork, highways
from route.model.extent import Extent

Say = Callable[[str], None]

#: Road classes where a carrier may not stop, whatever the mode.
_NO_STOPPING = {"motorway", "motorway_link", "trunk", "trunk_link"}
_MIN_EDGE_M = 0.01  # csgraph drops explicit zeros; a zero-length edge must stay an edge
#: Cells of one batch of shortest-path rows (sources x junctions, 8 bytes each: 32 MB).
_BATCH_CELLS = 4_000_000
#: Curb points whose matrix rows are combined at once (rows x points x 8 bytes each).
_ROWS_AT_ONCE = 256


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


@dataclass(frozen=True)
class IntMatrix:
    """Whole metres and seconds between curb points, as the solvers take them.

    :data:`~route.constants.MAX_MATRIX_VALUE` stands for "no path" (and caps anything longer).
    """

    distance: np.ndarray
    duration: np.ndarray

    def reachable(self) -> np.ndarray:
        """Boolean per point: reachable from point 0 and able to return to it."""
        d = self.distance
        ok: npt.NDArray[np.bool_] = (d[0, :] < MAX_MATRIX_VALUE) & (d[:, 0] < MAX_MATRIX_VALUE)
        return ok

    @property
    def nbytes(self) -> int:
        """Bytes the two matrices take."""
        return int(self.distance.nbytes + self.duration.nbytes)


@dataclass(frozen=True)
class Around:
    """Street metres and seconds from one point to others (``to_*``) and back (``from_*``).

    ``inf`` where no path joins them within the search's limit.
    """

    to_m: np.ndarray
    to_s: np.ndarray
    from_m: np.ndarray
    from_s: np.ndarray


@dataclass(frozen=True)
class _Ends:
    ex_node: np.ndarray
    ex_cost: np.ndarray
    en_node: np.ndarray
    en_cost: np.ndarray


def matrix_dtype(largest: int = MAX_MATRIX_VALUE) -> type[np.signedinteger[Any]]:
    """The smallest signed integer type for matrix entries of at most ``largest``.

    The entry and a sum of four of them (an insertion's added cost, the most any elementwise
    expression on the matrices forms) must fit; totals over a route are summed by NumPy in
    64 bits, and by the compiled search in 64-bit scalars. With the cap of
    :data:`~route.constants.MAX_MATRIX_VALUE` (1,000 km or 11 days) that is ``int32``: 4 bytes a
    cell, so 5,001 points take 100 MB per matrix.
    """
    for dtype in (np.int16, np.int32):
        if 4 * largest <= np.iinfo(dtype).max:
            return dtype
    return np.int64


def _to_int(values: np.ndarray, dtype: np.dtype[Any] | type) -> np.ndarray:
    """Round to whole units, capped at :data:`MAX_MATRIX_VALUE` (which ``inf`` becomes)."""
    out = np.minimum(np.rint(values), MAX_MATRIX_VALUE)  # inf becomes the cap
    result: np.ndarray = out.astype(dtype)
    return result


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
        self._reversed: dict[str, csr_array] = {}
        # Slowest edge, seconds per metre: a search stopped at L metres may stop at L times this.
        self._seconds_per_m = float(np.max(times / lengths)) if len(times) else 1.0

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
        # Bounds that let an edit rule places out without a street search: no street path is
        # shorter than ``length_ratio`` times the straight line between its ends (1 unless an
        # edge's length is below its drawn length), nor faster than ``fastest_mps``.
        ratios = [
            float(G.edges[u, v, k]["length"]) / g.length
            for (u, v, k), g in zip(segs, geoms, strict=True)
            if g.length > 0
        ]
        self.length_ratio = min(1.0, *ratios) if ratios else 1.0
        self.fastest_mps = float(np.max(lengths / times)) if len(times) else 1.0

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

    def xy_of(self, points: Sequence[tuple[float, float]]) -> np.ndarray:
        """WGS84 (lat, lon) points to the network's projected (x, y), as an (n, 2) array."""
        arr = np.asarray(points, dtype=float).reshape(-1, 2)
        x, y = self._from_wgs.transform(arr[:, 1], arr[:, 0])
        return np.column_stack([x, y])

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

    def _end_arrays(self, curbs: Sequence[CurbPoint], weight: str) -> _Ends:
        """Every point's exits and entries, padded to two each (cost inf where a way is shut)."""
        n = len(curbs)
        out = _Ends(
            np.zeros((n, 2), np.int64), np.full((n, 2), np.inf),
            np.zeros((n, 2), np.int64), np.full((n, 2), np.inf),
        )  # fmt: skip
        for i, c in enumerate(curbs):
            exits, entries = self._ends(c, weight)
            for j, (node, cost) in enumerate(exits):
                out.ex_node[i, j], out.ex_cost[i, j] = node, cost
            for j, (node, cost) in enumerate(entries):
                out.en_node[i, j], out.en_cost[i, j] = node, cost
        return out

    def _csr(self, weight: str, reverse: bool = False) -> csr_array:
        csr = self._csr_m if weight == "length" else self._csr_s
        if not reverse:
            return csr
        key = f"{weight}-reversed"
        if key not in self._reversed:
            self._reversed[key] = csr_array(csr.T)
        return self._reversed[key]

    def _batches(
        self, sources: np.ndarray, csr: csr_array, width: int = 0
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Shortest paths from ``sources`` (sorted junction indices), a bounded batch at a time.

        Yields (batch, rows): ``rows[k]`` holds the distance from ``batch[k]`` to every junction.
        A batch has at most :data:`_BATCH_CELLS` cells per row of ``width`` (or of the
        network's junctions, if more), so memory does not grow with the count of sources.
        """
        step = max(1, _BATCH_CELLS // max(1, len(self.nodes), width))
        for i in range(0, len(sources), step):
            batch = sources[i : i + step]
            yield batch, np.atleast_2d(dijkstra(csr, directed=True, indices=batch))

    def junction_rows(self, sources: np.ndarray, *, directed: bool = True) -> np.ndarray:
        """Street metres from the junctions ``sources`` (indices into :attr:`nodes`) to every
        junction; ``directed=False`` ignores one-way streets (for territories, not routes)."""
        rows: np.ndarray = np.atleast_2d(
            dijkstra(self._csr_m, directed=directed, indices=np.asarray(sources))
        )
        return rows

    def matrix(self, curbs: Sequence[CurbPoint], say: Say | None = None) -> Matrix:
        """Street distance and time between every pair of curb points (diagonal 0, inf where
        no path joins them)."""
        n = len(curbs)
        dist = np.full((n, n), np.inf)
        dur = np.full((n, n), np.inf)
        self._fill(curbs, "length", dist, None, say)
        self._fill(curbs, "travel_time", dur, None, say)
        return Matrix(dist, dur)

    def int_matrix(self, curbs: Sequence[CurbPoint], say: Say | None = None) -> IntMatrix:
        """The planning matrices: whole metres and seconds in the smallest safe integer type.

        Entries are rounded, and capped at :data:`~route.constants.MAX_MATRIX_VALUE`, which also
        stands for "no path". The type is :func:`matrix_dtype`'s: ``int32`` for any route of up
        to 2,000 stops, and for larger ones whenever a whole route's sum fits (4 bytes a cell:
        5,001 points take 100 MB per matrix, against 200 MB as 64-bit integers and 400 MB for
        the float matrix and its rounded copy built before). The rows are filled a batch of
        sources at a time, so nothing larger than the result is ever held.
        """
        n = len(curbs)
        dtype = matrix_dtype()
        dist = np.full((n, n), MAX_MATRIX_VALUE, dtype=dtype)
        dur = np.full((n, n), MAX_MATRIX_VALUE, dtype=dtype)
        self._fill(curbs, "length", dist, "metres", say)
        self._fill(curbs, "travel_time", dur, "seconds", say)
        return IntMatrix(dist, dur)

    def _fill(
        self,
        curbs: Sequence[CurbPoint],
        weight: str,
        out: np.ndarray,
        unit: str | None,
        say: Say | None,
    ) -> None:
        """Fill ``out`` (filled with its "no path" value) with every pair's shortest path."""
        n = len(curbs)
        ends = self._end_arrays(curbs, weight)
        rounded = unit is not None
        sources = np.unique(ends.ex_node[np.isfinite(ends.ex_cost)])
        done, shown = 0, time.perf_counter()
        for batch, rows in self._batches(sources, self._csr(weight), width=n):
            # From each source junction to every curb point, through the point's best entry.
            to_curb = np.full((len(batch), n), np.inf)
            for b in (0, 1):
                np.minimum(to_curb, rows[:, ends.en_node[:, b]] + ends.en_cost[:, b], out=to_curb)
            for slot in (0, 1):
                mine = np.flatnonzero(
                    np.isfinite(ends.ex_cost[:, slot]) & np.isin(ends.ex_node[:, slot], batch)
                )
                for i in range(0, len(mine), _ROWS_AT_ONCE):
                    part = mine[i : i + _ROWS_AT_ONCE]
                    best = to_curb[np.searchsorted(batch, ends.ex_node[part, slot])]
                    best += ends.ex_cost[part, slot][:, None]
                    out[part] = np.minimum(out[part], _to_int(best, out.dtype) if rounded else best)
            done += len(batch)
            if say is not None and time.perf_counter() - shown >= 1.0 and done < len(sources):
                shown = time.perf_counter()
                say(f"  street {unit or weight}: {done:,} of {len(sources):,} junctions searched")
        rows_i, cols_j, delta = self._same_edge(curbs, weight)
        near = _to_int(delta, out.dtype) if rounded else delta
        out[rows_i, cols_j] = np.minimum(out[rows_i, cols_j], near)
        np.fill_diagonal(out, 0)

    def _same_edge(
        self, curbs: Sequence[CurbPoint], weight: str
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(i, j, cost) arrays for points on one edge where going along it is allowed."""
        groups: dict[tuple[int, int, int], list[int]] = {}
        for i, c in enumerate(curbs):
            groups.setdefault((c.u, c.v, c.key), []).append(i)
        G = self.net.G
        rows, cols, costs = [], [], []
        for (u, v, k), members in groups.items():
            if len(members) < 2:
                continue
            total = max(float(G.edges[u, v, k][weight]), _MIN_EDGE_M)
            m = np.asarray(members)
            off = np.array([curbs[i].offset for i in members])
            fwd = np.array([curbs[i].forward for i in members])
            back = np.array([curbs[i].backward for i in members])
            delta = (off[None, :] - off[:, None]) * total  # from row to column
            ok = ((delta >= 0) & fwd[:, None]) | ((delta <= 0) & back[:, None])
            np.fill_diagonal(ok, False)
            a, b = np.nonzero(ok)
            rows.append(m[a])
            cols.append(m[b])
            costs.append(np.abs(delta[a, b]))
        if not rows:
            empty = np.zeros(0, np.int64)
            return empty, empty, np.zeros(0)
        return np.concatenate(rows), np.concatenate(cols), np.concatenate(costs)

    def travel(
        self, a: Sequence[CurbPoint], b: Sequence[CurbPoint]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Street metres and seconds from ``a[k]`` to ``b[k]`` for every k (inf: no path).

        Only these pairs are computed: one shortest-path search per distinct exit junction of
        ``a``, a bounded batch at a time (a day's bypassed stops, a sheet's week of schedules).
        """
        if len(a) != len(b):
            raise ValueError(f"travel needs pairs: {len(a)} starts, {len(b)} ends")
        metres = self._pairs(a, b, "length")
        seconds = self._pairs(a, b, "travel_time")
        return metres, seconds

    def _pairs(self, a: Sequence[CurbPoint], b: Sequence[CurbPoint], weight: str) -> np.ndarray:
        k = len(a)
        out = np.full(k, np.inf)
        if not k:
            return out
        ea, eb = self._end_arrays(a, weight), self._end_arrays(b, weight)
        sources = np.unique(ea.ex_node[np.isfinite(ea.ex_cost)])
        for batch, rows in self._batches(sources, self._csr(weight)):
            for slot in (0, 1):
                sel = np.flatnonzero(
                    np.isfinite(ea.ex_cost[:, slot]) & np.isin(ea.ex_node[:, slot], batch)
                )
                r = np.searchsorted(batch, ea.ex_node[sel, slot])
                for e in (0, 1):
                    via = ea.ex_cost[sel, slot] + rows[r, eb.en_node[sel, e]] + eb.en_cost[sel, e]
                    out[sel] = np.minimum(out[sel], via)
        self._same_edge_pairs(a, b, weight, out)
        return out

    def _same_edge_pairs(
        self, a: Sequence[CurbPoint], b: Sequence[CurbPoint], weight: str, out: np.ndarray
    ) -> None:
        G = self.net.G
        for k, (ca, cb) in enumerate(zip(a, b, strict=True)):
            if (ca.u, ca.v, ca.key) != (cb.u, cb.v, cb.key):
                continue
            total = max(float(G.edges[ca.u, ca.v, ca.key][weight]), _MIN_EDGE_M)
            delta = (cb.offset - ca.offset) * total
            if ca == cb:
                out[k] = 0.0
            elif (delta >= 0 and ca.forward) or (delta <= 0 and ca.backward):
                out[k] = min(out[k], abs(delta))

    def around(self, c: CurbPoint, others: Sequence[CurbPoint], limit_m: float = np.inf) -> Around:
        """Street metres and seconds from ``c`` to each of ``others`` and from each back to it.

        Two searches per weight (out along the streets, and back along them reversed), each
        stopped at ``limit_m`` street metres: the cost is the size of the neighbourhood, not of
        the route. Points farther than the limit get ``inf``.
        """
        out = []
        for weight in ("length", "travel_time"):
            limit = limit_m if weight == "length" else limit_m * self._seconds_per_m
            ec = self._end_arrays([c], weight)
            eo = self._end_arrays(others, weight)
            fwd = np.full(len(others), np.inf)
            back = np.full(len(others), np.inf)
            for slot in (0, 1):
                if np.isfinite(ec.ex_cost[0, slot]):
                    row = dijkstra(self._csr(weight), indices=int(ec.ex_node[0, slot]), limit=limit)
                    for e in (0, 1):
                        via = ec.ex_cost[0, slot] + row[eo.en_node[:, e]] + eo.en_cost[:, e]
                        np.minimum(fwd, via, out=fwd)
                if np.isfinite(ec.en_cost[0, slot]):
                    row = dijkstra(
                        self._csr(weight, reverse=True),
                        indices=int(ec.en_node[0, slot]),
                        limit=limit,
                    )
                    for e in (0, 1):
                        via = eo.ex_cost[:, e] + row[eo.ex_node[:, e]] + ec.en_cost[0, slot]
                        np.minimum(back, via, out=back)
            self._same_edge_pairs([c] * len(others), others, weight, fwd)
            self._same_edge_pairs(others, [c] * len(others), weight, back)
            fwd[fwd > limit] = np.inf
            back[back > limit] = np.inf
            out.append((fwd, back))
        (to_m, from_m), (to_s, from_s) = out
        return Around(to_m, to_s, from_m, from_s)

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
