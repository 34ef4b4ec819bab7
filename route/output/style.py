"""How maps look: colours per carrier, tier and action, spot icons, and short labels."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from route.model.subscriber import Subscriber, format_clock, format_duration

#: Line and stop colour per carrier (carrier 1 first).
CARRIER_COLOURS: tuple[str, ...] = (
    "#0067a3",
    "#d63e2a",
    "#4d7c0f",
    "#8250df",
    "#bc4c00",
    "#436978",
    "#a23336",
    "#5b396b",
)

#: Spot marker colour per tier on the plan map: the tiers the shortage policy treats first
#: stand out from the paying subscribers.
TIER_COLOURS: Mapping[str, str] = {
    "paying": "#32383f",
    "complimentary": "#1a7f37",
    "sample": "#b35900",
    "household": "#8250df",
}

#: Per action: (label, colour, Font Awesome icon).
ACTION_STYLES: Mapping[str, tuple[str, str, str]] = {
    "deliver": ("deliver", "#2da44e", "check"),
    "deliver_substitute": ("substitute", "#e16f24", "right-left"),
    "redeliver": ("redeliver", "#8250df", "rotate-right"),
    "short": ("short (credit)", "#cf222e", "xmark"),
    "skip": ("skip", "#8c959f", "pause"),
}

#: Font Awesome (solid, free) icon per delivery-spot kind.
SPOT_ICONS: Mapping[str, str] = {
    "porch": "house",
    "front_door": "door-closed",
    "screen_door": "door-open",
    "back_door": "door-open",
    "side_door": "door-closed",
    "milk_box": "box",
    "mailbox": "envelope",
    "tube": "scroll",
    "step": "stairs",
    "garage": "warehouse",
    "lobby": "building",
    "curb": "road",
    "custom": "location-dot",
}


# -- building blocks ----------------------------------------------------------------------------


def carrier_colour(carrier: int) -> str:
    return CARRIER_COLOURS[(carrier - 1) % len(CARRIER_COLOURS)]


def spot_icon(kind: str) -> str:
    return SPOT_ICONS.get(kind, "location-dot")


# -- text ---------------------------------------------------------------------------------------


def display_name(sub: Subscriber) -> str:
    return sub.name or sub.id


def kind_label(kind: str) -> str:
    return kind.replace("_", " ")


def shorten(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


#: Durations are written the same way everywhere (sheet, map, summary).
hours_minutes = format_duration


def window_ends(sub: Subscriber, ds: Mapping[str, Any] | None = None) -> tuple[str, str]:
    """A stop's window as ``HH:MM`` ends (``""`` where open): the one its day was run with
    when ``ds`` (the day's record of the stop) keeps it, else the subscriber's own."""
    if ds is not None and "latest" in ds:  # a day.json from before windows were kept: today's
        return str(ds.get("earliest") or ""), str(ds.get("latest") or "")
    return format_clock(sub.earliest), format_clock(sub.latest)


def window_label(sub: Subscriber, ds: Mapping[str, Any] | None = None) -> str:
    """The window as a person reads it (``06:00–07:30``, ``…–07:30``), ``""`` when open."""
    earliest, latest = window_ends(sub, ds)
    return f"{earliest or '…'}–{latest or '…'}" if earliest or latest else ""
