"""Solving the routing problem: frozen problem in, solution out.

:class:`Problem` holds integer matrices (metres, seconds), service times, time windows and the
fleet; :func:`solve` is pure (no files, no globals) and deterministic for the same problem, seed
and time limit. A subscriber that cannot be served (a window that cannot be met, a full bag) is
returned in :attr:`Solution.unassigned`, never dropped silently.

The engine takes one of three paths, recorded as ``Solution.stats["method"]``:

``tour+ortools``
    One carrier, a symmetric distance matrix and no time windows (the walking paper round):
    :func:`route.solver.tour.solve_tour` finds a near-optimal tour (the end point, fixed or open, is
    folded in with a virtual node), and OR-Tools reads it as its starting assignment and keeps
    it, or repairs it where the bag capacity or the shift length do not allow it.
``ortools-gls``
    Everything else (asymmetric drive matrices, windows, several carriers): guided local search
    over OR-Tools' routing model with native matrices and neighbour-restricted operators, run as
    deterministic phases from different starts: OR-Tools' path-cheapest-arc and parallel
    cheapest-insertion constructions for several carriers; for one carrier with windows, the
    near-optimal tour (stops it brings too late left for the search to insert) and
    path-cheapest-arc. The best phase wins.
``penalised-ls``
    Several carriers or time windows: before the OR-Tools phases, a compiled local search
    (:mod:`route.solver.penalised`) that crosses infeasible ground, lateness and overfull bags priced by
    adaptive penalties, where OR-Tools' search stays walled in by the windows. It takes
    :data:`PENALISED_SHARE` of the time limit; whichever phase ends shortest (fewest stops left
    out first, then OR-Tools' own objective: length plus the balance's span cost) wins.

Determinism (invariant 4) survives the metaheuristic because every phase stops after an amount
of *work* derived from the problem size and the time limit (:func:`work_budget`: search steps,
counted by a limit OR-Tools checks at every move), never on the clock; the tour engine likewise
spends a budget of kicks. The same problem, seed and time limit thus give the same moves on any
machine. The time limit is a safety cap that is honoured whatever happens; only when it cuts a
phase short (an overloaded or much slower machine) can the result differ, and
``stats["stopped_by"]`` then says ``"time_limit"`` instead of ``"work_limit"``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from route.constants import MAX_MATRIX_VALUE

if TYPE_CHECKING:
    from route.solver.problem import Problem


@dataclass(frozen=True)
class Problem:
    """A routing problem on integer matrices; node 0 is the depot.

    Attributes
    ----------
    distance, duration
        Square integer matrices (metres, seconds); may be asymmetric.
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
    """

    distance: np.ndarray
    duration: np.ndarray
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

    @property
    def size(self) -> int:
        """Number of nodes, the depot included."""
        return int(self.distance.shape[0])

    @property
    def has_constraints(self) -> bool:
        """Whether anything beyond a single closed tour is asked for."""
        return (
            self.carriers > 1
            or self.capacity is not None
            or self.shift_s is not None
            or self.end is not None
            or self.open_end
            or any(e is not None for e in self.earliest)
            or any(t is not None for t in self.latest)
        )


@dataclass(frozen=True)
class Solution:
    """Routes as node indices (depot excluded), planned arrival times, and what was left out."""

    routes: tuple[tuple[int, ...], ...]
    arrivals: tuple[tuple[int, ...], ...]
    unassigned: tuple[int, ...]
    distance: int
    stats: dict[str, Any] = field(default_factory=dict)


def to_int_matrix(m: np.ndarray) -> np.ndarray:
    """Round a float matrix to integers, mapping ``inf`` to :data:`MAX_MATRIX_VALUE`."""
    out = np.where(np.isfinite(m), np.rint(m), MAX_MATRIX_VALUE)
    return np.minimum(out, MAX_MATRIX_VALUE).astype(np.int64)


#: Penalty for leaving a stop out: larger than any route (matrix entries are at most
#: :data:`route.constants.MAX_MATRIX_VALUE`), so a stop is dropped only when serving it is
#: infeasible.
DROP_PENALTY = 100 * MAX_MATRIX_VALUE

Routes = tuple[tuple[int, ...], ...]
