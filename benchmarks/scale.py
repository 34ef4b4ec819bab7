"""One operator's workspace at scale: every command's wall time and peak memory, 500 to 5,000 stops.

For each size N, a fresh workspace on the embedded Helsinki walk network takes the first N
subscribers of ``benchmarks/data/scale/subscribers.csv`` (see ``scale_data.py``) and runs, each
step as its own ``paperroute`` process:

``network``     loading the street network and its index alone (the floor of every command;
                the fastest of three runs, so that "beyond the network" is not flattered)
``import``      the N subscribers into the empty workspace
``plan``        one carrier, ``--time-limit`` seconds of search
``plan again``  with nothing changed (writes nothing)
``import 1``    one new subscriber (``new.csv``) into the planned route
``remove 1``    one routed subscriber out of it
``day``         a date with a paper shortage (90% of the papers due)
``sheet``, ``map``, ``export``   of that day

Wall time is measured around each process; peak RSS is that process's own maximum resident set
(``os.wait4``, the child's ``resource`` usage). The table ends with each step's growth exponent:
the slope of log(time) and of log(peak RSS) against log(N), fitted over the sizes run (1 means
linear, 2 quadratic). Its last two rows give what ``import 1`` and ``remove 1`` took beyond
loading the network, timed inside the process (the command's time less the time spent in
loading the network; the interpreter's start and the package's import come before either).

Run by hand from the repository root, niced (the machine may be shared)::

    PYTHONPATH=. nice -n 15 python benchmarks/scale.py                  # 500, 1,000, 2,000, 5,000
    PYTHONPATH=. nice -n 15 python benchmarks/scale.py --sizes 500 1000 --time-limit 10

Results are also written as JSON to ``--out`` (default ``/tmp/paperroute-scale``).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

DATA = Path(__file__).parent / "data" / "scale"
ROOT = Path(__file__).resolve().parent.parent
DATE = "2026-11-24"  # a Tuesday

STEPS = (
    "network",
    "import",
    "plan",
    "plan again",
    "import 1",
    "remove 1",
    "day",
    "sheet",
    "map",
    "export",
)

_NETWORK = (
    "from route.io.osm import load_network; from route.network import StreetIndex; "
    "StreetIndex(load_network('demo', 'walk'))"
)
_CLI = "import sys; from route.cli import main; sys.exit(main(sys.argv[1:]))"
#: The command line with the time spent loading the street network (``_load_index``) taken
#: out of the command's own time, printed as ``beyond the network: S s`` on standard error:
#: what an edit costs once the network is there, measured in the process itself instead of
#: as a difference of two noisy wall times.
_CLI_TIMED = """
import sys, time
import route.cli.common as common
from route.cli import main
spent = [0.0]
load = common._load_index
def timed(*args, **kwargs):
    t0 = time.perf_counter()
    try:
        return load(*args, **kwargs)
    finally:
        spent[0] += time.perf_counter() - t0
common._load_index = timed
t0 = time.perf_counter()
code = main(sys.argv[1:])
sys.stderr.write(f"beyond the network: {time.perf_counter() - t0 - spent[0]:.3f} s\\n")
sys.exit(code)
"""
_BEYOND = "beyond the network: "


def run(args: list[str], log: Path) -> tuple[float, float, int]:
    """Run one Python child; return (wall seconds, peak RSS in MB, exit status)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with log.open("a", encoding="utf-8") as out:
        out.write(f"\n$ {' '.join(args)}\n")
        out.flush()
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, *args], stdout=out, stderr=out, env=env)
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_maxrss / 1024, proc.returncode


def papers_due(path: Path, n: int) -> int:
    """Papers due on :data:`DATE` (a Tuesday) among the first ``n`` subscribers."""
    with path.open(encoding="utf-8") as f:
        rows = [r for _, r in zip(range(n), csv.DictReader(f), strict=False)]
    tuesday = {"daily", "Mon-Sat"}
    return sum(1 for r in rows if r["product"] == "paper" and r["days"] in tuesday)


def measure(n: int, out: Path, time_limit: float) -> dict[str, tuple[float, float, str]]:
    """Run every step on a fresh workspace of ``n`` subscribers."""
    ws = out / f"ws-{n}"
    shutil.rmtree(ws, ignore_errors=True)
    log = out / f"log-{n}.txt"
    log.unlink(missing_ok=True)
    subs = out / f"subscribers-{n}.csv"
    with (DATA / "subscribers.csv").open(encoding="utf-8") as f:
        lines = f.readlines()
    subs.write_text("".join(lines[: n + 1]), encoding="utf-8")
    with (DATA / "subscribers.csv").open(encoding="utf-8") as f:
        victim = list(csv.DictReader(f))[n // 2]["id"]
    supply = int(papers_due(DATA / "subscribers.csv", n) * 0.9)
    holds = out / f"holds-{n}.csv"
    with (DATA / "subscribers.csv").open(encoding="utf-8") as f:
        ids = [r["id"] for r in csv.DictReader(f)][:n]
    # 3% of the subscribers on hold that day: their stops are bypassed on the streets.
    holds.write_text(
        "id,from,to\n" + "".join(f"{i},{DATE},{DATE}\n" for i in ids[7::33]), encoding="utf-8"
    )
    cli = ["-c", _CLI]
    init = [*cli, "init", str(ws), "--network", "demo", "--depot", "60.17098,24.94335"]
    wall, rss, code = run(init, log)
    if code:
        raise SystemExit(f"init failed; see {log}")
    commands = {
        "network": ["-c", _NETWORK],
        "import": [*cli, "import", str(ws), str(subs)],
        "plan": [*cli, "plan", str(ws), "--time-limit", f"{time_limit:g}"],
        "plan again": [*cli, "plan", str(ws)],
        "import 1": ["-c", _CLI_TIMED, "import", str(ws), str(DATA / "new.csv")],
        "remove 1": ["-c", _CLI_TIMED, "remove", str(ws), victim],
        "day": [
            *cli,
            "day",
            str(ws),
            "--date",
            DATE,
            "--holds",
            str(holds),
            "--supply",
            f"paper={supply}",
        ],
        "sheet": [*cli, "sheet", str(ws), "--date", DATE],
        "map": [*cli, "map", str(ws), "--date", DATE],
        "export": [*cli, "export", str(ws), "--date", DATE],
    }
    results: dict[str, tuple[float, float, str]] = {}
    for step in STEPS:
        wall, rss, code = run(commands[step], log)
        if step == "network":
            for _ in range(2):
                again = run(commands[step], log)
                wall, rss = min(wall, again[0]), max(rss, again[1])
        note = ""
        if code and step == "day":
            # The day's allocation may fail on a shortage this large; the day is then run with
            # full supply so that the sheet, map and export have a day to show.
            note = f"failed (exit {code}) after"
            wall2, rss2, code = run([a for a in commands[step] if not a.startswith("paper=")
                                     and a != "--supply"], log)  # fmt: skip
            note += f" {wall:.1f} s, {rss:.0f} MB; with full supply:"
            wall, rss = wall2, rss2
        if code:
            raise SystemExit(f"{step} at {n} failed (exit {code}); see {log}")
        if step in ("import 1", "remove 1"):
            lines = log.read_text(encoding="utf-8").splitlines()
            said = [x for x in lines if x.startswith(_BEYOND)]
            beyond = float(said[-1].split(_BEYOND)[1].split()[0])
            results[f"{step} beyond"] = (beyond, 0.0, "")
        results[step] = (wall, rss, note)
        print(
            f"  {n:>5} {step:<11} {note} {wall:8.2f} s {rss:8.0f} MB", file=sys.stderr, flush=True
        )
    return results


def slope(xs: list[float], ys: list[float]) -> float:
    """Least-squares slope of log(y) against log(x)."""
    lx = [math.log(x) for x in xs]
    ly = [math.log(max(y, 1e-9)) for y in ys]
    mx, my = sum(lx) / len(lx), sum(ly) / len(ly)
    den = sum((a - mx) ** 2 for a in lx)
    return sum((a - mx) * (b - my) for a, b in zip(lx, ly, strict=True)) / den if den else 0.0


def table(all_results: dict[int, dict[str, tuple[float, float, str]]]) -> str:
    sizes = sorted(all_results)
    head = "| step | " + " | ".join(f"{n:,} stops" for n in sizes)
    head += " | exponent (time, RSS) |" if len(sizes) > 1 else " |"
    lines = [head, "|" + " --- |" * (len(sizes) + 1 + (len(sizes) > 1))]
    for step in STEPS:
        cells = [
            f"{all_results[n][step][2]} {all_results[n][step][0]:.2f} s, "
            f"{all_results[n][step][1]:.0f} MB".strip()
            for n in sizes
        ]
        row = f"| {step} | " + " | ".join(cells) + " |"
        if len(sizes) > 1:
            t = slope([float(n) for n in sizes], [all_results[n][step][0] for n in sizes])
            m = slope([float(n) for n in sizes], [all_results[n][step][1] for n in sizes])
            row += f" {t:.2f}, {m:.2f} |"
        lines.append(row)
    for step in ("import 1", "remove 1"):
        cells = []
        for n in sizes:
            own = all_results[n].get(f"{step} beyond")
            cells.append(f"{own[0]:.2f} s" if own else "")
        pad = " | |" if len(sizes) > 1 else " |"
        lines.append(f"| {step}, beyond loading the network | " + " | ".join(cells) + pad)
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[500, 1000, 2000, 5000])
    ap.add_argument("--time-limit", type=float, default=30.0, help="plan's --time-limit")
    ap.add_argument("--out", type=Path, default=Path("/tmp/paperroute-scale"))
    args = ap.parse_args()
    if max(args.sizes) > 5000 or min(args.sizes) < 1:
        ap.error("sizes run from 1 to 5,000 (the rows of benchmarks/data/scale/subscribers.csv)")
    args.out.mkdir(parents=True, exist_ok=True)
    # Build the compiled search before measuring (it is cached beside the package).
    run(["-c", "from route.solver.tour import _engine; _engine()"], args.out / "warmup.txt")
    all_results = {}
    for n in args.sizes:
        all_results[n] = measure(n, args.out, args.time_limit)
        (args.out / "results.json").write_text(json.dumps(all_results, indent=1))
    print(table(all_results))


if __name__ == "__main__":
    main()
