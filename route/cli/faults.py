"""What the command line says when the machine fails it: a full disk, a read-only folder, Ctrl-C.

Each message says what happened and whether anything was written. Whether the workspace's
database changed is read from SQLite itself (``PRAGMA data_version`` on a connection of our
own, opened before the command): a change committed by the command shows there, a rolled-back
one does not. Files beside the database are always written to a temporary name and renamed,
so a failed write leaves the previous file.
"""

from __future__ import annotations

import errno
import re
import shutil
import signal
import sqlite3
from contextlib import suppress
from pathlib import Path
from types import FrameType

from route.io.workspace import DB_NAME


class Terminated(BaseException):
    """SIGTERM, raised where the program is, so that open transactions roll back."""


class WriteWatch:
    """Tells whether a workspace's database changed while a command ran."""

    def __init__(self, workspace: Path | None) -> None:
        self.db = None if workspace is None else workspace / DB_NAME
        self.existed = self.db is not None and self.db.is_file()
        self._con: sqlite3.Connection | None = None
        self._version: int | None = None
        self._files = self._signature()
        if self.existed and self.db is not None:
            with suppress(sqlite3.Error, OSError):
                self._con = sqlite3.connect(self.db, timeout=1.0)
                self._version = int(self._con.execute("PRAGMA data_version").fetchone()[0])

    def _signature(self) -> tuple[tuple[int, int], ...]:
        """Size and time of the database and its write-ahead log (0, 0 for a missing one)."""
        if self.db is None:
            return ()
        out = []
        for path in (self.db, self.db.with_name(self.db.name + "-wal")):
            try:
                st = path.stat()
                out.append((st.st_size, st.st_mtime_ns) if st.st_size else (0, 0))
            except OSError:
                out.append((0, 0))
        return tuple(out)

    def changed(self) -> bool | None:
        """True if the database changed, False if not, None if it cannot be told."""
        if self.db is None:
            return False
        if not self.existed:
            return self.db.exists()
        if self._con is not None and self._version is not None:
            with suppress(sqlite3.Error):
                version = int(self._con.execute("PRAGMA data_version").fetchone()[0])
                return version != self._version
        # No connection of our own (a full disk, a read-only folder): every commit writes the
        # log or the database, so files untouched mean nothing was committed.
        return False if self._signature() == self._files else None

    def close(self) -> None:
        if self._con is not None:
            with suppress(sqlite3.Error):
                self._con.close()


def written(watch: WriteWatch, workspace: Path | None, error: BaseException | None = None) -> str:
    """The sentence that says what the failed command left behind."""
    changed = watch.changed()
    if changed is None and error is not None and _read_only(error):
        changed = False  # the database could not even be opened for writing
    if changed is False:
        return "Nothing was written: the workspace is as it was before."
    if changed is None:
        where = f" with: paperroute history {workspace}" if workspace else ""
        return f"The workspace may have changed before the failure; check it{where}."
    return (
        "The change was saved in the workspace's database before the failure; the files "
        "written from it that are missing (a day's day.json) are restored by the next command "
        "that needs them, such as the next paperroute day."
    )


_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
_READ_ONLY = (errno.EROFS, errno.EACCES, errno.EPERM)


def _read_only(error: BaseException) -> bool:
    if isinstance(error, OSError):
        return error.errno in _READ_ONLY
    return isinstance(error, sqlite3.Error) and any(
        w in str(error).lower() for w in ("readonly", "read-only", "unable to open")
    )


def _full(folder: Path | None) -> bool:
    """Whether the disk holding ``folder`` has (almost) no room left."""
    try:
        return folder is not None and shutil.disk_usage(folder).free < 256 * 1024
    except OSError:
        return False


def describe(error: BaseException, workspace: Path | None = None) -> str | None:
    """A plain sentence for a fault of the machine (disk, permissions), or None for others."""
    if isinstance(error, OSError):
        where = f" ({_target(error.filename)})" if error.filename else ""
        if error.errno in _FULL:
            return f"the disk is full{where}"
        if error.errno in _READ_ONLY:
            return f"no permission to write{where}: the folder or file is read-only"
        if error.errno == errno.EIO and _full(workspace):
            return f"the disk is full{where}"
        if error.errno == errno.EIO:
            return f"the disk reported an input/output error{where}"
        return f"{error.strerror or error}{where}"
    if isinstance(error, sqlite3.Error):
        text = str(error).lower()
        if "full" in text:
            return "the disk is full (the workspace's database could not grow)"
        if "readonly" in text or "read-only" in text or "unable to open" in text:
            return "the workspace's database cannot be written: its folder is read-only"
        if "malformed" in text or "not a database" in text:
            return "the workspace's database is damaged (not a readable SQLite file)"
        if "locked" in text or "busy" in text:
            return "the workspace is in use by another command"
        if "disk i/o" in text:
            if _full(workspace):  # SQLite cannot even make room for its shared-memory file
                return "the disk is full (the workspace's database could not be opened)"
            return "the disk reported an input/output error on the workspace's database"
    return None


#: The temporary name :func:`route.io.files.atomic_path` writes to: ``.NAME.RANDOM[SUFFIX]``.
_TEMPORARY = re.compile(r"^\.(?P<name>.+)\.[a-z0-9_]{8}(\.\w+)?$")


def _target(filename: object) -> str:
    """The file a write was for: a temporary ``.NAME.xxxxxxxx`` stands for ``NAME``."""
    path = Path(str(filename))
    m = _TEMPORARY.match(path.name)
    return str(path.parent / m["name"]) if m else str(path)


#: Seconds after an interrupt before it is raised again, in case a library swallowed it.
_AGAIN_S = 0.25


class Stop:
    """Ctrl-C (SIGINT) and SIGTERM as exceptions, raised again until they reach the command line.

    Libraries that call back into Python (OR-Tools' search limits, numba's clock) swallow an
    exception raised inside the callback and carry on. So after the first signal a one-shot
    timer raises it again a moment later, and again, until it lands in plain Python code and
    unwinds the command (rolling back any open transaction) to :func:`route.cli.main.main`.
    """

    def __init__(self) -> None:
        self.pending: type[BaseException] | None = None
        self._previous: list[tuple[int, object]] = []

    def __enter__(self) -> Stop:
        try:
            for signum, handler in (
                (signal.SIGINT, self._on_interrupt),
                (signal.SIGTERM, self._on_terminate),
                (signal.SIGALRM, self._again),
            ):
                self._previous.append((signum, signal.signal(signum, handler)))
        except ValueError:  # not the main thread: leave signals alone
            pass
        return self

    def __exit__(self, *exc: object) -> None:
        self.disarm()
        for signum, handler in reversed(self._previous):
            signal.signal(signum, handler)  # type: ignore[arg-type]
        self._previous.clear()

    def disarm(self) -> None:
        """Stop raising again (the exception has arrived)."""
        if self._previous:
            signal.setitimer(signal.ITIMER_REAL, 0)

    def _raise(self, kind: type[BaseException]) -> None:
        self.pending = kind
        signal.setitimer(signal.ITIMER_REAL, _AGAIN_S)
        raise kind()

    def _on_interrupt(self, signum: int, frame: FrameType | None) -> None:
        self._raise(KeyboardInterrupt)

    def _on_terminate(self, signum: int, frame: FrameType | None) -> None:
        self._raise(Terminated)

    def _again(self, signum: int, frame: FrameType | None) -> None:
        if self.pending is not None:
            self._raise(self.pending)
