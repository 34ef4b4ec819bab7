"""The map, sheet and export commands on the demo workspace, and the maps in a real browser."""

from __future__ import annotations

import json
import os
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from route.cli.main import main
from route.io.workspace import Workspace
from tests.browser import check_page
from tests.routes import make_day

DATE = "2024-06-03"
SELECTORS = {
    "stops": ".pr-stop",
    "spots": ".pr-spot",
    "walk_ins": "path.pr-walk-in",
    "streets": "path.pr-streets",
    "route_lines": ".leaflet-overlay-pane path.leaflet-interactive",
    "arrows": "textPath",
    "depot": ".awesome-marker-icon-black",
    "panel": ".pr-panel",
    "layer_toggles": ".leaflet-control-layers-overlays label",
    "tiles": ".leaflet-tile",
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo workspace, with a day written as ``paperroute day`` would."""
    out = tmp_path_factory.mktemp("maps") / "demo"
    assert main(["--quiet", "demo", "--out", str(out), "--time-limit", "1"]) == 0
    with Workspace.open(out) as ws:
        book = ws.latest_book()
        assert book is not None
        # Stored as the day command stores it: the database is the truth, and the commands
        # that need day.json write it from there.
        ws.save_day(DATE, book.version, json.dumps(make_day(book, DATE)), [])
    return out


def test_map_and_sheet_for_a_date_without_a_day_are_refused(
    demo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for command in ("map", "sheet", "export"):
        assert main(["--quiet", command, str(demo), "--date", "2024-01-01"]) == 2
        err = capsys.readouterr().err
        assert "run paperroute day" in err
        assert "first" in err
        assert "Traceback" not in err
    assert main(["--quiet", "map", str(demo), "--date", "3 June"]) == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err


def test_demo_map_is_self_contained(demo: Path) -> None:
    page = (demo / "map.html").read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]+src=", page)
    assert not re.search(r"<link[^>]+stylesheet", page)
    assert "OpenStreetMap" in page


def test_day_commands_write_into_the_day_folder(demo: Path) -> None:
    assert main(["--quiet", "map", str(demo), "--date", DATE]) == 0
    assert main(["--quiet", "sheet", str(demo), "--date", DATE]) == 0
    folder = demo / "days" / DATE
    assert (folder / "map.html").is_file()
    assert (folder / "sheet.csv").is_file()
    page = (folder / "sheet.html").read_text(encoding="utf-8")
    root = ET.fromstring(page.split("\n", 1)[1])
    rows = [tr for tr in root.iter("{http://www.w3.org/1999/xhtml}tr")
            if "stop" in tr.get("class", "")]  # fmt: skip
    day = json.loads((folder / "day.json").read_text(encoding="utf-8"))
    assert len(rows) == len(day["stops"])


def test_export_writes_geojson_per_layer_and_geopackage(demo: Path) -> None:
    assert main(["--quiet", "export", str(demo)]) == 0
    for name in ("route", "stops", "spots", "walk_ins", "unserved"):
        assert (demo / f"{name}.geojson").is_file(), name
    assert (demo / "route.gpkg").is_file()
    assert main(["--quiet", "export", str(demo), "-o", str(demo / "x.shp")]) == 2
    assert main(["--quiet", "export", str(demo), "-o", str(demo / "x.geojson")]) == 2
    assert main(["export", str(demo), "-o", str(demo / "x.gpx"), "--format", "kml"]) == 2
    assert not list(demo.glob("x.*"))


def test_a_days_export_goes_into_the_days_folder_in_every_format(demo: Path) -> None:
    args = ["--quiet", "export", str(demo), "--date", DATE]
    assert main([*args, *(f"--format={f}" for f in ("gpx", "kml", "geojson", "gpkg"))]) == 0
    folder = demo / "days" / DATE
    for name in ("route.gpx", "route.kml", "route.gpkg", "stops.geojson"):
        assert (folder / name).is_file(), name
    day = json.loads((folder / "day.json").read_text(encoding="utf-8"))
    stops = json.loads((folder / "stops.geojson").read_text(encoding="utf-8"))["features"]
    assert len(stops) == len(day["stops"])


def test_sheet_pdf_without_a_browser_says_what_is_missing_and_writes_nothing(
    demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("PAPERROUTE_CHROMIUM", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    out = tmp_path / "sheets" / "sheet.html"
    assert main(["--quiet", "sheet", str(demo), "--pdf", "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert "Chromium" in err
    assert "apt-get install chromium" in err
    assert "Nothing was written" in err
    assert "Traceback" not in err
    assert not (tmp_path / "sheets").exists()


@pytest.mark.browser
def test_sheet_pdf_of_a_day_on_letter_paper(
    demo: Path, chromium: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from pypdf import PdfReader

    out = tmp_path / "day.html"
    args = ["--quiet", "sheet", str(demo), "--date", DATE, "--pdf", "--paper", "letter"]
    assert main([*args, "-o", str(out), "--nav", "google"]) == 0
    said = capsys.readouterr().out
    assert f"Route sheet (PDF): {out.with_suffix('.pdf')}" in said
    reader = PdfReader(out.with_suffix(".pdf"))
    assert {(float(p.mediabox.width), float(p.mediabox.height)) for p in reader.pages} == {
        (612.0, 792.0)
    }
    text = "".join(p.extract_text() for p in reader.pages)
    assert "Route sheet for Monday 3 June 2024" in text  # the header on every page
    assert text.count("Route sheet for Monday 3 June 2024") >= len(reader.pages)
    assert "nav-google" in out.read_text(encoding="utf-8")  # the HTML keeps its links


def _keep(shot: Path) -> None:
    """Copy a screenshot to $PAPERROUTE_SCREENSHOTS, if set, to look at it."""
    folder = os.environ.get("PAPERROUTE_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(folder) / shot.name)


@pytest.mark.browser
def test_demo_map_renders_in_chromium_without_errors(
    demo: Path, chromium: str, tmp_path: Path
) -> None:
    shot = tmp_path / "demo-map.png"
    report = check_page(demo / "map.html", shot, selectors=SELECTORS, chromium=chromium)
    _keep(shot)

    assert report.errors == ()
    assert report.console_errors == ()
    assert report.failed_code == ()  # only tiles may fail offline
    assert report.has_leaflet
    with Workspace.open(demo) as ws:
        book = ws.latest_book()
    assert book is not None
    n = len(book.order)
    c = report.counts
    assert c["stops"] == n
    assert c["spots"] == n
    assert c["walk_ins"] == n
    assert c["streets"] == 1
    assert c["depot"] == 1
    assert c["panel"] == 1
    assert c["route_lines"] >= 2 * len(book.routes)  # casing and line per carrier
    assert c["arrows"] == len(book.routes)
    assert c["layer_toggles"] == 4
    assert shot.stat().st_size > 20_000


def _overlapping(boxes: list[tuple[float, float, float, float]]) -> list[tuple[int, int]]:
    """Pairs of boxes that cover one another by more than half a pixel each way."""
    return [
        (i, j)
        for i, a in enumerate(boxes)
        for j, b in enumerate(boxes[i + 1 :], i + 1)
        if min(a[2], b[2]) - max(a[0], b[0]) > 0.5 and min(a[3], b[3]) - max(a[1], b[1]) > 0.5
    ]


@pytest.mark.browser
def test_crowded_stop_numbers_and_spots_give_way_to_dots(demo: Path, chromium: str) -> None:
    # The demo's 80 stops seen whole: numbers that would cover one another shrink to dots
    # (stops keep their number before spots keep their icon), and none of those left covers
    # another; a larger window, a zoom level closer, has room for more of them.
    shown = []
    for size in ((900, 650), (1600, 1200)):
        report = check_page(
            demo / "map.html",
            selectors={"stops": ".pr-stop", "crowded": ".pr-stop.pr-crowded"},
            rects={
                "numbers": ".pr-stop:not(.pr-crowded) span",
                "spots": ".pr-spot:not(.pr-crowded) span",
            },
            chromium=chromium,
            window_size=size,
        )
        assert report.errors == ()
        numbers, spots = report.rects["numbers"], report.rects["spots"]
        assert report.counts["stops"] == 80
        assert len(numbers) == 80 - report.counts["crowded"]
        assert _overlapping([*numbers, *spots]) == []
        shown.append((len(numbers), len(spots)))
    (small, small_spots), (large, large_spots) = shown
    assert 20 <= small < large
    assert small_spots < 80
    assert small_spots <= large_spots


@pytest.mark.browser
def test_day_map_renders_in_chromium_without_errors(
    demo: Path, chromium: str, tmp_path: Path
) -> None:
    assert (
        main(["--quiet", "map", str(demo), "--date", DATE, "-o", str(tmp_path / "day.html")]) == 0
    )
    shot = tmp_path / "day-map.png"
    report = check_page(tmp_path / "day.html", shot, selectors=SELECTORS, chromium=chromium)
    _keep(shot)

    assert report.errors == ()
    assert report.console_errors == ()
    assert report.failed_code == ()
    day = json.loads((demo / "days" / DATE / "day.json").read_text(encoding="utf-8"))
    assert report.counts["stops"] == len(day["stops"]) == report.counts["spots"]
