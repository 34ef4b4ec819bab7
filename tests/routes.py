"""Synthetic route books, subscribers and days for map, sheet and export tests (no network).

Stops lie on a grid of "streets" east of a depot in central Helsinki; every leg bends once, so
route lines have more than two points; spots sit 15 m north of their curb points.
"""

from __future__ import annotations

from typing import Any

from route.constants import SPOT_KINDS, TIERS
from route.model.routebook import CarrierRoute, RouteBook, Stop, Unserved
from route.model.subscriber import DeliverySpot, Depot, Subscriber

DEPOT = Depot(60.17, 24.94, "Test depot")
_DLAT = 0.00018  # about 20 m
_DLON = 0.00036  # about 20 m at 60° N
ACTIONS_CYCLE = ("deliver", "deliver_substitute", "skip", "short", "redeliver")


def make_route(
    n_stops: int, carriers: int = 1, unserved: int = 0
) -> tuple[RouteBook, list[Subscriber]]:
    """A route book of ``n_stops`` split evenly over ``carriers``, and its subscribers."""
    subs: list[Subscriber] = []
    routes = []
    per = -(-n_stops // carriers)
    k = 0
    for c in range(1, carriers + 1):
        stops, legs = [], []
        prev = (DEPOT.lat, DEPOT.lon)
        for seq in range(1, min(per, n_stops - k) + 1):
            row, col = divmod(k, 50)
            curb = (DEPOT.lat + (row + 1) * 4 * _DLAT, DEPOT.lon + (col + 1) * _DLON)
            kind = SPOT_KINDS[k % len(SPOT_KINDS)]
            sub = Subscriber(
                id=f"S{k + 1:04d}",
                lat=curb[0] + 2 * _DLAT,
                lon=curb[1],
                spot=DeliverySpot(kind, curb[0] + 0.75 * _DLAT, curb[1],
                                  instructions=f"{kind.replace('_', ' ')} by the door {k + 1}",
                                  rain="bag" if k % 4 == 0 else ""),
                name=f"Subscriber {k + 1}",
                address=f"Testikatu {k + 1}",
                days=(0, 1, 2, 3, 4, 5) if k % 3 else (0, 1, 2, 3, 4, 5, 6),
                tier=TIERS[k % len(TIERS)] if k < 8 else "paying",
                hazard="Dog in the yard" if k % 10 == 3 else "",
                substitutes=("tabloid",) if k % 2 else (),
                latest=6 * 3600 + 1800 if k % 5 == 0 else None,
            )  # fmt: skip
            subs.append(sub)
            legs.append((prev, (prev[0], curb[1]), curb))
            stops.append(Stop(seq, sub.id, curb[0], curb[1], 5 * 3600 + 60 * seq, 40, 30, 30, 35))
            prev = curb
            k += 1
        legs.append((prev, (DEPOT.lat, prev[1]), (DEPOT.lat, DEPOT.lon)))
        routes.append(CarrierRoute(
            carrier=c, stops=tuple(stops), legs=tuple(legs), distance_m=40 * len(stops) + 500,
            duration_s=65 * len(stops) + 400, walk_in_m=30 * len(stops),
            walk_in_s=35 * len(stops),
        ))  # fmt: skip
    away = []
    for u in range(unserved):
        sub = Subscriber(
            id=f"U{u + 1}",
            lat=60.2,
            lon=25.1 + u * 0.001,
            spot=DeliverySpot("porch", 60.2, 25.1 + u * 0.001),
            name=f"Far {u + 1}",
        )
        subs.append(sub)
        away.append(Unserved(sub.id, "1,200 m from the nearest street"))
    book = RouteBook(mode="walk", depot=DEPOT, start_s=5 * 3600, routes=tuple(routes),
                     unserved=tuple(away), version=3)  # fmt: skip
    return book, subs


def make_day(book: RouteBook, date: str = "2024-06-03") -> dict[str, Any]:
    """A ``day.json``-shaped day cycling through every action, in route-book order."""
    stops = []
    for r in book.routes:
        for s in r.stops:
            action = ACTIONS_CYCLE[(len(stops)) % len(ACTIONS_CYCLE)]
            stops.append({
                "seq": s.seq, "carrier": r.carrier, "id": s.subscriber_id, "action": action,
                "product": "tabloid" if action == "deliver_substitute" else "paper",
                "spot": "screen_door" if action == "deliver" and s.seq == 1 else "",
                "instructions": "", "reason": f"reason for {s.subscriber_id}",
            })  # fmt: skip
    totals = {"delivered": 0, "substituted": 0, "skipped": 0, "shorted": 0, "redelivered": 0}
    key = {"deliver": "delivered", "deliver_substitute": "substituted", "skip": "skipped",
           "short": "shorted", "redeliver": "redelivered"}  # fmt: skip
    for s in stops:
        totals[key[s["action"]]] += 1
    return {
        "date": date, "route_version": book.version, "supply": {"paper": 100, "tabloid": 5},
        "stops": stops, "totals": {**totals, "credits": totals["shorted"]},
        "distance_m": book.distance_m, "duration_s": book.duration_s, "weather": "rain",
    }  # fmt: skip
