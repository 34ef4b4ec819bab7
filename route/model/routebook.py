"""Frozen data: the route book, its carriers' routes and stops, and who is unserved."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from route.model.subscriber import Depot, Subscriber


@dataclass(frozen=True, slots=True)
class Stop:
    """One subscriber's place in a carrier's route.

    Attributes
    ----------
    seq
        1-based position in the carrier's route.
    curb_lat, curb_lon
        Where the carrier leaves the street (the spot projected onto the nearest usable edge).
    arrival_s
        Planned arrival at the curb point, seconds after midnight.
    leg_m, leg_s
        Street distance and time from the previous stop (or the depot).
    walk_in_m, walk_in_s
        Curb point -> spot -> curb point on foot, plus handling at the spot: the cost of
        serving this subscriber their own way.
    """

    seq: int
    subscriber_id: str
    curb_lat: float
    curb_lon: float
    arrival_s: int
    leg_m: int
    leg_s: int
    walk_in_m: int
    walk_in_s: int


@dataclass(frozen=True, slots=True)
class CarrierRoute:
    """The ordered stops of one carrier, with the street geometry of every leg.

    ``legs[i]`` leads to ``stops[i]``; the last leg returns to the end point (the depot when
    the route is closed). Leg coordinates are ``(lat, lon)`` pairs.
    """

    carrier: int
    stops: tuple[Stop, ...]
    legs: tuple[tuple[tuple[float, float], ...], ...]
    distance_m: int
    duration_s: int
    walk_in_m: int
    walk_in_s: int
    return_m: int = 0
    return_s: int = 0

    @property
    def order(self) -> tuple[str, ...]:
        """Subscriber ids in route order."""
        return tuple(s.subscriber_id for s in self.stops)


@dataclass(frozen=True, slots=True)
class Unserved:
    """A subscriber not in the route book, with the reason (never dropped silently)."""

    subscriber_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class RouteBook:
    """The fixed plan: ordered stops per carrier, totals, solver statistics, input fingerprints.

    Changed only by explicit commands; :meth:`to_json` is deterministic for the same inputs and
    seed (no wall-clock values are stored in it).
    """

    mode: str
    depot: Depot
    start_s: int
    routes: tuple[CarrierRoute, ...]
    unserved: tuple[Unserved, ...] = ()
    solver: Mapping[str, Any] = field(default_factory=dict)
    fingerprints: Mapping[str, str] = field(default_factory=dict)
    version: int = 1

    @property
    def order(self) -> tuple[str, ...]:
        """Every served subscriber id, carrier by carrier, in route order."""
        return tuple(i for r in self.routes for i in r.order)

    @property
    def distance_m(self) -> int:
        """Street distance of all carriers, metres."""
        return sum(r.distance_m for r in self.routes)

    @property
    def duration_s(self) -> int:
        """Duration of all carriers (street travel plus walk-ins), seconds."""
        return sum(r.duration_s for r in self.routes)

    @property
    def walk_in_s(self) -> int:
        """Seconds spent off the street, at the subscribers' spots."""
        return sum(r.walk_in_s for r in self.routes)

    @property
    def walk_in_m(self) -> int:
        """Metres walked off the street, to the subscribers' spots and back."""
        return sum(r.walk_in_m for r in self.routes)

    def stop_of(self, subscriber_id: str) -> tuple[int, Stop] | None:
        """Return ``(carrier, stop)`` for a subscriber, or ``None`` if not routed."""
        for r in self.routes:
            for s in r.stops:
                if s.subscriber_id == subscriber_id:
                    return r.carrier, s
        return None

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dictionary."""
        return asdict(self)

    def to_geodataframe(self, subscribers: Sequence[Subscriber]) -> Any:
        """The stops as a :class:`geopandas.GeoDataFrame` in WGS84 (EPSG:4326), in route order.

        Parameters
        ----------
        subscribers
            At least every subscriber in the book (for names, spots and their points).

        Returns
        -------
        geopandas.GeoDataFrame
            One row per stop, columns ``carrier``, ``seq``, ``id``, ``name``, ``address``,
            ``arrival`` (``HH:MM``), ``arrival_s``, ``leg_m``, ``leg_s``, ``walk_in_m``,
            ``walk_in_s``, ``spot`` (the kind), ``instructions``, ``tier``, ``product``,
            ``curb_point`` (the active geometry: where the carrier leaves the street) and
            ``spot_point`` (where the item is left), both points in EPSG:4326.

        Raises
        ------
        InputError
            If a routed subscriber is missing from ``subscribers``.
        """
        import geopandas as gpd
        import shapely

        from route.model.subscriber import format_clock

        subs = subscribers_by_id(self, subscribers)
        rows, curbs, spots = [], [], []
        for r in self.routes:
            for st in r.stops:
                sub = subs[st.subscriber_id]
                rows.append(
                    {
                        "carrier": r.carrier,
                        "seq": st.seq,
                        "id": sub.id,
                        "name": sub.name,
                        "address": sub.address,
                        "arrival": format_clock(st.arrival_s),
                        "arrival_s": st.arrival_s,
                        "leg_m": st.leg_m,
                        "leg_s": st.leg_s,
                        "walk_in_m": st.walk_in_m,
                        "walk_in_s": st.walk_in_s,
                        "spot": sub.spot.kind,
                        "instructions": sub.spot.instructions,
                        "tier": sub.tier,
                        "product": sub.product,
                    }
                )
                curbs.append((st.curb_lon, st.curb_lat))
                spots.append((sub.spot.lon, sub.spot.lat))
        columns = [
            "carrier", "seq", "id", "name", "address", "arrival", "arrival_s", "leg_m", "leg_s",
            "walk_in_m", "walk_in_s", "spot", "instructions", "tier", "product",
        ]  # fmt: skip
        frame = gpd.GeoDataFrame(
            rows,
            columns=columns,
            geometry=gpd.GeoSeries(shapely.points(curbs) if curbs else [], crs="EPSG:4326"),
        )
        frame = frame.rename_geometry("curb_point")
        frame["spot_point"] = gpd.GeoSeries(
            shapely.points(spots) if spots else [], index=frame.index, crs="EPSG:4326"
        )
        return frame

    def to_json(self) -> str:
        """Return canonical JSON (sorted keys, fixed separators)."""
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RouteBook:
        """Build from :meth:`to_dict` output."""
        routes = tuple(
            CarrierRoute(
                **{
                    **r,
                    "stops": tuple(Stop(**s) for s in r["stops"]),
                    "legs": tuple(tuple(tuple(p) for p in leg) for leg in r["legs"]),
                }
            )
            for r in data["routes"]
        )
        return cls(
            mode=data["mode"],
            depot=Depot(**data["depot"]),
            start_s=data["start_s"],
            routes=routes,
            unserved=tuple(Unserved(**u) for u in data["unserved"]),
            solver=dict(data["solver"]),
            fingerprints=dict(data["fingerprints"]),
            version=data["version"],
        )


def subscribers_by_id(book: RouteBook, subscribers: Sequence[Subscriber]) -> dict[str, Subscriber]:
    """Index subscribers by id, checking every routed subscriber is among them.

    Raises
    ------
    InputError
        Naming the routed subscribers that were not given.
    """
    from route.errors import input_error

    subs = {s.id: s for s in subscribers}
    missing = [i for i in book.order if i not in subs]
    if missing:
        raise input_error(
            "subscribers",
            f"{len(missing)} routed subscriber(s) not given",
            "pass every subscriber of the route book, inactive ones included",
            value=", ".join(missing[:5]),
        )
    return subs


def fingerprint(obj: Any) -> str:
    """Return a short, stable SHA-256 of a JSON-ready object."""
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
