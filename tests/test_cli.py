"""The command line as a user meets it: the demo, the workspace flow, and refusals."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

from route.cli.main import main
from route.io.workspace import DB_NAME, Workspace

DATA = Path(__file__).parent / "data"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the command in a fresh interpreter, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "route.cli", "--quiet", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


def tree_digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.name.endswith(("-wal", "-shm"))
    }


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    out = tmp_path_factory.mktemp("demo") / "paperroute-demo"
    return out, run("demo", "--out", str(out))


def test_demo_writes_workspace_map_and_sheet(demo):
    out, result = demo
    assert result.returncode == 0, result.stderr
    for name in ("map.html", "sheet.html", "sheet.csv", "subscribers.csv", DB_NAME):
        assert (out / name).is_file(), name
        assert str(out / name) in result.stdout
    with Workspace.open(out) as ws:
        book = ws.latest_book()
        subs = ws.subscribers()
    assert book is not None
    assert 70 <= len(subs) <= 90
    # Invariant 1: every subscriber routed once or unserved with a reason.
    assert sorted([*book.order, *(u.subscriber_id for u in book.unserved)]) == sorted(
        s.id for s in subs
    )
    tiers = {s.tier for s in subs}
    assert {"household", "complimentary", "paying"} <= tiers
    kinds = {s.spot.kind for s in subs}
    assert {"milk_box", "screen_door", "back_door", "porch", "mailbox"} <= kinds
    page = (out / "map.html").read_text()
    assert re.search(r"OpenStreetMap(</a>)? contributors", page)  # the ODbL credit


def test_demo_ends_with_the_value_disciplines_and_the_map_paths(demo):
    _out, result = demo
    lines = result.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Three ways to serve"))
    rows = {line.split("  ")[0]: line.split() for line in lines[start + 3 : start + 6]}
    assert set(rows) == {"Curbside only", "Fixed + preferences", "Re-optimised daily"}
    assert float(rows["Curbside only"][2]) <= float(rows["Fixed + preferences"][3])
    assert rows["Fixed + preferences"][-1] == "0"
    assert rows["Curbside only"][-3] == "0%"
    assert rows["Fixed + preferences"][-3] == "100%"
    # The paths of the maps come after the table.
    assert any(line.startswith("Map:") for line in lines[start + 6 :])


def test_demo_refuses_to_overwrite_a_folder_it_did_not_make(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    result = run("demo", "--out", str(tmp_path))
    assert result.returncode == 2
    assert "not a paperroute demo" in result.stderr
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_workspace_flow_init_import_plan_map_sheet(tmp_path, capsys):
    ws = tmp_path / "ws"
    assert (
        main(["--quiet", "init", str(ws), "--network", "demo", "--depot", "60.17098,24.94335"]) == 0
    )
    assert main(["--quiet", "import", str(ws), str(DATA / "subscribers.csv")]) == 0
    assert main(["--quiet", "plan", str(ws), "--time-limit", "2"]) == 0
    assert main(["--quiet", "map", str(ws)]) == 0
    assert main(["--quiet", "sheet", str(ws)]) == 0
    out = capsys.readouterr().out
    assert "Imported 4 subscribers" in out
    assert "4 new" in out
    assert "Route book version 1: 4 stops" in out
    assert (ws / "map.html").is_file()
    assert (ws / "sheet.csv").is_file()
    # Importing the same file again changes nothing.
    assert main(["--quiet", "import", str(ws), str(DATA / "subscribers.csv")]) == 0
    assert "0 new, 0 updated, 4 unchanged" in capsys.readouterr().out


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    ws = tmp_path_factory.mktemp("ws") / "ws"
    assert main(["--quiet", "init", str(ws), "--network", "demo"]) == 0
    assert main(["--quiet", "import", str(ws), str(DATA / "subscribers.csv")]) == 0
    return ws


@pytest.mark.parametrize(
    ("args", "phrase"),
    [
        (["import", "{ws}", str(DATA / "broken" / "many_problems.csv")], "5 problems found"),
        (["import", "{ws}", str(DATA / "broken" / "empty.csv")], "empty"),
        (["import", "{ws}", "nowhere.csv"], "file not found"),
        (["plan", "{ws}", "--carriers", "0"], "--carriers"),
        (["plan", "{ws}", "--time-limit", "-1"], "--time-limit"),
        (["plan", "{tmp}"], "not a paperroute workspace"),
        (["map", "{tmp}"], "not a paperroute workspace"),
        (["init", "{tmp}/new", "--network", "nowhere.osm.pbf"], "network file not found"),
        (["init", "{tmp}/new", "--network", "demo", "--mode", "fly"], "invalid choice"),
        (["init", "{tmp}/new", "--network", "demo", "--depot", "60.1"], "LAT,LON"),
        (["init", "{tmp}/new", "--network", "demo", "--depot", "10.0,10.0"], "from the nearest"),
        (["init", "{tmp}/new", "--network", "demo", "--start", "5am"], "--start"),
        (["init", "{ws}", "--network", "demo"], "already a workspace"),
    ],
)
def test_bad_input_exits_2_with_the_problem_and_writes_nothing(workspace, tmp_path, args, phrase):
    args = [a.format(ws=workspace, tmp=tmp_path) for a in args]
    before_ws, before_tmp = tree_digest(workspace), tree_digest(tmp_path)
    result = run(*args)
    assert result.returncode == 2, result.stderr
    assert phrase in result.stderr
    assert "Traceback" not in result.stderr
    assert tree_digest(workspace) == before_ws
    assert tree_digest(tmp_path) == before_tmp
    assert not (tmp_path / "new").exists()


def test_map_before_plan_says_what_to_run(workspace):
    result = run("map", str(workspace))
    assert result.returncode == 2
    assert f"paperroute plan {workspace}" in result.stderr
