"""One date's run of the route book: holds, shortages, substitutes, redeliveries and weather.

:func:`run_day` is pure: the route book, the subscribers, the date, the day's inputs, the policy
and the ledger's history in, a frozen :class:`Day` out. It never reorders the route: every stop
of the route book appears once, in route-book order, and only its action changes. Replacement
visits for complaints (``redeliver``) are inserted where they cost least, between two stops,
without moving anyone else; a late second delivery becomes a catch-up pass over the shorted
stops, in route order.

Complaints given for a date are the ones known when the day is run (phoned in since the last
delivery); the replacement copy is taken from that day's supply per the policy (spare copies,
then the household's copy). ``wrong_spot`` is recorded in the ledger and shown on the
subscriber's next delivered stop.

Weather ``rain`` and ``snow`` apply each subscriber's rain rule: ``bag`` (bag it, a few seconds
more) or another spot kind to use instead.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable

from route.model.day import History

# -- history ------------------------------------------------------------------------------------


def history_from_ledger(
    rows: Iterable[tuple[int, str, str, str, str, str]], date: str, day_dates: Iterable[str]
) -> History:
    """Read the fairness history and pending notes from ledger rows before ``date``.

    Parameters
    ----------
    rows
        ``(seq, date, subscriber_id, kind, product, detail)`` in ``seq`` order.
    date
        The day being run (ISO); its own rows and later ones are ignored.
    day_dates
        Dates of the days run so far.
    """
    rows = list(rows)
    voided = {json.loads(d)["voids"] for _s, _d, _i, k, _p, d in rows if k == "void"}
    shorted: dict[str, list[str]] = {}
    pending: dict[str, list[str]] = {}
    for seq, d, sid, kind, _product, detail in rows:
        if seq in voided or d >= date:
            continue
        if kind == "short":
            shorted.setdefault(sid, []).append(d)
        elif kind == "wrong_spot":
            pending.setdefault(sid, []).append(json.loads(detail).get("note", "") if detail else "")
        elif kind == "wrong_spot_shown":
            pending.pop(sid, None)
    earlier = [d for d in day_dates if d < date]
    return History(
        shorted={k: tuple(sorted(set(v))) for k, v in shorted.items()},
        previous_date=max(earlier) if earlier else None,
        wrong_spot={k: tuple(v) for k, v in pending.items()},
    )


def rotation_ranks(ids: Iterable[str], history: History, date: str) -> dict[str, int]:
    """Rank 1 = first to go without: least recently shorted, then fewest times, then a hash
    of (date, id) so ties rotate from day to day instead of always hitting the same house."""

    def key(sid: str) -> tuple[str, int, str]:
        dates = history.shorted.get(sid, ())
        tie = hashlib.sha256(f"{date}:{sid}".encode()).hexdigest()
        return (dates[-1] if dates else "", len(dates), tie)

    return {sid: r for r, sid in enumerate(sorted(set(ids), key=key), start=1)}
