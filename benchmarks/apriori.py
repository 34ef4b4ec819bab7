"""The price of a fixed route: a simulated month on the embedded Helsinki network.

Demo subscribers (mixed schedules: daily, Mon-Sat, Sun-only, Mon/Wed/Fri, Mon-Fri) on the walk
network, with a hold history drawn from a fixed seed (most never hold, some now and then, a few
take long holidays). Three ways to run the month:

- the all-present plan (the usual solve), with absent stops skipped;
- the skip-aware plan (a-priori objective, seeded from the usual solve), with skipping;
- a route re-optimised every morning for the stops present (the lower bound a fixed route pays
  for being fixed).

Run by hand: ``PYTHONPATH=. python benchmarks/apriori.py [--days 31] [--seed 0]``.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import date, timedelta

import numpy as np

from route.io.osm import load_network
from route.io.subscribers import parse_subscribers
from route.network import StreetIndex
from route.routebook.plan import PlanOptions, build_problem, snap_subscribers
from route.routebook.skip_aware import (
    apriori_tour,
    arrival_spread,
    daily_optimum,
    expected_length,
    hold_rates,
    presence,
    shortest_tour,
    simulate_days,
    skipped_length,
    week_of,
)
from route.solver.solve import solve
from route.teaching.demo import DEMO_DEPOT, demo_rows


def hold_history(subs, first: date, weeks: int, seed: int) -> list[tuple[date, str]]:
    """Recorded holds over ``weeks`` weeks: holiday blocks and single days off."""
    rng = random.Random(seed)
    out = []
    for s in subs:
        kind = rng.random()
        if kind < 0.65:
            continue  # never holds
        if kind < 0.9:  # a day off now and then
            for k in range(weeks * 7):
                if rng.random() < 0.06:
                    out.append((first + timedelta(days=k), s.id))
        else:  # frequent holidays: one or two blocks of 4-10 days
            for _ in range(rng.choice((1, 2))):
                start = rng.randrange(weeks * 7)
                for k in range(rng.randint(4, 10)):
                    out.append((first + timedelta(days=start + k), s.id))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=int, default=31, help="days to simulate (default 31)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--time-limit", type=float, default=5.0, help="seconds for the plan solve")
    ap.add_argument("--daily-limit", type=float, default=1.0, help="seconds per daily solve")
    ap.add_argument(
        "--kicks",
        type=int,
        default=25,
        help="iterated-local-search kicks for the second skip-aware plan (default 25)",
    )
    args = ap.parse_args()
    t0 = time.perf_counter()

    def say(msg: str) -> None:
        print(f"[{time.perf_counter() - t0:6.1f}s] {msg}", file=sys.stderr, flush=True)

    say("Loading the embedded walk network and the demo subscribers")
    index = StreetIndex(load_network("demo", "walk"))
    subs = parse_subscribers(demo_rows(), source="demo").subscribers
    snapped = snap_subscribers(subs, DEMO_DEPOT, index)
    subs = snapped.served
    matrix = index.matrix((snapped.depot_curb, *snapped.curbs))
    problem = build_problem(snapped, matrix.distance, matrix.duration, PlanOptions())
    d = problem.distance

    history_first = date(2026, 1, 5)  # eight weeks of recorded holds before the month
    absences = hold_history(subs, history_first, 8, args.seed)
    rates = hold_rates(subs, absences, history_first, history_first + timedelta(days=55))
    p = presence(subs, rates)
    schedules: dict[str, int] = {}
    for s in subs:
        schedules[s.schedule] = schedules.get(s.schedule, 0) + 1
    say(
        f"{len(subs)} stops; schedules {schedules}; "
        f"{sum(r > 0 for r in rates.values())} with holds (mean rate "
        f"{np.mean([r for r in rates.values() if r > 0]):.2f})"
    )

    say(f"All-present plan: route.solver.solve.solve, {args.time_limit:g} s")
    sol = solve(problem, time_limit=args.time_limit, seed=args.seed)
    base = sol.routes[0]
    say("Skip-aware plan: Or-opt/2-opt on the expected length, seeded from it")
    t = time.perf_counter()
    aware = apriori_tour(problem, base, p)
    aware_s = time.perf_counter() - t
    say(f"Skip-aware plan with {args.kicks} kicks of iterated local search")
    t = time.perf_counter()
    kicked = apriori_tour(problem, base, p, kicks=args.kicks, seed=args.seed)
    kicked_s = time.perf_counter() - t
    # The same local search on plain metres: separates what the objective buys from what
    # more search buys.
    polished = shortest_tour(problem, base)

    month_first = date(2026, 3, 1)
    days = simulate_days(subs, month_first, args.days, rates, seed=args.seed + 1)
    rows = []
    for i, day in enumerate(days):
        say(f"  day {i + 1}/{len(days)} {day.date} ({day.date:%a}): {sum(day.present) - 1} stops")
        rows.append(
            (
                day.date,
                sum(day.present) - 1,
                skipped_length(d, base, day.present),
                skipped_length(d, aware, day.present),
                skipped_length(d, polished, day.present),
                skipped_length(d, kicked, day.present),
                daily_optimum(
                    problem, base, day.present, time_limit=args.daily_limit, seed=args.seed
                ),
            )
        )

    fixed = np.array([r[2] for r in rows], dtype=float)
    skip = np.array([r[3] for r in rows], dtype=float)
    pol = np.array([r[4] for r in rows], dtype=float)
    kick = np.array([r[5] for r in rows], dtype=float)
    opt = np.array([r[6] for r in rows], dtype=float)
    print(
        f"\nSimulated month: {len(rows)} days from {month_first}, {len(subs)} stops, walk "
        f"network, seed {args.seed}\n"
    )
    print(
        f"{'date':<10}  {'day':<3}  {'stops':>5}  {'fixed m':>8}  {'skip-aware m':>12}  "
        f"{'re-opt m':>8}  {'fixed/re-opt':>12}"
    )
    for dt, n, f, a, _pl, _k, o in rows:
        print(f"{dt!s:<10}  {dt:%a}  {n:>5}  {f:>8,}  {a:>12,}  {o:>8,}  {f / o:>12.3f}")
    ep_base = expected_length(d, base, p)
    ep_aware = expected_length(d, aware, p)
    full = [True] * (len(subs) + 1)
    print(
        f"\n{'plan':<28}  {'all present m':>13}  {'expected m (exact)':>18}  "
        f"{'month mean m':>12}  {'vs daily re-opt':>15}"
    )
    for name, tour, ep, series in (
        ("all-present plan (fixed)", base, ep_base, fixed),
        ("all-present, Or-opt/2-opt", polished, expected_length(d, polished, p), pol),
        ("skip-aware plan (fixed)", aware, ep_aware, skip),
        (f"skip-aware, {args.kicks} kicks", kicked, expected_length(d, kicked, p), kick),
    ):
        print(
            f"{name:<28}  {skipped_length(d, tour, full):>13,}  {ep:>18,.0f}  "
            f"{series.mean():>12,.0f}  {series.mean() / opt.mean():>14.3f}x"
        )
    print(f"{'re-optimised every day':<28}  {'':>13}  {'':>18}  {opt.mean():>12,.0f}  {1:>14.3f}x")
    print(
        f"\nSkip-aware vs all-present, expected: {ep_aware - ep_base:+,.0f} m a day "
        f"({(ep_aware / ep_base - 1) * 100:+.2f} %); search took {aware_s:.1f} s"
    )
    ep_kick = expected_length(d, kicked, p)
    print(
        f"With {args.kicks} kicks: {ep_kick - ep_base:+,.0f} m a day "
        f"({(ep_kick / ep_base - 1) * 100:+.2f} %); search took {kicked_s:.1f} s"
    )
    print(
        f"Price of a fixed route (month mean, fixed / re-optimised): all-present "
        f"{fixed.mean() / opt.mean():.3f}, skip-aware {skip.mean() / opt.mean():.3f}, "
        f"with kicks {kick.mean() / opt.mean():.3f}"
    )

    week = week_of(month_first, subs)
    for name, tour in (("all-present", base), ("skip-aware", aware), ("with kicks", kicked)):
        spreads = arrival_spread(problem, tour, week)
        ranges = np.array([s.range_s for s in spreads]) / 60
        print(
            f"Arrival times over a week of schedules ({name}): median range "
            f"{np.median(ranges):.1f} min, 90th percentile {np.percentile(ranges, 90):.1f} "
            f"min, largest {ranges.max():.1f} min"
        )
    if max(ep_aware, ep_kick) > ep_base + 1e-6:
        print("ERROR: the skip-aware plan is longer in expectation", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
