"""The ``paperroute`` command line.

Exit status: 0 done, 2 bad input (every problem listed, nothing written), 1 anything else.
Progress goes to standard error; results (tables, paths) to standard output.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from .constants import MODES
from .errors import InputError, input_error
from .model import Depot, RouteBook, Subscriber
from .store import DB_NAME, Settings, Workspace, atomic_write

DEMO_MARKER = ".paperroute-demo"


class _Reporter:
    """Prints progress lines to standard error with the elapsed time."""

    def __init__(self, quiet: bool = False) -> None:
        self.t0 = time.perf_counter()
        self.quiet = quiet

    def __call__(self, message: str) -> None:
        if not self.quiet:
            print(f"[{time.perf_counter() - self.t0:5.1f}s] {message}", file=sys.stderr, flush=True)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="paperroute",
        description="One fixed, efficient delivery route, and every subscriber served their way.",
    )
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.add_argument("--debug", action="store_true", help="show tracebacks of unexpected errors")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    d = sub.add_parser("demo", help="the whole story on the embedded Helsinki network, no setup")
    d.add_argument(
        "--out",
        type=Path,
        default=Path("paperroute-demo"),
        help="folder for the demo workspace, map and sheet (default ./paperroute-demo)",
    )
    d.add_argument("--time-limit", type=float, default=5.0, help="solver seconds (default 5)")

    i = sub.add_parser("init", help="create a workspace on a street network")
    i.add_argument("workspace", type=Path)
    i.add_argument(
        "--network", required=True, help="'demo', an .osm.pbf/.osm/.graphml file, or a place name"
    )
    i.add_argument("--mode", choices=MODES, default="walk")
    i.add_argument(
        "--depot",
        help="LAT,LON where bundles are picked up (default: the centre of the street network)",
    )
    i.add_argument("--start", default="05:00", help="shift start, HH:MM (default 05:00)")

    im = sub.add_parser("import", help="validate and add or update subscribers")
    im.add_argument("workspace", type=Path)
    im.add_argument("subscribers", type=Path, help="CSV, GeoJSON or GeoPackage file")

    pl = sub.add_parser("plan", help="plan the fixed route (a new route-book version)")
    pl.add_argument("workspace", type=Path)
    pl.add_argument("--carriers", type=int, default=1)
    pl.add_argument("--time-limit", type=float, default=5.0)
    pl.add_argument("--seed", type=int, default=0)

    m = sub.add_parser("map", help="write the interactive map")
    m.add_argument("workspace", type=Path)
    m.add_argument("--date", help="YYYY-MM-DD: colour stops by that day's actions")
    m.add_argument("-o", "--output", type=Path)

    s = sub.add_parser("sheet", help="write the printable route sheet (HTML and CSV)")
    s.add_argument("workspace", type=Path)
    s.add_argument("--date", help="YYYY-MM-DD")
    s.add_argument("-o", "--output", type=Path)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = _parser().parse_args(argv)
    say = _Reporter(args.quiet)
    try:
        return int(_COMMANDS[args.command](args, say) or 0)
    except InputError as e:
        print(f"paperroute {args.command}: {e.report()}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("paperroute: interrupted; the workspace is as it was before", file=sys.stderr)
        return 1
    except Exception as e:  # the last line of defence: no traceback for users
        if args.debug:
            raise
        print(
            f"paperroute {args.command}: unexpected error: {e!r}\n"
            "Run again with --debug for details and report it.",
            file=sys.stderr,
        )
        return 1


# -- shared steps -------------------------------------------------------------------------------


def _parse_latlon(text: str, source: str) -> tuple[float, float]:
    try:
        lat_s, lon_s = text.split(",")
        lat, lon = float(lat_s), float(lon_s)
    except ValueError:
        raise input_error(
            source, "not a LAT,LON pair", "write e.g. 60.1710,24.9414", value=text
        ) from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise input_error(
            source, "coordinates out of range", "latitude first, then longitude", value=text
        )
    return lat, lon


def _load_index(settings: Settings, say: _Reporter):
    from .network import StreetIndex
    from .osm import load_network

    net = load_network(settings.network, settings.mode, say)
    return StreetIndex(net)


def _read(ws: Workspace, path: Path) -> tuple[Subscriber, ...]:
    from .io import read_subscribers
    from .osm import load_buildings

    addresses = None
    if path.suffix.lower() == ".csv":
        from .io import normalise_address

        addresses = {
            normalise_address(b.address): (b.lat, b.lon)
            for b in load_buildings(ws.settings.network)
        }
    result = read_subscribers(path, addresses=addresses)
    if result.ignored_columns:
        print(f"note: ignored columns {', '.join(result.ignored_columns)}", file=sys.stderr)
    return result.subscribers


def _need_book(ws: Workspace) -> RouteBook:
    book = ws.latest_book()
    if book is None:
        raise input_error(str(ws.path), "no route planned yet", f"run: paperroute plan {ws.path}")
    return book


def _plan(
    ws: Workspace, say: _Reporter, *, carriers: int, time_limit: float, seed: int, note: str
) -> RouteBook:
    from .plan import PlanOptions, plan

    if carriers < 1:
        raise input_error(
            "--carriers", "must be at least 1", "give a whole number >= 1", value=carriers
        )
    if time_limit <= 0:
        raise input_error(
            "--time-limit", "must be positive", "give seconds, e.g. 5", value=time_limit
        )
    settings = ws.settings
    subs = ws.subscribers()
    if not subs:
        raise input_error(
            str(ws.path),
            "no subscribers",
            f"import some: paperroute import {ws.path} subscribers.csv",
        )
    index = _load_index(settings, say)
    opts = PlanOptions(
        carriers=carriers, time_limit=time_limit, seed=seed, start_s=settings.start_s
    )
    book = plan(subs, settings.depot, index, opts, say)
    with ws.transaction() as con:
        book = ws.save_book(book, note, con)
    return book


def _write_map(ws: Workspace, book: RouteBook, out: Path | None) -> Path:
    from .maps import plan_map

    from ._offline import save_offline

    m = plan_map(book, ws.subscribers(active_only=False))
    return save_offline(m, out or ws.path / "map.html")


def _write_sheet(ws: Workspace, book: RouteBook, out: Path | None) -> tuple[Path, Path]:
    from .sheet import sheet_csv, sheet_html, sheet_rows

    rows = sheet_rows(book, ws.subscribers(active_only=False))
    path = out or ws.path / "sheet.html"
    html_path = atomic_write(path, sheet_html(rows, f"Route sheet, version {book.version}"))
    csv_path = atomic_write(path.with_suffix(".csv"), sheet_csv(rows))
    return html_path, csv_path


def _summary(book: RouteBook) -> str:
    lines = [
        f"Route book version {book.version}: {len(book.order)} stops, "
        f"{book.distance_m / 1000:.2f} km on the streets, {book.duration_s / 60:.0f} min "
        f"({book.walk_in_s / 60:.0f} min of it at the subscribers' spots)",
    ]
    for u in book.unserved:
        lines.append(f"  not served: {u.subscriber_id}: {u.reason}")
    return "\n".join(lines)


# -- commands -----------------------------------------------------------------------------------


def cmd_init(args: argparse.Namespace, say: _Reporter) -> int:
    from .io import parse_clock

    try:
        start = parse_clock(args.start)
    except ValueError:
        start = None
    if start is None:
        raise input_error("--start", "not a time", "use HH:MM, e.g. 05:00", value=args.start)
    network = args.network
    if network != "demo" and Path(network).exists():
        network = str(Path(network).resolve())
    # Load once now: a bad network is refused before anything is written.
    index = _load_index(Settings(network, args.mode, Depot(0, 0)), say)
    if args.depot:
        lat, lon = _parse_latlon(args.depot, "--depot")
    else:
        import numpy as np

        lat, lon = index.to_latlon([tuple(np.median(index.xy, axis=0))])[0]
    depot_curb = index.snap([(lat, lon)])[0]
    from .network import too_far

    if too_far(depot_curb):
        raise input_error(
            "--depot",
            f"{depot_curb.distance_m:.0f} m from the nearest street",
            "give a depot inside the area of the street data",
            value=f"{lat},{lon}",
        )
    ws = Workspace.create(args.workspace, Settings(network, args.mode, Depot(lat, lon), start))
    ws.close()
    print(
        f"Workspace {args.workspace} created ({args.mode} network from {args.network}, "
        f"depot {lat:.5f},{lon:.5f})."
    )
    return 0


def cmd_import(args: argparse.Namespace, say: _Reporter) -> int:
    with Workspace.open(args.workspace) as ws:
        subs = _read(ws, args.subscribers)
        with ws.transaction() as con:
            added, updated = ws.upsert_subscribers(subs, con)
        print(
            f"Imported {len(subs)} subscribers from {args.subscribers}: "
            f"{len(added)} new, {len(updated)} updated, {len(subs) - len(added) - len(updated)} "
            "unchanged."
        )
    return 0


def cmd_plan(args: argparse.Namespace, say: _Reporter) -> int:
    with Workspace.open(args.workspace) as ws:
        book = _plan(
            ws,
            say,
            carriers=args.carriers,
            time_limit=args.time_limit,
            seed=args.seed,
            note=f"plan --carriers {args.carriers} --seed {args.seed}",
        )
        print(_summary(book))
    return 0


def cmd_map(args: argparse.Namespace, say: _Reporter) -> int:
    with Workspace.open(args.workspace) as ws:
        print(f"Map: {_write_map(ws, _need_book(ws), args.output)}")
    return 0


def cmd_sheet(args: argparse.Namespace, say: _Reporter) -> int:
    with Workspace.open(args.workspace) as ws:
        html_path, csv_path = _write_sheet(ws, _need_book(ws), args.output)
        print(f"Route sheet: {html_path}\nRoute sheet (CSV): {csv_path}")
    return 0


def cmd_demo(args: argparse.Namespace, say: _Reporter) -> int:
    from .demo import DEMO_DEPOT, write_demo_csv

    out: Path = args.out
    if out.exists() and any(out.iterdir()):
        if not (out / DEMO_MARKER).exists():
            raise input_error(
                str(out),
                "the folder exists and is not a paperroute demo",
                "give another --out folder, or empty this one",
            )
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / DEMO_MARKER).write_text("made by paperroute demo; safe to delete\n")
    say("Choosing the demo subscribers on addressed buildings of the Helsinki extract")
    csv_path = write_demo_csv(out / "subscribers.csv")
    ws = Workspace.create(out, Settings("demo", "walk", DEMO_DEPOT))
    with ws:
        subs = _read(ws, csv_path)
        with ws.transaction() as con:
            ws.upsert_subscribers(subs, con)
        book = _plan(ws, say, carriers=1, time_limit=args.time_limit, seed=0, note="demo plan")
        map_path = _write_map(ws, book, out / "map.html")
        sheet_path, sheet_csv_path = _write_sheet(ws, book, out / "sheet.html")
        table = _demo_comparison(ws, book, say)
    print(_summary(book))
    print(f"\n{table}")
    print(
        f"\nWorkspace:   {out}/{DB_NAME}\nSubscribers: {csv_path}\nMap:         {map_path}\n"
        f"Route sheet: {sheet_path}\nSheet (CSV): {sheet_csv_path}"
    )
    return 0


def _demo_comparison(ws: Workspace, book: RouteBook, say: _Reporter) -> str:
    """The value disciplines on the demo subscribers this week: the lesson in one table."""
    from datetime import date, timedelta

    from .compare import compare_disciplines
    from .plan import PlanOptions

    settings = ws.settings
    today = date.today()
    comparison = compare_disciplines(
        ws.subscribers(),
        settings.depot,
        _load_index(settings, say),
        week_start=today - timedelta(days=today.weekday()),
        # Eight more solves (curbside, and each day from scratch): one second each keeps the
        # whole demo well under a minute.
        time_limit=1.0,
        seed=0,
        options=PlanOptions(start_s=settings.start_s),
        book=book,
        say=say,
    )
    return comparison.table()


_COMMANDS = {
    "demo": cmd_demo,
    "init": cmd_init,
    "import": cmd_import,
    "plan": cmd_plan,
    "map": cmd_map,
    "sheet": cmd_sheet,
}

if __name__ == "__main__":
    sys.exit(main())
