"""Open an HTML page in headless Chromium and report what rendered and what failed.

No Python dependency beyond the standard library: a copy of the page gets a
small script at the very top of ``<head>`` that records script errors and
failed resources and, after the page has loaded, writes a JSON report into a
hidden ``<pre id="__report">``. Chromium runs with ``--dump-dom`` and the
report is read back from the dumped DOM. A screenshot, if asked for, comes
from a second run on the unmodified page.

Tile images that fail to load (no internet in tests) are listed in
``failed_resources`` but are not errors; script errors are.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest

__all__ = [
    "DEFAULT_SELECTORS",
    "BrowserError",
    "PageReport",
    "check_page",
    "find_chromium",
    "require_chromium",
]

# Elements counted by default: CSS selector per name. Leaflet.awesome-markers
# replaces the "leaflet-marker-icon" class, so markers are counted as the
# children of the marker pane (default, awesome and cluster icons alike).
DEFAULT_SELECTORS: Mapping[str, str] = {
    "paths": "path.leaflet-interactive",
    "marker_icons": ".leaflet-marker-pane > *",
    "leaflet_marker_icons": ".leaflet-marker-icon",
    "awesome_markers": ".leaflet-marker-pane .awesome-marker",
    "fa_icons": ".awesome-marker i.fa",
    "clusters": ".marker-cluster",
    "tiles": ".leaflet-tile",
    "text_paths": "textPath",
    "maps": ".leaflet-container",
    "controls": ".leaflet-control",
}

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--mute-audio",
)

_PROBE = """<script>(function () {
  var errors = [], failed = [], consoleErrors = [];
  window.addEventListener("error", function (e) {
    if (e.target && e.target !== window && e.target.tagName) {
      failed.push(e.target.tagName.toLowerCase() + " " + (e.target.src || e.target.href || ""));
    } else {
      errors.push(String(e.message) + " at " + e.filename + ":" + e.lineno + ":" + e.colno);
    }
  }, true);
  window.addEventListener("unhandledrejection", function (e) {
    errors.push("unhandled rejection: " + String(e.reason));
  });
  var consoleError = console.error;
  console.error = function () {
    consoleErrors.push(Array.prototype.map.call(arguments, String).join(" "));
    return consoleError.apply(console, arguments);
  };
  function report() {
    var selectors = __SELECTORS__, counts = {}, boxed = __RECTS__, rects = {};
    for (var name in selectors) {
      counts[name] = document.querySelectorAll(selectors[name]).length;
    }
    for (var key in boxed) {
      rects[key] = Array.prototype.map.call(document.querySelectorAll(boxed[key]), function (e) {
        var r = e.getBoundingClientRect();
        return [r.left, r.top, r.right, r.bottom];
      });
    }
    var fonts = [];
    document.fonts.forEach(function (f) {
      if (f.status === "loaded") fonts.push(f.family.replace(/"/g, "") + " " + f.weight);
    });
    var pre = document.createElement("pre");
    pre.id = "__report";
    pre.style.display = "none";
    pre.textContent = JSON.stringify({
      errors: errors, failed_resources: failed, console_errors: consoleErrors,
      counts: counts, rects: rects, has_leaflet: typeof window.L === "object" && !!window.L.map,
      fonts: fonts, title: document.title
    });
    document.body.appendChild(pre);
  }
  window.addEventListener("load", function () {
    document.fonts.ready.then(function () { setTimeout(report, __DELAY__); });
  });
})();</script>"""


class BrowserError(RuntimeError):
    """Chromium did not run, or the page wrote no report."""


@dataclass(frozen=True, slots=True)
class PageReport:
    """What a page did in Chromium.

    Attributes
    ----------
    errors
        Uncaught script errors and unhandled promise rejections.
    failed_resources
        Elements whose resource failed to load, as ``"<tag> <url>"`` (tiles offline).
    console_errors
        Messages passed to ``console.error``.
    counts
        Number of elements per name in the selectors asked for.
    has_leaflet
        Whether ``window.L`` is Leaflet.
    fonts
        Font faces that loaded, as ``"<family> <weight>"``.
    title
        The document title.
    screenshot
        The PNG written, if one was asked for.
    rects
        Per name in the ``rects`` asked for, each matching element's box on the page
        (``left, top, right, bottom`` in CSS pixels).
    """

    errors: tuple[str, ...]
    failed_resources: tuple[str, ...]
    console_errors: tuple[str, ...]
    counts: dict[str, int]
    has_leaflet: bool
    fonts: tuple[str, ...]
    title: str
    screenshot: Path | None = field(default=None)
    rects: dict[str, tuple[tuple[float, float, float, float], ...]] = field(default_factory=dict)

    @property
    def failed_code(self) -> tuple[str, ...]:
        """Failed scripts and stylesheets (anything but images)."""
        return tuple(r for r in self.failed_resources if not r.startswith("img "))


def find_chromium() -> str | None:
    """The Chromium or Chrome executable: ``$CHROMIUM`` or the first on the PATH."""
    if os.environ.get("CHROMIUM"):
        return os.environ["CHROMIUM"]
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        if found := shutil.which(name):
            return found
    return None


def require_chromium() -> str:
    """The Chromium executable; skip the calling test if there is none.

    In CI (``CI=true``) a missing browser fails the test instead: the browser
    check must never be skipped silently there.
    """
    found = find_chromium()
    if found is not None:
        return found
    reason = "Chromium not found (install it: apt-get install chromium, or set $CHROMIUM)"
    if os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}:
        pytest.fail(f"{reason}; CI=true, so the browser check may not be skipped")
    pytest.skip(reason)


def _run(chromium: str, args: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
    """Run Chromium with a fresh profile folder."""
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        cmd = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args]
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired as exc:
            raise BrowserError(f"Chromium timed out after {timeout} s: {cmd}") from exc


def _instrument(
    page: str,
    base: Path,
    selectors: Mapping[str, str],
    delay_ms: int,
    rects: Mapping[str, str] | None = None,
) -> str:
    """The page with the probe script (and a base URL for relative links) atop ``<head>``."""
    probe = (
        _PROBE.replace("__SELECTORS__", json.dumps(dict(selectors)))
        .replace("__RECTS__", json.dumps(dict(rects or {})))
        .replace("__DELAY__", str(delay_ms))
    )
    head = f'<base href="{html.escape(base.as_uri())}/">{probe}'
    match = re.search(r"<head\b[^>]*>", page, flags=re.IGNORECASE)
    if match is None:
        return head + page
    return page[: match.end()] + head + page[match.end() :]


def check_page(
    html_path: str | os.PathLike[str],
    screenshot: str | os.PathLike[str] | None = None,
    *,
    selectors: Mapping[str, str] = DEFAULT_SELECTORS,
    rects: Mapping[str, str] | None = None,
    chromium: str | None = None,
    budget_ms: int = 5000,
    delay_ms: int = 500,
    window_size: tuple[int, int] = (1280, 900),
    timeout: float = 90.0,
) -> PageReport:
    """Load an HTML file in headless Chromium and report errors and element counts.

    Parameters
    ----------
    html_path
        The page to open.
    screenshot
        Where to write a PNG of the page, or None for no screenshot.
    selectors
        Elements to count: CSS selector per name.
    rects
        Elements whose boxes to report: CSS selector per name.
    chromium
        The browser executable; by default :func:`find_chromium`.
    budget_ms
        Chromium's ``--virtual-time-budget``: how much page time may pass.
    delay_ms
        How long after ``load`` (and web fonts) the report is taken.
    window_size
        Width and height of the window, in pixels.
    timeout
        Wall-clock seconds allowed per Chromium run.

    Returns
    -------
    PageReport
        What the page did.

    Raises
    ------
    BrowserError
        If no Chromium is found, or it exits without the page's report.
    """
    source = Path(html_path).resolve()
    exe = chromium or find_chromium()
    if exe is None:
        raise BrowserError("Chromium not found (install it: apt-get install chromium)")
    page = source.read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory(prefix="page-check-") as tmp:
        probe_page = Path(tmp) / source.name
        probe_page.write_text(
            _instrument(page, source.parent, selectors, delay_ms, rects), encoding="utf-8"
        )
        budget = f"--virtual-time-budget={budget_ms}"
        size = f"--window-size={window_size[0]},{window_size[1]}"
        run = _run(exe, [budget, size, "--dump-dom", probe_page.as_uri()], timeout)
    found = re.search(r'<pre id="__report"[^>]*>(.*?)</pre>', run.stdout, flags=re.DOTALL)
    if found is None:
        raise BrowserError(
            f"{source}: the page wrote no report (exit status {run.returncode}).\n"
            f"stderr:\n{run.stderr[-3000:]}"
        )
    data = json.loads(html.unescape(found.group(1)))
    shot: Path | None = None
    if screenshot is not None:
        shot = Path(screenshot).resolve()
        shot.unlink(missing_ok=True)
        run = _run(exe, [budget, f"--screenshot={shot}", size, source.as_uri()], timeout)
        if not shot.is_file():
            raise BrowserError(f"{source}: no screenshot written.\nstderr:\n{run.stderr[-3000:]}")
    return PageReport(
        errors=tuple(data["errors"]),
        failed_resources=tuple(data["failed_resources"]),
        console_errors=tuple(data["console_errors"]),
        counts={k: int(v) for k, v in data["counts"].items()},
        has_leaflet=bool(data["has_leaflet"]),
        fonts=tuple(data["fonts"]),
        title=str(data["title"]),
        screenshot=shot,
        rects={k: tuple(tuple(b) for b in v) for k, v in data.get("rects", {}).items()},
    )
