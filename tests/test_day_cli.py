"""End to end on the embedded Helsinki network: demo workspace, then a hard day."""

from __future__ import annotations

import json

from route.cli.main import main
from route.io.workspace import Workspace, load_day


def test_a_hard_day_on_the_demo_route(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["--quiet", "demo", "--out", str(out), "--time-limit", "1"]) == 0
    with Workspace.open(out) as ws:
        b = ws.latest_book()
        subs = {s.id: s for s in ws.subscribers()}
    household = next(i for i, s in subs.items() if s.tier == "household")
    paying = [i for i in b.order if subs[i].tier == "paying" and 0 in subs[i].days]
    (tmp_path / "holds.csv").write_text(f"id,from,to\n{paying[0]},2024-06-01,2024-06-09\n")
    (tmp_path / "complaints.csv").write_text(
        f"id,kind,note\n{paying[1]},wet,soaked\n{paying[2]},wrong_spot,on the lawn\n"
    )
    capsys.readouterr()
    code = main(
        [
            "--quiet",
            "day",
            str(out),
            "--date",
            "2024-06-03",
            "--supply",
            "paper=60",
            "--late",
            "paper=5",
            "--holds",
            str(tmp_path / "holds.csv"),
            "--complaints",
            str(tmp_path / "complaints.csv"),
            "--weather",
            "rain",
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out
    # Too few papers even for the paying subscribers: the wet paper is credited, not replaced.
    for heading in ("action", "Shorted", "Late pass", "Not redelivered", "Wrong spot"):
        assert heading in printed
    data = json.loads((out / "days" / "2024-06-03" / "day.json").read_text())
    day = load_day(out, "2024-06-03")
    assert [(s.carrier, s.id) for s in day.stops if s.action != "redeliver"] == [
        (r.carrier, s.subscriber_id) for r in b.routes for s in r.stops
    ]
    actions = {s.id: s.action for s in day.stops if s.action != "redeliver"}
    assert actions[paying[0]] == "skip"
    assert actions[household] == "short"
    assert data["totals"]["shorted"] > 0
    assert data["totals"]["credits"] > 0
    assert data["weather"] == "rain"
    assert sum(day.handed_out().values()) <= 65
    # Skipped and shorted stops are bypassed on the real streets: a shorter day.
    main_pass = day.distance_m - day.late.get("distance_m", 0)
    assert 0 < main_pass < b.distance_m


def test_replace_writes_the_dates_sheet_map_and_export_again(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["--quiet", "demo", "--out", str(out), "--time-limit", "1"]) == 0
    date = "2024-06-04"
    assert main(["--quiet", "day", str(out), "--date", date]) == 0
    assert main(["--quiet", "sheet", str(out), "--date", date]) == 0
    assert main(["--quiet", "map", str(out), "--date", date]) == 0
    assert main(["--quiet", "export", str(out), "--date", date, "--format", "gpx"]) == 0
    folder = out / "days" / date
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert {"sheet.html", "sheet.csv", "map.html", "route.gpx"} <= set(before)
    untouched = folder / "notes.txt"  # a file of the operator's own stays
    untouched.write_text("mine")
    capsys.readouterr()

    assert main(["--quiet", "day", str(out), "--date", date, "--supply", "paper=40",
                 "--replace"]) == 0  # fmt: skip
    printed = capsys.readouterr().out
    assert "Rewritten for the new run" in printed
    day = load_day(out, date)
    shorted = [s.id for s in day.stops if s.action == "short"]
    assert shorted
    # Every file the earlier run had is there again, made from the new run.
    after = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert set(after) == set(before) | {"notes.txt"}
    assert untouched.read_text() == "mine"
    for name in ("sheet.html", "sheet.csv", "map.html", "route.gpx"):
        assert after[name] != before[name], name
    sheet = after["sheet.html"].decode()
    assert "Short today: no copy" in sheet
    assert f"{len(shorted)} stops" in sheet or f"({len(shorted)})" in sheet
    csv_text = after["sheet.csv"].decode()
    assert all(sid in csv_text for sid in shorted)
