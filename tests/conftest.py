"""Shared fixtures."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

from tests.browser import require_chromium

#: ``pytest --hypothesis-profile long``: the fuzzing and kill tests at length, by hand. The suite
#: keeps their small fixed budgets (and every Hypothesis search derandomised, so a run never
#: depends on luck); nothing in either profile reads the clock (no deadline).
LONG_EXAMPLES = 2000
settings.register_profile("long", max_examples=LONG_EXAMPLES, deadline=None)

#: The suite plans with the work model's fixed rates, not this machine's measured ones
#: (route.solver.speed): the same work, and so the same routes, on every machine CI runs on,
#: and no measuring run racing the tests. Subprocesses inherit it; test_speed.py sets its own.
os.environ["PAPERROUTE_WORK_MODEL"] = "fixed"


def pytest_configure(config: pytest.Config) -> None:
    """Register the markers the suite uses."""
    config.addinivalue_line(
        "markers", "browser: opens pages in headless Chromium (skipped without it, unless CI=true)"
    )


@pytest.fixture(scope="session")
def chromium() -> str:
    """The Chromium executable; skips the test without one, fails it when CI=true."""
    return require_chromium()


def is_long_profile() -> bool:
    """Whether the run was started with ``--hypothesis-profile long``."""
    return settings.default.max_examples >= LONG_EXAMPLES


@pytest.fixture(scope="session")
def long_profile() -> bool:
    """True under ``--hypothesis-profile long`` (more kills, more fuzz examples)."""
    return is_long_profile()
