"""From subscribers and a street network to a route book.

The one-way pipeline: snap every spot to its curb point, measure walk-ins, build the travel
matrix, solve, and assemble the route book with its leg geometry. Subscribers that cannot be
served (too far from any street, unreachable, a window that cannot be met) are listed in the
route book's ``unserved`` with the reason.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from route.constants import (
    DEFAULT_START_S,
    MAX_BALANCE,
    MAX_CAPACITY,
    MAX_CARRIERS,
    MAX_SHIFT_S,
    MAX_SNAP_M,
    MAX_TIME_LIMIT_S,
    SPOT_HANDLING_S,
    WALK_IN_SPEED_MPS,
)
from route.errors import InputError, Issue, input_error
from route.model.routebook import (
    FAR,
    NO_PLACE,
    NO_SOLUTION,
    UNREACHABLE,
    WINDOW,
    CarrierRoute,
    RouteBook,
    Stop,
    Unserved,
    fingerprint,
)
from route.model.subscriber import Depot, Subscriber, format_clock
from route.network import CurbPoint, IntMatrix, StreetIndex
from route.routebook.quality import (
    Heartbeat,
    bound_record,
    memory_line,
    progress_line,
    quality_line,
)
from route.solver import speed
from route.solver.ortools_phase import release_memory
from route.solver.problem import Problem, Solution, to_int_matrix
from route.solver.solve import DEFAULT_WORKERS, prepare_search, solve

Say = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class PlanOptions:
    """How to plan: carriers, time budget, seed, shift start and limits.

    Checked at construction: an :class:`~route.errors.InputError` lists every option that is
    out of range at once.

    ``end`` (lat, lon) ends every route there instead of back at the depot; ``open_end`` ends
    each route at its last stop (``end`` is then ignored). ``balance`` is the cost, in metres
    per second, of the longest shift beyond the shortest: 0 plans the shortest total length,
    higher values even out the carriers' shifts at some cost in length. ``work_s``, when given,
    sets the amount of search (in the work model's calibrated seconds, see
    :func:`route.solver.solve.solve`) and leaves ``time_limit`` only as the cap: the route then
    does not depend on the machine's speed or load, nor on which process plans it.
    """

    carriers: int = 1
    time_limit: float = 5.0
    seed: int = 0
    start_s: int = DEFAULT_START_S
    capacity: int | None = None
    shift_s: int | None = None
    end: tuple[float, float] | None = None
    open_end: bool = False
    balance: int = 1
    work_s: float | None = None

    def __post_init__(self) -> None:
        issues: list[Issue] = []

        def bad(field: str, value: object, message: str, fix: str) -> None:
            issues.append(Issue("plan options", message, fix, column=field, value=value))

        def whole(value: object) -> bool:
            return isinstance(value, int) and not isinstance(value, bool)

        if not whole(self.carriers) or not 1 <= self.carriers <= MAX_CARRIERS:
            bad("carriers", self.carriers, "not a number of carriers",
                f"give a whole number from 1 to {MAX_CARRIERS}")  # fmt: skip
        t = self.time_limit
        if not isinstance(t, int | float) or not math.isfinite(t) or not 0 < t <= MAX_TIME_LIMIT_S:
            bad("time_limit", t, "not a time limit",
                f"give seconds above 0 and at most {MAX_TIME_LIMIT_S}")  # fmt: skip
        if not whole(self.seed) or not 0 <= self.seed < 2**63:
            bad("seed", self.seed, "not a seed", "give a whole number, 0 or more")
        if not whole(self.start_s) or not 0 <= self.start_s < 24 * 3600:
            bad("start_s", self.start_s, "not a time of day", "give seconds after midnight")
        if self.capacity is not None and (
            not whole(self.capacity) or not 1 <= self.capacity <= MAX_CAPACITY
        ):
            bad("capacity", self.capacity, "not a bag capacity",
                f"give a whole number of items from 1 to {MAX_CAPACITY}, or None")  # fmt: skip
        if self.shift_s is not None and (
            not whole(self.shift_s) or not 0 < self.shift_s <= MAX_SHIFT_S
        ):
            bad("shift_s", self.shift_s, "not a shift length",
                f"give seconds above 0 and at most {MAX_SHIFT_S} (48 h), or None")  # fmt: skip
        if self.end is not None and not (
            len(self.end) == 2
            and all(isinstance(v, int | float) and math.isfinite(v) for v in self.end)
            and -90 <= self.end[0] <= 90
            and -180 <= self.end[1] <= 180
        ):
            bad("end", self.end, "not a (latitude, longitude) point",
                "give latitude -90..90 and longitude -180..180")  # fmt: skip
        if not whole(self.balance) or not 0 <= self.balance <= MAX_BALANCE:
            bad("balance", self.balance, "not a balance weight",
                f"give a whole number from 0 to {MAX_BALANCE}")  # fmt: skip
        w = self.work_s
        if w is not None and (
            not isinstance(w, int | float) or not math.isfinite(w) or not 0 < w <= t
        ):
            bad("work_s", w, "not an amount of search work",
                "give seconds above 0 and at most the time limit, or None")  # fmt: skip
        if issues:
            raise InputError(issues)


def walk_in(sub: Subscriber, curb: CurbPoint, index: StreetIndex) -> tuple[int, int]:
    """Metres and seconds for curb point -> spot -> curb point, handling included.

    A ``curb`` spot is served from the street: no walk, only the handling time.
    """
    handling = sub.service_s if sub.service_s is not None else SPOT_HANDLING_S[sub.spot.kind]
    if sub.spot.kind == "curb":
        return 0, round(handling)
    x, y = index.to_xy(sub.spot.lat, sub.spot.lon)
    metres = 2.0 * math.hypot(x - curb.x, y - curb.y)
    return round(metres), round(metres / WALK_IN_SPEED_MPS + handling)


@dataclass(frozen=True)
class Snapped:
    """Subscribers with their curb points and walk-ins, and those that cannot be reached."""

    depot_curb: CurbPoint
    served: tuple[Subscriber, ...]
    curbs: tuple[CurbPoint, ...]
    walk_ins: tuple[tuple[int, int], ...]
    unserved: tuple[Unserved, ...]


def snap_subscribers(
    subscribers: Sequence[Subscriber], depot: Depot, index: StreetIndex
) -> Snapped:
    """Snap the depot and every subscriber's spot; set aside those too far from any street."""
    points = [(depot.lat, depot.lon)] + [(s.spot.lat, s.spot.lon) for s in subscribers]
    curbs = index.snap(points)
    depot_curb = curbs[0]
    served, kept, walks, unserved = [], [], [], []
    for sub, curb in zip(subscribers, curbs[1:], strict=True):
        if curb.distance_m > MAX_SNAP_M:
            unserved.append(
                Unserved(
                    sub.id,
                    f"spot is {curb.distance_m:.0f} m from the nearest usable street "
                    f"(limit {MAX_SNAP_M:.0f} m): check its coordinates",
                    FAR,
                )
            )
            continue
        served.append(sub)
        kept.append(curb)
        walks.append(walk_in(sub, curb, index))
    if depot_curb.distance_m > MAX_SNAP_M:
        raise_too_far("--depot", depot, depot_curb)
    return Snapped(depot_curb, tuple(served), tuple(kept), tuple(walks), tuple(unserved))


def raise_too_far(source: str, point: Depot, curb: CurbPoint) -> None:
    """Refuse a depot or end point off the street network (or cut off from the depot).

    Raises
    ------
    InputError
        Always.
    """

    what = "the depot" if source == "--depot" else "the end point"
    raise input_error(
        source,
        f"{what} is {curb.distance_m:.0f} m from the nearest street of the network, or no "
        "street path joins it to the depot",
        f"give {what} inside the area of the street data",
        value=f"{point.lat},{point.lon}",
    )


def build_problem(
    snapped: Snapped, matrix_m: np.ndarray, matrix_s: np.ndarray, options: PlanOptions
) -> Problem:
    """The solver's view: integer matrices, walk-ins as service times, windows, the fleet.

    With ``options.end`` (and not ``open_end``) the matrices carry the end point as their last
    node, after the subscribers.
    """
    subs = snapped.served
    # The end point is a node without service, window or demand.
    extra = (0,) if options.end is not None and not options.open_end else ()
    none_extra = (None,) * len(extra)
    return Problem(
        distance=matrix_m if np.issubdtype(matrix_m.dtype, np.integer) else to_int_matrix(matrix_m),
        duration=matrix_s if np.issubdtype(matrix_s.dtype, np.integer) else to_int_matrix(matrix_s),
        service=(0, *(w[1] for w in snapped.walk_ins), *extra),
        earliest=(None, *(s.earliest for s in subs), *none_extra),
        latest=(None, *(s.latest for s in subs), *none_extra),
        start_s=options.start_s,
        carriers=options.carriers,
        demand=(0, *(s.quantity for s in subs), *extra),
        capacity=options.capacity,
        shift_s=options.shift_s,
        end=len(subs) + 1 if extra else None,
        open_end=options.open_end,
        balance=options.balance,
    )


def prepare_problem(
    subscribers: Sequence[Subscriber],
    depot: Depot,
    index: StreetIndex,
    options: PlanOptions,
    say: Say | None = None,
) -> tuple[Snapped, tuple[CurbPoint, ...], Problem]:
    """Snap, measure and set aside what cannot be served: the solver's problem.

    Subscribers too far from a street, cut off from the depot, or with a window nobody can
    meet become unserved with the reason. Problem node ``i`` (from 1) is
    ``snapped.served[i - 1]``; with an end point, the matrices carry it as their last node.

    Raises
    ------
    InputError
        If the depot or the end point is off the street network.
    """
    say = say or (lambda _m: None)
    say(f"Snapping {len(subscribers)} delivery spots to the street network")
    snapped = snap_subscribers(subscribers, depot, index)
    end_curbs: tuple[CurbPoint, ...] = ()
    if options.end is not None and not options.open_end:
        end_point = Depot(*options.end)
        end_curbs = (index.snap([options.end])[0],)
        if end_curbs[0].distance_m > MAX_SNAP_M:
            raise_too_far("--end", end_point, end_curbs[0])
    curbs = (snapped.depot_curb, *snapped.curbs, *end_curbs)
    say(f"Computing street distances between {len(curbs):,} curb points")
    matrix = index.int_matrix(curbs, say)
    say(f"  {matrix.nbytes / 2**20:,.0f} MB of {matrix.distance.dtype} matrices")
    reach = matrix.reachable()
    if end_curbs and not reach[-1]:
        raise_too_far("--end", end_point, end_curbs[0])
    lost: list[Unserved] = []
    keep = [0]
    for i, sub in enumerate(snapped.served, start=1):
        soonest = options.start_s + int(matrix.duration[0, i])
        if not reach[i]:
            # Rare once the network is cut to its strongly connected core; still never silent.
            lost.append(Unserved(sub.id, "no street path to or from the depot", UNREACHABLE))
        elif sub.latest is not None and sub.latest < soonest:
            lost.append(Unserved(sub.id, window_reason(sub, soonest), WINDOW))
        else:
            keep.append(i)
    if lost:
        pick = [i - 1 for i in keep[1:]]
        snapped = Snapped(
            snapped.depot_curb,
            tuple(snapped.served[i] for i in pick),
            tuple(snapped.curbs[i] for i in pick),
            tuple(snapped.walk_ins[i] for i in pick),
            snapped.unserved + tuple(lost),
        )
        keep += [len(curbs) - 1] if end_curbs else []
        curbs = tuple(curbs[i] for i in keep)
        sel = np.ix_(keep, keep)
        # One matrix at a time, each full one let go once cut: the peak is one matrix more
        # than the result, not two.
        dist, dur = matrix.distance, matrix.duration
        del matrix
        dist = dist[sel]
        dur = dur[sel]
        matrix = IntMatrix(dist, dur)
    # Frozen here, where they were made: the problem then keeps these very arrays instead of
    # a copy of its own (another 191 MB at 5,000 stops).
    for m in (matrix.distance, matrix.duration):
        if np.issubdtype(m.dtype, np.integer):
            m.setflags(write=False)
    problem = build_problem(snapped, matrix.distance, matrix.duration, options)
    return snapped, tuple(curbs), problem


def plan(
    subscribers: Sequence[Subscriber],
    depot: Depot,
    index: StreetIndex,
    options: PlanOptions | None = None,
    say: Say | None = None,
) -> RouteBook:
    """Plan the fixed route.

    Parameters
    ----------
    subscribers
        The active subscribers.
    depot
        Where the carriers start and end.
    index
        The street network's index (snapping, matrices, geometry).
    options
        Carriers, time budget, seed and limits.
    say
        Progress printer.

    Returns
    -------
    RouteBook
        Every subscriber is routed exactly once or listed in ``unserved`` with the reason.
    """
    options = options or PlanOptions()
    say = say or (lambda _m: None)
    snapped, curbs, problem = prepare_problem(subscribers, depot, index, options, say)
    return plan_prepared(snapped, curbs, problem, index, depot, options, say)


def plan_prepared(
    snapped: Snapped,
    curbs: Sequence[CurbPoint],
    problem: Problem,
    index: StreetIndex,
    depot: Depot,
    options: PlanOptions,
    say: Say | None = None,
) -> RouteBook:
    """Solve a problem from :func:`prepare_problem` and assemble its route book.

    The second half of :func:`plan`, on its own so that the travel matrix and the route can be
    computed as separate steps (a distributor's districts, each a task of its own).
    """
    say = say or (lambda _m: None)
    # The street searches' scratch goes back to the system before the search takes its share.
    release_memory()
    # Building the compiled search for this machine takes a while, once per install: say so.
    say("Preparing the search (compiled for this machine on first use, then cached)")
    # The penalised search on both threads, or the tour engine on one (see solve()).
    engine: speed.Engine = "vrp" if prepare_search(problem) is not None else "tour"
    threads = DEFAULT_WORKERS if engine == "vrp" else 1
    if options.work_s is None and not speed.known(threads, engine):
        say("Measuring how fast this machine searches (once, a few seconds; then cached)")
        speed.rate(threads, engine)
    say(
        f"Solving the route for {len(snapped.served)} stops "
        f"({options.carriers} carrier{'s' if options.carriers > 1 else ''}, "
        f"up to {options.time_limit:g} s)"
    )

    last = [-1.0]
    beat = Heartbeat(say, f"still searching (up to {options.time_limit:g} s)")

    def progress(elapsed: float, objective: int) -> None:
        # One line a second at most; the search may improve thousands of times.
        if elapsed - last[0] >= 1.0:
            last[0] = elapsed
            say(progress_line(elapsed, objective))
            beat.said()

    with beat:
        solution = solve(
            problem,
            time_limit=options.time_limit,
            seed=options.seed,
            progress=progress,
            work_s=options.work_s,
        )
    solution, retried = _insert_left_out(problem, solution, say)
    say(f"Bounding the length from below (Held-Karp) over {problem.size:,} points")
    record = {**solution.stats.to_dict(), "lower_bound": bound_record(problem, solution)}
    if retried:
        record["inserted_after_search"] = retried
    say(memory_line(problem, solution))
    book = assemble(snapped, curbs, problem, solution, index, depot, options, record, say)
    say(
        f"Route planned: {len(book.order)} stops, {book.distance_m / 1000:.2f} km, "
        f"{book.duration_s / 60:.0f} min"
    )
    quality = quality_line(book.solver, book.distance_m)
    if quality:
        say(quality)
    return book


def _insert_left_out(problem: Problem, solution: Solution, say: Say) -> tuple[Solution, int]:
    """Try every stop the search left out at its cheapest feasible place in its routes.

    The search drops a stop when it finds no room for it in its budget, which is no proof that
    none exists. After this pass a stop left out is one no place in the route can take, the
    same test a later edit makes, so an edit need not try it again until the route changes.
    Returns the solution and how many stops the pass placed.
    """
    from route.routebook.insertion import insert_stops
    from route.routebook.timing import time_route

    if not solution.unassigned or solution.stats.status != "solved":
        return solution, 0
    say(
        f"Trying the {len(solution.unassigned):,} stops the search left out at their cheapest place"
    )
    routes, placed, unplaced = insert_stops(problem, solution.routes, solution.unassigned)
    if not placed:
        return solution, 0
    timings = [time_route(problem, r) for r in routes]
    return (
        Solution(
            routes=routes,
            arrivals=tuple(t.arrivals for t in timings),
            unassigned=tuple(unplaced),
            distance=sum(t.distance_m for t in timings),
            stats=solution.stats,
        ),
        len(placed),
    )


def window_reason(sub: Subscriber, soonest: int) -> str:
    """Why a window cannot be met: it closes before the soonest possible arrival."""
    return (
        f"time window {format_clock(sub.earliest) or 'any'}-{format_clock(sub.latest) or 'any'} "
        f"cannot be met (earliest possible arrival {format_clock(soonest)}): "
        "widen the window, start earlier or add a carrier"
    )


def assemble(
    snapped: Snapped,
    curbs: Sequence[CurbPoint],
    problem: Problem,
    solution: Solution,
    index: StreetIndex,
    depot: Depot,
    options: PlanOptions,
    record: Mapping[str, Any] | None = None,
    say: Say | None = None,
) -> RouteBook:
    """Turn a solution into a route book with stops, leg geometry and totals.

    ``record`` is what the book's ``solver`` field keeps besides the options (by default the
    solution's statistics); ``say`` hears how the legs' street geometry is coming on.
    """
    legs_total = sum(len(r) + 1 for r in solution.routes)
    if say is not None and legs_total > 500:
        say(f"Drawing {legs_total:,} legs along the streets")
    shown = time.perf_counter()
    legs_done = 0
    subs = snapped.served
    routes = []
    for carrier, (order, arrivals) in enumerate(
        zip(solution.routes, solution.arrivals, strict=True), start=1
    ):
        stops, legs = [], []
        prev = 0
        dist_total = walk_m_total = walk_s_total = 0
        for seq, (node, arrival) in enumerate(zip(order, arrivals, strict=True), start=1):
            sub = subs[node - 1]
            walk_m, walk_s = snapped.walk_ins[node - 1]
            leg_m = int(problem.distance[prev, node])
            leg_s = int(problem.duration[prev, node])
            curb = curbs[node]
            lat, lon = index.to_latlon([(curb.x, curb.y)])[0]
            stops.append(Stop(seq, sub.id, lat, lon, int(arrival), leg_m, leg_s, walk_m, walk_s))
            legs.append(index.leg(curbs[prev], curb))
            legs_done += 1
            if say is not None and time.perf_counter() - shown >= 2.0:
                shown = time.perf_counter()
                say(f"  {legs_done:,} of {legs_total:,} legs")
            dist_total += leg_m
            walk_m_total += walk_m
            walk_s_total += walk_s
            prev = node
        end = 0 if problem.end is None else problem.end
        closes = bool(order) and not problem.open_end
        ret_m = int(problem.distance[prev, end]) if closes else 0
        ret_s = int(problem.duration[prev, end]) if closes else 0
        if closes:
            legs.append(index.leg(curbs[prev], curbs[end]))
        finish = (arrivals[-1] + problem.service[order[-1]] + ret_s) if order else options.start_s
        routes.append(
            CarrierRoute(
                carrier=carrier,
                stops=tuple(stops),
                legs=tuple(legs),
                distance_m=dist_total + ret_m,
                duration_s=int(finish - options.start_s),
                walk_in_m=walk_m_total,
                walk_in_s=walk_s_total,
                return_m=ret_m,
                return_s=ret_s,
            )
        )
    unserved = list(snapped.unserved)
    for node in solution.unassigned:
        sub = subs[node - 1]
        if solution.stats.status == "no solution":
            why = "the search found no route within its time limit: give it more (--time-limit)"
            unserved.append(Unserved(sub.id, why, NO_SOLUTION))
        else:
            unserved.append(Unserved(sub.id, why_unassigned(sub, problem, node), NO_PLACE))
    return RouteBook(
        mode=index.net.mode,
        depot=depot,
        start_s=options.start_s,
        routes=tuple(routes),
        unserved=tuple(unserved),
        solver=solver_record(solution.stats.to_dict() if record is None else record, options),
        fingerprints={
            "network": index.net.fingerprint,
            "subscribers": fingerprint([s.to_dict() for s in snapped.served]),
        },
    )


def solver_record(record: Mapping[str, Any], options: PlanOptions) -> dict[str, Any]:
    """A route book's ``solver`` field: ``record`` and the plan options it was made with."""
    return {
        **record,
        "seed": options.seed,
        "time_limit_s": options.time_limit,
        "carriers": options.carriers,
        "capacity": options.capacity,
        "shift_s": options.shift_s,
        "balance": options.balance,
        "end": "open"
        if options.open_end
        else (list(options.end) if options.end is not None else "depot"),
        # Only when given, so that books planned on the time limit alone read as before.
        **({} if options.work_s is None else {"work_s": options.work_s}),
    }


def why_unassigned(sub: Subscriber, problem: Problem, node: int) -> str:
    """Why the solver left a subscriber out, as precisely as the problem lets us tell."""
    return why_unplaced(
        sub,
        problem,
        int(problem.duration[0, node]),
        int(problem.duration[node, 0]),
        problem.service[node],
    )


def why_unplaced(sub: Subscriber, problem: Problem, out_s: int, back_s: int, service: int) -> str:
    """Why no route takes a subscriber: ``out_s`` and ``back_s`` are the trips from and to the
    depot, ``service`` their time at the stop (only the fleet and limits of ``problem`` are
    read)."""
    fleet = f"{problem.carriers} carrier{'s' if problem.carriers > 1 else ''}"
    if problem.capacity is not None and sub.quantity > problem.capacity:
        return (
            f"needs {sub.quantity} items, more than a bag holds ({problem.capacity}): "
            "raise the capacity"
        )
    soonest = problem.start_s + out_s
    if problem.shift_s is not None:
        trip = out_s + back_s + service
        if trip > problem.shift_s:
            return (
                f"even a trip to this stop alone takes {trip / 60:.0f} min, longer than the "
                f"shift ({problem.shift_s / 60:.0f} min): lengthen the shift"
            )
    if sub.latest is not None or sub.earliest is not None:
        window = f"{format_clock(sub.earliest) or 'any'}-{format_clock(sub.latest) or 'any'}"
        return (
            f"time window {window} cannot be met together with the other stops' windows and "
            f"limits by {fleet} (soonest possible arrival {format_clock(soonest)}): "
            "widen the window, start earlier or add a carrier"
        )
    return (
        f"{fleet} have no room or time left for this stop: add a carrier or raise the "
        "capacity or shift"
    )
