"""Interactive Folium maps of a route book.

Coordinates are (lat, lon) here, at the map edge; everything upstream measures in the network's
projected CRS.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import folium

from .model import RouteBook, Subscriber, format_clock

OSM_ATTRIBUTION = "© OpenStreetMap contributors (ODbL)"
CARRIER_COLOURS = ("#1f6feb", "#d1242f", "#1a7f37", "#8250df", "#bc4c00", "#0a7ea4")


def plan_map(
    book: RouteBook, subscribers: Sequence[Subscriber], m: folium.Map | None = None
) -> folium.Map:
    """Draw the route book: the route along the streets, numbered stops and delivery spots."""
    subs = {s.id: s for s in subscribers}
    if m is None:
        m = folium.Map(location=(book.depot.lat, book.depot.lon), zoom_start=15, tiles=None)
        folium.TileLayer("OpenStreetMap", attr=OSM_ATTRIBUTION).add_to(m)
    points: list[tuple[float, float]] = [(book.depot.lat, book.depot.lon)]
    for r in book.routes:
        colour = CARRIER_COLOURS[(r.carrier - 1) % len(CARRIER_COLOURS)]
        for leg in r.legs:
            folium.PolyLine(leg, color=colour, weight=4, opacity=0.8).add_to(m)
            points.extend(leg)
        for stop in r.stops:
            sub = subs[stop.subscriber_id]
            popup = (
                f"<b>{stop.seq}. {html.escape(sub.name or sub.id)}</b>"
                f"<br>{html.escape(sub.address)}"
                f"<br>{sub.spot.kind.replace('_', ' ')}: {html.escape(sub.spot.instructions)}"
                f"<br>arrive {format_clock(stop.arrival_s)}"
            )
            folium.Marker(
                (stop.curb_lat, stop.curb_lon),
                popup=folium.Popup(popup, max_width=300),
                icon=folium.DivIcon(html=f'<div class="stop-number">{stop.seq}</div>'),
            ).add_to(m)
            folium.CircleMarker((sub.spot.lat, sub.spot.lon), radius=4, color="#444").add_to(m)
    folium.Marker((book.depot.lat, book.depot.lon), tooltip=book.depot.name).add_to(m)
    lats = [p[0] for p in points]
    lons = [p[1] for p in points]
    m.fit_bounds([(min(lats), min(lons)), (max(lats), max(lons))])
    return m
