"""Holds kept in the workspace: vacations and temporary stops, stored with their dates.

A hold is stored once per subscriber, start and end (as given; no end = until cancelled).
Storing the same hold again changes nothing, so a holds file read on several days is
idempotent. Cancelling keeps the record and notes the first day delivered again: a hold that
had not begun yet is then cancelled altogether.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from route.model.day import Hold


@dataclass(frozen=True, slots=True)
class StoredHold:
    """A hold as stored: the dates given, where it came from, and any cancellation."""

    seq: int
    subscriber_id: str
    start: date
    end: date | None
    note: str
    source: str
    created: str
    cancelled_from: date | None = None

    @property
    def last_day(self) -> date | None:
        """The last day held (``None``: until further notice), after any cancellation."""
        if self.cancelled_from is None:
            return self.end
        cut = self.cancelled_from - timedelta(days=1)
        return cut if self.end is None else min(self.end, cut)

    @property
    def void(self) -> bool:
        """Cancelled before it began: it holds no day at all."""
        last = self.last_day
        return last is not None and last < self.start

    def hold(self) -> Hold | None:
        """The hold that days apply (``None`` when it was cancelled before it began)."""
        return None if self.void else Hold(self.subscriber_id, self.start, self.last_day, self.note)

    def covers(self, day: date) -> bool:
        """Whether the hold, as it stands, covers ``day``."""
        h = self.hold()
        return h is not None and h.covers(day)


_COLUMNS = "seq, subscriber_id, start_date, end_date, note, source, created, cancelled_from"


def _row(r: Sequence[object]) -> StoredHold:
    seq, sid, start, end, note, source, created, cancelled = r
    return StoredHold(
        seq=int(str(seq)),
        subscriber_id=str(sid),
        start=date.fromisoformat(str(start)),
        end=date.fromisoformat(str(end)) if end else None,
        note=str(note),
        source=str(source),
        created=str(created),
        cancelled_from=date.fromisoformat(str(cancelled)) if cancelled else None,
    )


def stored_holds(con: sqlite3.Connection, ids: Iterable[str] | None = None) -> list[StoredHold]:
    """Every stored hold (of ``ids`` when given), by subscriber and start."""
    rows = [_row(r) for r in con.execute(f"SELECT {_COLUMNS} FROM holds ORDER BY seq")]
    if ids is not None:
        wanted = set(ids)
        rows = [h for h in rows if h.subscriber_id in wanted]
    return sorted(rows, key=lambda h: (h.subscriber_id, h.start, h.seq))


def _find(con: sqlite3.Connection, hold: Hold) -> StoredHold | None:
    r = con.execute(
        f"SELECT {_COLUMNS} FROM holds WHERE subscriber_id = ? AND start_date = ? AND end_date = ?",
        (hold.subscriber_id, hold.start.isoformat(), hold.end.isoformat() if hold.end else ""),
    ).fetchone()
    return None if r is None else _row(r)


def store_holds(
    con: sqlite3.Connection, holds: Sequence[Hold], source: str, created: str
) -> tuple[list[Hold], list[Hold]]:
    """Store holds read from a file; return (stored now, stored before).

    A hold stored before (even one cancelled since) is left as it is: reading the same file
    again changes nothing.
    """
    new: list[Hold] = []
    old: list[Hold] = []
    for h in dict.fromkeys(holds):
        if _find(con, h) is not None:
            old.append(h)
            continue
        _insert(con, h, source, created)
        new.append(h)
    return new, old


def _insert(con: sqlite3.Connection, h: Hold, source: str, created: str) -> None:
    con.execute(
        "INSERT INTO holds (subscriber_id, start_date, end_date, note, source, created) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (
            h.subscriber_id,
            h.start.isoformat(),
            h.end.isoformat() if h.end else "",
            h.note,
            source,
            created,
        ),
    )


def place_hold(con: sqlite3.Connection, hold: Hold, created: str) -> str:
    """Store a hold given on the command line; return what happened.

    ``"stored"``, ``"reinstated"`` (the same hold was cancelled before), ``"note"`` (the note
    changed) or ``"unchanged"``.
    """
    found = _find(con, hold)
    if found is None:
        _insert(con, hold, "hold command", created)
        return "stored"
    note = hold.note or found.note
    if found.cancelled_from is not None:
        con.execute(
            "UPDATE holds SET cancelled_from = '', note = ? WHERE seq = ?", (note, found.seq)
        )
        return "reinstated"
    if note != found.note:
        con.execute("UPDATE holds SET note = ? WHERE seq = ?", (note, found.seq))
        return "note"
    return "unchanged"


def cancel_holds(
    con: sqlite3.Connection, ids: Iterable[str], first_day: date
) -> list[tuple[StoredHold, StoredHold]]:
    """End every hold of ``ids`` from ``first_day`` on (the first day delivered again).

    Returns (before, after) for each hold changed; holds that end before ``first_day`` are
    left alone.
    """
    changed = []
    for h in stored_holds(con, ids):
        if h.void:
            continue
        last = h.last_day
        if last is not None and last < first_day:
            continue
        con.execute(
            "UPDATE holds SET cancelled_from = ? WHERE seq = ?", (first_day.isoformat(), h.seq)
        )
        after = StoredHold(
            h.seq, h.subscriber_id, h.start, h.end, h.note, h.source, h.created, first_day
        )
        changed.append((h, after))
    return changed
