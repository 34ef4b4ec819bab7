"""Run ``paperroute`` with a power cut injected from outside the product.

    python tests/crash.py MODULE:NAME before|after -- ARGS...

replaces ``NAME`` (a function, or ``Class.method``) in ``MODULE`` by a wrapper that kills the
process with SIGKILL just before or just after the real call, then runs the command line with
``ARGS``. The product carries no test hooks: every fault is put in from here.
"""

from __future__ import annotations

import importlib
import os
import signal
import sys
from typing import Any


def inject(target: str, when: str) -> None:
    """Make ``target`` (``module:name``) kill this process ``before`` or ``after`` it runs."""
    if when not in ("before", "after"):
        raise SystemExit(f"crash.py: 'before' or 'after', not {when!r}")
    module, _, name = target.partition(":")
    owner: Any = importlib.import_module(module)
    *path, leaf = name.split(".")
    for part in path:
        owner = getattr(owner, part)
    real = getattr(owner, leaf)

    def cut(*args: Any, **kwargs: Any) -> Any:
        if when == "before":
            os.kill(os.getpid(), signal.SIGKILL)
        out = real(*args, **kwargs)
        if when == "after":
            os.kill(os.getpid(), signal.SIGKILL)
        return out

    setattr(owner, leaf, cut)


def main(argv: list[str]) -> int:
    target, when, sep, *rest = argv
    if sep != "--":
        raise SystemExit("usage: crash.py MODULE:NAME before|after -- ARGS...")
    inject(target, when)
    from route.cli import main as paperroute

    return paperroute(rest)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
