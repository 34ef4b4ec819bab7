"""Reading subscriber files: CSV, GeoJSON and GeoPackage.

Validation happens here, at the boundary, and reports every problem at once (file, row, column,
value, fix) in one :class:`~route.errors.InputError`. Nothing downstream re-checks user input.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from .constants import SPOT_KINDS, TIERS, WEEKDAYS
from .day import COMPLAINT_KINDS, Complaint, Hold
from .errors import InputError, Problem, input_error
from .model import DeliverySpot, Subscriber

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
)
DEFAULT_SPOT = "front_door"
_TABLE_SUFFIXES = {".csv": "CSV", ".geojson": "GeoJSON", ".json": "GeoJSON", ".gpkg": "GeoPackage"}
_PRODUCT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::00)?$")  # GeoJSON readers add ":00"

#: Geocoder: maps a normalised address to (lat, lon); see :func:`normalise_address`.
Addresses = Mapping[str, tuple[float, float]]


@dataclass(frozen=True, slots=True)
class SubscriberFile:
    """What a subscriber file held: the subscribers and any columns that were not used."""

    subscribers: tuple[Subscriber, ...]
    ignored_columns: tuple[str, ...] = ()


def read_subscribers(path: str | Path, *, addresses: Addresses | None = None) -> SubscriberFile:
    """Read and validate a subscriber file.

    Parameters
    ----------
    path
        A ``.csv``, ``.geojson`` or ``.gpkg`` file with the columns in :data:`COLUMNS`.
    addresses
        Optional geocoder used for rows with an ``address`` but no coordinates.

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
    rows, first_row = (_read_csv(path), 2) if kind == "CSV" else (_read_geo(path), 1)
    return parse_subscribers(rows, source=source, first_row=first_row, addresses=addresses)


def _read_csv(path: Path) -> list[dict[str, Any]]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            rows = [dict(r) for r in reader]
            if reader.fieldnames is None:
                raise input_error(str(path), "the file is empty", "add a header row with 'id'")
    except UnicodeDecodeError as e:
        raise input_error(str(path), "the file is not UTF-8 text", "save it as UTF-8 CSV") from e
    except csv.Error as e:
        raise input_error(str(path), f"not a readable CSV ({e})", "save it as CSV") from e
    for r in rows:
        if None in r:  # more cells than headers
            r["__extra__"] = r.pop(None)
    return rows


def _read_geo(path: Path) -> list[dict[str, Any]]:
    import geopandas as gpd  # heavy; only for geo formats

    try:
        gdf = gpd.read_file(path)
    except Exception as e:  # pyogrio raises its own error classes for unreadable files
        raise input_error(str(path), f"cannot be read ({e})", "check the file opens in QGIS") from e
    if gdf.crs is not None and not gdf.crs.equals("EPSG:4326"):
        gdf = gdf.to_crs("EPSG:4326")
    rows: list[dict[str, Any]] = []
    for rec, geom in zip(
        gdf.drop(columns="geometry").to_dict("records"), gdf.geometry, strict=True
    ):
        rec = {k: ("" if _is_missing(v) else v) for k, v in rec.items()}
        if geom is not None and not geom.is_empty:
            if geom.geom_type == "Point":
                # Explicit lat/lon columns win over the geometry.
                if rec.get("lat", "") == "" and rec.get("lon", "") == "":
                    rec["lat"], rec["lon"] = geom.y, geom.x
            else:
                rec["__geometry__"] = geom.geom_type
        rows.append(rec)
    return rows


def _is_missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def parse_subscribers(
    rows: Iterable[Mapping[str, Any]],
    *,
    source: str,
    first_row: int = 2,
    addresses: Addresses | None = None,
) -> SubscriberFile:
    """Validate raw rows (column -> value) into subscribers, collecting every problem.

    Raises
    ------
    InputError
        Listing every problem at once.
    """
    rows = list(rows)
    problems: list[Problem] = []
    if not rows:
        raise input_error(source, "no subscribers in the file", "add one row per subscriber")
    columns = list(dict.fromkeys(k for r in rows for k in r if not k.startswith("__")))
    if "id" not in columns:
        problems.append(
            Problem(
                source, "there is no 'id' column", "add an 'id' column with a unique id per row"
            )
        )
    has_coords = "lat" in columns and "lon" in columns
    has_geometry = any("__geometry__" in r for r in rows)
    if not has_coords and not has_geometry and "address" not in columns:
        problems.append(
            Problem(
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
        rowno = first_row + i
        cells = {k: _text(v) for k, v in raw.items() if not k.startswith("__")}
        p = _RowProblems(source, rowno, problems)
        if "__extra__" in raw:
            p.add(None, raw["__extra__"], "the row has more cells than the header", "remove them")
        if "__geometry__" in raw:
            p.add("geometry", raw["__geometry__"], "not a point", "use point geometries")
        sub = _parse_row(cells, p, addresses)
        if sub is None:
            continue
        if sub.id in seen:
            p.add("id", sub.id, f"duplicate id (also in row {seen[sub.id]})", "make ids unique")
            continue
        seen[sub.id] = rowno
        subscribers.append(sub)
    if problems:
        raise InputError(problems)
    ignored = tuple(c for c in columns if c not in COLUMNS)
    return SubscriberFile(tuple(subscribers), ignored)


class _RowProblems:
    def __init__(self, source: str, row: int | None, sink: list[Problem]) -> None:
        self.source, self.row, self.sink, self.count = source, row, sink, 0

    def add(self, column: str | None, value: object, message: str, fix: str) -> None:
        self.sink.append(Problem(self.source, message, fix, self.row, column, value))
        self.count += 1

    def parse(self, column: str, text: str, fn: Callable[[str], Any], message: str, fix: str):
        try:
            return fn(text)
        except ValueError:
            self.add(column, text, message, fix)
            return None


def _text(v: Any) -> str:
    if _is_missing(v):
        return ""
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return repr(v)
    return str(v).strip()


def _parse_row(c: dict[str, str], p: _RowProblems, addresses: Addresses | None):
    start = p.count
    sid = c.get("id", "")
    if not sid:
        p.add("id", sid, "missing id", "give every row a unique id")
    address = c.get("address", "")
    lat, lon = _point(c, "lat", "lon", p)
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
                + (" or an address in the street data" if addresses is not None else ""),
            )
    kind = (c.get("spot") or DEFAULT_SPOT).lower().replace(" ", "_").replace("-", "_")
    if kind not in SPOT_KINDS:
        p.add("spot", c.get("spot"), "unknown spot kind", f"use one of: {', '.join(SPOT_KINDS)}")
    slat, slon = _point(c, "spot_lat", "spot_lon", p)
    days = p.parse("days", c.get("days", ""), parse_days, "unknown schedule", _DAYS_FIX)
    tier = (c.get("tier") or "paying").lower()
    if tier not in TIERS:
        p.add("tier", c.get("tier"), "unknown tier", f"use one of: {', '.join(TIERS)}")
    product = c.get("product") or "paper"
    if not _PRODUCT.match(product):
        p.add("product", product, "not a product name", "use letters, digits, '_', '-' or '.'")
    quantity = p.parse(
        "quantity", c.get("quantity") or "1", _positive_int, "not a whole number >= 1", "write 1"
    )
    subs = c.get("substitutes", "")
    substitutes: tuple[str, ...] = ()
    if subs and subs.lower() != "none":
        substitutes = tuple(s.strip() for s in subs.split(";") if s.strip())
        bad = [s for s in substitutes if not _PRODUCT.match(s) or s == product]
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
        "service_s", c.get("service_s", ""), _seconds, "not a number of seconds >= 0", "write 30"
    )
    if p.count > start or lat is None or lon is None:
        return None
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
    )


def _point(c: dict[str, str], lat_col: str, lon_col: str, p: _RowProblems):
    lat_s, lon_s = c.get(lat_col, ""), c.get(lon_col, "")
    if not lat_s and not lon_s:
        return None, None
    if not lat_s or not lon_s:
        missing = lat_col if not lat_s else lon_col
        p.add(missing, "", f"'{lat_col}' and '{lon_col}' go together", f"fill in '{missing}'")
        return None, None
    lat = p.parse(lat_col, lat_s, _float, "not a number", "write decimal degrees, e.g. 60.1699")
    lon = p.parse(lon_col, lon_s, _float, "not a number", "write decimal degrees, e.g. 24.9384")
    if lat is not None and not -90 <= lat <= 90:
        p.add(lat_col, lat_s, "latitude out of range", "use -90..90 (are lat and lon swapped?)")
        lat = None
    if lon is not None and not -180 <= lon <= 180:
        p.add(lon_col, lon_s, "longitude out of range", "use -180..180")
        lon = None
    if lat is None or lon is None:
        return None, None
    return lat, lon


def _float(s: str) -> float:
    v = float(s.replace(",", ".") if s.count(",") == 1 and "." not in s else s)
    if not math.isfinite(v):
        raise ValueError(s)
    return v


def _whole(s: str, minimum: int = 0) -> int:
    """A whole number (written ``3`` or ``3.0``) of at least ``minimum``."""
    v = float(s)
    if not v.is_integer() or v < minimum:
        raise ValueError(s)
    return int(v)


def _positive_int(s: str) -> int:
    return _whole(s, 1)


def _seconds(s: str) -> float | None:
    if not s:
        return None
    v = _float(s)
    if v < 0:
        raise ValueError(s)
    return v


_DAYS_FIX = "write daily, Mon-Sat, Sun, or a list such as Mon,Wed,Fri"
_DAY_INDEX = {d.lower(): i for i, d in enumerate(WEEKDAYS)}
_DAY_INDEX.update(
    {
        name: i
        for i, name in enumerate(
            ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        )
    }
)
_DAY_WORDS = {"daily": tuple(range(7)), "weekdays": tuple(range(5)), "weekends": (5, 6)}


def parse_days(text: str) -> tuple[int, ...]:
    """Parse a schedule: ``daily``, ``Mon-Sat``, ``Sun``, ``Mon,Wed,Fri`` (empty = daily).

    Raises
    ------
    ValueError
        For anything else.
    """
    t = text.strip().lower().replace(" ", "")
    if not t:
        return tuple(range(7))
    if t in _DAY_WORDS:
        return _DAY_WORDS[t]
    days: set[int] = set()
    for part in t.replace(";", ",").split(","):
        a, dash, b = part.partition("-")
        if a not in _DAY_INDEX or (dash and b not in _DAY_INDEX):
            raise ValueError(text)
        i, j = _DAY_INDEX[a], _DAY_INDEX[b if dash else a]
        days.update(range(i, j + 1) if i <= j else [*range(i, 7), *range(0, j + 1)])
    return tuple(sorted(days))


def parse_clock(text: str) -> int | None:
    """Parse ``HH:MM`` into seconds after midnight (empty gives ``None``).

    Raises
    ------
    ValueError
        For anything but a valid 24-hour time.
    """
    if not text:
        return None
    m = _CLOCK.match(text.strip())
    if not m or int(m[1]) > 23 or int(m[2]) > 59:
        raise ValueError(text)
    return int(m[1]) * 3600 + int(m[2]) * 60


def normalise_address(address: str) -> str:
    """Normalise an address for matching: lower case, single spaces, no commas after the number."""
    first = address.split(",")[0]
    return " ".join(first.lower().split())


# -- day files: holds, complaints, supply -------------------------------------------------------


def parse_date(text: str) -> date:
    """Parse an ISO date ``YYYY-MM-DD``.

    Raises
    ------
    ValueError
        For anything else (including impossible dates such as 2024-02-30).
    """
    t = text.strip()
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", t):
        raise ValueError(text)
    return date.fromisoformat(t)


def _day_csv(path: Path, required: tuple[str, ...], problems: list[Problem]) -> list[dict]:
    """Rows of a small day file, or [] with the problems noted (never raises)."""
    source = str(path)
    if not path.is_file():
        problems.append(Problem(source, "file not found", "check the path and spelling"))
        return []
    try:
        rows = _read_csv(path)
    except InputError as e:
        problems.extend(e.problems)
        return []
    columns = {k for r in rows for k in r if not k.startswith("__")}
    missing = [c for c in required if c not in columns]
    if missing and rows:
        problems.append(Problem(source, f"missing column{'s' if len(missing) > 1 else ''} "
                                        f"{', '.join(missing)}",
                                f"use the header {','.join(required)}"))
        return []
    for i, r in enumerate(rows):
        if "__extra__" in r:
            problems.append(Problem(source, "the row has more cells than the header",
                                    "remove them", i + 2, None, r["__extra__"]))
    return rows


def read_holds(path: str | Path, known: Collection[str], problems: list[Problem]) -> list[Hold]:
    """Read a holds file (``id,from,to``; an empty ``to`` holds until further notice).

    Problems (unknown ids, malformed or reversed dates) are appended to ``problems``.
    """
    path = Path(path)
    holds: list[Hold] = []
    for i, r in enumerate(_day_csv(path, ("id", "from", "to"), problems)):
        p = _RowProblems(str(path), i + 2, problems)
        before = p.count
        sid = _text(r.get("id"))
        if sid not in known:
            p.add("id", sid, "unknown subscriber id", "use an id from the subscriber file")
        start = p.parse("from", _text(r.get("from")), parse_date, "not a date", "use YYYY-MM-DD")
        end_text = _text(r.get("to"))
        end = (p.parse("to", end_text, parse_date, "not a date",
                       "use YYYY-MM-DD, or leave empty for 'until further notice'")
               if end_text else None)
        if start is not None and end is not None and end < start:
            p.add("to", end_text, "the hold ends before it starts", "swap 'from' and 'to'")
        if p.count == before and start is not None:
            holds.append(Hold(sid, start, end))
    return holds


def read_complaints(
    path: str | Path, known: Collection[str], problems: list[Problem]
) -> list[Complaint]:
    """Read a complaints file (``id,kind,note``; kind = missed, wet, damaged or wrong_spot).

    Problems (unknown ids or kinds) are appended to ``problems``.
    """
    path = Path(path)
    out: list[Complaint] = []
    for i, r in enumerate(_day_csv(path, ("id", "kind"), problems)):
        p = _RowProblems(str(path), i + 2, problems)
        before = p.count
        sid = _text(r.get("id"))
        if sid not in known:
            p.add("id", sid, "unknown subscriber id", "use an id of a subscriber on the route")
        kind = _text(r.get("kind")).lower().replace("-", "_").replace(" ", "_")
        if kind not in COMPLAINT_KINDS:
            p.add("kind", r.get("kind"), "unknown complaint", f"use {', '.join(COMPLAINT_KINDS)}")
        if p.count == before:
            out.append(Complaint(sid, kind, _text(r.get("note"))))
    return out




def read_supply(path: str | Path, problems: list[Problem]) -> dict[str, int]:
    """Read a supply file (``product,count``); problems are appended to ``problems``."""
    path = Path(path)
    supply: dict[str, int] = {}
    for i, r in enumerate(_day_csv(path, ("product", "count"), problems)):
        p = _RowProblems(str(path), i + 2, problems)
        _supply_item(_text(r.get("product")), _text(r.get("count")), supply, p)
    return supply


def parse_supply_args(
    values: Iterable[str], source: str, problems: list[Problem]
) -> dict[str, int]:
    """Parse ``PRODUCT=N`` arguments; problems are appended to ``problems``."""
    supply: dict[str, int] = {}
    for text in values:
        p = _RowProblems(f"{source} {text}", None, problems)
        product, eq, count = text.partition("=")
        if not eq:
            p.add(None, text, "not PRODUCT=N", "write e.g. paper=78")
            continue
        _supply_item(product.strip(), count.strip(), supply, p)
    return supply


def _supply_item(product: str, count: str, supply: dict[str, int], p: _RowProblems) -> None:
    if not _PRODUCT.match(product):
        p.add("product", product, "not a product name", "use letters, digits, '_', '-' or '.'")
        return
    n = p.parse("count", count, _whole, "not a whole number >= 0", "write e.g. 78")
    if n is None:
        return
    if product in supply:
        p.add("product", product, "the product is given twice", "give each product once")
        return
    supply[product] = n
