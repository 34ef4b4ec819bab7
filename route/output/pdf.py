"""PDF route sheets, printed by headless Chromium (or Google Chrome) when one is installed.

The sheet's own print stylesheet does the layout: each carrier starts a new page, the column
header row repeats on every page, rows never split. This module sets the paper size (A4 or US
Letter) and puts the sheet's title and "page N of M" in the page margins, so every page says
what it is. No Python package renders HTML this faithfully without system libraries; a browser
does, and most machines have one. Without one, :class:`ChromiumNotFound` says what is missing
and how to get it, before anything is written.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from route.io.files import atomic_write

__all__ = ["PAPERS", "ChromiumNotFound", "find_chromium", "html_to_pdf"]

#: Paper sizes by their ``--paper`` name, as CSS ``@page`` sizes.
PAPERS = {"a4": "A4", "letter": "letter"}

#: Environment variable naming the browser to print with.
CHROMIUM_ENV = "PAPERROUTE_CHROMIUM"
_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
_PLACES = (
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
    "/Applications/Chromium.app/Contents/MacOS/Chromium",
    r"C:\Program Files\Google\Chrome\Application\chrome.exe",
    r"C:\Program Files (x86)\Google\Chrome\Application\chrome.exe",
)
#: A safety cap only: printing a sheet takes seconds, never this long.
_CAP_S = 300


class ChromiumNotFound(RuntimeError):
    """No browser to print a PDF with; the message says what was looked for and what to do."""


def find_chromium() -> str:
    """The browser that prints PDFs: ``$PAPERROUTE_CHROMIUM``, else Chromium or Chrome.

    Raises
    ------
    ChromiumNotFound
        If ``$PAPERROUTE_CHROMIUM`` names no program, or none of the usual names or places has
        one.
    """
    given = os.environ.get(CHROMIUM_ENV)
    if given:
        found = shutil.which(given)
        if found is None:
            raise ChromiumNotFound(
                f"{CHROMIUM_ENV}={given} is not a program that can be run; point it at "
                "Chromium or Google Chrome, or unset it to search the PATH"
            )
        return found
    for name in _NAMES:
        found = shutil.which(name)
        if found:
            return found
    for place in _PLACES:
        if Path(place).is_file():
            return place
    raise ChromiumNotFound(
        "a PDF is printed by headless Chromium or Google Chrome, and neither was found "
        f"(looked for {', '.join(_NAMES)} on the PATH, and {CHROMIUM_ENV}). Install one "
        "(Debian or Ubuntu: apt-get install chromium), or set "
        f"{CHROMIUM_ENV}=/path/to/chrome; or open the HTML sheet in a browser and print it"
    )


def _css_text(text: str) -> str:
    """Text as a CSS string literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def _page_css(paper: str, header: str) -> str:
    margin_box = "font:8pt system-ui,'DejaVu Sans',Arial,sans-serif;color:#57606a"
    return (
        f"<style>@page{{size:{PAPERS[paper]};margin:14mm 10mm 12mm;"
        f"@top-left{{content:{_css_text(header)};{margin_box}}}"
        f'@bottom-right{{content:"page " counter(page) " of " counter(pages);{margin_box}}}}}'
        "</style>"
    )


def html_to_pdf(
    page: str,
    path: str | Path,
    *,
    paper: str = "a4",
    header: str = "",
    chromium: str | None = None,
    say: Callable[[str], None] | None = None,
) -> Path:
    """Print an HTML page to a PDF file, atomically.

    Parameters
    ----------
    page
        A complete HTML page (a route sheet from :func:`route.output.sheet.sheet_html`).
    path
        The PDF to write.
    paper
        ``a4`` or ``letter``.
    header
        Printed at the top of every page (the sheet's title).
    chromium
        The browser; :func:`find_chromium` by default.
    say
        Progress messages.

    Returns
    -------
    Path

    Raises
    ------
    ChromiumNotFound
        If there is no browser to print with (nothing is written).
    RuntimeError
        If the browser fails; its own message is included (nothing is written).
    """
    if paper not in PAPERS:
        raise ValueError(f"paper must be one of {', '.join(PAPERS)}, not {paper!r}")
    browser = chromium or find_chromium()
    css = _page_css(paper, header)
    page = page.replace("</head>", css + "</head>", 1) if "</head>" in page else css + page
    if say:
        say(f"Printing the PDF ({paper}) with {Path(browser).name}")
    with tempfile.TemporaryDirectory(prefix="paperroute-pdf-") as tmp:
        source, out = Path(tmp) / "sheet.html", Path(tmp) / "sheet.pdf"
        source.write_text(page, encoding="utf-8")
        flags = [
            "--headless",
            "--disable-gpu",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={Path(tmp) / 'profile'}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={out}",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            flags.append("--no-sandbox")  # Chromium refuses to run as root with its sandbox
        try:
            result = subprocess.run(
                [browser, *flags, source.as_uri()],
                capture_output=True,
                text=True,
                timeout=_CAP_S,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as e:
            raise RuntimeError(f"{browser} could not print the PDF ({e}); nothing written") from e
        data = out.read_bytes() if out.is_file() else b""
        if not data.startswith(b"%PDF"):
            tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
            raise RuntimeError(
                f"{browser} did not print the PDF (exit {result.returncode}: "
                f"{' / '.join(tail) or 'no message'}); nothing written"
            )
    return atomic_write(path, data)
