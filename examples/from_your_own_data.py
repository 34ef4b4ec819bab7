"""From your own data to a map and a route sheet: the steps a real operator takes.

What it teaches: everything paperroute needs is a CSV of your subscribers (an ``id`` and
``lat``/``lon`` per row; spots, schedules, windows and the rest are optional columns) and an
OpenStreetMap extract of your town (``.osm.pbf``). Cut a small extract around your route from
any OpenStreetMap mirror; no online service is needed after that.

Run it on your own files, or leave them out to use the embedded Helsinki extract and the demo
subscribers::

    python examples/from_your_own_data.py my_subscribers.csv my_town.osm.pbf \\
        --depot 60.1710,24.9414 --workspace my-route
    python examples/from_your_own_data.py            # the embedded defaults, into maps/

It runs the same commands you would type, prints each one, and copies the map and the sheet
into ``--out`` as ``own_data_map.html``, ``own_data_sheet.html`` and ``own_data_sheet.csv``.
Your workspace (the SQLite state) stays in ``--workspace``; without it, a temporary folder is
used and removed at the end.
"""

from __future__ import annotations

import shlex
import sys
import tempfile
from pathlib import Path

from _common import parser, say

from route import DEMO_DEPOT, demo_path, write_demo_csv
from route.cli import main as paperroute


def run(*args: str) -> None:
    """Run one ``paperroute`` command as typed in a shell; stop the example if it fails."""
    print(f"$ paperroute {shlex.join(args)}", flush=True)
    status = paperroute(["--quiet", *args])
    if status != 0:
        raise SystemExit(status)


def main(argv: list[str] | None = None) -> int:
    """Build a workspace from a CSV and an extract, plan, and write the map and the sheet."""
    p = parser(__doc__)
    p.add_argument("subscribers", nargs="?", type=Path, help="CSV file (default: the demo's)")
    p.add_argument(
        "extract", nargs="?", type=Path, help="OpenStreetMap .osm.pbf (default: embedded)"
    )
    p.add_argument("--depot", help="LAT,LON of the bundle drop (default: the network's centre)")
    p.add_argument("--mode", choices=("walk", "bike", "drive"), default="walk")
    p.add_argument("--workspace", type=Path, help="keep the workspace here (default: temporary)")
    args = p.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="paperroute-") as tmp:
        workspace = args.workspace or Path(tmp) / "workspace"
        csv = args.subscribers
        if csv is None:
            say("No CSV given: using the demo subscribers")
            csv = write_demo_csv(Path(tmp) / "subscribers.csv")
        extract = args.extract or demo_path()
        depot = args.depot
        if depot is None and args.subscribers is None:
            depot = f"{DEMO_DEPOT.lat},{DEMO_DEPOT.lon}"
        out = args.out
        out.mkdir(parents=True, exist_ok=True)

        init = ["init", str(workspace), "--network", str(extract), "--mode", args.mode]
        run(*init, *(["--depot", depot] if depot else []))
        run("import", str(workspace), str(csv))
        run("plan", str(workspace), "--time-limit", f"{args.time_limit:g}")
        run("map", str(workspace), "-o", str(out / "own_data_map.html"))
        run("sheet", str(workspace), "-o", str(out / "own_data_sheet.html"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
