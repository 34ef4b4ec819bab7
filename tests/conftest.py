"""Shared fixtures."""

from __future__ import annotations

import pytest

from tests.browser import require_chromium


def pytest_configure(config: pytest.Config) -> None:
    """Register the markers the suite uses."""
    config.addinivalue_line(
        "markers", "browser: opens pages in headless Chromium (skipped without it, unless CI=true)"
    )


@pytest.fixture(scope="session")
def chromium() -> str:
    """The Chromium executable; skips the test without one, fails it when CI=true."""
    return require_chromium()
