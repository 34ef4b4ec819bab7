"""New route-book versions from edits, re-optimisations and skip-aware plans.

The glue between :mod:`route.routebook.insertion`, :mod:`route.routebook.reoptimise` and the
street network. An edit starts from the newest route book and the subscribers as they will be
after the edit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

import numpy as np

from route.model.routebook import RouteBook
from route.model.subscriber import Subscriber
from route.network import CurbPoint, StreetIndex
from route.routebook.edits import Edit, Placed, edit_work
from route.routebook.insertion import Placement, insert_stops, remove_stops
from route.routebook.local_edit import applies, local_stable_edit
from route.routebook.plan import PlanOptions, Say, Snapped, assemble, prepare_problem
from route.routebook.reoptimise import Reoptimised, reoptimise
from route.routebook.skip_aware import Spread
from route.routebook.timing import time_route
from route.solver.problem import Problem, Routes, Solution, SolveStats

#: Solver-statistics keys that :func:`route.routebook.plan.assemble` writes from the plan options.
_OPTION_KEYS = ("seed", "time_limit_s", "carriers", "capacity", "shift_s", "balance", "end")

#: Solver-statistics keys an edited book does not inherit from the book it edits.
_NOT_CARRIED = ("seed", "time_limit_s", "carriers", "lower_bound")

#: Fields whose change means a subscriber's place in the route must be chosen again.
_ROUTING_FIELDS = ("spot", "earliest", "latest", "service_s", "quantity")


@dataclass(frozen=True)
class Workbench:
    """Subscribers snapped and measured, ready for edits.

    ``problem`` node ``i`` (from 1) is ``snapped.served[i - 1]``; ``node_of`` maps ids to nodes.
    """

    snapped: Snapped
    curbs: tuple[CurbPoint, ...]
    problem: Problem
    options: PlanOptions
    node_of: dict[str, int]

    def ids(self, nodes: Sequence[int]) -> tuple[str, ...]:
        """Subscriber ids of nodes."""
        return tuple(self.snapped.served[n - 1].id for n in nodes)


def options_of(book: RouteBook) -> PlanOptions:
    """The plan options a route book was made with (carriers, seed, limits, end point)."""
    s = book.solver
    end = s.get("end", "depot")
    return PlanOptions(
        carriers=int(s.get("carriers", max(1, len(book.routes)))),
        time_limit=float(s.get("time_limit_s", 5.0)),
        seed=int(s.get("seed", 0)),
        start_s=book.start_s,
        capacity=s.get("capacity"),
        shift_s=s.get("shift_s"),
        end=tuple(end) if isinstance(end, list | tuple) else None,
        open_end=end == "open",
        balance=int(s.get("balance", PlanOptions().balance)),
    )


def workbench(
    subscribers: Sequence[Subscriber],
    book: RouteBook,
    index: StreetIndex,
    options: PlanOptions | None = None,
) -> Workbench:
    """Snap and measure ``subscribers`` for edits of ``book``.

    The same steps as :func:`route.routebook.plan.plan`: subscribers too far from a street,
    cut off from the depot, or with a window nobody can meet become unserved with the reason;
    with an end point, the matrices carry it as their last node.
    """
    options = options or options_of(book)
    snapped, curbs, problem = prepare_problem(subscribers, book.depot, index, options)
    node_of = {s.id: i for i, s in enumerate(snapped.served, start=1)}
    return Workbench(snapped, curbs, problem, options, node_of)


def routes_of(book: RouteBook, wb: Workbench) -> Routes:
    """The book's order as node routes, keeping only subscribers still on the bench."""
    routes = [tuple(wb.node_of[x] for x in r.order if x in wb.node_of) for r in book.routes]
    while len(routes) < wb.problem.carriers:
        routes.append(())
    return tuple(routes)


def to_book(
    wb: Workbench,
    routes: Routes,
    index: StreetIndex,
    base: RouteBook,
    unplaced: Sequence[int] = (),
    stats: dict[str, Any] | None = None,
    solved: SolveStats | None = None,
) -> RouteBook:
    """Assemble a route book from node routes, with arrivals, legs and totals recomputed.

    Parameters
    ----------
    wb
        The workbench the routes refer to.
    routes
        One node tuple per carrier.
    index
        For leg geometry.
    base
        The book being edited (depot, solver statistics).
    unplaced
        Nodes no place could take; listed as unserved with the reason.
    stats
        Extra solver statistics to record.
    solved
        The statistics of the solve the routes came from (so an unserved subscriber's reason
        can say the search found no route at all).
    """
    arrivals = tuple(time_route(wb.problem, r).arrivals for r in routes)
    solution = Solution(
        routes=tuple(routes),
        arrivals=arrivals,
        unassigned=tuple(unplaced),
        distance=sum(time_route(wb.problem, r).distance_m for r in routes),
        **({"stats": solved} if solved is not None else {}),
    )
    record = {
        # The plan's lower bound was for the stops it served, not for these.
        **{k: v for k, v in base.solver.items() if k not in _NOT_CARRIED},
        **(stats or {}),
    }
    book = assemble(
        wb.snapped, wb.curbs, wb.problem, solution, index, base.depot, wb.options, record
    )
    return replace(book, version=base.version)


def changed_for_routing(old: Subscriber, new: Subscriber) -> bool:
    """Whether an update moves the subscriber's place or window (their place is chosen again)."""
    return any(getattr(old, f) != getattr(new, f) for f in _ROUTING_FIELDS)


def stable_edit(
    book: RouteBook,
    subscribers: Sequence[Subscriber],
    index: StreetIndex | Callable[[], StreetIndex],
    *,
    reslot: Sequence[str] = (),
    say: Say | None = None,
    carrier_of: Mapping[str, int] | None = None,
) -> Edit:
    """Bring a route book up to date with ``subscribers`` without reordering anyone.

    Routed subscribers missing from ``subscribers`` are removed (their gap closes); new ones,
    and those named in ``reslot`` (their spot, window, service or quantity changed), are
    inserted one by one at their cheapest feasible place, in the order given. Everyone else
    keeps their carrier and relative order. A subscriber unserved before is tried again only
    when something that could make them servable changed
    (:func:`~route.routebook.local_edit.edit_work`).

    ``index`` may be a function giving the street index: it is called only when there is
    something to do (an edit with nothing to do never loads the network). On the network the
    book was planned on, the book's own legs are kept and only new ones are measured
    (:func:`~route.routebook.local_edit.local_stable_edit`); on another (a relinked extract)
    every subscriber is measured again and every unserved one retried. ``carrier_of`` (id ->
    carrier) puts a subscriber of a district into that district's carrier's route only.
    """
    work = edit_work(book, subscribers, reslot)
    if not work:
        return Edit(book, (), (), (), (), base=book)
    if not isinstance(index, StreetIndex):
        index = index()
    if applies(book, index):
        return local_stable_edit(
            book,
            subscribers,
            index,
            options_of(book),
            changed=reslot,
            say=say,
            work=work,
            carrier_of=carrier_of,
        )
    return remeasured_edit(book, subscribers, index, reslot=reslot, carrier_of=carrier_of)


def remeasured_edit(
    book: RouteBook,
    subscribers: Sequence[Subscriber],
    index: StreetIndex,
    *,
    reslot: Sequence[str] = (),
    carrier_of: Mapping[str, int] | None = None,
) -> Edit:
    """:func:`stable_edit` with every subscriber measured again on a whole matrix.

    What a stable edit on another network than the book's needs; every unserved subscriber is
    tried again.
    """
    wb = workbench(subscribers, book, index)
    routed = set(book.order)
    current = {s.id for s in subscribers}
    removed = tuple(x for x in book.order if x not in current)
    again = [x for x in reslot if x in routed and x in wb.node_of]
    routes = remove_stops(routes_of(book, wb), {wb.node_of[x] for x in again})
    todo = [wb.node_of[s.id] for s in wb.snapped.served if s.id not in routed]
    todo += [wb.node_of[x] for x in again]
    route_of = {wb.node_of[x]: c - 1 for x, c in (carrier_of or {}).items() if x in wb.node_of}
    routes, placements, unplaced = insert_stops(wb.problem, routes, todo, route_of)
    new = to_book(wb, routes, index, book, unplaced, {"last_edit": "stable"})
    placed = tuple(_placed(wb, p) for p in placements)
    return Edit(
        book=new,
        placements=tuple((p.subscriber_id, p) for p in placed),
        inserted_ids=tuple(p.subscriber_id for p in placed),
        removed_ids=removed,
        unplaced_ids=wb.ids(unplaced),
        base=book,
    )


def _placed(wb: Workbench, p: Placement) -> Placed:
    after = None if p.after == 0 else wb.ids([p.after])[0]
    before = None if p.before in (0, wb.problem.end) else wb.ids([p.before])[0]
    return Placed(wb.ids([p.node])[0], p.carrier, p.position, p.added_m, p.added_s, after, before)


def reoptimised_book(
    book: RouteBook,
    subscribers: Sequence[Subscriber],
    index: StreetIndex,
    *,
    max_moved: int | None = None,
    keep_first: int = 0,
    time_limit: float = 5.0,
    seed: int = 0,
    overrides: dict[str, Any] | None = None,
    rates: dict[str, float] | None = None,
) -> tuple[RouteBook, Reoptimised, tuple[float, float]]:
    """A re-optimised candidate of ``book`` (not stored: the caller reports, then commits).

    ``overrides`` are plan options to change (``carriers``, ``capacity``, ``shift_s``, ``end``,
    ``open_end``, ``balance``); with any, the stops are laid out again by a full solve (which
    needs ``max_moved`` and ``keep_first`` unset). Also returns the expected metres a day with
    absent stops skipped (schedules and ``rates``), before and after, so the report shows what
    the new order does to the days that skip stops.
    """
    from route.routebook.diff import moved
    from route.routebook.skip_aware import presence

    options = replace(options_of(book), seed=seed, time_limit=time_limit, **(overrides or {}))
    wb = workbench(subscribers, book, index, options)
    p = presence(wb.snapped.served, rates)
    if overrides:
        # New settings: only a full solve can lay the route out again.
        from route.solver.solve import solve

        old = workbench(subscribers, book, index)
        before = expected_daily_m(old, routes_of(book, old), presence(old.snapped.served, rates))
        sol = solve(wb.problem, time_limit=time_limit, seed=seed)
        new = to_book(
            wb,
            sol.routes,
            index,
            book,
            sol.unassigned,
            {"last_edit": "reoptimise", "reoptimise": "full re-solve"},
            solved=sol.stats,
        )
        n_moved = len(moved([r.order for r in book.routes], [r.order for r in new.routes]))
        result = Reoptimised(sol.routes, "full re-solve", new.distance_m, n_moved)
        return new, result, (before, expected_daily_m(wb, sol.routes, p))
    # Subscribers not routed yet go in first, stably, so the report covers only the reordering.
    routed = set(book.order)
    todo = [wb.node_of[s.id] for s in wb.snapped.served if s.id not in routed]
    routes, _placements, unplaced = insert_stops(wb.problem, routes_of(book, wb), todo)
    result = reoptimise(
        wb.problem,
        routes,
        max_moved=max_moved,
        keep_first=keep_first,
        time_limit=time_limit,
        seed=seed,
    )
    new = to_book(
        wb,
        result.routes,
        index,
        book,
        unplaced,
        {"last_edit": "reoptimise", "reoptimise": result.method},
    )
    return new, result, (expected_daily_m(wb, routes, p), expected_daily_m(wb, result.routes, p))


# -- skipped stops: the a-priori objective on a route book -------------------------------------


def expected_daily_m(wb: Workbench, routes: Routes, p: np.ndarray) -> float:
    """Expected street metres a day over all carriers, absent stops skipped."""
    from route.routebook.skip_aware import expected_length, terminal

    end = terminal(wb.problem)
    return sum(expected_length(wb.problem.distance, r, p, end) for r in routes)


def skip_aware_book(
    book: RouteBook,
    subscribers: Sequence[Subscriber],
    index: StreetIndex,
    rates: dict[str, float] | None = None,
    *,
    keep_first: int = 0,
    kicks: int = 0,
    seed: int = 0,
) -> tuple[RouteBook, float, float]:
    """Reorder each carrier for the shortest expected day (not stored: report, then commit).

    Starts from the book's order (subscribers not routed yet go in first, stably) and keeps
    every all-present promise; ``kicks`` rounds of iterated local search (drawn with ``seed``)
    may shorten it further. Returns the candidate book and the expected metres a day before and
    after.
    """
    from route.routebook.skip_aware import apriori_tour, presence

    wb = workbench(subscribers, book, index)
    routed = set(book.order)
    todo = [wb.node_of[s.id] for s in wb.snapped.served if s.id not in routed]
    routes, _placements, unplaced = insert_stops(wb.problem, routes_of(book, wb), todo)
    p = presence(wb.snapped.served, rates)
    aware = tuple(
        apriori_tour(wb.problem, r, p, keep_first=keep_first, kicks=kicks, seed=seed)
        for r in routes
    )
    new = to_book(
        wb,
        aware,
        index,
        book,
        unplaced,
        {"last_edit": "skip-aware", "objective": "expected length with skipping"},
    )
    return new, expected_daily_m(wb, routes, p), expected_daily_m(wb, aware, p)


@dataclass(frozen=True)
class SkipReport:
    """What skipped stops do to a fixed route book.

    Attributes
    ----------
    all_present_m
        Street metres when everyone gets an item.
    expected_m
        Exact expected metres a day, absent stops skipped (weekdays equally likely).
    days
        ``(date, stops, fixed metres, re-optimised metres)`` for each simulated day.
    spreads
        ``(carrier, seq, id, spread)`` per stop: arrival times over a week of schedules.
    """

    all_present_m: int
    expected_m: float
    days: tuple[tuple[date, int, int, int], ...]
    spreads: tuple[tuple[int, int, str, Spread], ...]

    @property
    def price(self) -> float:
        """Mean fixed metres over mean re-optimised metres on the simulated days."""
        fixed = sum(d[2] for d in self.days)
        opt = sum(d[3] for d in self.days)
        return fixed / opt if opt else 1.0


def skip_report(
    book: RouteBook,
    subscribers: Sequence[Subscriber],
    index: StreetIndex,
    rates: dict[str, float] | None,
    first: date,
    days: int,
    *,
    seed: int = 0,
    time_limit: float = 1.0,
    say: Say | None = None,
) -> SkipReport:
    """Measure a book against its skipped stops: expectation, simulated days, arrival spread."""
    from route.routebook.skip_aware import (
        arrival_spread,
        daily_optimum,
        presence,
        simulate_days,
        terminal,
        week_of,
    )
    from route.routebook.skip_aware import skipped_length as skipped

    say = say or (lambda _m: None)
    wb = workbench(subscribers, book, index)
    routes = routes_of(book, wb)
    p = presence(wb.snapped.served, rates)
    d = wb.problem.distance
    end = terminal(wb.problem)
    full = [True] * wb.problem.size
    rows = []
    sim = simulate_days(wb.snapped.served, first, days, rates, seed=seed)
    for i, day in enumerate(sim, start=1):
        say(f"  day {i}/{len(sim)} {day.date}: re-optimising {sum(day.present) - 1} stops")
        fixed = sum(skipped(d, r, day.present, end) for r in routes)
        opt = sum(
            daily_optimum(wb.problem, r, day.present, time_limit=time_limit, seed=seed)
            for r in routes
        )
        rows.append((day.date, sum(day.present) - 1, fixed, opt))
    week = week_of(first, wb.snapped.served)
    spreads = []
    for c, r in enumerate(routes, start=1):
        for seq, sp in enumerate(arrival_spread(wb.problem, r, week), start=1):
            spreads.append((c, seq, wb.ids([sp.node])[0], sp))
    return SkipReport(
        all_present_m=sum(skipped(d, r, full, end) for r in routes),
        expected_m=expected_daily_m(wb, routes, p),
        days=tuple(rows),
        spreads=tuple(spreads),
    )


def usual_arrivals(
    book: RouteBook,
    subscribers: Sequence[Subscriber],
    index: StreetIndex | Callable[[], StreetIndex],
    first: date,
) -> dict[str, Spread]:
    """Per subscriber id, the arrival spread over the week from ``first`` (schedules only).

    Each day's stops are the subscribers scheduled that weekday, in route-book order, the others
    bypassed. Travel comes from the book's own legs, and only the bypasses are measured on the
    streets (:class:`~route.routebook.legs.BookTravel`), all seven days in one batch: no travel
    matrix is built. ``index`` may be a function giving the index, called only if a bypass
    needs measuring. Stops of subscribers not given are left out.
    """
    from route.routebook.legs import BookTravel

    subs = {s.id: s for s in subscribers}
    travel = BookTravel(book, index)
    runs = []
    for k in range(7):
        weekday = (first + timedelta(days=k)).weekday()
        for r in book.routes:
            present = [
                s
                for s in r.stops
                if s.subscriber_id in subs and weekday in subs[s.subscriber_id].days
            ]
            if present:
                runs.append(present)
    travel.prefetch(
        (a, b)
        for run in runs
        for a, b in zip(
            [None, *(s.subscriber_id for s in run)], [s.subscriber_id for s in run], strict=False
        )
    )
    seen: dict[str, list[int]] = {}
    for run in runs:
        t, prev, prev_service = book.start_s, None, 0
        for s in run:
            t += travel(prev, s.subscriber_id)[1] + prev_service
            lo = subs[s.subscriber_id].earliest
            t = max(t, lo) if lo is not None else t
            seen.setdefault(s.subscriber_id, []).append(t)
            prev, prev_service = s.subscriber_id, s.walk_in_s
    out = {}
    for node, sid in enumerate(book.order, start=1):
        if sid in seen:
            ts = np.asarray(seen[sid], dtype=float)
            out[sid] = Spread(
                node,
                int(ts.size),
                round(float(ts.mean())),
                int(ts.min()),
                int(ts.max()),
                round(float(ts.std())),
            )
    return out
