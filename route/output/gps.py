"""GPX and KML exports for GPS apps and devices (OsmAnd, Organic Maps, Garmin, Google Earth).

One track per carrier along the streets (the route book's leg geometry) and one waypoint per
stop, named with its number and the subscriber's name (``12. Mr North``), the spot kind and the
carrier's instructions in its description and comment, and a link to OpenStreetMap directions.
GPX waypoints are grouped by carrier through their ``type`` (OsmAnd shows it as the group); KML
has a folder per carrier. For a day the waypoints are the day's visits (deliveries, substitutes
and redeliveries, each its own waypoint, with the day's spot: the rain spot when it rains);
skipped and shorted stops are left out, since the carrier does not stop there.

Written with gpxpy (GPX 1.1) and simplekml (KML 2.2); coordinates are WGS84.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from route.constants import OSM_CREDIT
from route.io.dayrecord import DayLike, as_record, day_stops
from route.io.files import atomic_write
from route.model.routebook import CarrierRoute, RouteBook, subscribers_by_id
from route.model.subscriber import Subscriber, format_clock
from route.output.nav import NavLink, stop_links
from route.output.style import carrier_colour, kind_label

__all__ = ["Waypoint", "gpx_document", "kml_document", "waypoints", "write_gpx", "write_kml"]

_ODBL = "https://opendatacommons.org/licenses/odbl/"
_VISITS = ("deliver", "deliver_substitute", "redeliver")
_D = 6


@dataclass(frozen=True, slots=True)
class Waypoint:
    """One stop as a GPS waypoint."""

    carrier: int
    seq: int
    id: str
    name: str
    lat: float
    lon: float
    spot: str
    instructions: str
    action: str
    description: str
    links: tuple[NavLink, ...]

    @property
    def title(self) -> str:
        """The waypoint's name as a device shows it: ``12. Mr North``."""
        extra = " (redeliver)" if self.action == "redeliver" else ""
        return f"{self.seq}. {self.name or self.id}{extra}"


def waypoints(
    book: RouteBook, subscribers: Sequence[Subscriber], day: DayLike | None = None, nav: str = "osm"
) -> list[Waypoint]:
    """One waypoint per stop in route order (for a day, per visit), at the curb point.

    Raises
    ------
    InputError
        If a routed subscriber is missing, or the day does not match the route book.
    """
    subs = subscribers_by_id(book, subscribers)
    entries: list[tuple[int, Any, Mapping[str, Any] | None]]
    if day is None:
        entries = [(r.carrier, s, None) for r in book.routes for s in r.stops]
    else:
        entries = list(day_stops(book, as_record(day)))
    out = []
    for (carrier, stop, ds), links in zip(
        entries, stop_links(book, entries, subs, nav), strict=True
    ):
        sub = subs[stop.subscriber_id]
        action = "" if ds is None else str(ds["action"])
        if ds is not None and action not in _VISITS:
            continue
        spot = str((ds or {}).get("spot") or sub.spot.kind)
        # A day's own instructions, even none (an edit since must not show on that day).
        instructions = str((ds or {}).get("instructions", sub.spot.instructions))
        lines = [f"Spot: {kind_label(spot)}" + (f". {instructions}" if instructions else "")]
        if ds is not None:
            lines.append(f"Today: {action.replace('_', ' ')}" + (
                f" ({ds['reason']})" if ds.get("reason") else ""))  # fmt: skip
            if ds.get("product") and ds["product"] != sub.product:
                lines.append(f"Item: {ds['product']}")
        elif sub.spot.rain:
            rain = "bag it" if sub.spot.rain == "bag" else kind_label(sub.spot.rain)
            lines.append(f"Rain: {rain}")
        if sub.address:
            lines.append(sub.address)
        lines.append(f"Arrive {format_clock(stop.arrival_s)}, carrier {carrier}")
        if sub.hazard:
            lines.append(f"Hazard: {sub.hazard}")
        out.append(
            Waypoint(
                carrier=carrier,
                seq=stop.seq,
                id=sub.id,
                name=sub.name,
                lat=round(stop.curb_lat, _D),
                lon=round(stop.curb_lon, _D),
                spot=spot,
                instructions=instructions,
                action=action,
                description="\n".join(lines),
                links=links,
            )
        )
    return out


def _track(r: CarrierRoute) -> list[tuple[float, float]]:
    """The carrier's legs joined into one (lat, lon) line, repeated points dropped."""
    pts: list[tuple[float, float]] = []
    for leg in r.legs:
        for lat, lon in leg:
            p = (round(lat, _D), round(lon, _D))
            if not pts or pts[-1] != p:
                pts.append(p)
    return pts


def _title(book: RouteBook, day: DayLike | None) -> str:
    when = f" for {as_record(day).get('date', '')}" if day is not None else ""
    return f"Route book version {book.version}{when}"


def gpx_document(
    book: RouteBook, subscribers: Sequence[Subscriber], day: DayLike | None = None, nav: str = "osm"
) -> str:
    """The route book (or a day) as GPX 1.1 text: a track per carrier, a waypoint per stop."""
    import html

    import gpxpy.gpx

    gpx = gpxpy.gpx.GPX()
    gpx.creator = "paperroute"
    gpx.name = _title(book, day)
    gpx.description = f"Street geometry {OSM_CREDIT} (ODbL)"
    gpx.copyright_author = "OpenStreetMap contributors"
    gpx.copyright_license = _ODBL
    for w in waypoints(book, subscribers, day, nav):
        p = gpxpy.gpx.GPXWaypoint(
            latitude=w.lat,
            longitude=w.lon,
            name=w.title,
            comment=w.instructions or None,
            description=w.description,
            symbol="Flag, Blue",
            type=f"Carrier {w.carrier}",
        )
        osm = next((link for link in w.links if link.kind == "osm"), None)
        if osm is not None:
            link: Any = p  # gpxpy annotates the link fields as None
            # gpxpy 1.6 writes attribute values as they are given: escape the query's "&".
            link.link = html.escape(osm.url, quote=True)
            link.link_text, link.link_type = "OpenStreetMap directions", "text/html"
        gpx.waypoints.append(p)
    for r in book.routes:
        track = gpxpy.gpx.GPXTrack(
            name=f"Carrier {r.carrier}",
            description=f"{len(r.stops)} stops, {r.distance_m / 1000:.2f} km",
        )
        track.number = r.carrier
        segment = gpxpy.gpx.GPXTrackSegment(
            [gpxpy.gpx.GPXTrackPoint(lat, lon) for lat, lon in _track(r)]
        )
        track.segments.append(segment)
        gpx.tracks.append(track)
    return str(gpx.to_xml(version="1.1"))


def _kml_colour(hex_rgb: str) -> str:
    """``#rrggbb`` as KML's opaque ``aabbggrr``."""
    rgb = hex_rgb.lstrip("#")
    return f"ff{rgb[4:6]}{rgb[2:4]}{rgb[0:2]}".lower()


def kml_document(
    book: RouteBook, subscribers: Sequence[Subscriber], day: DayLike | None = None, nav: str = "osm"
) -> str:
    """The route book (or a day) as KML text: a folder per carrier with its line along the
    streets and a placemark per stop (number, name, spot, instructions, links)."""
    import html

    import simplekml

    kml = simplekml.Kml(name=_title(book, day))
    kml.document.description = f"Street geometry {OSM_CREDIT} (ODbL). Made with paperroute."
    by_carrier: dict[int, list[Waypoint]] = {}
    for w in waypoints(book, subscribers, day, nav):
        by_carrier.setdefault(w.carrier, []).append(w)
    for r in book.routes:
        folder = kml.newfolder(name=f"Carrier {r.carrier}")
        # One shared style per carrier, not one per placemark.
        style = simplekml.Style()
        style.linestyle.color = style.iconstyle.color = _kml_colour(carrier_colour(r.carrier))
        style.linestyle.width = 4
        pts = _track(r)
        if len(pts) >= 2:
            line = folder.newlinestring(
                name=f"Carrier {r.carrier}: {len(r.stops)} stops, {r.distance_m / 1000:.2f} km",
                coords=[(lon, lat) for lat, lon in pts],
            )
            line.style = style
        for w in by_carrier.get(r.carrier, []):
            text = "<br/>".join(html.escape(x) for x in w.description.splitlines())
            anchors = " · ".join(
                f'<a href="{html.escape(link.url)}">{html.escape(link.label)}</a>'
                for link in w.links
            )
            point = folder.newpoint(name=w.title, coords=[(w.lon, w.lat)])
            point.description = f"{text}<br/>{anchors}"
            point.style = style
            for key, value in (
                ("carrier", w.carrier),
                ("seq", w.seq),
                ("subscriber_id", w.id),
                ("subscriber_name", w.name),
                ("spot", w.spot),
                ("instructions", w.instructions),
                ("action", w.action),
            ):
                # simplekml escapes names and descriptions but writes data values as given.
                point.extendeddata.newdata(key, html.escape(str(value), quote=False))
    return str(kml.kml())


def write_gpx(
    book: RouteBook,
    subscribers: Sequence[Subscriber],
    path: str | Path,
    day: DayLike | None = None,
    nav: str = "osm",
) -> Path:
    """Write :func:`gpx_document` atomically."""
    return atomic_write(path, gpx_document(book, subscribers, day, nav))


def write_kml(
    book: RouteBook,
    subscribers: Sequence[Subscriber],
    path: str | Path,
    day: DayLike | None = None,
    nav: str = "osm",
) -> Path:
    """Write :func:`kml_document` atomically."""
    return atomic_write(path, kml_document(book, subscribers, day, nav))
