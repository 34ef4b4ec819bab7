"""Districts in the workspace: the ``districts`` table, ``district_of``/``save_districts``, a
schema-2 workspace migrated to it, and the subscriber file's ``carrier`` and ``district``."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from route.errors import ConflictError, InputError
from route.io.subscribers import parse_subscribers, subscriber_records
from route.io.workspace import DB_NAME, Workspace
from route.model.subscriber import Subscriber, district_name
from tests._daykit import sub
from tests._wskit import make_workspace

SUBS = [sub("p1"), sub("p2"), sub("p3")]


def test_no_districts_is_an_empty_mapping(tmp_path: Path) -> None:
    with Workspace.open(make_workspace(tmp_path / "ws", SUBS)) as ws:
        assert ws.district_of() == {}


def test_saved_districts_read_back_by_district_then_import_order(tmp_path: Path) -> None:
    path = make_workspace(tmp_path / "ws", SUBS)
    with Workspace.open(path) as ws, ws.transaction():
        ws.save_districts({"p3": "D01", "p1": "D02", "p2": "D01"}, "districts --routes 2")
    with Workspace.open(path) as ws:
        assert list(ws.district_of().items()) == [("p2", "D01"), ("p3", "D01"), ("p1", "D02")]
        assert ws.districts_note[0] == "districts --routes 2"
        ws.deactivate(["p3"])
        assert ws.district_of() == {"p2": "D01", "p1": "D02"}


def test_saving_replaces_and_a_bad_assignment_writes_nothing(tmp_path: Path) -> None:
    path = make_workspace(tmp_path / "ws", SUBS)
    with Workspace.open(path) as ws:
        ws.save_districts({"p1": "D01", "p2": "D01", "p3": "D02"}, "first")
        ws.save_districts({"p1": "D01", "p2": "D02", "p3": "D02"}, "second")
        with pytest.raises(ConflictError, match="lacks: nobody"):
            ws.save_districts({"p1": "D01", "nobody": "D02"}, "bad")
        with pytest.raises(ConflictError, match="no district to p1"):
            ws.save_districts({"p1": " "}, "bad")
        assert ws.district_of() == {"p1": "D01", "p2": "D02", "p3": "D02"}
        assert ws.districts_note[0] == "second"


def test_a_schema_2_workspace_gets_the_districts_table(tmp_path: Path, capsys) -> None:
    path = make_workspace(tmp_path / "ws", SUBS)
    con = sqlite3.connect(path / DB_NAME)
    con.execute("DROP TABLE districts")
    con.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    con.commit()
    con.close()
    with Workspace.open(path, notify=print) as ws:
        assert ws.district_of() == {}
        ws.save_districts({"p1": "D01"}, "after migration")
        assert ws.district_of() == {"p1": "D01"}
    assert "districts can be stored" in capsys.readouterr().out


def test_district_names_are_zero_padded_to_the_count() -> None:
    assert [district_name(i, 3) for i in (1, 3)] == ["D01", "D03"]
    assert district_name(7, 150) == "D007"


def _rows(**cells: str) -> list[dict[str, str]]:
    return [{"id": "a", "lat": "60.17", "lon": "24.94", **cells}]


@pytest.mark.parametrize(
    ("cells", "carrier", "district"),
    [
        ({}, None, None),
        ({"carrier": "2"}, 2, None),
        ({"district": "D03"}, None, 3),
        ({"district": "d3"}, None, 3),
        ({"district": "12"}, None, 12),
        ({"carrier": "4", "district": "D04"}, 4, 4),
    ],
)
def test_carrier_and_district_are_read(cells, carrier, district) -> None:
    (s,) = parse_subscribers(_rows(**cells), source="f.csv").subscribers
    assert (s.carrier, s.district) == (carrier, district)
    assert s.fixed_district == (district or carrier)
    again = parse_subscribers(subscriber_records([s]), source="back").subscribers[0]
    assert again == s
    assert Subscriber.from_dict(s.to_dict()) == s


@pytest.mark.parametrize(
    ("cells", "column", "message"),
    [
        ({"carrier": "0"}, "carrier", "not a carrier number"),
        ({"carrier": "two"}, "carrier", "not a carrier number"),
        ({"carrier": "1.5"}, "carrier", "not a carrier number"),
        ({"district": "D"}, "district", "not a district name"),
        ({"district": "North"}, "district", "not a district name"),
        ({"district": "D0"}, "district", "not a district name"),
        ({"carrier": "1", "district": "D02"}, "district", "disagree"),
    ],
)
def test_bad_carrier_or_district_is_refused_with_row_and_column(cells, column, message) -> None:
    with pytest.raises(InputError) as e:
        parse_subscribers(_rows(**cells), source="f.csv")
    (issue,) = e.value.issues
    assert (issue.row, issue.column) == (2, column)
    assert message in issue.message


def test_a_subscriber_without_them_keeps_its_stored_form() -> None:
    assert "carrier" not in SUBS[0].to_dict()
    assert "district" not in SUBS[0].to_dict()
