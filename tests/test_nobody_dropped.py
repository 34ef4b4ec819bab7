"""A re-optimisation never serves fewer subscribers unless told to (DESIGN.md invariant 9),
its savings compare routes that serve the same subscribers, and diffs follow carriers by the
stops they share, so renumbering is not a move."""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

import pytest

from route.cli.main import main
from route.io.workspace import Workspace
from route.routebook.changes import stable_edit
from route.routebook.diff import diff_books, match_carriers, moved
from route.teaching.demo import DEMO_DEPOT, demo_rows
from tests._daykit import book, sub
from tests._wskit import make_workspace
from tests.test_stable_cli import _demo_index

TIGHT = ["--capacity", "8", "--time-limit", "1"]


@pytest.fixture(scope="module")
def planned_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("dropped")
    rows = demo_rows()[:14]
    path = tmp / "a.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    ws = tmp / "ws"
    depot = f"{DEMO_DEPOT.lat},{DEMO_DEPOT.lon}"
    assert main(["--quiet", "init", str(ws), "--network", "demo", "--depot", depot]) == 0
    assert main(["--quiet", "import", str(ws), str(path)]) == 0
    assert main(["--quiet", "plan", str(ws), "--time-limit", "1"]) == 0
    return ws


@pytest.fixture
def planned(planned_template: Path, tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    shutil.copytree(planned_template, ws)
    return ws


def test_a_reoptimisation_that_drops_subscribers_is_refused(planned, capsys):
    with Workspace.open(planned) as w:
        before = w.latest_book()
    capsys.readouterr()
    args = ["--quiet", "plan", str(planned), "--reoptimize", *TIGHT]
    assert main(args) == 0  # a report alone
    report = capsys.readouterr().out
    assert "would no longer be served (6):" in report  # a bag of eight for 14 papers
    assert main([*args, "--yes"]) == 2
    captured = capsys.readouterr()
    assert "would no longer be served (6):" in captured.out  # the report, then the refusal
    assert "6 subscriber(s) unserved who are served now" in captured.err
    assert "--allow-unserved" in captured.err
    assert "nothing was committed" in captured.err
    with Workspace.open(planned) as w:
        assert len(w.versions()) == 1

    assert main([*args, "--yes", "--allow-unserved"]) == 0
    committed = capsys.readouterr().out
    with Workspace.open(planned) as w:
        new = w.latest_book()
        note = w.versions()[-1][2]
        subs = w.subscribers()
    assert new.version == 2
    dropped = [u for u in new.unserved if u.subscriber_id in before.order]
    assert len(dropped) == 6
    for u in dropped:
        c, stop = before.stop_of(u.subscriber_id)
        # Each one with the carrier and stop they had, and the reason.
        assert (
            f"    {u.subscriber_id:<10} (was carrier {c}, stop {stop.seq}) {u.reason}" in committed
        )
    assert "no longer served " + ", ".join(u.subscriber_id for u in dropped) in note
    # The saving is measured on the eight subscribers both routes serve: the old route without
    # the six, against the new one.
    common = [s for s in subs if s.id in set(new.order)]
    baseline = stable_edit(before, common, _demo_index()).book
    saving = new.distance_m - baseline.distance_m
    line = committed.splitlines()[1]
    assert "on the 8 subscribers both serve" in line
    assert f"({saving:+,} m" in line


def test_allow_unserved_needs_a_reoptimisation(planned, capsys):
    assert main(["--quiet", "plan", str(planned), "--allow-unserved"]) == 2
    assert "add --reoptimize" in capsys.readouterr().err


def test_a_reoptimisation_serving_everyone_reports_the_plain_saving(planned, capsys):
    capsys.readouterr()
    assert main(["--quiet", "plan", str(planned), "--reoptimize", "--time-limit", "1"]) == 0
    out = capsys.readouterr().out
    assert "both serve" not in out
    assert "would no longer be served" not in out


def test_renumbered_carriers_are_not_moves():
    old = book([["a1", "a2", "a3"], ["b4", "b5"]])
    new = book([["b4", "b5"], ["a1", "a2", "a3"]], version=2)
    assert match_carriers([r.order for r in old.routes], [r.order for r in new.routes]) == {
        0: 1,
        1: 0,
    }
    d = diff_books(old, new)
    assert d.moved == ()
    assert d.renumbered == {1: 2, 2: 1}
    text = "\n".join(d.lines())
    assert "moved 0" in text
    assert "carrier 2 is now carrier 1 (same stops, renumbered)" in text


def test_moves_between_carriers_name_both_carriers():
    old = book([["a1", "a2", "a3"], ["b4", "b5"]])
    new = book([["b5", "b4"], ["a1", "a3"], ["a2"]], version=2)
    d = diff_books(old, new)
    # Carrier 2 of the new book is the old carrier 1 (two stops shared); a2 went to a new
    # third carrier; b4 and b5 swapped places (one of them moved).
    assert set(d.moved) == {"a2", "b5"} or set(d.moved) == {"a2", "b4"}
    assert d.positions["a2"] == (1, 2, 3, 1)
    assert (
        "  moved    a2         carrier 1 stop   2 -> carrier 3 stop   1, "
        "now after the start (was after a1)"
    ) in d.lines()
    # Ties keep the numbers: two carriers with nothing in common stay as they are.
    assert match_carriers([["x"], ["y"]], [["p"], ["q"]]) == {}
    assert moved([["a", "b"], ["c"]], [["a", "b"], ["c"]]) == frozenset()


def test_a_stop_that_moves_but_keeps_its_number_says_where_it_went():
    # m keeps number 3 while both pairs around it swap sides: whichever pair the diff keeps,
    # m left its place, and its line names its new and old predecessors rather than reading
    # "stop 3 -> stop 3" alone.
    old = book([["a", "b", "m", "c", "d"]])
    new = book([["c", "d", "m", "a", "b"]], version=2)
    d = diff_books(old, new)
    assert "m" in d.moved
    assert d.positions["m"] == (1, 3, 1, 3)
    assert d.after["m"] == ("b", "d")
    assert (
        "  moved    m          carrier 1 stop   3 -> carrier 1 stop   3, now after d (was after b)"
        in d.lines()
    )
    first = next(x for x in d.moved if d.positions[x][3] == 1)
    assert any(
        t.endswith("now after the start (was after " + str(d.after[first][0]) + ")")
        for t in d.lines()
    )


def test_history_diff_follows_renumbered_carriers(tmp_path, capsys):
    subs = [sub(x) for x in ("a1", "a2", "a3", "b4", "b5")]
    ws = make_workspace(tmp_path / "ws", subs, [["a1", "a2", "a3"], ["b4", "b5"]])
    with Workspace.open(ws) as w:
        w.save_book(book([["b4", "b5"], ["a1", "a2", "a3"]]), "renumbered", based_on=1)
    capsys.readouterr()
    assert main(["--quiet", "history", str(ws), "--diff", "1", "2"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"moved 0\b", out)
    assert "carrier 1 is now carrier 2" in out
