"""The ledger report: on a scripted month it matches the ledger's own lines, its carrier
figures add up to the days' totals, rates turn them into pay, and a complaint given twice for a
subscriber on one day counts once."""

from __future__ import annotations

import csv
import json
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest

from route.cli.main import main
from route.io.workspace import Workspace
from tests._daykit import sub
from tests._wskit import day, make_workspace

SUBS = [
    sub("p1", name="Mr North"),
    sub("p2", rain="bag"),
    sub("p3"),
    sub("p4", substitutes=["tabloid"]),
    sub("p5", rain="bag"),
    sub("p6", days=range(5)),
    sub("h7", "household"),
    sub("c8", "complimentary"),
    sub("t9", product="tabloid"),
]
ORDER = [["p1", "p2", "p3", "h7", "c8"], ["p4", "p5", "p6", "t9"]]
FIRST = date(2024, 6, 1)


def script(tmp: Path) -> list[list[str]]:
    """A month of mornings: short days, a spare tabloid, rain, complaints (one given twice),
    a late bundle, a hold, and one day run again."""
    complaints = tmp / "complaints.csv"
    complaints.write_text(
        "id,kind,note\np2,wet,soaked\np2,wet,really soaked\np3,missed,\np5,wrong_spot,porch\n",
        encoding="utf-8",
    )
    holds = tmp / "holds.csv"
    holds.write_text("id,from,to\np3,2024-06-20,2024-06-24\n", encoding="utf-8")
    days = []
    for k in range(30):
        d = (FIRST + timedelta(days=k)).isoformat()
        args = [d]
        if k == 9:
            args += ["--complaints", str(complaints), "--supply", "paper=8"]
        elif k == 12:
            args += ["--supply", "paper=3", "--late", "paper=2"]
        elif k % 3 == 0:
            args += ["--supply", f"paper={5 - k % 2}", "--supply", "tabloid=2"]
        if k % 7 == 2:
            args += ["--weather", "rain"]
        if k == 18:
            args += ["--holds", str(holds)]
        days.append(args)
    days.append([days[6][0], "--supply", "paper=2", "--replace"])
    return days


@pytest.fixture(scope="module")
def month(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("month")
    ws = make_workspace(tmp / "ws", SUBS, ORDER)
    for args in script(tmp):
        assert day(ws, *args) == 0
    return ws


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


FIGURES = ("credits", "shorted", "substitutions", "redeliveries", "complaints", "deliveries")


def by_hand(ws: Path) -> dict[str, dict[str, int]]:
    """Per-subscriber figures counted straight from the ledger's lines."""
    with Workspace.open(ws) as w:
        rows = w.ledger_rows()
        days = w.days()
    cancelled = {json.loads(r[5])["voids"] for r in rows if r[3] == "void"}
    out: dict[str, dict[str, int]] = {}
    complaints: dict[str, set[tuple[str, str]]] = {}
    for seq, d, sid, kind, _product, detail in rows:
        if kind == "void" or seq in cancelled or not sid:
            continue
        f = out.setdefault(sid, dict.fromkeys(FIGURES, 0))
        info = json.loads(detail) if detail else {}
        if kind == "credit":
            f["credits"] += info["units"]
        if kind == "short":
            f["shorted"] += 1
        if kind == "substitute":
            f["substitutions"] += 1
        if kind == "redeliver":
            f["redeliveries"] += 1
        if kind in ("redeliver", "complaint"):
            complaints.setdefault(sid, set()).add((d, info["kind"]))
        if kind == "wrong_spot":
            complaints.setdefault(sid, set()).add((d, "wrong_spot"))
    for sid, found in complaints.items():
        out[sid]["complaints"] = len(found)
    for _d, _v, data in days:
        for s in data["stops"]:
            if s["action"] in ("deliver", "deliver_substitute"):
                out.setdefault(s["id"], dict.fromkeys(FIGURES, 0))["deliveries"] += 1
    return out


def test_the_report_matches_the_ledger_lines_of_a_scripted_month(month, tmp_path, capsys):
    capsys.readouterr()
    out = tmp_path / "ledger.csv"
    assert main(["--quiet", "ledger", str(month), "--csv", str(out)]) == 0
    text = capsys.readouterr().out
    assert "Ledger from the first day to the last day: 30 day(s) run" in text
    rows = read_csv(out)
    subs = {r["id"]: r for r in rows if r["table"] == "subscriber"}
    expected = by_hand(month)
    assert set(subs) == set(expected)
    for sid, f in expected.items():
        got = {k: int(subs[sid][k]) for k in f}
        assert got == f, sid
    # What the script did, told apart: a wet complaint given twice counts once, and the
    # replaced run of the 7th counts once.
    assert expected["p2"]["complaints"] == 1
    assert expected["p3"]["complaints"] == 1
    assert expected["p5"]["complaints"] == 1
    assert "p3" not in {s for s, f in expected.items() if f["redeliveries"] > 1}
    assert sum(f["shorted"] for f in expected.values()) > 0
    assert sum(f["substitutions"] for f in expected.values()) > 0
    with Workspace.open(month) as w:
        days = {d: data for d, _v, data in w.days()}
    assert len(days) == 30
    day_rows = {r["date"]: r for r in rows if r["table"] == "day"}
    for d, data in days.items():
        t = data["totals"]
        r = day_rows[d]
        for k in ("delivered", "substituted", "skipped", "shorted", "credits"):
            assert int(r[k]) == t[k], (d, k)
    assert sum(int(r["credits"]) for r in day_rows.values()) == sum(
        f["credits"] for f in expected.values()
    )
    tenth = day_rows["2024-06-10"]
    assert int(tenth["complaints"]) == 3
    deliveries = int(tenth["delivered"]) + int(tenth["substituted"])
    assert float(tenth["complaints_per_1000"]) == pytest.approx(3000 / deliveries, abs=0.01)


def test_carrier_figures_add_up_to_the_days_own_totals(month, tmp_path):
    out = tmp_path / "ledger.csv"
    assert main(["--quiet", "ledger", str(month), "--csv", str(out)]) == 0
    carriers = [r for r in read_csv(out) if r["table"] == "carrier"]
    with Workspace.open(month) as w:
        days = {d: data for d, _v, data in w.days()}
    assert {r["date"] for r in carriers} == set(days)
    for d, data in days.items():
        mine = [r for r in carriers if r["date"] == d]
        assert [int(r["carrier"]) for r in mine] == [1, 2]
        assert sum(int(r["distance_m"]) for r in mine) == data["distance_m"]
        assert sum(int(r["duration_s"]) for r in mine) == data["duration_s"]
        for r in mine:
            assert float(r["km"]) == pytest.approx(int(r["distance_m"]) / 1000, abs=6e-4)
            assert float(r["hours"]) == pytest.approx(int(r["duration_s"]) / 3600, abs=6e-4)
        handed: dict[str, int] = {}
        for s in data["stops"]:
            for p, n in s["items"].items():
                handed[p] = handed.get(p, 0) + n
        for product in ("paper", "tabloid"):
            got = sum(int(r[f"pieces_{product}"]) for r in mine)
            assert got == handed.get(product, 0)
        visits = sum(
            s["action"] in ("deliver", "deliver_substitute", "redeliver") for s in data["stops"]
        )
        assert sum(int(r["stops"]) for r in mine) == visits
    # Rainy days (bagging time for p2 on carrier 1 and p5 on carrier 2) add up as well.
    assert sum(data["weather"] == "rain" for data in days.values()) >= 4


def test_rates_turn_carrier_figures_into_pay(month, tmp_path, capsys):
    ws = tmp_path / "ws"
    shutil.copytree(month, ws)
    assert (
        main(["--quiet", "rates", str(ws), "--per-piece", "0.1", "--per-piece", "tabloid=0.2"]) == 0
    )
    assert main(["--quiet", "rates", str(ws), "--per-km", "0.5", "--currency", "EUR"]) == 0
    assert "0.1 EUR per piece; 0.2 EUR per piece of tabloid" in capsys.readouterr().out
    out = tmp_path / "pay.csv"
    assert main(["--quiet", "ledger", str(ws), "--from", "2024-06-01", "--to", "2024-06-01",
                 "--csv", str(out)]) == 0  # fmt: skip
    text = capsys.readouterr().out
    for r in (r for r in read_csv(out) if r["table"] == "carrier"):
        pay = 0.1 * int(r["pieces_paper"]) + 0.2 * int(r["pieces_tabloid"]) + 0.5 * float(r["km"])
        assert float(r["pay"]) == pytest.approx(pay, abs=0.01)
        assert f"{float(r['pay']):,.2f} EUR" in text
    assert main(["--quiet", "rates", str(ws), "--per-km", "-1"]) == 2
    assert main(["--quiet", "rates", str(ws), "--per-piece", "paper=lots"]) == 2
    assert main(["--quiet", "rates", str(ws), "--clear"]) == 0
    assert "No pay rates set" in capsys.readouterr().out


def test_a_subscribers_own_ledger_and_the_range(month, capsys):
    capsys.readouterr()
    assert main(["--quiet", "ledger", str(month), "--id", "p2", "--from", "2024-06-10",
                 "--to", "2024-06-10"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "redelivered paper for a wet complaint: soaked; really soaked" in out
    assert main(["--quiet", "ledger", str(month), "--id", "ghost"]) == 2
    assert main(["--quiet", "ledger", str(month), "--from", "June"]) == 2
    assert (
        main(["--quiet", "ledger", str(month), "--from", "2024-06-09", "--to", "2024-06-01"]) == 2
    )


def test_a_complaint_given_twice_counts_once_with_a_note(month, tmp_path, capsys):
    ws = make_workspace(tmp_path / "ws", SUBS, ORDER)
    f = tmp_path / "c.csv"
    f.write_text("id,kind,note\np1,missed,\np1,missed,gate\np1,wet,\n", encoding="utf-8")
    capsys.readouterr()
    assert day(ws, "2024-06-03", "--complaints", str(f)) == 0
    assert "p1 'missed' is given 2 times; counted once" in capsys.readouterr().err
    with Workspace.open(ws) as w:
        lines = [r for r in w.ledger_rows() if r[3] in ("redeliver", "complaint")]
    # One spare copy (the household's): the missed paper is redelivered, the wet one credited.
    assert sorted((r[3], json.loads(r[5])["kind"]) for r in lines) == [
        ("complaint", "wet"),
        ("redeliver", "missed"),
    ]
    with Workspace.open(month) as w:
        tenth = json.loads(w.day_json("2024-06-10"))
        lines = [r for r in w.ledger_rows() if r[1] == "2024-06-10" and r[2] == "p2"]
    assert sum(s["action"] == "redeliver" and s["id"] == "p2" for s in tenth["stops"]) == 1
    assert [r[3] for r in lines].count("redeliver") == 1
