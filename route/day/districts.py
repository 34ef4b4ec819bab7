"""A distributor's day per district: the bundle each district got and what became of it.

One ``day`` run covers every district. The supply is split across districts by the shortage
policy at depot level: the day's one lexicographic allocation
(:func:`route.day.allocation.allocate`) runs over every subscriber of every district at once,
so the policy's order (the household and complimentary copies go without before any paying
subscriber is shorted, substitutes before shortages, the fairness rotation among the paying)
holds across districts exactly as within one. Each district's bundle is then read off that
allocation: the copies its stops are handed. Within the district the same allocation says who
gets which copy, so the two levels can never disagree.

A district is one carrier's territory (district i is carrier i's route), so each record is the
carrier's day under the district's name.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from route.model.day import Day


def district_records(day: Day, names: Mapping[int, str]) -> dict[str, dict[str, Any]]:
    """Per district (by name, in carrier order): ``carrier``, ``bundle`` {product: copies,
    both passes}, ``late_bundle``, ``delivered``, ``substituted``, ``skipped``, ``shorted``,
    ``redelivered``, ``credits`` and ``distance_m``."""
    out: dict[str, dict[str, Any]] = {}
    carriers = {c.carrier: c for c in day.carriers}
    for carrier in sorted(names):
        stops = [s for s in day.stops if s.carrier == carrier]
        bundle: dict[str, int] = {}
        late: dict[str, int] = {}
        for s in stops:
            for product, n in s.items.items():
                bundle[product] = bundle.get(product, 0) + n
                if s.late:
                    late[product] = late.get(product, 0) + n
        cd = carriers.get(carrier)
        out[names[carrier]] = {
            "carrier": carrier,
            "bundle": dict(sorted(bundle.items())),
            "late_bundle": dict(sorted(late.items())),
            "delivered": sum(s.action == "deliver" for s in stops),
            "substituted": sum(s.action == "deliver_substitute" for s in stops),
            "skipped": sum(s.action == "skip" for s in stops),
            "shorted": sum(s.action == "short" for s in stops),
            "redelivered": sum(s.action == "redeliver" for s in stops),
            "credits": sum(s.credit for s in stops),
            "distance_m": cd.distance_m if cd else 0,
        }
    return out


def district_lines(day: Day) -> list[str]:
    """The per-district table of the printed summary (empty without districts)."""
    if not day.districts:
        return []
    head = ("district", "carrier", "bundle", "delivered", "subst.", "shorted", "skipped",
            "credits", "km")  # fmt: skip
    rows: list[tuple[str, ...]] = [head]
    for name, d in day.districts.items():
        bundle = ", ".join(f"{p} {n}" for p, n in d["bundle"].items()) or "nothing"
        rows.append((name, str(d["carrier"]), bundle,
                     *(str(d[k]) for k in ("delivered", "substituted", "shorted", "skipped",
                                           "credits")),
                     f"{d['distance_m'] / 1000:.2f}"))  # fmt: skip
    total: dict[str, int] = {}
    for d in day.districts.values():
        for p, n in d["bundle"].items():
            total[p] = total.get(p, 0) + n
    rows.append(("total", "", ", ".join(f"{p} {n}" for p, n in sorted(total.items())),
                 *(str(sum(d[k] for d in day.districts.values()))
                   for k in ("delivered", "substituted", "shorted", "skipped", "credits")),
                 f"{sum(d['distance_m'] for d in day.districts.values()) / 1000:.2f}"))  # fmt: skip
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    return [
        "  " + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows
    ]
