"""One writer at a time (DESIGN.md invariant 8): two commands started together on one workspace,
as real processes, never lose, duplicate or resurrect a subscriber, and days see each other.

Each pairing is started while the test itself holds the workspace's write lock, and the lock is
released only once both processes say they are waiting for it: the two always contend, whatever
the machine's speed. Nothing here depends on timing; every wait is bounded far above the work.
"""

from __future__ import annotations

import csv
import itertools
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from route.cli.main import main
from route.errors import ConflictError
from route.io.workspace import DB_NAME, Workspace
from route.teaching.demo import DEMO_DEPOT, demo_rows

ROOT = Path(__file__).resolve().parents[1]
START = 16  # subscribers in the template
WAITING = "Waiting for another paperroute command"
#: Far above any command's work here; only a hang would reach it.
PATIENCE_S = 600


def write_rows(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return path


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    """Demo subscribers made alike for the rotation: paying, one paper, every day."""
    keep = ("id", "name", "address", "lat", "lon", "spot", "spot_lat", "spot_lon")
    return [{k: r[k] for k in keep} for r in demo_rows()[: START + 6]]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory, rows: list[dict[str, str]]) -> Path:
    """A planned workspace of 16 subscribers and one day run (2024-06-02, eight shorted)."""
    tmp = tmp_path_factory.mktemp("writers")
    ws = tmp / "ws"
    depot = f"{DEMO_DEPOT.lat},{DEMO_DEPOT.lon}"
    assert main(["--quiet", "init", str(ws), "--network", "demo", "--depot", depot]) == 0
    assert main(["--quiet", "import", str(ws), str(write_rows(tmp / "a.csv", rows[:START]))]) == 0
    unplanned = tmp / "unplanned"
    shutil.copytree(ws, unplanned)
    assert main(["--quiet", "plan", str(ws), "--time-limit", "1"]) == 0
    for i in range(2):
        write_rows(tmp / f"new{i}.csv", rows[START + 3 * i : START + 3 * i + 3])
    return ws


Started = tuple[subprocess.Popen[str], threading.Event, list[str], threading.Thread]


def _start(ws: Path, args: list[str]) -> Started:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    p = subprocess.Popen(
        [sys.executable, "-m", "route.cli", "--quiet", *args, "--wait", str(PATIENCE_S)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    waiting = threading.Event()
    err: list[str] = []

    def read() -> None:
        assert p.stderr is not None
        for line in p.stderr:
            err.append(line)
            if WAITING in line:
                waiting.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    return p, waiting, err, reader


def run_together(ws: Path, commands: list[list[str]]) -> list[tuple[int, str, str]]:
    """Start the commands while holding the lock; release it once all of them wait for it."""
    hold = sqlite3.connect(ws / DB_NAME, isolation_level=None, timeout=PATIENCE_S)
    hold.execute("BEGIN IMMEDIATE")
    started = [_start(ws, cmd) for cmd in commands]
    try:
        for p, waiting, err, _reader in started:
            if not waiting.wait(PATIENCE_S):
                pytest.fail(f"{p.args} never waited for the lock: {''.join(err)}")
    finally:
        hold.execute("ROLLBACK")
        hold.close()
    out = []
    for p, _waiting, err, reader in started:
        with p:
            stdout = p.stdout.read() if p.stdout else ""
            p.wait(PATIENCE_S)
            reader.join(PATIENCE_S)
        out.append((p.returncode, stdout, "".join(err)))
    return out


def command(kind: str, k: int, ws: Path, ids: tuple[str, ...]) -> list[str]:
    """The ``k``-th command of a kind (0 or 1), disjoint from the other one of its kind."""
    if kind == "import":
        return ["import", str(ws), str(ws.parent / f"new{k}.csv")]
    if kind == "remove":
        return ["remove", str(ws), ids[2 + 2 * k], ids[3 + 2 * k]]
    if kind == "plan":
        return ["plan", str(ws), "--reoptimize", "--yes", "--time-limit", "0.5", "--seed", str(k)]
    # Eight of sixteen go without each day, so who the second day shorts shows whether it saw
    # the first: exactly the other eight.
    return ["day", str(ws), "--date", f"2024-06-0{3 + k}", "--supply", "paper=8"]


def check_workspace(ws: Path, expected_active: set[str]) -> None:
    """Invariant 1 in every version and every day: nobody lost, twice, or back from removal."""
    with Workspace.open(ws) as w:
        active = {s.id for s in w.subscribers()}
        assert active == expected_active
        book = w.latest_book()
        assert book is not None
        order = list(book.order)
        assert len(order) == len(set(order)), "a subscriber routed twice"
        assert set(order) <= active, f"removed subscribers on the route: {set(order) - active}"
        unserved = {u.subscriber_id for u in book.unserved}
        assert set(order) | unserved == active, f"dropped: {active - set(order) - unserved}"
        for d, version, data in w.days():
            ran = w.book(version)
            assert ran is not None
            stops = [s["id"] for s in data["stops"] if s["action"] != "redeliver"]
            assert stops == list(ran.order), f"day {d} does not follow version {version}"


PAIRS = list(itertools.combinations_with_replacement(("import", "remove", "plan", "day"), 2))


@pytest.mark.parametrize(("first", "second"), PAIRS, ids=[f"{a}+{b}" for a, b in PAIRS])
def test_two_writers_started_together(template: Path, tmp_path: Path, first: str, second: str):
    ws = tmp_path / "ws"
    shutil.copytree(template, ws)
    for i in range(2):
        shutil.copy(template.parent / f"new{i}.csv", tmp_path / f"new{i}.csv")
    with Workspace.open(ws) as w:
        ids = w.latest_book().order
        before = {s.id for s in w.subscribers()}
        versions = len(w.versions())
    kinds = [(first, 0), (second, 1 if second == first else 0)]
    results = run_together(ws, [command(kind, k, ws, ids) for kind, k in kinds])
    for (kind, _k), (code, out, err) in zip(kinds, results, strict=True):
        assert code == 0, f"{kind}: {err}\n{out}"
        assert "Traceback" not in err
    expected = set(before)
    for kind, k in kinds:
        if kind == "import":
            with (tmp_path / f"new{k}.csv").open(encoding="utf-8") as f:
                expected |= {r["id"] for r in csv.DictReader(f)}
        elif kind == "remove":
            expected -= {ids[2 + 2 * k], ids[3 + 2 * k]}
    check_workspace(ws, expected)
    with Workspace.open(ws) as w:
        changes = sum(kind in ("import", "remove") for kind, _k in kinds)
        # Each import and remove commits one version on top of the other's.
        assert len(w.versions()) >= versions + changes
        days = {d: data for d, _v, data in w.days()}
    if first == second == "day":
        shorted = [
            {s["id"] for s in days[d]["stops"] if s["action"] == "short"}
            for d in ("2024-06-03", "2024-06-04")
        ]
        assert len(shorted[0]) == len(shorted[1]) == 8
        # The day that ran second saw the first: nobody goes without twice running.
        assert not shorted[0] & shorted[1]


def test_import_during_the_first_plan_loses_nobody(template: Path, tmp_path: Path):
    ws = tmp_path / "ws"
    shutil.copytree(template.parent / "unplanned", ws)
    new = shutil.copy(template.parent / "new0.csv", tmp_path / "new0.csv")
    results = run_together(
        ws, [["plan", str(ws), "--time-limit", "0.5"], ["import", str(ws), str(new)]]
    )
    assert [r[0] for r in results] == [0, 0], results
    with Workspace.open(ws) as w:
        expected = {s.id for s in w.subscribers()}
    assert len(expected) == START + 3
    check_workspace(ws, expected)


def test_the_same_date_at_once_runs_once(template: Path, tmp_path: Path):
    ws = tmp_path / "ws"
    shutil.copytree(template, ws)
    day = ["day", str(ws), "--date", "2024-06-05"]
    codes = sorted(code for code, _o, _e in run_together(ws, [day, day]))
    assert codes == [0, 2]
    with Workspace.open(ws) as w:
        assert w.day_dates().count("2024-06-05") == 1
        assert sum(r[3] == "day" and r[1] == "2024-06-05" for r in w.ledger_rows()) == 1


def _held(ws: Path) -> sqlite3.Connection:
    con = sqlite3.connect(ws / DB_NAME, isolation_level=None)
    con.execute("BEGIN IMMEDIATE")
    return con


def test_a_writer_that_cannot_wait_is_refused_and_writes_nothing(
    template: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    ws = tmp_path / "ws"
    shutil.copytree(template, ws)
    new = shutil.copy(template.parent / "new0.csv", tmp_path / "new0.csv")
    hold = _held(ws)
    try:
        capsys.readouterr()
        assert main(["--quiet", "import", str(ws), str(new), "--wait", "0"]) == 2
        err = capsys.readouterr().err
        assert "another paperroute command is changing this workspace" in err
        assert "nothing was written" in err
        assert WAITING not in err
        args = ["--quiet", "hold", str(ws), "S001", "--from", "2024-06-01", "--wait", "0.2"]
        assert main(args) == 2
        err = capsys.readouterr().err
        assert WAITING in err
        assert "did not finish within 0.2 s" in err
        assert main(["--quiet", "day", str(ws), "--date", "2024-06-09", "--wait", "-1"]) == 2
    finally:
        hold.execute("ROLLBACK")
        hold.close()
    with Workspace.open(ws) as w:
        assert len(w.subscribers()) == START
        assert w.holds() == []
        assert len(w.versions()) == 1


def test_readers_see_committed_state_only(template: Path, tmp_path: Path, capsys):
    ws = tmp_path / "ws"
    shutil.copytree(template, ws)
    with Workspace.open(ws) as w:
        data = w.latest_book().to_json()
    hold = _held(ws)
    try:
        # Half a change: a new version written but not committed.
        hold.execute(
            "INSERT INTO route_books VALUES (2, 'now', 'half-written', ?)",
            (data.replace('"version":1', '"version":2'),),
        )
        capsys.readouterr()
        assert main(["--quiet", "history", str(ws)]) == 0
        out = capsys.readouterr().out
        assert "half-written" not in out
        assert [line.split()[0] for line in out.splitlines()[1:]] == ["1"]
    finally:
        hold.execute("COMMIT")
        hold.close()
    assert main(["--quiet", "history", str(ws)]) == 0
    assert "half-written" in capsys.readouterr().out


def test_a_route_book_commits_only_on_the_version_it_came_from(template: Path, tmp_path: Path):
    from dataclasses import replace

    from route.model.routebook import Unserved

    ws = tmp_path / "ws"
    shutil.copytree(template, ws)
    with Workspace.open(ws) as w:
        book = w.latest_book()
        stale = book.version - 1
        with pytest.raises(ConflictError, match="computed from version 0"):
            w.save_book(book, "stale", based_on=stale)
        # A book that drops a subscriber silently, routes one twice, or routes a stranger.
        r = book.routes[0]
        dropped = replace(book, routes=(replace(r, stops=r.stops[1:]),))
        with pytest.raises(ConflictError, match="neither routes nor lists"):
            w.save_book(dropped, "dropped", based_on=book.version)
        twice = replace(book, routes=(replace(r, stops=(*r.stops, r.stops[0])),))
        with pytest.raises(ConflictError, match="routes twice"):
            w.save_book(twice, "twice", based_on=book.version)
        w.deactivate([r.stops[0].subscriber_id])
        with pytest.raises(ConflictError, match="not active"):
            w.save_book(book, "stranger", based_on=book.version)
        listed = replace(
            dropped, unserved=(Unserved(r.stops[0].subscriber_id, "test"),)
        )  # an unserved listing of an inactive subscriber is harmless
        assert w.save_book(listed, "ok", based_on=book.version).version == book.version + 1
        assert [v for v, _c, _n in w.versions()][-1] == book.version + 1
