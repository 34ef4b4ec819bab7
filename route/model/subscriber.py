"""Frozen data: subscribers, their delivery spots, and depots."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
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
        """Return a JSON-ready dictionary (dates as ``YYYY-MM-DD``; absent dates left out, so a
        subscriber without them reads and fingerprints as before they existed)."""
        out = asdict(self)
        for key in ("start", "stop"):
            value = out.pop(key)
            if value is not None:
                out[key] = value.isoformat()
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


def format_clock(seconds: int | None) -> str:
    """Write seconds after midnight as ``HH:MM``."""
    if seconds is None:
        return ""
    m = round(seconds / 60)
    return f"{m // 60 % 24:02d}:{m % 60:02d}"
