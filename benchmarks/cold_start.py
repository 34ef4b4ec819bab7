"""The first plan on a fresh machine against the same plan once everything is cached.

Usage::

    PYTHONPATH=$PWD python benchmarks/cold_start.py [--carriers 1,3] [--runs 2]

A demo workspace is made first (in a folder of its own). Then each plan runs as a new process,
``paperroute plan WS --carriers N --reoptimize --yes``: *cold* with empty caches
(``PAPERROUTE_CACHE_DIR`` for the compiled search and this machine's measured speed,
``NUMBA_CACHE_DIR`` for the lower bound), *warm* right after with the caches it filled. Run
from a source checkout, cold includes compiling the search; from an installed package it does
not. The table gives the wall time of each and their ratio (the target: at most 2).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run(args: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, "-W", "ignore", "-m", "route.cli.main", *args],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--carriers", default="1,3")
    ap.add_argument("--runs", type=int, default=2)
    args = ap.parse_args(argv)
    base = {**os.environ, "PYTHONPATH": os.environ.get("PYTHONPATH", str(ROOT))}
    print(f"{'carriers':>8} {'run':>4} {'cold s':>8} {'warm s':>8} {'cold/warm':>10}")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        demo_env = {**base, "PAPERROUTE_CACHE_DIR": str(root / "demo-cache")}
        _run(["demo", "--out", str(root / "demo")], demo_env)
        for k in (int(x) for x in args.carriers.split(",")):
            for run in range(args.runs):
                ws = root / f"ws-{k}-{run}"
                subprocess.run(["cp", "-r", str(root / "demo"), str(ws)], check=True)
                env = {
                    **base,
                    "PAPERROUTE_CACHE_DIR": str(root / f"cache-{k}-{run}"),
                    "NUMBA_CACHE_DIR": str(root / f"numba-{k}-{run}"),
                }
                plan = ["plan", str(ws), "--carriers", str(k), "--reoptimize", "--yes"]
                cold = _run(plan, env)
                warm = _run(plan, env)
                print(f"{k:>8} {run + 1:>4} {cold:>8.1f} {warm:>8.1f} {cold / warm:>10.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
