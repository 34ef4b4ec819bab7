"""Regenerate everything in ``maps/``: the examples' maps, sheets and chart, and the index.

What it teaches: nothing new; it is the one command that rebuilds the pages a class opens
without installing anything. Run from the repository (the examples need paperroute installed,
or ``PYTHONPATH`` pointing at the repository)::

    python examples/build_maps.py                    # rebuilds maps/ (about a minute)
    python examples/build_maps.py --out /tmp/pages --time-limit 1
    python examples/build_maps.py --index-only       # only rewrite maps/index.html
"""

from __future__ import annotations

import sys
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
)


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
    args = p.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    if not args.index_only:
        common = ["--out", str(args.out), "--time-limit", f"{args.time_limit:g}"]
        # The own-data example rides a bike here, so its map is not a copy of the story's.
        runs = ((value_disciplines, []), (paper_girl, []), (from_your_own_data, ["--mode", "bike"]))
        for example, extra in runs:
            say(f"== {example.__name__}")
            status = example.main([*common, *extra])
            if status:
                return status
    print(f"Index: {write_index(args.out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
