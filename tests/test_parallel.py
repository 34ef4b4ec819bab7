"""Districts planned in parallel on Dask give the route book a serial run gives, byte for byte.

The demo's 80 subscribers in four districts (strips by longitude). Every search has a counted
work budget far below its time cap, in this process and on every Dask worker, so the clock
never decides and a loaded machine cannot make the runs differ. Dask tests are few: a
LocalCluster takes a few seconds to start.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from route.cli.main import main
from route.districts.parallel import (
    district_seed,
    follows_districts,
    group_districts,
    plan_districts,
    reoptimise_districts,
)
from route.io.subscribers import parse_subscribers
from route.io.workspace import Workspace
from route.model.subscriber import Subscriber
from route.routebook.plan import PlanOptions
from route.teaching.demo import DEMO_DEPOT, demo_rows, write_demo_csv
from tests.budget import CHILD_BUDGET, FACTOR, explicit_work

#: Calibrated seconds of search per district; the time cap lies FACTOR times beyond.
WORK_S = 0.3
DISTRICTS = 4


def _subs() -> list[Subscriber]:
    return list(parse_subscribers(demo_rows(), source="demo").subscribers)


def _strips(subs: list[Subscriber], n: int = DISTRICTS) -> dict[str, str]:
    """``n`` districts of (nearly) equal size, west to east."""
    by_lon = sorted(subs, key=lambda s: (s.lon, s.id))
    return {s.id: f"D{1 + n * i // len(by_lon):02d}" for i, s in enumerate(by_lon)}


def _index():
    from route.cli.common import _load_index, _Reporter
    from route.io.workspace import Settings
    from route.model.subscriber import Depot

    return _load_index(Settings("demo", "walk", Depot(0, 0)), _Reporter(True))


def _options(seed: int = 3) -> PlanOptions:
    return PlanOptions(time_limit=WORK_S * FACTOR, work_s=WORK_S, seed=seed)


def test_district_seeds_depend_on_the_seed_and_the_name_only():
    assert district_seed(3, "D01") == district_seed(3, "D01")
    assert len({district_seed(s, n) for s in (0, 1) for n in ("D01", "D02")}) == 4
    assert all(0 <= district_seed(s, "D07") < 2**63 for s in (0, 2**63 - 1))


def test_a_subscriber_without_a_district_is_refused_by_name():
    from route.errors import InputError

    subs = _subs()
    membership = _strips(subs)
    del membership[subs[5].id]
    with pytest.raises(InputError, match=subs[5].id):
        group_districts(subs, membership)


def test_two_dask_workers_give_the_serial_route_book_byte_for_byte(capsys):
    subs = _subs()
    membership = _strips(subs)
    index = _index()
    serial = plan_districts(subs, membership, index, DEMO_DEPOT, _options(), workers=1)
    said: list[str] = []
    on_dask = plan_districts(
        subs, membership, index, DEMO_DEPOT, _options(), workers=2, say=said.append
    )
    assert on_dask.to_json() == serial.to_json()
    # One route per district, in district order, every subscriber once.
    assert len(serial.routes) == DISTRICTS
    for route, name in zip(serial.routes, sorted(set(membership.values())), strict=True):
        assert {s.subscriber_id for s in route.stops} == {
            i for i, d in membership.items() if d == name
        }
    assert sorted(serial.order) + sorted(u.subscriber_id for u in serial.unserved) == sorted(
        s.id for s in subs
    )
    assert all(d["stopped_by"] == "work_limit" for d in serial.solver["districts"])
    assert said[-1] == f"districts done {DISTRICTS}/{DISTRICTS}"
    assert "Dask worker" in " ".join(said)
    # Another seed gives other district seeds, and (here) another route book: the test can fail.
    other = plan_districts(subs, membership, index, DEMO_DEPOT, _options(seed=4), workers=1)
    assert other.to_json() != serial.to_json()


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    csv = write_demo_csv(tmp_path / "subscribers.csv")
    assert main(["--quiet", "init", str(ws), "--network", "demo"]) == 0
    assert main(["--quiet", "import", str(ws), str(csv)]) == 0
    with Workspace.open(ws) as w, w.transaction():
        w.save_districts(_strips(list(w.subscribers())), "test")
    return ws


def _books(ws: Path) -> list[str]:
    with Workspace.open(ws) as w:
        return [str(r[0]) for r in w.query("SELECT data FROM route_books ORDER BY version")]


def test_plan_on_an_existing_scheduler_equals_the_serial_plan(
    workspace, tmp_path, monkeypatch, capsys
):
    import shutil

    from distributed import Client, LocalCluster

    cap = explicit_work(monkeypatch, WORK_S)
    copy = tmp_path / "copy"
    shutil.copytree(workspace, copy)
    args = ["--time-limit", str(cap), "--seed", "5"]
    assert main(["plan", str(workspace), "--workers", "1", *args]) == 0
    assert "4 districts planned" in capsys.readouterr().out
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster,
        Client(cluster, set_as_default=False) as client,
    ):
        # The same work model on the workers as in this process.
        client.run(exec, CHILD_BUDGET % {"factor": FACTOR})
        assert main(["plan", str(copy), "--scheduler", cluster.scheduler_address, *args]) == 0
    err = capsys.readouterr().err
    assert "districts done 4/4" in err
    (serial,), (remote,) = _books(workspace), _books(copy)
    assert remote == serial
    assert [r["carrier"] for r in json.loads(serial)["routes"]] == [1, 2, 3, 4]


def test_parallel_flags_are_refused_where_they_do_not_apply(workspace, tmp_path, capsys):
    plain = tmp_path / "plain"
    assert main(["--quiet", "init", str(plain), "--network", "demo"]) == 0
    assert main(["--quiet", "plan", str(plain), "--workers", "2"]) == 2
    assert "only applies to a workspace with districts" in capsys.readouterr().err
    assert main(["--quiet", "plan", str(workspace), "--carriers", "3"]) == 2
    assert "has 4 districts" in capsys.readouterr().err
    assert main(["--quiet", "plan", str(workspace), "--scheduler", "localhost:1"]) == 2
    assert "tcp://HOST:PORT" in capsys.readouterr().err
    assert main(["--quiet", "plan", str(workspace), "--workers", "0"]) == 2
    assert _books(workspace) == []


def test_an_unreachable_scheduler_is_a_clear_error_and_nothing_is_written(
    workspace, capsys, monkeypatch
):
    import socket

    import route.districts.parallel as parallel

    monkeypatch.setattr(parallel, "CONNECT_TIMEOUT_S", 2)

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    assert main(["--quiet", "plan", str(workspace), "--scheduler", f"tcp://127.0.0.1:{port}"]) == 2
    err = capsys.readouterr().err
    assert "no Dask scheduler answered within 2 s" in err
    assert "Traceback" not in err
    assert _books(workspace) == []


def test_a_route_planned_before_the_districts_is_planned_again_by_district(
    tmp_path, monkeypatch, capsys
):
    cap = explicit_work(monkeypatch, WORK_S)
    ws = tmp_path / "ws"
    csv = write_demo_csv(tmp_path / "subscribers.csv")
    assert main(["--quiet", "init", str(ws), "--network", "demo"]) == 0
    assert main(["--quiet", "import", str(ws), str(csv)]) == 0
    assert main(["--quiet", "plan", str(ws), "--time-limit", str(cap)]) == 0
    with Workspace.open(ws) as w, w.transaction():
        w.save_districts(_strips(list(w.subscribers())), "test")
    capsys.readouterr()
    assert main(["--quiet", "plan", str(ws), "--workers", "1", "--time-limit", str(cap)]) == 0
    out = capsys.readouterr().out
    assert "was planned before these districts: version 2 follows them" in out
    with Workspace.open(ws) as w:
        book = w.latest_book()
        assert book is not None
        assert follows_districts(book, w.district_of())
    # Now the route follows the districts: plan only brings it up to date, and --workers is
    # refused as for any planned route.
    assert main(["--quiet", "plan", str(ws), "--time-limit", str(cap)]) == 0
    assert "up to date" in capsys.readouterr().out
    assert main(["--quiet", "plan", str(ws), "--workers", "2"]) == 2
    assert len(_books(ws)) == 2


def _scrambled(book, index=None):
    """``book`` with district 1's stops zig-zagging (every other stop, then the rest): a longer
    order to mend. With ``index``, measured again (arrivals, legs, totals) as a stored book is;
    without, only the order changes (what a re-optimisation reads)."""
    from dataclasses import replace

    first = book.routes[0]
    stops = first.stops[::2] + first.stops[1::2]
    bad = replace(book, routes=(replace(first, stops=stops), *book.routes[1:]))
    if index is None:
        return bad
    from route.routebook.changes import routes_of, to_book, workbench

    wb = workbench(_subs(), bad, index)
    return to_book(wb, routes_of(bad, wb), index, bad)


def test_a_reoptimisation_by_district_mends_each_route_and_moves_nobody_across(monkeypatch):
    explicit_work(monkeypatch, WORK_S)
    subs = _subs()
    membership = _strips(subs)
    index = _index()
    book = plan_districts(subs, membership, index, DEMO_DEPOT, _options(), workers=1)
    bad = _scrambled(book)
    said: list[str] = []
    found = reoptimise_districts(
        bad, subs, membership, index, time_limit=WORK_S * FACTOR, seed=2, say=said.append
    )
    new = found.book
    assert follows_districts(new, membership)
    for old_route, new_route in zip(bad.routes, new.routes, strict=True):
        assert old_route.carrier == new_route.carrier
        assert sorted(old_route.order) == sorted(new_route.order)
    # The zig-zag is mended; the others were planned already.
    assert new.routes[0].order != bad.routes[0].order
    assert found.moved > 0
    assert new.routes[0].distance_m <= book.routes[0].distance_m * 1.02
    assert sum(found.methods.values()) == DISTRICTS
    assert "by district" in found.method
    assert said[-1] == f"districts done {DISTRICTS}/{DISTRICTS}"
    # --max-moved bounds each district.
    held = reoptimise_districts(
        bad, subs, membership, index, max_moved=2, time_limit=WORK_S * FACTOR, seed=2
    )
    from route.routebook.diff import moved

    for old_route, new_route in zip(bad.routes, held.book.routes, strict=True):
        assert len(moved([old_route.order], [new_route.order])) <= 2


def test_reoptimize_by_district_on_dask_commits_the_serial_book(
    workspace, tmp_path, monkeypatch, capsys
):
    import shutil

    cap = explicit_work(monkeypatch, WORK_S)
    args = ["--time-limit", str(cap), "--seed", "5"]
    assert main(["--quiet", "plan", str(workspace), "--workers", "1", *args]) == 0
    with Workspace.open(workspace) as w, w.transaction():
        book = w.latest_book()
        assert book is not None
        bad = _scrambled(book, _index())
        assert bad.distance_m > book.distance_m
        w.save_book(bad, "scrambled for the test", based_on=book.version)
    copy = tmp_path / "copy"
    shutil.copytree(workspace, copy)
    capsys.readouterr()
    # The report first: it writes nothing.
    assert main(["--quiet", "plan", str(workspace), "--reoptimize", "--workers", "1", *args]) == 0
    out = capsys.readouterr().out
    assert "by district" in out
    assert "Nothing committed" in out
    assert len(_books(workspace)) == 2
    assert main(["plan", str(workspace), "--reoptimize", "--yes", "--workers", "1", *args]) == 0
    # Dask workers get the same work model as this process.
    from distributed import Client, LocalCluster

    with (
        LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster,
        Client(cluster, set_as_default=False) as client,
    ):
        client.run(exec, CHILD_BUDGET % {"factor": FACTOR})
        assert (
            main(["plan", str(copy), "--reoptimize", "--yes", "--scheduler",
                  cluster.scheduler_address, *args])
            == 0
        )  # fmt: skip
    err = capsys.readouterr().err
    assert "districts done 4/4" in err
    serial, remote = _books(workspace), _books(copy)
    assert len(serial) == 3
    assert remote == serial
    with Workspace.open(workspace) as w:
        latest = w.latest_book()
        assert latest is not None
        assert follows_districts(latest, w.district_of())
        assert latest.routes[0].order != bad.routes[0].order
        assert latest.distance_m < bad.distance_m
