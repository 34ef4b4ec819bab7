"""GeoJSON and GeoPackage subscriber files read into rows: the layer chosen (a file of several
needs ``--layer``), the coordinates converted to WGS84, points turned into ``lat`` and ``lon``.
The rows are validated by :mod:`route.io.subscribers` like a CSV file's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from route.constants import MAX_ROWS
from route.errors import input_error
from route.io.fields import is_missing

__all__ = ["read_geo_rows"]


def _layer(path: Path, layer: str | None) -> str | None:
    """The layer to read: the one asked for, or the only one (a file of several needs a name)."""
    import pyogrio

    try:
        layers = [(str(name), str(geom)) for name, geom in pyogrio.list_layers(path)]
    except Exception as e:  # pyogrio raises its own error classes for unreadable files
        raise input_error(str(path), f"cannot be read ({e})", "check the file opens in QGIS") from e
    listing = ", ".join(f"{name} ({geom or 'no geometry'})" for name, geom in layers)
    names = [name for name, _ in layers]
    if not layers:
        raise input_error(str(path), "the file has no layers", "save the subscribers into it")
    if layer is None:
        if len(layers) > 1:
            raise input_error(
                str(path),
                f"the file has {len(layers)} layers: {listing}",
                "choose the subscribers' layer with --layer NAME",
            )
        return None
    if layer not in names:
        raise input_error(
            str(path),
            f"no layer named {layer!r}; the file has {listing}",
            "give one of these names to --layer",
            column="--layer",
            value=layer,
        )
    return layer


def read_geo_rows(path: Path, layer: str | None) -> list[dict[str, Any]]:
    """The features of a GeoJSON file or of a GeoPackage layer as rows of cells by lower-case
    column name, a point's ``lat`` and ``lon`` filled in from its geometry (other geometries
    named in ``__geometry__``, for the reader to refuse)."""
    import warnings

    import geopandas as gpd  # heavy; only for geo formats

    chosen = _layer(path, layer)
    try:
        with warnings.catch_warnings():
            # The reader's own warnings (a layer chosen for us, unsupported measures) are
            # replaced by our checks; none reaches the user raw.
            warnings.simplefilter("ignore")
            gdf = gpd.read_file(path, layer=chosen) if chosen else gpd.read_file(path)
    except Exception as e:  # pyogrio raises its own error classes for unreadable files
        raise input_error(str(path), f"cannot be read ({e})", "check the file opens in QGIS") from e
    if len(gdf) > MAX_ROWS:
        raise input_error(
            str(path),
            f"{len(gdf):,} features, more than the limit of {MAX_ROWS:,}",
            f"split the file into files of at most {MAX_ROWS:,} features",
        )
    names = [str(k).strip().lower() for k in gdf.columns]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise input_error(
            str(path),
            f"the column {twice[0]!r} appears twice (names differ only in case or spaces)",
            "keep one of the two columns",
            column=twice[0],
        )
    if "geometry" not in gdf.columns:  # a table without geometry: lat and lon columns, if any
        return [
            {k.strip().lower(): ("" if is_missing(v) else v) for k, v in rec.items()}
            for rec in gdf.to_dict("records")
        ]
    if gdf.crs is not None and not gdf.crs.equals("EPSG:4326"):
        try:
            gdf = gdf.to_crs("EPSG:4326")
        except Exception as e:  # pyproj's errors for a CRS it cannot transform
            raise input_error(
                str(path),
                f"its coordinate system cannot be converted to WGS84 ({gdf.crs.name})",
                "save the layer in EPSG:4326 (WGS84) or another standard CRS",
            ) from e
    rows: list[dict[str, Any]] = []
    for rec, geom in zip(
        gdf.drop(columns="geometry").to_dict("records"), gdf.geometry, strict=True
    ):
        rec = {str(k).strip().lower(): ("" if is_missing(v) else v) for k, v in rec.items()}
        if geom is not None and not geom.is_empty:
            if geom.geom_type == "MultiPoint" and len(geom.geoms) == 1:
                geom = geom.geoms[0]  # GIS tools often save single points as multi-points
            if geom.geom_type == "Point":
                # Explicit lat/lon columns win over the geometry.
                if rec.get("lat", "") == "" and rec.get("lon", "") == "":
                    rec["lat"], rec["lon"] = geom.y, geom.x
            else:
                rec["__geometry__"] = geom.geom_type
        rows.append(rec)
    return rows
