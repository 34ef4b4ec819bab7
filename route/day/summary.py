"""The printed summary of a day: counts per action, then who was shorted, substituted,
credited and redelivered, by name, in aligned columns."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from route.day.districts import district_lines
from route.model.day import CarrierDay, Day
from route.model.subscriber import Subscriber, format_duration, format_km


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
    lines += ["", *carrier_lines(day)]
    if day.districts:
        lines += ["", "Per district (the supply split by the shortage policy at the depot):"]
        lines += district_lines(day)
    if day.late and not day.late.get("stops"):
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


def pieces_label(pieces: Mapping[str, int]) -> str:
    """The bag load as people say it: ``paper 52, tabloid 5`` (``nothing`` when empty)."""
    return ", ".join(f"{p} {n}" for p, n in sorted(pieces.items())) or "nothing"


def carrier_facts(c: CarrierDay, bag: str = "Bag") -> list[tuple[str, str]]:
    """One carrier's day as the summary, the sheet and the map all print it (``bag`` names the
    load: the plan's sheet calls it the items of an all-present day)."""
    return [
        ("Stops", f"{c.stops} ({c.late_stops} in the late pass)" if c.late_stops else str(c.stops)),
        (bag, pieces_label(c.pieces)),
        ("Distance", format_km(c.distance_m)),
        ("Leave", c.start),
        ("Back", c.end),
        ("Hours", format_duration(c.duration_s)),
        ("Waiting", format_duration(c.wait_s) if c.wait_s else "none"),
    ]


def late_facts(c: CarrierDay) -> list[tuple[str, str]]:
    """A carrier's catch-up pass with the late bundle, in the terms of :func:`carrier_facts`."""
    return [
        ("Stops", str(c.late_stops)),
        ("Bag", pieces_label(c.late_pieces)),
        ("Distance", format_km(c.late_distance_m)),
        ("Leave", c.late_start),
        ("Back", c.late_end),
        ("Hours", format_duration(c.late_duration_s)),
    ]


def leave_later_note(c: CarrierDay) -> str:
    """The advice to leave later when that avoids waiting, or ``""``."""
    if not c.leave_at:
        return ""
    return (
        f"Leave at {c.leave_at} instead of {c.start}: {format_duration(c.avoidable_wait_s)} "
        f"less waiting, every window still kept, back at {c.end} as planned"
    )


def carrier_lines(day: Day) -> list[str]:
    """Per carrier (and in total when there are several): stops, bag, km, hours, waiting."""
    if not day.carriers:
        return []
    head = ("carrier", *(k.lower() for k, _ in carrier_facts(day.carriers[0])))
    rows: list[tuple[str, ...]] = [head]
    for c in day.carriers:
        rows.append((str(c.carrier), *(v for _, v in carrier_facts(c))))
        if c.late_stops:
            rows.append(("  late pass", *(v for _, v in late_facts(c)), ""))
    if len(day.carriers) > 1:
        stops = str(sum(c.stops for c in day.carriers))
        km, hours = format_km(day.distance_m), format_duration(day.duration_s)
        rows.append(("total", stops, "", km, "", "", hours, ""))
    out = _table(rows)
    out += [f"  Carrier {c.carrier}: {n}" for c in day.carriers if (n := leave_later_note(c))]
    return out
