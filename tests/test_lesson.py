"""The example notebook runs from top to bottom, and its rendered copy in maps/ matches it.

The notebook runs in a Jupyter kernel of this interpreter (nbclient), in a temporary folder, as
a class would run it; its solver searches stop after a counted amount of work, so nothing here
depends on the speed of the machine (the cell timeout is only a safety cap).
"""

from __future__ import annotations

import html
import os
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
LESSON = ROOT / "examples" / "lesson.ipynb"
RENDERED = ROOT / "maps" / "lesson.html"
REMOTE_CODE = re.compile(r'<(script|link)\b[^>]*\b(src|href)="(https?:)?//', re.IGNORECASE)


@pytest.fixture(scope="module")
def executed(tmp_path_factory) -> nbformat.NotebookNode:
    nb = nbformat.read(LESSON, as_version=4)
    folder = tmp_path_factory.mktemp("lesson")
    env_path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = env_path  # the kernel imports this checkout's route
    try:
        NotebookClient(
            nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(folder)}}
        ).execute()
    finally:
        if old is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = old
    return nb


def _outputs(nb: nbformat.NotebookNode) -> list[list[dict]]:
    return [cell.outputs for cell in nb.cells if cell.cell_type == "code"]


def test_the_notebook_runs_without_errors(executed):
    for outputs in _outputs(executed):
        assert not [o for o in outputs if o.output_type == "error"]
        for o in outputs:
            assert o.get("name") != "stderr" or "Traceback" not in o.get("text", "")


def test_it_plans_compares_and_draws(executed):
    outputs = [o for cell in _outputs(executed) for o in cell]
    text = "\n".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert re.search(r"\d+ subscribers, \d+ stops on the route, \d+\.\d\d km", text)
    assert re.search(r"\d+% of the route's time is spent at the subscribers' spots", text)
    tables = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    stops = next(t for t in tables if "walk_in_m" in t and "instructions" in t)
    assert "<table" in stops
    comparison = next(t for t in tables if "route changes/week" in t)
    for title in ("Curbside only", "Fixed route, every preference", "Re-optimised daily"):
        assert title in comparison
    assert any("image/png" in o.get("data", {}) for o in outputs)  # the chart
    maps = [t for t in tables if t.lstrip().startswith("<div") and "<iframe srcdoc=" in t]
    assert len(maps) == 2  # the plan and the rainy day
    for frame in maps:
        page = html.unescape(re.search(r'srcdoc="([^"]*)"', frame).group(1))
        assert "L.map(" in page
        assert not REMOTE_CODE.search(page), "a map in the notebook needs the internet"
        assert "pr-nav-geo" in page  # navigation links in the popups
    counts = next(o for o in outputs if "action" in o.get("data", {}).get("text/plain", ""))
    assert "short" in counts["data"]["text/plain"]  # five papers short on the rainy day


def test_the_rendered_copy_in_maps_matches_the_notebook_and_works_offline():
    page = RENDERED.read_text(encoding="utf-8")
    assert not REMOTE_CODE.search(page)
    nb = nbformat.read(LESSON, as_version=4)
    headings = [
        line.lstrip("#").strip()
        for cell in nb.cells
        if cell.cell_type == "markdown"
        for line in cell.source.splitlines()
        if line.startswith("#")
    ]
    assert len(headings) >= 5
    text = html.unescape(re.sub(r"<[^>]+>", "", page))
    for heading in headings:
        assert heading in text, f"maps/lesson.html is older than the notebook: {heading!r}"
    assert page.count("L.map(") == 2  # both maps, with their outputs
    assert "<title>The value disciplines on a paper route</title>" in page
    assert (ROOT / "maps" / "index.html").read_text(encoding="utf-8").count('href="lesson.html"')
