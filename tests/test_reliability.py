"""Each failure of the reliability review, fixed and checked: far-off locations and swapped
coordinates, writes before a refusal, GeoPackage layers, sane numbers, formula cells, the
calendar's end, negative latitudes, escape codes, and the documented input limits."""

from __future__ import annotations

import csv
import io
import re
import shutil
from pathlib import Path

import pytest

from route.cli.checks import join_negative_pairs
from route.cli.main import main
from route.constants import (
    MAX_FILE_BYTES,
    MAX_ID_CHARS,
    MAX_QUANTITY,
    MAX_ROWS,
    MAX_SERVICE_S,
    MAX_SUPPLY,
    MAX_TEXT_CHARS,
)
from route.errors import InputError, Issue
from route.io.subscribers import read_subscribers
from route.io.workspace import Workspace
from route.output.sheet import spreadsheet_safe
from tests.faultkit import grid_workspace, state
from tests.test_bad_inputs import digest

ROOT = Path(__file__).resolve().parents[1]
BAD = ROOT / "tests" / "data" / "bad"


@pytest.fixture(scope="module")
def planned(tmp_path_factory) -> Path:
    return grid_workspace(tmp_path_factory.mktemp("rel") / "ws")


@pytest.fixture
def ws(planned, tmp_path) -> Path:
    copy = tmp_path / "ws"
    shutil.copytree(planned, copy)
    return copy


def _csv(tmp_path: Path, text: str, name: str = "subs.csv") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_a_spot_a_few_hundred_metres_off_the_streets_is_an_honest_not_served(ws, tmp_path, capsys):
    # 450 m north of the grid: a real address beyond the extract's streets, not a data error.
    path = _csv(tmp_path, "id,lat,lon\nNORTH,60.1760,24.9420\n")
    assert main(["--quiet", "import", str(ws), path]) == 0
    out = capsys.readouterr().out
    assert "NORTH" in out
    assert "not served" in out
    with Workspace.open(ws) as w:
        book = w.latest_book()
    assert book is not None
    reasons = {u.subscriber_id: u.reason for u in book.unserved}
    assert re.search(r"\d+ m from the nearest usable street", reasons["NORTH"])
    assert sorted([*book.order, *reasons]) == ["A", "B", "C", "NORTH"]  # nobody dropped


def test_a_swapped_update_is_refused_and_the_subscriber_stays_on_the_route(ws, tmp_path, capsys):
    before = digest(ws)
    path = _csv(tmp_path, "id,lat,lon\nB,24.9431,60.1706\n")
    assert main(["--quiet", "import", str(ws), path]) == 2
    err = capsys.readouterr().err
    assert "did you mean 60.1706, 24.9431?" in err
    assert digest(ws) == before
    with Workspace.open(ws) as w:
        book = w.latest_book()
    assert book is not None
    assert "B" in book.order


def test_a_bad_flag_after_planning_would_have_started_writes_nothing(tmp_path, capsys):
    ws = grid_workspace(tmp_path / "unplanned", plan=False)
    before = digest(ws)
    assert main(["--quiet", "plan", str(ws), "--skip-aware", "--kicks", "-1"]) == 2
    assert "--kicks" in capsys.readouterr().err
    assert digest(ws) == before
    assert state(ws)["books"] == []


def test_a_geopackage_layer_is_chosen_with_layer(ws, capsys):
    path = str(BAD / "layers_two.gpkg")
    assert main(["--quiet", "import", str(ws), path, "--layer", "subscribers"]) == 0
    captured = capsys.readouterr()
    assert "Imported 2 subscribers" in captured.out
    assert "Warning" not in captured.err


def test_the_largest_allowed_numbers_plan_and_run_a_short_day(tmp_path, capsys):
    ws = grid_workspace(tmp_path / "big", plan=False)
    path = _csv(
        tmp_path,
        "id,lat,lon,quantity,service_s\n"
        f"X1,60.1705,24.9411,{MAX_QUANTITY},{MAX_SERVICE_S}\n"
        f"X2,60.1707,24.9432,{MAX_QUANTITY},0\n",
    )
    assert main(["--quiet", "import", str(ws), path]) == 0
    assert main(["--quiet", "plan", str(ws), "--time-limit", "2"]) == 0
    supply = f"--supply=paper={MAX_QUANTITY + 500}"
    assert main(["--quiet", "day", str(ws), "--date", "2024-06-04", supply]) == 0
    assert (
        main(["--quiet", "day", str(ws), "--date", "2024-06-05", f"--supply=paper={MAX_SUPPLY}"])
        == 0
    )
    assert "unexpected" not in capsys.readouterr().err


def test_formula_cells_are_neutralised_in_sheet_csv_and_kept_in_the_html_sheet(tmp_path, capsys):
    ws = grid_workspace(tmp_path / "formulas", plan=False)
    payloads = {
        "name": '=HYPERLINK("http://example.com/?x="&A1,"click")',
        "address": "+1+2",
        "instructions": "-2+3",
        "hazard": "@SUM(1,2)",
    }
    header = "id,lat,lon," + ",".join(payloads)
    cells = ",".join('"' + v.replace('"', '""') + '"' for v in payloads.values())
    path = _csv(tmp_path, f"{header}\nF1,60.1705,24.9411,{cells}\n")
    assert main(["--quiet", "import", str(ws), path]) == 0
    assert main(["--quiet", "plan", str(ws), "--time-limit", "1"]) == 0
    assert main(["--quiet", "sheet", str(ws)]) == 0
    rows = list(csv.DictReader(io.StringIO((ws / "sheet.csv").read_text(encoding="utf-8"))))
    row = next(r for r in rows if r["id"] == "F1")
    for column, value in payloads.items():
        assert row[column] == "'" + value, column
    page = (ws / "sheet.html").read_text(encoding="utf-8")
    assert "=HYPERLINK(&quot;http://example.com/" in page
    assert "'=HYPERLINK" not in page
    assert "@SUM(1,2)" in page
    capsys.readouterr()


@pytest.mark.parametrize(
    ("value", "safe"),
    [("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@A1", "'@A1"), ("\tx", "'\tx"),
     ("\rx", "'\rx"), ("Mr North", "Mr North"), ("", ""), (5, 5), ("'=x", "'=x")],
)  # fmt: skip
def test_spreadsheet_safe(value, safe):
    assert spreadsheet_safe(value) == safe


def test_dates_at_the_end_of_the_calendar(ws, capsys):
    assert main(["--quiet", "day", str(ws), "--date", "9999-12-31"]) == 0
    assert main(["--quiet", "sheet", str(ws), "--date", "9999-12-31"]) == 0
    assert (ws / "days" / "9999-12-31" / "sheet.csv").is_file()
    args = ["--quiet", "skips", str(ws), "--from", "9999-12-25", "--days", "1"]
    assert main([*args, "--time-limit", "0.5"]) == 0
    # Holds, their list and the ledger at both ends of the calendar.
    assert (
        main(["--quiet", "hold", str(ws), "A", "--from", "9999-12-31", "--to", "9999-12-31"]) == 0
    )
    assert main(["--quiet", "holds", str(ws), "--date", "9999-12-31"]) == 0
    assert main(["--quiet", "ledger", str(ws), "--from", "9999-12-31"]) == 0
    assert main(["--quiet", "day", str(ws), "--date", "0001-01-01"]) == 0
    assert (
        main(["--quiet", "hold", str(ws), "B", "--from", "0001-01-01", "--to", "0001-01-02"]) == 0
    )
    assert "unexpected" not in capsys.readouterr().err


def test_a_negative_latitude_is_read_as_a_value_not_a_flag(tmp_path, capsys):
    assert join_negative_pairs(["init", "w", "--depot", "-33.86,151.21"]) == [
        "init", "w", "--depot=-33.86,151.21",
    ]  # fmt: skip
    assert join_negative_pairs(["plan", "w", "--kicks", "-1"]) == ["plan", "w", "--kicks", "-1"]
    # The test grid moved to Sydney: a workspace there, its depot given south of the equator.
    grid = (ROOT / "tests" / "data" / "tiny.osm").read_text()
    for a, b in (("60.17", "-33.87"), ("24.94", "151.21")):
        grid = grid.replace(f'="{a}', f'="{b}')
    network = tmp_path / "sydney.osm"
    network.write_text(grid)
    ws = tmp_path / "sydney"
    args = ["--quiet", "init", str(ws), "--network", str(network), "--depot", "-33.8705,151.2120"]
    assert main(args) == 0
    with Workspace.open(ws) as w:
        assert w.settings.depot.lat == -33.8705
    capsys.readouterr()


def test_escape_codes_are_shown_not_sent_to_the_terminal(ws, tmp_path, capsys):
    assert main(["--quiet", "remove", str(ws), "\x1b[2JX"]) == 2
    err = capsys.readouterr().err
    assert "\x1b" not in err
    assert "\\x1b[2JX" in err
    path = _csv(tmp_path, "id,lat,lon,\x1b[31mcolour\nA,60.1705,24.9410,red\n")
    assert main(["--quiet", "import", str(ws), path]) == 0
    err = capsys.readouterr().err
    assert "note: ignored columns \\x1b[31mcolour" in err
    assert "\x1b" not in err
    assert "\\x1b" in str(Issue("--supply \x1b[0m", "bad \x07", "fix"))


def test_other_encodings_and_delimiters_people_save_are_read(tmp_path):
    utf16 = tmp_path / "excel-unicode.csv"
    utf16.write_bytes("id\tlat\tlon\tname\nA\t60.1705\t24.9410\tMäkinen\n".encode("utf-16"))
    semicolons = tmp_path / "finnish-excel.csv"
    semicolons.write_text("ID ; Lat ; Lon\r\nA;60,1705;24,9410\r\n\r\nB;60,1706;24,9431\r\n")
    assert read_subscribers(utf16).subscribers[0].name == "Mäkinen"
    subs = read_subscribers(semicolons).subscribers
    assert [(s.id, s.lat) for s in subs] == [("A", 60.1705), ("B", 60.1706)]


def test_files_beyond_the_documented_limits_are_refused_naming_the_limit(tmp_path):
    huge = tmp_path / "huge.csv"
    with huge.open("wb") as f:  # sparse: nothing is read before the size is checked
        f.truncate(MAX_FILE_BYTES + 1)
    with pytest.raises(InputError, match="more than the limit of 64 MB"):
        read_subscribers(huge)
    many = tmp_path / "many.csv"
    many.write_text("id,lat,lon\n" + "".join(f"S{i},60.17,24.94\n" for i in range(MAX_ROWS + 1)))
    with pytest.raises(InputError, match=f"more than {MAX_ROWS:,} rows") as info:
        read_subscribers(many)
    assert info.value.issues[0].row == MAX_ROWS + 2
    exactly = tmp_path / "exactly.csv"
    exactly.write_text("id,lat,lon\n" + "".join(f"S{i},60.17,24.94\n" for i in range(MAX_ROWS)))
    assert len(read_subscribers(exactly).subscribers) == MAX_ROWS


def test_the_readme_documents_every_limit():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("### Limits") :]
    for value in (
        f"{MAX_FILE_BYTES // 2**20} MB", f"{MAX_ROWS:,}", f"{MAX_ID_CHARS}", f"{MAX_TEXT_CHARS:,}",
        f"{MAX_QUANTITY:,}", f"{MAX_SERVICE_S:,}", f"{MAX_SUPPLY:,}", "10 km",
    ):  # fmt: skip
        assert value in section, value
