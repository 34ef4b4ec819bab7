"""PDF route sheets: printed by headless Chromium, read back with pypdf."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from route.output.pdf import ChromiumNotFound, find_chromium, html_to_pdf
from route.output.sheet import sheet_html, sheet_rows, sheet_totals
from tests.routes import make_day, make_route

#: Page sizes in PostScript points.
SIZES = {"a4": (595.3, 841.9), "letter": (612.0, 792.0)}


def test_without_a_browser_the_error_says_what_is_missing(monkeypatch, tmp_path: Path):
    monkeypatch.delenv("PAPERROUTE_CHROMIUM", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ChromiumNotFound, match="apt-get install chromium") as e:
        find_chromium()
    assert "PAPERROUTE_CHROMIUM" in str(e.value)
    monkeypatch.setenv("PAPERROUTE_CHROMIUM", str(tmp_path / "no-such-browser"))
    with pytest.raises(ChromiumNotFound, match="no-such-browser"):
        html_to_pdf("<html></html>", tmp_path / "x.pdf")
    assert not list(tmp_path.iterdir())


def test_a_browser_that_fails_writes_nothing(tmp_path: Path):
    fake = tmp_path / "fake-chromium"
    fake.write_text("#!/bin/sh\necho 'cannot open display' >&2\nexit 3\n")
    fake.chmod(0o755)
    with pytest.raises(RuntimeError, match="exit 3: cannot open display"):
        html_to_pdf("<html></html>", tmp_path / "x.pdf", chromium=str(fake))
    assert not (tmp_path / "x.pdf").exists()


@pytest.mark.browser
@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_a_120_stop_day_sheet_prints_each_carrier_on_its_own_pages(
    chromium: str, tmp_path: Path, paper: str
):
    book, subs = make_route(120, carriers=3)
    day = make_day(book)
    rows = sheet_rows(book, subs, day)
    title = "Route sheet for 2024-06-03"
    page = sheet_html(rows, title, sheet_totals(book, rows, day), "Route book version 3")
    path = html_to_pdf(page, tmp_path / "sheet.pdf", paper=paper, header=title, chromium=chromium)

    reader = PdfReader(path)
    pages = [p.extract_text() for p in reader.pages]
    assert len(pages) > 3
    for p in reader.pages:
        assert (float(p.mediabox.width), float(p.mediabox.height)) == pytest.approx(
            SIZES[paper], abs=1
        )
    carrier_of = {}
    by_id = {s.id: s for s in subs}
    for r in book.routes:
        for s in r.stops:
            carrier_of[int(by_id[s.subscriber_id].name.split()[1])] = r.carrier
    seen: list[int] = []
    first_page_of: dict[int, int] = {}
    for number, text in enumerate(pages, start=1):
        assert title in text  # the header on every page
        assert f"page {number} of {len(pages)}" in text
        # Names are "Subscriber N"; a narrow column may wrap them.
        names = [int(n) for n in re.findall(r"Subscriber\s+(\d+)\b", text)]
        if not names:
            continue
        carriers = {carrier_of[n] for n in names}
        assert len(carriers) == 1, f"page {number} mixes carriers {carriers}"
        (c,) = carriers
        first_page_of.setdefault(c, number)
        assert f"Carrier {c}" in text  # a carrier's pages say whose they are
        assert re.search(r"#\s*Time\s*Subscriber\s*Spot and instructions", text)  # repeated
        seen += names
    assert sorted(seen) == list(range(1, 121))
    assert sorted(first_page_of) == [1, 2, 3]
    assert "Credits" in "".join(pages[-2:])  # the totals close the sheet
    assert "OpenStreetMap contributors" in pages[-1]
