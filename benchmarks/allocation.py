"""How long the day's allocation takes, and proof that it is the exact lexicographic optimum.

For 120, 1,000 and 5,000 subscribers on a short day (paper and tabloid short, a late bundle,
complaints, substitutes, every tier), :func:`route.day.allocation.allocate` is timed (best of
three). With ``--check`` the same levels are also solved by CP-SAT one after another, each
proven optimal with no time limit, and the optimum of every level is compared: they must be
equal. CP-SAT is what the day used before (the level-by-level solve this replaced).

Run from the repository root::

    PYTHONPATH=. python benchmarks/allocation.py [--check] [--sizes 120 1000 5000]

The subscribers are generated from a fixed seed, so every run measures the same instances.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Mapping, Sequence
from typing import Any

from route.day.allocation import Allocation, Demand, allocate, going_without
from route.model.policy import DEFAULT_POLICY, Policy


def instance(n: int, seed: int = 0) -> tuple[list[Demand], dict[str, int], dict[str, int]]:
    """``n`` subscribers of a short day: demands, the morning supply and a late bundle."""
    rng = random.Random(seed)
    demands = []
    need = {"paper": 0, "tabloid": 0, "sunday": 0}
    for i in range(n):
        tier = rng.choices(("household", "sample", "complimentary", "paying"), (1, 3, 5, 91))[0]
        product = rng.choices(("paper", "tabloid", "sunday"), (85, 10, 5))[0]
        others = [p for p in need if p != product]
        subs = tuple(rng.sample(others, rng.choice((0, 0, 1, 2))))
        qty = 2 if rng.random() < 0.03 else 1
        need[product] += qty
        demands.append(
            Demand(
                f"S{i:05d}",
                tier,
                qty,
                (product, *subs),
                rank=rng.randint(1, n),
                shorted_last_day=rng.random() < 0.1,
            )
        )
    for k, d in enumerate(rng.sample(demands, max(1, n // 50))):  # complaints: replacements
        demands.append(Demand(f"{d.key}#r{k}", d.tier, 1, d.options, d.rank, replacement=True))
    supply = {"paper": int(need["paper"] * 0.92), "tabloid": int(need["tabloid"] * 0.8),
              "sunday": need["sunday"]}  # fmt: skip
    late = {"paper": max(1, n // 40)}
    return demands, supply, late


def best_of(k: int, fn: Any) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(k):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


# -- the reference: the same levels with CP-SAT, one after another ------------------------------


def cpsat_levels(
    demands: Sequence[Demand], supply: Mapping[str, int], late: Mapping[str, int], policy: Policy
) -> tuple[int, ...]:
    """The optimum of every level (allocation.py's docstring), each proven by CP-SAT."""
    from ortools.sat.python import cp_model

    m = cp_model.CpModel()
    y: dict[tuple[int, int, str], Any] = {}  # (pass, demand, product)
    for i, d in enumerate(demands):
        opts = tuple(dict.fromkeys(d.options if policy.substitutes else d.options[:1]))
        for k, bundle in ((0, supply), (1, late)):
            for p in opts:
                if bundle.get(p, 0) > 0:
                    y[k, i, p] = m.new_int_var(0, min(d.quantity, bundle[p]), f"y{k}_{i}_{p}")
        m.add(sum(v for (k, j, _), v in y.items() if j == i) <= d.quantity)
    for k, bundle in ((0, supply), (1, late)):
        for p, n in bundle.items():
            use = [v for (kk, _, q), v in y.items() if kk == k and q == p]
            if use:
                m.add(sum(use) <= n)
    rotated = [not d.replacement and d.tier not in policy.forgo for d in demands]

    def cls(d: Demand) -> tuple[str, str]:
        if d.replacement:
            return ("replacement", d.tier if d.tier in policy.forgo else "*")
        return ("tier", d.tier)

    def levels(passes: tuple[int, ...]) -> list[Any]:
        def got(i: int) -> Any:
            return sum(v for (k, j, _), v in y.items() if j == i and k in passes)

        def short(i: int) -> Any:
            return demands[i].quantity - got(i)

        def rank_of(i: int, p: str) -> int:
            opts = tuple(dict.fromkeys(demands[i].options))
            return opts.index(p)

        n = range(len(demands))
        out = [
            sum(short(i) for i in n if rotated[i]),
            sum(short(i) for i in n if rotated[i] and demands[i].shorted_last_day),
            sum(demands[i].rank * short(i) for i in n if rotated[i]),
            sum(v for (k, i, p), v in y.items() if k in passes and rotated[i] and rank_of(i, p)),
        ]
        for c in reversed(going_without(policy)):
            out.append(sum(short(i) for i in n if cls(demands[i]) == c))
        out.append(sum(rank_of(i, p) * v for (k, i, p), v in y.items() if k in passes))
        out.append(sum(demands[i].rank * short(i) for i in n if not rotated[i]))
        return out

    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    values = []
    for expr in levels((0,)) + levels((0, 1)):
        if isinstance(expr, int):
            values.append(expr)
            continue
        m.minimize(expr)
        status = solver.solve(m)
        if status != cp_model.OPTIMAL:
            raise RuntimeError(
                f"CP-SAT did not prove a level optimal: {solver.status_name(status)}"
            )
        best = round(solver.objective_value)
        values.append(best)
        m.add(expr <= best)
    return tuple(values)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[120, 1000, 5000])
    p.add_argument("--check", action="store_true", help="compare every level with CP-SAT")
    args = p.parse_args(argv)
    policy = DEFAULT_POLICY
    head = f"{'subscribers':>11}  {'demands':>7}  {'levels':>6}  {'allocate':>9}"
    head += f"  {'CP-SAT, level by level':>23}  {'same optimum':>12}" if args.check else ""
    print(head)
    for n in args.sizes:
        demands, supply, late = instance(n)
        seconds, a = best_of(3, lambda d=demands, s=supply, lt=late: allocate(d, s, policy, lt))
        assert isinstance(a, Allocation)
        assert a.solved
        line = f"{n:>11,}  {len(demands):>7,}  {len(a.levels):>6}  {seconds:>8.3f}s"
        if args.check:
            t0 = time.perf_counter()
            ref = cpsat_levels(demands, supply, late, policy)
            line += (
                f"  {time.perf_counter() - t0:>22.1f}s  {'yes' if ref == a.levels else 'NO':>12}"
            )
        print(line, flush=True)


if __name__ == "__main__":
    main()
