"""Map sizes and browser rendering for the demo route and a synthetic 2,000-stop route.

Run by hand from the repository root: ``PYTHONPATH=. python benchmarks/map_size.py [OUT]``.
Writes the maps (and screenshots, when Chromium is installed) to OUT (default
``/tmp/paperroute-map-size``) and prints one line per map: stops, bytes, elements rendered.
"""

from __future__ import annotations

import time
from pathlib import Path

from route.io.osm import load_network
from route.output.maps import day_map, plan_map, street_lines
from route.output.offline import save_offline
from tests.browser import check_page, find_chromium
from tests.routes import make_day, make_route

SELECTORS = {
    "stops": ".pr-stop",
    "spots": ".pr-spot",
    "clusters": ".marker-cluster",
    "walk_ins": "path.pr-walk-in",
}


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    streets = street_lines(load_network("demo", "walk").G)
    print(f"{'map':<22} {'stops':>6} {'bytes':>11} {'build s':>8}  rendered elements")
    for name, n, carriers in (("synthetic-200", 200, 1), ("synthetic-2000", 2000, 4)):
        book, subs = make_route(n, carriers=carriers)
        for kind in ("plan", "day"):
            t0 = time.perf_counter()
            if kind == "plan":
                m = plan_map(book, subs, streets=streets)
            else:
                m = day_map(book, subs, make_day(book), streets=streets)
            path = save_offline(m, out / f"{name}-{kind}.html")
            took = time.perf_counter() - t0
            counts = ""
            if find_chromium():
                report = check_page(
                    path,
                    out / f"{name}-{kind}.png",
                    selectors=SELECTORS,
                    budget_ms=15000,
                    timeout=300,
                )
                counts = f"{report.counts} errors={len(report.errors)}"
            print(
                f"{name + ' ' + kind:<22} {n:>6} {path.stat().st_size:>11,} {took:>8.2f}  {counts}"
            )


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "out", nargs="?", type=Path, default=Path("/tmp/paperroute-map-size"),
        help="folder for the maps and screenshots (default /tmp/paperroute-map-size)",
    )  # fmt: skip
    main(ap.parse_args().out)
