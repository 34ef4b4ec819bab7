"""What a plan tells its user besides the route: how good it is, where its memory went, and
that a long search is still going.

- :func:`bound_record` bounds the planned length from below (:mod:`route.solver.bound`) and
  returns what the route book's solver record keeps of it; :func:`quality_line` puts it in
  words, with the gap between the search's phases.
- :func:`memory_line` says what a plan's memory is made of: the matrices (their type and
  size), the search's own copies of them, and the rest.
- :class:`Heartbeat` prints a line every few seconds while a search says nothing.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from route.solver.bound import lower_bound
from route.solver.cache_guard import load_compiled
from route.solver.problem import DROP_PENALTY, Problem, Solution

Say = Callable[[str], None]


def bound_record(problem: Problem, solution: Solution) -> dict[str, Any]:
    """The lower bound on the length of routes through the stops ``solution`` serves."""
    nodes = [n for r in solution.routes for n in r]
    end = None if problem.open_end else (0 if problem.end is None else problem.end)
    used = sum(1 for r in solution.routes if r)
    # The bound's kernels are compiled and cached on first use; a damaged cache is rebuilt.
    b = load_compiled(
        lambda: lower_bound(
            problem.distance, nodes, carriers=max(1, used), end=end, upper=solution.distance or None
        )
    )
    return {"metres": b.metres, "method": b.method, "rounds": b.rounds, "stops": len(nodes)}


def quality_line(solver: Mapping[str, Any], distance_m: int) -> str | None:
    """The plan's quality in words, from a route book's solver record (``None`` without one)."""
    lb = solver.get("lower_bound")
    if not isinstance(lb, Mapping) or not lb.get("metres"):
        return None
    gap = (distance_m - int(lb["metres"])) / int(lb["metres"])
    how = "Held-Karp bound" if lb.get("method") == "held-karp" else "spanning-tree bound"
    line = (
        f"Quality: {distance_m / 1000:.2f} km is at most {100 * gap:.1f}% longer than the "
        f"shortest possible route through these {int(lb.get('stops', 0)):,} stops "
        f"(lower bound {int(lb['metres']) / 1000:.2f} km, {how}; it leaves out windows, bag "
        "and shift, which only lengthen a route)"
    )
    phases = [p for p in solver.get("phases", ()) if p.get("objective") is not None]
    if len(phases) > 1:
        line += "; phases: " + ", ".join(
            f"{p['name']} {_objective(int(p['objective']))}" for p in phases
        )
    return line


def _objective(value: int) -> str:
    dropped, metres = divmod(value, DROP_PENALTY)
    text = f"{metres / 1000:.2f} km"
    return text + (f" with {dropped} left out" if dropped else "")


def progress_line(elapsed: float, objective: int) -> str:
    """One improvement of the search, its stops left out counted apart from its length."""
    return f"  {elapsed:5.1f} s  best so far {_objective(objective)}"


def peak_rss_mb() -> float | None:
    """This process's peak resident memory so far, MB (``None`` where the OS does not say)."""
    try:
        import resource
    except ImportError:  # not on every platform
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


def memory_line(problem: Problem, solution: Solution) -> str:
    """What the plan's memory was made of: matrices, the search's copies, everything else.

    The phases run one after the other and each lets go of its copies before the next, so the
    largest of them, not their sum, comes on top of the matrices.
    """
    mb = 2**20
    cells = problem.size * problem.size
    matrices = problem.distance.nbytes + problem.duration.nbytes
    names = {p.name for p in solution.stats.phases if not p.seed_rejected}
    held: list[tuple[int, str]] = []
    if names - {"penalised-ls"}:
        # OR-Tools keeps both as 64-bit integers, and reads them from rows of Python integers
        # (one row list at a time, as large again as one 64-bit matrix).
        held.append((3 * 8 * cells, "OR-Tools: both as 64-bit, and the rows it reads them from"))
    if "tour" in names:
        held.append((8 * cells, "the tour engine: the distances as 64-bit"))
    if "penalised-ls" in names:
        held.append((2 * 8 * (problem.size + 1) ** 2, "the penalised search: both as 64-bit"))
    peak = peak_rss_mb()
    head = f"Memory: peak {peak:,.0f} MB" if peak is not None else "Memory"
    line = (
        f"{head}: {matrices / mb:,.0f} MB of {problem.distance.dtype} matrices "
        f"({problem.size:,} x {problem.size:,}, metres and seconds)"
    )
    if held:
        size, what = max(held)
        line += f", up to {size / mb:,.0f} MB more while the search runs ({what})"
    return line + "; the rest is the code, the street network and the search's own state"


class Heartbeat:
    """Says that a long step is still going when it has been quiet for ``every`` seconds.

    Use as a context manager around the step; call :meth:`said` whenever the step prints.
    """

    def __init__(self, say: Say, what: str, every: float = 10.0) -> None:
        self._say, self._what, self._every = say, what, every
        self._t0 = self._last = time.perf_counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def said(self) -> None:
        """Note that the step printed something just now."""
        self._last = time.perf_counter()

    def _run(self) -> None:
        while not self._stop.wait(1.0):
            now = time.perf_counter()
            if now - self._last >= self._every:
                self._last = now
                self._say(f"  {now - self._t0:5.1f} s  {self._what}")

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
