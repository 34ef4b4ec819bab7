"""The Chromium page check reports what it should: errors, failed resources, counts."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser import check_page, require_chromium


def _page(tmp_path: Path, body: str, head: str = "") -> Path:
    path = tmp_path / "page.html"
    path.write_text(
        f"<!DOCTYPE html><html><head><title>t</title>{head}</head><body>{body}</body></html>",
        encoding="utf-8",
    )
    return path


@pytest.mark.browser
def test_a_clean_page_reports_no_errors_and_counts_elements(chromium: str, tmp_path: Path) -> None:
    page = _page(tmp_path, "<p class='a'>1</p><p class='a'>2</p><span class='a'></span>")

    report = check_page(page, selectors={"p": "p.a", "all": ".a"}, chromium=chromium)

    assert report.errors == ()
    assert report.failed_resources == ()
    assert report.counts == {"p": 2, "all": 3}
    assert not report.has_leaflet
    assert report.title == "t"


@pytest.mark.browser
def test_script_errors_rejections_and_console_errors_are_reported(
    chromium: str, tmp_path: Path
) -> None:
    body = (
        "<script>L.map('x');</script>"
        "<script>Promise.reject(new Error('nope'));</script>"
        "<script>console.error('careful');</script>"
        "<script>setTimeout(function () { throw new Error('late'); }, 100);</script>"
    )

    report = check_page(_page(tmp_path, body), chromium=chromium)

    assert len(report.errors) == 3
    assert "L is not defined" in report.errors[0]
    assert any("nope" in e for e in report.errors)
    assert any("late" in e for e in report.errors)
    assert report.console_errors == ("careful",)


@pytest.mark.browser
def test_missing_scripts_count_as_failed_code_but_images_do_not(
    chromium: str, tmp_path: Path
) -> None:
    page = _page(tmp_path, "<img src='missing.png'>", head="<script src='missing.js'></script>")

    report = check_page(page, tmp_path / "shot.png", chromium=chromium)

    assert len(report.failed_resources) == 2
    # Resolved next to the page, not next to the instrumented copy.
    assert report.failed_code == (f"script {(tmp_path / 'missing.js').resolve().as_uri()}",)
    assert report.screenshot == tmp_path / "shot.png"
    assert report.screenshot.read_bytes()[:4] == b"\x89PNG"


def test_missing_chromium_skips_outside_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CHROMIUM", raising=False)
    monkeypatch.setenv("PATH", "")
    monkeypatch.delenv("CI", raising=False)

    with pytest.raises(pytest.skip.Exception, match="Chromium not found"):
        require_chromium()


def test_missing_chromium_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CHROMIUM", raising=False)
    monkeypatch.setenv("PATH", "")
    monkeypatch.setenv("CI", "true")

    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        require_chromium()
