"""Plumbing shared by the examples: the output folder, the demo network, a small HTML page."""

from __future__ import annotations

import argparse
import html
import sys
from collections.abc import Sequence
from pathlib import Path

#: Where the examples write by default: the committed ``maps/`` folder beside ``examples/``.
MAPS = Path(__file__).resolve().parent.parent / "maps"


def parser(doc: str | None) -> argparse.ArgumentParser:
    """An argument parser with the options every example takes (``--out``, ``--time-limit``)."""
    first = (doc or "").strip().splitlines()[0] if doc else None
    p = argparse.ArgumentParser(
        description=first, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--out", type=Path, default=MAPS, help=f"folder for the outputs (default {MAPS})"
    )
    p.add_argument(
        "--time-limit", type=float, default=2.0, help="solver seconds per solve (default 2)"
    )
    return p


def say(message: str) -> None:
    """Progress on standard error, so standard output stays the example's result."""
    print(message, file=sys.stderr, flush=True)


def page(title: str, body: str) -> str:
    """A small self-contained HTML page (no scripts, no downloads)."""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>
body {{ font: 16px/1.5 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto;
       padding: 0 1rem; color: #1f2328; }}
h1 {{ font-size: 1.6rem; }}
table {{ border-collapse: collapse; margin: 1rem 0; }}
th, td {{ padding: .3rem .7rem; border-bottom: 1px solid #d0d7de; text-align: right; }}
th:first-child, td:first-child {{ text-align: left; }}
img {{ max-width: 100%; }}
.note {{ color: #59636e; font-size: .9rem; }}
</style></head><body>
<h1>{html.escape(title)}</h1>
{body}
<p class="note">Street data © OpenStreetMap contributors (ODbL).</p>
</body></html>
"""


def html_table(head: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """An HTML table from a header and rows of cells (escaped)."""
    th = "".join(f"<th>{html.escape(str(h))}</th>" for h in head)
    trs = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in r) + "</tr>" for r in rows
    )
    return f"<table><thead><tr>{th}</tr></thead><tbody>{trs}</tbody></table>"
