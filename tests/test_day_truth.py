"""The database is the truth for days (DESIGN.md invariant 10): map, sheet and export read the
day from it, a tampered day.json steers nothing, and a day committed without its file (a kill
between the commit and the rename) gets its file back from any command that needs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from route.cli.main import main
from route.io.workspace import Settings, Workspace
from route.output.export import LAYERS
from tests._daykit import DEPOT, book, sub

ROOT = Path(__file__).resolve().parents[1]
DATE = "2024-06-03"
SUBS = [sub("p1"), sub("p2"), sub("p3"), sub("p4")]


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    """A workspace on the embedded network (maps and sheets draw its streets)."""
    path = tmp_path / "ws"
    w = Workspace.create(path, Settings("demo", "walk", DEPOT))
    with w, w.transaction():
        w.upsert_subscribers(SUBS)
        w.save_book(book([s.id for s in SUBS]), "test", based_on=0)
    return path


def files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}


def stored(ws: Path, date: str) -> str:
    with Workspace.open(ws) as w:
        text = w.day_json(date)
    assert text is not None
    return text


def test_a_tampered_day_json_cannot_redirect_a_write(ws, tmp_path):
    assert main(["--quiet", "day", str(ws), "--date", DATE, "--supply", "paper=3"]) == 0
    path = ws / "days" / DATE / "day.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["date"] = "../../outside"
    data["route_version"] = 99
    data["stops"][0]["action"] = "redeliver"
    path.write_text(json.dumps(data), encoding="utf-8")
    before = files(tmp_path)
    for command in ("map", "sheet", "export"):
        assert main(["--quiet", command, str(ws), "--date", DATE]) == 0
    written = files(tmp_path) - before
    assert written == {
        f"ws/days/{DATE}/map.html",
        f"ws/days/{DATE}/sheet.html",
        f"ws/days/{DATE}/sheet.csv",
        # A day's export goes into that day's folder: a GeoJSON file per layer and one GeoPackage.
        *(f"ws/days/{DATE}/{layer}.geojson" for layer in LAYERS),
        f"ws/days/{DATE}/route.gpkg",
    }
    # The file is written again from the database, and the outputs follow the database.
    assert path.read_text(encoding="utf-8") == stored(ws, DATE)
    sheet = (ws / "days" / DATE / "sheet.csv").read_text(encoding="utf-8")
    assert "redeliver" not in sheet
    assert "short" in sheet  # three papers for four subscribers


def test_a_date_that_is_not_a_date_names_no_folder(ws):
    with Workspace.open(ws) as w:
        with pytest.raises(ValueError, match="YYYY-MM-DD"):
            w.day_folder("../x")
        with pytest.raises(ValueError, match="YYYY-MM-DD"):
            w.save_day("2024-6-3", 1, "{}", [])
    assert main(["--quiet", "map", str(ws), "--date", "../../x"]) == 2


def _killed_after_commit(ws: Path, date: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cut = ["route.cli.day_cmds:atomic_write", "before"]
    day = ["--quiet", "day", str(ws), "--date", date]
    p = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "crash.py"), *cut, "--", *day],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert p.returncode == -9, p.stderr


@pytest.mark.parametrize("command", ["map", "sheet", "export", "ledger"])
def test_a_day_committed_without_its_file_is_restored_by_the_next_command(ws, command, capsys):
    _killed_after_commit(ws, DATE)
    path = ws / "days" / DATE / "day.json"
    assert not path.exists()
    with Workspace.open(ws) as w:
        assert DATE in w.day_dates()
    args = [command, str(ws)] + ([] if command == "ledger" else ["--date", DATE])
    assert main(args) == 0
    assert path.read_text(encoding="utf-8") == stored(ws, DATE)
    if command != "ledger":
        assert "again from the workspace's database" in capsys.readouterr().err
