"""Solving the routing problem: frozen problem in, solution out.

:class:`Problem` holds integer matrices (metres, seconds), service times, time windows and the
fleet; :func:`solve` is pure (no files, no globals) and deterministic for the same problem, seed
and time limit. A subscriber that cannot be served (a window that cannot be met, a full bag) is
returned in :attr:`Solution.unassigned`, never dropped silently.

The engine takes one of three paths, recorded as ``Solution.stats.method``:

``tour+ortools``
    One carrier, a symmetric distance matrix and no time windows (the walking paper round):
    :func:`route.solver.tour.solve_tour` finds a near-optimal tour (the end point, fixed or open, is
    folded in with a virtual node), and OR-Tools reads it as its starting assignment and keeps
    it, or repairs it where the bag capacity or the shift length do not allow it.
``penalised-ls``
    Several carriers, or time windows: the compiled penalised local search
    (:mod:`route.solver.penalised`), which crosses infeasible ground (lateness and overfull bags
    priced by adaptive penalties) where OR-Tools' search stays walled in by the windows. It
    takes :data:`PENALISED_SHARE` of the work, on :data:`DEFAULT_WORKERS` threads unless told
    otherwise; its routes serve every stop some carrier can serve, and the solve ends there.
``ortools-gls``
    Where the penalised search finds no feasible routes (more stops than the bags can take,
    say): guided local search over OR-Tools' routing model with native matrices and
    neighbour-restricted operators, which may leave stops out; deterministic phases from
    OR-Tools' path-cheapest-arc and parallel cheapest-insertion constructions (for one carrier,
    the near-optimal tour and path-cheapest-arc). The best phase wins: fewest stops left out,
    then OR-Tools' own objective (length plus the balance's span cost).

Determinism (invariant 4) survives the metaheuristics because every phase stops after an
amount of *work* derived from the problem size and the time limit (or from ``work_s``), never
on the clock: OR-Tools' search steps (:func:`ortools_steps`, counted by a limit OR-Tools checks
at every move), the tour engine's and the penalised search's counted evaluations. The same
problem, seed, work and number of workers thus give the same moves on any machine. The
penalised search's and the tour engine's work is sized from this machine's rates, measured once
and cached (:mod:`route.solver.speed`), so that they spend most of the time limit on a fast
machine and are not cut short on a slow one; the same problem, seed and time limit then give
the same routes on this machine, and with ``PAPERROUTE_WORK_MODEL=fixed`` (or ``work_s``) on
every machine. The time limit is a safety cap that is honoured whatever happens; only when it
cuts a phase short (an overloaded machine), or the penalised search, running behind its pace,
lowers its work to end before it and not be cut off while it still roams
(:func:`route.solver.penalised.search`), can the result differ, and ``stats.stopped_by`` then
says ``"time_limit"`` instead of ``"work_limit"``.
"""

from __future__ import annotations

import itertools
import math
import os
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from route.solver import ortools_phase, speed
from route.solver.problem import DROP_PENALTY as DROP_PENALTY
from route.solver.problem import PhaseStats, Problem, Routes, Solution, SolveStats
from route.solver.worktable import rate_at

ProgressFn = Callable[[float, int], None]


#: Search steps per second (see :func:`ortools_steps`) by problem size: the work model that turns
#: a time limit into an amount of search. Measured with the guided local search on the Helsinki
#: benchmark (50 to 200 stops) on a shared two-core machine under a load of 4 to 5: 0.63 to 1.5
#: million steps/s, nearly flat in the size; the table takes the slow end of that range. Sizes
#: beyond 200 were not measured: their rates fall with the size as a guess on the safe side.
_STEPS_PER_S = (
    (10, 900_000),
    (50, 800_000),
    (100, 800_000),
    (200, 750_000),
    (400, 450_000),
    (800, 250_000),
    (1600, 120_000),
)
#: Share of the time limit the work model plans to use, so that a slower or busier machine
#: still finishes the same work before the time limit cuts it short.
WORK_SHARE = 0.7


def ortools_steps(size: int, seconds: float) -> int:
    """Search steps for ``seconds`` of search on a problem of ``size`` nodes.

    A step is one check of the search's limits, which OR-Tools makes at every move it
    evaluates; counting them measures the search's effort without reading the clock. The rate
    is interpolated on a log scale in :data:`_STEPS_PER_S`.
    """
    return max(1000, int(rate_at(_STEPS_PER_S, size) * seconds * WORK_SHARE))


def solve(
    problem: Problem,
    *,
    time_limit: float = 5.0,
    seed: int = 0,
    progress: ProgressFn | None = None,
    work_s: float | None = None,
    workers: int | None = None,
) -> Solution:
    """Solve a routing problem.

    Parameters
    ----------
    problem
        The problem.
    time_limit
        Seconds the whole solve may take, honoured whatever the machine's load; unless
        ``work_s`` is given it also sets the amount of search (see the module docstring on
        determinism).
    seed
        Seed of the searches; the same problem, seed, work and workers give the same solution.
    progress
        Called with (elapsed seconds, best objective so far) on every improvement; the
        objective is the length in metres plus penalties while stops are left out.
    work_s
        The amount of search, as the seconds it takes on the machine the work model was
        measured on, instead of ``time_limit`` (which then only caps the time): for results
        that do not depend on this machine's speed or load at all.
    workers
        Search threads of the multi-carrier search (default :data:`DEFAULT_WORKERS`); the
        routes depend on this number, never on which thread runs faster.

    Returns
    -------
    Solution
        The routes, arrival times and unassigned nodes; ``stats`` records the path taken
        (``method``), the phases run and what stopped them.

    Raises
    ------
    ValueError
        If the matrices are not square and of the same size, the per-node tuples do not match
        them, or ``time_limit``, ``work_s`` or ``workers`` is not positive.
    """
    if not (isinstance(time_limit, int | float) and math.isfinite(time_limit) and time_limit > 0):
        raise ValueError(f"time_limit must be a positive number of seconds, got {time_limit}")
    if work_s is not None and not (
        isinstance(work_s, int | float) and math.isfinite(work_s) and work_s > 0
    ):
        raise ValueError(f"work_s must be a positive number of seconds, got {work_s}")
    workers = DEFAULT_WORKERS if workers is None else workers
    if not (isinstance(workers, int) and 1 <= workers <= 64):
        raise ValueError(f"workers must be a whole number from 1 to 64, got {workers}")
    budget_s = time_limit if work_s is None else work_s
    k = problem.carriers
    penalised = prepare_search(problem)  # compiled, or loaded from cache, before the clock
    # This machine's rate for the engine that searches (the penalised search, or else the tour
    # engine of one carrier), measured once (about a second) and cached, also before the clock;
    # none with ``work_s``, which sizes every search the same everywhere.
    measured = tour_rate = None
    if work_s is None and penalised is not None:
        measured = speed.rate(workers)
    elif work_s is None:
        tour_rate = speed.rate(1, "tour")
    t0 = time.perf_counter()
    deadline = t0 + time_limit
    clients = ortools_phase.clients(problem)
    if not clients:
        return Solution(((),) * k, ((),) * k, (), 0, SolveStats(method="empty"))
    best: list[int | None] = [None]

    def report(cost: int) -> None:
        if progress is not None and (best[0] is None or cost < best[0]):
            best[0] = cost
            progress(time.perf_counter() - t0, cost)

    outcomes: list[tuple[str, ortools_phase.Outcome]] = []
    phase_stats: list[PhaseStats] = []
    rest = 1.0
    if penalised is not None:
        found, phase = _penalised(
            penalised,
            problem,
            budget_s * PENALISED_SHARE,
            deadline,
            seed,
            workers,
            measured,
            report,
        )
        phase_stats.append(phase)
        if found is not None:
            outcomes.append(("penalised-ls", found))
            report(found.objective)
            rest = 0.0  # its routes serve every stop a carrier can serve: nothing left to do
        else:
            rest = 1.0 - PENALISED_SHARE
    phases = _phases(problem) if rest > 0 else []
    for i, (name, share, make_seed, first, meta) in enumerate(phases):
        remaining = deadline - time.perf_counter()
        if remaining <= 0.01:
            break
        phase_s = budget_s * share * rest
        seed_routes = None
        if make_seed is not None:
            # Greedy descent only keeps or repairs the tour, in a moment: the tour takes most
            # of the phase. The guided search needs its half.
            tour_s = phase_s * (TOUR_SHARE_KEPT if meta == _GREEDY else 0.5)
            # The clock may let the tour run into half of what the phase leaves after it.
            half_on = max((tour_s + phase_s) / 2, 0.01)
            cap_s = remaining if work_s is not None else min(half_on, remaining)
            routes = make_seed(problem, tour_s, seed, cap_s, tour_rate)
            seed_routes = ortools_phase.repair(routes, problem)
            seed_routes = seed_routes if any(seed_routes) else None
        remaining = deadline - time.perf_counter()
        # The last phase may use everything left; earlier ones leave room for the rest.
        cap = remaining if i == len(phases) - 1 else min(remaining, phase_s * 1.5)
        params = ortools_phase.search_parameters(first, meta, _neighbours(problem.size))
        # Built after the phase's seed, so the seed's search and the model (at 5,000 stops, a few
        # hundred MB each) are never held at once; a model is closed by its first search.
        out = ortools_phase.Model(problem).run(
            params, seed_routes, ortools_steps(problem.size, phase_s), cap, report
        )
        ortools_phase.release_memory()  # the model is gone: its matrices go back to the system
        if out is None and seed_routes is not None:
            phase_stats.append(PhaseStats(name, seed_rejected=True))
            continue
        if out is None:
            continue
        outcomes.append((name, out))
        phase_stats.append(
            PhaseStats(
                name,
                objective=out.objective,
                dropped=out.dropped,
                work=out.work,
                stopped_by="time_limit" if out.capped else "work_limit",
            )
        )
    if not outcomes:
        failed = SolveStats("ortools-gls", status="no solution", phases=tuple(phase_stats))
        return Solution(((),) * k, ((),) * k, tuple(clients), 0, failed)
    # Fewest stops left out, then the lowest objective; ties keep the earlier phase.
    name, win = min(outcomes, key=lambda o: (o[1].dropped, o[1].objective))
    methods = {"tour": "tour+ortools", "penalised-ls": "penalised-ls"}
    capped = any(o.capped for _, o in outcomes) or any(
        p.stopped_by == "time_limit" for p in phase_stats if not p.seed_rejected
    )
    stats = SolveStats(
        method=methods.get(name, "ortools-gls"),
        phases=tuple(phase_stats),
        best_phase=name,
        objective=win.objective,
        stopped_by="time_limit" if capped else "work_limit",
    )
    visited = {node for r in win.routes for node in r}
    unassigned = tuple(i for i in clients if i not in visited)
    return Solution(
        win.routes,
        ortools_phase.arrivals(problem, win.routes),
        unassigned,
        _length(problem, win.routes),
        stats,
    )


#: Share of the work for the penalised search where it applies. When it finds routes they
#: serve every stop a carrier can serve and the solve ends there; otherwise OR-Tools' phases
#: (which may leave stops out) share the rest.
PENALISED_SHARE = 0.9
#: How much more of its time than :data:`WORK_SHARE` the penalised search plans to use. Its
#: rates (``penalised._EVALS_PER_S``) are measured on an idle machine, so it can plan 0.94 of
#: its 0.9 of the time limit (85 % of the limit, a 15 % margin); tests that scale WORK_SHARE
#: scale this search's work alike.
PENALISED_WORK_FACTOR = 0.94 / WORK_SHARE
#: Threads of the multi-carrier search unless the caller says otherwise: both cores of an
#: ordinary two-core machine, one where there is only one.
DEFAULT_WORKERS = min(2, os.cpu_count() or 1)


def prepare_search(problem: Problem) -> Any:
    """Load the compiled code a problem's search needs.

    An installed paperroute carries it; a source checkout builds it once (a few seconds) into
    a cache (:mod:`route.solver.native`). :func:`solve` calls this before its clock starts, so
    building never eats into the time limit. Returns the penalised search module, or ``None``
    where it does not apply.
    """
    from route.solver import native

    penalised = _penalised_module(problem)
    native.prepare(("_vrp",) if penalised is not None else ("_tour",))
    if penalised is not None:
        native.load("_vrp")
    if problem.carriers == 1:
        native.load("_tour")
    return penalised


def _penalised_module(problem: Problem) -> Any:
    """:mod:`route.solver.penalised` if it applies to the problem (several carriers or time
    windows), else None."""
    from route.solver import penalised

    return penalised if penalised.applies(problem) else None


def _penalised(
    module: Any,
    problem: Problem,
    seconds: float,
    deadline: float,
    seed: int,
    workers: int,
    measured: int | None,
    report: Callable[[int], None],
) -> tuple[ortools_phase.Outcome | None, PhaseStats]:
    """Run the penalised local search; its outcome (None if it found no feasible routes)."""
    t0 = time.perf_counter()
    cap = max(0.0, deadline - t0)
    share = WORK_SHARE * PENALISED_WORK_FACTOR
    work = module.evaluation_budget(problem.size, seconds, share, workers, measured)
    res = module.search(problem, work, cap, seed, workers=workers, progress=report)
    elapsed = time.perf_counter() - t0
    stopped_by = "time_limit" if res.capped else "work_limit"
    if res.routes is None:
        return None, PhaseStats(
            "penalised-ls", work=res.work, iterations=res.iterations, stopped_by=stopped_by
        )
    dropped = len(res.left_out)
    objective = _objective(problem, res.routes) + DROP_PENALTY * dropped
    phase = PhaseStats(
        "penalised-ls",
        objective=objective,
        dropped=dropped,
        work=res.work,
        stopped_by=stopped_by,
        iterations=res.iterations,
    )
    out = ortools_phase.Outcome(res.routes, objective, dropped, 1, res.work, elapsed, res.capped)
    return out, phase


def _objective(problem: Problem, routes: Routes) -> int:
    """OR-Tools' objective for feasible routes: their length plus the balance's span cost."""
    p = problem
    total = _length(p, routes)
    if p.balance and p.carriers > 1:
        end = None if p.open_end else (0 if p.end is None else p.end)
        latest = p.start_s
        for r in routes:
            t, prev = p.start_s, 0
            for node in (*r, end) if r and end is not None else r:
                t += int(p.duration[prev, node]) + (p.service[prev] if prev else 0)
                lo = p.earliest[node] if node != end else None
                t = max(t, lo) if lo is not None else t
                prev = node
            if r and end is None:
                t += p.service[prev]
            latest = max(latest, t)
        total += p.balance * (latest - p.start_s)
    return total


#: A phase: name, share of the time limit, seed maker (``None``: OR-Tools constructs), first
#: solution strategy, metaheuristic.
Phase = tuple[str, float, Callable[..., Routes] | None, int, int]
#: Share of a phase the tour takes where OR-Tools only keeps or repairs it (greedy descent).
TOUR_SHARE_KEPT = 0.9
_GREEDY = ortools_phase.LSM.GREEDY_DESCENT


def _tour_case(problem: Problem) -> bool:
    """One carrier and no windows: a near-optimal tour is the seed, OR-Tools keeps or repairs."""
    return (
        problem.carriers == 1
        and all(e is None for e in problem.earliest)
        and all(t is None for t in problem.latest)
    )


def _phases(problem: Problem) -> list[Phase]:
    gls = ortools_phase.LSM.GUIDED_LOCAL_SEARCH
    pca, pci = ortools_phase.FSS.PATH_CHEAPEST_ARC, ortools_phase.FSS.PARALLEL_CHEAPEST_INSERTION
    if _tour_case(problem):
        plain = not (problem.capacity or problem.shift_s) and bool(
            np.array_equal(problem.distance, problem.distance.T)
        )
        # A near-optimal tour needs no guided search unless a constraint forces a repair or
        # the tour engine's symmetric moves leave one-way streets to improve on.
        meta = ortools_phase.LSM.GREEDY_DESCENT if plain else gls
        return [("tour", 1.0, _tour_seed, pca, meta)]
    if problem.carriers == 1:
        # Loose windows: the tour, with the stops it brings too late left to the search.
        return [("tour", 0.5, _tour_seed, pca, gls), ("cheapest-arc", 0.5, None, pca, gls)]
    return [("cheapest-arc", 0.5, None, pca, gls), ("parallel-insertion", 0.5, None, pci, gls)]


def _neighbours(size: int) -> int | None:
    """Nearest neighbours the operators consider; all of them on small problems."""
    return None if size <= 60 else max(30, size // 5)


def _tour_seed(
    problem: Problem, seconds: float, seed: int, cap_s: float, measured: int | None = None
) -> Routes:
    """One carrier's route from :func:`route.solver.tour.solve_tour`, its end folded in.

    A virtual node ``D`` joins the end to the depot at no cost, every other arc at ``D``
    costing more than any street: the best closed tour ``0 ... end D 0`` is then the best
    route from the depot to its end. An open route lets any stop precede ``D`` (on a symmetric
    matrix every tour pays the one dear arc, so the optimum is unchanged).
    """
    from route.solver.tour import solve_tour

    d = np.asarray(problem.distance)  # solve_tour takes it as it is (and copies it)
    n = problem.size
    if problem.open_end or problem.end is not None:
        symmetric = bool(np.array_equal(d, d.T))
        big = int(d.max()) + 1
        m = np.full((n + 1, n + 1), big, dtype=np.int64)
        m[:n, :n] = d
        m[n, n] = m[n, 0] = 0
        if symmetric:
            m[0, n] = 0
            if not problem.open_end:
                m[problem.end, n] = m[n, problem.end] = 0
        elif problem.open_end:
            m[1:n, n] = 0
        else:
            m[problem.end, n] = 0
        d = m
    from route.solver.tour import work_budget

    # Work sized for `seconds` (at this machine's ``measured`` rate), the clock capping it.
    tour = solve_tour(d, time_limit=cap_s, seed=seed, work=work_budget(len(d), seconds, measured))
    if len(tour) > n and tour[1] == n:
        tour = [0, *reversed(tour[1:])]  # a symmetric tour may run either way
    skip = {0, n} if problem.open_end or problem.end is None else {0, n, problem.end}
    return (tuple(i for i in tour if i not in skip),)


def _length(problem: Problem, routes: Routes) -> int:
    end = None if problem.open_end else (0 if problem.end is None else problem.end)
    total = 0
    for r in routes:
        if not r:
            continue
        path = [0, *r] if end is None else [0, *r, end]
        total += int(sum(problem.distance[a, b] for a, b in itertools.pairwise(path)))
    return total
