"""The bad-input suite: every file in tests/data/bad/ and every numeric flag, refused cleanly.

One parametrized test drives the cases in ``tests/data/bad/cases.toml``: each command exits 2
with a message naming the file (or flag), the row, the column and the value, shows no
traceback, and leaves the workspace byte for byte as it was (every file hashed, the database
included, before and after).
"""

from __future__ import annotations

import hashlib
import shutil
import tomllib
from pathlib import Path
from typing import Any

import pytest

from route.cli.main import main

DATA = Path(__file__).parent / "data"
BAD = DATA / "bad"
CASES: list[dict[str, Any]] = tomllib.loads((BAD / "cases.toml").read_text(encoding="utf-8"))[
    "case"
]
DAY = ["day", "{ws}", "--date", "2024-06-04"]
RUNS = {
    "import": ["import", "{ws}", "{file}"],
    "holds": [*DAY, "--holds", "{file}"],
    "complaints": [*DAY, "--complaints", "{file}"],
    "supply": [*DAY, "--supply-file", "{file}"],
    "policy": [*DAY, "--policy", "{file}"],
    "init": ["init", "{tmp}/new", "--network", "{file}"],
}


def digest(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (the database and its journals too) by its SHA-256."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def planned(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace on the test grid: three subscribers, a route book and one day."""
    ws = tmp_path_factory.mktemp("bad") / "ws"
    subs = tmp_path_factory.mktemp("subs") / "subs.csv"
    subs.write_text(
        "id,lat,lon,tier\nA,60.1705,24.9410,paying\nB,60.1706,24.9431,paying\n"
        "C,60.1712,24.9425,household\n"
    )
    grid = str(DATA / "tiny.osm")
    assert main(["--quiet", "init", str(ws), "--network", grid, "--depot", "60.1705,24.9420"]) == 0
    assert main(["--quiet", "import", str(ws), str(subs)]) == 0
    assert main(["--quiet", "plan", str(ws), "--time-limit", "1"]) == 0
    assert main(["--quiet", "day", str(ws), "--date", "2024-06-03"]) == 0
    return ws


def _name(case: dict[str, Any]) -> str:
    if "file" in case:
        return f"{case['file']}{'-' + '-'.join(case['extra']) if 'extra' in case else ''}"
    return " ".join(a for a in case["args"] if a not in ("{ws}", "{tmp}"))


@pytest.mark.parametrize("case", CASES, ids=[_name(c) for c in CASES])
def test_bad_input_is_refused_where_it_enters(case, planned, tmp_path, capsys):
    ws = tmp_path / "ws"
    shutil.copytree(planned, ws)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    if "setup_file" in case:
        (scratch / case["setup_file"]).write_text("not a folder\n")
    file = BAD / case["file"] if "file" in case else None
    template = case.get("args") or [*RUNS[case["run"]], *case.get("extra", [])]
    argv = [a.format(ws=ws, tmp=scratch, file=file) for a in template]
    before = digest(ws), digest(scratch)

    code = main(["--quiet", *argv])

    out, err = capsys.readouterr()
    assert code == 2, err
    assert "Traceback" not in err + out
    source = case.get("source", str(file))
    assert source in err, err
    if "row" in case:
        assert f"{source}, row {case['row']}" in err, err
    if "column" in case:
        assert f"column '{case['column']}'" in err, err
    if "value" in case:
        assert repr(case["value"]) in err, err
    assert case["says"] in err, err
    assert "\x1b" not in err  # terminal escape codes are shown, never sent
    assert (digest(ws), digest(scratch)) == before  # nothing written, nothing half-written
    assert not (scratch / "new").exists()


def test_the_suite_covers_every_file_and_enough_of_them():
    files = {p.name for p in BAD.iterdir()} - {"cases.toml"}
    used = {c["file"] for c in CASES if "file" in c}
    assert files == used
    assert len(files) >= 60
    flags = {c["source"] for c in CASES if "args" in c}
    numeric = {"--time-limit", "--shift", "--capacity", "--carriers", "--seed", "--balance"}
    numeric |= {"--kicks", "--max-moved", "--keep-first", "--threshold", "--days", "--end"}
    numeric |= {"--wait", "--per-stop", "--per-km", "--per-hour", "--per-piece"}
    assert numeric <= flags
