"""Faults from outside the product: kills at random points, a full disk, a read-only workspace,
Ctrl-C and SIGTERM, and a damaged compiled-code cache.

Every fault is put in from outside: tests/crash.py wraps functions, or counts SQLite statements
or the product's function calls, and SIGKILLs the process at a point drawn from a seeded
generator; a private mount namespace gives a small tmpfs or a read-only bind mount. After each
fault the workspace holds either its previous state or the complete new one, and the command
run again finishes the work. The suite tries a few kills per command; the long profile
(``pytest --hypothesis-profile long tests/test_faults.py``) tries 24 each."""

from __future__ import annotations

import json
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.faultkit import (
    ROOT,
    UPDATE,
    consistent_files,
    env,
    grid_workspace,
    paperroute,
    state,
)

COMMANDS = {
    "import": ["import", "{ws}", "{update}"],
    "plan": ["plan", "{ws}", "--time-limit", "1"],
    "day": ["day", "{ws}", "--date", "2024-06-04", "--supply", "paper=1"],
}
#: Named points where a power cut lands, by command: inside the transaction, just after the
#: commit (the workspace closed), around the files written after it.
CUTS = {
    "import": [
        ["route.io.workspace:Workspace.upsert_subscribers", "after"],
        ["route.io.workspace:Workspace.save_book", "before"],
        ["route.io.workspace:Workspace.save_book", "after"],
        ["route.io.workspace:Workspace.close", "before"],  # just after the commit
    ],
    "plan": [
        ["route.routebook.plan:plan", "after"],
        ["route.io.workspace:Workspace.save_book", "after"],
        ["route.io.workspace:Workspace.close", "before"],
    ],
    "day": [
        ["route.io.workspace:Workspace.save_day", "after"],
        ["route.cli.day_cmds:atomic_write", "before"],
        ["route.cli.day_cmds:atomic_write", "after"],
        ["os:replace", "before"],
        ["os:fsync", "after"],
    ],
}


@pytest.fixture(scope="module")
def bases(tmp_path_factory) -> dict[str, Path]:
    """The starting workspace of each command: planned with a day (import, day) or unplanned."""
    root = tmp_path_factory.mktemp("bases")
    (root / "update.csv").write_text(UPDATE)
    return {
        "import": grid_workspace(root / "import"),
        "plan": grid_workspace(root / "plan", plan=False),
        "day": grid_workspace(root / "day"),
        "update": root / "update.csv",
    }


def _args(command: str, ws: Path, bases: dict[str, Path]) -> list[str]:
    return [a.format(ws=ws, update=bases["update"]) for a in COMMANDS[command]]


def _points(command: str, count: int, statements: int, calls: int) -> list[list[str]]:
    """``count`` kill points drawn from a seeded generator: SQL statements, named cuts and calls
    of the product's functions, counted rather than timed, so every machine gets the same ones."""
    rng = random.Random(f"kills-{command}-{count}")
    points: list[list[str]] = []
    for i in range(count):
        kind = ("sql", "cut", "call")[i % 3]
        if kind == "sql":
            points.append([f"sql:{rng.randint(1, statements)}"])
        elif kind == "cut":
            target, when = rng.choice(CUTS[command])
            points.append([target, f"{when}:{rng.randint(1, 2)}" if "os:" in target else when])
        else:
            points.append([f"call:{rng.randint(1, calls)}"])
    return points


def _core(s: dict) -> dict:
    """The database's part of a state (day files are checked on their own)."""
    return {k: v for k, v in s.items() if k != "day_files"}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_killed_at_random_points_leaves_the_old_state_or_the_new_one(
    command, bases, tmp_path, long_profile
):
    base = bases[command]
    # The complete new state, from a run that nobody kills; and the run's size, for the points.
    reference = tmp_path / "reference"
    shutil.copytree(base, reference)
    counted = paperroute(*_args(command, reference, bases), crash=["count"])
    assert counted.returncode == 0, counted.stderr
    sizes = re.search(r"sql=(\d+) calls=(\d+)", counted.stderr)
    assert sizes is not None, counted.stderr
    statements, calls = int(sizes[1]), int(sizes[2])
    before, after = _core(state(base)), _core(state(reference))
    assert before != after
    kills = 24 if long_profile else 3
    outcomes = []
    for n, point in enumerate(_points(command, kills, statements, calls)):
        ws = tmp_path / f"ws{n}"
        shutil.copytree(base, ws)
        run = paperroute(*_args(command, ws, bases), crash=point)
        now = _core(state(ws))  # also checks the database's integrity
        assert now in (before, after), (point, run.returncode, run.stderr)
        assert "Traceback" not in run.stderr
        committed = now == after
        outcomes.append((point, run.returncode, committed))
        if not committed:  # run again: the work is done in full
            again = paperroute(*_args(command, ws, bases))
            assert again.returncode == 0, again.stderr
            assert _core(state(ws)) == after
        if command == "day":
            # Whatever the kill left of the day's files, the next day run puts them right.
            assert paperroute("day", str(ws), "--date", "2024-06-05").returncode == 0
            assert consistent_files(ws)
    print(f"\n{command}: {len(outcomes)} kills: " + "; ".join(
        f"{' '.join(p)} -> exit {c}, {'new' if k else 'previous'} state" for p, c, k in outcomes
    ))  # fmt: skip
    assert any(code == -signal.SIGKILL for _p, code, _c in outcomes)


# -- a full disk -----------------------------------------------------------------------------


def _namespace_problem() -> str | None:
    """Why a private mount namespace cannot be had here, or None when it can."""
    if sys.platform != "linux" or shutil.which("unshare") is None:
        return "no unshare(1) on this machine"
    probe = subprocess.run(
        ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", "mount -t tmpfs t /mnt"],
        capture_output=True,
        text=True,
    )
    if probe.returncode != 0:
        return f"mounting a tmpfs is not allowed here ({probe.stderr.strip() or probe.returncode})"
    return None


def _in_namespace(*args: str) -> dict:
    run = subprocess.run(
        ["unshare", "--user", "--map-root-user", "--mount", sys.executable,
         str(ROOT / "tests" / "faultkit.py"), *args],
        capture_output=True, text=True, env=env(), timeout=600,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


#: Room left on the disk: none (the database cannot even be opened), too little for the
#: database to grow, and (for a day) enough for the commit but not for day.json. Where each
#: lands depends on the machine's page sizes; the checks hold whichever way it falls.
FULL_DISKS = [("day", 0), ("day", 50_000), ("day", 54_000), ("day", 64_000), ("import", 0)]
FULL_DISKS += [("import", 48_000)]


@pytest.mark.parametrize(("command", "spare"), FULL_DISKS)
def test_a_full_disk_is_reported_and_loses_nothing(command, spare, bases, tmp_path):
    problem = _namespace_problem()
    if problem:
        pytest.skip(f"disk full needs a small tmpfs: {problem}")
    ws = tmp_path / "ws"
    shutil.copytree(bases[command], ws)
    report = _in_namespace("full-disk", str(ws), str(spare), "--", *_args(command, ws, bases))
    before, failed, again = report["before"], report["after_fault"], report["after_again"]
    assert "Traceback" not in report["stderr"]
    if report["code"] != 0:  # the room left was not enough
        assert report["code"] == 1, report["stderr"]
        assert "the disk is full" in report["stderr"]
        strip = {k: v for k, v in failed.items() if k != "day_files"}
        if "Nothing was written" in report["stderr"]:
            assert strip == {k: v for k, v in before.items() if k != "day_files"}
        else:
            assert "saved in the workspace's database" in report["stderr"], report["stderr"]
    # With room again, the command (or, for a day saved already, the file repair) completes.
    assert report["again_code"] in (0, 2), report["again_stderr"]
    assert again["subscribers"] != before["subscribers"] or command == "day"
    assert report["files_consistent"] or command == "day"
    if command == "day":
        assert len(again["days"]) == len(before["days"]) + 1


def test_a_disk_full_while_writing_day_json_keeps_the_day_and_says_so(bases, tmp_path):
    # ENOSPC put in from outside on the write after the commit: works on any machine.
    ws = tmp_path / "ws"
    shutil.copytree(bases["day"], ws)
    run = paperroute(
        *_args("day", ws, bases), crash=["route.cli.day_cmds:atomic_write", "raise-28"]
    )
    assert run.returncode == 1
    assert "the disk is full" in run.stderr
    assert str(ws / "days" / "2024-06-04" / "day.json") in run.stderr
    assert "saved in the workspace's database" in run.stderr
    assert "Traceback" not in run.stderr
    assert not (ws / "days" / "2024-06-04" / "day.json").exists()
    # The next day run puts the missing file right.
    assert paperroute("day", str(ws), "--date", "2024-06-05").returncode == 0
    assert consistent_files(ws)


def test_a_disk_full_before_the_commit_writes_nothing(bases, tmp_path):
    ws = tmp_path / "ws"
    shutil.copytree(bases["import"], ws)
    before = state(ws)
    run = paperroute(
        *_args("import", ws, bases),
        crash=["route.io.workspace:Workspace.save_book", "raise-28"],
    )
    assert run.returncode == 1
    assert "the disk is full" in run.stderr
    assert "Nothing was written: the workspace is as it was before." in run.stderr
    assert state(ws) == before


# -- a read-only workspace -------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["import", "{ws}", "{update}"],
        ["day", "{ws}", "--date", "2024-06-04"],
        ["plan", "{ws}", "--reoptimize", "--yes", "--time-limit", "1"],
        ["sheet", "{ws}"],
    ],
    ids=["import", "day", "plan", "sheet"],
)
def test_a_read_only_workspace_is_reported_and_left_alone(args, bases, tmp_path):
    problem = _namespace_problem()
    if problem:
        pytest.skip(f"a read-only bind mount needs a mount namespace: {problem}")
    ws = tmp_path / "ws"
    shutil.copytree(bases["day"], ws)
    argv = [a.format(ws=ws, update=bases["update"]) for a in args]
    report = _in_namespace("read-only", str(ws), "--", *argv)
    assert report["code"] == 1, report["stderr"]
    assert "read-only" in report["stderr"]
    assert "Nothing was written" in report["stderr"]
    assert "Traceback" not in report["stderr"]
    assert report["after_fault"] == report["before"]
    assert report["again_code"] == 0, report["again_stderr"]


# -- Ctrl-C and SIGTERM ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_workspace(tmp_path_factory) -> Path:
    """The demo's 80 subscribers on the Helsinki network: a plan that takes a while."""
    from route.cli.main import main
    from route.teaching.demo import write_demo_csv

    root = tmp_path_factory.mktemp("demo")
    csv = write_demo_csv(root / "demo.csv")
    ws = root / "ws"
    assert main(["--quiet", "init", str(ws), "--network", "demo"]) == 0
    assert main(["--quiet", "import", str(ws), str(csv)]) == 0
    return ws


@pytest.mark.parametrize(("signum", "code", "word"), [
    (signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated"),
])  # fmt: skip
def test_a_signal_during_the_search_stops_it_and_says_nothing_was_written(
    signum, code, word, demo_workspace, tmp_path
):
    ws = tmp_path / "ws"
    shutil.copytree(demo_workspace, ws)
    before = state(ws)
    proc = subprocess.Popen(
        [sys.executable, "-m", "route.cli", "plan", str(ws), "--carriers", "2",
         "--time-limit", "600"],
        stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env(),
    )  # fmt: skip
    assert proc.stderr is not None
    seen = []
    for line in proc.stderr:  # wait for the search to start, then interrupt it
        seen.append(line)
        if "Solving the route" in line:
            break
    time.sleep(1.0)
    proc.send_signal(signum)
    _out, rest = proc.communicate(timeout=300)  # the search had ten minutes left
    err = "".join(seen) + rest
    assert proc.returncode == code, err
    assert f"paperroute plan: {word}. Nothing was written" in err
    assert "Traceback" not in err
    assert state(ws) == before


# -- a damaged compiled-code cache -----------------------------------------------------------


def test_a_damaged_compiled_code_cache_is_rebuilt_and_the_plan_goes_on(bases, tmp_path):
    # The package is copied with its numba cache (file times kept, so the cache is valid for
    # the copy), and the plan's lower-bound entry is damaged as a crash mid-write leaves it.
    clean = {k: v for k, v in env().items() if k != "NUMBA_CACHE_DIR"}
    warm_bound = (
        "import numpy as np; from route.solver.bound import lower_bound; "
        "d = np.abs(np.subtract.outer(np.arange(9), np.arange(9))).astype(np.int32); "
        "lower_bound(d, range(1, 9))"
    )
    warm = subprocess.run([sys.executable, "-c", warm_bound], env=clean, capture_output=True)
    assert warm.returncode == 0, warm.stderr
    package = tmp_path / "pkg"
    shutil.copytree(ROOT / "route", package / "route")
    cache = package / "route" / "solver" / "__pycache__"
    index = sorted(cache.glob("bound._ascent-*.nbi"))
    data = sorted(cache.glob("bound._ascent-*.nbc"))
    assert index
    assert data
    data[0].write_bytes(data[0].read_bytes()[:100])  # truncated, as a crash mid-write leaves it
    # Run from elsewhere: ``python -m`` puts the working folder first on the path.
    run = {"env": {**clean, "PYTHONPATH": str(package)}, "cwd": tmp_path, "timeout": 900}

    def plan(name: str) -> subprocess.CompletedProcess[str]:
        ws = tmp_path / name
        shutil.copytree(bases["plan"], ws)
        args = [sys.executable, "-m", "route.cli", "--quiet", "plan", str(ws)]
        args += ["--carriers", "2", "--time-limit", "2"]
        return subprocess.run(args, capture_output=True, text=True, **run)

    first = plan("ws")
    assert first.returncode == 0, first.stderr
    assert "the compiled-code cache was damaged" in first.stderr
    assert "Traceback" not in first.stderr
    second = plan("ws2")
    assert second.returncode == 0, second.stderr
    assert "damaged" not in second.stderr  # rebuilt once, good from then on
