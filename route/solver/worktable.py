"""The work models' tables: a rate (units of work per second) by problem size.

The tour engine (:data:`route.solver.tour.WORK_PER_S`), the penalised search
(``route.solver.penalised._EVALS_PER_S``) and OR-Tools' steps (``route.solver.solve._STEPS_PER_S``)
each keep such a table of measured points; between them the rate is interpolated on log scales,
and held flat beyond the ends.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np


def rate_at(table: Sequence[tuple[int, int]], size: int) -> float:
    """The rate of ``table`` (``(size, rate)`` points, sizes rising) at ``size``."""
    sizes = [math.log(s) for s, _ in table]
    rates = [math.log(r) for _, r in table]
    return math.exp(float(np.interp(math.log(max(size, 2)), sizes, rates)))
