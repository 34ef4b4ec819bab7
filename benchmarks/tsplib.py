"""Compare the tour engine with other TSP solvers on TSPLIB instances at one time budget.

Usage::

    python benchmarks/tsplib.py [--time-limit 5] [--instances berlin52 pr1002] [--json out.json]
    python benchmarks/tsplib.py --data benchmarks/data/tsplib-holdout

Instances and their proven optima are read from ``benchmarks/data/tsplib`` in
the repository (``--data`` overrides it: ``benchmarks/data/tsplib-holdout`` holds instances
the tour engine is not tuned on). Optional solvers (elkai, PyVRP; the ``bench``
extra) are imported lazily and skipped with a note when missing.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from route.solver import speed
from route.solver.tour import solve_tour, solve_tour_detailed, tour_length, work_budget

DEFAULT_DATA = Path(__file__).resolve().parent / "data" / "tsplib"
Solver = Callable[[np.ndarray, float], int]


def nint(x: np.ndarray) -> np.ndarray:
    """TSPLIB rounding to the nearest integer."""
    return np.floor(x + 0.5).astype(np.int64)


def _geo_radians(v: np.ndarray) -> np.ndarray:
    deg = np.trunc(v)
    return math.pi * (deg + 5.0 * (v - deg) / 3.0) / 180.0


def distance_matrix(kind: str, xy: np.ndarray) -> np.ndarray:
    """Distance matrix of a TSPLIB EDGE_WEIGHT_TYPE for node coordinates ``xy``."""
    diff = xy[:, None, :] - xy[None, :, :]
    euclid = np.sqrt((diff**2).sum(-1))
    if kind == "EUC_2D":
        return nint(euclid)
    if kind == "CEIL_2D":
        return np.ceil(euclid).astype(np.int64)
    if kind == "ATT":
        r = np.sqrt((diff**2).sum(-1) / 10.0)
        t = nint(r)
        return np.where(t < r, t + 1, t)
    if kind == "GEO":
        lat, lon = _geo_radians(xy[:, 0]), _geo_radians(xy[:, 1])
        q1 = np.cos(lon[:, None] - lon[None, :])
        q2 = np.cos(lat[:, None] - lat[None, :])
        q3 = np.cos(lat[:, None] + lat[None, :])
        arg = 0.5 * ((1.0 + q1) * q2 - (1.0 - q1) * q3)
        d = (6378.388 * np.arccos(np.clip(arg, -1.0, 1.0)) + 1.0).astype(np.int64)
        np.fill_diagonal(d, 0)
        return d
    raise ValueError(f"EDGE_WEIGHT_TYPE {kind} is not supported (EUC_2D, CEIL_2D, ATT, GEO)")


def read_tsplib(path: Path) -> np.ndarray:
    """Read a TSPLIB file with a NODE_COORD_SECTION into a distance matrix."""
    header: dict[str, str] = {}
    coords: list[tuple[float, float]] = []
    in_coords = False
    for line in path.read_text().splitlines():
        text = line.strip()
        if not text or text == "EOF":
            continue
        if in_coords:
            parts = text.split()
            if not parts[0].lstrip("-").replace(".", "").isdigit():
                in_coords = False
            else:
                coords.append((float(parts[1]), float(parts[2])))
                continue
        if text.startswith("NODE_COORD_SECTION"):
            in_coords = True
        elif ":" in text:
            key, value = text.split(":", 1)
            header[key.strip().upper()] = value.strip()
    kind = header.get("EDGE_WEIGHT_TYPE", "")
    xy = np.array(coords, dtype=float)
    if len(xy) != int(header.get("DIMENSION", len(xy))):
        raise ValueError(f"{path}: DIMENSION {header.get('DIMENSION')} but {len(xy)} nodes")
    return distance_matrix(kind, xy)


def read_optima(path: Path) -> dict[str, int]:
    """Read ``name : value`` lines."""
    optima = {}
    for line in path.read_text().splitlines():
        if ":" in line:
            name, value = line.split(":", 1)
            optima[name.strip()] = int(value)
    return optima


def ours(m: np.ndarray, limit: float) -> int:
    # The work this machine does in the limit, as a plan sizes it (route.solver.solve).
    work = work_budget(len(m), limit, speed.rate(1, "tour"))
    result = solve_tour_detailed(m, time_limit=limit, seed=0, work=work)
    stats = result.stats
    print(
        f"  ours: work {stats.work:,} of {stats.work_budget:,}, kicks {stats.kicks:,}, "
        f"time capped {stats.time_capped}",
        file=sys.stderr,
    )
    return result.length


def ours_fast(m: np.ndarray, limit: float) -> int:
    return tour_length(m, solve_tour(m, time_limit=limit, seed=0, reproducible=False))


def ortools_tutorial(m: np.ndarray, limit: float) -> int:
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    manager = pywrapcp.RoutingIndexManager(len(m), 1, 0)
    routing = pywrapcp.RoutingModel(manager)
    matrix = m.tolist()

    def cost(i: int, j: int) -> int:
        return matrix[manager.IndexToNode(i)][manager.IndexToNode(j)]

    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitCallback(cost))
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    params.time_limit.FromMilliseconds(int(limit * 1000))
    solution = routing.SolveWithParameters(params)
    index, tour = routing.Start(0), []
    while not routing.IsEnd(index):
        tour.append(manager.IndexToNode(index))
        index = solution.Value(routing.NextVar(index))
    return tour_length(m, tour)


def elkai_lkh(m: np.ndarray, limit: float) -> int:
    import elkai

    # elkai has no time limit; runs are the nearest knob, scaled roughly to the budget.
    tour = elkai.DistanceMatrix(m.tolist()).solve_tsp(runs=max(1, int(limit)))
    return tour_length(m, tour[:-1] if tour[0] == tour[-1] else tour)


def fast_tsp_direct(m: np.ndarray, limit: float) -> int:
    import fast_tsp

    return tour_length(m, fast_tsp.find_tour(m, limit))


def pyvrp_hgs(m: np.ndarray, limit: float) -> int:
    from pyvrp import Model
    from pyvrp.stop import MaxRuntime

    model = Model()
    locations = [model.add_location(0, 0) for _ in range(len(m))]
    model.add_depot(locations[0])
    for loc in locations[1:]:
        model.add_client(loc)
    model.add_vehicle_type(1)
    for i, a in enumerate(locations):
        for j, b in enumerate(locations):
            if i != j:
                model.add_edge(a, b, int(m[i, j]))
    result = model.solve(stop=MaxRuntime(limit), seed=0, display=False)
    return int(result.cost())


SOLVERS: dict[str, tuple[Solver, str | None]] = {
    "ours": (ours, None),
    "ours-fast": (ours_fast, None),
    "ortools": (ortools_tutorial, "ortools"),
    "elkai": (elkai_lkh, "elkai"),
    "fast-tsp": (fast_tsp_direct, "fast_tsp"),
    "pyvrp": (pyvrp_hgs, "pyvrp"),
}


def available(names: list[str]) -> list[str]:
    import importlib.util

    found = []
    for name in names:
        module = SOLVERS[name][1]
        if module is None or importlib.util.find_spec(module) is not None:
            found.append(name)
        else:
            print(f"note: {name} skipped ({module} is not installed; pip install '.[bench]')")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=5.0)
    parser.add_argument("--instances", nargs="*", help="names without .tsp (default: all)")
    parser.add_argument("--solvers", nargs="*", choices=list(SOLVERS), default=list(SOLVERS))
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--json", type=Path, help="save results to this file")
    args = parser.parse_args(argv)

    optima = read_optima(args.data / "optimal.txt")
    names = args.instances or sorted(optima, key=lambda k: (len(read_tsplib_cached(args, k)), k))
    solvers = available(args.solvers)
    speed.rate(1, "tour")  # this machine's rate, measured once before any clock starts
    rows = []
    for name in names:
        m = read_tsplib_cached(args, name)
        row = {"instance": name, "n": len(m), "optimum": optima[name], "results": {}}
        for solver in solvers:
            start = time.perf_counter()
            length = SOLVERS[solver][0](m, args.time_limit)
            elapsed = time.perf_counter() - start
            gap = 100.0 * (length - optima[name]) / optima[name]
            row["results"][solver] = {"length": length, "gap": gap, "seconds": elapsed}
            print(f"  {name} {solver}: {length} ({gap:.2f}%, {elapsed:.1f}s)", file=sys.stderr)
        rows.append(row)
    print_table(rows, solvers, args.time_limit)
    if args.json:
        args.json.write_text(json.dumps({"time_limit": args.time_limit, "rows": rows}, indent=2))
    return 0


_CACHE: dict[str, np.ndarray] = {}


def read_tsplib_cached(args: argparse.Namespace, name: str) -> np.ndarray:
    if name not in _CACHE:
        _CACHE[name] = read_tsplib(args.data / f"{name}.tsp")
    return _CACHE[name]


def print_table(rows: list[dict], solvers: list[str], limit: float) -> None:
    head = f"{'instance':<10} {'n':>5} {'optimum':>8}" + "".join(f" | {s:>18}" for s in solvers)
    print(f"\nTSPLIB, {limit:g} s per solver and instance (length, gap %)\n")
    print(head)
    print("-" * len(head))
    for row in rows:
        cells = "".join(
            f" | {r['length']:>9} {r['gap']:>7.2f}%" for r in (row["results"][s] for s in solvers)
        )
        print(f"{row['instance']:<10} {row['n']:>5} {row['optimum']:>8}{cells}")
    means = "".join(
        f" | {'':>9} {np.mean([row['results'][s]['gap'] for row in rows]):>7.2f}%" for s in solvers
    )
    worst = "".join(
        f" | {'':>9} {max(row['results'][s]['gap'] for row in rows):>7.2f}%" for s in solvers
    )
    print("-" * len(head))
    print(f"{'mean gap':<25}{means}")
    print(f"{'worst gap':<25}{worst}")


if __name__ == "__main__":
    raise SystemExit(main())
