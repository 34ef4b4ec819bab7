"""Regenerate everything in ``maps/``: the examples' maps, sheets and chart, the lesson
notebook's rendered copy, and the index.

What it teaches: nothing new; it is the one command that rebuilds the pages a class opens
without installing anything. Run from the repository (the examples need paperroute installed
with its ``examples`` extra, or ``PYTHONPATH`` pointing at the repository)::

    python examples/build_maps.py                    # rebuilds maps/ (about two minutes)
    python examples/build_maps.py --out /tmp/pages --time-limit 1
    python examples/build_maps.py --lesson-only      # only examples/lesson.ipynb and the index
    python examples/build_maps.py --index-only       # only rewrite maps/index.html
"""

from __future__ import annotations

import re
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

import from_your_own_data
import paper_girl
import value_disciplines
from _common import html_table, page, parser, say

from route.io.files import atomic_write

TUE, WED, THU = ((paper_girl.MONDAY + timedelta(days=i)).isoformat() for i in (1, 2, 3))

#: What the index shows, in the order a class meets it: (file, title, what it shows).
PAGES = (
    (
        "value_disciplines.html",
        "The value disciplines, measured",
        "The same subscribers curbside only, on a fixed route with every preference, and "
        "re-optimised daily: table and chart.",
    ),
    (
        "paper_girl_map.html",
        "The paper girl's route",
        "The fixed route on the streets of central Helsinki, and every subscriber's own "
        "delivery spot with the walk-in to it (Mr North's milk box, the screen-door step, "
        "the castle's back doorway).",
    ),
    ("paper_girl_sheet.html", "The route sheet", "The printable list of stops, in order."),
    (
        f"paper_girl_{TUE}_map.html",
        "Tuesday: one paper short",
        "The household goes without; no customer notices.",
    ),
    (
        f"paper_girl_{TUE}_sheet.html",
        "Tuesday's sheet",
        "The same day as the carrier prints it.",
    ),
    (
        f"paper_girl_{WED}_map.html",
        "Wednesday: rain",
        "Papers bagged or left at the rain spot; the wet paper replaced with the household's copy.",
    ),
    (
        f"paper_girl_{WED}_sheet.html",
        "Wednesday's sheet",
        "The rain rules and the redelivery on the sheet.",
    ),
    (
        f"paper_girl_{THU}_map.html",
        "Thursday: a late extra bundle",
        "A catch-up pass after the route for the stops the first bundle could not cover.",
    ),
    (
        f"paper_girl_{THU}_sheet.html",
        "Thursday's sheet",
        "With the catch-up pass and a vacation hold.",
    ),
    (
        "own_data_map.html",
        "From your own data",
        "The map an operator gets from a CSV of subscribers and an .osm.pbf extract (here the "
        "same subscribers by bike, on the cycling network).",
    ),
    ("own_data_sheet.html", "From your own data: the sheet", "The matching route sheet."),
    ("demo.html", "The demo map", "The map `paperroute demo` writes."),
    (
        "lesson.html",
        "The lesson as a notebook",
        "examples/lesson.ipynb, run: plan the route, measure the cost of intimacy, compare the "
        "three approaches, draw the route and a rainy day.",
    ),
)

LESSON = Path(__file__).resolve().parent / "lesson.ipynb"


def render_lesson(out: Path) -> Path:
    """Run ``examples/lesson.ipynb`` and write it, with its outputs, as ``out/lesson.html``.

    The page works offline: the maps in it carry their scripts, and the two scripts the
    notebook template loads from the internet (RequireJS for widgets, MathJax for formulas;
    the lesson uses neither) are left out.
    """
    import nbclient
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(LESSON, as_version=4)
    with tempfile.TemporaryDirectory() as tmp:
        nbclient.NotebookClient(
            nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": tmp}}
        ).execute()
    title = {"metadata": {"name": "The value disciplines on a paper route"}}
    body, _ = HTMLExporter(template_name="lab").from_notebook_node(nb, resources=title)
    body = re.sub(r'<script[^>]*\ssrc="https?://[^"]*"[^>]*>\s*</script>', "", body)
    return atomic_write(out / "lesson.html", body)


def write_index(out: Path) -> Path:
    """Write ``index.html`` linking every page of :data:`PAGES` that exists in ``out``."""
    rows = [(name, title, text) for name, title, text in PAGES if (out / name).is_file()]
    known = {name for name, _, _ in PAGES}
    rows += [
        (p.name, p.stem.replace("_", " "), "")
        for p in sorted(out.glob("*.html"))
        if p.name not in known and p.name != "index.html"
    ]
    links = "".join(
        f'<li><a href="{name}">{title}</a>{": " + text if text else ""}</li>'
        for name, title, text in rows
    )
    chart = (
        '<p><a href="value_disciplines.html"><img src="value_disciplines.png" '
        'alt="the value disciplines compared"></a></p>'
        if (out / "value_disciplines.png").is_file()
        else ""
    )
    sizes = html_table(
        ["file", "size"],
        [(name, f"{(out / name).stat().st_size / 1e6:.1f} MB") for name, _, _ in rows],
    )
    body = f"""
<p>A paper carrier keeps one fixed, efficient route and, on top of it, serves every subscriber
their own way. These pages were made by the examples of paperroute on the street network of
central Helsinki. They open in any browser, offline: nothing to install.</p>
{chart}
<ul>{links}</ul>
<p class="note">Rebuild them with <code>python examples/build_maps.py</code>.</p>
<details><summary class="note">Sizes</summary>{sizes}</details>
"""
    return atomic_write(out / "index.html", page("paperroute: the paper-route model", body))


def main(argv: list[str] | None = None) -> int:
    """Run the examples into ``--out`` and write the index."""
    p = parser(__doc__)
    p.add_argument("--index-only", action="store_true", help="only rewrite index.html")
    p.add_argument(
        "--lesson-only", action="store_true", help="only run the lesson notebook and the index"
    )
    args = p.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    if not args.index_only and not args.lesson_only:
        common = ["--out", str(args.out), "--time-limit", f"{args.time_limit:g}"]
        # The own-data example rides a bike here, so its map is not a copy of the story's.
        runs = ((value_disciplines, []), (paper_girl, []), (from_your_own_data, ["--mode", "bike"]))
        for example, extra in runs:
            say(f"== {example.__name__}")
            status = example.main([*common, *extra])
            if status:
                return status
    if not args.index_only:
        say("== lesson.ipynb")
        print(f"Lesson: {render_lesson(args.out)}")
    print(f"Index: {write_index(args.out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
