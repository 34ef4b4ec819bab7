"""The workspace: a folder with an SQLite database of the state, and the files commands write.

The database holds the settings, subscribers, every route-book version, days and the ledger.
Every command's changes happen in one transaction, so a crash leaves the previous state whole;
the ledger is append-only (triggers refuse updates and deletes). Files written beside the
database (maps, sheets, exports) are written atomically: to a temporary file, then renamed.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from route.constants import DEFAULT_START_S
from route.errors import input_error
from route.io.files import atomic_write
from route.model.routebook import RouteBook
from route.model.subscriber import Depot, Subscriber

if TYPE_CHECKING:
    from route.model.day import Day


DB_NAME = "paperroute.sqlite"
SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS subscribers (
    id TEXT PRIMARY KEY,
    data TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    position INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS route_books (
    version INTEGER PRIMARY KEY,
    created TEXT NOT NULL,
    note TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS days (
    date TEXT PRIMARY KEY,
    route_version INTEGER NOT NULL,
    created TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS ledger (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    date TEXT NOT NULL,
    subscriber_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    product TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT ''
);
CREATE TRIGGER IF NOT EXISTS ledger_no_update BEFORE UPDATE ON ledger
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
CREATE TRIGGER IF NOT EXISTS ledger_no_delete BEFORE DELETE ON ledger
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
CREATE TRIGGER IF NOT EXISTS route_books_no_update BEFORE UPDATE ON route_books
BEGIN SELECT RAISE(ABORT, 'route-book versions are never rewritten'); END;
CREATE TRIGGER IF NOT EXISTS route_books_no_delete BEFORE DELETE ON route_books
BEGIN SELECT RAISE(ABORT, 'route-book versions are never deleted'); END;
"""


@dataclass(frozen=True, slots=True)
class Settings:
    """A workspace's fixed settings, chosen at ``init``."""

    network: str
    mode: str
    depot: Depot
    start_s: int = DEFAULT_START_S


def now() -> str:
    """The current UTC time as ISO text (for record-keeping columns, never in route books)."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


class Workspace:
    """A paperroute workspace folder.

    Use :meth:`create` for a new one and :meth:`open` for an existing one.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.db_path = self.path / DB_NAME
        self._con = sqlite3.connect(self.db_path, isolation_level=None)
        self._con.execute("PRAGMA journal_mode=WAL")
        self._con.execute("PRAGMA synchronous=FULL")

    # -- life cycle ---------------------------------------------------------------------------

    @classmethod
    def create(cls, path: str | Path, settings: Settings) -> Workspace:
        """Create a workspace folder and its database.

        Raises
        ------
        InputError
            If the folder already holds a workspace.
        """
        path = Path(path)
        if (path / DB_NAME).exists():
            raise input_error(
                str(path),
                "already a workspace",
                "choose a new folder, or use the existing workspace",
            )
        path.mkdir(parents=True, exist_ok=True)
        ws = cls(path)
        with ws.transaction() as con:
            # executescript would commit the open transaction; run the statements one by one.
            for stmt in _SCHEMA.split(";\n"):
                if stmt.strip():
                    con.execute(stmt)
            meta = {
                "schema_version": str(SCHEMA_VERSION),
                "network": settings.network,
                "mode": settings.mode,
                "depot": json.dumps([settings.depot.lat, settings.depot.lon, settings.depot.name]),
                "start_s": str(settings.start_s),
                "created": now(),
            }
            con.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
        return ws

    @classmethod
    def open(cls, path: str | Path) -> Workspace:
        """Open an existing workspace.

        Raises
        ------
        InputError
            If the folder is not a workspace or was made by a newer version.
        """
        path = Path(path)
        if not (path / DB_NAME).is_file():
            raise input_error(
                str(path),
                "not a paperroute workspace",
                f"create it first: paperroute init {path} --network demo",
            )
        ws = cls(path)
        version = int(ws._meta("schema_version"))
        if version > SCHEMA_VERSION:
            raise input_error(
                str(path), f"made by a newer paperroute (schema {version})", "upgrade paperroute"
            )
        return ws

    def close(self) -> None:
        """Close the database connection."""
        self._con.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One all-or-nothing change: committed on success, rolled back on any error."""
        con = self._con
        con.execute("BEGIN IMMEDIATE")
        try:
            yield con
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")

    # -- settings -----------------------------------------------------------------------------

    def _meta(self, key: str) -> str:
        row = self._con.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        if row is None:
            raise input_error(
                str(self.path), f"the workspace lacks '{key}'", "recreate it with paperroute init"
            )
        return str(row[0])

    @property
    def settings(self) -> Settings:
        """The workspace's network, mode, depot and shift start."""
        lat, lon, name = json.loads(self._meta("depot"))
        return Settings(
            network=self._meta("network"),
            mode=self._meta("mode"),
            depot=Depot(lat=lat, lon=lon, name=name),
            start_s=int(self._meta("start_s")),
        )

    # -- subscribers --------------------------------------------------------------------------

    def subscribers(self, *, active_only: bool = True) -> tuple[Subscriber, ...]:
        """The subscribers in the order they were first imported."""
        sql = "SELECT data FROM subscribers"
        if active_only:
            sql += " WHERE active = 1"
        rows = self._con.execute(sql + " ORDER BY position").fetchall()
        return tuple(Subscriber.from_dict(json.loads(r[0])) for r in rows)

    def subscribers_frame(self, *, active_only: bool = True) -> Any:
        """The subscribers as a GeoDataFrame (WGS84), in the order they were first imported.

        :meth:`subscribers` gives them as :class:`~route.model.subscriber.Subscriber` objects;
        this gives the same as a table for a notebook or GIS: the subscriber file's columns,
        ``active`` (False for removed subscribers, listed with ``active_only=False``) and the
        location as the point ``geometry``. See :func:`route.io.subscribers.subscribers_frame`.
        """
        from route.io.subscribers import subscribers_frame

        sql = "SELECT data, active FROM subscribers"
        if active_only:
            sql += " WHERE active = 1"
        rows = self._con.execute(sql + " ORDER BY position").fetchall()
        subs = [Subscriber.from_dict(json.loads(r[0])) for r in rows]
        return subscribers_frame(subs, [bool(r[1]) for r in rows])

    def inactive_count(self) -> int:
        """How many subscribers were removed (they stay in the history)."""
        return int(
            self._con.execute("SELECT COUNT(*) FROM subscribers WHERE active = 0").fetchone()[0]
        )

    def upsert_subscribers(
        self, subscribers: Sequence[Subscriber], con: sqlite3.Connection | None = None
    ) -> tuple[list[str], list[str]]:
        """Add new subscribers and update existing ones (by id); return (added, updated) ids."""
        con = con or self._con
        existing = {r[0]: r[1] for r in con.execute("SELECT id, data FROM subscribers")}
        # A removed subscriber imported again comes back, even with unchanged data.
        inactive = {r[0] for r in con.execute("SELECT id FROM subscribers WHERE active = 0")}
        top = con.execute("SELECT COALESCE(MAX(position), 0) FROM subscribers").fetchone()[0]
        added, updated = [], []
        for sub in subscribers:
            data = json.dumps(sub.to_dict(), sort_keys=True)
            if sub.id in existing:
                if existing[sub.id] != data or sub.id in inactive:
                    con.execute(
                        "UPDATE subscribers SET data = ?, active = 1 WHERE id = ?", (data, sub.id)
                    )
                    updated.append(sub.id)
            else:
                top += 1
                con.execute("INSERT INTO subscribers VALUES (?, ?, 1, ?)", (sub.id, data, top))
                added.append(sub.id)
        return added, updated

    def deactivate(self, ids: Sequence[str], con: sqlite3.Connection | None = None) -> None:
        """Mark subscribers inactive (they stay in the history)."""
        con = con or self._con
        con.executemany("UPDATE subscribers SET active = 0 WHERE id = ?", [(i,) for i in ids])

    # -- route books --------------------------------------------------------------------------

    def latest_book(self) -> RouteBook | None:
        """The newest route-book version, or ``None`` before the first plan."""
        row = self._con.execute(
            "SELECT data FROM route_books ORDER BY version DESC LIMIT 1"
        ).fetchone()
        return None if row is None else RouteBook.from_dict(json.loads(row[0]))

    def book(self, version: int) -> RouteBook | None:
        """A given route-book version, or ``None``."""
        row = self._con.execute(
            "SELECT data FROM route_books WHERE version = ?", (version,)
        ).fetchone()
        return None if row is None else RouteBook.from_dict(json.loads(row[0]))

    def versions(self) -> list[tuple[int, str, str]]:
        """Every route-book version as (version, created, note)."""
        return [
            (int(v), str(c), str(n))
            for v, c, n in self._con.execute(
                "SELECT version, created, note FROM route_books ORDER BY version"
            )
        ]

    def save_book(
        self, book: RouteBook, note: str, con: sqlite3.Connection | None = None
    ) -> RouteBook:
        """Store a route book as the next version; return it with its version number set."""
        from dataclasses import replace

        con = con or self._con
        top = con.execute("SELECT COALESCE(MAX(version), 0) FROM route_books").fetchone()[0]
        book = replace(book, version=int(top) + 1)
        con.execute(
            "INSERT INTO route_books VALUES (?, ?, ?, ?)",
            (book.version, now(), note, book.to_json()),
        )
        return book

    # -- raw access for the day layer ---------------------------------------------------------

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run a read-only query."""
        return [tuple(r) for r in self._con.execute(sql, params).fetchall()]

    # -- days and the ledger ------------------------------------------------------------------

    def day_dates(self) -> list[str]:
        """The dates run so far (ISO), oldest first."""
        return [str(r[0]) for r in self._con.execute("SELECT date FROM days ORDER BY date")]

    def day_json(self, date: str) -> str | None:
        """The stored ``day.json`` text of a date, or ``None``."""
        row = self._con.execute("SELECT data FROM days WHERE date = ?", (date,)).fetchone()
        return None if row is None else str(row[0])

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
        con: sqlite3.Connection,
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
        """
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

    def day_path(self, date: str) -> Path:
        """Where a date's ``day.json`` lies: ``WORKSPACE/days/YYYY-MM-DD/day.json``."""
        return self.path / "days" / date / "day.json"

    def sync_day_files(self) -> list[str]:
        """Make the ``day.json`` files match the database (the source of truth).

        A crash between the commit and the file's rename leaves the file missing or stale; a
        crash before the commit leaves a temporary file or nothing. Both are put right here, so
        a day is either all there or not at all. Returns the dates repaired.
        """
        repaired = []
        stored = dict(self._con.execute("SELECT date, data FROM days").fetchall())
        folder = self.path / "days"
        for date, data in stored.items():
            path = self.day_path(date)
            if not path.is_file() or path.read_text(encoding="utf-8") != data:
                atomic_write(path, data)
                repaired.append(date)
        if folder.is_dir():
            for path in folder.glob("*/.day.json.*"):
                path.unlink(missing_ok=True)
            for path in folder.glob("*/day.json"):
                if path.parent.name not in stored:
                    path.unlink()
                    repaired.append(path.parent.name)
        return repaired


def load_day(workspace: str | Path | Workspace, date: str) -> Day:
    """Load a date's :class:`~route.day.run.Day` from a workspace.

    Raises
    ------
    InputError
        If the workspace has no day for that date.
    """
    from route.model.day import Day

    ws = workspace if isinstance(workspace, Workspace) else Workspace.open(workspace)
    try:
        text = ws.day_json(date)
        if text is None:
            raise input_error(
                date, "no day run for this date", f"run: paperroute day {ws.path} --date {date}"
            )
        return Day.from_dict(json.loads(text))
    finally:
        if ws is not workspace:
            ws.close()
