"""Explicit work budgets for solver searches in tests, with the clock far out of reach.

A search's work (OR-Tools steps, penalised-search evaluations, tour kicks) is derived from its
time limit by the work model's shares (:data:`route.solver.solve.WORK_SHARE`,
:data:`route.solver.tour.KICK_TIME_SHARE`). A test that must not depend on the machine's speed
asks for the work of ``work_s`` calibrated seconds under a time cap ``factor`` times longer:
the shares are scaled down by ``factor`` and the time limit is scaled up by it, so the counted
work is unchanged and a loaded machine would have to be ``factor`` times slower than the
calibration before the clock could decide anything.
"""

from __future__ import annotations

import pytest

from route.solver import solve as solve_module
from route.solver import tour as tour_module

#: How far the time cap lies above the work: a machine this many times slower than the work
#: model's calibration would still finish the counted work before the cap.
FACTOR = 40.0


def explicit_work(monkeypatch: pytest.MonkeyPatch, work_s: float, factor: float = FACTOR) -> float:
    """Scale the work model; return the time limit to pass, ``factor`` times ``work_s``."""
    monkeypatch.setattr(solve_module, "WORK_SHARE", solve_module.WORK_SHARE / factor)
    monkeypatch.setattr(tour_module, "KICK_TIME_SHARE", tour_module.KICK_TIME_SHARE / factor)
    return work_s * factor


#: The same, for a child interpreter: run before the solve (``exec(CHILD_BUDGET % factor)``).
CHILD_BUDGET = """
import route.solver.solve as _s, route.solver.tour as _t
_s.WORK_SHARE /= %(factor)r
_t.KICK_TIME_SHARE /= %(factor)r
"""
