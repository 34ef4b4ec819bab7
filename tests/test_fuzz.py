"""Fuzzing the files users give: subscriber, day and policy files mutated byte by byte and field
by field. Whatever comes in, the outcome is the file read or the validated error
(:class:`~route.errors.InputError`, every problem naming the file and saying how to fix it),
never another exception; and what is read keeps within the documented limits.

The suite runs a small fixed budget (derandomised: the same examples every run); by hand,
``pytest --hypothesis-profile long tests/test_fuzz.py`` runs 2,000 examples a file test and
200 through the command line.
"""

from __future__ import annotations

import csv
import math
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from route.cli.main import main
from route.constants import MAX_OUTSIDE_NETWORK_M, MAX_QUANTITY, MAX_SERVICE_S
from route.errors import InputError, Issue
from route.io.dayfiles import load_policy, read_complaints, read_holds, read_supply
from route.io.subscribers import read_subscribers
from route.model.extent import Extent
from route.model.policy import DEFAULT_POLICY_TOML
from tests.conftest import is_long_profile
from tests.faultkit import grid_workspace

LONG = is_long_profile()
#: Examples per file test in the suite (the long profile runs 2,000).
SUITE_EXAMPLES = 25
#: Examples per test: small and fixed in the suite, the profile's in the long run.
BUDGET = settings(
    max_examples=settings.default.max_examples if LONG else SUITE_EXAMPLES,
    deadline=None,
    derandomize=not LONG,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
GRID = Extent(60.1700, 24.9400, 60.1720, 24.9440)  # the test grid's streets
KNOWN = {"A", "B", "C"}

SUBSCRIBERS = (
    "id,name,address,lat,lon,spot,spot_lat,spot_lon,instructions,days,tier,product,quantity,"
    "substitutes,earliest,latest,rain,hazard,service_s\n"
    "A,Mr North,Northgate 1,60.1705,24.9410,milk_box,60.17052,24.94102,left of the garage,daily,"
    "paying,paper,1,none,,06:30,,,\n"
    'B,Mr Lind,,60.1706,24.9431,screen_door,,,"on the step, inside",Mon-Sat,paying,paper,2,'
    "tabloid;weekly,05:30,07:00,bag,icy steps,\n"
    "C,Home,,60.1712,24.9425,,,,,Sun,household,paper,1,,,,screen_door,,45\n"
)
HOLDS = "id,from,to\nA,2024-06-01,2024-06-09\nB,2024-06-05,\n"
COMPLAINTS = "id,kind,note\nA,wet,soaked\nB,missed,\n"
SUPPLY = "product,count\npaper,3\ntabloid,1\n"

#: What a cell may be turned into: edge cases people and programs write.
CELLS = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        ["", "nan", "inf", "-inf", "1e30", "-1", "0", "1.5", "1_000", "60,17", "24:00",
         "00:00", "23:59", "9999-12-31", "0001-01-01", "2024-02-30", "none", "NONE", "daily",
         "\x1b[31m", "=1+1", '"', "\r\n", "\x00", "ä", str(MAX_QUANTITY), str(MAX_SERVICE_S),
         "60.1705", "24.9410", "-33.86", "151.21", "90", "-180"]
    ),
    st.integers(-(10**20), 10**20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)  # fmt: skip


def _mutate_bytes(data: bytes, draw: Callable[[Any], Any]) -> bytes:
    """Insert, delete or overwrite a few bytes at random places."""
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(out)))
        chunk = draw(st.binary(min_size=0, max_size=8))
        how = draw(st.sampled_from(["insert", "delete", "overwrite"]))
        if how == "insert":
            out[at:at] = chunk
        elif how == "delete":
            del out[at : at + len(chunk) + 1]
        else:
            out[at : at + len(chunk)] = chunk
    return bytes(out)


def _mutate_fields(text: str, draw: Callable[[Any], Any]) -> str:
    """Replace a few cells (the header's too) of a CSV text with edge-case values."""
    rows = [line.split(",") for line in text.splitlines()]
    for _ in range(draw(st.integers(1, 4))):
        r = draw(st.integers(0, len(rows) - 1))
        c = draw(st.integers(0, len(rows[r]) - 1))
        rows[r][c] = draw(CELLS)
    return "\n".join(",".join(r) for r in rows) + "\n"


def _issues_are_validated(error: InputError, path: Path) -> None:
    assert error.issues
    for issue in error.issues:
        assert isinstance(issue, Issue)
        assert issue.fix
        assert issue.source.startswith((str(path), "--"))
    assert "\x1b" not in error.report()


def _outcome(read: Callable[[Path], Any], path: Path) -> Any:
    try:
        out = read(path)
    except InputError as e:  # the validated error; anything else fails the test
        _issues_are_validated(e, path)
        event("refused")
        return None
    event("read")
    return out


def _check_subscribers(result: Any) -> None:
    for s in result.subscribers:
        assert 1 <= s.quantity <= MAX_QUANTITY
        assert s.service_s is None or 0 <= s.service_s <= MAX_SERVICE_S
        for lat, lon in ((s.lat, s.lon), (s.spot.lat, s.spot.lon)):
            assert math.isfinite(lat)
            assert math.isfinite(lon)
            assert GRID.outside_m(lat, lon) <= MAX_OUTSIDE_NETWORK_M
        assert s.id.isprintable()


def _reader(kind: str) -> Callable[[Path], Any]:
    if kind == "subscribers":
        return lambda p: read_subscribers(p, extent=GRID)

    def day_file(p: Path) -> Any:
        problems: list[Issue] = []
        fn = {"holds": read_holds, "complaints": read_complaints}.get(kind)
        out = fn(p, KNOWN, problems) if fn else read_supply(p, problems)
        if problems:
            raise InputError(problems)
        return out

    return load_policy if kind == "policy" else day_file


FILES = {
    "subscribers": ("subs.csv", SUBSCRIBERS),
    "holds": ("holds.csv", HOLDS),
    "complaints": ("complaints.csv", COMPLAINTS),
    "supply": ("supply.csv", SUPPLY),
    "policy": ("policy.toml", DEFAULT_POLICY_TOML),
}


@pytest.fixture(scope="module")
def scratch():
    folder = Path(tempfile.mkdtemp(prefix="fuzz-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.parametrize("kind", sorted(FILES))
@BUDGET
@given(data=st.data())
def test_mutated_bytes_are_read_or_refused_never_crash(kind, data, scratch):
    name, text = FILES[kind]
    path = scratch / f"bytes-{name}"
    path.write_bytes(_mutate_bytes(text.encode("utf-8"), data.draw))
    result = _outcome(_reader(kind), path)
    if kind == "subscribers" and result is not None:
        _check_subscribers(result)


@pytest.mark.parametrize("kind", sorted(set(FILES) - {"policy"}))
@BUDGET
@given(data=st.data())
def test_mutated_fields_are_read_or_refused_never_crash(kind, data, scratch):
    name, text = FILES[kind]
    path = scratch / f"fields-{name}"
    path.write_text(_mutate_fields(text, data.draw), encoding="utf-8", newline="")
    result = _outcome(_reader(kind), path)
    if kind == "subscribers" and result is not None:
        _check_subscribers(result)


POLICY_VALUES = st.one_of(
    st.sampled_from(['["household"]', '["paying"]', "[]", '["spare", "household"]', "true",
                     "3", '"yes"', "[1, 2]", '["household", "household"]', "{}", '"', "[",
                     '["sample", "complimentary", "household"]']),
    st.text(max_size=20).map(repr),
)  # fmt: skip


@BUDGET
@given(data=st.data())
def test_mutated_policy_settings_are_read_or_refused_never_crash(data, scratch):
    lines = DEFAULT_POLICY_TOML.splitlines()
    settings_at = [i for i, line in enumerate(lines) if "=" in line and not line.startswith("#")]
    for _ in range(data.draw(st.integers(1, 3))):
        i = data.draw(st.sampled_from(settings_at))
        key = lines[i].split("=")[0].strip()
        key = data.draw(st.sampled_from([key, key + "s", "forgo", "weather"]))
        lines[i] = f"{key} = {data.draw(POLICY_VALUES)}"
    path = scratch / "fields-policy.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _outcome(load_policy, path)


# -- through the whole command line: import, plan and a day --------------------------------------


def _mostly(good: list[str], bad: list[str]) -> st.SearchStrategy[str]:
    """A value that is usually good: a file with one bad cell is refused whole, and most runs
    should go on to plan and run a day."""
    return st.sampled_from(good * 6 + bad)


ROW_VALUES = {
    "lat": st.floats(60.1695, 60.1725).map(lambda v: f"{v:.6f}"),
    "lon": st.floats(24.9395, 24.9445).map(lambda v: f"{v:.6f}"),
    "quantity": _mostly(["1", "2", str(MAX_QUANTITY), ""], ["0", "1e30"]),
    "service_s": _mostly(["", "0", "30", str(MAX_SERVICE_S)], ["1e12", "-1"]),
    "earliest": _mostly(["", "00:00", "05:00", "05:01", "23:58"], ["24:61"]),
    "latest": _mostly(["", "00:01", "05:02", "06:00", "23:59"], ["7 am"]),
    "tier": _mostly(["paying", "household", "sample", "complimentary"], ["vip"]),
    "days": _mostly(["daily", "Sun", "Mon,Wed,Fri", ""], ["Someday"]),
    "substitutes": _mostly(["", "none", "tabloid"], []),
}
ROWS = st.fixed_dictionaries(ROW_VALUES)


@pytest.fixture(scope="module")
def fuzz_base(tmp_path_factory) -> Path:
    return grid_workspace(tmp_path_factory.mktemp("fuzz") / "ws", plan=False)


@settings(
    max_examples=max(8, settings.default.max_examples // 10) if LONG else 8,
    deadline=None,
    derandomize=not LONG,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rows=st.lists(ROWS, min_size=1, max_size=6), supply=st.integers(0, 2 * MAX_QUANTITY))
def test_fuzzed_subscribers_go_through_import_plan_and_day(rows, supply, fuzz_base, capsys):
    folder = Path(tempfile.mkdtemp(prefix="fuzz-run-"))
    try:
        ws = folder / "ws"
        shutil.copytree(fuzz_base, ws)
        subs = folder / "fuzzed.csv"
        with subs.open("w", newline="", encoding="utf-8") as f:  # quoted: days hold commas
            out = csv.writer(f)
            out.writerow(["id", *ROW_VALUES])
            out.writerows([f"F{i}", *(r[k] for k in ROW_VALUES)] for i, r in enumerate(rows))
        day = ["day", str(ws), "--date", "2024-06-04", f"--supply=paper={supply}"]
        codes = [main(["--quiet", "import", str(ws), str(subs)])]
        if codes[0] == 0:
            codes.append(main(["--quiet", "plan", str(ws), "--time-limit", "2"]))
            codes.append(main(["--quiet", *day]))
        err = capsys.readouterr().err
        event(f"exit codes {codes}")
        assert set(codes) <= {0, 2}, err
        assert "unexpected error" not in err
        assert "Traceback" not in err
    finally:
        shutil.rmtree(folder, ignore_errors=True)
