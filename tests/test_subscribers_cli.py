"""Subscribers in and out: ``paperroute subscribers`` lists them as stored, and a file it writes
imports back without changing anything."""

from __future__ import annotations

import csv
import io
import json
import string
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from route.cli.main import main
from route.constants import SPOT_KINDS, TIERS
from route.io.subscribers import (
    COLUMNS,
    parse_subscribers,
    read_subscribers,
    subscriber_records,
    subscribers_csv,
    subscribers_geojson,
)
from route.io.workspace import Workspace
from route.model.subscriber import DeliverySpot, Subscriber

DATA = Path(__file__).parent / "data"

#: Every field away from its default, and text a CSV or JSON writer must quote or escape.
RICH = (
    Subscriber(
        id="R1",
        lat=60.16952791234567,
        lon=24.941234567891234,
        spot=DeliverySpot(
            "milk_box", 60.1696, 24.9413, 'Left of the "garage", behind\nthe bin', "bag"
        ),
        name="Åke Ström & Söner",
        address="Unioninkatu 33b, A 4",
        days=(0, 2, 4),
        tier="paying",
        product="paper",
        quantity=2,
        substitutes=("tabloid", "weekly"),
        earliest=5 * 3600 + 30 * 60,
        latest=7 * 3600,
        hazard="Dog; icy steps",
        service_s=12.5,
    ),
    Subscriber(
        "R2",
        60.17,
        24.95,
        DeliverySpot("screen_door", 60.17, 24.95, rain="back_door"),
        days=(5, 6),
        tier="household",
        service_s=30.0,
    ),
    Subscriber("R3", 60.171, 24.951, DeliverySpot("curb", 60.171, 24.951), days=(6,)),
)


def _text(alphabet: str) -> st.SearchStrategy[str]:
    # What a subscriber file holds after reading: no whitespace at either end.
    return st.text(alphabet, max_size=20).map(str.strip)


products = st.from_regex(r"[a-z][a-z0-9_.-]{0,7}", fullmatch=True)
printable = string.ascii_letters + string.digits + " ,;\"'&<>()-/.ÅäöéЖ中\n"


@st.composite
def subscribers(draw) -> Subscriber:
    lat = draw(st.floats(-89.9, 89.9, allow_nan=False))
    lon = draw(st.floats(-179.9, 179.9, allow_nan=False))
    product = draw(products)
    earliest = draw(st.none() | st.integers(0, 22 * 60).map(lambda m: m * 60))
    latest = draw(
        st.none() | st.integers((earliest or 0) // 60 + 1, 23 * 60 + 59).map(lambda m: m * 60)
    )
    return Subscriber(
        id=draw(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_-]{0,8}", fullmatch=True)),
        lat=lat,
        lon=lon,
        spot=DeliverySpot(
            kind=draw(st.sampled_from(SPOT_KINDS)),
            lat=draw(st.just(lat) | st.floats(-89.9, 89.9, allow_nan=False)),
            lon=draw(st.just(lon) | st.floats(-179.9, 179.9, allow_nan=False)),
            instructions=draw(_text(printable)),
            rain=draw(st.sampled_from(("", "bag", *SPOT_KINDS))),
        ),
        name=draw(_text(printable)),
        address=draw(_text(printable)),
        days=tuple(sorted(draw(st.sets(st.integers(0, 6), min_size=1)))),
        tier=draw(st.sampled_from(TIERS)),
        product=product,
        quantity=draw(st.integers(1, 9)),
        substitutes=tuple(
            draw(st.lists(products.filter(lambda p: p != product), max_size=3, unique=True))
        ),
        earliest=earliest,
        latest=latest,
        hazard=draw(_text(printable)),
        service_s=draw(st.none() | st.floats(0, 600, allow_nan=False)),
    )


@settings(max_examples=150, deadline=None)
@given(st.lists(subscribers(), min_size=1, max_size=5, unique_by=lambda s: s.id))
def test_a_csv_of_subscribers_reads_back_as_the_same_subscribers(subs):
    text = subscribers_csv(subs)
    rows = list(csv.DictReader(io.StringIO(text)))
    back = parse_subscribers(rows, source="subscribers.csv").subscribers
    assert back == tuple(subs)


def test_records_have_exactly_the_file_columns():
    for rec in subscriber_records(RICH):
        assert list(rec) == list(COLUMNS)


@pytest.mark.parametrize("kind", ["csv", "geojson"])
def test_the_writers_files_read_back_through_the_readers(kind: str, tmp_path: Path):
    path = tmp_path / f"subs.{kind}"
    path.write_text(subscribers_csv(RICH) if kind == "csv" else subscribers_geojson(RICH))
    result = read_subscribers(path)
    assert result.subscribers == RICH
    assert result.ignored_columns == ()


def test_geojson_points_are_the_locations_in_wgs84():
    doc = json.loads(subscribers_geojson(RICH))
    first = doc["features"][0]
    assert first["geometry"] == {"type": "Point", "coordinates": [RICH[0].lon, RICH[0].lat]}
    assert first["properties"]["quantity"] == 2
    assert first["properties"]["service_s"] == 12.5
    assert "lat" not in first["properties"]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("subs")
    (root / "rich.csv").write_text(subscribers_csv(RICH), encoding="utf-8")
    ws = root / "ws"
    assert main(["--quiet", "init", str(ws), "--network", "demo"]) == 0
    assert main(["--quiet", "import", str(ws), str(DATA / "subscribers.csv")]) == 0
    assert main(["--quiet", "import", str(ws), str(root / "rich.csv")]) == 0
    assert main(["--quiet", "plan", str(ws), "--time-limit", "1"]) == 0
    return ws


def _state(ws: Path) -> tuple:
    with Workspace.open(ws) as w:
        return w.subscribers(active_only=False), w.versions(), w.subscribers_frame().shape


@pytest.mark.parametrize("kind", ["csv", "geojson"])
def test_export_then_import_changes_nothing(workspace: Path, tmp_path: Path, kind: str, capsys):
    out = tmp_path / f"subscribers.{kind}"
    before = _state(workspace)
    assert main(["--quiet", "subscribers", str(workspace), f"--{kind}", str(out)]) == 0
    assert f"Subscribers: {out} (7 subscribers)" in capsys.readouterr().out

    assert main(["--quiet", "import", str(workspace), str(out)]) == 0
    said = capsys.readouterr().out
    assert "0 new, 0 updated, 7 unchanged" in said
    assert "The route book is unchanged (version 1)" in said
    assert _state(workspace) == before

    fresh = tmp_path / "fresh"
    assert main(["--quiet", "init", str(fresh), "--network", "demo"]) == 0
    assert main(["--quiet", "import", str(fresh), str(out)]) == 0
    with Workspace.open(fresh) as w, Workspace.open(workspace) as old:
        assert w.subscribers() == old.subscribers()


def test_the_table_lists_everyone_in_import_order_and_says_who_was_removed(
    workspace: Path, tmp_path: Path, capsys
):
    import shutil

    ws = tmp_path / "copy"
    shutil.copytree(workspace, ws)
    with Workspace.open(ws) as w:
        ids = [s.id for s in w.subscribers()]
    assert main(["--quiet", "remove", str(ws), "R3"]) == 0
    capsys.readouterr()

    assert main(["--quiet", "subscribers", str(ws)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:4] == ["id", "name", "address", "spot"]
    assert set(lines[1]) <= {"-", " "}
    listed = [line.split()[0] for line in lines[2:-1]]
    assert listed == [i for i in ids if i != "R3"]
    assert lines[-1] == "6 subscribers (1 removed: --all lists them)"
    rich = next(line for line in lines if line.startswith("R1 "))
    assert "Åke Ström & Söner" in rich
    assert "Mon,Wed,Fri" in rich
    assert "05:30–07:00" in rich

    assert main(["--quiet", "subscribers", str(ws), "--all"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines[2:-1]] == ids
    assert lines[-1] == "6 subscribers, 1 removed (listed)"
    assert next(line for line in lines if line.startswith("R3 ")).endswith("removed")

    assert main(["--quiet", "subscribers", str(ws), "--csv", "-"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["id"] for r in rows] == [i for i in ids if i != "R3"]


def test_a_file_that_cannot_be_written_is_refused_cleanly(workspace: Path, tmp_path: Path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    target = blocker / "subscribers.csv"
    assert main(["--quiet", "subscribers", str(workspace), "--csv", str(target)]) == 2
    err = capsys.readouterr().err
    assert str(target) in err
    assert "cannot be written" in err
    assert "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]
