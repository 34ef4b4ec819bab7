"""CVRPLIB X instances: our multi-carrier search against OR-Tools and PyVRP at equal time.

Usage::

    PYTHONPATH=$PWD python benchmarks/cvrp.py [--time-limit 20] [--instances X-n101-k25 ...]
        [--solvers paperroute,ortools,pyvrp] [--workers 2] [--data DIR] [--json out.json]

Each instance of ``benchmarks/data/cvrp`` (Uchoa et al. 2017, best-known costs in ``bks.txt``,
licence beside them) is solved with a fleet of the minimum number of routes (the ``k`` in its
name) plus one, distances rounded to the nearest integer as in CVRPLIB. Every solver gets the
same integer matrix and the same wall-clock budget in the same run:

- ``paperroute``: :func:`route.solver.solve.solve` (``--workers`` search threads);
- ``ortools``: OR-Tools as its routing tutorial sets it up (path cheapest arc, guided local
  search, the whole budget as time limit);
- ``pyvrp``: PyVRP's search (the ``bench`` extra).

Routes are checked here (every customer once, capacity, fleet size); the table gives each
solver's gap to the best-known cost and its length relative to PyVRP's, and the means. The
machine is shared, so absolute times are noisy; the ratios within one run are what count.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import itertools

from route.solver.problem import Problem, capacitated
from route.solver.solve import solve

DEFAULT_DATA = Path(__file__).resolve().parent / "data" / "cvrp"


def read_vrp(path: Path) -> tuple[np.ndarray, list[int], int]:
    """(rounded Euclidean distance matrix, demands with the depot first, capacity)."""
    coords: dict[int, tuple[float, float]] = {}
    demand: dict[int, int] = {}
    depot = 1
    capacity = 0
    section = ""
    for line in path.read_text().splitlines():
        text = line.strip()
        if not text or text == "EOF":
            continue
        if text.endswith("SECTION"):
            section = text
            continue
        if ":" in text and not text[0].isdigit():
            key, value = (x.strip() for x in text.split(":", 1))
            if key == "CAPACITY":
                capacity = int(value)
            continue
        parts = text.split()
        if section == "NODE_COORD_SECTION":
            coords[int(parts[0])] = (float(parts[1]), float(parts[2]))
        elif section == "DEMAND_SECTION":
            demand[int(parts[0])] = int(parts[1])
        elif section == "DEPOT_SECTION" and int(parts[0]) > 0:
            depot = int(parts[0])
    ids = [depot] + [i for i in sorted(coords) if i != depot]
    xy = np.array([coords[i] for i in ids])
    diff = xy[:, None, :] - xy[None, :, :]
    d = np.floor(np.sqrt((diff**2).sum(-1)) + 0.5).astype(np.int64)
    return d, [demand.get(i, 0) for i in ids], capacity


def read_bks(path: Path) -> dict[str, int | None]:
    """Best-known costs by instance; ``-`` (none known, as for drawn instances) gives None."""
    out: dict[str, int | None] = {}
    for line in path.read_text().splitlines():
        if ":" in line:
            name, value = line.split(":", 1)
            out[name.strip()] = None if value.strip() == "-" else int(float(value))
    return out


def fleet_of(name: str) -> int:
    """The minimum number of routes plus one."""
    return int(name.rsplit("-k", 1)[1]) + 1


def check(d: np.ndarray, demand: list[int], capacity: int, fleet: int, routes) -> tuple[int, str]:
    """(total length, problems) for routes of customer indices."""
    n = len(d)
    seen = sorted(c for r in routes for c in r)
    issues = []
    if seen != list(range(1, n)):
        issues.append(f"{n - 1 - len(set(seen))} customers missing or repeated")
    used = [r for r in routes if r]
    if len(used) > fleet:
        issues.append(f"{len(used)} routes > fleet {fleet}")
    total = 0
    for r in used:
        if sum(demand[c] for c in r) > capacity:
            issues.append("over capacity")
        path = [0, *r, 0]
        total += int(sum(d[a, b] for a, b in itertools.pairwise(path)))
    return total, "; ".join(issues)


def problem_of(d: np.ndarray, demand: list[int], capacity: int, fleet: int) -> Problem:
    """The instance as paperroute's problem: no durations, windows or service times."""
    return capacitated(d, tuple(demand), capacity, fleet)


def run_ours(d, demand, capacity, fleet, limit, seed, workers):
    p = problem_of(d, demand, capacity, fleet)
    sol = solve(p, time_limit=limit, seed=seed, workers=workers)
    return [list(r) for r in sol.routes], f"{sol.stats.best_phase} ({sol.stats.stopped_by})"


def run_ortools(d, demand, capacity, fleet, limit, seed):
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    n = len(d)
    manager = pywrapcp.RoutingIndexManager(n, fleet, 0)
    routing = pywrapcp.RoutingModel(manager)
    matrix = d.tolist()

    def dist(i: int, j: int) -> int:
        return matrix[manager.IndexToNode(i)][manager.IndexToNode(j)]

    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitCallback(dist))
    idx = routing.RegisterUnaryTransitCallback(lambda i: demand[manager.IndexToNode(i)])
    routing.AddDimensionWithVehicleCapacity(idx, 0, [capacity] * fleet, True, "Load")
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    params.time_limit.FromMilliseconds(int(limit * 1000))
    sol = routing.SolveWithParameters(params)
    if sol is None:
        return None, "no solution"
    routes = []
    for v in range(fleet):
        i, r = sol.Value(routing.NextVar(routing.Start(v))), []
        while not routing.IsEnd(i):
            r.append(manager.IndexToNode(i))
            i = sol.Value(routing.NextVar(i))
        routes.append(r)
    return routes, ""


def run_pyvrp(d, demand, capacity, fleet, limit, seed):
    import pyvrp
    from pyvrp.stop import MaxRuntime

    m = pyvrp.Model()
    locs = [m.add_location(x=0, y=0) for _ in range(len(d))]
    depot = m.add_depot(locs[0])
    m.add_vehicle_type(num_available=fleet, capacity=capacity, start_depot=depot, end_depot=depot)
    for i in range(1, len(d)):
        m.add_client(locs[i], delivery=demand[i])
    for i in range(len(d)):
        for j in range(len(d)):
            if i != j:
                m.add_edge(locs[i], locs[j], distance=int(d[i, j]))
    res = m.solve(stop=MaxRuntime(limit), seed=seed, display=False)
    return [[a.idx + 1 for a in r if a.is_client()] for r in res.best.routes()], ""


SOLVERS = {"paperroute": None, "ortools": "ortools", "pyvrp": "pyvrp"}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--time-limit", type=float, default=20.0)
    ap.add_argument("--instances", nargs="*", help="names without .vrp (default: all)")
    ap.add_argument("--solvers", default="paperroute,ortools,pyvrp")
    ap.add_argument("--workers", type=int, default=2, help="paperroute's search threads")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--json", type=Path, help="save the results to this file")
    args = ap.parse_args(argv)
    bks = read_bks(args.data / "bks.txt")
    names = args.instances or sorted(bks, key=lambda s: int(s.split("-n")[1].split("-")[0]))
    solvers = []
    for s in args.solvers.split(","):
        module = SOLVERS[s]
        if module is None or importlib.util.find_spec(module) is not None:
            solvers.append(s)
        else:
            print(f"note: {s} skipped ({module} is not installed; pip install '.[bench]')")
    rows = []
    for name in names:
        d, demand, capacity = read_vrp(args.data / f"{name}.vrp")
        fleet = fleet_of(name)
        row: dict = {
            "instance": name,
            "n": len(d) - 1,
            "fleet": fleet,
            "bks": bks[name],
            "results": {},
        }
        for s in solvers:
            t0 = time.perf_counter()
            if s == "paperroute":
                routes, note = run_ours(
                    d, demand, capacity, fleet, args.time_limit, args.seed, args.workers
                )
            elif s == "ortools":
                routes, note = run_ortools(d, demand, capacity, fleet, args.time_limit, args.seed)
            else:
                routes, note = run_pyvrp(d, demand, capacity, fleet, args.time_limit, args.seed)
            elapsed = time.perf_counter() - t0
            length, issues = check(d, demand, capacity, fleet, routes) if routes else (None, note)
            ok = routes is not None and not issues
            row["results"][s] = {
                "length": length if ok else None,
                "seconds": elapsed,
                "note": issues or note,
            }
            shown = f"{length}" if ok else f"INFEASIBLE ({issues})"
            print(f"  {name} {s}: {shown}, {elapsed:.1f} s {note}", file=sys.stderr, flush=True)
        rows.append(row)
    print_table(rows, solvers, args.time_limit, args.workers)
    if args.json:
        args.json.write_text(json.dumps({"time_limit": args.time_limit, "rows": rows}, indent=2))
    return 0


def print_table(rows: list[dict], solvers: list[str], limit: float, workers: int) -> None:
    ref = "pyvrp" if "pyvrp" in solvers else None
    known = any(row["bks"] is not None for row in rows)
    title = "CVRPLIB X" if known else "X-like instances (no best-known costs)"
    print(
        f"\n{title}, fleet = minimum routes + 1, {limit:g} s per solver and instance "
        f"(paperroute: {workers} thread{'s' if workers > 1 else ''})\n"
    )
    head = f"{'instance':<12} {'n':>4} {'BKS':>7}" + "".join(f" | {s:>22}" for s in solvers)
    if ref:
        head += " | ours/pyvrp"
    print(head)
    print("-" * len(head))
    gaps: dict[str, list[float]] = {s: [] for s in solvers}
    ratios: list[float] = []
    for row in rows:
        cells = ""
        for s in solvers:
            length = row["results"][s]["length"]
            if length is None:
                cells += f" | {'infeasible':>22}"
                continue
            if row["bks"] is None:
                cells += f" | {length:>9} {'':>10}  "
                continue
            gap = 100.0 * (length - row["bks"]) / row["bks"]
            gaps[s].append(gap)
            cells += f" | {length:>9} {gap:>+9.2f}%  "
        ratio = ""
        if ref and "paperroute" in solvers:
            ours, theirs = row["results"]["paperroute"]["length"], row["results"][ref]["length"]
            if ours and theirs:
                ratios.append(ours / theirs)
                ratio = f" | {ours / theirs:>10.4f}"
        bks = "-" if row["bks"] is None else row["bks"]
        print(f"{row['instance']:<12} {row['n']:>4} {bks:>7}{cells}{ratio}")
    print("-" * len(head))
    means = "".join(
        f" | {'':>9} {np.mean(gaps[s]):>+9.2f}%  " if gaps[s] else f" | {'-':>22}" for s in solvers
    )
    tail = f" | {np.mean(ratios):>10.4f}" if ratios else ""
    print(f"{'mean gap to BKS' if known else 'mean':<25}{means}{tail}")
    if ratios:
        print(f"\nours/pyvrp: mean {np.mean(ratios):.4f}, worst {max(ratios):.4f}")


if __name__ == "__main__":
    raise SystemExit(main())
