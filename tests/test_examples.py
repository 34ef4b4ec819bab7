"""The examples run, and write what their docstrings promise (never into the committed maps/).

Every example runs in its own interpreter, as a reader would run it, all at once (they spend
most of their time loading the network), with short time limits and a temporary output folder.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from route.io.osm import demo_path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
MAPS = ROOT / "maps"
DATA = Path(__file__).parent / "data"
TUE, WED, THU = "2025-03-04", "2025-03-05", "2025-03-06"


def _state(folder: Path) -> dict[str, float]:
    return {str(p): p.stat().st_mtime for p in folder.rglob("*")} if folder.exists() else {}


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, tuple[subprocess.CompletedProcess[str], Path]]:
    """Run every example once; return each one's result and output folder."""
    before = _state(MAPS)
    tmp = tmp_path_factory.mktemp("examples")
    shared = tmp / "pages"
    fast = ["--time-limit", "2"]  # greedy descent stops by itself well before
    commands = {
        "value_disciplines": ([*fast, "--out", str(shared)], shared),
        "paper_girl": ([*fast, "--out", str(shared)], shared),
        "from_your_own_data": (
            [
                str(DATA / "subscribers.csv"),
                str(demo_path()),
                "--depot",
                "60.17098,24.94335",
                "--workspace",
                str(tmp / "own-workspace"),
                *fast,
                "--out",
                str(shared),
            ],
            shared,
        ),
        "api_tour": ([*fast, "--out", str(tmp / "tour")], tmp / "tour"),
    }
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    procs = {
        name: subprocess.Popen(
            [sys.executable, str(EXAMPLES / f"{name}.py"), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=tmp,
        )
        for name, (args, _) in commands.items()
    }
    out = {}
    for name, proc in procs.items():
        stdout, stderr = proc.communicate(timeout=600)
        out[name] = (
            subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr),
            commands[name][1],
        )
    index = subprocess.run(
        [sys.executable, str(EXAMPLES / "build_maps.py"), "--index-only", "--out", str(shared)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    out["build_maps"] = (index, shared)
    assert _state(MAPS) == before, "an example wrote into the committed maps/ folder"
    return out


def ok(runs, name: str) -> tuple[str, Path]:
    result, folder = runs[name]
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout, folder


def test_every_example_says_what_it_teaches():
    for path in EXAMPLES.glob("*.py"):
        if path.name.startswith("_"):
            continue
        text = path.read_text()
        assert text.startswith('"""'), path.name
        assert "What it teaches" in text.split('"""')[1], path.name


def test_value_disciplines_prints_the_table_and_draws_the_chart(runs):
    stdout, folder = ok(runs, "value_disciplines")
    for row in ("Curbside only", "Fixed + preferences", "Re-optimised daily"):
        assert re.search(rf"^{re.escape(row)} +\d+\.\d\d +\d+", stdout, re.M), row
    png = (folder / "value_disciplines.png").read_bytes()
    assert png.startswith(b"\x89PNG")
    assert len(png) > 20_000
    page = (folder / "value_disciplines.html").read_text()
    assert 'src="value_disciplines.png"' in page
    assert "Preferences honoured" in page
    assert "OpenStreetMap contributors" in page


def test_paper_girl_tells_the_week_and_writes_the_maps(runs):
    stdout, folder = ok(runs, "paper_girl")
    for name in ("Mr North", "Mr Lindqvist (90)", "The castle"):
        assert re.search(rf"{re.escape(name)}.*: stop \d+", stdout), name
    assert "Milk box on the left side of the garage" in stdout
    assert "Dogs next door" in stdout
    week = {
        line.split()[1]: line.split()
        for line in stdout.splitlines()
        if re.match(r"  \w{3} \d\d \w{3}  ", line)
    }
    assert len(week) == 7
    # Columns: day(3) weather delivered skipped short redelivered late bagged household km.
    tue, wed, thu = week["04"], week["05"], week["06"]
    assert tue[-2] == "short"
    assert tue[6] == "1"
    assert wed[3] == "rain"
    assert wed[7] == "1"
    assert int(wed[9]) > 0
    assert wed[-2] == "short"  # the household's copy replaced the wet one
    assert int(thu[8]) > 0  # the late bundle's catch-up pass
    for stem in ("paper_girl", f"paper_girl_{TUE}", f"paper_girl_{WED}", f"paper_girl_{THU}"):
        page = (folder / f"{stem}_map.html").read_text()
        assert re.search(r"OpenStreetMap(<\\?/a>)? contributors", page)  # the ODbL credit
        assert not re.search(r'<(script|link)[^>]+(src|href)="https?://', page)  # offline
        assert (folder / f"{stem}_sheet.html").is_file()


def test_from_your_own_data_takes_a_csv_and_an_extract(runs):
    stdout, folder = ok(runs, "from_your_own_data")
    assert f"--network {demo_path()}" in stdout
    assert str(DATA / "subscribers.csv") in stdout
    assert "Route book version 1" in stdout
    assert (folder / "own_data_map.html").stat().st_size > 10_000
    assert (folder / "own_data_sheet.html").is_file()
    assert (folder / "own_data_sheet.csv").read_text().count("\n") > 3


def test_api_tour_plans_maps_and_compares(runs):
    stdout, folder = ok(runs, "api_tour")
    assert re.search(r"^\d+ stops, \d+\.\d\d km", stdout, re.M)
    assert "Mr North is stop" in stdout
    assert "Three ways to serve" in stdout
    assert (folder / "api_tour_map.html").is_file()
    # Twenty lines of API: the script body after its imports stays short.
    body = (EXAMPLES / "api_tour.py").read_text().split("\nargs = ", 1)[1]
    assert len(body.strip().splitlines()) <= 22


def test_index_links_every_page_and_every_link_resolves(runs):
    _stdout, folder = ok(runs, "build_maps")
    page = (folder / "index.html").read_text()
    links = re.findall(r'href="([^"]+)"', page)
    assert set(links) >= {p.name for p in folder.glob("*.html") if p.name != "index.html"}
    for link in links:
        assert (folder / link).is_file(), link
