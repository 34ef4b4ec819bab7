"""What the ledger says about earlier days: the fairness rotation and pending notes."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable

from route.model.day import History

# -- history ------------------------------------------------------------------------------------


def history_from_ledger(
    rows: Iterable[tuple[int, str, str, str, str, str]], date: str, day_dates: Iterable[str]
) -> History:
    """Read the fairness history and pending notes from ledger rows of other days.

    Pending wrong-spot notes come from the days before ``date``; shortages from every other
    day, so the rotation holds however the days are run.

    Parameters
    ----------
    rows
        ``(seq, date, subscriber_id, kind, product, detail)`` in ``seq`` order.
    date
        The day being run (ISO); its own rows are ignored.
    day_dates
        Dates of the days run so far.
    """
    rows = list(rows)
    voided = {json.loads(d)["voids"] for _s, _d, _i, k, _p, d in rows if k == "void"}
    shorted: dict[str, list[str]] = {}
    pending: dict[str, list[str]] = {}
    for seq, d, sid, kind, _product, detail in rows:
        if seq in voided or d == date:
            continue
        if kind == "short":
            # Days run out of order count too: a date run after a later one does not short
            # again whoever went without on that later day.
            shorted.setdefault(sid, []).append(d)
        elif d > date:
            continue
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
