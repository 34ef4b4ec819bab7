"""Constrained routing on the embedded Helsinki drive network: our solver against peers.

Each instance snaps addressed buildings of the Helsinki extract to the drive network (one-way
streets make the matrices asymmetric), gives a share of the subscribers time windows ("the paper
before 6:30", "not before 5:40"), a quantity of 1 or 2 papers, and three carriers with a bag
capacity. Every solver gets the same integer matrices and the same time budget, in one run:

- ``paperroute``: :func:`route.solver.solve.solve`;
- ``ortools``: OR-Tools as its routing tutorial sets it up (Python callbacks,
  PATH_CHEAPEST_ARC, GUIDED_LOCAL_SEARCH, the whole budget as time limit);
- ``pyvrp``: PyVRP's search (when importable; version 0.14 is an iterated local search),
  distances as distance and durations as duration.

Every solver minimises length alone: the problems keep ``balance=0`` (no span cost), so the
lengths compare like with like. The tutorial OR-Tools setup has no way to leave a stop out, and
its path-cheapest-arc start often finds no feasible solution under these windows ("no
solution").

Feasibility is checked here from each solver's routes (every subscriber once, windows with
waiting allowed, capacity); a length counts only when the routes are feasible.

Run by hand (the machine is shared, so the budget is wall-clock and results vary a little)::

    PYTHONPATH=$PWD python benchmarks/helsinki.py --time-limit 5
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from route.constants import DEFAULT_START_S
from route.solver.problem import Problem, to_int_matrix
from route.solver.solve import solve

CARRIERS = 3
SERVICE_S = (20, 60)  # drive mode: park, walk to the door, back
CACHE = Path("/tmp/paperroute-helsinki-bench")


@dataclass(frozen=True)
class Instance:
    """A named constrained problem."""

    name: str
    problem: Problem


def build_instances(specs: list[tuple[int, int]]) -> list[Instance]:
    """Instances of ``(stops, seed)`` on the demo drive network (cached under /tmp)."""
    todo = [s for s in specs if not (CACHE / f"h{s[0]}-{s[1]}.npz").exists()]
    if todo:
        from route.io.osm import load_buildings, load_network
        from route.network import StreetIndex

        index = StreetIndex(load_network("demo", "drive"))
        buildings = load_buildings("demo")
        CACHE.mkdir(parents=True, exist_ok=True)
        for n, seed in todo:
            rng = np.random.default_rng(seed)
            # The extract has fewer addressed buildings than stops: add points along streets.
            pick = rng.choice(len(buildings), size=min(n + 1, len(buildings) // 2), replace=False)
            points = [(buildings[i].lat, buildings[i].lon) for i in pick]
            points += _street_points(index, rng, n + 1 - len(points))
            matrix = index.matrix(index.snap(points))
            np.savez(
                CACHE / f"h{n}-{seed}.npz",
                distance=to_int_matrix(matrix.distance),
                duration=to_int_matrix(matrix.duration),
            )
    out = []
    for n, seed in specs:
        data = np.load(CACHE / f"h{n}-{seed}.npz")
        out.append(
            Instance(f"helsinki-{n}-s{seed}", _constrain(data["distance"], data["duration"], seed))
        )
    return out


def _street_points(index, rng: np.random.Generator, count: int) -> list[tuple[float, float]]:
    """Points along random edges, weighted by length, as (lat, lon)."""
    edges = sorted(index.net.G.edges(keys=True, data="length"))
    weights = np.array([d for *_, d in edges], dtype=float)
    chosen = rng.choice(len(edges), size=count, p=weights / weights.sum())
    xy = []
    for e in chosen:
        u, v, k, _ = edges[e]
        pt = index.edge_line(u, v, k).interpolate(rng.uniform(0.1, 0.9), normalized=True)
        xy.append((pt.x, pt.y))
    return list(index.to_latlon(xy))


def _constrain(dist: np.ndarray, dur: np.ndarray, seed: int) -> Problem:
    """Windows, quantities and capacity scaled to the instance so that it stays feasible."""
    rng = np.random.default_rng(1000 + seed)
    n = dist.shape[0]
    service = [0, *(int(s) for s in rng.integers(*SERVICE_S, size=n - 1))]
    # A carrier's round lasts about its share of a nearest-neighbour tour, with some slack.
    horizon = int((_nearest_neighbour_s(dur) + sum(service)) / CARRIERS * 1.2)
    start = DEFAULT_START_S
    earliest: list[int | None] = [None]
    latest: list[int | None] = [None]
    for node in range(1, n):
        r = rng.random()
        reach = start + int(dur[0, node])
        if r < 0.25:  # "the paper before 6:30"
            latest.append(max(reach, start + _round5(rng.uniform(0.35, 0.7) * horizon)))
            earliest.append(None)
        elif r < 0.40:  # a half-hour window
            lo = start + _round5(rng.uniform(0.2, 0.75) * horizon)
            earliest.append(lo)
            latest.append(max(lo, reach) + 1800)
        else:
            earliest.append(None)
            latest.append(None)
    demand = [0, *(int(q) for q in rng.choice([1, 1, 1, 2], size=n - 1))]
    capacity = math.ceil(sum(demand) / CARRIERS * 1.15)
    return Problem(
        distance=dist,
        duration=dur,
        service=tuple(service),
        earliest=tuple(earliest),
        latest=tuple(latest),
        start_s=start,
        carriers=CARRIERS,
        demand=tuple(demand),
        capacity=capacity,
    )


def _nearest_neighbour_s(dur: np.ndarray) -> int:
    left, at, total = set(range(1, dur.shape[0])), 0, 0
    while left:
        nxt = min(left, key=lambda j: (dur[at, j], j))
        total += int(dur[at, nxt])
        left.remove(nxt)
        at = nxt
    return total + int(dur[at, 0])


def _round5(seconds: float) -> int:
    return round(seconds / 300.0) * 300


# -- feasibility, checked the same way for every solver ----------------------------------------


def check(problem: Problem, routes: list[list[int]]) -> tuple[int, int, list[str]]:
    """Return (total distance, windows met, problems) for routes of client nodes."""
    n = problem.size
    seen = [node for r in routes for node in r]
    issues = []
    if sorted(seen) != list(range(1, n)):
        missing = sorted(set(range(1, n)) - set(seen))
        issues.append(f"{len(missing)} missing, {len(seen) - len(set(seen))} twice")
    total = met = 0
    for r in routes:
        t, prev, load = problem.start_s, 0, 0
        for node in r:
            total += int(problem.distance[prev, node])
            t += int(problem.duration[prev, node])
            lo, hi = problem.earliest[node], problem.latest[node]
            if lo is not None:
                t = max(t, lo)
            if hi is None or t <= hi:
                met += 1
            else:
                issues.append(f"stop {node} at {t} > {hi}")
            t += problem.service[node]
            load += problem.demand[node]
            prev = node
        total += int(problem.distance[prev, 0]) if r else 0
        if problem.capacity is not None and load > problem.capacity:
            issues.append(f"load {load} > {problem.capacity}")
    return total, met, issues


# -- peers ---------------------------------------------------------------------------------------


def run_ortools_defaults(problem: Problem, time_limit: float) -> list[list[int]] | None:
    """OR-Tools as its VRPTW tutorial sets it up: callbacks, PATH_CHEAPEST_ARC + GLS."""
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    n, k = problem.size, problem.carriers
    manager = pywrapcp.RoutingIndexManager(n, k, 0)
    routing = pywrapcp.RoutingModel(manager)
    dist = problem.distance.tolist()
    dur = problem.duration.tolist()

    def distance_cb(i: int, j: int) -> int:
        return dist[manager.IndexToNode(i)][manager.IndexToNode(j)]

    def time_cb(i: int, j: int) -> int:
        a = manager.IndexToNode(i)
        return dur[a][manager.IndexToNode(j)] + problem.service[a]

    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitCallback(distance_cb))
    t_idx = routing.RegisterTransitCallback(time_cb)
    routing.AddDimension(t_idx, 24 * 3600, 48 * 3600, False, "Time")
    tdim = routing.GetDimensionOrDie("Time")
    for node in range(1, n):
        lo, hi = problem.earliest[node], problem.latest[node]
        tdim.CumulVar(manager.NodeToIndex(node)).SetRange(
            problem.start_s if lo is None else lo, 48 * 3600 if hi is None else hi
        )
    for v in range(k):
        tdim.CumulVar(routing.Start(v)).SetRange(problem.start_s, problem.start_s)
    demand = list(problem.demand)
    d_idx = routing.RegisterUnaryTransitCallback(lambda i: demand[manager.IndexToNode(i)])
    routing.AddDimensionWithVehicleCapacity(d_idx, 0, [problem.capacity] * k, True, "Load")
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    params.time_limit.FromMilliseconds(int(time_limit * 1000))
    sol = routing.SolveWithParameters(params)
    if sol is None:
        return None
    routes = []
    for v in range(k):
        idx, r = sol.Value(routing.NextVar(routing.Start(v))), []
        while not routing.IsEnd(idx):
            r.append(manager.IndexToNode(idx))
            idx = sol.Value(routing.NextVar(idx))
        routes.append(r)
    return routes


def run_pyvrp(problem: Problem, time_limit: float, seed: int) -> list[list[int]] | None:
    """PyVRP's search on the same matrices."""
    try:
        import pyvrp
        from pyvrp.stop import MaxRuntime
    except ImportError:
        return None
    n = problem.size
    m = pyvrp.Model()
    locs = [m.add_location(x=0, y=0) for _ in range(n)]
    depot = m.add_depot(locs[0], tw_early=problem.start_s)
    m.add_vehicle_type(
        num_available=problem.carriers,
        capacity=problem.capacity,
        start_depot=depot,
        end_depot=depot,
        tw_early=problem.start_s,
    )
    for node in range(1, n):
        lo, hi = problem.earliest[node], problem.latest[node]
        m.add_client(
            locs[node],
            delivery=problem.demand[node],
            service_duration=problem.service[node],
            tw_early=problem.start_s if lo is None else lo,
            tw_late=48 * 3600 if hi is None else hi,
        )
    for i in range(n):
        for j in range(n):
            m.add_edge(
                locs[i],
                locs[j],
                distance=int(problem.distance[i, j]),
                duration=int(problem.duration[i, j]),
            )
    res = m.solve(stop=MaxRuntime(time_limit), seed=seed, display=False)
    # A client activity's index counts clients from 0; our client nodes count from 1.
    return [[a.idx + 1 for a in route if a.is_client()] for route in res.best.routes()]


def run_ours(
    problem: Problem, time_limit: float, seed: int, workers: int | None = None
) -> tuple[list[list[int]], dict]:
    sol = solve(problem, time_limit=time_limit, seed=seed, workers=workers)
    return [list(r) for r in sol.routes], sol.stats


# -- the table -----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--time-limit", type=float, default=5.0)
    ap.add_argument(
        "--sizes", default="50:1,100:2,100:3,200:4,200:5", help="stops:seed pairs, comma separated"
    )
    ap.add_argument("--solvers", default="paperroute,ortools,pyvrp")
    ap.add_argument(
        "--workers", type=int, default=None, help="paperroute's search threads (default: 2)"
    )
    args = ap.parse_args(argv)
    specs = [tuple(int(x) for x in s.split(":")) for s in args.sizes.split(",")]
    solvers = args.solvers.split(",")
    instances = build_instances(specs)
    ratios: dict[str, list[float]] = {s: [] for s in solvers}
    print(
        f"Constrained Helsinki drive instances, {CARRIERS} carriers, "
        f"budget {args.time_limit:g} s per solver (shared machine: wall-clock), "
        f"paperroute on {args.workers or 'the default'} thread(s)\n"
    )
    for inst in instances:
        p = inst.problem
        windows = sum(1 for i in range(1, p.size) if p.latest[i] is not None)
        print(f"{inst.name}: {p.size - 1} stops, {windows} with windows, capacity {p.capacity}")
        print(
            f"  {'solver':<11} {'length m':>10} {'windows met':>12} {'time s':>7} "
            f"{'vs ours':>8}  note"
        )
        ours_len = None
        for s in solvers:
            t0 = time.perf_counter()
            note = ""
            if s == "paperroute":
                routes, stats = run_ours(p, args.time_limit, 0, args.workers)
                note = f"{stats.method} ({stats.stopped_by})"
            elif s == "ortools":
                routes = run_ortools_defaults(p, args.time_limit)
            else:
                routes = run_pyvrp(p, args.time_limit, 0)
            elapsed = time.perf_counter() - t0
            if routes is None:
                print(f"  {s:<11} {'-':>10} {'-':>12} {elapsed:7.1f} {'-':>8}  no solution")
                continue
            length, met, issues = check(p, routes)
            if issues:
                note += " INFEASIBLE: " + "; ".join(issues[:3])
            if s == "paperroute":
                ours_len = length if not issues else None
            ratio = length / ours_len if ours_len else float("nan")
            if not issues:
                ratios[s].append(ratio)
            print(
                f"  {s:<11} {length:>10,} {met:>5}/{p.size - 1:<6} {elapsed:7.1f} "
                f"{ratio:8.4f}  {note}"
            )
        print()
    print("Mean length relative to ours (above 1: longer than ours):")
    for s in solvers:
        if ratios[s]:
            print(f"  {s:<11} {np.mean(ratios[s]):.4f}  ({len(ratios[s])} feasible)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
