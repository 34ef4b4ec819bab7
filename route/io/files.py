"""The workspace: a folder with an SQLite database of the state, and the files commands write.

The database holds the settings, subscribers, every route-book version, days and the ledger.
Every command's changes happen in one transaction, so a crash leaves the previous state whole;
the ledger is append-only (triggers refuse updates and deletes). Files written beside the
database (maps, sheets, exports) are written atomically: to a temporary file, then renamed.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    pass


def atomic_write(path: str | Path, data: str | bytes) -> Path:
    """Write a file atomically: a temporary file in the same folder, then a rename.

    A crash leaves either the old file or the new one, never half of one.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode("utf-8") if isinstance(data, str) else data)
            f.flush()
            os.fsync(f.fileno())
        # mkstemp creates 0600 files; give the result the permissions a plain open() would.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
