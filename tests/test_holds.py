"""What a subscriber arranged is kept (DESIGN.md invariant 11): holds stored in the workspace
apply on every day they cover, start and stop dates take effect on their dates, and the day
lists its changes for the carrier."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from route.cli.main import main
from route.day.changes import day_changes
from route.day.run import run_day
from route.errors import InputError
from route.io.subscribers import parse_subscribers
from route.io.workspace import Workspace
from route.model.day import Hold
from route.output.sheet import Sheet, route_sheet
from route.output.sheet_page import sheet_html
from tests._daykit import book, sub
from tests._wskit import changes, day, make_workspace, stops

SUBS = [sub("p1", name="Mr North"), sub("p2"), sub("p3"), sub("p4")]


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    return make_workspace(tmp_path / "ws", SUBS)


def holds_file(path: Path, *rows: str) -> Path:
    path.write_text("id,from,to,note\n" + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


def test_a_hold_from_a_day_file_is_kept_for_the_days_after(ws, tmp_path, capsys):
    f = holds_file(tmp_path / "holds.csv", "p2,2024-12-05,2024-12-20,vacation")
    assert day(ws, "2024-12-07", "--holds", str(f)) == 0
    assert "1 new, stored in the workspace" in capsys.readouterr().out
    # The next day, without the file: the hold is still there.
    assert day(ws, "2024-12-08") == 0
    action, reason = stops(ws, "2024-12-08")["p2"]
    assert action == "skip"
    assert reason == "on hold 2024-12-05 to 2024-12-20 (vacation)"
    # The same file again changes nothing.
    assert day(ws, "2024-12-09", "--holds", str(f)) == 0
    assert "none new, stored in the workspace (1 stored before, unchanged)" in (
        capsys.readouterr().out
    )
    with Workspace.open(ws) as w:
        assert len(w.holds()) == 1
    assert day(ws, "2024-12-20") == 0
    assert stops(ws, "2024-12-20")["p2"][0] == "skip"
    assert day(ws, "2024-12-21") == 0
    assert stops(ws, "2024-12-21")["p2"][0] == "deliver"
    assert changes(ws, "2024-12-21") == {"p2": "back"}
    assert changes(ws, "2024-12-08") == {}  # a hold under way is no news
    assert changes(ws, "2024-12-07") == {}  # it began on the 5th


def test_hold_command_stores_lists_and_cancels(ws, capsys):
    args = ["--quiet", "hold", str(ws)]
    assert main([*args, "p1", "p2", "--from", "2024-12-05", "--to", "2024-12-20"]) == 0
    assert main([*args, "p1", "--from", "2024-12-05", "--to", "2024-12-20", "--note", "away"]) == 0
    assert main([*args, "p3", "--from", "2024-12-10", "--note", "in hospital"]) == 0
    out = capsys.readouterr().out
    assert "p1 (Mr North): on hold 2024-12-05 to 2024-12-20; delivered again on 2024-12-21" in out
    assert "(already held; the note is updated)" in out
    assert "p3 (Name p3): on hold 2024-12-10 to further notice (in hospital)" in out

    assert main(["--quiet", "holds", str(ws), "--date", "2024-12-07"]) == 0
    listing = capsys.readouterr().out
    assert "Holds on 2024-12-07: 2 on hold, 1 upcoming" in listing
    row = next(line for line in listing.splitlines() if line.split()[:1] == ["p3"])
    assert "until cancelled" in row
    assert "upcoming" in row
    assert main(["--quiet", "holds", str(ws), "--date", "2024-12-21"]) == 0
    assert "0 on hold" not in capsys.readouterr().out  # p3's open hold still runs

    assert day(ws, "2024-12-14") == 0
    assert stops(ws, "2024-12-14")["p3"] == (
        "skip",
        "on hold 2024-12-10 to further notice (in hospital)",
    )
    assert main([*args, "p3", "--cancel", "--from", "2024-12-15"]) == 0
    assert "delivered again from 2024-12-15" in capsys.readouterr().out
    assert day(ws, "2024-12-15") == 0
    assert stops(ws, "2024-12-15")["p3"][0] == "deliver"
    assert changes(ws, "2024-12-15")["p3"] == "back"

    # A hold cancelled before it began holds no day; a day already run is named.
    assert main([*args, "p4", "--from", "2024-12-14", "--to", "2024-12-31"]) == 0
    assert "2024-12-14, 2024-12-15 were run already" in capsys.readouterr().out
    assert main([*args, "p4", "--cancel", "--from", "2024-12-14"]) == 0
    assert "cancelled (it had not begun)" in capsys.readouterr().out
    assert day(ws, "2024-12-16") == 0
    assert stops(ws, "2024-12-16")["p4"][0] == "deliver"
    # Given again by hand, the cancelled hold stands again.
    assert main([*args, "p4", "--from", "2024-12-14", "--to", "2024-12-31"]) == 0
    assert "stands again" in capsys.readouterr().out


def test_bad_holds_are_refused_and_nothing_is_stored(ws, capsys):
    args = ["--quiet", "hold", str(ws)]
    assert main([*args, "p1", "ghost", "--from", "2024-12-05"]) == 2
    assert "'ghost'" in capsys.readouterr().err
    assert main([*args, "p1", "--from", "2024-12-20", "--to", "2024-12-05"]) == 2
    assert "ends before it starts" in capsys.readouterr().err
    assert main([*args, "p1", "--from", "5 Dec"]) == 2
    assert main([*args, "p1"]) == 2
    assert "--from" in capsys.readouterr().err
    assert main([*args, "p1", "--cancel", "--from", "2024-12-05"]) == 2
    assert "no hold on or after 2024-12-05" in capsys.readouterr().err
    assert main([*args, "p1", "--cancel", "--to", "2024-12-05"]) == 2
    with Workspace.open(ws) as w:
        assert w.holds() == []
    with Workspace.open(ws) as w, w.transaction():
        w.deactivate(["p4"])
    assert main([*args, "p4", "--from", "2024-12-05"]) == 2
    assert "removed from the route" in capsys.readouterr().err


def test_a_complaint_from_a_subscriber_on_hold_is_refused_not_redelivered(ws, tmp_path, capsys):
    """A held subscriber got no paper that day: a missed, wet or damaged complaint cannot
    become a redelivery to an empty house (and take a copy from someone else)."""
    assert main(["--quiet", "hold", str(ws), "p2", "--from", "2024-12-05"]) == 0
    complaints = tmp_path / "complaints.csv"
    complaints.write_text("id,kind,note\np1,wet,\np2,missed,not there\n", encoding="utf-8")
    capsys.readouterr()
    assert day(ws, "2024-12-07", "--complaints", str(complaints)) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert f"{complaints}, row 3, column 'id'" in err
    assert "on hold 2024-12-05 to further notice" in err
    assert "'p2'" in err
    assert "--cancel --from 2024-12-07" in err  # the fix, if they are back
    with Workspace.open(ws) as w:
        assert not list(w.days())  # nothing written
    # A wrong-spot note for them is no redelivery: kept for the next day's sheet.
    complaints.write_text("id,kind,note\np1,wet,\np2,wrong_spot,on the lawn\n", encoding="utf-8")
    assert day(ws, "2024-12-07", "--complaints", str(complaints)) == 0
    assert stops(ws, "2024-12-07")["p2"][0] == "skip"


def test_start_and_stop_dates_take_effect_on_their_dates(tmp_path):
    subs = [
        sub("p1"),
        replace(sub("p2"), start=date(2024, 12, 10)),
        replace(sub("p3"), stop=date(2024, 12, 12)),
        replace(sub("p4", days=range(5)), start=date(2024, 12, 7)),  # Mon-Fri; the 7th is Sat
    ]
    ws = make_workspace(tmp_path / "ws", subs)
    for d in ("2024-12-09", "2024-12-10", "2024-12-12", "2024-12-13"):
        assert day(ws, d) == 0
    assert stops(ws, "2024-12-09")["p2"] == ("skip", "subscription starts 2024-12-10")
    assert stops(ws, "2024-12-10")["p2"][0] == "deliver"
    assert changes(ws, "2024-12-10") == {"p2": "start"}
    # p4's first scheduled day after its start is Monday the 9th.
    assert changes(ws, "2024-12-09") == {"p4": "start"}
    assert stops(ws, "2024-12-12")["p3"][0] == "deliver"
    assert changes(ws, "2024-12-12") == {"p3": "last"}
    assert stops(ws, "2024-12-13")["p3"] == ("skip", "subscription stopped after 2024-12-12")
    with Workspace.open(ws) as w:
        # A stop date ends service, not the subscriber's record or place.
        assert {s.id for s in w.subscribers()} == {"p1", "p2", "p3", "p4"}
        assert "p3" in w.latest_book().order


def test_subscriber_files_carry_start_and_stop():
    rows = [
        {"id": "a", "lat": "60.17", "lon": "24.94", "start": "2024-12-01", "stop": ""},
        {"id": "b", "lat": "60.17", "lon": "24.94", "start": "", "stop": "2024-12-31 00:00:00"},
    ]
    a, b = parse_subscribers(rows, source="subs.csv").subscribers
    assert (a.start, a.stop, b.start, b.stop) == (date(2024, 12, 1), None, None, date(2024, 12, 31))
    assert a.to_dict()["start"] == "2024-12-01"
    assert "stop" not in a.to_dict()
    assert type(a).from_dict(a.to_dict()) == a
    assert "start" not in sub("x").to_dict()  # fingerprints of older subscribers stay the same
    bad = [
        {"id": "c", "lat": "60.17", "lon": "24.94", "start": "1 Dec", "stop": ""},
        {"id": "d", "lat": "60.17", "lon": "24.94", "start": "2024-12-31", "stop": "2024-12-01"},
    ]
    with pytest.raises(InputError) as e:
        parse_subscribers(bad, source="subs.csv")
    text = str(e.value)
    assert "row 2, column 'start'" in text
    assert "'1 Dec'" in text
    assert "row 3, column 'stop'" in text
    assert "stops before it starts" in text


def test_day_changes_follow_the_schedule():
    weekdays = replace(sub("w", days=range(5)), stop=date(2024, 12, 20))  # Mon-Fri
    subs = {"w": weekdays, "d": sub("d")}
    holds = [
        Hold("w", date(2024, 12, 9), date(2024, 12, 13), "away"),
        Hold("d", date(2024, 12, 14)),
    ]
    ids = ["w", "d"]

    def on(d: int) -> dict[str, str]:
        return {c["id"]: c["text"] for c in day_changes(ids, subs, date(2024, 12, d), holds)}

    assert on(9) == {"w": "on hold from today until 2024-12-13, back on 2024-12-16: away"}
    assert on(10) == {}
    assert on(14) == {"d": "on hold from today until further notice"}
    # Back on Monday: the weekend between is not a delivery day for w.
    assert on(16) == {"w": "back from hold (held from 2024-12-09): away"}
    assert on(20) == {"w": "last delivery (service stops after 2024-12-20)"}
    assert on(21) == {}


def test_the_days_sheet_lists_its_changes_at_the_top():
    page = sheet_html(
        Sheet(
            "Route sheet for 2024-12-21",
            "",
            (),
            (),
            changes=("p2 Name p2: back from hold (held from 2024-12-05)", "p3 <x>: first delivery"),
            is_day=True,
        )
    )
    root = ET.fromstring(page.split("\n", 1)[1])
    ns = "{http://www.w3.org/1999/xhtml}"
    body = root.find(f"{ns}body")
    sections = [el for el in body if el.tag == f"{ns}section"]
    assert sections[0].get("class") == "changes"
    items = [li.text for li in sections[0].iter(f"{ns}li")]
    assert items == ["p2 Name p2: back from hold (held from 2024-12-05)", "p3 <x>: first delivery"]
    assert 'class="changes"' not in sheet_html(route_sheet(book(["p1"]), [sub("p1")]))


def test_a_days_changes_read_as_their_text_with_the_subscribers_name():
    b, s = book(["p1"]), sub("p1")
    day = run_day(b, [s], date(2024, 12, 16))
    change = {"id": "p1", "kind": "back", "text": "back from hold (held from 2024-12-09)"}
    sheet = route_sheet(b, [s], replace(day, changes=(change,)))
    assert sheet.changes == (f"{s.name} (p1): back from hold (held from 2024-12-09)",)
