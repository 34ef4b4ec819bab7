"""Portable workspaces: the extract's path is kept relative to the workspace, a moved extract is
relinked after a fingerprint check, ``init --copy-network`` makes the folder self-contained, and
a workspace from before these (schema 1) is migrated and keeps working."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from route.cli.main import main
from route.io.osm import demo_path, source_fingerprint
from route.io.schema import SCHEMA_VERSION
from route.io.workspace import DB_NAME, Workspace
from tests._daykit import DEPOT, book, sub

SUBS = [sub("p1"), sub("p2"), sub("p3")]


def _ws_on(extract: Path, ws: Path, *flags: str) -> Path:
    depot = f"{DEPOT.lat},{DEPOT.lon}"
    args = ["--quiet", "init", str(ws), "--network", str(extract), "--depot", depot, *flags]
    assert main(args) == 0
    with Workspace.open(ws) as w, w.transaction():
        w.upsert_subscribers(SUBS)
        w.save_book(book([s.id for s in SUBS]), "test", based_on=0)
    return ws


@pytest.fixture
def area(tmp_path: Path) -> Path:
    """A folder with a town's extract (a copy of the embedded one)."""
    folder = tmp_path / "area"
    folder.mkdir()
    shutil.copy(demo_path(), folder / "town.osm.pbf")
    return folder


def test_moving_the_workspace_with_its_extract_keeps_it_working(area, tmp_path, capsys):
    ws = _ws_on(area / "town.osm.pbf", area / "ws")
    with Workspace.open(ws) as w:
        assert w.stored_network == "../town.osm.pbf"
        assert w.network_fingerprint == source_fingerprint(str(area / "town.osm.pbf"), "walk")
    moved = shutil.move(area, tmp_path / "elsewhere")
    capsys.readouterr()
    assert main(["--quiet", "sheet", str(Path(moved) / "ws")]) == 0
    assert (Path(moved) / "ws" / "sheet.html").is_file()


def test_a_moved_extract_is_relinked_after_its_fingerprint_is_checked(area, tmp_path, capsys):
    ws = _ws_on(area / "town.osm.pbf", tmp_path / "ws")
    new_place = tmp_path / "maps" / "town-2024.osm.pbf"
    new_place.parent.mkdir()
    shutil.move(area / "town.osm.pbf", new_place)
    capsys.readouterr()
    assert main(["--quiet", "sheet", str(ws)]) == 2
    err = capsys.readouterr().err
    assert "street network file is missing" in err
    assert f"paperroute relink {ws} FILE" in err

    other = tmp_path / "other.osm.pbf"
    other.write_bytes(new_place.read_bytes()[:-1] + b"\0")  # another extract
    assert main(["--quiet", "relink", str(ws), str(other)]) == 2
    assert "not the street network this workspace was made with" in capsys.readouterr().err
    assert main(["--quiet", "relink", str(ws), str(tmp_path / "nowhere.osm.pbf")]) == 2
    with Workspace.open(ws) as w:
        assert w.stored_network == "../area/town.osm.pbf"  # nothing changed

    assert main(["--quiet", "relink", str(ws), str(new_place)]) == 0
    assert "Same network as before" in capsys.readouterr().out
    with Workspace.open(ws) as w:
        assert w.stored_network == "../maps/town-2024.osm.pbf"
    assert main(["--quiet", "sheet", str(ws)]) == 0


def test_copy_network_makes_the_folder_self_contained(area, tmp_path, capsys):
    ws = _ws_on(area / "town.osm.pbf", tmp_path / "ws", "--copy-network")
    assert (ws / "network" / "town.osm.pbf").read_bytes() == (area / "town.osm.pbf").read_bytes()
    with Workspace.open(ws) as w:
        assert w.stored_network == "network/town.osm.pbf"
    (area / "town.osm.pbf").unlink()
    moved = shutil.move(ws, tmp_path / "usb-stick")
    assert main(["--quiet", "sheet", str(moved)]) == 0
    init = ["--quiet", "init", str(tmp_path / "x"), "--network", "demo", "--copy-network"]
    assert main(init) == 2
    assert "only a street network file can be copied" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


#: The schema of paperroute 0.2's first workspaces (version 1), as they were written.
V1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE subscribers (id TEXT PRIMARY KEY, data TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1, position INTEGER NOT NULL);
CREATE TABLE route_books (version INTEGER PRIMARY KEY, created TEXT NOT NULL,
    note TEXT NOT NULL, data TEXT NOT NULL);
CREATE TABLE days (date TEXT PRIMARY KEY, route_version INTEGER NOT NULL,
    created TEXT NOT NULL, data TEXT NOT NULL);
CREATE TABLE ledger (seq INTEGER PRIMARY KEY AUTOINCREMENT, date TEXT NOT NULL,
    subscriber_id TEXT NOT NULL, kind TEXT NOT NULL, product TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT '');
CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
"""


def v1_workspace(path: Path, network: Path) -> Path:
    path.mkdir()
    con = sqlite3.connect(path / DB_NAME)
    con.executescript(V1)
    meta = {
        "schema_version": "1",
        "network": str(network.resolve()),
        "mode": "walk",
        "depot": json.dumps([DEPOT.lat, DEPOT.lon, DEPOT.name]),
        "start_s": "18000",
        "created": "2024-01-01T00:00:00+00:00",
    }
    con.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
    for i, s in enumerate(SUBS, start=1):
        data = json.dumps(s.to_dict(), sort_keys=True)
        con.execute("INSERT INTO subscribers VALUES (?, ?, 1, ?)", (s.id, data, i))
    con.execute(
        "INSERT INTO route_books VALUES (1, 'then', 'plan', ?)",
        (book([s.id for s in SUBS]).to_json(),),
    )
    con.commit()
    con.close()
    return path


def test_a_version_1_workspace_is_migrated_and_keeps_working(area, tmp_path, capsys):
    ws = v1_workspace(tmp_path / "old", area / "town.osm.pbf")
    holds = tmp_path / "holds.csv"
    holds.write_text("id,from,to\np2,2024-06-01,2024-06-09\n", encoding="utf-8")
    assert main(["--quiet", "day", str(ws), "--date", "2024-06-03", "--holds", str(holds)]) == 0
    assert "updated: holds are stored in the workspace" in capsys.readouterr().err
    with Workspace.open(ws) as w:
        assert int(w.query("SELECT value FROM meta WHERE key = 'schema_version'")[0][0]) == 3
        assert SCHEMA_VERSION == 3
        assert w.stored_network == "../area/town.osm.pbf"
        assert w.network_fingerprint == source_fingerprint(str(area / "town.osm.pbf"), "walk")
        assert [h.subscriber_id for h in w.holds()] == ["p2"]
    assert main(["--quiet", "day", str(ws), "--date", "2024-06-04"]) == 0
    with Workspace.open(ws) as w:
        day = json.loads(w.day_json("2024-06-04"))
    assert next(s for s in day["stops"] if s["id"] == "p2")["action"] == "skip"
    # Migrated once: opening again says nothing.
    capsys.readouterr()
    assert main(["--quiet", "history", str(ws)]) == 0
    assert "updated" not in capsys.readouterr().err
