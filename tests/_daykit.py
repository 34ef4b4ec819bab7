"""Small route books and subscribers built straight from the model dataclasses (fast)."""

from __future__ import annotations

from collections.abc import Sequence

from route.model.routebook import CarrierRoute, RouteBook, Stop
from route.model.subscriber import DeliverySpot, Depot, Subscriber

DEPOT = Depot(60.17, 24.94)


def sub(
    sid: str,
    tier: str = "paying",
    *,
    product: str = "paper",
    quantity: int = 1,
    substitutes: Sequence[str] = (),
    days: Sequence[int] = range(7),
    rain: str = "",
    name: str = "",
    spot: str = "porch",
) -> Subscriber:
    """A subscriber on a line of houses east of the depot."""
    i = int("".join(c for c in sid if c.isdigit()) or "0")
    return Subscriber(
        id=sid,
        lat=60.17,
        lon=24.94 + 0.001 * (i + 1),
        spot=DeliverySpot(spot, 60.1701, 24.94 + 0.001 * (i + 1), f"{spot} of {sid}", rain),
        name=name or f"Name {sid}",
        tier=tier,
        product=product,
        quantity=quantity,
        substitutes=tuple(substitutes),
        days=tuple(days),
    )


def book(order: Sequence[Sequence[str]] | Sequence[str], version: int = 1) -> RouteBook:
    """A route book with the given stop order (one list per carrier); 100 m legs, 20 m walk-ins."""
    if order and isinstance(order[0], str):
        order = [order]  # type: ignore[list-item]
    routes = []
    for c, ids in enumerate(order, start=1):
        stops = tuple(
            Stop(seq, sid, 60.17, 24.94 + 0.001 * seq, 5 * 3600 + 90 * seq, 100, 77, 20, 30)
            for seq, sid in enumerate(ids, start=1)
        )
        routes.append(
            CarrierRoute(
                carrier=c,
                stops=stops,
                legs=tuple(() for _ in range(len(stops) + 1)),
                distance_m=100 * len(stops) + 150 if stops else 0,
                duration_s=(77 + 30) * len(stops) + 115 if stops else 0,
                walk_in_m=20 * len(stops),
                walk_in_s=30 * len(stops),
                return_m=150 if stops else 0,
                return_s=115 if stops else 0,
            )
        )
    return RouteBook(
        mode="walk", depot=DEPOT, start_s=5 * 3600, routes=tuple(routes), version=version
    )
