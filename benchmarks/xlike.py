"""Write CVRP instances drawn the way CVRPLIB's X set was (Uchoa et al. 2017), for testing the
multi-carrier search on instances it was never tuned on.

Usage::

    python benchmarks/xlike.py [--tuning] [--out DIR]

Each instance follows the X set's recipe on the 1000 x 1000 grid: a depot in the centre, in a
corner or anywhere; customers scattered at random, in 3 to 8 clusters (a point is kept with
probability exp(-d/40) summed over the cluster seeds), or half and half; demands all 1, 1-10,
5-10, 1-100, 50-100, by quadrant (1-50 or 51-100), or many small and a few large; a capacity
that makes routes of r customers on average, r drawn from 3 to 25. ``k`` in a name is the
bin-packing bound on the routes (total demand over capacity), so ``k + 1`` carriers always
suffice in practice. The instances have no best-known costs: the benchmark compares solvers
with each other. The draws are seeded, so the files are the same on every run.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np

#: (customers, seed): sizes between the repository's tuned X instances.
INSTANCES = ((147, 1), (189, 2), (227, 3), (269, 4), (312, 5), (350, 6))
#: (customers, seed) of the tuning draws (``--tuning``): the search's changes are compared on
#: these, with many routes, never on the untuned set above.
TUNING = ((160, 21), (200, 22), (240, 23), (280, 24), (300, 25), (180, 26), (220, 27), (260, 28),
          (320, 29), (170, 30), (210, 31), (250, 32))  # fmt: skip


def draw(n: int, seed: int) -> tuple[str, np.ndarray, list[int], int, str]:
    rng = np.random.default_rng(seed)
    depot = ("C", "E", "R")[seed % 3]
    layout = ("R", "C", "RC")[(seed // 3 + seed) % 3]
    kind = ("1-100", "SL", "Q", "1-10", "50-100", "5-10")[seed % 6]
    xy = np.zeros((n + 1, 2))
    xy[0] = {"C": (500, 500), "E": (0, 0), "R": tuple(rng.integers(0, 1001, 2))}[depot]
    clustered = {"R": 0, "C": n, "RC": n // 2}[layout]
    seeds = rng.integers(0, 1001, size=(int(rng.integers(3, 9)), 2))
    i = 1
    while i <= clustered:
        p = rng.integers(0, 1001, 2)
        w = float(np.exp(-np.hypot(*(seeds - p).T) / 40).sum())
        if rng.random() < min(w, 1.0):
            xy[i] = p
            i += 1
    while i <= n:
        xy[i] = rng.integers(0, 1001, 2)
        i += 1
    if kind == "SL":
        small = rng.random(n) < rng.uniform(0.7, 0.95)
        q = np.where(small, rng.integers(1, 11, n), rng.integers(50, 101, n))
    elif kind == "Q":
        odd = ((xy[1:, 0] > 500) ^ (xy[1:, 1] > 500)).astype(bool)
        q = np.where(odd, rng.integers(51, 101, n), rng.integers(1, 51, n))
    else:
        lo, hi = (int(x) for x in kind.split("-"))
        q = rng.integers(lo, hi + 1, n)
    r = rng.triangular(3, 6, 25)
    cap = math.ceil(r * q.sum() / n)
    cap = max(cap, int(q.max()))
    k = math.ceil(q.sum() / cap)
    name = f"XL-n{n + 1}-k{k}"
    note = f"depot {depot}, customers {layout}, demands {kind}, seed {seed}"
    return name, xy, [0, *(int(x) for x in q)], cap, note


def write(out: Path, instances: tuple[tuple[int, int], ...] = INSTANCES) -> None:
    out.mkdir(parents=True, exist_ok=True)
    names = []
    for n, seed in instances:
        name, xy, q, cap, note = draw(n, seed)
        lines = [
            f"NAME : {name}",
            f"COMMENT : X-like draw (Uchoa et al. 2017 recipe): {note}",
            "TYPE : CVRP",
            f"DIMENSION : {n + 1}",
            "EDGE_WEIGHT_TYPE : EUC_2D",
            f"CAPACITY : {cap}",
            "NODE_COORD_SECTION",
            *(f"{j + 1}\t{int(x)}\t{int(y)}" for j, (x, y) in enumerate(xy)),
            "DEMAND_SECTION",
            *(f"{j + 1}\t{d}" for j, d in enumerate(q)),
            "DEPOT_SECTION",
            "1",
            "-1",
            "EOF",
        ]
        (out / f"{name}.vrp").write_text("\n".join(lines) + "\n")
        names.append(name)
    (out / "bks.txt").write_text("".join(f"{name}: -\n" for name in names))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, help="default: data/cvrp_untuned (data/cvrp_tuning)")
    ap.add_argument("--tuning", action="store_true", help="write the tuning draws instead")
    args = ap.parse_args()
    data = Path(__file__).parent / "data"
    out = args.out or data / ("cvrp_tuning" if args.tuning else "cvrp_untuned")
    write(out, TUNING if args.tuning else INSTANCES)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
