"""A distributor at scale: districts of about 250 stops planned with 1 and 2 Dask workers.

A synthetic distributor is drawn deterministically along the streets of the embedded Helsinki
walk extract and densified: each subscriber lies 4 to 25 m off a street segment chosen with
probability proportional to its length, a few metres of jitter along it, from a fixed seed, so
the same size always gives the same subscribers (they are generated, not stored). Sizes 5,000,
20,000 and 50,000 by default, in districts of about ``--district-size`` stops made by
:func:`route.districts.assign.assign` on street distances.

For each size, each worker count runs in a process of its own (so that its peak memory is its
own) and plans every district with :func:`route.districts.parallel.plan_districts`: ``1`` one
after another without Dask, ``2`` or more on a ``LocalCluster`` of that many worker processes
(the cluster's start is part of the wall time). It reports:

- wall time of the plan with each worker count, and the speed-up over one worker;
- peak memory (RSS high-water mark, ``resource.getrusage``) of the planning process, of each
  Dask worker (run on each by ``client.run``) and of the scheduler;
- time per 1,000 subscribers at the fixed district size, and its growth exponent (slope of
  log time against log subscribers: 1 is linear);
- route quality: for a sample of districts, the route's length over the length found planning
  that district alone with ``--quality-factor`` times the work (1.000 means no better route
  was found with more search);
- that the route books of every worker count are identical (a digest of the book's JSON).

The searches stop on a counted work budget (``--work-per-district`` calibrated seconds, 5 by
default: what ``plan`` spends on each district with its default ``--time-limit 5``), the clock
only capping them far above it, so the route books do not depend on the load. The fixed costs
of a Dask run (starting the workers, sending the network, returning the routes) weigh more on
a lighter search: ``--work-per-district 1`` runs about four times faster and shows a smaller
speed-up.

Run from the repository root, niced (the machine may be shared)::

    PYTHONPATH=. nice -n 10 python benchmarks/distributor.py          # 5k, 20k, 50k (~25 min)
    PYTHONPATH=. nice -n 10 python benchmarks/distributor.py --sizes 5000 --workers 1 2

Results go to ``--out`` as ``distributor.json`` and ``distributor.md`` (the stored ones are in
``benchmarks/data/distributor/``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).parent / "data" / "distributor"
SEED = 20_261_201
SIZES = (5000, 20000, 50000)


def _rss_mb() -> float:
    """This process's peak resident set so far, in MB (Linux reports kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_s() -> float:
    """CPU seconds (user and system) this process has used so far."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def subscribers(index, count: int, seed: int = SEED):
    """``count`` subscribers along the streets of ``index``, the same for the same seed."""
    import numpy as np

    from route.model.subscriber import DeliverySpot, Subscriber

    geoms = index._geoms  # one line per usable street segment
    lengths = np.array([g.length for g in geoms])
    rng = np.random.default_rng(seed)
    seg = rng.choice(len(geoms), size=count, p=lengths / lengths.sum())
    along = rng.uniform(0.02, 0.98, size=count)
    jitter = rng.normal(0.0, 3.0, size=count)
    off = rng.uniform(4.0, 25.0, size=count) * np.where(rng.random(count) < 0.5, 1.0, -1.0)
    points = []
    for k in range(count):
        line = geoms[int(seg[k])]
        at = min(max(0.0, float(along[k]) * line.length + float(jitter[k])), line.length)
        a = line.interpolate(max(0.0, at - 0.5))
        b = line.interpolate(min(line.length, at + 0.5))
        dx, dy = b.x - a.x, b.y - a.y
        norm = max(1e-9, math.hypot(dx, dy))
        p = line.interpolate(at)
        points.append((p.x - dy / norm * off[k], p.y + dx / norm * off[k]))
    latlon = index.to_latlon(points)
    out = []
    for k, (lat, lon) in enumerate(latlon, start=1):
        lat, lon = round(lat, 7), round(lon, 7)
        out.append(
            Subscriber(
                id=f"S{k:06d}",
                name=f"Subscriber {k}",
                lat=lat,
                lon=lon,
                spot=DeliverySpot("front_door", lat, lon),
            )
        )
    return out


def districts(index, subs, district_size: int) -> tuple[dict[str, str], float]:
    """Districts of about ``district_size`` stops on street distances, and the seconds taken."""
    import numpy as np

    from route.districts.assign import Capacity, assign
    from route.districts.streets import StreetRows

    t0 = time.perf_counter()
    curbs = index.snap([(s.spot.lat, s.spot.lon) for s in subs])
    count = max(1, round(len(subs) / district_size))
    xy = np.array([(c.x, c.y) for c in curbs])
    found = assign(xy, Capacity.balanced(len(subs), count), distance_rows=StreetRows(index, curbs))
    return found.names([s.id for s in subs]), time.perf_counter() - t0


def one(n: int, workers: int, args: argparse.Namespace) -> dict:
    """One size with one worker count, in this process: what the parent prints."""
    from route.cli.common import _load_index, _Reporter
    from route.districts.parallel import plan_district, plan_districts
    from route.io.workspace import Settings
    from route.model.subscriber import Depot
    from route.routebook.plan import PlanOptions
    from route.teaching.demo import DEMO_DEPOT

    index = _load_index(Settings("demo", "walk", Depot(0, 0)), _Reporter(True))
    t0 = time.perf_counter()
    subs = subscribers(index, n)
    made_s = time.perf_counter() - t0
    membership, assign_s = districts(index, subs, args.district_size)
    say = _Reporter(quiet=not args.verbose)
    opts = PlanOptions(
        time_limit=args.work_per_district * args.cap_factor,
        work_s=args.work_per_district,
        seed=1,
    )
    workers_mb: list[float] = []
    workers_cpu = 0.0
    scheduler_mb = None
    t0 = time.perf_counter()
    cpu0 = _cpu_s()
    if workers == 1:
        book = plan_districts(subs, membership, index, DEMO_DEPOT, opts, workers=1, say=say)
        wall = time.perf_counter() - t0
    else:
        import logging

        from dask.distributed import Client, LocalCluster

        # The cluster plan_districts would start itself, started here so that its workers'
        # peak memory can be read before it closes.
        with (
            LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                dashboard_address=None,
                silence_logs=logging.ERROR,
            ) as cluster,
            Client(cluster, set_as_default=False) as client,
        ):
            book = plan_districts(
                subs,
                membership,
                index,
                DEMO_DEPOT,
                opts,
                scheduler=cluster.scheduler_address,
                say=say,
            )
            wall = time.perf_counter() - t0
            workers_mb = sorted(client.run(_rss_mb).values())
            workers_cpu = sum(client.run(_cpu_s).values())
            scheduler_mb = client.run_on_scheduler(_rss_mb)
    cpu = _cpu_s() - cpu0 + workers_cpu
    digest = hashlib.sha256(book.to_json().encode()).hexdigest()[:16]
    stopped = sorted({d.get("stopped_by", "-") for d in book.solver["districts"]})
    quality = []
    if workers == 1 and args.quality_sample:
        from route.districts.parallel import group_districts

        longer = PlanOptions(
            time_limit=args.work_per_district * args.quality_factor * args.cap_factor,
            work_s=args.work_per_district * args.quality_factor,
            seed=1,
        )
        groups = group_districts(subs, membership)
        step = max(1, len(groups) // args.quality_sample)
        for i in range(0, len(groups), step)[: args.quality_sample]:
            alone = plan_district(groups[i], DEMO_DEPOT, index, longer)
            if alone is not None and alone.routes[0].distance_m:
                quality.append(book.routes[i].distance_m / alone.routes[0].distance_m)
    return {
        "subscribers": n,
        "workers": workers,
        "districts": len(book.routes),
        "routed": len(book.order),
        "unserved": len(book.unserved),
        "generate_s": round(made_s, 2),
        "assign_s": round(assign_s, 2),
        "plan_s": round(wall, 2),
        "cpu_s": round(cpu, 1),
        "planner_peak_mb": round(_rss_mb(), 1),
        "worker_peak_mb": [round(m, 1) for m in workers_mb],
        "scheduler_peak_mb": None if scheduler_mb is None else round(scheduler_mb, 1),
        "distance_km": round(book.distance_m / 1000, 2),
        "book_digest": digest,
        "stopped_by": stopped,
        "quality_ratios": [round(q, 4) for q in quality],
    }


def slope(xs: list[float], ys: list[float]) -> float:
    """Least-squares slope of log(ys) against log(xs)."""
    lx, ly = [math.log(x) for x in xs], [math.log(y) for y in ys]
    mx, my = sum(lx) / len(lx), sum(ly) / len(ly)
    den = sum((a - mx) ** 2 for a in lx)
    return sum((a - mx) * (b - my) for a, b in zip(lx, ly, strict=True)) / den if den else math.nan


def table(results: list[dict], args: argparse.Namespace) -> str:
    """The results as a Markdown report."""
    lines = [
        f"Districts of about {args.district_size} stops; {args.work_per_district:g} calibrated "
        f"s of search per district (cap {args.cap_factor:g}x); {os.cpu_count()} cores.",
        "",
        "| subscribers | districts | workers | assign s | plan s | CPU s | s per 1,000 | "
        "speed-up | planner peak MB | worker peak MB | scheduler MB | same book |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | --- |",
    ]
    sizes = sorted({r["subscribers"] for r in results})
    for n in sizes:
        rows = sorted((r for r in results if r["subscribers"] == n), key=lambda r: r["workers"])
        base = next((r for r in rows if r["workers"] == 1), None)
        digests = {r["book_digest"] for r in rows}
        for r in rows:
            speed = f"{base['plan_s'] / r['plan_s']:.2f}x" if base else "-"
            workers = ", ".join(f"{m:,.0f}" for m in r["worker_peak_mb"]) or "-"
            sched = f"{r['scheduler_peak_mb']:,.0f}" if r["scheduler_peak_mb"] else "-"
            lines.append(
                f"| {n:,} | {r['districts']} | {r['workers']} | {r['assign_s']:.1f} | "
                f"{r['plan_s']:.1f} | {r.get('cpu_s', 0):.0f} | {1000 * r['plan_s'] / n:.2f} | "
                f"{speed} | "
                f"{r['planner_peak_mb']:,.0f} | {workers} | {sched} | "
                f"{'yes' if len(digests) == 1 else 'NO'} |"
            )
    lines.append("")
    for w in sorted({r["workers"] for r in results}):
        pts = sorted((r["subscribers"], r["plan_s"]) for r in results if r["workers"] == w)
        if len(pts) > 1:
            exp = slope([p[0] for p in pts], [p[1] for p in pts])
            lines.append(f"- growth exponent of plan time, {w} worker(s): {exp:.2f} (1 = linear)")
    for r in results:
        if r["quality_ratios"]:
            q = r["quality_ratios"]
            lines.append(
                f"- quality at {r['subscribers']:,}: length / length with "
                f"{args.quality_factor:g}x the work, over {len(q)} districts: mean "
                f"{sum(q) / len(q):.4f}, worst {max(q):.4f}"
            )
    stops = sorted({s for r in results for s in r["stopped_by"]})
    lines.append(f"- searches stopped by: {', '.join(stops)}")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--district-size", type=int, default=250)
    ap.add_argument(
        "--work-per-district",
        type=float,
        default=5.0,
        help="calibrated seconds of search per district (the counted work budget); 5 is what "
        "plan spends by default (--time-limit 5 per district), 1 a quicker run",
    )
    ap.add_argument("--cap-factor", type=float, default=10.0, help="time cap over the work")
    ap.add_argument("--quality-sample", type=int, default=5, help="districts re-planned alone")
    ap.add_argument("--quality-factor", type=float, default=4.0, help="their work multiple")
    ap.add_argument("--out", type=Path, default=Path("/tmp/paperroute-distributor"))
    ap.add_argument("--json", action="store_true", help="print the results as JSON, not a table")
    ap.add_argument("--verbose", action="store_true", help="progress of each plan on stderr")
    ap.add_argument("--one", nargs=2, type=int, metavar=("N", "W"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(*args.one, args)))
        return
    results = []
    passed = list(sys.argv[1:])
    for n in args.sizes:
        for w in args.workers:
            print(f"{n:,} subscribers, {w} worker(s) ...", file=sys.stderr, flush=True)
            cmd = [sys.executable, __file__, *passed, "--one", str(n), str(w)]
            done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, check=False)
            if done.returncode:
                sys.stderr.write(done.stderr)
                raise SystemExit(f"{n} subscribers with {w} worker(s) failed")
            results.append(json.loads(done.stdout.strip().splitlines()[-1]))
            print(f"  plan {results[-1]['plan_s']:.1f} s", file=sys.stderr, flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    report = table(results, args)
    (args.out / "distributor.json").write_text(json.dumps(results, indent=1) + "\n")
    (args.out / "distributor.md").write_text(report)
    print(json.dumps(results, indent=1) if args.json else report)


if __name__ == "__main__":
    main()
