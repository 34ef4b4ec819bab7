"""The day's news for the carrier: first deliveries, last deliveries, holds that begin and
subscribers back from a hold, the way circulation systems print pending starts and stops on the
route list.

Computed from the subscribers' schedules, their start and stop dates and the stored holds, for
the stops that are due by schedule on the day, in route-book order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date as Date
from datetime import timedelta

from route.model.day import Hold
from route.model.subscriber import Subscriber

#: Kinds of change, in the order the sheet explains them.
CHANGE_KINDS = ("start", "last", "hold", "back")


def _covering(holds: Sequence[Hold], day: Date) -> Hold | None:
    return next((h for h in holds if h.covers(day)), None)


def _neighbour(sub: Subscriber, day: Date, step: int) -> Date | None:
    """The subscriber's scheduled day before (step -1) or after (step 1) ``day`` within a week."""
    for k in range(1, 8):
        try:
            d = day + timedelta(days=step * k)
        except OverflowError:  # the calendar's first or last week: no day beyond it
            return None
        if sub.due(d):
            return d
    return None


def day_changes(
    ids: Sequence[str],
    subscribers: Mapping[str, Subscriber],
    day: Date,
    holds: Sequence[Hold],
) -> tuple[dict[str, str], ...]:
    """The changes of ``day`` for the stops ``ids`` (route-book order).

    Returns
    -------
    tuple of dict
        ``{"id", "kind", "text"}``; kind is one of :data:`CHANGE_KINDS`.
    """
    by_id: dict[str, list[Hold]] = {}
    for h in holds:
        by_id.setdefault(h.subscriber_id, []).append(h)
    out: list[dict[str, str]] = []
    for sid in ids:
        sub = subscribers.get(sid)
        if sub is None or not sub.due(day):
            continue
        mine = by_id.get(sid, [])
        before = _neighbour(sub, day, -1)
        held_before = _covering(mine, before) if before is not None else None
        hold = _covering(mine, day)
        if hold is not None:
            if held_before is None:
                until = f"until {hold.end.isoformat()}" if hold.end else "until further notice"
                back = _back_on(sub, hold)
                text = f"on hold from today {until}" + (f", back on {back}" if back else "")
                out.append(_change(sid, "hold", text + _note(hold)))
            continue
        if sub.start is not None and before is None:
            out.append(_change(sid, "start", f"first delivery (starts {sub.start.isoformat()})"))
        elif held_before is not None:
            text = f"back from hold (held from {held_before.start.isoformat()})"
            out.append(_change(sid, "back", text + _note(held_before)))
        if sub.stop is not None and _neighbour(sub, day, 1) is None:
            out.append(
                _change(sid, "last", f"last delivery (service stops after {sub.stop.isoformat()})")
            )
    return tuple(out)


def _back_on(sub: Subscriber, hold: Hold) -> str:
    back = back_on(sub, hold)
    return back.isoformat() if back is not None else ""


def back_on(sub: Subscriber, hold: Hold) -> Date | None:
    """The first day the subscriber is delivered again after ``hold`` (``None``: open-ended,
    or no delivery within a week after it)."""
    if hold.end is None:
        return None
    return _neighbour(sub, hold.end, 1)


def _note(hold: Hold) -> str:
    return f": {hold.note}" if hold.note else ""


def _change(sid: str, kind: str, text: str) -> dict[str, str]:
    return {"id": sid, "kind": kind, "text": text}
