"""Subscriber files: reading CSV, GeoJSON and GeoPackage, and writing CSV and GeoJSON.

Validation happens here, at the boundary, and reports every problem at once (file, row, column,
value, fix) in one :class:`~route.errors.InputError`. Nothing downstream re-checks user input.
The writers (:func:`subscriber_records`, :func:`subscribers_csv`, :func:`subscribers_geojson`)
give the subscribers back in the same columns, so that reading what they wrote gives the same
subscribers: a workspace's subscribers can go out to a spreadsheet or QGIS and come back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from route.constants import (
    MAX_ID_CHARS,
    MAX_QUANTITY,
    MAX_ROWS,
    MAX_SERVICE_S,
    MAX_TEXT_CHARS,
    SPOT_KINDS,
    TIERS,
)
from route.errors import InputError, Issue, input_error
from route.io.fields import (
    DAY_INDEX,
    DAYS_FIX,
    PRODUCT_NAME,
    RowProblems,
    cell_text,
    check_size,
    near_network,
    parse_clock,
    parse_date,
    parse_days,
    parse_fixed_district,
    parse_float,
    parse_seconds,
    parse_whole,
    read_csv_table,
)
from route.io.geofiles import read_geo_rows
from route.model.extent import Extent
from route.model.subscriber import DeliverySpot, Subscriber

#: Every column a subscriber file may have; only ``id`` and a location are required.
COLUMNS = (
    "id",
    "name",
    "address",
    "lat",
    "lon",
    "spot",
    "spot_lat",
    "spot_lon",
    "instructions",
    "days",
    "tier",
    "product",
    "quantity",
    "substitutes",
    "earliest",
    "latest",
    "rain",
    "hazard",
    "service_s",
    "start",
    "stop",
    "carrier",
    "district",
)
DEFAULT_SPOT = "front_door"
_TABLE_SUFFIXES = {".csv": "CSV", ".geojson": "GeoJSON", ".json": "GeoJSON", ".gpkg": "GeoPackage"}

#: Geocoder: maps a normalised address to (lat, lon); see :func:`normalise_address`.
Addresses = Mapping[str, tuple[float, float]]


@dataclass(frozen=True, slots=True)
class SubscriberFile:
    """What a subscriber file held: the subscribers and any columns that were not used."""

    subscribers: tuple[Subscriber, ...]
    ignored_columns: tuple[str, ...] = ()


def read_subscribers(
    path: str | Path,
    *,
    addresses: Addresses | None = None,
    extent: Extent | None = None,
    layer: str | None = None,
) -> SubscriberFile:
    """Read and validate a subscriber file.

    Parameters
    ----------
    path
        A ``.csv``, ``.geojson`` or ``.gpkg`` file with the columns in :data:`COLUMNS`.
    addresses
        Optional geocoder used for rows with an ``address`` but no coordinates.
    extent
        The street network's area: a location more than
        :data:`~route.constants.MAX_OUTSIDE_NETWORK_M` outside it is refused (a swapped
        latitude and longitude is recognised and the right pair suggested).
    layer
        The layer of a GeoPackage holding several; required when it has more than one.

    Returns
    -------
    SubscriberFile
        The subscribers in file order.

    Raises
    ------
    InputError
        Listing every problem in the file at once.
    """
    path = Path(path)
    source = str(path)
    if not path.is_file():
        raise input_error(source, "file not found", "check the path and spelling")
    kind = _TABLE_SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise input_error(
            source,
            f"unsupported file type '{path.suffix}'",
            "give a .csv, .geojson or .gpkg file",
        )
    if layer is not None and kind == "CSV":
        raise input_error(
            source, "a CSV file has no layers", "leave out --layer for a CSV file", value=layer
        )
    check_size(path)
    rows, first_row = (
        (read_csv_table(path), 2) if kind == "CSV" else (read_geo_rows(path, layer), 1)
    )
    return parse_subscribers(
        rows, source=source, first_row=first_row, addresses=addresses, extent=extent
    )


def parse_subscribers(
    rows: Iterable[Mapping[str, Any]],
    *,
    source: str,
    first_row: int = 2,
    addresses: Addresses | None = None,
    extent: Extent | None = None,
) -> SubscriberFile:
    """Validate raw rows (column -> value) into subscribers, collecting every problem.

    A row's number is its ``__row__`` entry where the reader gave one (blank rows skipped but
    counted), else ``first_row`` plus its position.

    Raises
    ------
    InputError
        Listing every problem at once.
    """
    rows = list(rows)
    problems: list[Issue] = []
    if not rows:
        raise input_error(source, "no subscribers in the file", "add one row per subscriber")
    if len(rows) > MAX_ROWS:
        raise input_error(
            source,
            f"{len(rows):,} subscribers, more than the limit of {MAX_ROWS:,}",
            f"split the file into files of at most {MAX_ROWS:,} rows",
        )
    columns = list(dict.fromkeys(k for r in rows for k in r if not k.startswith("__")))
    if "id" not in columns:
        problems.append(
            Issue(source, "there is no 'id' column", "add an 'id' column with a unique id per row")
        )
    has_coords = "lat" in columns and "lon" in columns
    has_geometry = any("__geometry__" in r for r in rows)
    if not has_coords and not has_geometry and "address" not in columns:
        problems.append(
            Issue(
                source,
                "no location columns",
                "add 'lat' and 'lon' columns (WGS84 degrees), a point geometry, or an 'address'",
            )
        )
    if problems:
        raise InputError(problems)

    subscribers: list[Subscriber] = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(rows):
        rowno = raw.get("__row__", first_row + i)
        cells = {k: cell_text(v) for k, v in raw.items() if not k.startswith("__")}
        p = RowProblems(source, rowno, problems)
        if "__extra__" in raw:
            p.add(None, raw["__extra__"], "the row has more cells than the header", "remove them")
        if "__geometry__" in raw:
            p.add("geometry", raw["__geometry__"], "not a point", "use point geometries")
        sub = _parse_row(cells, p, addresses, extent)
        # Ids are compared whether or not their rows are valid: every problem at once.
        sid = cells.get("id", "")
        if sid in seen:
            p.add("id", sid, f"duplicate id (also in row {seen[sid]})", "make ids unique")
            continue
        if sid:
            seen[sid] = rowno
        if sub is not None:
            subscribers.append(sub)
    if problems:
        raise InputError(problems)
    ignored = tuple(c for c in columns if c not in COLUMNS)
    return SubscriberFile(tuple(subscribers), ignored)


#: Free-text columns: at most :data:`~route.constants.MAX_TEXT_CHARS` each, no control codes.
TEXT_COLUMNS = ("name", "address", "instructions", "hazard")


def check_text(p: RowProblems, column: str, text: str, *, limit: int, single: bool) -> bool:
    """Whether ``text`` fits ``limit`` characters and holds no control characters.

    Terminal escape codes and other control characters are refused; free text (``single``
    false) may break lines and hold tabs. Adds the problem to ``p`` and returns False if not.
    """
    if len(text) > limit:
        p.add(
            column,
            text[:40] + "...",
            f"{len(text):,} characters, more than the limit of {limit:,}",
            f"shorten it to at most {limit:,} characters",
        )
        return False
    allowed = "" if single else "\n\t"
    bad = [ch for ch in text if not ch.isprintable() and ch not in allowed]
    if bad:
        p.add(
            column,
            text,
            f"holds a control character ({bad[0]!r}, such as a terminal escape code)",
            "remove it: write plain text",
        )
        return False
    return True


def _parse_row(
    c: dict[str, str], p: RowProblems, addresses: Addresses | None, extent: Extent | None
) -> Subscriber | None:
    start = p.count
    sid = c.get("id", "")
    if not sid:
        p.add("id", sid, "missing id", "give every row a unique id")
    else:
        check_text(p, "id", sid, limit=MAX_ID_CHARS, single=True)
    for column in TEXT_COLUMNS:
        check_text(p, column, c.get(column, ""), limit=MAX_TEXT_CHARS, single=False)
    address = c.get("address", "")
    lat, lon = _point(c, "lat", "lon", p, extent)
    if lat is None and not (c.get("lat") or c.get("lon")):
        if address and addresses is not None:
            hit = addresses.get(normalise_address(address))
            if hit is None:
                p.add(
                    "address",
                    address,
                    "address not found in the street data",
                    "give 'lat' and 'lon', or write the address as in OpenStreetMap ('Street 12')",
                )
            else:
                lat, lon = hit
        else:
            p.add(
                "lat",
                "",
                "no location",
                "give 'lat' and 'lon' (WGS84 degrees)"
                + (
                    " or an address in the street data"
                    if addresses is not None
                    else (
                        ", or look the address up in the street data: "
                        "read_subscribers(path, addresses=route.street_addresses(NETWORK))"
                        if address
                        else ""
                    )
                ),
            )
    kind = (c.get("spot") or DEFAULT_SPOT).lower().replace(" ", "_").replace("-", "_")
    if kind not in SPOT_KINDS:
        p.add("spot", c.get("spot"), "unknown spot kind", f"use one of: {', '.join(SPOT_KINDS)}")
    slat, slon = _point(c, "spot_lat", "spot_lon", p, extent)
    days = p.parse("days", c.get("days", ""), parse_days, "unknown schedule", DAYS_FIX)
    tier = (c.get("tier") or "paying").lower()
    if tier not in TIERS:
        p.add("tier", c.get("tier"), "unknown tier", f"use one of: {', '.join(TIERS)}")
    product = c.get("product") or "paper"
    if not _product_name(product):
        p.add("product", product, "not a product name", PRODUCT_FIX)
    quantity = p.parse(
        "quantity",
        c.get("quantity") or "1",
        lambda t: parse_whole(t, 1, MAX_QUANTITY),
        f"not a whole number from 1 to {MAX_QUANTITY:,} (the limit per subscriber)",
        "write the items this subscriber gets a day, e.g. 1",
    )
    subs = c.get("substitutes", "")
    substitutes: tuple[str, ...] = ()
    if subs and subs.lower() != "none":
        substitutes = tuple(s.strip() for s in subs.split(";") if s.strip())
        bad = [s for s in substitutes if not _product_name(s) or s == product]
        if bad:
            p.add(
                "substitutes",
                subs,
                "substitutes must be other product names",
                "list other products separated by ';', or write 'none'",
            )
    earliest = p.parse("earliest", c.get("earliest", ""), parse_clock, "not a time", "use HH:MM")
    latest = p.parse("latest", c.get("latest", ""), parse_clock, "not a time", "use HH:MM")
    if earliest is not None and latest is not None and earliest >= latest:
        p.add("latest", c.get("latest"), "the window closes before it opens", "make latest later")
    rain = (c.get("rain") or "").lower()
    if rain and rain != "bag" and rain not in SPOT_KINDS:
        p.add("rain", c.get("rain"), "unknown rain rule", "write 'bag' or a spot kind")
    service = p.parse(
        "service_s",
        c.get("service_s", ""),
        _service_seconds,
        f"not a number of seconds from 0 to {MAX_SERVICE_S:,} (the limit at one stop)",
        "write the seconds a delivery takes there, e.g. 30, or leave it empty for the default",
    )
    first = p.parse(
        "start", c.get("start", ""), _optional_date, "not a date", "use YYYY-MM-DD, or leave empty"
    )
    last = p.parse(
        "stop", c.get("stop", ""), _optional_date, "not a date", "use YYYY-MM-DD, or leave empty"
    )
    if first is not None and last is not None and last < first:
        p.add("stop", c.get("stop"), "service stops before it starts", "swap 'start' and 'stop'")
    carrier, district = parse_fixed_district(c, p)
    if p.count > start or lat is None or lon is None:
        return None
    # A failed parse adds a problem, so past the check above these parsed.
    assert days is not None
    assert quantity is not None
    spot = DeliverySpot(
        kind=kind,
        lat=lat if slat is None else slat,
        lon=lon if slon is None else slon,
        instructions=c.get("instructions", ""),
        rain=rain,
    )
    return Subscriber(
        id=sid,
        lat=lat,
        lon=lon,
        spot=spot,
        name=c.get("name", ""),
        address=address,
        days=days,
        tier=tier,
        product=product,
        quantity=quantity,
        substitutes=substitutes,
        earliest=earliest,
        latest=latest,
        hazard=c.get("hazard", ""),
        service_s=service,
        start=first,
        stop=last,
        carrier=carrier,
        district=district,
    )


PRODUCT_FIX = f"use letters, digits, '_', '-' or '.', at most {MAX_ID_CHARS} characters"


def _product_name(text: str) -> bool:
    return len(text) <= MAX_ID_CHARS and PRODUCT_NAME.match(text) is not None


def _service_seconds(text: str) -> float | None:
    v = parse_seconds(text)
    if v is not None and v > MAX_SERVICE_S:
        raise ValueError(text)
    return v


def _optional_date(text: str) -> date | None:
    # GeoPackage and GeoJSON readers turn date columns into midnight timestamps.
    if len(text) == 19 and text[10] in " T" and text.endswith("00:00:00"):
        text = text[:10]
    return parse_date(text) if text else None


def _point(
    c: dict[str, str], lat_col: str, lon_col: str, p: RowProblems, extent: Extent | None
) -> tuple[float, float] | tuple[None, None]:
    lat_s, lon_s = c.get(lat_col, ""), c.get(lon_col, "")
    if not lat_s and not lon_s:
        return None, None
    if not lat_s or not lon_s:
        missing = lat_col if not lat_s else lon_col
        p.add(missing, "", f"'{lat_col}' and '{lon_col}' go together", f"fill in '{missing}'")
        return None, None
    lat = p.parse(
        lat_col, lat_s, parse_float, "not a number", "write decimal degrees, e.g. 60.1699"
    )
    lon = p.parse(
        lon_col, lon_s, parse_float, "not a number", "write decimal degrees, e.g. 24.9384"
    )
    if lat is not None and lon is not None and abs(lat) > 90 and abs(lon) > 180:
        p.add(
            lat_col,
            f"{lat_s}, {lon_s}",
            "not degrees: these look like projected coordinates (metres)",
            "give the file's coordinate system (a GeoPackage or GeoJSON with its CRS), "
            "or convert to WGS84 degrees",
        )
        return None, None
    if lat is not None and not -90 <= lat <= 90:
        p.add(lat_col, lat_s, "latitude out of range", "use -90..90 (are lat and lon swapped?)")
        lat = None
    if lon is not None and not -180 <= lon <= 180:
        p.add(lon_col, lon_s, "longitude out of range", "use -180..180")
        lon = None
    if lat is None or lon is None:
        return None, None
    if extent is not None and not near_network(extent, lat, lon, lat_col, lat_s, lon_s, p):
        return None, None
    return lat, lon


DAY_INDEX.update(
    {
        name: i
        for i, name in enumerate(
            ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        )
    }
)


def normalise_address(address: str) -> str:
    """Normalise an address for matching: lower case, single spaces, no commas after the number."""
    first = address.split(",")[0]
    return " ".join(first.lower().split())


def street_addresses(source: str) -> dict[str, tuple[float, float]]:
    """The addressed buildings of an OpenStreetMap extract, for :func:`read_subscribers`.

    ``read_subscribers("subscribers.csv", addresses=route.street_addresses("town.osm.pbf"))``
    places rows that have an ``address`` and no ``lat``/``lon`` on the building with that
    address (``addr:street`` and ``addr:housenumber``, matched as :func:`normalise_address`
    writes them). ``paperroute import`` does the same with the workspace's network.

    Parameters
    ----------
    source
        An ``.osm.pbf`` extract, or ``demo``. Other sources carry no buildings and give an
        empty mapping (every address-only row is then reported as not found).

    Returns
    -------
    dict
        Normalised address -> (lat, lon) of the building.
    """
    from route.io.osm import load_buildings

    return {normalise_address(b.address): (b.lat, b.lon) for b in load_buildings(source)}


def _number(v: float | None) -> str:
    """A number as a subscriber file writes it: whole numbers without ".0", others exactly."""
    if v is None:
        return ""
    return str(int(v)) if float(v).is_integer() and abs(v) < 1e15 else repr(float(v))


def subscriber_records(subscribers: Iterable[Subscriber]) -> list[dict[str, Any]]:
    """The subscribers as rows of a subscriber file, in the columns of :data:`COLUMNS`.

    Reading the rows back (:func:`parse_subscribers`) gives the same subscribers. Locations and
    spot points are written exactly (``repr`` of the float); times as ``HH:MM``; schedules as
    people write them (``Mon-Sat``); substitutes ``;``-separated.
    """
    from route.model.subscriber import district_name, format_clock, format_days

    out = []
    for s in subscribers:
        out.append(
            {
                "id": s.id,
                "name": s.name,
                "address": s.address,
                "lat": repr(s.lat),
                "lon": repr(s.lon),
                "spot": s.spot.kind,
                "spot_lat": repr(s.spot.lat),
                "spot_lon": repr(s.spot.lon),
                "instructions": s.spot.instructions,
                "days": format_days(s.days),
                "tier": s.tier,
                "product": s.product,
                "quantity": str(s.quantity),
                "substitutes": ";".join(s.substitutes),
                "earliest": format_clock(s.earliest),
                "latest": format_clock(s.latest),
                "rain": s.spot.rain,
                "hazard": s.hazard,
                "service_s": _number(s.service_s),
                "start": s.start.isoformat() if s.start else "",
                "stop": s.stop.isoformat() if s.stop else "",
                "carrier": "" if s.carrier is None else str(s.carrier),
                "district": "" if s.district is None else district_name(s.district, s.district),
            }
        )
    return out


def subscribers_csv(subscribers: Iterable[Subscriber]) -> str:
    """The subscribers as a CSV subscriber file (a header row of :data:`COLUMNS`)."""
    import csv
    import io

    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(COLUMNS), lineterminator="\n")
    w.writeheader()
    w.writerows(subscriber_records(subscribers))
    return buf.getvalue()


def subscribers_geojson(subscribers: Iterable[Subscriber]) -> str:
    """The subscribers as a GeoJSON subscriber file: a point at each location (WGS84, exact)
    and the other columns of :data:`COLUMNS` as properties (numbers as JSON numbers)."""
    import json

    features = []
    for rec in subscriber_records(subscribers):
        lat, lon = float(rec.pop("lat")), float(rec.pop("lon"))
        props: dict[str, Any] = dict(rec)
        for key in ("spot_lat", "spot_lon"):
            props[key] = float(props[key])
        props["quantity"] = int(props["quantity"])
        props["service_s"] = float(props["service_s"]) if props["service_s"] else None
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
                "properties": props,
            }
        )
    doc = {"type": "FeatureCollection", "name": "subscribers", "features": features}
    return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"


def subscribers_frame(
    subscribers: Iterable[Subscriber], active: Iterable[bool] | None = None
) -> Any:
    """The subscribers as a :class:`geopandas.GeoDataFrame` in WGS84 (EPSG:4326).

    Columns: those of :data:`COLUMNS` with typed values (``lat``, ``lon``, ``spot_lat``,
    ``spot_lon`` and ``service_s`` floats, ``quantity`` an integer, the rest text as a
    subscriber file writes it), ``active`` where given, and ``geometry``: the location as a
    point. One row per subscriber, in the order given.
    """
    import geopandas as gpd
    import shapely

    subs = list(subscribers)
    rows = subscriber_records(subs)
    for rec in rows:
        for key in ("lat", "lon", "spot_lat", "spot_lon"):
            rec[key] = float(rec[key])
        rec["quantity"] = int(rec["quantity"])
        rec["service_s"] = float(rec["service_s"]) if rec["service_s"] else float("nan")
    columns = list(COLUMNS)
    if active is not None:
        for rec, flag in zip(rows, active, strict=True):
            rec["active"] = bool(flag)
        columns.append("active")
    geometry = shapely.points([s.lon for s in subs], [s.lat for s in subs])
    return gpd.GeoDataFrame(rows, columns=columns, geometry=geometry, crs="EPSG:4326")
