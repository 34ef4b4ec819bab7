"""The map's HTML panels: a stop's popup card, and the plan and day summary boxes."""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from route.constants import OSM_ATTRIBUTION
from route.day.summary import carrier_facts, late_facts, leave_later_note
from route.model.day import ACTIONS, CarrierDay
from route.model.routebook import RouteBook, Stop
from route.model.subscriber import Subscriber, format_clock, format_km
from route.output.nav import NavLink, links_html
from route.output.style import (
    ACTION_STYLES,
    SPOT_ICONS,
    TIER_COLOURS,
    carrier_colour,
    display_name,
    hours_minutes,
    kind_label,
    window_label,
)
from route.routebook.timing import plan_carriers


def stop_card(
    sub: Subscriber,
    carrier: int,
    stop: Stop,
    book: RouteBook,
    ds: Mapping[str, Any] | None = None,
    links: Sequence[NavLink] = (),
    wait_s: int = 0,
) -> str:
    """A stop's popup: who, where the item goes, how, when, what to watch out for, and links
    that start navigation to the curb point.

    On a day map (``ds`` given) the arrival is that day's; on the plan map ``wait_s`` is the
    wait for the window to open.
    """
    e = html.escape
    head = f"{stop.seq}. {display_name(sub)}" + (
        f" · carrier {carrier}" if len(book.routes) > 1 else ""
    )
    out = [f'<div class="pr-pop"><h4>{e(head)}</h4>']
    if sub.address:
        out.append(f'<div class="pr-addr">{e(sub.address)}</div>')
    rows: list[tuple[str, str]] = []
    if ds is not None:
        label, colour, _ = ACTION_STYLES[str(ds["action"])]
        action = f'<span class="pr-act" style="background:{colour}">{e(label)}</span>'
        if ds.get("reason"):
            action += f" {e(str(ds['reason']))}"
        rows.append(("Today", action))
        if ds.get("product"):
            rows.append(("Item", e(str(ds["product"]))))
    spot = f"<b>{e(kind_label(sub.spot.kind))}</b>"
    instructions = str(ds.get("instructions") or "") if ds is not None else ""
    instructions = instructions or sub.spot.instructions
    if ds is not None and ds.get("spot") and ds["spot"] != sub.spot.kind:
        spot = f"<b>{e(kind_label(str(ds['spot'])))}</b> (usually {e(kind_label(sub.spot.kind))})"
    if instructions:
        spot += f": {e(instructions)}"
    rows.append(("Spot", spot))
    if sub.spot.rain:
        rows.append(("Rain", e("bag it" if sub.spot.rain == "bag" else kind_label(sub.spot.rain))))
    rows.append(("Days", e(sub.schedule)))
    product = f"{sub.product} ×{sub.quantity}" if sub.quantity != 1 else sub.product
    subst = "; ".join(sub.substitutes) if sub.substitutes else "none"
    rows.append(("Tier", f"{e(sub.tier)} · {e(product)} · substitutes: {e(subst)}"))
    if window := window_label(sub, ds):
        rows.append(("Window", e(window)))
    walk = f"walk-in {stop.walk_in_m} m, {stop.walk_in_s} s"
    if ds is None:
        arrive = format_clock(stop.arrival_s)
    elif ds.get("arrival"):
        arrive = f"{e(str(ds['arrival']))}" + (" (late pass)" if ds.get("late") else "")
        wait_s = int(ds.get("wait_s") or 0)
    else:
        arrive = "passed by today"
    if wait_s >= 60:
        arrive += f' · <span class="pr-warn">waits {hours_minutes(wait_s)} for the window</span>'
    if ds is not None:
        arrive += f" · plan {format_clock(stop.arrival_s)}"
    rows.append(("Arrive", f"{arrive} · {walk}"))
    if sub.hazard:
        rows.append(("Hazard", f'<span class="pr-warn">⚠ {e(sub.hazard)}</span>'))
    out.append(
        "<table>" + "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows) + "</table>"
    )
    if links:
        out.append(links_html(tuple(links), "pr-nav"))
    out.append("</div>")
    return "".join(out)


def share_bar(walk_in_s: int, duration_s: int) -> str:
    share = walk_in_s / duration_s if duration_s else 0.0
    return (
        f'<div class="pr-share"><b>{share:.0%}</b> of the time is spent at the spots '
        f"({hours_minutes(walk_in_s)}): the cost of intimacy</div>"
        f'<div class="pr-bar"><i style="width:{share * 100:.1f}%"></i></div>'
    )


def totals_table(rows: Iterable[tuple[str, str]]) -> str:
    return (
        "<table>"
        + "".join(f'<tr><td>{k}</td><td class="n">{v}</td></tr>' for k, v in rows)
        + "</table>"
    )


def carrier_title(carrier: int, districts: Mapping[int, str]) -> str:
    """``Carrier 2``, or ``D02 · Carrier 2`` when the carrier's route is a district's."""
    name = districts.get(carrier)
    return f"{name} · Carrier {carrier}" if name else f"Carrier {carrier}"


def plan_panel(
    book: RouteBook, subs: Mapping[str, Subscriber], districts: Mapping[int, str] | None = None
) -> str:
    """The plan map's side panel; ``districts`` (carrier -> district name) names each
    carrier's district beside it."""
    e = html.escape
    named = districts or {}
    parts = [
        f"<details open><summary>Route book v{book.version} · {e(book.mode)}</summary>",
        totals_table(
            [
                ("Stops", f"{len(book.order):,}"),
                ("Length", format_km(book.distance_m)),
                ("Duration", hours_minutes(book.duration_s)),
                ("Walk-ins", f"{book.walk_in_m:,} m"),
            ]
        ),
        share_bar(book.walk_in_s, book.duration_s),
    ]
    if book.unserved:
        parts.append(
            f'<div class="pr-warn">{len(book.unserved)} not on the route (grey markers)</div>'
        )
    parts.append("<h5>Back end: the route</h5>")
    for c in plan_carriers(book, subs):
        parts.append(
            f'<div><span class="pr-sw" style="background:{carrier_colour(c.carrier)}">'
            f"</span>{e(carrier_title(c.carrier, named))}: {c.stops} stops, "
            f"{format_km(c.distance_m)}, "
            f"{c.start}–{c.end}</div>"
        )
        if c.wait_s:
            parts.append(
                f'<div class="pr-note">Waiting for windows: {hours_minutes(c.wait_s)} '
                "(ringed stops)</div>"
            )
        if c.leave_at:
            parts.append(f'<div class="pr-note">{e(leave_later_note(c))}</div>')
    parts.append(
        '<div class="pr-note">► direction · numbers: stop order at the curb (dots where they '
        "crowd: zoom in to read them)</div>"
    )
    parts.append("<h5>Front end: delivery spots</h5>")
    kinds: dict[str, int] = {}
    for sid in book.order:
        kinds[subs[sid].spot.kind] = kinds.get(subs[sid].spot.kind, 0) + 1
    for kind, n in sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0])):
        parts.append(
            f'<div><i class="fa fa-{SPOT_ICONS.get(kind, "location-dot")}"></i> '
            f"{e(kind_label(kind))} ({n})</div>"
        )
    parts.append('<div><span class="pr-dash"></span>walk-in from the curb</div><div>')
    tiers = {subs[sid].tier for sid in book.order}
    for tier, colour in TIER_COLOURS.items():
        if tier in tiers:
            parts.append(f'<span class="pr-dot" style="background:{colour}"></span>{tier} ')
    parts.append("</div>")
    parts.append(f'<div class="pr-note">Streets {OSM_ATTRIBUTION}</div></details>')
    return "".join(parts)


def day_panel(
    book: RouteBook, day: Mapping[str, Any], paired: Sequence[tuple[int, Stop, Mapping[str, Any]]]
) -> str:
    e = html.escape
    counts = {a: 0 for a in ACTIONS}
    for _, _, ds in paired:
        counts[str(ds["action"])] += 1
    version = day.get("route_version", book.version)
    title = f"Day {e(str(day.get('date', '')))} · route book v{e(str(version))}"
    parts = [f"<details open><summary>{title}</summary><table>"]
    for a in ACTIONS:
        label, colour, _ = ACTION_STYLES[a]
        parts.append(
            f'<tr><td><span class="pr-dot" style="background:{colour}"></span>'
            f'{e(label)}</td><td class="n">{counts[a]}</td></tr>'
        )
    parts.append("</table>")
    totals = day.get("totals") or {}
    facts = []
    if totals.get("credits"):
        facts.append(("Credits", str(totals["credits"])))
    supply = day.get("supply") or {}
    if supply:
        facts.append(("Supply", ", ".join(f"{e(str(k))} {v}" for k, v in supply.items())))
    if day.get("weather"):
        facts.append(("Weather", e(str(day["weather"]))))
    if day.get("distance_m") is not None:
        facts.append(("Street distance", format_km(float(day["distance_m"]))))
    if day.get("duration_s") is not None:
        facts.append(("Duration", hours_minutes(float(day["duration_s"]))))
    parts.append(totals_table(facts))
    for raw in day.get("carriers") or ():
        c = CarrierDay.from_dict(raw)
        title = f"Carrier {c.carrier}" if len(book.routes) > 1 else "The carrier's day"
        parts.append(f"<h5>{title}</h5>{totals_table((k, e(v)) for k, v in carrier_facts(c))}")
        if c.leave_at:
            parts.append(f'<div class="pr-note">{e(leave_later_note(c))}</div>')
        if c.late_stops:
            parts.append(
                '<h5><span class="pr-ring"></span>Late pass (ringed, L1, L2…)</h5>'
                + totals_table((k, e(v)) for k, v in late_facts(c))
            )
    parts.append(
        '<div class="pr-note">The route never changes; only the actions do. '
        "Click a stop for the reason.</div>"
    )
    parts.append(f'<div class="pr-note">Streets {OSM_ATTRIBUTION}</div></details>')
    return "".join(parts)
