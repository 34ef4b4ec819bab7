"""Frozen data: subscribers, their delivery spots, and depots."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date
from typing import Any

from route.constants import WEEKDAYS


@dataclass(frozen=True, slots=True)
class DeliverySpot:
    """Where the item is left.

    Attributes
    ----------
    kind
        One of :data:`route.constants.SPOT_KINDS` (``milk_box``, ``screen_door``, ...).
    lat, lon
        The exact point of the spot (WGS84).
    instructions
        Free text for the carrier ("milk box on the left side of the garage").
    rain
        The rain rule: ``""`` (none), ``"bag"``, or another spot kind to use when it rains.
    """

    kind: str
    lat: float
    lon: float
    instructions: str = ""
    rain: str = ""


@dataclass(frozen=True, slots=True)
class Subscriber:
    """A customer on the route.

    Attributes
    ----------
    id
        Unique identifier, as given in the subscriber file.
    lat, lon
        The subscriber's location (the house), WGS84.
    spot
        Where the item is left.
    days
        Weekdays served, 0 = Monday ... 6 = Sunday.
    tier
        ``paying``, ``complimentary``, ``sample`` or ``household``.
    substitutes
        Accepted substitute products, in order of preference; empty when none is accepted.
    earliest, latest
        Time window in seconds after midnight, or ``None``.
    service_s
        Handling seconds overriding the spot kind's default, or ``None``.
    start, stop
        The first and the last day of service (inclusive), or ``None``: a subscriber whose
        start lies ahead is on the route but served only from that date; after the stop date
        they are skipped, and their history is kept.
    carrier, district
        A fixed place in a distributor's districts, or ``None``: the carrier's number (route
        ``carrier`` of the route book) or the district's number (``D03`` is 3). A district is
        one carrier's territory, so both name the same thing; a subscriber with either stays
        in that district in every assignment and rebalance.
    """

    id: str
    lat: float
    lon: float
    spot: DeliverySpot
    name: str = ""
    address: str = ""
    days: tuple[int, ...] = (0, 1, 2, 3, 4, 5, 6)
    tier: str = "paying"
    product: str = "paper"
    quantity: int = 1
    substitutes: tuple[str, ...] = ()
    earliest: int | None = None
    latest: int | None = None
    hazard: str = ""
    service_s: float | None = None
    start: date | None = None
    stop: date | None = None
    carrier: int | None = None
    district: int | None = None

    @property
    def fixed_district(self) -> int | None:
        """The district this subscriber is fixed to (1-based), from ``district`` or
        ``carrier``; ``None`` when free."""
        return self.district if self.district is not None else self.carrier

    @property
    def schedule(self) -> str:
        """The served days as people write them (``daily``, ``Mon-Sat``, ``Sun``)."""
        return format_days(self.days)

    def in_service(self, day: date) -> bool:
        """Whether ``day`` lies between the start and the stop date (both inclusive)."""
        return (self.start is None or self.start <= day) and (self.stop is None or day <= self.stop)

    def due(self, day: date) -> bool:
        """Whether the schedule and the subscription dates call for a delivery on ``day``."""
        return day.weekday() in self.days and self.in_service(day)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dictionary (what :func:`dataclasses.asdict` gives, built
        directly: it runs for every subscriber on every edit, and asdict's deep copy is ten
        times slower). Dates are ``YYYY-MM-DD``; absent dates, carriers and districts are left
        out, so a subscriber without them reads and fingerprints as before they existed."""
        out = {name: getattr(self, name) for name in _SUBSCRIBER_FIELDS}
        out["spot"] = {name: getattr(self.spot, name) for name in _SPOT_FIELDS}
        for key in ("start", "stop"):
            value = out.pop(key)
            if value is not None:
                out[key] = value.isoformat()
        for key in ("carrier", "district"):
            if out[key] is None:
                del out[key]
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Subscriber:
        """Build from :meth:`to_dict` output."""
        values = dict(data)
        values["spot"] = DeliverySpot(**values["spot"])
        values["days"] = tuple(values["days"])
        values["substitutes"] = tuple(values["substitutes"])
        for key in ("start", "stop"):
            if values.get(key) is not None:
                values[key] = date.fromisoformat(values[key])
        return cls(**values)


_SUBSCRIBER_FIELDS = tuple(f.name for f in fields(Subscriber))
_SPOT_FIELDS = tuple(f.name for f in fields(DeliverySpot))


@dataclass(frozen=True, slots=True)
class Depot:
    """Where bundles are picked up (the drop point or the carrier's home)."""

    lat: float
    lon: float
    name: str = "Depot"


def format_days(days: tuple[int, ...]) -> str:
    """Write weekdays as people do: ``daily``, ``Mon-Sat``, ``Sun``, ``Mon,Wed,Fri``."""
    ds = sorted(set(days))
    if len(ds) == 7:
        return "daily"
    if len(ds) > 2 and ds == list(range(ds[0], ds[-1] + 1)):
        return f"{WEEKDAYS[ds[0]]}-{WEEKDAYS[ds[-1]]}"
    return ",".join(WEEKDAYS[d] for d in ds)


def district_name(number: int, count: int) -> str:
    """A district's name: ``D`` and its 1-based number, zero-padded to the width of ``count``
    (at least two digits): ``D01`` ... ``D12``; ``D001`` ... ``D150``."""
    return f"D{number:0{max(2, len(str(count)))}d}"


def format_clock(seconds: int | None) -> str:
    """Write seconds after midnight as ``HH:MM``."""
    if seconds is None:
        return ""
    m = round(seconds / 60)
    return f"{m // 60 % 24:02d}:{m % 60:02d}"


def format_km(metres: float) -> str:
    """Write a distance as every sheet, map and summary prints it: ``12.34 km``."""
    return f"{metres / 1000:.2f} km"


def format_duration(seconds: float) -> str:
    """Write a duration as every sheet, map and summary prints it: ``25 min``, ``6 h 05 min``."""
    minutes = round(seconds / 60)
    return f"{minutes} min" if minutes < 60 else f"{minutes // 60} h {minutes % 60:02d} min"
