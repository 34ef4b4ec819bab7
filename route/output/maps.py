"""Interactive maps of a route book and of a day, as ``folium.Map`` objects.

The plan map shows the lean back end (the route along the streets with its direction, coloured
per carrier, and numbered stops at the curb points) and, in its own layer, the tailored front
end (a marker per delivery spot, an icon by spot kind, a dashed walk-in from the curb, and the
subscriber's preferences in the popup). A summary box puts a number on the cost of intimacy:
the share of the route's time spent walking in to the spots. The day map colours every stop by
that day's action and gives the reason.

Coordinates are (lat, lon) here, at the map edge; everything upstream measures in the network's
projected CRS. Maps stay small (coordinates rounded to 6 decimals, legs simplified, markers
drawn from compact rows; see :mod:`route.output.layers`) and big routes are clustered. Save them
with :func:`route.output.offline.save_offline` for a page that works without a network.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

import folium
import networkx as nx
import numpy as np
import shapely
from branca.element import Element
from folium.plugins import MarkerCluster, PolyLineTextPath

from route.constants import OSM_ATTRIBUTION, OSM_CREDIT
from route.io.dayrecord import DayLike, as_record, day_stops
from route.model.day import VISITED
from route.model.routebook import CarrierRoute, RouteBook, Stop, subscribers_by_id
from route.model.subscriber import Subscriber, format_clock
from route.output.district_layer import add_districts, route_districts
from route.output.layers import (
    Panel,
    Setup,
    SpotLayer,
    StopLayer,
    StreetLayer,
)
from route.output.nav import stop_links
from route.output.offline import OfflineMap
from route.output.panels import carrier_title, day_panel, plan_panel, stop_card
from route.output.style import (
    ACTION_STYLES,
    TIER_COLOURS,
    carrier_colour,
    display_name,
    hours_minutes,
    kind_label,
    shorten,
    spot_icon,
)
from route.routebook.timing import route_waits

__all__ = [
    "CLUSTER_FROM",
    "OSM_ATTRIBUTION",
    "OSM_CREDIT",
    "day_map",
    "plan_map",
    "street_lines",
]

#: From this many stops on, stop and spot markers are clustered (a map stays smooth at 2,000).
CLUSTER_FROM = 300

#: Simplification tolerance of route lines and streets, in degrees (about 1 m of latitude).
_SIMPLIFY_DEG = 1e-5
_DECIMALS = 6
_STREET_DECIMALS = 5  # about 1 m: the base layer is background, not measurement

Streets = Sequence[Sequence[tuple[float, float]]] | Any  # polylines, or a GeoDataFrame of edges


# -- public API ---------------------------------------------------------------------------------


def plan_map(
    book: RouteBook,
    subscribers: Sequence[Subscriber],
    m: folium.Map | None = None,
    *,
    streets: Streets | None = None,
    tiles: bool = True,
    cluster: bool | None = None,
    nav: str = "osm",
    districts: Mapping[str, str] | None = None,
) -> folium.Map:
    """Draw a route book: route, stops, delivery spots, depot, legend and summary.

    Parameters
    ----------
    book
        The route book.
    subscribers
        At least every subscriber in the book (inactive ones may be included).
    m
        A map to draw on; a new one when ``None``. Its tiles are left as they are.
    streets
        Street geometry for a base layer that is readable without tiles: ``(lat, lon)``
        polylines, or a GeoDataFrame of edges in any CRS (see :func:`street_lines`).
    tiles
        Add OpenStreetMap tiles (shown when online) to a new map.
    cluster
        Cluster stop and spot markers; by default from :data:`CLUSTER_FROM` stops on.
    nav
        Navigation links in every stop's popup: ``osm`` (a ``geo:`` link for the phone's map
        app and OpenStreetMap directions) or ``google`` (Google Maps as well).
    districts
        Subscriber id -> district name: each district drawn as an area with its outline, in
        the colour of its route, in a layer of its own (:mod:`route.output.district_layer`).

    Returns
    -------
    folium.Map
        ``m``, or the new map.

    Raises
    ------
    InputError
        If a stop's subscriber is missing from ``subscribers``.
    """
    subs = subscribers_by_id(book, subscribers)
    m = _start(book, m, streets, tiles)
    named: dict[int, str] = {}
    if districts:
        add_districts(m, districts, subscribers)
        named = route_districts(book, districts)
    back, front = _layers(m, len(book.order), cluster)
    stop_rows, spot_rows = [], []
    entries = [(r.carrier, s, None) for r in book.routes for s in r.stops]
    links = iter(stop_links(book, entries, subs, nav))
    for r in book.routes:
        line = carrier_colour(r.carrier)
        _draw_route(back, r, line, len(book.order), carrier_title(r.carrier, named))
        for stop, (_, wait) in zip(r.stops, route_waits(r.stops, book.start_s), strict=True):
            sub = subs[stop.subscriber_id]
            card = stop_card(sub, r.carrier, stop, book, links=next(links), wait_s=wait)
            style = "pr-wait" if wait >= 60 else ""
            stop_rows.append(_stop_row(stop, sub, line, card, style=style))
            tier = TIER_COLOURS.get(sub.tier, TIER_COLOURS["paying"])
            spot_rows.append(_spot_row(stop, sub, spot_icon(sub.spot.kind), tier, card))
    StopLayer(stop_rows).add_to(back["stops"])
    SpotLayer(spot_rows).add_to(front)
    _draw_unserved(m, book, subscribers)
    _draw_depot(back["route"], book)
    Panel(plan_panel(book, subs, named)).add_to(m)
    return _finish(m, book, subs)


def day_map(
    book: RouteBook,
    subscribers: Sequence[Subscriber],
    day: DayLike,
    m: folium.Map | None = None,
    *,
    streets: Streets | None = None,
    tiles: bool = True,
    cluster: bool | None = None,
    nav: str = "osm",
    late_path: Mapping[int, Sequence[tuple[float, float]]] | None = None,
) -> folium.Map:
    """Draw one day: every stop coloured by its action, with the reason in the popup.

    Parameters
    ----------
    book
        The route book the day ran on (its ``route_version``).
    subscribers
        At least every subscriber in the book.
    day
        The day, shaped as ``day.json`` (``date``, ``stops`` with ``id``, ``action``,
        ``product``, ``spot``, ``instructions``, ``reason``; ``totals``, ``supply``...).
    m, streets, tiles, cluster, nav
        As for :func:`plan_map`.
    late_path
        The catch-up pass along the streets, ``(lat, lon)`` points per carrier; without it the
        pass is drawn as a dashed line in its visiting order.

    The catch-up pass with a late bundle is its own layer: ringed stops numbered L1, L2... in
    route order, and its path. Stops where the carrier waits for a window are ringed in amber.

    Returns
    -------
    folium.Map

    Raises
    ------
    InputError
        If a day stop is not in the route book or has an unknown action, or a subscriber is
        missing.
    """
    day = as_record(day)
    subs = subscribers_by_id(book, subscribers)
    paired = day_stops(book, day)
    m = _start(book, m, streets, tiles)
    back, front = _layers(m, len(paired), cluster)
    for r in book.routes:
        _draw_route(back, r, carrier_colour(r.carrier), len(book.order), f"Carrier {r.carrier}")
    stop_rows, spot_rows = [], []
    late_rows: dict[int, list[list[Any]]] = {}
    links = stop_links(book, paired, subs, nav)
    for (carrier, stop, ds), stop_nav in zip(paired, links, strict=True):
        sub = subs[stop.subscriber_id]
        label, colour, _ = ACTION_STYLES[str(ds["action"])]
        card = stop_card(sub, carrier, stop, book, ds, stop_nav)
        tip = f"{label}: {display_name(sub)}"
        if ds.get("late") and ds["action"] in VISITED:
            rows = late_rows.setdefault(carrier, [])
            tip = f"late pass {len(rows) + 1} ({ds.get('arrival') or ''}): {display_name(sub)}"
            label = f"L{len(rows) + 1}"
            rows.append(_stop_row(stop, sub, colour, card, tip, style="pr-late", label=label))
        else:
            style = "pr-wait" if int(ds.get("wait_s") or 0) >= 60 else ""
            stop_rows.append(_stop_row(stop, sub, colour, card, tip=tip, style=style))
        spot_rows.append(_spot_row(stop, sub, spot_icon(sub.spot.kind), colour, card))
    StopLayer(stop_rows).add_to(back["stops"])
    SpotLayer(spot_rows).add_to(front)
    if late_rows:
        _draw_late_pass(m, book, late_rows, late_path or {})
    _draw_depot(back["route"], book)
    Panel(day_panel(book, day, paired)).add_to(m)
    return _finish(m, book, subs)


def street_lines(G: nx.MultiDiGraph) -> list[list[tuple[float, float]]]:
    """The streets of an OSMnx-convention graph as ``(lat, lon)`` polylines, one per segment.

    Both directions of a two-way street give one line. The graph may be projected (its
    ``crs`` graph attribute) or in EPSG:4326.
    """
    import osmnx as ox

    edges = ox.graph_to_gdfs(G, nodes=False, fill_edge_geometry=True)
    edges = edges.to_crs("EPSG:4326")
    keys = edges.index.to_frame(index=False)
    pair = np.sort(keys[["u", "v"]].to_numpy(), axis=1)
    length = np.round(edges["length"].to_numpy(dtype=float), 1)
    seen: set[tuple[int, int, float]] = set()
    out = []
    for (a, b), ln, geom in zip(pair, length, edges.geometry, strict=True):
        if (a, b, ln) in seen:
            continue
        seen.add((a, b, ln))
        out.append([(y, x) for x, y in geom.coords])
    return out


def _start(
    book: RouteBook, m: folium.Map | None, streets: Streets | None, tiles: bool
) -> folium.Map:
    if m is None:
        m = OfflineMap(
            location=(book.depot.lat, book.depot.lon),
            zoom_start=15,
            tiles=None,
            control_scale=True,
            max_zoom=20,
        )
        if tiles:
            folium.TileLayer(
                "OpenStreetMap",
                name="OpenStreetMap tiles (when online)",
                attr=OSM_ATTRIBUTION,
                max_zoom=20,
                max_native_zoom=19,
                overlay=True,
            ).add_to(m)
    if not any(isinstance(c, Setup) for c in m._children.values()):
        Setup().add_to(m)
    if streets is not None:
        lines = _street_rows(streets, _book_bounds(book), _street_tolerance(len(book.order)))
        if lines:
            group = folium.FeatureGroup(name="Streets (OpenStreetMap data)", overlay=True)
            StreetLayer(lines).add_to(group)
            group.add_to(m)
    return m


def _layers(
    m: folium.Map, n_stops: int, cluster: bool | None
) -> tuple[dict[str, Element], Element]:
    """The back-end layer (route and, inside it, stops) and the front-end layer (spots)."""
    if cluster is None:
        cluster = n_stops >= CLUSTER_FROM
    route = folium.FeatureGroup(name="Back end: the route and its stops").add_to(m)
    if cluster:
        opts = {
            "disableClusteringAtZoom": 18,
            "maxClusterRadius": 45,
            "spiderfyOnMaxZoom": False,
            "chunkedLoading": True,
        }
        # folium leaves MarkerCluster's __init__ unannotated.
        stops = MarkerCluster(  # type: ignore[no-untyped-call]
            name="stops", control=False, options=opts
        ).add_to(route)
        front = MarkerCluster(  # type: ignore[no-untyped-call]
            name="Front end: delivery spots and walk-ins", options=opts
        ).add_to(m)
    else:
        stops = route
        front = folium.FeatureGroup(name="Front end: delivery spots and walk-ins").add_to(m)
    return {"route": route, "stops": stops}, front


def _route_line(r: CarrierRoute, tolerance: float) -> list[tuple[float, float]]:
    """The carrier's legs joined into one line, simplified and rounded."""
    pts: list[tuple[float, float]] = []
    for leg in r.legs:
        for p in leg:
            if not pts or p != pts[-1]:
                pts.append(p)
    if len(pts) > 2:
        line = shapely.simplify(shapely.LineString([(lon, lat) for lat, lon in pts]), tolerance)
        pts = [(y, x) for x, y in line.coords]
    return [(round(a, _DECIMALS), round(o, _DECIMALS)) for a, o in pts]


def _draw_route(
    back: dict[str, Element], r: CarrierRoute, colour: str, n_stops: int, title: str
) -> None:
    pts = _route_line(r, _SIMPLIFY_DEG * (3 if n_stops >= CLUSTER_FROM else 1))
    if len(pts) < 2:
        return
    tip = (
        f"{html.escape(title)}: {len(r.stops)} stops, {r.distance_m / 1000:.2f} km, "
        f"{hours_minutes(r.duration_s)}"
    )
    # folium leaves PolyLine's and PolyLineTextPath's __init__ unannotated.
    # A white casing under the coloured line keeps it readable on any background.
    folium.PolyLine(  # type: ignore[no-untyped-call]
        pts, color="#ffffff", weight=9, opacity=0.9, interactive=False
    ).add_to(back["route"])
    line = folium.PolyLine(  # type: ignore[no-untyped-call]
        pts, color=colour, weight=6, opacity=0.95, tooltip=tip
    )
    line.add_to(back["route"])
    # White arrowheads inside the line show the direction of travel.
    PolyLineTextPath(  # type: ignore[no-untyped-call]
        line,
        "          ►          ",
        repeat=True,
        offset=3.5,
        attributes={"fill": "#ffffff", "font-size": "10", "font-weight": "bold"},
    ).add_to(back["route"])


def _stop_row(
    stop: Stop,
    sub: Subscriber,
    colour: str,
    card: str,
    tip: str | None = None,
    style: str = "",
    label: str | int | None = None,
) -> list[Any]:
    return [
        round(stop.curb_lat, _DECIMALS),
        round(stop.curb_lon, _DECIMALS),
        stop.seq if label is None else label,
        colour,
        card,
        html.escape(tip or f"{stop.seq}. {display_name(sub)}"),
        1 if sub.hazard else 0,
        style,
    ]


#: The catch-up pass's colour on the day map.
LATE_COLOUR = "#8250df"


def _draw_late_pass(
    m: folium.Map,
    book: RouteBook,
    rows: Mapping[int, list[list[Any]]],
    paths: Mapping[int, Sequence[tuple[float, float]]],
) -> None:
    """The catch-up pass as its own layer: ringed stops L1, L2... and its path per carrier."""
    n = sum(len(r) for r in rows.values())
    group = folium.FeatureGroup(name=f"Late pass: {n} stops after the late bundle").add_to(m)
    depot = (round(book.depot.lat, _DECIMALS), round(book.depot.lon, _DECIMALS))
    for carrier, carrier_rows in rows.items():
        path = paths.get(carrier)
        if path:
            pts = [(round(a, _DECIMALS), round(o, _DECIMALS)) for a, o in path]
            dash, tip = None, f"Late pass of carrier {carrier}, along the streets"
        else:
            pts = [depot, *((r[0], r[1]) for r in carrier_rows), depot]
            dash, tip = "6 8", f"Late pass of carrier {carrier}: visiting order"
        folium.PolyLine(  # type: ignore[no-untyped-call]  # folium leaves it unannotated
            pts, color=LATE_COLOUR, weight=4, opacity=0.85, dash_array=dash, tooltip=tip
        ).add_to(group)
        StopLayer(carrier_rows).add_to(group)


def _spot_row(stop: Stop | None, sub: Subscriber, icon: str, colour: str, card: str) -> list[Any]:
    curb = (
        (None, None)
        if stop is None
        else (round(stop.curb_lat, _DECIMALS), round(stop.curb_lon, _DECIMALS))
    )
    tip = f"{kind_label(sub.spot.kind)}: {shorten(sub.spot.instructions or display_name(sub), 60)}"
    return [
        round(sub.spot.lat, _DECIMALS),
        round(sub.spot.lon, _DECIMALS),
        *curb,
        icon,
        colour,
        colour,
        card,
        html.escape(tip),
    ]


def _draw_unserved(m: folium.Map, book: RouteBook, subscribers: Sequence[Subscriber]) -> None:
    """Subscribers left out of the route, with the reason: nothing is dropped silently."""
    if not book.unserved:
        return
    subs = {s.id: s for s in subscribers}
    rows = []
    for u in book.unserved:
        sub = subs.get(u.subscriber_id)
        if sub is None:
            continue
        card = (
            f'<div class="pr-pop"><h4>{html.escape(display_name(sub))}</h4><div class="pr-addr">'
            f'{html.escape(sub.address)}</div><div class="pr-warn">Not on the route: '
            f"{html.escape(u.reason)}</div></div>"
        )
        rows.append(_spot_row(None, sub, "ban", "#6e7781", card))
    if rows:
        group = folium.FeatureGroup(name=f"Not on the route ({len(rows)})").add_to(m)
        SpotLayer(rows).add_to(group)


def _draw_depot(layer: Any, book: RouteBook) -> None:
    d = book.depot
    folium.Marker(
        (round(d.lat, _DECIMALS), round(d.lon, _DECIMALS)),
        icon=folium.Icon(icon="warehouse", prefix="fa", color="black", icon_color="white"),
        tooltip=html.escape(d.name),
        popup=folium.Popup(
            f"<b>{html.escape(d.name)}</b><br>Start and end of the route; "
            f"bundles picked up here from {format_clock(book.start_s)}",
            max_width=260,
        ),
    ).add_to(layer)


def _finish(m: folium.Map, book: RouteBook, subs: Mapping[str, Subscriber]) -> folium.Map:
    """Fit the map to everything drawn and keep one layer control, after every layer."""
    for key, child in list(m._children.items()):
        if isinstance(child, folium.LayerControl):
            del m._children[key]
    folium.LayerControl(collapsed=False, position="topright").add_to(m)
    m.fit_bounds(_book_bounds(book, subs), padding=(20, 20))
    return m


def _book_bounds(
    book: RouteBook, subs: Mapping[str, Subscriber] | None = None
) -> list[list[float]]:
    pts = [(book.depot.lat, book.depot.lon)]
    for r in book.routes:
        pts += [p for leg in r.legs for p in leg]
        pts += [(s.curb_lat, s.curb_lon) for s in r.stops]
        if subs is not None:
            pts += [
                (subs[s.subscriber_id].spot.lat, subs[s.subscriber_id].spot.lon) for s in r.stops
            ]
    arr = np.asarray(pts, dtype=float)
    lo, hi = arr.min(axis=0), arr.max(axis=0)
    return [
        [round(float(lo[0]), _DECIMALS), round(float(lo[1]), _DECIMALS)],
        [round(float(hi[0]), _DECIMALS), round(float(hi[1]), _DECIMALS)],
    ]


def _street_tolerance(n_stops: int) -> float:
    return _SIMPLIFY_DEG * (4 if n_stops >= CLUSTER_FROM else 2)


def _street_rows(
    streets: Streets, bounds: list[list[float]], tolerance: float
) -> list[list[list[float]]]:
    """Street polylines near the route, simplified and rounded to about a metre."""
    if hasattr(streets, "to_crs") and hasattr(streets, "geometry"):
        geoms = np.asarray(streets.to_crs("EPSG:4326").geometry.values, dtype=object)
    else:
        geoms = np.asarray(
            [
                shapely.LineString([(lon, lat) for lat, lon in line])
                for line in streets
                if len(line) >= 2
            ],
            dtype=object,
        )
    if len(geoms) == 0:
        return []
    # Keep the streets around the route (a 500 m margin), not the whole extract.
    margin_lat = 0.0045
    margin_lon = margin_lat / max(np.cos(np.radians(bounds[0][0])), 0.1)
    area = shapely.box(
        bounds[0][1] - margin_lon,
        bounds[0][0] - margin_lat,
        bounds[1][1] + margin_lon,
        bounds[1][0] + margin_lat,
    )
    geoms = geoms[shapely.intersects(geoms, area)]
    geoms = shapely.simplify(geoms, tolerance)
    rows = []
    for g in geoms:
        parts = g.geoms if hasattr(g, "geoms") else [g]
        for part in parts:
            d = _STREET_DECIMALS
            line = [[round(y, d), round(x, d)] for x, y in part.coords]
            if len(line) >= 2:
                rows.append(line)
    return rows
