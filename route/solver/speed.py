"""How fast this machine runs the searches: the work model's measured half.

A time limit becomes an amount of counted work (:func:`route.solver.penalised.evaluation_budget`
for the multi-carrier search, :func:`route.solver.tour.work_budget` for the tour engine) so that
a search stops on work, not on the clock, and the same problem, seed and work give the same
routes. How much work fits in a second, though, differs threefold between the two-core
machines the benchmarks have run on (and by how much two threads slow each other), so a fixed
rate either leaves most of the time unused on a fast machine or lets the clock cut the search
short, and the routes with it, on a slow one.

So each engine's rate is measured once per machine (and, for the multi-carrier search, number
of threads): the engine runs a fixed amount of work on a fixed problem (:func:`measure`, about
a second), per second of processor time, so that whatever else runs at that moment does not
lower it for good (under a load of 4.5 it read the same as on the idle machine, where the clock
gave a third of it). It is rounded down to a step of 2^(1/8) so that a second measurement lands
on the same step, and kept in the cache folder beside the compiled code (:func:`rate`). Later
plans on the machine read it back, so they do the same work and give the same routes
(invariant 4); a plan on another machine does the work that machine manages in the time limit.

``PAPERROUTE_WORK_MODEL=fixed`` turns the measurement off: the rates of the tables in
:mod:`route.solver.penalised` and :mod:`route.solver.tour`, measured on one idle two-core
machine, are used everywhere, so the same problem, seed and time limit give the same routes on
every machine (the test suite runs so). ``machine``, the default, measures.
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
from typing import TYPE_CHECKING, Literal

import numpy as np
import numpy.typing as npt

from route.errors import InputError, Issue
from route.solver import penalised

if TYPE_CHECKING:
    from route.solver.problem import Problem

#: The environment variable that chooses the work model, and its values.
ENV = "PAPERROUTE_WORK_MODEL"
MODELS = ("machine", "fixed")
#: The engines whose rates are measured: the multi-carrier search and the tour engine.
Engine = Literal["vrp", "tour"]
#: Stops of the multi-carrier measuring problem (the work model scales its rate to other sizes).
SIZE = penalised.MEASURED_SIZE
#: Nodes of the tour engine's measuring problem (:data:`route.solver.tour.MEASURED_SIZE`).
TOUR_SIZE = 500
#: The work each measuring run does per thread, by engine (about half a second each).
_WORK: dict[str, int] = {"vrp": 30_000_000, "tour": 100_000_000}
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


#: Rates handed over by the machine a plan started on (see :func:`pinned`), by :func:`slot`.
_PINNED: ContextVar[Mapping[str, int] | None] = ContextVar("paperroute_rates", default=None)


def slot(workers: int, engine: Engine = "vrp") -> str:
    """The name of one engine's rate at a number of threads in :func:`here`'s mapping."""
    return f"{engine}-{workers}"


def here() -> dict[str, int]:
    """This machine's rates (measured if need be): the multi-carrier search's for one and two
    threads and the tour engine's, by :func:`slot`; none with the fixed work model. For
    :func:`pinned` on the machines that plan a part of the work."""
    if model() == "fixed":
        return {}
    wanted: list[tuple[int, Engine]] = [(1, "vrp"), (2, "vrp"), (1, "tour")]
    return {slot(w, e): r for w, e in wanted if (r := rate(w, e)) is not None}


@contextlib.contextmanager
def pinned(rates: Mapping[str, int]) -> Iterator[None]:
    """Plan by ``rates`` (from :func:`here` on another machine) instead of this machine's:
    a distributed plan's districts then do the same work whichever machine plans them.
    An empty mapping is the fixed work model."""
    token = _PINNED.set(rates)
    try:
        yield
    finally:
        _PINNED.reset(token)


def rate(workers: int, engine: Engine = "vrp") -> int | None:
    """Units of work per second of each of ``workers`` threads on this machine, measured once
    and cached; ``None`` with the fixed work model.

    ``engine="vrp"``: evaluations of the multi-carrier search at :data:`SIZE` stops.
    ``engine="tour"``: the tour engine's work (a single thread: ``workers=1``) on
    :data:`TOUR_SIZE` nodes, its whole solve counted, candidates included.
    """
    handed = _PINNED.get()
    if handed is not None:
        return handed.get(slot(workers, engine)) if handed else None
    if model() == "fixed":
        return None
    from route.solver import native

    path = native.cache_dir() / "speed.json"
    key = _machine_key(workers, engine)
    known = _read(path).get(key)
    if known is not None:
        return known
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError:  # no writable cache folder: measure every time, keep nothing
        return measure(workers, engine)
    with native.locked(path):
        table = _read(path)  # another process may have measured while this one waited
        if key not in table:
            table[key] = measure(workers, engine)
            _write(path, table)
        return table[key]


def known(workers: int, engine: Engine = "vrp") -> bool:
    """Whether :func:`rate` answers at once: fixed rates, or this machine's already measured."""
    if _PINNED.get() is not None or model() == "fixed":
        return True
    from route.solver import native

    return _machine_key(workers, engine) in _read(native.cache_dir() / "speed.json")


def measure(workers: int, engine: Engine = "vrp") -> int:
    """Measure a rate (see :func:`rate`) now, rounded down to a power of :data:`_STEP`."""
    work = _WORK[engine]
    best = 0.0
    for run in range(_RUNS):
        # Processor time, not the clock: other programs running at that moment do not lower
        # the rate kept for good (the clock caps a search on a busy day anyway). Both threads'
        # times add up, as their work does.
        t0 = time.process_time()
        done = _run(engine, work, run, workers)
        elapsed = time.process_time() - t0
        best = max(best, done / max(elapsed, 1e-6))
    # More threads than cores share them: each gets that share of the clock's seconds.
    best *= min(1.0, (os.cpu_count() or 1) / workers)
    return int(_STEP ** math.floor(math.log(best, _STEP)))


def _run(engine: Engine, work: int, seed: int, workers: int) -> int:
    """One measuring run of ``engine``: the work it did."""
    if engine == "vrp":
        return penalised.search(problem_for_measuring(), work, 600.0, seed, workers=workers).work
    from route.solver.tour import solve_tour_detailed

    res = solve_tour_detailed(tour_for_measuring(), time_limit=600.0, seed=seed, work=work)
    # A search that settles before its work is spent (it cannot on this tour) did less.
    return res.stats.work or work


def problem_for_measuring() -> Problem:
    """A capacitated problem of :data:`SIZE` stops and 15 carriers on a plane, always the
    same: the kind of search the benchmarks time."""
    from route.solver.problem import capacitated

    gen = np.random.Generator(np.random.PCG64(2026))
    xy = gen.integers(0, 1000, size=(SIZE + 1, 2))
    xy[0] = (500, 500)
    demand = (0, *(int(q) for q in gen.integers(1, 11, size=SIZE)))
    return capacitated(_plane_distances(xy), demand, math.ceil(sum(demand) / 14), 15)


def tour_for_measuring() -> npt.NDArray[np.int64]:
    """A distance matrix of :data:`TOUR_SIZE` points on a plane, always the same: the kind of
    tour the TSPLIB benchmark times."""
    gen = np.random.Generator(np.random.PCG64(2026))
    return _plane_distances(gen.integers(0, 10_000, size=(TOUR_SIZE, 2)))


def _plane_distances(xy: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Straight-line distances between points of a plane, rounded to whole units."""
    d = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    out: npt.NDArray[np.int64] = np.rint(d).astype(np.int64)
    return out


def _machine_key(workers: int, engine: Engine = "vrp") -> str:
    """The cached rate's key: this machine, the engine's build, the number of threads."""
    from route.solver import native

    cpu = platform.processor() or platform.machine()
    build = native.source_hash(f"_{engine}")
    return f"{platform.node()}|{cpu}|{os.cpu_count()}|{build}|{workers}"


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
