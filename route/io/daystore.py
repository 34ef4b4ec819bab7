"""The days and the ledger of a workspace: stored days, their ledger lines, and the day files
written from them.

The days table is the truth for a date; ``day.json`` is an export written from it, checked and
restored by :meth:`DayRecords.sync_day_files`, and never read back. A date names a folder only
once it is checked to be a ``YYYY-MM-DD`` date, so nothing in a file can steer where a command
writes.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import time
from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import date as Date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from route.errors import input_error
from route.io.files import atomic_write

#: Seconds after which a temporary day file is a crash's leftover, not a write in progress.
_LEFTOVER_AGE_S = 3600


def now() -> str:
    """The current UTC time as ISO text (for record-keeping columns, never in route books)."""
    from datetime import UTC, datetime

    return datetime.now(UTC).replace(microsecond=0).isoformat()


def iso_date(text: str) -> str:
    """``text`` if it is a canonical ``YYYY-MM-DD`` date.

    Raises
    ------
    ValueError
        For anything else: dates name folders.
    """
    try:
        canonical = Date.fromisoformat(text).isoformat() == text
    except (TypeError, ValueError):
        canonical = False
    if not canonical:
        raise ValueError(f"not a YYYY-MM-DD date: {text!r}")
    return text


class DayRecords:
    """The days and the ledger (part of :class:`route.io.workspace.Workspace`)."""

    path: Path
    _con: sqlite3.Connection

    if TYPE_CHECKING:

        def transaction(self) -> AbstractContextManager[sqlite3.Connection]: ...

    def day_dates(self) -> list[str]:
        """The dates run so far (ISO), oldest first."""
        return [str(r[0]) for r in self._con.execute("SELECT date FROM days ORDER BY date")]

    def day_json(self, date: str) -> str | None:
        """The stored ``day.json`` text of a date, or ``None``."""
        row = self._con.execute("SELECT data FROM days WHERE date = ?", (date,)).fetchone()
        return None if row is None else str(row[0])

    def days(self) -> list[tuple[str, int, dict[str, Any]]]:
        """Every stored day as (date, route version, day.json mapping), oldest first."""
        return [
            (str(d), int(v), json.loads(data))
            for d, v, data in self._con.execute(
                "SELECT date, route_version, data FROM days ORDER BY date"
            )
        ]

    def ledger_rows(self) -> list[tuple[int, str, str, str, str, str]]:
        """Every ledger line as (seq, date, subscriber_id, kind, product, detail), in order."""
        return [
            (int(s), str(d), str(i), str(k), str(p), str(x))
            for s, d, i, k, p, x in self._con.execute(
                "SELECT seq, date, subscriber_id, kind, product, detail FROM ledger ORDER BY seq"
            )
        ]

    def save_day(
        self,
        date: str,
        route_version: int,
        data: str,
        entries: Sequence[tuple[str, str, str, str, str]],
        con: sqlite3.Connection | None = None,
        *,
        replace: bool = False,
    ) -> int:
        """Store a day and append its ledger lines (inside the caller's transaction).

        With ``replace``, an earlier run of the same date is superseded: its ledger lines stay
        and are cancelled by appended ``void`` lines (the ledger is never rewritten).
        Returns the number of lines voided.

        Raises
        ------
        InputError
            If the date was run before and ``replace`` is not set.
        ValueError
            If ``date`` is not a ``YYYY-MM-DD`` date (it names the day's folder).
        """
        iso_date(date)
        with self.transaction() as con:
            exists = con.execute("SELECT 1 FROM days WHERE date = ?", (date,)).fetchone()
            voided = 0
            if exists and not replace:
                raise input_error(
                    date,
                    "this date was run before",
                    "add --replace to run it again (the ledger keeps both runs)",
                )
            if exists:
                done = {
                    json.loads(d)["voids"]
                    for (d,) in con.execute("SELECT detail FROM ledger WHERE kind = 'void'")
                }
                old = [
                    (s, i, p)
                    for s, i, p in con.execute(
                        "SELECT seq, subscriber_id, product FROM ledger "
                        "WHERE date = ? AND kind != 'void' ORDER BY seq",
                        (date,),
                    )
                    if s not in done
                ]
                con.executemany(
                    "INSERT INTO ledger (date, subscriber_id, kind, product, detail) "
                    "VALUES (?, ?, 'void', ?, ?)",
                    [(date, i, p, json.dumps({"voids": s})) for s, i, p in old],
                )
                voided = len(old)
                con.execute("DELETE FROM days WHERE date = ?", (date,))
            con.execute("INSERT INTO days VALUES (?, ?, ?, ?)", (date, route_version, now(), data))
            con.executemany(
                "INSERT INTO ledger (date, subscriber_id, kind, product, detail) "
                "VALUES (?, ?, ?, ?, ?)",
                entries,
            )
        return voided

    def day_folder(self, date: str) -> Path:
        """A date's folder, ``WORKSPACE/days/YYYY-MM-DD``; the date must be an ISO date.

        Raises
        ------
        ValueError
            If ``date`` is not a ``YYYY-MM-DD`` date (nothing else may name a folder).
        """
        return self.path / "days" / iso_date(date)

    def day_path(self, date: str) -> Path:
        """Where a date's ``day.json`` lies: ``WORKSPACE/days/YYYY-MM-DD/day.json``."""
        return self.day_folder(date) / "day.json"

    def sync_day_files(self, dates: Sequence[str] | None = None) -> list[str]:
        """Make the ``day.json`` files match the database (the source of truth).

        A crash between the commit and the file's rename leaves the file missing or stale; a
        crash before the commit leaves a temporary file or nothing; a hand-edited file is
        stale. All are put right here from the database, so a day is either all there or not
        at all. With ``dates``, only those days are checked. Returns the dates repaired.

        Repairs are written holding the workspace's lock, so a repair never puts back an older
        day over a newer one; when nothing needs repair, no lock is taken.
        """
        if not self._day_files_off(dates):
            return []
        with self.transaction():
            return self._repair_day_files(dates)

    def _day_files_off(self, dates: Sequence[str] | None) -> bool:
        stored = dict(self._con.execute("SELECT date, data FROM days").fetchall())
        for day, data in stored.items():
            if dates is None or day in dates:
                path = self.day_path(day)
                if not path.is_file() or path.read_text(encoding="utf-8") != data:
                    return True
        folder = self.path / "days"
        if dates is None and folder.is_dir():
            return any(p.parent.name not in stored for p in folder.glob("*/day.json"))
        return False

    def _repair_day_files(self, dates: Sequence[str] | None) -> list[str]:
        repaired = []
        stored = dict(self._con.execute("SELECT date, data FROM days").fetchall())
        folder = self.path / "days"
        for day, data in stored.items():
            if dates is not None and day not in dates:
                continue
            path = self.day_path(day)
            if not path.is_file() or path.read_text(encoding="utf-8") != data:
                atomic_write(path, data)
                repaired.append(day)
        if folder.is_dir() and dates is None:
            # A command that has just committed writes its day.json after releasing the lock;
            # only temporary files old enough to be a crash's leftovers are removed.
            stale = time.time() - _LEFTOVER_AGE_S
            for path in folder.glob("*/.day.json.*"):
                with contextlib.suppress(OSError):
                    if path.stat().st_mtime < stale:
                        path.unlink()
            for path in folder.glob("*/day.json"):
                if path.parent.name not in stored:
                    path.unlink()
                    repaired.append(path.parent.name)
        return repaired
