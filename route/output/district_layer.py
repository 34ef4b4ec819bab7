"""The districts on a map: one coloured area with its outline per district, in its own layer.

A district's area is the concave hull of its subscribers' locations, buffered by
:data:`MARGIN_M` so a district of one street still shows as an area. It takes the colour of
the route of the same number (district i is carrier i's territory), and its tooltip names the
district and its stop count. Drawn as inline GeoJSON: the page works offline.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import folium
import numpy as np
import shapely

from route.model.routebook import RouteBook
from route.model.subscriber import Subscriber
from route.output.style import carrier_colour

#: Metres around a district's outermost subscribers.
MARGIN_M = 25.0
#: How tightly the outline follows the subscribers (shapely ``concave_hull`` ratio).
HULL_RATIO = 0.3
_DECIMALS = 6


def route_districts(book: RouteBook, districts: Mapping[str, str]) -> dict[int, str]:
    """Carrier -> the district their route serves, for each route whose stops all lie in one
    district (a route book planned before the districts changed names none for a mixed
    route)."""
    out = {}
    for r in book.routes:
        names = {districts.get(s.subscriber_id) for s in r.stops}
        if len(names) == 1 and (name := names.pop()) is not None:
            out[r.carrier] = name
    return out


def district_areas(
    districts: Mapping[str, str], subscribers: Sequence[Subscriber]
) -> dict[str, shapely.Geometry]:
    """Each district's area as a (lon, lat) polygon, in name order."""
    where = {s.id: (s.lon, s.lat) for s in subscribers}
    members: dict[str, list[tuple[float, float]]] = {}
    for sid, name in districts.items():
        if sid in where:
            members.setdefault(name, []).append(where[sid])
    out = {}
    for name in sorted(members):
        pts = members[name]
        lat0 = sum(p[1] for p in pts) / len(pts)
        # Buffer in metres on a local equirectangular plane around the district.
        kx, ky = 111_320.0 * math.cos(math.radians(lat0)), 111_320.0
        local = shapely.multipoints([(x * kx, y * ky) for x, y in pts])
        area = shapely.concave_hull(local, ratio=HULL_RATIO).buffer(MARGIN_M)
        scale = np.array([kx, ky])
        out[name] = shapely.transform(area, lambda c, k=scale: c / k)
    return out


def add_districts(
    m: folium.Map, districts: Mapping[str, str], subscribers: Sequence[Subscriber]
) -> folium.FeatureGroup:
    """Draw the districts on ``m`` in a layer of their own; return the layer."""
    areas = district_areas(districts, subscribers)
    sizes: dict[str, int] = {}
    for name in districts.values():
        sizes[name] = sizes.get(name, 0) + 1
    group = folium.FeatureGroup(name=f"Districts ({len(areas)})")
    for name, area in areas.items():
        number = int(name[1:]) if name[1:].isdigit() else 1
        colour = carrier_colour(number)
        feature = {
            "type": "Feature",
            "properties": {"district": name, "stops": sizes.get(name, 0)},
            "geometry": shapely.geometry.mapping(shapely.set_precision(area, 10**-_DECIMALS)),
        }
        folium.GeoJson(
            feature,
            name=name,
            style_function=lambda _f, c=colour: {
                "color": c,
                "weight": 2,
                "fillColor": c,
                "fillOpacity": 0.12,
            },
            tooltip=folium.GeoJsonTooltip(
                fields=["district", "stops"], aliases=["District", "Stops"]
            ),
        ).add_to(group)
    group.add_to(m)
    return group
