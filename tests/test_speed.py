"""The measured work model (route.solver.speed): measured once per machine, cached, shared by
processes that start together, and turned off by PAPERROUTE_WORK_MODEL=fixed."""

from __future__ import annotations

import dataclasses
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from route.errors import InputError
from route.solver import penalised, speed
from route.solver.solve import solve

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def machine(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """The measured work model, with an empty cache folder of its own; the cache file."""
    monkeypatch.setenv(speed.ENV, "machine")
    monkeypatch.setenv("PAPERROUTE_CACHE_DIR", str(tmp_path))
    return tmp_path / "speed.json"


def test_fixed_model_measures_nothing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(speed.ENV, "fixed")
    monkeypatch.setenv("PAPERROUTE_CACHE_DIR", str(tmp_path))
    assert speed.rate(2) is None
    assert speed.known(2)
    assert not (tmp_path / "speed.json").exists()


@pytest.mark.parametrize("value", ["fast", "1", "machine,fixed"])
def test_unknown_model_is_refused_with_the_fix(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv(speed.ENV, value)
    with pytest.raises(InputError) as caught:
        speed.model()
    (issue,) = caught.value.issues
    assert speed.ENV in issue.source
    assert issue.value == value
    assert "'machine'" in issue.fix
    assert "'fixed'" in issue.fix


def test_the_model_is_read_case_and_space_blind(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(speed.ENV, " Fixed ")
    assert speed.model() == "fixed"
    monkeypatch.delenv(speed.ENV)
    assert speed.model() == "machine"


def test_measured_once_then_read_back(machine: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    monkeypatch.setattr(speed, "measure", lambda w, e="vrp": calls.append(w) or 1_000_000 * w)
    assert not speed.known(2)
    assert speed.rate(2) == 2_000_000
    assert speed.rate(2) == 2_000_000
    assert speed.rate(1) == 1_000_000  # each number of threads is measured on its own
    assert calls == [2, 1]
    assert speed.known(2)
    assert speed.known(1)
    assert sorted(json.loads(machine.read_text()).values()) == [1_000_000, 2_000_000]


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", '{"x": "fast"}', ""])
def test_a_corrupt_cache_is_measured_again_and_rewritten(
    machine: Path, monkeypatch: pytest.MonkeyPatch, content: str
) -> None:
    machine.write_text(content)
    monkeypatch.setattr(speed, "measure", lambda w, e="vrp": 5_000_000)
    assert speed.rate(2) == 5_000_000
    assert list(json.loads(machine.read_text()).values()) == [5_000_000]


def test_an_unwritable_cache_folder_still_gives_a_rate(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv(speed.ENV, "machine")
    monkeypatch.setenv("PAPERROUTE_CACHE_DIR", str(blocker / "cache"))
    monkeypatch.setattr(speed, "measure", lambda w, e="vrp": 7_000_000)
    assert speed.rate(2) == 7_000_000


def test_a_measurement_is_a_step_of_the_grid() -> None:
    # Rounded down to a power of 2^(1/8), so that two measurements agree unless the machine's
    # speed changed by a step.
    r = speed.measure(1)
    exponent = math.log(r, speed._STEP)
    assert 10**6 < r < 10**10
    assert abs(exponent - round(exponent)) < 1e-6


def test_processes_started_together_share_one_measurement(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "PAPERROUTE_CACHE_DIR": str(tmp_path),
        speed.ENV: "machine",
    }
    log = tmp_path / "measured.log"
    code = (
        "from route.solver import speed\n"
        "measure = speed.measure\n"
        f"def logged(w, e='vrp'):\n    open({str(log)!r}, 'a').write('x')\n"
        "    return measure(w, e)\n"
        "speed.measure = logged\n"
        "print(speed.rate(1))\n"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    outs = [p.communicate(timeout=600)[0].strip() for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert len(set(outs)) == 1
    assert log.read_text() == "x"  # one process measured, the others waited and read it
    assert json.loads((tmp_path / "speed.json").read_text()) == {
        speed._machine_key(1): int(outs[0])
    }


def test_the_budget_follows_the_measured_rate() -> None:
    at = penalised.evaluation_budget
    # At the measuring problem's size the budget is the measured rate times the time planned.
    assert at(speed.SIZE, 10.0, 0.8, 2, measured=3_000_000) == pytest.approx(24_000_000, rel=1e-6)
    assert at(400, 10.0, 0.8, 2, measured=6_000_000) == pytest.approx(
        2 * at(400, 10.0, 0.8, 2, measured=3_000_000), rel=1e-6
    )
    # Without a measurement, the fixed table (a lone worker runs faster there).
    assert at(200, 10.0, 0.8, 1) > at(200, 10.0, 0.8, 2)


def test_solve_plans_by_the_cached_rate(machine: Path) -> None:
    problem = speed.problem_for_measuring()
    works = []
    for rate in (200_000, 400_000):  # a slow machine's rates, so that the test runs fast
        machine.write_text(json.dumps({speed._machine_key(1): rate}))
        sol = solve(problem, time_limit=600, seed=0, workers=1)
        (phase,) = sol.stats.phases
        assert phase.stopped_by == "work_limit"
        works.append(phase.work)
    budget = penalised.evaluation_budget(problem.size, 600 * 0.9, 0.94, 1, measured=200_000)
    assert budget <= works[0] <= budget * 1.05
    assert works[1] == pytest.approx(2 * works[0], rel=0.05)


def test_the_command_line_refuses_an_unknown_model_before_writing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from route.cli.main import main

    monkeypatch.setenv(speed.ENV, "quick")
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert speed.ENV in err
    assert "'quick'" in err
    assert "'fixed'" in err
    assert "Traceback" not in err
    assert not out.exists()


def test_handed_rates_are_used_instead_of_this_machines(
    machine: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from route.districts.parallel import _pinned_call

    monkeypatch.setattr(speed, "measure", lambda w, e="vrp": pytest.fail("measured"))
    with speed.pinned({"vrp-1": 11, "vrp-2": 22, "tour-1": 44}):
        assert speed.known(2)
        assert speed.known(1, "tour")
        assert speed.rate(2) == 22
        assert speed.rate(1, "tour") == 44
    with speed.pinned({}):  # the planning machine uses the fixed work model
        assert speed.rate(2) is None
        assert speed.rate(1, "tour") is None
    # A district's task on a Dask worker runs under the planning machine's rates.
    assert _pinned_call({"vrp-2": 33}, speed.rate, 2) == 33
    assert not machine.exists()


def test_here_hands_over_both_thread_counts(machine: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(speed, "measure", lambda w, e="vrp": (1000 if e == "vrp" else 5) * w)
    assert speed.here() == {"vrp-1": 1000, "vrp-2": 2000, "tour-1": 5}
    monkeypatch.setenv(speed.ENV, "fixed")
    assert speed.here() == {}


def test_each_engine_has_its_own_rate(machine: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    monkeypatch.setattr(speed, "measure", lambda w, e="vrp": calls.append(e) or len(e))
    assert speed.rate(1) == 3
    assert not speed.known(1, "tour")
    assert speed.rate(1, "tour") == 4
    assert speed.rate(1, "tour") == 4
    assert calls == ["vrp", "tour"]
    assert set(json.loads(machine.read_text())) == {
        speed._machine_key(1),
        speed._machine_key(1, "tour"),
    }


def test_a_tour_measurement_is_a_step_of_the_grid() -> None:
    r = speed.measure(1, "tour")
    exponent = math.log(r, speed._STEP)
    assert 10**6 < r < 10**10
    assert abs(exponent - round(exponent)) < 1e-6


def test_the_tour_budget_follows_the_measured_rate() -> None:
    from route.solver.tour import MEASURED_SIZE, work_budget

    assert MEASURED_SIZE == speed.TOUR_SIZE
    at = speed.TOUR_SIZE
    assert work_budget(at, 10.0, 1_000_000) == pytest.approx(10 * 1_000_000 * 0.85, rel=1e-6)
    assert work_budget(1000, 5.0, 2_000_000) == pytest.approx(
        2 * work_budget(1000, 5.0, 1_000_000), rel=1e-6
    )
    # Without a measurement, the fixed table.
    assert work_budget(1000, 5.0) == work_budget(1000, 5.0, None)


def test_one_carrier_plans_size_the_tour_by_the_cached_rate(
    machine: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from route.solver import tour
    from route.solver.problem import capacitated

    m = speed.tour_for_measuring()[:60, :60]
    problem = dataclasses.replace(capacitated(m, (0,) * 60, 1, 1), capacity=None)
    seen: list[int | None] = []
    sized = tour.work_budget
    monkeypatch.setattr(tour, "work_budget", lambda n, s, r=None: seen.append(r) or sized(n, s, r))
    machine.write_text(json.dumps({speed._machine_key(1, "tour"): 3_000_000}))
    sol = solve(problem, time_limit=600, seed=0)
    assert sol.stats.method == "tour+ortools"
    assert seen == [3_000_000]
    seen.clear()
    solve(problem, time_limit=600, seed=0, work_s=600)  # work_s: the same work everywhere
    assert seen == [None]
