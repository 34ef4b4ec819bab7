"""The workspace's one lock: SQLite's own write lock, taken with ``BEGIN IMMEDIATE``.

A command that changes the workspace takes it before its first read and keeps it to its
commit, so nothing another writer does can slip in between. A second writer first tries
without waiting; if the lock is taken it says it is waiting and lets SQLite's busy timeout wait
up to ``wait`` seconds, then gives up with a clear message. Readers are never blocked: with
write-ahead logging they see the last committed state.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from route.errors import input_error


def _busy(e: sqlite3.OperationalError) -> bool:
    # Extended codes (SQLITE_BUSY_RECOVERY, ...) keep SQLITE_BUSY in their low byte.
    return (getattr(e, "sqlite_errorcode", 0) & 0xFF) == sqlite3.SQLITE_BUSY


def _try(con: sqlite3.Connection) -> bool:
    try:
        con.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as e:
        if not _busy(e):
            raise
        return False
    return True


def begin_immediate(
    con: sqlite3.Connection, path: Path, wait: float, notify: Callable[[str], None]
) -> None:
    """Start a write transaction on ``con``, waiting up to ``wait`` seconds for another writer.

    Raises
    ------
    InputError
        If the lock is still taken after ``wait`` seconds (at once when ``wait`` is 0).
    """
    wait_ms = round(wait * 1000)
    con.execute("PRAGMA busy_timeout = 0")
    try:
        if _try(con):
            return
        if wait > 0:
            notify(
                f"Waiting for another paperroute command to finish with {path} "
                f"(up to {wait:g} s; --wait SECONDS to change)"
            )
            con.execute(f"PRAGMA busy_timeout = {wait_ms}")
            if _try(con):
                return
        raise input_error(
            str(path),
            "another paperroute command is changing this workspace"
            + (f" and did not finish within {wait:g} s" if wait > 0 else ""),
            "run this command again when it is done, or give --wait SECONDS to wait longer; "
            "nothing was written",
        )
    finally:
        con.execute(f"PRAGMA busy_timeout = {wait_ms}")
