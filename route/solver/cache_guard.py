"""Loading compiled code when numba's on-disk cache is damaged: detect, rebuild, go on.

numba keeps each compiled function in an index file (``.nbi``) and data files (``.nbc``). A
truncated or overwritten one (a full disk, a crash while it was written, a copy gone wrong)
makes loading raise an unpickling error, again on every run until the files are deleted. The
guard finds the damaged entry from the error's own traceback (numba's cache file object names
its files), deletes that entry and loads again: numba then compiles the function afresh and
writes a good entry.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

#: Damaged entries repaired per load before giving up (a cache has one entry per function).
_MAX_REPAIRS = 64


def load_compiled(load: Callable[[], T]) -> T:
    """Run ``load`` (which imports or warms up compiled code); repair a damaged cache on the way.

    Any other error, or one that deleting cache entries does not cure, is raised as it is.
    """
    for _ in range(_MAX_REPAIRS):
        try:
            return load()
        except Exception as error:
            files = damaged_entry(error)
            if not files:
                raise
            for f in files:
                f.unlink(missing_ok=True)
            names = ", ".join(sorted({f.name.split(".py")[0] for f in files}))
            print(
                f"paperroute: the compiled-code cache was damaged ({names}); rebuilding it",
                file=sys.stderr,
                flush=True,
            )
    return load()


def damaged_entry(error: BaseException) -> list[Path]:
    """The cache files of the entry whose loading raised ``error`` (empty if none did)."""
    tb = error.__traceback__
    while tb is not None:
        frame = tb.tb_frame
        owner = frame.f_locals.get("self")
        if frame.f_code.co_filename.replace("\\", "/").endswith("numba/core/caching.py"):
            index = getattr(owner, "_index_path", None)
            if isinstance(index, str):
                path = Path(index)
                stem = path.name[: -len(".nbi")] if path.name.endswith(".nbi") else path.stem
                return [path, *path.parent.glob(f"{stem}.*.nbc")]
        tb = tb.tb_next
    return []
