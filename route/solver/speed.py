"""How fast this machine runs the multi-carrier search: the work model's measured half.

A time limit becomes an amount of counted work (:func:`route.solver.penalised.evaluation_budget`)
so that the search stops on work, not on the clock, and the same problem, seed and work give
the same routes. How much work fits in a second, though, differs threefold between the two-core
machines the benchmarks have run on (and by how much two threads slow each other), so a fixed
rate either leaves most of the time unused on a fast machine or lets the clock cut the search
short, and the routes with it, on a slow one.

So the rate is measured once per machine and number of threads: the search runs a fixed amount
of work on a fixed problem (:func:`measure`, about a second), per second of processor time, so
that whatever else runs at that moment does not lower it for good (under a load of 4.5 it read
the same as on the idle machine, where the clock gave a third of it). It is rounded down to a
step of 2^(1/8) so that a second measurement lands on the same step, and kept in the cache
folder beside the compiled code (:func:`rate`). Later plans on the machine read it back,
so they do the same work and give the same routes (invariant 4); a plan on another machine
does the work that machine manages in the time limit.

``PAPERROUTE_WORK_MODEL=fixed`` turns the measurement off: the rates of the table in
:mod:`route.solver.penalised`, measured on one idle two-core machine, are used everywhere, so
the same problem, seed and time limit give the same routes on every machine (the test suite
runs so). ``machine``, the default, measures.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import platform
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from route.errors import InputError, Issue
from route.solver import penalised

if TYPE_CHECKING:
    from route.solver.problem import Problem

#: The environment variable that chooses the work model, and its values.
ENV = "PAPERROUTE_WORK_MODEL"
MODELS = ("machine", "fixed")
#: Stops of the measuring problem (the work model scales its rate to other sizes).
SIZE = penalised.MEASURED_SIZE
#: The work each measuring run does per thread.
_WORK = 30_000_000
#: Measuring runs; the fastest counts (a busy moment only slows a run down).
_RUNS = 2
#: Rates are rounded down to a power of this step.
_STEP = 2 ** (1 / 8)


def model() -> str:
    """The work model asked for: ``"machine"`` (measured here, the default) or ``"fixed"``.

    Raises
    ------
    InputError
        If ``PAPERROUTE_WORK_MODEL`` holds anything else.
    """
    raw = os.environ.get(ENV, "")
    value = raw.strip().lower() or "machine"
    if value not in MODELS:
        raise InputError(
            [
                Issue(
                    f"the environment variable {ENV}",
                    "not a work model",
                    "set it to 'machine' (measure this machine's speed once and plan by it) "
                    "or 'fixed' (the same work on every machine), or unset it",
                    value=raw,
                )
            ]
        )
    return value


#: Rates handed over by the machine a plan started on (see :func:`pinned`).
_PINNED: ContextVar[Mapping[int, int] | None] = ContextVar("paperroute_rates", default=None)


def here() -> dict[int, int]:
    """This machine's rates for one and two threads (measured if need be), or none with the
    fixed work model: for :func:`pinned` on the machines that plan a part of the work."""
    if model() == "fixed":
        return {}
    return {w: r for w in (1, 2) if (r := rate(w)) is not None}


@contextlib.contextmanager
def pinned(rates: Mapping[int, int]) -> Iterator[None]:
    """Plan by ``rates`` (from :func:`here` on another machine) instead of this machine's:
    a distributed plan's districts then do the same work whichever machine plans them.
    An empty mapping is the fixed work model."""
    token = _PINNED.set(rates)
    try:
        yield
    finally:
        _PINNED.reset(token)


def rate(workers: int) -> int | None:
    """Evaluations per second of each of ``workers`` threads at :data:`SIZE` stops on this
    machine, measured once and cached; ``None`` with the fixed work model."""
    handed = _PINNED.get()
    if handed is not None:
        return handed.get(workers) if handed else None
    if model() == "fixed":
        return None
    from route.solver import native

    path = native.cache_dir() / "speed.json"
    key = _machine_key(workers)
    known = _read(path).get(key)
    if known is not None:
        return known
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError:  # no writable cache folder: measure every time, keep nothing
        return measure(workers)
    with native.locked(path):
        table = _read(path)  # another process may have measured while this one waited
        if key not in table:
            table[key] = measure(workers)
            _write(path, table)
        return table[key]


def known(workers: int) -> bool:
    """Whether :func:`rate` answers at once: fixed rates, or this machine's already measured."""
    if _PINNED.get() is not None or model() == "fixed":
        return True
    from route.solver import native

    return _machine_key(workers) in _read(native.cache_dir() / "speed.json")


def measure(workers: int) -> int:
    """Measure the rate (see :func:`rate`) now, rounded down to a power of :data:`_STEP`."""
    problem = problem_for_measuring()
    best = 0.0
    for run in range(_RUNS):
        # Processor time, not the clock: other programs running at that moment do not lower
        # the rate kept for good (the clock caps a search on a busy day anyway). Both threads'
        # times add up, as their work does.
        t0 = time.process_time()
        res = penalised.search(problem, _WORK, 600.0, run, workers=workers)
        elapsed = time.process_time() - t0
        best = max(best, res.work / max(elapsed, 1e-6))
    # More threads than cores share them: each gets that share of the clock's seconds.
    best *= min(1.0, (os.cpu_count() or 1) / workers)
    return int(_STEP ** math.floor(math.log(best, _STEP)))


def problem_for_measuring() -> Problem:
    """A capacitated problem of :data:`SIZE` stops and 15 carriers on a plane, always the
    same: the kind of search the benchmarks time."""
    from route.solver.problem import capacitated

    gen = np.random.Generator(np.random.PCG64(2026))
    xy = gen.integers(0, 1000, size=(SIZE + 1, 2))
    xy[0] = (500, 500)
    d = np.rint(np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))).astype(np.int64)
    demand = (0, *(int(q) for q in gen.integers(1, 11, size=SIZE)))
    return capacitated(d, demand, math.ceil(sum(demand) / 14), 15)


def _machine_key(workers: int) -> str:
    """The cached rate's key: this machine, the search's build, the number of threads."""
    from route.solver import native

    cpu = platform.processor() or platform.machine()
    return f"{platform.node()}|{cpu}|{os.cpu_count()}|{native.source_hash('_vrp')}|{workers}"


def _read(path: Path) -> dict[str, int]:
    """The cached rates; a missing, unreadable or corrupt file counts as none (and is
    measured again and rewritten)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(v, int) and v > 0}


def _write(path: Path, table: dict[str, int]) -> None:
    """Replace the cache file atomically; a cache that cannot be written is only not kept."""
    with contextlib.suppress(OSError):
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".speed-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(table, fh, indent=1, sort_keys=True)
        os.replace(tmp, path)
