"""The workspace: a folder with an SQLite database of the state, and the files commands write.

The database holds the settings, subscribers, stored holds, every route-book version, the
districts, days and the ledger; it is the truth, and the files beside it (``day.json``, maps,
sheets, exports) are written from it and never read back. Every command's changes happen in
one transaction, so a crash leaves the previous state whole; the ledger is append-only
(triggers refuse updates and deletes).

One writer at a time: :meth:`Workspace.transaction` takes SQLite's write lock (``BEGIN
IMMEDIATE``) and a command holds it from its first read to its commit. A second writer waits
for it, up to ``wait`` seconds and saying so, or is refused; readers (:meth:`Workspace.reading`)
see the last committed state, never half a change (write-ahead logging).
"""

from __future__ import annotations

import json
import sqlite3
import sys
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from route.constants import DEFAULT_START_S
from route.errors import ConflictError, input_error
from route.io.daystore import DayRecords, now
from route.io.holdstore import StoredHold, cancel_holds, place_hold, store_holds, stored_holds
from route.io.lock import begin_immediate
from route.io.schema import (
    SCHEMA_VERSION,
    create_schema,
    migrate,
    resolved_network,
    stored_network,
)
from route.model.routebook import RouteBook
from route.model.subscriber import Depot, Subscriber

if TYPE_CHECKING:
    from route.model.day import Day, Hold


DB_NAME = "paperroute.sqlite"
#: Seconds a writer waits for another to finish before giving up (``--wait``).
DEFAULT_WAIT_S = 60

Notify = Callable[[str], None]


def _to_stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass(frozen=True, slots=True)
class Settings:
    """A workspace's fixed settings, chosen at ``init``.

    ``network`` is the source to load: ``demo``, a place name, or a file path (stored relative
    to the workspace, given here as a path that opens from the current folder).
    """

    network: str
    mode: str
    depot: Depot
    start_s: int = DEFAULT_START_S


class Workspace(DayRecords):
    """A paperroute workspace folder.

    Use :meth:`create` for a new one and :meth:`open` for an existing one.

    Parameters
    ----------
    path
        The folder.
    wait
        Seconds a change waits for another writer to finish (0: refuse at once).
    notify
        Called with a line of text when a change has to wait (default: standard error).
    """

    def __init__(
        self, path: Path, wait: float = DEFAULT_WAIT_S, notify: Notify | None = None
    ) -> None:
        self.path = Path(path)
        self.db_path = self.path / DB_NAME
        self.wait = max(0.0, float(wait))
        self._notify = notify or _to_stderr
        self._con = sqlite3.connect(self.db_path, isolation_level=None, timeout=self.wait)
        self._con.execute(f"PRAGMA busy_timeout = {self._wait_ms}")
        self._con.execute("PRAGMA journal_mode=WAL")
        self._con.execute("PRAGMA synchronous=FULL")
        self._mode: str | None = None

    @property
    def _wait_ms(self) -> int:
        return round(self.wait * 1000)

    # -- life cycle ---------------------------------------------------------------------------

    @classmethod
    def create(cls, path: str | Path, settings: Settings, **kw: Any) -> Workspace:
        """Create a workspace folder and its database.

        Raises
        ------
        InputError
            If the folder already holds a workspace.
        """
        path = Path(path)
        taken = input_error(
            str(path), "already a workspace", "choose a new folder, or use the existing workspace"
        )
        if (path / DB_NAME).exists():
            raise taken
        path.mkdir(parents=True, exist_ok=True)
        ws = cls(path, **kw)
        try:
            with ws.transaction() as con:
                create_schema(con)
                if con.execute("SELECT 1 FROM meta LIMIT 1").fetchone():
                    raise taken  # another init got there first
                meta = {
                    "schema_version": str(SCHEMA_VERSION),
                    "network": stored_network(settings.network, path),
                    "network_fingerprint": "",
                    "mode": settings.mode,
                    "depot": json.dumps(
                        [settings.depot.lat, settings.depot.lon, settings.depot.name]
                    ),
                    "start_s": str(settings.start_s),
                    "created": now(),
                }
                con.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
        except BaseException:
            ws.close()
            raise
        return ws

    @classmethod
    def open(cls, path: str | Path, **kw: Any) -> Workspace:
        """Open an existing workspace, migrating an older one to the current schema.

        Keyword arguments are those of the class (``wait``, ``notify``).

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
        ws = cls(path, **kw)
        try:
            version = int(ws._meta("schema_version"))
            if version > SCHEMA_VERSION:
                raise input_error(
                    str(path),
                    f"made by a newer paperroute (schema {version})",
                    "upgrade paperroute",
                )
            if version < SCHEMA_VERSION:
                with ws.transaction() as con:
                    # Another command may have migrated it while this one waited.
                    if int(ws._meta("schema_version")) < SCHEMA_VERSION:
                        for line in migrate(con, path, version):
                            ws._notify(f"Workspace {path} updated: {line}")
        except BaseException:
            ws.close()
            raise
        return ws

    def close(self) -> None:
        """Close the database connection."""
        self._con.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- one writer at a time -----------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Hold the workspace's write lock: one all-or-nothing change, committed on success,
        rolled back on any error.

        Everything a command reads inside the block is what its change is computed from: no
        other writer can commit in between. Nested blocks join the outer change.

        Raises
        ------
        InputError
            If another writer holds the lock longer than ``wait`` seconds.
        """
        con = self._con
        if self._mode == "write":
            yield con
            return
        if self._mode == "read":
            raise RuntimeError("a change cannot start inside a read; take the lock first")
        begin_immediate(con, self.path, self.wait, self._notify)
        self._mode = "write"
        try:
            yield con
        except BaseException:
            con.execute("ROLLBACK")
            raise
        else:
            con.execute("COMMIT")
        finally:
            self._mode = None

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """A consistent view: every read inside the block sees the same committed state, never
        half of another command's change. Nested in a change, it joins it."""
        con = self._con
        if self._mode is not None:
            yield con
            return
        con.execute("BEGIN")
        self._mode = "read"
        try:
            yield con
        finally:
            self._mode = None
            con.execute("ROLLBACK")

    # -- settings -----------------------------------------------------------------------------

    def _meta(self, key: str, default: str | None = None) -> str:
        row = self._con.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        if row is None:
            if default is not None:
                return default
            raise input_error(
                str(self.path), f"the workspace lacks '{key}'", "recreate it with paperroute init"
            )
        return str(row[0])

    def _set_meta(self, key: str, value: str) -> None:
        with self.transaction() as con:
            con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    @property
    def settings(self) -> Settings:
        """The workspace's network (resolved from the workspace folder), mode, depot and shift
        start."""
        lat, lon, name = json.loads(self._meta("depot"))
        return Settings(
            network=resolved_network(self._meta("network"), self.path),
            mode=self._meta("mode"),
            depot=Depot(lat=lat, lon=lon, name=name),
            start_s=int(self._meta("start_s")),
        )

    @property
    def stored_network(self) -> str:
        """The network source as stored (a file relative to the workspace folder)."""
        return self._meta("network")

    @property
    def network_fingerprint(self) -> str:
        """The street network's fingerprint recorded at ``init`` (or by the newest route book
        of a workspace from before it was recorded); ``""`` when unknown."""
        found = self._meta("network_fingerprint", "")
        if not found:
            book = self.latest_book()
            found = str(book.fingerprints.get("network", "")) if book else ""
        return found

    def set_network(self, source: str, fingerprint: str) -> None:
        """Point the workspace at a network source (stored relative to the workspace)."""
        with self.transaction() as con:
            con.execute(
                "UPDATE meta SET value = ? WHERE key = 'network'",
                (stored_network(source, self.path),),
            )
            con.execute(
                "INSERT OR REPLACE INTO meta VALUES ('network_fingerprint', ?)", (fingerprint,)
            )

    @property
    def pay_rates(self) -> dict[str, Any]:
        """The pay rates in the workspace settings (see ``paperroute rates``); ``{}`` if none."""
        rates = json.loads(self._meta("pay_rates", "{}"))
        return dict(rates) if isinstance(rates, dict) else {}

    def set_pay_rates(self, rates: dict[str, Any]) -> None:
        """Store the pay rates (an empty mapping clears them)."""
        self._set_meta("pay_rates", json.dumps(rates, sort_keys=True))

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
        with self.transaction() as con:
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
                            "UPDATE subscribers SET data = ?, active = 1 WHERE id = ?",
                            (data, sub.id),
                        )
                        updated.append(sub.id)
                else:
                    top += 1
                    con.execute("INSERT INTO subscribers VALUES (?, ?, 1, ?)", (sub.id, data, top))
                    added.append(sub.id)
        return added, updated

    def deactivate(self, ids: Sequence[str], con: sqlite3.Connection | None = None) -> None:
        """Mark subscribers inactive (they stay in the history)."""
        with self.transaction() as con:
            con.executemany("UPDATE subscribers SET active = 0 WHERE id = ?", [(i,) for i in ids])

    # -- holds --------------------------------------------------------------------------------

    def holds(self, ids: Sequence[str] | None = None) -> list[StoredHold]:
        """Every stored hold (of ``ids`` when given), with its dates and any cancellation."""
        return stored_holds(self._con, ids)

    def day_holds(self) -> tuple[Hold, ...]:
        """The holds as days apply them (cancelled parts left out)."""
        return tuple(h for s in self.holds() if (h := s.hold()) is not None)

    def store_holds(self, holds: Sequence[Hold], source: str) -> tuple[list[Hold], list[Hold]]:
        """Store holds read from a file; return (stored now, stored before): storing the same
        file again changes nothing."""
        with self.transaction() as con:
            return store_holds(con, holds, source, now())

    def place_hold(self, hold: Hold) -> str:
        """Store a hold given on the command line (see :func:`route.io.holdstore.place_hold`)."""
        with self.transaction() as con:
            return place_hold(con, hold, now())

    def cancel_holds(
        self, ids: Sequence[str], first_day: date
    ) -> list[tuple[StoredHold, StoredHold]]:
        """End the holds of ``ids`` from ``first_day`` on; return (before, after) pairs."""
        with self.transaction() as con:
            return cancel_holds(con, ids, first_day)

    # -- districts ----------------------------------------------------------------------------

    def district_of(self) -> dict[str, str]:
        """Each active subscriber's district: subscriber id -> district name (``D01``, ``D02``,
        ... zero-padded to the width of the count); ``{}`` when the workspace has no districts.

        Ordered by district, then by the subscribers' import order.
        """
        rows = self._con.execute(
            "SELECT d.subscriber_id, d.district FROM districts d "
            "JOIN subscribers s ON s.id = d.subscriber_id WHERE s.active = 1 "
            "ORDER BY d.district, s.position"
        ).fetchall()
        return {str(i): str(d) for i, d in rows}

    def save_districts(self, assignment: Mapping[str, str], note: str) -> None:
        """Replace the districts by ``assignment`` (subscriber id -> district name), in one
        transaction; ``note`` says what the change was (shown by ``districts``).

        The caller holds the workspace lock (:meth:`transaction`) from the read its assignment
        was computed from, as every writing command does; an empty mapping clears the districts.

        Raises
        ------
        ConflictError
            If the assignment names a subscriber the workspace does not have, or gives a
            district an empty name. Nothing is written.
        """
        with self.transaction() as con:
            known = {str(r[0]) for r in con.execute("SELECT id FROM subscribers")}
            unknown = sorted(set(assignment) - known)
            blank = sorted(i for i, d in assignment.items() if not str(d).strip())
            if unknown or blank:
                what = []
                if unknown:
                    what.append(f"names subscribers the workspace lacks: {', '.join(unknown[:10])}")
                if blank:
                    what.append(f"gives no district to {', '.join(blank[:10])}")
                raise ConflictError("the districts " + "; ".join(what) + "; nothing was written")
            con.execute("DELETE FROM districts")
            con.executemany(
                "INSERT INTO districts VALUES (?, ?)",
                sorted((str(i), str(d)) for i, d in assignment.items()),
            )
            con.execute("INSERT OR REPLACE INTO meta VALUES ('districts_note', ?)", (note,))
            con.execute("INSERT OR REPLACE INTO meta VALUES ('districts_saved', ?)", (now(),))

    @property
    def district_room(self) -> int:
        """The most stops a district may hold (new subscribers join one with fewer); 0 when
        the workspace has no districts."""
        return int(self._meta("district_room", "0"))

    def set_district_room(self, most: int) -> None:
        """Record the most stops a district may hold (see :attr:`district_room`)."""
        self._set_meta("district_room", str(int(most)))

    @property
    def districts_note(self) -> tuple[str, str]:
        """What the last change of the districts was and when: (note, ISO time), or empty."""
        return self._meta("districts_note", ""), self._meta("districts_saved", "")

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
        self,
        book: RouteBook,
        note: str,
        con: sqlite3.Connection | None = None,
        *,
        based_on: int,
    ) -> RouteBook:
        """Store a route book as the next version; return it with its version number set.

        Parameters
        ----------
        book
            The new route book.
        note
            What the change was, for ``history``.
        con
            Unused (kept for callers that pass the transaction's connection).
        based_on
            The version the book was computed from (0 for the first plan): it is committed only
            on top of that version.

        Raises
        ------
        ConflictError
            If another version was committed since ``based_on``, or if the book would leave an
            active subscriber neither routed nor listed as unserved, route one twice, or route
            one who is no longer active. Nothing is written.
        """
        with self.transaction() as con:
            top = int(
                con.execute("SELECT COALESCE(MAX(version), 0) FROM route_books").fetchone()[0]
            )
            if top != based_on:
                raise ConflictError(
                    f"the route book was computed from version {based_on}, but version {top} is "
                    "the newest now; nothing was written. Run the command again."
                )
            self._check_complete(con, book)
            book = replace(book, version=top + 1)
            con.execute(
                "INSERT INTO route_books VALUES (?, ?, ?, ?)",
                (book.version, now(), note, book.to_json()),
            )
        return book

    @staticmethod
    def _check_complete(con: sqlite3.Connection, book: RouteBook) -> None:
        """Invariant 1 at the one place route books are written."""
        active = {str(r[0]) for r in con.execute("SELECT id FROM subscribers WHERE active = 1")}
        routed = list(book.order)
        listed = set(routed) | {u.subscriber_id for u in book.unserved}
        twice = sorted(x for x, n in Counter(routed).items() if n > 1)
        gone = sorted(set(routed) - active)
        missing = sorted(active - listed)
        problems = []
        if missing:
            problems.append(f"neither routes nor lists as unserved {', '.join(missing[:10])}")
        if twice:
            problems.append(f"routes twice {', '.join(twice[:10])}")
        if gone:
            problems.append(f"routes subscribers who are not active: {', '.join(gone[:10])}")
        if problems:
            raise ConflictError(
                "the new route book " + "; ".join(problems) + "; nothing was written"
            )

    # -- raw access for the day layer ---------------------------------------------------------

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run a query (inside the open transaction, if any)."""
        return [tuple(r) for r in self._con.execute(sql, params).fetchall()]


def load_day(workspace: str | Path | Workspace, date: str) -> Day:
    """Load a date's :class:`~route.model.day.Day` from a workspace's database.

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
