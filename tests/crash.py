"""Run ``paperroute`` with a fault injected from outside the product.

    python tests/crash.py MODULE:NAME WHEN -- ARGS...
    python tests/crash.py sql:N -- ARGS...
    python tests/crash.py call:N -- ARGS...
    python tests/crash.py timer:SECONDS -- ARGS...
    python tests/crash.py count -- ARGS...

``MODULE:NAME WHEN`` replaces ``NAME`` (a function, or ``Class.method``) in ``MODULE`` by a
wrapper; ``WHEN`` is ``before`` or ``after`` (SIGKILL just before or just after the real call),
or ``raise-ERRNO`` (an ``OSError`` with that errno instead of the call: ``raise-28`` is a full
disk), each optionally ``:N`` for the N-th call rather than the first. ``sql:N`` kills the
process just before the N-th SQL statement it runs (a trace callback on every SQLite
connection), ``call:N`` just before the N-th call of a Python function of the ``route`` package
(a profile hook: any line of the product's own code can be the last), ``timer:SECONDS`` that long
after the start wherever it is, and ``count`` runs unharmed and prints ``sql=S calls=C``
(statements run, product functions called) on standard error at exit, so a test can choose a
point at random from a seeded generator, the same points on every machine. Then the command
line runs with ``ARGS``. The product carries no test hooks: every fault is put in from here.
"""

from __future__ import annotations

import atexit
import importlib
import importlib.util
import os
import signal
import sqlite3
import sys
import threading
from typing import Any


def _kill() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def inject(target: str, when: str) -> None:
    """Make ``target`` (``module:name``) fail as ``when`` says (see the module docstring)."""
    action, _, nth = when.partition(":")
    if action not in ("before", "after") and not action.startswith("raise-"):
        raise SystemExit(f"crash.py: 'before', 'after' or 'raise-ERRNO', not {when!r}")
    at = int(nth or 1)
    module, _, name = target.partition(":")
    owner: Any = importlib.import_module(module)
    *path, leaf = name.split(".")
    for part in path:
        owner = getattr(owner, part)
    real = getattr(owner, leaf)
    calls = [0]

    def cut(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        hit = calls[0] == at
        if hit and action == "before":
            _kill()
        if hit and action.startswith("raise-"):
            code = int(action.removeprefix("raise-"))
            target = next((a for a in args if isinstance(a, str | os.PathLike)), None)
            raise OSError(code, os.strerror(code), None if target is None else os.fspath(target))
        out = real(*args, **kwargs)
        if hit and action == "after":
            _kill()
        return out

    setattr(owner, leaf, cut)


def trace_sql(kill_at: int | None) -> list[int]:
    """Count every SQL statement run on any connection; SIGKILL before statement ``kill_at``."""
    count = [0]
    real = sqlite3.connect

    def trace(_statement: str) -> None:
        count[0] += 1
        if count[0] == kill_at:
            _kill()

    def connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        con = real(*args, **kwargs)
        con.set_trace_callback(trace)
        return con

    sqlite3.connect = connect  # type: ignore[assignment]
    return count


def trace_calls(kill_at: int | None) -> list[int]:
    """Count every call of a ``route`` function; SIGKILL just before call number ``kill_at``."""
    spec = importlib.util.find_spec("route")  # located, not imported: its imports count too
    assert spec is not None
    assert spec.origin is not None
    package = os.path.dirname(spec.origin) + os.sep
    count = [0]

    def profile(frame: Any, event: str, _arg: Any) -> None:
        if event == "call" and frame.f_code.co_filename.startswith(package):
            count[0] += 1
            if count[0] == kill_at:
                _kill()

    sys.setprofile(profile)
    threading.setprofile(profile)
    return count


def main(argv: list[str]) -> int:
    sep = argv.index("--")
    point, rest = argv[:sep], argv[sep + 1 :]
    if len(point) == 2:
        inject(*point)
    elif point[0].startswith("sql:"):
        trace_sql(int(point[0].removeprefix("sql:")))
    elif point[0].startswith("call:"):
        trace_calls(int(point[0].removeprefix("call:")))
    elif point[0].startswith("timer:"):
        timer = threading.Timer(float(point[0].removeprefix("timer:")), _kill)
        timer.daemon = True
        timer.start()
    elif point == ["count"]:
        sql, calls = trace_sql(None), trace_calls(None)
        atexit.register(lambda: print(f"sql={sql[0]} calls={calls[0]}", file=sys.stderr))
    else:
        usage = "MODULE:NAME WHEN | sql:N | call:N | timer:S | count"
        raise SystemExit(f"usage: crash.py {usage} -- ARGS...")
    from route.cli import main as paperroute

    return paperroute(rest)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
