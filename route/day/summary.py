"""The printed summary of a day: counts per action, then who was shorted, substituted,
credited and redelivered, by name, in aligned columns."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from route.model.day import Day
from route.model.subscriber import Subscriber


def _table(rows: Sequence[tuple[str, ...]], indent: str = "  ") -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return [
        indent
        + "  ".join(
            c.ljust(w) if i < len(r) - 1 else c
            for i, (c, w) in enumerate(zip(r, widths, strict=True))
        ).rstrip()
        for r in rows
    ]


def day_summary(day: Day, subscribers: Sequence[Subscriber] | Mapping[str, Subscriber]) -> str:
    """Return the human summary of a day (what a carrier or office reads after ``day``)."""
    subs = subscribers if isinstance(subscribers, Mapping) else {s.id: s for s in subscribers}

    def name(sid: str) -> str:
        s = subs.get(sid)
        return s.name or sid if s else sid

    t = day.totals
    supply = ", ".join(f"{p} {n}/{day.demand.get(p, 0)}" for p, n in sorted(day.supply.items()))
    lines = [
        f"Day {day.date} on route book version {day.route_version}"
        f" (weather: {day.weather}; supply/demand: {supply or 'none'})",
        "",
    ]
    counts = [("action", "stops")] + [
        (label, str(t.get(key, 0)))
        for label, key in (
            ("delivered", "delivered"),
            ("substitute", "substituted"),
            ("skipped", "skipped"),
            ("shorted", "shorted"),
            ("redelivered", "redelivered"),
            ("late pass", "late"),
            ("credits", "credits"),
        )
    ]
    lines += _table(counts)
    km = day.distance_m / 1000
    lines += ["", f"  {km:.2f} km on the streets, {day.duration_s / 60:.0f} min"]
    if day.late.get("stops"):
        lines.append(
            f"  catch-up pass with the late delivery: {len(day.late['stops'])} "
            f"stops, {day.late.get('distance_m', 0) / 1000:.2f} km"
        )
    elif day.late:
        lines.append("  late delivery: nobody left to catch up")

    groups = [
        ("Shorted", [s for s in day.stops if s.action == "short"]),
        ("Substituted", [s for s in day.stops if s.action == "deliver_substitute"]),
        ("Credited", [s for s in day.stops if s.credit]),
        ("Redelivered", [s for s in day.stops if s.action == "redeliver"]),
        ("Late pass", [s for s in day.stops if s.late]),
    ]
    for title, stops in groups:
        if not stops:
            continue
        rows: list[tuple[str, ...]] = [
            ("carrier", "seq", "id", "name", "tier", "product", "credit", "reason")
        ]
        for s in stops:
            sub = subs.get(s.id)
            rows.append(
                (
                    str(s.carrier),
                    str(s.seq),
                    s.id,
                    name(s.id),
                    sub.tier if sub else "",
                    s.product,
                    str(s.credit or ""),
                    s.reason,
                )
            )
        lines += ["", f"{title} ({len(stops)}):", *_table(rows)]
    if day.unreplaced:
        rows = [("id", "name", "complaint", "credit")]
        rows += [
            (u["id"], name(u["id"]), u["kind"], str(u["credit"] or "")) for u in day.unreplaced
        ]
        lines += ["", f"Not redelivered, no copy to spare ({len(day.unreplaced)}):", *_table(rows)]
    if day.wrong_spot_notes:
        rows = [("id", "name", "note")]
        rows += [(n["id"], name(n["id"]), n["note"]) for n in day.wrong_spot_notes]
        lines += ["", "Wrong spot, shown on the next sheet:", *_table(rows)]
    if day.not_routed:
        rows = [("id", "name", "reason")]
        rows += [(n["id"], name(n["id"]), n["reason"]) for n in day.not_routed]
        lines += ["", "Not on the route book:", *_table(rows)]
    return "\n".join(lines)
