"""The ``paperroute`` command line.

Exit status: 0 done, 2 bad input (every problem listed, nothing written), 1 anything else.
Progress goes to standard error; results (tables, paths) to standard output.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
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
    im.epilog = (
        "With a route planned, new subscribers are slotted in at their cheapest place "
        "and nobody else's order changes (a new route-book version)."
    )

    rm = sub.add_parser(
        "remove", help="take subscribers off the route; the others keep their order"
    )
    rm.add_argument("workspace", type=Path)
    rm.add_argument("ids", nargs="+", metavar="ID", help="subscriber ids")

    sk = sub.add_parser(
        "skips",
        help="what skipped stops do to the fixed route: expected "
        "length, daily re-optimised, arrival-time spread",
    )
    sk.add_argument("workspace", type=Path)
    sk.add_argument("--days", type=int, default=28, help="days to simulate (default 28)")
    sk.add_argument(
        "--from", dest="first", help="first simulated day, YYYY-MM-DD (default: next Monday)"
    )
    sk.add_argument("--seed", type=int, default=0)
    sk.add_argument(
        "--time-limit", type=float, default=1.0, help="solver seconds per simulated day (default 1)"
    )

    hi = sub.add_parser("history", help="list route-book versions, or diff two of them")
    hi.add_argument("workspace", type=Path)
    hi.add_argument(
        "--diff",
        nargs=2,
        type=int,
        metavar=("A", "B"),
        help="what changed from version A to version B",
    )
    hi.add_argument(
        "--threshold",
        type=float,
        default=5.0,
        help="minutes an arrival must shift to be listed (default 5)",
    )

    pl = sub.add_parser("plan", help="plan the fixed route (a new route-book version)")
    pl.add_argument("workspace", type=Path)
    pl.add_argument(
        "--carriers",
        type=int,
        default=None,
        help="carriers (default 1, or as many as the planned route has)",
    )
    pl.add_argument("--time-limit", type=float, default=5.0)
    pl.add_argument("--seed", type=int, default=0)
    pl.add_argument(
        "--reoptimize",
        action="store_true",
        help="reorder the planned route: report savings and disturbance first",
    )
    pl.add_argument(
        "--max-moved", type=int, metavar="N", help="with --reoptimize: move at most N stops"
    )
    pl.add_argument(
        "--keep-first",
        type=int,
        default=0,
        metavar="K",
        help="with --reoptimize: keep each carrier's first K stops",
    )
    pl.add_argument(
        "--threshold",
        type=float,
        default=5.0,
        help="with --reoptimize: minutes an arrival must shift to count as disturbed (default 5)",
    )
    pl.add_argument(
        "--skip-aware",
        action="store_true",
        help="order for the shortest expected day when absent stops are skipped "
        "(schedules and hold history), not the all-present day",
    )
    pl.add_argument(
        "--kicks",
        type=int,
        default=0,
        metavar="N",
        help="with --skip-aware: N rounds of perturbation and search after the "
        "first search (each about as long as it; default 0)",
    )
    pl.add_argument(
        "--yes",
        action="store_true",
        help="with --reoptimize: commit the new order (without it, only report)",
    )
    pl.add_argument("--capacity", type=int, help="items a carrier's bag holds (default: no limit)")
    pl.add_argument("--shift", help="longest shift per carrier, HH:MM or minutes (default: none)")
    ends = pl.add_mutually_exclusive_group()
    ends.add_argument("--end", help="LAT,LON where the routes end (default: back at the depot)")
    ends.add_argument("--open", action="store_true", help="end each route at its last stop")
    pl.add_argument(
        "--balance",
        type=int,
        default=1,
        help="metres of length worth one second less on the longest shift when "
        "several carriers share the route: 0 = shortest total (default 1)",
    )

    m = sub.add_parser("map", help="write the interactive map")
    m.add_argument("workspace", type=Path)
    m.add_argument("--date", help="YYYY-MM-DD: colour stops by that day's actions")
    m.add_argument("-o", "--output", type=Path)

    s = sub.add_parser("sheet", help="write the printable route sheet (HTML and CSV)")
    s.add_argument("workspace", type=Path)
    s.add_argument("--date", help="YYYY-MM-DD: that day's actions and reasons on the sheet")
    s.add_argument("-o", "--output", type=Path)

    dy = sub.add_parser(
        "day",
        help="run the route for one date: holds, shortages, substitutes, redeliveries, weather",
    )
    dy.add_argument("workspace", type=Path)
    dy.add_argument("--date", required=True, help="YYYY-MM-DD")
    dy.add_argument(
        "--supply",
        action="append",
        default=[],
        metavar="PRODUCT=N",
        help="copies that arrived, per product (repeat; a product not given is "
        "supplied exactly to its demand)",
    )
    dy.add_argument("--supply-file", type=Path, help="CSV with columns product,count")
    dy.add_argument(
        "--late",
        action="append",
        default=[],
        metavar="PRODUCT=N",
        help="a late second delivery: a catch-up pass for the shorted stops",
    )
    dy.add_argument(
        "--holds", type=Path, help="CSV id,from,to (default WORKSPACE/holds.csv when it exists)"
    )
    dy.add_argument(
        "--complaints",
        type=Path,
        help="CSV id,kind,note; kind = missed, wet, damaged or wrong_spot",
    )
    dy.add_argument("--weather", choices=("clear", "rain", "snow"), default="clear")
    dy.add_argument(
        "--policy",
        type=Path,
        help="shortage policy TOML (default WORKSPACE/policy.toml, written on the first day)",
    )
    dy.add_argument(
        "--replace",
        action="store_true",
        help="run a date again; the ledger keeps the first run, cancelled",
    )

    ex = sub.add_parser("export", help="write the route and stops as GeoJSON and GeoPackage")
    ex.add_argument("workspace", type=Path)
    ex.add_argument("--date", help="YYYY-MM-DD: add that day's actions to the stops")
    ex.add_argument(
        "-o",
        "--output",
        type=Path,
        help="FILE.geojson or FILE.gpkg (default: route.geojson and route.gpkg in the workspace)",
    )
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
    except BrokenPipeError:
        # The reader went away (``paperroute history WS | head``): not an error of ours.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
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


_INDEXES: dict[tuple[str, str], object] = {}


def _load_index(settings: Settings, say: _Reporter):
    """The workspace's street index, loaded once per process (the demo plans and maps)."""
    from .network import StreetIndex
    from .osm import load_network

    key = (settings.network, settings.mode)
    if key not in _INDEXES:
        _INDEXES[key] = StreetIndex(load_network(settings.network, settings.mode, say))
    return _INDEXES[key]


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
    ws: Workspace,
    say: _Reporter,
    *,
    carriers: int,
    time_limit: float,
    seed: int,
    note: str,
    limits: dict | None = None,
) -> RouteBook:
    """Plan and save a route book; ``limits`` are extra :class:`PlanOptions` fields."""
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
        carriers=carriers,
        time_limit=time_limit,
        seed=seed,
        start_s=settings.start_s,
        **(limits or {}),
    )
    book = plan(subs, settings.depot, index, opts, say)
    with ws.transaction() as con:
        book = ws.save_book(book, note, con)
    return book


def _for_date(ws: Workspace, date: str | None) -> tuple[RouteBook, dict | None]:
    """The route book to draw and, with ``--date``, the day (run on its own book version)."""
    from ._dayfile import read_day

    if date is None:
        return _need_book(ws), None
    day = read_day(ws.path, date)
    version = day.get("route_version")
    book = ws.book(version) if isinstance(version, int) else None
    return book or _need_book(ws), day


def _write_map(
    ws: Workspace,
    book: RouteBook,
    out: Path | None,
    day: dict | None = None,
    say: _Reporter | None = None,
) -> Path:
    from ._offline import save_offline
    from .maps import day_map, plan_map, street_lines

    streets = street_lines(_load_index(ws.settings, say or _Reporter(True)).net.G)
    subs = ws.subscribers(active_only=False)
    if day is None:
        m = plan_map(book, subs, streets=streets)
        path = out or ws.path / "map.html"
    else:
        m = day_map(book, subs, day, streets=streets)
        path = out or ws.path / "days" / str(day["date"]) / "map.html"
    return save_offline(m, path)


def _write_sheet(
    ws: Workspace, book: RouteBook, out: Path | None, day: dict | None = None
) -> tuple[Path, Path]:
    from .sheet import sheet_csv, sheet_html, sheet_rows, sheet_totals

    subs = ws.subscribers(active_only=False)
    rows = sheet_rows(book, subs, day, _usual_arrivals(ws, book, subs, day))
    if day is None:
        path = out or ws.path / "sheet.html"
        title = "Route sheet"
    else:
        path = out or ws.path / "days" / str(day["date"]) / "sheet.html"
        title = f"Route sheet for {day['date']}"
    subtitle = (
        f"Route book version {book.version} · {book.mode} · {len(rows)} stops · "
        f"from {ws.settings.depot.name}"
    )
    page = sheet_html(rows, title, sheet_totals(book, rows, day), subtitle)
    html_path = atomic_write(path, page)
    csv_path = atomic_write(path.with_suffix(".csv"), sheet_csv(rows))
    return html_path, csv_path


def _usual_arrivals(
    ws: Workspace, book: RouteBook, subs: Sequence[Subscriber], day: dict | None
) -> dict[str, tuple[int, int]]:
    """Each stop's earliest and latest arrival over the week ahead (stops skipped by schedule)."""
    import datetime as dt

    from .stable import usual_arrivals

    first = dt.date.fromisoformat(str(day["date"])) if day else dt.date.today()
    index = _load_index(ws.settings, _Reporter(True))
    spreads = usual_arrivals(book, [s for s in subs if book.stop_of(s.id)], index, first)
    return {i: (int(sp.earliest_s), int(sp.latest_s)) for i, sp in spreads.items()}


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
        book = ws.latest_book()
        edit = None
        if book is not None:
            edit = _stable_edit_for_import(ws, book, subs, say)
        with ws.transaction() as con:
            added, updated = ws.upsert_subscribers(subs, con)
            if edit is not None:
                saved = ws.save_book(
                    edit.book, _edit_note(f"import {args.subscribers.name}", edit), con
                )
        print(
            f"Imported {len(subs)} subscribers from {args.subscribers}: "
            f"{len(added)} new, {len(updated)} updated, {len(subs) - len(added) - len(updated)} "
            "unchanged."
        )
        if edit is not None:
            _print_edit(edit, saved)
    return 0


def _plan_limits(args: argparse.Namespace) -> dict:
    """Capacity, shift, end point and balance from ``plan``'s flags, every problem at once."""
    from .errors import InputError, Problem

    problems, out = [], {"balance": args.balance, "open_end": args.open}
    if args.capacity is not None:
        if args.capacity < 1:
            problems.append(
                Problem(
                    "--capacity",
                    "must be at least 1",
                    "give items per bag",
                    value=str(args.capacity),
                )
            )
        out["capacity"] = args.capacity
    if args.shift is not None:
        minutes = _minutes(args.shift)
        if minutes is None or minutes <= 0:
            problems.append(
                Problem(
                    "--shift",
                    "not a duration",
                    "give HH:MM or minutes, e.g. 3:30 or 210",
                    value=args.shift,
                )
            )
        else:
            out["shift_s"] = int(minutes * 60)
    if args.end is not None:
        try:
            out["end"] = _parse_latlon(args.end, "--end")
        except InputError as e:
            problems.extend(e.problems)
    if args.balance < 0:
        problems.append(
            Problem("--balance", "must not be negative", "give 0 or more", value=str(args.balance))
        )
    if problems:
        raise InputError(problems)
    return out


def _minutes(text: str) -> float | None:
    try:
        if ":" in text:
            h, m = text.split(":")
            return int(h) * 60 + int(m) if 0 <= int(m) < 60 else None
        return float(text)
    except ValueError:
        return None


def cmd_plan(args: argparse.Namespace, say: _Reporter) -> int:
    with Workspace.open(args.workspace) as ws:
        book = ws.latest_book()
        if args.kicks and not args.skip_aware:
            raise input_error(
                "--kicks",
                "only applies to the skip-aware search",
                "add --skip-aware",
                value=args.kicks,
            )
        if args.reoptimize:
            return _reoptimize(ws, _need_book(ws), args, say)
        for flag, given in (
            ("--max-moved", args.max_moved is not None),
            ("--keep-first", args.keep_first != 0),
            ("--yes", args.yes),
        ):
            if given:
                raise input_error(flag, "only applies to a re-optimisation", "add --reoptimize")
        limits = _plan_limits(args)
        if book is not None:
            if args.skip_aware:
                raise input_error(
                    "--skip-aware",
                    "the route is planned already; reordering it is a re-optimisation",
                    "add --reoptimize (it reports first)",
                )
            return _plan_sync(ws, book, args, say, limits)
        carriers = 1 if args.carriers is None else args.carriers
        book = _plan(
            ws,
            say,
            carriers=carriers,
            time_limit=args.time_limit,
            seed=args.seed,
            note=f"plan --carriers {carriers} --seed {args.seed}",
            limits=limits,
        )
        print(_summary(book))
        if args.skip_aware:
            return _skip_aware(ws, book, args, say, commit=True)
    return 0


def cmd_map(args: argparse.Namespace, say: _Reporter) -> int:
    with Workspace.open(args.workspace) as ws:
        book, day = _for_date(ws, args.date)
        print(f"Map: {_write_map(ws, book, args.output, day, say)}")
    return 0


def cmd_sheet(args: argparse.Namespace, say: _Reporter) -> int:
    with Workspace.open(args.workspace) as ws:
        book, day = _for_date(ws, args.date)
        html_path, csv_path = _write_sheet(ws, book, args.output, day)
        print(f"Route sheet: {html_path}\nRoute sheet (CSV): {csv_path}")
    return 0


def cmd_export(args: argparse.Namespace, say: _Reporter) -> int:
    from .export import export_features, write_geojson, write_geopackage

    out: Path | None = args.output
    if out is not None and out.suffix.lower() not in (".geojson", ".json", ".gpkg"):
        raise input_error(
            "--output", "unknown export format", "name a .geojson or a .gpkg file", value=str(out)
        )
    with Workspace.open(args.workspace) as ws:
        book, day = _for_date(ws, args.date)
        layers = export_features(book, ws.subscribers(active_only=False), day)
        paths = []
        if out is None or out.suffix.lower() != ".gpkg":
            paths.append(write_geojson(layers, out or ws.path / "route.geojson"))
        if out is None or out.suffix.lower() == ".gpkg":
            paths.append(write_geopackage(layers, out or ws.path / "route.gpkg"))
    for p in paths:
        print(f"Export: {p}")
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
        map_path = _write_map(ws, book, out / "map.html", say=say)
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


def _crash_point(name: str) -> None:
    """Test hook: die here, as a power cut would, when PAPERROUTE_TEST_CRASH names this point."""
    if os.environ.get("PAPERROUTE_TEST_CRASH") == name:
        os.kill(os.getpid(), signal.SIGKILL)


def _network_travel(ws: Workspace, book: RouteBook, say: _Reporter):
    """Street metres and seconds between the route book's curb points, on the real network."""
    import math

    index = _load_index(ws.settings, say)
    ids = [s.subscriber_id for r in book.routes for s in r.stops]
    points = [(book.depot.lat, book.depot.lon)]
    points += [(s.curb_lat, s.curb_lon) for r in book.routes for s in r.stops]
    matrix = index.matrix(index.snap(points))
    at = {sid: i for i, sid in enumerate(ids, start=1)}
    from .daytravel import route_metric

    fallback = route_metric(book)

    def travel(a: str | None, b: str | None) -> tuple[int, int]:
        i, j = at.get(a, 0) if a else 0, at.get(b, 0) if b else 0
        m, t = matrix.distance[i, j], matrix.duration[i, j]
        if not (math.isfinite(m) and math.isfinite(t)):
            return fallback(a, b)
        return round(float(m)), round(float(t))

    return travel


def cmd_day(args: argparse.Namespace, say: _Reporter) -> int:
    from .day import DayInputs, history_from_ledger, run_day
    from .errors import Problem
    from .io import parse_date, parse_supply_args, read_complaints, read_holds, read_supply
    from .policy import DEFAULT_POLICY_TOML, Policy, load_policy
    from .summary import day_summary

    with Workspace.open(args.workspace) as ws:
        repaired = ws.sync_day_files()
        if repaired:
            say(f"Put day files right after an interrupted run: {', '.join(repaired)}")
        book = _need_book(ws)
        subs = ws.subscribers(active_only=False)
        known = {s.id for s in ws.subscribers()}
        on_route = set(book.order)
        problems: list[Problem] = []
        try:
            date = parse_date(args.date)
        except ValueError:
            date = None
            problems.append(
                Problem("--date", "not a date", "use YYYY-MM-DD, e.g. 2024-06-03", value=args.date)
            )
        supply = parse_supply_args(args.supply, "--supply", problems)
        if args.supply_file:
            for p, n in read_supply(args.supply_file, problems).items():
                if p in supply:
                    problems.append(
                        Problem(
                            str(args.supply_file),
                            "also given with --supply",
                            "give each product once",
                            column="product",
                            value=p,
                        )
                    )
                supply[p] = n
        late = parse_supply_args(args.late, "--late", problems)
        products = {s.product for s in subs} | {p for s in subs for p in s.substitutes}
        for source, given in (("--supply", supply), ("--late", late)):
            for p in given:
                if p not in products:
                    problems.append(
                        Problem(
                            source,
                            "no subscriber takes or accepts this product",
                            f"use one of: {', '.join(sorted(products))}",
                            value=p,
                        )
                    )
        holds_path = args.holds
        if holds_path is None and (ws.path / "holds.csv").is_file():
            holds_path = ws.path / "holds.csv"
        holds = read_holds(holds_path, known, problems) if holds_path else []
        complaints = read_complaints(args.complaints, on_route, problems) if args.complaints else []
        policy_path = args.policy or ws.path / "policy.toml"
        if args.policy and not args.policy.is_file():
            problems.append(Problem(str(args.policy), "file not found", "check the path"))
        policy = Policy()
        try:
            policy = load_policy(policy_path)
        except InputError as e:
            problems.extend(e.problems)
        if date is not None and ws.day_json(date.isoformat()) and not args.replace:
            problems.append(
                Problem(
                    "--date",
                    "this date was run before",
                    "add --replace to run it again (the ledger keeps both runs)",
                    value=args.date,
                )
            )
        if problems:
            raise InputError(problems)
        assert date is not None
        iso = date.isoformat()
        inputs = DayInputs(
            supply=supply,
            late=late,
            holds=tuple(holds),
            complaints=tuple(complaints),
            weather=args.weather,
        )
        history = history_from_ledger(ws.ledger_rows(), iso, ws.day_dates())
        say(f"Running {iso} on route book version {book.version}")
        day = run_day(book, subs, date, inputs, policy, history)
        bypassed = any(
            s.action not in ("deliver", "deliver_substitute") or s.late for s in day.stops
        )
        if bypassed:
            # Skipped stops are bypassed on the real streets: measure it there.
            try:
                travel = _network_travel(ws, book, say)
            except InputError as e:
                say(
                    f"Street network unavailable ({e.problems[0].message}); measuring along "
                    "the route book's legs"
                )
            else:
                day = run_day(book, subs, date, inputs, policy, history, travel)
        text = day.to_json()
        entries = [(e.date, e.subscriber_id, e.kind, e.product, e.detail) for e in day.ledger]
        with ws.transaction() as con:
            voided = ws.save_day(iso, book.version, text, entries, con, replace=args.replace)
            _crash_point("day:in_transaction")
        _crash_point("day:after_commit")
        path = atomic_write(ws.day_path(iso), text)
        if args.policy is None and not policy_path.exists():
            atomic_write(policy_path, DEFAULT_POLICY_TOML)
            say(f"Wrote the default shortage policy to {policy_path}")
        print(day_summary(day, subs))
        if voided:
            print(f"\nReplaced the earlier run of {iso} ({voided} ledger lines cancelled).")
        print(f"\nDay: {path}")
    return 0


# -- stable edits, re-optimisation, history ---------------------------------------------------


def _merged(ws: Workspace, imported: Sequence[Subscriber]) -> tuple[list[Subscriber], list[str]]:
    """Active subscribers after an import (file order for new ones), and ids to re-slot."""
    from .stable import changed_for_routing

    active = {s.id: s for s in ws.subscribers()}
    reslot = [s.id for s in imported if s.id in active and changed_for_routing(active[s.id], s)]
    merged = dict(active)
    for s in imported:
        merged[s.id] = s
    return list(merged.values()), reslot


def _stable_edit_for_import(
    ws: Workspace, book: RouteBook, subs: Sequence[Subscriber], say: _Reporter
):
    from .stable import stable_edit

    merged, reslot = _merged(ws, subs)
    index = _load_index(ws.settings, say)
    say("Slotting new subscribers into the planned route (nobody else's order changes)")
    return stable_edit(book, merged, index, reslot=reslot)


def _edit_note(what: str, edit) -> str:
    parts = [what]
    if edit.placements:
        parts.append(
            "inserted "
            + ", ".join(
                f"{x}@{edit.book.stop_of(x)[1].seq}"
                for x, _p in edit.placements
                if edit.book.stop_of(x)
            )
        )
    if edit.removed_ids:
        parts.append("removed " + ", ".join(edit.removed_ids))
    if edit.unplaced_ids:
        parts.append("unserved " + ", ".join(edit.unplaced_ids))
    if len(parts) == 1:
        parts.append("no change to the order")
    return "; ".join(parts)


def _print_edit(edit, saved: RouteBook) -> None:
    for x, p in edit.placements:
        print(f"  {x:<10} -> {edit.where(p)}")
    for x in edit.removed_ids:
        print(f"  {x:<10} removed; the gap is closed")
    reasons = {u.subscriber_id: u.reason for u in saved.unserved}
    for x in edit.unplaced_ids:
        print(f"  {x:<10} not served: {reasons.get(x, 'no feasible place')}")
    print(_summary(saved))


def _changed_limits(book: RouteBook, args: argparse.Namespace, limits: dict) -> dict:
    """Plan options given on the command line that differ from the planned route's."""
    from .stable import options_of

    have = options_of(book)
    given = {
        "carriers": args.carriers,
        "capacity": limits.get("capacity"),
        "shift_s": limits.get("shift_s"),
        "end": limits.get("end"),
        "open_end": True if args.open else None,
        # --balance has a default; only a value other than it counts as asked for.
        "balance": args.balance if args.balance != 1 else None,
    }
    return {k: v for k, v in given.items() if v is not None and getattr(have, k) != v}


def _plan_sync(
    ws: Workspace, book: RouteBook, args: argparse.Namespace, say: _Reporter, limits: dict
) -> int:
    """``plan`` on a planned workspace: bring it up to date without reordering anyone."""
    from .stable import stable_edit

    changed = _changed_limits(book, args, limits)
    if changed:
        raise input_error(
            ", ".join(f"--{k.replace('_s', '').replace('_', '-')}" for k in changed),
            "the planned route was made with other settings; changing them reorders the route",
            f"run: paperroute plan {ws.path} --reoptimize with the same flags (it reports first)",
        )
    index = _load_index(ws.settings, say)
    edit = stable_edit(book, ws.subscribers(), index)
    if not edit.placements and not edit.removed_ids and not edit.unplaced_ids:
        print(
            f"The route is up to date (version {book.version}); nothing changed. To reorder "
            f"it: paperroute plan {ws.path} --reoptimize"
        )
        return 0
    with ws.transaction() as con:
        saved = ws.save_book(edit.book, _edit_note("plan (stable)", edit), con)
    _print_edit(edit, saved)
    return 0


def _reoptimize(ws: Workspace, book: RouteBook, args: argparse.Namespace, say: _Reporter) -> int:
    from dataclasses import replace

    from .edit import diff_books
    from .stable import reoptimised_book

    if args.max_moved is not None and args.max_moved < 0:
        raise input_error(
            "--max-moved", "must not be negative", "give 0 or more", value=args.max_moved
        )
    if args.keep_first < 0:
        raise input_error(
            "--keep-first", "must not be negative", "give 0 or more", value=args.keep_first
        )
    if args.threshold < 0:
        raise input_error(
            "--threshold", "must not be negative", "give minutes, e.g. 5", value=args.threshold
        )
    if args.time_limit <= 0:
        raise input_error(
            "--time-limit", "must be positive", "give seconds, e.g. 5", value=args.time_limit
        )
    if args.carriers is not None and args.carriers < 1:
        raise input_error(
            "--carriers", "must be at least 1", "give a whole number >= 1", value=args.carriers
        )
    changed = _changed_limits(book, args, _plan_limits(args))
    flags = ", ".join(f"--{k.replace('_s', '').replace('_', '-')}" for k in changed)
    if changed and (args.max_moved is not None or args.keep_first or args.skip_aware):
        raise input_error(
            flags,
            "new plan settings reorder every stop",
            "drop --max-moved, --keep-first and --skip-aware, or the new settings",
        )
    if args.skip_aware:
        if args.max_moved is not None:
            raise input_error(
                "--skip-aware",
                "cannot be bounded by --max-moved",
                "use --keep-first K to keep the start of the route",
            )
        return _skip_aware(ws, book, args, say, commit=args.yes)
    subs = ws.subscribers()
    index = _load_index(ws.settings, say)
    say(
        "Searching for a shorter order"
        + (f" moving at most {args.max_moved} stops" if args.max_moved is not None else "")
        + (f", keeping each carrier's first {args.keep_first} stops" if args.keep_first else "")
        + (f" with new settings ({flags})" if changed else "")
    )
    candidate, result, (exp_before, exp_after) = reoptimised_book(
        book,
        subs,
        index,
        max_moved=args.max_moved,
        keep_first=args.keep_first,
        time_limit=args.time_limit,
        seed=args.seed,
        overrides=changed,
        rates=_rates(ws, subs),
    )
    # Report against the version number the commit will get.
    candidate = replace(candidate, version=max(v for v, _c, _n in ws.versions()) + 1)
    diff = diff_books(book, candidate, threshold_s=round(args.threshold * 60))
    print(
        f"Re-optimisation of version {book.version} ({result.method}"
        + (f"; new settings: {flags}" if changed else "")
        + "):"
    )
    print("\n".join(diff.lines(limit=12)))
    print(
        f"  expected day with skipped stops: {exp_before:,.0f} m -> {exp_after:,.0f} m "
        f"({exp_after - exp_before:+,.0f} m)"
    )
    for u in candidate.unserved:
        if u.subscriber_id in book.order:
            print(f"  would no longer be served: {u.subscriber_id}: {u.reason}")
    if diff.distance_m >= 0 and not diff.added and not diff.removed and not changed:
        print("No shorter order found within the bounds; nothing to commit.")
        return 0
    if not args.yes:
        print(
            "Nothing committed. To commit this order, run the same command with --yes "
            "(the same inputs and seed give the same order)."
        )
        return 0
    note = (
        f"reoptimize ({result.method}{'; ' + flags if changed else ''}): "
        f"{diff.distance_m:+d} m, {diff.duration_s / 60:+.1f} min; moved {len(diff.moved)}, "
        f"retimed {len(diff.retimed)}"
    )
    with ws.transaction() as con:
        saved = ws.save_book(candidate, note, con)
    print(f"Committed as version {saved.version}.")
    return 0


def _absences(ws: Workspace):
    """Holds recorded in the workspace, as ((date, subscriber id) list, first day, last day).

    Read from the ledger (kind ``hold``) and from the days' stops skipped for a hold; an empty
    history means every subscriber gets an item on each scheduled day.
    """
    import json
    from datetime import date

    out: set[tuple[date, str]] = set()
    days: set[date] = set()
    for d, sid, kind, detail in ws.query("SELECT date, subscriber_id, kind, detail FROM ledger"):
        with contextlib.suppress(ValueError):
            days.add(date.fromisoformat(d))
            if kind == "hold" or (kind == "skip" and "hold" in str(detail).lower()):
                out.add((date.fromisoformat(d), str(sid)))
    for d, data in ws.query("SELECT date, data FROM days"):
        with contextlib.suppress(ValueError, TypeError, AttributeError):
            day = date.fromisoformat(d)
            days.add(day)
            for stop in json.loads(data).get("stops", ()):
                if stop.get("action") == "skip" and "hold" in str(stop.get("reason", "")).lower():
                    out.add((day, str(stop.get("id"))))
    if not days:
        return [], None, None
    return sorted(out), min(days), max(days)


def _rates(ws: Workspace, subs: Sequence[Subscriber]) -> dict[str, float]:
    from .apriori import hold_rates

    absences, first, last = _absences(ws)
    if first is None:
        return {}
    return hold_rates(subs, absences, first, last)


def _skip_aware(
    ws: Workspace, book: RouteBook, args: argparse.Namespace, say: _Reporter, *, commit: bool
) -> int:
    from dataclasses import replace

    from .edit import diff_books
    from .stable import skip_aware_book

    subs = ws.subscribers()
    rates = _rates(ws, subs)
    index = _load_index(ws.settings, say)
    say("Ordering for the shortest expected day (absent stops skipped)")
    if args.kicks < 0:
        raise input_error("--kicks", "must not be negative", "give 0 or more", value=args.kicks)
    candidate, before, after = skip_aware_book(
        book, subs, index, rates, keep_first=args.keep_first, kicks=args.kicks, seed=args.seed
    )
    candidate = replace(candidate, version=max(v for v, _c, _n in ws.versions()) + 1)
    diff = diff_books(book, candidate, threshold_s=round(args.threshold * 60))
    held = sum(r > 0 for r in rates.values())
    print(
        f"Skip-aware order for version {book.version} (schedules"
        + (f" and the hold history of {held} subscribers" if held else "")
        + "):"
    )
    print(
        f"  expected day with skipped stops: {before:,.0f} m -> {after:,.0f} m "
        f"({after - before:+,.0f} m); all present: {book.distance_m:,} m -> "
        f"{candidate.distance_m:,} m"
    )
    print("\n".join(diff.lines(limit=12)))
    if after >= before - 0.5:
        print(
            "The route is already as short as this search finds for the days it skips; "
            "nothing to commit."
        )
        return 0
    if not commit:
        print(
            "Nothing committed. To commit this order, run the same command with --yes "
            "(the same inputs give the same order)."
        )
        return 0
    note = (
        f"skip-aware: expected {after - before:+,.0f} m a day; all present "
        f"{diff.distance_m:+d} m; moved {len(diff.moved)}"
    )
    with ws.transaction() as con:
        saved = ws.save_book(candidate, note, con)
    print(f"Committed as version {saved.version}.")
    return 0


def cmd_skips(args: argparse.Namespace, say: _Reporter) -> int:
    from datetime import date, timedelta

    from .model import format_clock
    from .stable import skip_report

    if args.days < 1:
        raise input_error(
            "--days", "must be at least 1", "give a number of days, e.g. 28", value=args.days
        )
    if args.time_limit <= 0:
        raise input_error(
            "--time-limit", "must be positive", "give seconds, e.g. 1", value=args.time_limit
        )
    if args.first:
        try:
            first = date.fromisoformat(args.first)
        except ValueError:
            raise input_error("--from", "not a date", "use YYYY-MM-DD", value=args.first) from None
    else:
        today = date.today()
        first = today + timedelta(days=(7 - today.weekday()) % 7 or 7)
    with Workspace.open(args.workspace) as ws:
        book = _need_book(ws)
        subs = ws.subscribers()
        rates = _rates(ws, subs)
        index = _load_index(ws.settings, say)
        say(
            f"Simulating {args.days} days from {first} (schedules"
            + (", hold history" if any(rates.values()) else "")
            + ")"
        )
        rep = skip_report(
            book,
            subs,
            index,
            rates,
            first,
            args.days,
            seed=args.seed,
            time_limit=args.time_limit,
            say=say,
        )
    fixed = sum(d[2] for d in rep.days) / len(rep.days)
    opt = sum(d[3] for d in rep.days) / len(rep.days)
    print(f"Route book version {book.version}: {rep.all_present_m:,} m with every stop served")
    print(f"  expected day, absent stops skipped:   {rep.expected_m:>9,.0f} m (exact)")
    print(f"  simulated {len(rep.days)} days, fixed route:      {fixed:>9,.0f} m a day")
    print(f"  simulated, re-optimised every day:    {opt:>9,.0f} m a day")
    print(
        f"  price of a fixed route:               {rep.price:>9.3f}x ({fixed - opt:,.0f} m a day)"
    )
    print(f"  to plan for the skipped days: paperroute plan {ws.path} --reoptimize --skip-aware")
    print(f"\nArrival times over the week from {first} (schedules only):")
    print(
        f"{'carrier':>7}  {'stop':>4}  {'id':<10}  {'days':>4}  {'usual':>5}  {'earliest':>8}  "
        f"{'latest':>6}  {'range':>9}"
    )
    for c, _seq, sid, sp in rep.spreads:
        found = book.stop_of(sid)
        seq = found[1].seq if found else _seq
        print(
            f"{c:>7}  {seq:>4}  {sid:<10}  {sp.days:>4}  {format_clock(sp.mean_s):>5}  "
            f"{format_clock(sp.earliest_s):>8}  {format_clock(sp.latest_s):>6}  "
            f"{sp.range_s / 60:>5.0f} min"
        )
    return 0


def cmd_remove(args: argparse.Namespace, say: _Reporter) -> int:
    from .errors import Problem

    with Workspace.open(args.workspace) as ws:
        active = {s.id for s in ws.subscribers()}
        known = {s.id for s in ws.subscribers(active_only=False)}
        bad = [
            Problem(
                "ID",
                "no such subscriber" if i not in known else "already removed",
                "give ids of active subscribers (see the route sheet)",
                value=i,
            )
            for i in args.ids
            if i not in active
        ]
        if bad:
            raise InputError(bad)
        ids = list(dict.fromkeys(args.ids))
        book = ws.latest_book()
        edit = None
        if book is not None:
            from .stable import stable_edit

            index = _load_index(ws.settings, say)
            keep = [s for s in ws.subscribers() if s.id not in set(ids)]
            edit = stable_edit(book, keep, index)
        with ws.transaction() as con:
            ws.deactivate(ids, con)
            if edit is not None:
                saved = ws.save_book(edit.book, _edit_note("remove", edit), con)
        print(f"Removed {len(ids)} subscriber(s): {', '.join(ids)}.")
        if edit is not None:
            _print_edit(edit, saved)
    return 0


def _need_version(ws: Workspace, version: int) -> RouteBook:
    book = ws.book(version)
    if book is None:
        raise input_error(
            str(ws.path),
            f"no route-book version {version}",
            f"list them: paperroute history {ws.path}",
            value=version,
        )
    return book


def cmd_history(args: argparse.Namespace, say: _Reporter) -> int:
    from .edit import diff_books

    with Workspace.open(args.workspace) as ws:
        versions = ws.versions()
        if args.diff:
            a, b = args.diff
            have = {v for v, _c, _n in versions}
            missing = [v for v in (a, b) if v not in have]
            if missing:
                raise input_error(
                    "--diff",
                    "no such route-book version",
                    f"choose from {', '.join(map(str, sorted(have))) or 'none'}",
                    value=", ".join(map(str, missing)),
                )
            old, new = _need_version(ws, a), _need_version(ws, b)
            print("\n".join(diff_books(old, new, round(args.threshold * 60)).lines()))
            return 0
        if not versions:
            print(f"No route book yet. Plan one: paperroute plan {ws.path}")
            return 0
        print(f"{'version':>7}  {'created (UTC)':<25}  {'stops':>5}  {'km':>6}  {'min':>5}  note")
        for v, created, note in versions:
            bk = _need_version(ws, v)
            print(
                f"{v:>7}  {created:<25}  {len(bk.order):>5}  {bk.distance_m / 1000:>6.2f}  "
                f"{bk.duration_s / 60:>5.0f}  {note}"
            )
    return 0


_COMMANDS = {
    "demo": cmd_demo,
    "init": cmd_init,
    "import": cmd_import,
    "remove": cmd_remove,
    "history": cmd_history,
    "skips": cmd_skips,
    "plan": cmd_plan,
    "map": cmd_map,
    "sheet": cmd_sheet,
    "day": cmd_day,
    "export": cmd_export,
}

if __name__ == "__main__":
    sys.exit(main())
