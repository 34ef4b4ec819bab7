"""The workspace database's schema, and the migrations that bring older workspaces up to it.

Version 1 held the settings, subscribers, route-book versions, days and the ledger. Version 2
adds stored holds, keeps the street-network file relative to the workspace folder (so a moved
workspace keeps working) and records the network's fingerprint (checked by ``relink``).
Version 3 adds the districts (carrier territories of a distributor: one row per subscriber).
Migrations run inside one transaction: a workspace is either wholly migrated or as it was.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

SCHEMA_VERSION = 3

_V1 = """
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

# A hold is stored once per (subscriber, start, end as given); ``end_date`` '' = until
# cancelled. Cancelling sets ``cancelled_from`` (the first day delivered again) and keeps the
# row, so the same holds file read again changes nothing.
_V2 = """
CREATE TABLE IF NOT EXISTS holds (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    subscriber_id TEXT NOT NULL,
    start_date TEXT NOT NULL,
    end_date TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL DEFAULT '',
    created TEXT NOT NULL,
    cancelled_from TEXT NOT NULL DEFAULT '',
    UNIQUE (subscriber_id, start_date, end_date)
);
"""

# A subscriber's district (``D01``, ``D02``, ...); no rows = the workspace has no districts.
_V3 = """
CREATE TABLE IF NOT EXISTS districts (
    subscriber_id TEXT PRIMARY KEY,
    district TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS districts_by_name ON districts (district)
"""


def _run(con: sqlite3.Connection, script: str) -> None:
    # executescript would commit the open transaction; run the statements one by one.
    for stmt in script.split(";\n"):
        if stmt.strip():
            con.execute(stmt)


def create_schema(con: sqlite3.Connection) -> None:
    """Create every table of the current schema (inside the caller's transaction)."""
    _run(con, _V1)
    _run(con, _V2)
    _run(con, _V3)


def is_network_file(source: str) -> bool:
    """Whether a network source names a file (the other sources are ``demo`` and place names)."""
    return source.lower().endswith((".pbf", ".osm", ".xml", ".graphml"))


def stored_network(source: str, workspace: Path) -> str:
    """How a network source is stored: a file relative to the workspace folder."""
    if not is_network_file(source):
        return source
    return os.path.relpath(Path(source).resolve(), workspace.resolve())


def resolved_network(stored: str, workspace: Path) -> str:
    """The network source to load, from what is stored (relative paths from the workspace)."""
    if not is_network_file(stored) or Path(stored).is_absolute():
        return stored
    return os.path.normpath(workspace.resolve() / stored)


def migrate(con: sqlite3.Connection, workspace: Path, version: int) -> list[str]:
    """Bring a workspace from schema ``version`` to :data:`SCHEMA_VERSION` (inside the caller's
    transaction); return what was done, as lines for the user."""
    done = []
    if version < 2:
        _run(con, _V2)
        row = con.execute("SELECT value FROM meta WHERE key = 'network'").fetchone()
        source = str(row[0]) if row else ""
        fingerprint = ""
        if is_network_file(source) and Path(source).is_absolute():
            if Path(source).is_file():
                from route.io.osm import source_fingerprint

                mode = con.execute("SELECT value FROM meta WHERE key = 'mode'").fetchone()
                fingerprint = source_fingerprint(source, str(mode[0]) if mode else "walk")
            con.execute(
                "UPDATE meta SET value = ? WHERE key = 'network'",
                (stored_network(source, workspace),),
            )
            done.append("the street network's path is now kept relative to the workspace")
        con.execute("INSERT OR IGNORE INTO meta VALUES ('network_fingerprint', ?)", (fingerprint,))
        done.append("holds are stored in the workspace")
    if version < 3:
        _run(con, _V3)
        done.append("districts can be stored in the workspace")
    con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION),))
    return done
