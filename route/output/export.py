"""GeoJSON and GeoPackage exports of a route book (and optionally a day) for GIS tools.

Layers: ``route`` (one line per carrier along the streets), ``stops`` (curb points in route
order), ``spots`` (delivery spots) and ``walk_ins`` (curb point to spot). Coordinates are
WGS84 (EPSG:4326), longitude first as GeoJSON requires, rounded to 6 decimals (about 10 cm).
Every layer has one geometry type and typed columns, so QGIS opens each as its own layer.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from route.constants import OSM_CREDIT
from route.io.dayrecord import DayLike, as_record, day_stops
from route.io.files import atomic_path, atomic_write
from route.model.routebook import RouteBook, subscribers_by_id
from route.model.subscriber import Subscriber, format_clock

__all__ = ["LAYERS", "export_features", "to_geojson", "write_geojson", "write_geopackage"]

#: Layer names, in the order they are written.
LAYERS = ("route", "stops", "spots", "walk_ins")
ATTRIBUTION = f"Street geometry {OSM_CREDIT} (ODbL)"
_D = 6


def _pt(lat: float, lon: float) -> list[float]:
    return [round(lon, _D), round(lat, _D)]


def export_features(
    book: RouteBook, subscribers: Sequence[Subscriber], day: DayLike | None = None
) -> dict[str, list[dict[str, Any]]]:
    """GeoJSON features per layer (see :data:`LAYERS`).

    Raises
    ------
    InputError
        If a routed subscriber is missing, or the day does not match the route book.
    """
    day = None if day is None else as_record(day)
    subs = subscribers_by_id(book, subscribers)
    actions: dict[str, Mapping[str, Any]] = {}
    if day is not None:
        # The stop's own entry: a redelivery visit placed after it does not replace it.
        for _, _, entry in day_stops(book, day):
            if entry["action"] != "redeliver" or entry["id"] not in actions:
                actions[entry["id"]] = entry
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
        for stop in r.stops:
            sub = subs[stop.subscriber_id]
            ds = actions.get(sub.id)
            common = {"carrier": r.carrier, "seq": stop.seq, "id": sub.id, "name": sub.name}
            props = {
                **common, "address": sub.address, "arrival": format_clock(stop.arrival_s),
                "leg_m": stop.leg_m, "leg_s": stop.leg_s, "walk_in_m": stop.walk_in_m,
                "walk_in_s": stop.walk_in_s, "spot": sub.spot.kind,
                "instructions": sub.spot.instructions, "schedule": sub.schedule,
                "tier": sub.tier, "product": sub.product, "quantity": sub.quantity,
                "hazard": sub.hazard,
            }  # fmt: skip
            if day is not None:
                props["action"] = str(ds["action"]) if ds else ""
                props["reason"] = str(ds.get("reason") or "") if ds else ""
                # That day's arrival ("" for a stop passed by), its wait and its pass.
                if ds and "arrival" in ds:
                    props["arrival"] = str(ds.get("arrival") or "")
                props["wait_s"] = int(ds.get("wait_s") or 0) if ds else 0
                props["late"] = bool(ds.get("late")) if ds else False
            curb = _pt(stop.curb_lat, stop.curb_lon)
            spot = _pt(sub.spot.lat, sub.spot.lon)
            layers["stops"].append(_feature("Point", curb, props))
            layers["spots"].append(_feature("Point", spot, {
                **common, "spot": sub.spot.kind, "instructions": sub.spot.instructions,
                "rain": sub.spot.rain, "hazard": sub.hazard,
            }))  # fmt: skip
            layers["walk_ins"].append(_feature("LineString", [curb, spot], {
                **common, "walk_in_m": stop.walk_in_m, "walk_in_s": stop.walk_in_s,
            }))  # fmt: skip
    return layers


def _feature(kind: str, coords: Any, props: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "geometry": {"type": kind, "coordinates": coords},
            "properties": props}  # fmt: skip


def to_geojson(layers: Mapping[str, list[dict[str, Any]]]) -> str:
    """One FeatureCollection of the route and its stops (each feature names its ``layer``).

    Spots and walk-ins stay out (they are in the GeoPackage): a GeoJSON file is one layer in
    QGIS, split there by geometry type, so route lines and stop points are what it holds.
    """
    features = [
        {**f, "properties": {"layer": name, **f["properties"]}}
        for name in ("route", "stops")
        for f in layers[name]
    ]
    doc = {"type": "FeatureCollection", "attribution": ATTRIBUTION, "features": features}
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n"


def write_geojson(layers: Mapping[str, list[dict[str, Any]]], path: str | Path) -> Path:
    """Write :func:`to_geojson` atomically."""
    return atomic_write(path, to_geojson(layers))


def write_geopackage(layers: Mapping[str, list[dict[str, Any]]], path: str | Path) -> Path:
    """Write every layer into one GeoPackage, atomically (a temporary file, then a rename).

    Returns
    -------
    Path
    """
    import geopandas as gpd

    with atomic_path(path, suffix=".gpkg") as tmp:
        for name in LAYERS:
            if not layers[name]:
                continue
            gdf = gpd.GeoDataFrame.from_features(layers[name], crs="EPSG:4326")
            gdf.to_file(
                tmp,
                layer=name,
                driver="GPKG",
                engine="pyogrio",
                layer_options={"DESCRIPTION": f"paperroute {name}. {ATTRIBUTION}"},
            )
    return Path(path)
