"""Through the command line: stable import and remove, plan --reoptimize (also skip-aware),
history, the skipped-stops report, hold history and the sheet's usual times."""

from __future__ import annotations

import csv
import itertools
import json
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest

from route.cli.edit_cmds import _absences
from route.cli.main import main
from route.io.workspace import Workspace
from route.routebook.changes import routes_of, workbench
from route.routebook.diff import diff_books, moved
from route.routebook.skip_aware import expected_length, presence
from route.teaching.demo import DEMO_DEPOT, demo_rows


def write_rows(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return path


def _demo_index():
    """The embedded network's index, as the commands loaded it (once per process)."""
    from route.cli.common import _load_index, _Reporter
    from route.io.workspace import Settings
    from route.model.subscriber import Depot

    return _load_index(Settings("demo", "walk", Depot(0, 0)), _Reporter(True))


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    return demo_rows()[:34]


@pytest.fixture(scope="module")
def planned_template(tmp_path_factory, rows) -> Path:
    """A workspace with 28 demo subscribers and a planned route (version 1), made once."""
    tmp = tmp_path_factory.mktemp("template")
    ws = tmp / "ws"
    depot = f"{DEMO_DEPOT.lat},{DEMO_DEPOT.lon}"
    assert main(["--quiet", "init", str(ws), "--network", "demo", "--depot", depot]) == 0
    assert main(["--quiet", "import", str(ws), str(write_rows(tmp / "a.csv", rows[:28]))]) == 0
    assert main(["--quiet", "plan", str(ws), "--time-limit", "1"]) == 0
    return ws


@pytest.fixture
def planned(planned_template: Path, tmp_path: Path) -> Path:
    """A fresh copy of the planned workspace for each test."""
    ws = tmp_path / "ws"
    shutil.copytree(planned_template, ws)
    return ws


def orders(ws: Path) -> list[tuple[str, ...]]:
    with Workspace.open(ws) as w:
        return [w.book(v).order for v, _c, _n in w.versions()]


def test_import_inserts_stably_and_records_a_version(planned, rows, tmp_path, capsys):
    with Workspace.open(planned) as w:
        v1_json = w.book(1).to_json()
    capsys.readouterr()
    assert main(["--quiet", "import", str(planned), str(write_rows(tmp_path / "b.csv", rows))]) == 0
    out = capsys.readouterr().out
    first, second = orders(planned)
    assert set(second) == {r["id"] for r in rows}
    assert tuple(x for x in second if x in first) == first  # nobody else reordered
    for r in rows[28:]:
        assert f"{r['id']:<10} -> carrier 1, stop" in out
    with Workspace.open(planned) as w:
        assert w.book(1).to_json() == v1_json  # versions are never lost or rewritten
        (_v, _c, note) = w.versions()[-1]
        assert note.startswith("import b.csv; inserted ")
        book = w.latest_book()
    # Arrivals follow from the legs: each stop's arrival is the previous departure plus its leg.
    stops = book.routes[0].stops
    for a, b in itertools.pairwise(stops):
        assert b.arrival_s >= a.arrival_s + a.walk_in_s + b.leg_s
    assert book.distance_m == sum(s.leg_m for s in stops) + book.routes[0].return_m


def test_remove_closes_the_gap_and_keeps_order(planned, capsys):
    before = orders(planned)[-1]
    gone = [before[3], before[10]]
    assert main(["--quiet", "remove", str(planned), *gone]) == 0
    after = orders(planned)[-1]
    assert after == tuple(x for x in before if x not in gone)
    with Workspace.open(planned) as w:
        old, new = w.book(1), w.latest_book()
        assert {s.id for s in w.subscribers()} == set(after)
    assert new.distance_m <= old.distance_m
    d = diff_books(old, new)
    assert d.removed == tuple(gone)
    assert not d.moved
    # Stops after a removed one arrive earlier or at the same time, never later.
    o = {s.subscriber_id: s.arrival_s for s in old.routes[0].stops}
    assert all(s.arrival_s <= o[s.subscriber_id] for s in new.routes[0].stops)


def test_remove_refuses_unknown_ids_and_writes_nothing(planned, capsys):
    assert main(["--quiet", "remove", str(planned), "NOPE", "S001", "ALSO"]) == 2
    err = capsys.readouterr().err
    assert "NOPE" in err
    assert "ALSO" in err
    assert len(orders(planned)) == 1
    with Workspace.open(planned) as w:
        assert "S001" in {s.id for s in w.subscribers()}


def test_plain_plan_on_a_planned_workspace_does_not_reorder(planned, capsys):
    capsys.readouterr()
    assert main(["--quiet", "plan", str(planned)]) == 0
    assert "up to date" in capsys.readouterr().out
    assert len(orders(planned)) == 1
    assert main(["--quiet", "plan", str(planned), "--carriers", "2"]) == 2


def hand_made(ws_path: Path) -> None:
    """Save a worse order as the newest version, as a carrier's own route would be."""
    from route.routebook.changes import to_book

    with Workspace.open(ws_path) as w:
        book, subs = w.latest_book(), w.subscribers()
        index = _demo_index()
        wb = workbench(subs, book, index)
        (r,) = routes_of(book, wb)
        # The last three stops served early: a walk to the far end of the route and back.
        worse = (*r[:3], *r[-3:], *r[3:-3])
        with w.transaction() as con:
            w.save_book(
                to_book(wb, (worse,), index, book), "hand-made order", con, based_on=book.version
            )


def test_reoptimise_report_matches_what_it_commits(planned, rows, tmp_path, capsys):
    assert main(["--quiet", "import", str(planned), str(write_rows(tmp_path / "b.csv", rows))]) == 0
    hand_made(planned)
    capsys.readouterr()
    args = [
        "--quiet",
        "plan",
        str(planned),
        "--reoptimize",
        "--max-moved",
        "3",
        "--time-limit",
        "1",
    ]
    assert main(args) == 0
    report = capsys.readouterr().out
    assert "Nothing committed" in report
    assert len(orders(planned)) == 3  # a report alone changes nothing
    assert main([*args, "--yes"]) == 0
    committed = capsys.readouterr().out
    assert committed.startswith(report.split("Nothing committed")[0])  # same report, then commit
    with Workspace.open(planned) as w:
        old, new = w.book(3), w.latest_book()
        note = w.versions()[-1][2]
    assert new.version == 4
    d = diff_books(old, new)
    assert "\n".join(d.lines(limit=12)) in committed
    assert len(moved([r.order for r in old.routes], [r.order for r in new.routes])) <= 3
    assert new.distance_m < old.distance_m
    assert f"{d.distance_m:+d} m" in note


def test_reoptimise_keep_first_keeps_the_start(planned, rows, tmp_path):
    assert main(["--quiet", "import", str(planned), str(write_rows(tmp_path / "b.csv", rows))]) == 0
    hand_made(planned)  # its detour starts at the fourth stop
    args = ["--quiet", "plan", str(planned), "--reoptimize", "--time-limit", "1", "--yes"]
    assert main([*args, "--keep-first", "2"]) == 0
    o = orders(planned)
    assert len(o) == 4
    assert o[-1][:2] == o[2][:2]
    assert sorted(o[-1]) == sorted(o[2])
    with Workspace.open(planned) as w:
        assert w.book(4).distance_m < w.book(3).distance_m


def test_bounds_without_reoptimize_are_refused(planned):
    assert main(["--quiet", "plan", str(planned), "--max-moved", "2"]) == 2
    assert main(["--quiet", "plan", str(planned), "--reoptimize", "--max-moved", "-1"]) == 2


def test_history_lists_and_diffs_versions(planned, rows, tmp_path, capsys):
    assert main(["--quiet", "import", str(planned), str(write_rows(tmp_path / "b.csv", rows))]) == 0
    capsys.readouterr()
    assert main(["--quiet", "history", str(planned)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split()[:3] == ["version", "created", "(UTC)"]
    assert [line.split()[0] for line in out[1:]] == ["1", "2"]
    assert main(["--quiet", "history", str(planned), "--diff", "1", "2"]) == 0
    diff = capsys.readouterr().out
    assert f"added {len(rows) - 28}, removed 0, moved 0" in diff
    assert main(["--quiet", "history", str(planned), "--diff", "1", "9"]) == 2


def test_book_json_of_every_version_is_valid(planned, rows, tmp_path):
    assert main(["--quiet", "import", str(planned), str(write_rows(tmp_path / "b.csv", rows))]) == 0
    with Workspace.open(planned) as w:
        for v, _c, _n in w.versions():
            data = json.loads(w.book(v).to_json())
            assert data["version"] == v


# -- skipped stops ---------------------------------------------------------------------------


def expected_m(ws_path, version: int | None = None, rates=None) -> float:
    with Workspace.open(ws_path) as w:
        book = w.latest_book() if version is None else w.book(version)
        subs = w.subscribers()
    index = _demo_index()
    wb = workbench(subs, book, index)
    p = presence(wb.snapped.served, rates)
    return sum(expected_length(wb.problem.distance, r, p) for r in routes_of(book, wb))


def test_skip_aware_reports_then_commits_a_shorter_expected_day(planned, rows, tmp_path, capsys):
    assert main(["--quiet", "import", str(planned), str(write_rows(tmp_path / "b.csv", rows))]) == 0
    hand_made(planned)
    capsys.readouterr()
    args = ["--quiet", "plan", str(planned), "--reoptimize", "--skip-aware", "--kicks", "1"]
    assert main(args) == 0
    report = capsys.readouterr().out
    with Workspace.open(planned) as w:
        assert len(w.versions()) == 3
    line = next(x for x in report.splitlines() if "expected day" in x)
    before = expected_m(planned)
    assert f"{before:,.0f} m ->" in line
    assert main([*args, "--yes"]) == 0
    after = expected_m(planned)
    assert after < before  # the hand-made detour costs on every kind of day
    assert f"-> {after:,.0f} m" in line  # the report named what was then committed
    with Workspace.open(planned) as w:
        assert w.versions()[-1][2].startswith("skip-aware: expected -")
        assert sorted(w.book(3).order) == sorted(w.latest_book().order)


def test_skip_aware_needs_reoptimize_on_a_planned_route(planned):
    assert main(["--quiet", "plan", str(planned), "--reoptimize", "--kicks", "2"]) == 2
    assert main(["--quiet", "plan", str(planned), "--skip-aware"]) == 2
    assert (
        main(["--quiet", "plan", str(planned), "--reoptimize", "--skip-aware", "--max-moved", "3"])
        == 2
    )


def test_hold_history_from_the_ledger_and_days(planned):
    with Workspace.open(planned) as w:
        sid = w.subscribers()[0].id
        other = w.subscribers()[1].id
        first = date(2026, 3, 2)
        with w.transaction() as con:
            for k in range(14):
                con.execute(
                    "INSERT INTO ledger (date, subscriber_id, kind, detail) "
                    "VALUES (?, ?, 'hold', 'holiday')",
                    ((first + timedelta(days=k)).isoformat(), sid),
                )
            con.execute(
                "INSERT INTO days VALUES (?, 1, 'now', ?)",
                (
                    (first + timedelta(days=27)).isoformat(),
                    json.dumps({"stops": [{"id": other, "action": "skip", "reason": "hold"}]}),
                ),
            )
        absences, lo, hi = _absences(w)
    assert (lo, hi) == (first, first + timedelta(days=27))
    assert (first, sid) in absences
    assert (hi, other) in absences
    assert len(absences) == 15


def test_skips_report_prints_expectation_price_and_spread(planned, capsys):
    capsys.readouterr()
    assert (
        main(
            [
                "--quiet",
                "skips",
                str(planned),
                "--days",
                "7",
                "--from",
                "2026-03-02",
                "--time-limit",
                "0.3",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    before = expected_m(planned)
    assert f"{before:,.0f} m (exact)" in out
    # Without holds, one week of schedules averages to exactly the expectation.
    sim = next(x for x in out.splitlines() if "fixed route:" in x)
    assert f"{before:,.0f} m a day" in sim
    price = float(next(x for x in out.splitlines() if "price" in x).split()[5].rstrip("x"))
    assert price >= 1.0
    table = out.split("schedules only):")[1].strip().splitlines()
    with Workspace.open(planned) as w:
        n = len(w.latest_book().order)
    assert len(table) == n + 1
    assert main(["--quiet", "skips", str(planned), "--from", "March"]) == 2


def test_usual_arrivals_for_the_sheet(planned):
    from route.routebook.changes import usual_arrivals

    index = _demo_index()
    with Workspace.open(planned) as w:
        book, subs = w.latest_book(), w.subscribers()
    spreads = usual_arrivals(book, subs, index, date(2026, 3, 2))
    assert set(spreads) == set(book.order)
    days = {s.id: len(set(s.days)) for s in subs}
    planned_at = {s.subscriber_id: s.arrival_s for r in book.routes for s in r.stops}
    for sid, sp in spreads.items():
        assert sp.days == days[sid]
        assert sp.earliest_s <= sp.mean_s <= sp.latest_s
        # Skipping stops never makes anyone later than the all-present plan.
        assert sp.latest_s <= planned_at[sid]
    assert max(sp.range_s for sp in spreads.values()) > 0  # Sundays differ from weekdays


def test_an_updated_spot_is_slotted_again_and_nobody_else_moves(planned, rows, tmp_path, capsys):
    first = orders(planned)[-1]
    changed = [dict(r) for r in rows[:28]]
    # Move one subscriber to another subscriber's building: their place is chosen again.
    target = changed[20]
    for key in ("lat", "lon", "spot_lat", "spot_lon"):
        changed[3][key] = target[key]
    sid = changed[3]["id"]
    capsys.readouterr()
    assert (
        main(["--quiet", "import", str(planned), str(write_rows(tmp_path / "c.csv", changed))]) == 0
    )
    out = capsys.readouterr().out
    assert "1 updated" in out
    assert f"{sid:<10} -> carrier 1" in out
    second = orders(planned)[-1]
    assert [x for x in second if x != sid] == [x for x in first if x != sid]
    pos = second.index(sid)
    assert target["id"] in second[max(0, pos - 1) : pos + 2]  # next to its new neighbour


def test_a_removed_subscriber_imported_again_comes_back(planned, rows, tmp_path, capsys):
    sid = orders(planned)[-1][5]
    assert main(["--quiet", "remove", str(planned), sid]) == 0
    assert (
        main(["--quiet", "import", str(planned), str(write_rows(tmp_path / "a.csv", rows[:28]))])
        == 0
    )
    with Workspace.open(planned) as w:
        assert sid in {s.id for s in w.subscribers()}
        assert sid in w.latest_book().order
    _first, second, third = orders(planned)
    assert tuple(x for x in third if x != sid) == second
