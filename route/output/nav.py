"""Navigation links to a stop's curb point: for the carrier's phone, from the sheet or the map.

Three kinds, none needing an API key:

- a ``geo:`` URI (RFC 5870, with the ``?q=LAT,LON(label)`` form Android's map apps, OsmAnd and
  Organic Maps read as "drop a pin and offer directions");
- OpenStreetMap directions on openstreetmap.org, from the previous stop (or the depot) to this
  one, with the router for the route book's travel mode;
- optionally (``--nav google``) a Google Maps directions URL from wherever the phone is.

Coordinates are WGS84, latitude first, 6 decimals (about 10 cm).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from route.model.routebook import RouteBook, Stop
from route.model.subscriber import Subscriber

__all__ = [
    "NAV_CHOICES",
    "NavLink",
    "geo_uri",
    "google_url",
    "links_html",
    "nav_links",
    "osm_url",
    "stop_links",
]

#: ``--nav`` values: ``osm`` gives the geo: and OpenStreetMap links, ``google`` adds Google Maps.
NAV_CHOICES = ("osm", "google")

_OSM_ENGINE = {
    "walk": "fossgis_osrm_foot",
    "bike": "fossgis_osrm_bike",
    "drive": "fossgis_osrm_car",
}
_GOOGLE_MODE = {"walk": "walking", "bike": "bicycling", "drive": "driving"}


@dataclass(frozen=True, slots=True)
class NavLink:
    """One link: a short label for the button ("Map app") and its URL."""

    label: str
    url: str
    kind: str


def _ll(lat: float, lon: float) -> str:
    return f"{lat:.6f},{lon:.6f}"


def geo_uri(lat: float, lon: float, label: str = "") -> str:
    """A ``geo:`` URI for the point, with a label the map app shows on the pin."""
    ll = _ll(lat, lon)
    if not label:
        return f"geo:{ll}?q={ll}"
    # Brackets end the label in the q= form; keep them out of it.
    text = quote(label.replace("(", " ").replace(")", " ").strip()[:80], safe="")
    return f"geo:{ll}?q={ll}({text})"


def osm_url(
    lat: float, lon: float, mode: str = "walk", origin: tuple[float, float] | None = None
) -> str:
    """OpenStreetMap directions to the point, from ``origin`` when given (the router of
    ``mode``: walk, bike or drive)."""
    start = _ll(*origin) if origin is not None else ""
    query = urlencode(
        {"engine": _OSM_ENGINE.get(mode, _OSM_ENGINE["walk"]), "route": f"{start};{_ll(lat, lon)}"}
    )
    return f"https://www.openstreetmap.org/directions?{query}"


def google_url(lat: float, lon: float, mode: str = "walk") -> str:
    """Google Maps directions to the point from where the phone is (Maps URLs, no API key)."""
    query = urlencode(
        {
            "api": "1",
            "destination": _ll(lat, lon),
            "travelmode": _GOOGLE_MODE.get(mode, "walking"),
        }
    )
    return f"https://www.google.com/maps/dir/?{query}"


def nav_links(
    lat: float,
    lon: float,
    *,
    label: str = "",
    mode: str = "walk",
    origin: tuple[float, float] | None = None,
    nav: str = "osm",
) -> tuple[NavLink, ...]:
    """The links for one stop, in the order they are shown.

    Parameters
    ----------
    lat, lon
        The curb point (where the carrier leaves the street).
    label
        What the map app names the pin ("12. Mr North").
    mode
        The route book's travel mode, for the routers.
    origin
        The previous stop's curb point or the depot, where OpenStreetMap's directions start.
    nav
        ``osm`` (geo: and OpenStreetMap) or ``google`` (those and Google Maps).

    Raises
    ------
    ValueError
        If ``nav`` is not one of :data:`NAV_CHOICES`.
    """
    if nav not in NAV_CHOICES:
        raise ValueError(f"nav must be one of {', '.join(NAV_CHOICES)}, not {nav!r}")
    links = [
        NavLink("Map app", geo_uri(lat, lon, label), "geo"),
        NavLink("OpenStreetMap", osm_url(lat, lon, mode, origin), "osm"),
    ]
    if nav == "google":
        links.append(NavLink("Google Maps", google_url(lat, lon, mode), "google"))
    return tuple(links)


def stop_links(
    book: RouteBook,
    entries: Sequence[tuple[int, Stop, Mapping[str, Any] | None]],
    subs: Mapping[str, Subscriber],
    nav: str = "osm",
) -> list[tuple[NavLink, ...]]:
    """The links of every stop, in order: ``entries`` are (carrier, stop, day stop or None).

    OpenStreetMap's directions start where the carrier comes from: the depot for a carrier's
    first stop, then the last stop visited (a day's skipped and shorted stops are passed by).
    """
    came_from: dict[int, tuple[float, float]] = {}
    out = []
    for carrier, stop, ds in entries:
        sub = subs[stop.subscriber_id]
        curb = (stop.curb_lat, stop.curb_lon)
        out.append(
            nav_links(
                *curb,
                label=f"{stop.seq}. {sub.name or sub.id}",
                mode=book.mode,
                origin=came_from.get(carrier, (book.depot.lat, book.depot.lon)),
                nav=nav,
            )
        )
        if ds is None or str(ds.get("action")) not in ("skip", "short"):
            came_from[carrier] = curb
    return out


def links_html(links: tuple[NavLink, ...], css_class: str = "nav") -> str:
    """The links as one line of HTML anchors (XHTML-safe)."""
    import html

    e = html.escape
    anchors = '<span class="sep"> · </span>'.join(
        f'<a class="{css_class}-{link.kind}" href="{e(link.url)}">{e(link.label)}</a>'
        for link in links
    )
    return f'<div class="{css_class}">{anchors}</div>'
