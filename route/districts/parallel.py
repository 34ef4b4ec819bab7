"""A distributor's districts planned one by one, or in parallel as ``dask.distributed`` tasks.

A district is one carrier's territory: each is planned as a one-carrier problem of its own
(:func:`route.routebook.plan.prepare_problem` for its travel matrix, then
:func:`route.routebook.plan.plan_prepared` for its route), and the routes are put together into
one route book whose route ``i`` is the ``i``-th district in name order (``D01``, ``D02``, ...).

The serial run and the Dask run give the same route book, byte for byte (invariant 4):

- a district's seed comes from the plan's seed and the district's name
  (:func:`district_seed`), never from the order in which districts happen to be planned;
- every search stops after a counted amount of work (see :mod:`route.solver.solve`), so which
  worker plans a district, and how busy it is, does not change its route; where that work
  follows a measured speed (:mod:`route.solver.speed`), it is the speed of the machine the
  plan started on, handed to every task;
- the routes are put in district order, never in the order they complete.

On Dask, each district is two tasks (``client.submit``): its travel matrix, and its route,
which takes the matrix task's result. The street index is sent to every worker once
(``client.scatter(..., broadcast=True)``): on the embedded extract it pickles to 2.3 MB and
unpickles in 0.04 s, where reading the extract again on each worker takes 2.7 s.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from route.errors import input_error
from route.model.routebook import CarrierRoute, RouteBook, Unserved, fingerprint
from route.model.subscriber import Depot, Subscriber
from route.routebook.plan import PlanOptions, plan_prepared, prepare_problem, solver_record
from route.solver import speed

if TYPE_CHECKING:
    from dask.distributed import Client

    from route.network import CurbPoint, StreetIndex
    from route.routebook.plan import Snapped
    from route.solver.problem import Problem

Say = Callable[[str], None]

#: Seconds to wait for an existing Dask scheduler (``--scheduler``) to answer.
CONNECT_TIMEOUT_S = 10


@dataclass(frozen=True, slots=True)
class District:
    """One district's name and its active subscribers (in the order they were given)."""

    name: str
    subscribers: tuple[Subscriber, ...]


@dataclass(frozen=True, slots=True)
class Prepared:
    """A district's problem: what :func:`prepare_problem` returns, ready for the search."""

    snapped: Snapped
    curbs: tuple[CurbPoint, ...]
    problem: Problem


def district_seed(seed: int, name: str) -> int:
    """The search seed of district ``name`` in a plan with ``seed`` (0 to 2**63 - 1).

    A digest of both, so that it depends on nothing else: not the number of districts, not the
    order they are planned in.
    """
    digest = hashlib.blake2b(f"{seed}/{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1


def group_districts(
    subscribers: Sequence[Subscriber], district_of: Mapping[str, str]
) -> tuple[District, ...]:
    """The districts in name order, each with its subscribers in the given order.

    Every district named in ``district_of`` is there, even one whose subscribers have all been
    removed (its route is then empty), so that route ``i`` stays district ``i``'s.

    Raises
    ------
    InputError
        If a subscriber has no district (the fix names ``districts``).
    """
    missing = [s.id for s in subscribers if s.id not in district_of]
    if missing:
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        shown = ", ".join(missing[:5]) + more
        raise input_error(
            "districts",
            f"{len(missing)} subscriber(s) have no district: {shown}",
            "give them one: paperroute districts WS --rebalance (or import them again, "
            "which places a new subscriber in the nearest district with room)",
        )
    names = sorted(set(district_of.values()))
    members: dict[str, list[Subscriber]] = {n: [] for n in names}
    for s in subscribers:
        members[district_of[s.id]].append(s)
    return tuple(District(n, tuple(members[n])) for n in names)


def follows_districts(book: RouteBook, district_of: Mapping[str, str]) -> bool:
    """Whether ``book`` has one route per district, route ``i`` serving district ``i``'s
    subscribers only (its stops may be fewer: some unserved, some added since)."""
    names = sorted(set(district_of.values()))
    if len(book.routes) != len(names):
        return False
    return all(
        district_of.get(stop.subscriber_id) == name
        for route, name in zip(book.routes, names, strict=True)
        for stop in route.stops
    )


def district_options(options: PlanOptions, name: str) -> PlanOptions:
    """A district's plan options: one carrier, and its own seed."""
    return replace(options, carriers=1, seed=district_seed(options.seed, name))


def prepare_district(
    district: District, depot: Depot, index: StreetIndex, options: PlanOptions
) -> Prepared | None:
    """A district's curb points and travel matrix (``None`` for a district without subscribers).

    Raises
    ------
    InputError
        If the depot or the end point is off the street network.
    """
    if not district.subscribers:
        return None
    snapped, curbs, problem = prepare_problem(
        district.subscribers, depot, index, district_options(options, district.name)
    )
    return Prepared(snapped, curbs, problem)


def route_district(
    name: str, prepared: Prepared | None, depot: Depot, index: StreetIndex, options: PlanOptions
) -> RouteBook | None:
    """A district's route, as a one-carrier route book (``None`` for an empty district)."""
    if prepared is None:
        return None
    return plan_prepared(
        prepared.snapped,
        prepared.curbs,
        prepared.problem,
        index,
        depot,
        district_options(options, name),
    )


def plan_district(
    district: District, depot: Depot, index: StreetIndex, options: PlanOptions
) -> RouteBook | None:
    """Plan one district in this process: its travel matrix, then its route."""
    prepared = prepare_district(district, depot, index, options)
    return route_district(district.name, prepared, depot, index, options)


def plan_districts(
    subscribers: Sequence[Subscriber],
    district_of: Mapping[str, str],
    index: StreetIndex,
    depot: Depot,
    options: PlanOptions,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    say: Say | None = None,
) -> RouteBook:
    """Plan every district as a one-carrier problem; one route book, route ``i`` district ``i``.

    Parameters
    ----------
    subscribers
        The active subscribers.
    district_of
        Subscriber id -> district name, as :meth:`route.io.workspace.Workspace.district_of`
        returns it.
    index
        The street network's index; on Dask it is sent to each worker once.
    depot
        Where every carrier picks up the bundles.
    options
        The plan options of every district (``carriers`` is ignored: one per district); the
        seed of each district is derived from ``options.seed`` and its name.
    workers
        1: plan the districts one after another in this process, without Dask. More: on a
        ``LocalCluster`` of that many worker processes. ``None``: one worker per core.
    scheduler
        The address of an existing Dask scheduler (``tcp://HOST:PORT``) to plan on instead.
    say
        Progress printer ("districts done k/N").

    Returns
    -------
    RouteBook
        Every subscriber is routed exactly once or listed in ``unserved`` with the reason. The
        same inputs and seed give the same book whatever ``workers`` and ``scheduler`` are.

    Raises
    ------
    InputError
        If a subscriber has no district, ``workers`` is not a whole number from 1 up, the
        scheduler cannot be reached, or the depot is off the street network.
    """
    say = say or (lambda _m: None)
    if not isinstance(workers, int | None) or isinstance(workers, bool) or (workers or 1) < 1:
        raise input_error(
            "--workers", "not a number of workers", "give a whole number, 1 or more", value=workers
        )
    districts = group_districts(subscribers, district_of)
    stops = sum(len(d.subscribers) for d in districts)
    if workers == 1 and scheduler is None:
        say(f"Planning {len(districts)} districts ({stops:,} stops) one after another")
        books: list[RouteBook | None] = []
        for k, d in enumerate(districts, start=1):
            books.append(plan_district(d, depot, index, options))
            say(f"districts done {k}/{len(districts)}")
    else:
        with _client(workers, scheduler, say) as client:
            books = _plan_on(client, districts, depot, index, options, say)
    return assemble_districts(districts, books, depot, index, options)


@contextmanager
def _client(workers: int | None, scheduler: str | None, say: Say) -> Iterator[Client]:
    """A Dask client: on the scheduler at ``scheduler``, else on a new ``LocalCluster``.

    Raises
    ------
    InputError
        If ``scheduler`` is not an address, or nothing answers there.
    """
    from dask.distributed import Client, LocalCluster

    if scheduler is not None:
        if "://" not in scheduler:
            raise input_error(
                "--scheduler",
                "not a Dask scheduler address",
                "give it as tcp://HOST:PORT (what 'dask scheduler' prints)",
                value=scheduler,
            )
        say(f"Connecting to the Dask scheduler at {scheduler}")
        try:
            client = Client(scheduler, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise input_error(
                "--scheduler",
                f"no Dask scheduler answered within {CONNECT_TIMEOUT_S} s ({exc})",
                "start one (dask scheduler, then dask worker ADDRESS on each machine) and "
                "give the address it prints; nothing was written",
                value=scheduler,
            ) from None
        with client:
            yield client
        return
    n = workers or os.cpu_count() or 1
    say(f"Starting a local Dask cluster of {n} worker processes")
    with (
        LocalCluster(
            n_workers=n,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster, set_as_default=False) as client,
    ):
        yield client


def _pinned_call(rates: Mapping[str, int], fn: Callable[..., Any], *args: Any) -> Any:
    """``fn(*args)`` on a Dask worker, its searches at the planning machine's ``rates``."""
    with speed.pinned(rates):
        return fn(*args)


def _plan_on(
    client: Client,
    districts: Sequence[District],
    depot: Depot,
    index: StreetIndex,
    options: PlanOptions,
    say: Say,
) -> list[RouteBook | None]:
    """Each district's matrix and route as tasks on ``client``; the books in district order."""
    workers = len(client.scheduler_info(n_workers=-1).get("workers", {}))
    say(f"Planning {len(districts)} districts on {workers} Dask worker(s)")
    sent = time.perf_counter()
    shared = client.scatter(index, broadcast=True)
    say(f"  the street network sent to every worker in {time.perf_counter() - sent:.1f} s")
    # Every district is searched at this machine's rate, whichever worker plans it.
    if not (speed.known(1) and speed.known(2) and speed.known(1, "tour")):
        say("Measuring how fast this machine searches (once, a few seconds; then cached)")
    search_rates = speed.here()
    # The largest districts first, so that the last tasks to run are short ones.
    order = sorted(range(len(districts)), key=lambda i: -len(districts[i].subscribers))
    routes: dict[Any, int] = {}
    for i in order:
        d = districts[i]
        # Keys name the district and the plan: a second plan on the same cluster never reuses
        # a result of another one.
        tag = fingerprint([d.name, [s.id for s in d.subscribers], options.seed])[:12]
        matrix = client.submit(
            prepare_district, d, depot, shared, options, key=f"matrix-{d.name}-{tag}", pure=False
        )
        route = client.submit(
            _pinned_call,
            search_rates,
            route_district,
            d.name,
            matrix,
            depot,
            shared,
            options,
            key=f"route-{d.name}-{tag}",
            pure=False,
        )
        routes[route] = i
    return _in_order(client, routes, len(districts), say)


def _in_order(client: Client, futures: Mapping[Any, int], n: int, say: Say) -> list[Any]:
    """The futures' results, put at their district's index as they complete, with progress."""
    from dask.distributed import as_completed

    out: list[Any] = [None] * n
    for k, future in enumerate(as_completed(futures, loop=client.loop), start=1):
        out[futures[future]] = future.result()
        say(f"districts done {k}/{len(futures)}")
    return out


def assemble_districts(
    districts: Sequence[District],
    books: Sequence[RouteBook | None],
    depot: Depot,
    index: StreetIndex,
    options: PlanOptions,
) -> RouteBook:
    """One route book from the districts' one-carrier books: route ``i`` is district ``i``'s.

    The ``solver`` record keeps the plan's options (``carriers`` being the number of
    districts) and, under ``districts``, each district's name, seed, stops and search record.
    """
    routes: list[CarrierRoute] = []
    unserved: list[Unserved] = []
    records: list[dict[str, Any]] = []
    for i, (d, b) in enumerate(zip(districts, books, strict=True), start=1):
        if b is None:
            routes.append(CarrierRoute(i, (), (), 0, 0, 0, 0))
            records.append({"name": d.name, "stops": 0})
            continue
        (route,) = b.routes
        routes.append(replace(route, carrier=i))
        unserved.extend(b.unserved)
        keep = {k: v for k, v in b.solver.items() if k not in _OPTION_KEYS}
        records.append(
            {
                "name": d.name,
                "seed": district_seed(options.seed, d.name),
                "stops": len(route.stops),
                **keep,
            }
        )
    lost = {u.subscriber_id for u in unserved}
    served = [s for d in districts for s in d.subscribers if s.id not in lost]
    solver = {
        "method": "districts",
        "districts": records,
        **solver_record({}, options),
        "carriers": len(districts),
    }
    return RouteBook(
        mode=index.net.mode,
        depot=depot,
        start_s=options.start_s,
        routes=tuple(routes),
        unserved=tuple(unserved),
        solver=solver,
        fingerprints={
            "network": index.net.fingerprint,
            "subscribers": fingerprint([s.to_dict() for s in served]),
        },
    )


#: The keys of :func:`solver_record` that are the plan's options, kept once at the top.
_OPTION_KEYS = frozenset(solver_record({}, PlanOptions(work_s=1.0)))


# -- re-optimisation, district by district ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class DistrictsReoptimised:
    """A re-optimised candidate of a distributor's route book (not stored) and how it was found.

    ``methods`` counts the districts by the candidate each kept (``"relocations"``,
    ``"unchanged"``, ...), ``moved`` is the stops that left their place, over every district,
    and ``expected`` the expected metres of a day with absent stops skipped, before and after.
    """

    book: RouteBook
    methods: Mapping[str, int]
    moved: int
    expected: tuple[float, float]

    @property
    def method(self) -> str:
        """The methods in a few words: "by district: relocations 12, unchanged 3"."""
        parts = ", ".join(f"{m} {n}" for m, n in sorted(self.methods.items()))
        return f"by district: {parts}"


def reoptimise_districts(
    book: RouteBook,
    subscribers: Sequence[Subscriber],
    district_of: Mapping[str, str],
    index: StreetIndex,
    *,
    max_moved: int | None = None,
    keep_first: int = 0,
    time_limit: float = 5.0,
    seed: int = 0,
    rates: Mapping[str, float] | None = None,
    workers: int | None = 1,
    scheduler: str | None = None,
    say: Say | None = None,
) -> DistrictsReoptimised:
    """Re-optimise each district's route on its own (serially, or as Dask tasks).

    Each district is re-optimised as :func:`route.routebook.changes.reoptimised_book` does a
    one-carrier round, with its own seed (:func:`district_seed`) and the bounds applying to each
    district (``max_moved`` stops per district, each route's first ``keep_first`` kept). No
    stop changes district: that is what ``districts --rebalance`` does. The candidate's route
    ``i`` is district ``i``'s; it is the same whichever way it is run.

    Raises
    ------
    ValueError
        If ``book`` does not follow the districts (plan them first).
    InputError
        If a subscriber has no district, or the scheduler cannot be reached.
    """
    say = say or (lambda _m: None)
    if not follows_districts(book, district_of):
        raise ValueError("the route book does not follow the districts")
    districts = group_districts(subscribers, district_of)
    parts = [
        _district_part(book, d, route) for d, route in zip(districts, book.routes, strict=True)
    ]
    todo = [i for i, d in enumerate(districts) if d.subscribers]
    kwargs = {"max_moved": max_moved, "keep_first": keep_first, "time_limit": time_limit}
    say(
        f"Re-optimising {len(todo)} districts one by one"
        if workers == 1 and scheduler is None
        else f"Re-optimising {len(todo)} districts on Dask"
    )
    found: list[Any] = [None] * len(districts)
    if workers == 1 and scheduler is None:
        for k, i in enumerate(todo, start=1):
            d = districts[i]
            found[i] = reoptimise_part(
                parts[i], d.subscribers, index, district_seed(seed, d.name), rates, kwargs
            )
            say(f"districts done {k}/{len(todo)}")
    else:
        with _client(workers, scheduler, say) as client:
            shared = client.scatter(index, broadcast=True)
            search_rates = speed.here()  # this machine's rate for every district's search
            futures: dict[Any, int] = {}
            for i in sorted(todo, key=lambda i: -len(districts[i].subscribers)):
                d = districts[i]
                tag = fingerprint([d.name, list(parts[i].order), seed, kwargs])[:12]
                future = client.submit(
                    _pinned_call, search_rates, reoptimise_part, parts[i], d.subscribers, shared,
                    district_seed(seed, d.name), rates, kwargs,
                    key=f"reoptimise-{d.name}-{tag}", pure=False,
                )  # fmt: skip
                futures[future] = i
            found = _in_order(client, futures, len(districts), say)
    routes: list[CarrierRoute] = []
    unserved: list[Unserved] = []
    methods: dict[str, int] = {}
    moved = 0
    before = after = 0.0
    for i, (d, route) in enumerate(zip(districts, book.routes, strict=True), start=1):
        if found[i - 1] is None:
            routes.append(route)
            unserved.extend(u for u in book.unserved if district_of.get(u.subscriber_id) == d.name)
            continue
        new, result, (b, a) = found[i - 1]
        routes.append(replace(new.routes[0], carrier=i))
        unserved.extend(new.unserved)
        methods[result.method] = methods.get(result.method, 0) + 1
        moved += result.moved
        before += b
        after += a
    lost = {u.subscriber_id for u in unserved}
    served = [s for d in districts for s in d.subscribers if s.id not in lost]
    candidate = replace(
        book,
        routes=tuple(routes),
        unserved=tuple(unserved),
        solver={**book.solver, "last_edit": "reoptimise", "reoptimise": "by district"},
        fingerprints={
            **book.fingerprints,
            "subscribers": fingerprint([s.to_dict() for s in served]),
        },
    )
    return DistrictsReoptimised(candidate, methods, moved, (before, after))


def reoptimise_part(
    part: RouteBook,
    subscribers: Sequence[Subscriber],
    index: StreetIndex,
    seed: int,
    rates: Mapping[str, float] | None,
    kwargs: Mapping[str, Any],
) -> tuple[RouteBook, Any, tuple[float, float]]:
    """One district's re-optimised one-carrier book (a task: run where the network is)."""
    from route.routebook.changes import reoptimised_book

    return reoptimised_book(
        part, subscribers, index, seed=seed, rates=dict(rates) if rates else None, **kwargs
    )


def _district_part(book: RouteBook, district: District, route: CarrierRoute) -> RouteBook:
    """District ``district``'s route as a one-carrier route book of its own."""
    ids = {s.id for s in district.subscribers}
    return replace(
        book,
        routes=(replace(route, carrier=1),),
        unserved=tuple(u for u in book.unserved if u.subscriber_id in ids),
        solver={**book.solver, "carriers": 1},
    )
