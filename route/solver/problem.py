"""The routing problem and its solution: integer matrices in, routes out.

:class:`Problem` is frozen and checks itself at construction: square integer matrices of one
size (read-only afterwards), one service time and window per node, a fleet of at least one
carrier. :class:`Solution` carries the routes with their arrivals and what was left out, and a
typed record of how the search went (:class:`SolveStats`). :func:`route.solver.solve.solve`
turns one into the other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from route.constants import MAX_MATRIX_VALUE

#: Routes as node indices, one tuple per carrier (the depot, node 0, left out).
Routes = tuple[tuple[int, ...], ...]


@dataclass(frozen=True, eq=False)
class Problem:
    """A routing problem on integer matrices; node 0 is the depot.

    Attributes
    ----------
    distance, duration
        Square integer matrices (metres, seconds); may be asymmetric. ``int32`` and ``int64``
        are kept as given (read-only views); other types are copied to ``int64``.
    service
        Seconds spent at each node (0 for the depot).
    earliest, latest
        Time window per node in seconds after midnight, ``None`` where open.
    start_s
        When every carrier leaves the depot, seconds after midnight.
    carriers
        Number of carriers (vehicles).
    demand, capacity
        Items per node and the bag capacity per carrier (``None``: unlimited).
    shift_s
        Longest a carrier may work, seconds (``None``: unlimited).
    end
        Node where routes end (not a stop); ``None`` returns to the depot (a closed route).
    open_end
        Routes end at their last stop (``end`` is then ignored).
    balance
        Cost per second of the longest shift beyond the shortest (OR-Tools' global span
        cost): 0 minimises length only; 1 or more evens out the carriers' shifts.

    Two problems are equal only when they are the same object: comparing matrices element by
    element is neither cheap nor what ``==`` on a problem should mean.

    Raises
    ------
    ValueError
        Listing everything inconsistent at once: matrices not square, of different sizes or
        negative; per-node tuples of the wrong length; no carrier; an ``end`` outside the
        matrix; a capacity or shift that is not positive.
    """

    distance: npt.NDArray[np.signedinteger[Any]]
    duration: npt.NDArray[np.signedinteger[Any]]
    service: tuple[int, ...]
    earliest: tuple[int | None, ...]
    latest: tuple[int | None, ...]
    start_s: int = 0
    carriers: int = 1
    demand: tuple[int, ...] = ()
    capacity: int | None = None
    shift_s: int | None = None
    end: int | None = None
    open_end: bool = False
    balance: int = 0

    def __post_init__(self) -> None:
        wrong: list[str] = []
        matrices = {}
        for name in ("distance", "duration"):
            m = np.asarray(getattr(self, name))
            if m.ndim != 2 or m.shape[0] != m.shape[1]:
                wrong.append(f"{name} must be a square matrix, got shape {m.shape}")
            elif m.size and not np.issubdtype(m.dtype, np.integer):
                if not np.all(np.isfinite(m)) or not np.array_equal(m, np.rint(m)):
                    wrong.append(f"{name} must hold whole numbers (see to_int_matrix)")
            elif m.size and int(m.min()) < 0:
                wrong.append(f"{name} must not be negative, got {int(m.min())}")
            if m.dtype in (np.int32, np.int64) and not m.flags.writeable:
                ro = m  # already frozen (a problem derived from another): no copy
            else:
                # A copy: the caller's array is never frozen or changed under it. The planning
                # matrices come as int32 (route.network.matrix_dtype) and stay int32.
                keep = np.int32 if m.dtype == np.int32 else np.int64
                ro = np.array(m, dtype=keep) if not wrong else m.copy()
                ro.setflags(write=False)
            matrices[name] = ro
        if not wrong and matrices["distance"].shape != matrices["duration"].shape:
            wrong.append(
                f"distance and duration differ in size: {matrices['distance'].shape} and "
                f"{matrices['duration'].shape}"
            )
        n = matrices["distance"].shape[0] if matrices["distance"].ndim == 2 else -1
        for name in ("service", "earliest", "latest"):
            if len(getattr(self, name)) != n:
                wrong.append(f"{name} has {len(getattr(self, name))} entries for {n} nodes")
        if self.demand and len(self.demand) != n:
            wrong.append(f"demand has {len(self.demand)} entries for {n} nodes")
        if self.carriers < 1:
            wrong.append(f"carriers must be at least 1, got {self.carriers}")
        if self.capacity is not None and self.capacity < 1:
            wrong.append(f"capacity must be positive or None, got {self.capacity}")
        if self.shift_s is not None and self.shift_s <= 0:
            wrong.append(f"shift_s must be positive or None, got {self.shift_s}")
        if self.end is not None and not 0 <= self.end < n:
            wrong.append(f"end must be a node index below {n}, got {self.end}")
        if self.balance < 0:
            wrong.append(f"balance must not be negative, got {self.balance}")
        if wrong:
            raise ValueError("invalid routing problem: " + "; ".join(wrong))
        for name, m in matrices.items():
            object.__setattr__(self, name, m)
        for name in ("service", "earliest", "latest", "demand"):
            object.__setattr__(self, name, tuple(getattr(self, name)))

    @property
    def size(self) -> int:
        """Number of nodes, the depot included."""
        return int(self.distance.shape[0])


@dataclass(frozen=True, slots=True)
class PhaseStats:
    """How one search phase went.

    Attributes
    ----------
    name
        The phase (``penalised-ls``, ``tour``, ``path-cheapest-arc``, ...).
    objective
        Its best objective (length plus penalties), ``None`` if it found no solution.
    dropped
        Stops it left out.
    work
        Work done: search steps (OR-Tools) or evaluations (penalised search).
    stopped_by
        ``"work_limit"`` when its counted work ran out (the deterministic case),
        ``"time_limit"`` when the clock cut it short.
    seed_rejected
        The phase's starting routes were refused by the model, so it did not run.
    iterations
        Ruin-and-recreate iterations (penalised search only).
    """

    name: str
    objective: int | None = None
    dropped: int = 0
    work: int = 0
    stopped_by: str = "work_limit"
    seed_rejected: bool = False
    iterations: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, without the fields that do not apply."""
        out: dict[str, Any] = {"name": self.name}
        if self.seed_rejected:
            return {**out, "seed": "rejected"}
        out.update(objective=self.objective, dropped=self.dropped, work=self.work)
        if self.iterations is not None:
            out["iterations"] = self.iterations
        out["stopped_by"] = self.stopped_by
        return out


@dataclass(frozen=True, slots=True)
class SolveStats:
    """How a solve went: the path taken, its phases and what stopped them.

    Attributes
    ----------
    method
        ``tour+ortools``, ``ortools-gls``, ``penalised-ls``, or ``empty`` (no stops).
    status
        ``"solved"``, or ``"no solution"`` when no phase found routes in time.
    phases
        Every phase run, in order.
    best_phase
        The phase whose routes won.
    objective
        The winning objective.
    stopped_by
        ``"time_limit"`` if the clock cut any phase short, else ``"work_limit"``.
    """

    method: str
    status: str = "solved"
    phases: tuple[PhaseStats, ...] = ()
    best_phase: str | None = None
    objective: int | None = None
    stopped_by: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, as stored in a route book's ``solver`` record."""
        out: dict[str, Any] = {"method": self.method, "phases": [p.to_dict() for p in self.phases]}
        if self.status != "solved":
            out["status"] = self.status
        for key in ("best_phase", "objective", "stopped_by"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        return out


@dataclass(frozen=True)
class Solution:
    """Routes as node indices (depot excluded), planned arrival times, and what was left out."""

    routes: Routes
    arrivals: tuple[tuple[int, ...], ...]
    unassigned: tuple[int, ...]
    distance: int
    stats: SolveStats = field(default_factory=lambda: SolveStats(method="given"))


def capacitated(
    distance: npt.NDArray[np.int64], demand: tuple[int, ...], capacity: int, carriers: int
) -> Problem:
    """A capacitated problem alone (CVRPLIB's kind): distances and demands, no durations,
    windows or service times; node 0 is the depot."""
    n = len(distance)
    return Problem(
        distance=distance,
        duration=np.zeros_like(distance),
        service=(0,) * n,
        earliest=(None,) * n,
        latest=(None,) * n,
        carriers=carriers,
        demand=demand,
        capacity=capacity,
    )


def to_int_matrix(m: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """Round a float matrix to integers, mapping ``inf`` to :data:`MAX_MATRIX_VALUE`."""
    m = np.asarray(m, dtype=float)
    out = np.where(np.isfinite(m), np.rint(m), MAX_MATRIX_VALUE)
    return np.minimum(out, MAX_MATRIX_VALUE).astype(np.int64)


#: Penalty for leaving a stop out: larger than any route (matrix entries are at most
#: :data:`route.constants.MAX_MATRIX_VALUE`), so a stop is dropped only when serving it is
#: infeasible.
DROP_PENALTY = 100 * MAX_MATRIX_VALUE
