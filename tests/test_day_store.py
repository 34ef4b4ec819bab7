"""The day in the workspace: the ledger only grows, --replace voids, a killed run leaves
nothing half-written, bad day input is refused with every problem listed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from route.cli.main import main
from route.day.history import history_from_ledger
from route.day.run import run_day
from route.io.workspace import Settings, Workspace, load_day
from route.model.day import DayInputs
from route.model.policy import Policy
from tests._daykit import DEPOT, book, sub

ROOT = Path(__file__).resolve().parents[1]
SUBS = [
    sub("p1", name="Mr North"),
    sub("p2"),
    sub("h3", "household", name="Our own household"),
    sub("p4", substitutes=["tabloid"]),
]


def make_workspace(path: Path) -> Path:
    # A network file that does not exist: these days never need the streets (nothing is
    # bypassed), and a day that does falls back to measuring along the route book's legs.
    ws = Workspace.create(path, Settings(str(path / "absent.osm.pbf"), "walk", DEPOT))
    with ws, ws.transaction() as con:
        ws.upsert_subscribers(SUBS, con)
        ws.save_book(book([s.id for s in SUBS]), "test", con, based_on=0)
    return path


def snapshot(path: Path):
    with Workspace.open(path) as ws:
        files = (
            sorted(str(p.relative_to(path)) for p in (path / "days").rglob("*") if p.is_file())
            if (path / "days").exists()
            else []
        )
        return ws.query("SELECT date, data FROM days ORDER BY date"), ws.ledger_rows(), files


def run(ws_path: Path, *args: str) -> int:
    return main(["--quiet", "day", str(ws_path), *args])


def test_day_writes_day_json_and_ledger(tmp_path, capsys):
    ws = make_workspace(tmp_path / "ws")
    assert run(ws, "--date", "2024-06-03", "--supply", "paper=3") == 0
    out = capsys.readouterr().out
    assert "Shorted (1)" in out
    assert "Our own household" in out
    day = load_day(ws, "2024-06-03")
    data = json.loads((ws / "days" / "2024-06-03" / "day.json").read_text())
    assert data["date"] == "2024-06-03"
    assert data["totals"]["shorted"] == 1
    assert [s["id"] for s in data["stops"]] == ["p1", "p2", "h3", "p4"]
    assert day.to_dict() == data
    assert (ws / "policy.toml").is_file()
    _, ledger, _ = snapshot(ws)
    assert {r[3] for r in ledger} >= {"day", "short"}


def test_running_a_date_twice_needs_replace_and_voids_rather_than_rewrites(tmp_path, capsys):
    ws = make_workspace(tmp_path / "ws")
    assert run(ws, "--date", "2024-06-03", "--supply", "paper=2") == 0
    before = snapshot(ws)
    assert run(ws, "--date", "2024-06-03") == 2
    assert "--replace" in capsys.readouterr().err
    assert snapshot(ws) == before
    assert run(ws, "--date", "2024-06-03", "--replace") == 0
    days, ledger, _ = snapshot(ws)
    assert ledger[: len(before[1])] == before[1]  # nothing rewritten
    voided = {json.loads(r[5])["voids"] for r in ledger if r[3] == "void"}
    assert voided == {r[0] for r in before[1]}
    assert json.loads(days[0][1])["totals"]["shorted"] == 0
    # The voided shortages no longer count for the rotation.
    h = history_from_ledger(ledger, "2024-06-04", ["2024-06-03"])
    assert h.shorted == {}


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    st.lists(st.tuples(st.integers(0, 3), st.integers(0, 4), st.booleans()), min_size=1, max_size=5)
)
def test_the_ledger_only_grows(tmp_path_factory, runs):
    path = make_workspace(tmp_path_factory.mktemp("ws") / "ws")
    previous: list = []
    with Workspace.open(path) as ws:
        b = ws.latest_book()
        for offset, papers, replace in runs:
            d = date(2024, 6, 3) + timedelta(days=offset)
            iso = d.isoformat()
            exists = ws.day_json(iso) is not None
            if exists and not replace:
                continue
            h = history_from_ledger(ws.ledger_rows(), iso, ws.day_dates())
            day = run_day(b, SUBS, d, DayInputs(supply={"paper": papers}), Policy(), h)
            entries = [(e.date, e.subscriber_id, e.kind, e.product, e.detail) for e in day.ledger]
            with ws.transaction() as con:
                ws.save_day(iso, b.version, day.to_json(), entries, con, replace=replace)
            rows = ws.ledger_rows()
            assert rows[: len(previous)] == previous
            assert len(rows) > len(previous)
            previous = rows
        import sqlite3

        with pytest.raises(sqlite3.DatabaseError):
            ws.query("DELETE FROM ledger")
        with pytest.raises(sqlite3.DatabaseError):
            ws.query("UPDATE ledger SET kind = 'x'")


#: Where a power cut is put in (tests/crash.py): inside the transaction, after the day and its
#: ledger lines are written but before the commit; and after the commit, before day.json.
CUTS = {
    "day:in_transaction": ("route.io.workspace:Workspace.save_day", "after"),
    "day:after_commit": ("route.cli.day_cmds:atomic_write", "before"),
}


def _subprocess_day(ws: Path, crash: str | None, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "route.cli"]
    if crash:
        command = [sys.executable, str(ROOT / "tests" / "crash.py"), *CUTS[crash], "--"]
    return subprocess.run(
        [*command, "--quiet", "day", str(ws), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_killed_in_the_middle_of_day_leaves_the_workspace_as_before(tmp_path):
    ws = make_workspace(tmp_path / "ws")
    assert run(ws, "--date", "2024-06-03", "--supply", "paper=3") == 0
    before = snapshot(ws)
    # SIGKILL while the transaction holds the new day and its ledger lines, for a new date and
    # for a replacement of an existing one.
    for args in (
        ("--date", "2024-06-04", "--supply", "paper=2"),
        ("--date", "2024-06-03", "--replace"),
    ):
        p = _subprocess_day(ws, "day:in_transaction", *args)
        assert p.returncode == -9, p.stderr
        assert snapshot(ws) == before
        assert load_day(ws, "2024-06-03").totals["shorted"] == 1
    # Killed after the commit, before day.json is written: the next command puts it right.
    p = _subprocess_day(ws, "day:after_commit", "--date", "2024-06-04")
    assert p.returncode == -9
    assert not (ws / "days" / "2024-06-04" / "day.json").exists()
    p = _subprocess_day(ws, None, "--date", "2024-06-05")
    assert p.returncode == 0, p.stderr
    days, ledger, files = snapshot(ws)
    assert [d for d, _ in days] == ["2024-06-03", "2024-06-04", "2024-06-05"]
    assert files == [f"days/{d}/day.json" for d, _ in days]
    assert (ws / "days/2024-06-04/day.json").read_text() == days[1][1]
    assert ledger[: len(before[1])] == before[1]


def test_bad_day_input_is_refused_with_every_problem(tmp_path, capsys):
    ws = make_workspace(tmp_path / "ws")
    (tmp_path / "holds.csv").write_text(
        "id,from,to\nnobody,2024-06-01,2024-06-09\np1,2024-06-10,2024-06-01\np2,June 1,\n"
    )
    (tmp_path / "complaints.csv").write_text("id,kind,note\nghost,wet,\np1,soggy,\n")
    (tmp_path / "supply.csv").write_text("product,count\npaper,lots\n")
    (tmp_path / "policy.toml").write_text("[shortage]\nforgo = ['paying']\n")
    code = run(
        ws,
        "--date",
        "2024-02-30",
        "--supply",
        "paper=-1",
        "--supply",
        "tabloid",
        "--supply",
        "comics=3",
        "--late",
        "paper=1.5",
        "--supply-file",
        str(tmp_path / "supply.csv"),
        "--holds",
        str(tmp_path / "holds.csv"),
        "--complaints",
        str(tmp_path / "complaints.csv"),
        "--policy",
        str(tmp_path / "policy.toml"),
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    expected = [
        "2024-02-30",
        "'-1'",
        "'tabloid'",
        "'comics'",
        "'1.5'",
        "'lots'",
        "'nobody'",
        "ends before it starts",
        "'June 1'",
        "'ghost'",
        "'soggy'",
        "shortage.forgo",
    ]
    for text in expected:
        assert text in err, text
    assert err.count("\n  - ") == len(expected)
    assert snapshot(ws) == ([], [], [])
    assert not (ws / "policy.toml").exists()
