"""The multi-carrier search at equal counted work: for comparing two versions of the search.

Usage::

    PYTHONPATH=$PWD python benchmarks/cvrp_work.py [--work 3e8] [--seeds 0,1] [--workers 2]
        [--data benchmarks/data/cvrp_tuning] [--instances XL-n251-k32 ...]
        [--against runs/other.json] [--json out.json]

Each instance gets the same amount of counted work (move and insertion evaluations, per
worker) with the clock far out of reach, so two versions of the search, or two settings, are
compared on what they do with the same work, whatever the machine's speed or load that day. The
table gives each instance's mean length over the seeds, its gap to the best-known cost where
there is one, the iterations, and with ``--against`` (an earlier ``--json``) the ratio to that
run. Changes to the search are compared on ``data/cvrp_tuning`` and a few of ``data/cvrp``,
never on ``data/cvrp_untuned``. Seeds matter: the same instance can end 1% apart from one seed
to the next, so two seeds show only large effects.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cvrp import check, fleet_of, problem_of, read_bks, read_vrp

from route.solver import penalised

DEFAULT_DATA = Path(__file__).resolve().parent / "data" / "cvrp_tuning"
#: The tuning draws used by default (the rest of the set has fewer routes, or none feasible
#: with k + 1 carriers: XL-n211-k42).
DEFAULT_INSTANCES = ("XL-n201-k23", "XL-n251-k32", "XL-n261-k38", "XL-n301-k34", "XL-n321-k29")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", type=float, default=3e8, help="evaluations per worker")
    ap.add_argument("--seeds", default="0,1")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--instances", nargs="*")
    ap.add_argument("--against", type=Path, help="an earlier run's --json, for the ratio")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    names = args.instances or (
        list(DEFAULT_INSTANCES)
        if args.data == DEFAULT_DATA
        else sorted(p.stem for p in args.data.glob("*.vrp"))
    )
    seeds = [int(s) for s in args.seeds.split(",")]
    bks = read_bks(args.data / "bks.txt") if (args.data / "bks.txt").exists() else {}
    before = json.loads(args.against.read_text())["rows"] if args.against else {}
    rows: dict[str, dict] = {}
    print(
        f"Multi-carrier search, {args.work:.3g} evaluations per worker, {args.workers} "
        f"worker(s), seeds {args.seeds}\n"
    )
    head = f"{'instance':<14} {'mean length':>12} {'gap':>8} {'iterations':>11} {'s':>6}"
    print(head + (f" {'vs before':>10}" if before else ""))
    print("-" * (len(head) + (11 if before else 0)))
    ratios = []
    for name in names:
        d, demand, cap = read_vrp(args.data / f"{name}.vrp")
        problem = problem_of(d, demand, cap, fleet_of(name))
        lengths, its, secs = [], 0, 0.0
        for seed in seeds:
            t = time.perf_counter()
            res = penalised.search(problem, int(args.work), 1e6, seed, workers=args.workers)
            secs += time.perf_counter() - t
            if res.routes is None:
                lengths.append(None)
                continue
            total, issues = check(d, demand, cap, fleet_of(name), res.routes)
            if issues:
                raise SystemExit(f"{name} seed {seed}: {issues}")
            lengths.append(total)
            its += res.iterations
        if None in lengths:
            print(f"{name:<14} {'no feasible routes':>12}")
            continue
        mean = float(np.mean(lengths))
        rows[name] = {"lengths": lengths, "mean": mean, "iterations": its}
        best = bks.get(name)
        gap = f"{100 * (mean - best) / best:+7.2f}%" if best else f"{'-':>8}"
        line = f"{name:<14} {mean:>12,.1f} {gap} {its:>11,} {secs:>6.1f}"
        if name in before:
            ratios.append(mean / before[name]["mean"])
            line += f" {ratios[-1]:>10.4f}"
        print(line, flush=True)
    if ratios:
        print(f"\nmean ratio to the earlier run: {np.mean(ratios):.4f} over {len(ratios)}")
    if args.json:
        args.json.write_text(json.dumps({"work": args.work, "seeds": seeds, "rows": rows}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
