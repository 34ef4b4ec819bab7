"""GeoJSON and GeoPackage exports of a route book (and optionally a day) for GIS tools.

The layers (:data:`LAYERS`), the same in both formats:

``route``
    One line per carrier along the streets (carrier, stops, distance, duration, walk-ins).
``stops``
    The curb points in route order, with who, where, the spot and its instructions. For a day,
    one feature per action of the day, a redelivery included, with the action, its reason and
    the day's own spot and instructions (the rain spot on a rainy day; ``usual_spot`` keeps the
    usual one).
``spots``
    The delivery spots (for a day, the spot kind used that day).
``walk_ins``
    Curb point to spot, with the walk-in's metres and seconds.
``unserved``
    Subscribers left out of the route, at their location, with the reason.

A GeoJSON file holds one FeatureCollection, so GeoJSON is one file per layer (``route.geojson``,
``stops.geojson``, ...); the GeoPackage holds the layers in one file. Coordinates are WGS84
(EPSG:4326), longitude first as GeoJSON requires, rounded to 6 decimals (about 10 cm). Every
layer has one geometry type and typed columns, so QGIS opens each as its own layer.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from route.constants import OSM_CREDIT
from route.io.dayrecord import DayLike, as_record, day_stops
from route.io.files import atomic_path, atomic_write
from route.model.routebook import RouteBook, Stop, subscribers_by_id
from route.model.subscriber import Subscriber, format_clock

__all__ = [
    "LAYERS",
    "export_features",
    "to_geojson",
    "write_geojson",
    "write_geopackage",
]

#: Layer names, in the order they are written.
LAYERS = ("route", "stops", "spots", "walk_ins", "unserved")
_GEOMETRY = {
    "route": "LineString",
    "stops": "Point",
    "spots": "Point",
    "walk_ins": "LineString",
    "unserved": "Point",
}
#: The text columns of a layer written with no features (most often: nobody is unserved).
_EMPTY_COLUMNS = {"unserved": ("id", "name", "address", "reason")}
ATTRIBUTION = f"Street geometry {OSM_CREDIT} (ODbL)"
_D = 6

Layers = Mapping[str, list[dict[str, Any]]]


def _pt(lat: float, lon: float) -> list[float]:
    return [round(lon, _D), round(lat, _D)]


def export_features(
    book: RouteBook, subscribers: Sequence[Subscriber], day: DayLike | None = None
) -> dict[str, list[dict[str, Any]]]:
    """GeoJSON features per layer (see :data:`LAYERS` and the module's description).

    Raises
    ------
    InputError
        If a routed subscriber is missing, or the day does not match the route book.
    """
    record = None if day is None else as_record(day)
    subs = subscribers_by_id(book, subscribers)
    layers: dict[str, list[dict[str, Any]]] = {name: [] for name in LAYERS}
    for r in book.routes:
        coords: list[list[float]] = []
        for leg in r.legs:
            for lat, lon in leg:
                p = _pt(lat, lon)
                if not coords or coords[-1] != p:
                    coords.append(p)
        if len(coords) >= 2:
            layers["route"].append(_feature("LineString", coords, {
                "carrier": r.carrier, "stops": len(r.stops), "distance_m": r.distance_m,
                "duration_s": r.duration_s, "walk_in_m": r.walk_in_m, "walk_in_s": r.walk_in_s,
                "route_version": book.version, "mode": book.mode,
            }))  # fmt: skip
    entries: list[tuple[int, Stop, Mapping[str, Any] | None]]
    if record is None:
        entries = [(r.carrier, s, None) for r in book.routes for s in r.stops]
    else:
        entries = list(day_stops(book, record))
    # The spot a subscriber gets today is that of their own delivery, not of a redelivery.
    main: dict[str, Mapping[str, Any]] = {}
    for carrier, stop, ds in entries:
        sub = subs[stop.subscriber_id]
        curb = _pt(stop.curb_lat, stop.curb_lon)
        props = {
            "carrier": carrier, "seq": stop.seq, "id": sub.id, "name": sub.name,
            "address": sub.address, "arrival": format_clock(stop.arrival_s),
            "leg_m": stop.leg_m, "leg_s": stop.leg_s, "walk_in_m": stop.walk_in_m,
            "walk_in_s": stop.walk_in_s, "spot": sub.spot.kind,
            "instructions": sub.spot.instructions, "rain": sub.spot.rain,
            "schedule": sub.schedule, "tier": sub.tier, "product": sub.product,
            "quantity": sub.quantity, "hazard": sub.hazard,
        }  # fmt: skip
        if ds is not None:
            props |= _day_props(sub, ds)
            if ds["action"] != "redeliver" or sub.id not in main:
                main[sub.id] = ds
        layers["stops"].append(_feature("Point", curb, props))
    for r in book.routes:
        for stop in r.stops:
            sub = subs[stop.subscriber_id]
            curb, spot = _pt(stop.curb_lat, stop.curb_lon), _pt(sub.spot.lat, sub.spot.lon)
            common = {"carrier": r.carrier, "seq": stop.seq, "id": sub.id, "name": sub.name}
            kind = sub.spot.kind
            if record is not None:
                kind = str((main.get(sub.id) or {}).get("spot") or kind)
            layers["spots"].append(_feature("Point", spot, {
                **common, "spot": kind, "usual_spot": sub.spot.kind,
                "instructions": sub.spot.instructions, "rain": sub.spot.rain,
                "hazard": sub.hazard,
            }))  # fmt: skip
            layers["walk_ins"].append(_feature("LineString", [curb, spot], {
                **common, "walk_in_m": stop.walk_in_m, "walk_in_s": stop.walk_in_s,
            }))  # fmt: skip
    everyone = {s.id: s for s in subscribers}
    for u in book.unserved:
        away = everyone.get(u.subscriber_id)
        if away is not None:
            layers["unserved"].append(_feature("Point", _pt(away.lat, away.lon), {
                "id": away.id, "name": away.name, "address": away.address, "reason": u.reason,
            }))  # fmt: skip
    return layers


def _day_props(sub: Subscriber, ds: Mapping[str, Any]) -> dict[str, Any]:
    """A day action's columns: what happens, why, and the day's own spot and instructions."""
    items = ds.get("items") or {}
    out = {
        "action": str(ds["action"]),
        "reason": str(ds.get("reason") or ""),
        "product": str(ds.get("product") or sub.product),
        "spot": str(ds.get("spot") or sub.spot.kind),
        "usual_spot": sub.spot.kind,
        "instructions": str(ds.get("instructions", sub.spot.instructions)),
        "items": ";".join(f"{p}={n}" for p, n in sorted(items.items())),
        "late": bool(ds.get("late", False)),
        "credit": int(ds.get("credit") or 0),
    }
    if "arrival" in ds:  # the day's own time of the visit, where the day has one, and its wait
        out["arrival"] = str(ds.get("arrival") or "")
        out["wait_s"] = int(ds.get("wait_s") or 0)
    return out


def _feature(kind: str, coords: Any, props: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "geometry": {"type": kind, "coordinates": coords},
            "properties": props}  # fmt: skip


def to_geojson(layers: Layers, name: str) -> str:
    """One layer as a GeoJSON FeatureCollection (RFC 7946), named and credited."""
    if name not in LAYERS:
        raise ValueError(f"no layer {name!r}; the layers are {', '.join(LAYERS)}")
    doc = {
        "type": "FeatureCollection",
        "name": name,
        "attribution": ATTRIBUTION,
        "features": list(layers[name]),
    }
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n"


def write_geojson(layers: Layers, folder: str | Path) -> list[Path]:
    """Write one GeoJSON file per layer into ``folder`` (``route.geojson``, ``stops.geojson``,
    ...), each atomically; empty layers too, so the set of files is always the same.

    Returns
    -------
    list of Path
        The files, in the order of :data:`LAYERS`.
    """
    folder = Path(folder)
    return [atomic_write(folder / f"{name}.geojson", to_geojson(layers, name)) for name in LAYERS]


def write_geopackage(layers: Layers, path: str | Path) -> Path:
    """Write every layer into one GeoPackage, atomically (a temporary file, then a rename);
    an empty layer too, with its geometry type, so the same layers are always there.

    Returns
    -------
    Path
    """
    import geopandas as gpd
    import pandas as pd

    with atomic_path(path, suffix=".gpkg") as tmp:
        for name in LAYERS:
            if layers[name]:
                gdf = gpd.GeoDataFrame.from_features(layers[name], crs="EPSG:4326")
            else:
                empty = {c: pd.Series(dtype=str) for c in _EMPTY_COLUMNS.get(name, ())}
                gdf = gpd.GeoDataFrame(empty, geometry=gpd.GeoSeries([], crs="EPSG:4326"))
            gdf.to_file(
                tmp,
                layer=name,
                driver="GPKG",
                engine="pyogrio",
                geometry_type=_GEOMETRY[name],
                layer_options={"DESCRIPTION": f"paperroute {name}. {ATTRIBUTION}"},
            )
    return Path(path)
