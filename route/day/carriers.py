"""Each carrier's record of a day: visits, pieces by product, street metres and seconds.

These are the figures piece-rate and mileage pay are computed from. They are measured with the
same travel function as the day's totals, carrier by carrier, so they add up to them exactly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from route.day.travel import day_totals
from route.model.day import DayStop, Travel
from route.model.routebook import RouteBook

_DELIVERED = ("deliver", "deliver_substitute")


def carrier_records(
    book: RouteBook,
    stops: Sequence[DayStop],
    travel: Travel,
    extra_s: Mapping[int, int],
) -> tuple[dict[str, Any], ...]:
    """One record per carrier of the route book.

    Parameters
    ----------
    book
        The route book the day ran on.
    stops
        The day's stops in order (route stops and inserted visits).
    travel
        The day's travel function.
    extra_s
        Seconds each carrier spends beyond travel and walk-ins (bagging in the rain).
    """
    out = []
    for r in book.routes:
        mine = [s for s in stops if s.carrier == r.carrier]
        metres, seconds, _late = day_totals(
            replace(book, routes=(r,)), mine, travel, extra_s.get(r.carrier, 0)
        )
        pieces: dict[str, int] = {}
        for s in mine:
            for p, n in s.items.items():
                pieces[p] = pieces.get(p, 0) + n
        deliveries = sum(s.action in _DELIVERED for s in mine)
        redeliveries = sum(s.action == "redeliver" for s in mine)
        out.append(
            {
                "carrier": r.carrier,
                "stops": deliveries + redeliveries,
                "deliveries": deliveries,
                "redeliveries": redeliveries,
                "pieces": dict(sorted(pieces.items())),
                "distance_m": metres,
                "duration_s": seconds,
            }
        )
    return tuple(out)
