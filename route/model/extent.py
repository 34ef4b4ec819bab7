"""The area a street network covers, to tell a data error from a spot a little off the streets."""

from __future__ import annotations

import math
from dataclasses import dataclass

_EARTH_RADIUS_M = 6_371_008.8


@dataclass(frozen=True, slots=True)
class Extent:
    """A box in WGS84 degrees around a street network's junctions.

    Attributes
    ----------
    south, west, north, east
        The box's edges (latitude, longitude).
    """

    south: float
    west: float
    north: float
    east: float

    def __post_init__(self) -> None:
        if not (-90 <= self.south <= self.north <= 90 and -180 <= self.west <= self.east <= 180):
            raise ValueError(f"not a WGS84 box: {self}")

    def outside_m(self, lat: float, lon: float) -> float:
        """Metres from (lat, lon) to the nearest point of the box; 0 inside it."""
        near_lat = min(max(lat, self.south), self.north)
        near_lon = min(max(lon, self.west), self.east)
        return haversine_m(lat, lon, near_lat, near_lon)


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres between two WGS84 points."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * _EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))
