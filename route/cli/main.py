"""The ``paperroute`` command line.

Exit status: 0 done, 2 bad input (every problem listed, nothing written), 1 anything else.
Progress goes to standard error; results (tables, paths) to standard output.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from route.cli.common import _Reporter
from route.cli.day_cmds import cmd_day
from route.cli.edit_cmds import cmd_history, cmd_skips
from route.cli.output_cmds import cmd_demo, cmd_export, cmd_map, cmd_sheet
from route.cli.route_cmds import cmd_import, cmd_init, cmd_plan, cmd_remove
from route.constants import MODES
from route.errors import InputError


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
    im.add_argument("--layer", help="the layer to read from a GeoPackage that holds several")
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
    """Run the command line; return the exit status.

    0 done; 2 bad input (every problem listed, nothing written); 130 interrupted (Ctrl-C) and
    143 terminated, each saying whether anything was written; 1 anything else, with a message
    that says what happened and whether anything was written.
    """
    import sqlite3

    from route.cli.checks import check_args, join_negative_pairs
    from route.cli.faults import Stop, Terminated, WriteWatch, describe, written

    args = _parser().parse_args(join_negative_pairs(sys.argv[1:] if argv is None else argv))
    say = _Reporter(args.quiet)
    name = f"paperroute {args.command}"
    workspace = args.out if args.command == "demo" else getattr(args, "workspace", None)
    watch = WriteWatch(workspace)
    stop = Stop()
    code: int | None = None
    try:
        with stop:
            try:
                check_args(args)
                code = int(_COMMANDS[args.command](args, say) or 0)
            finally:
                stop.disarm()
    except InputError as e:
        print(f"{name}: {e.report()}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader went away (``paperroute history WS | head``): not an error of ours.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except (KeyboardInterrupt, Terminated) as e:
        stop.pending = stop.pending or type(e)  # reported below
    except Exception as e:  # the last line of defence: no traceback for users
        if stop.pending is None:
            if args.debug:
                raise
            what = describe(e, workspace) if isinstance(e, OSError | sqlite3.Error) else None
            if what is not None:
                print(f"{name}: {what}. {written(watch, workspace, e)}", file=sys.stderr)
                return 1
            print(
                f"{name}: unexpected error: {e!r}\n{written(watch, workspace)}\n"
                "Run again with --debug for details and report it.",
                file=sys.stderr,
            )
            return 1
    finally:
        watch_result = written(watch, workspace)
        watch.close()
    if stop.pending is not None:
        # Also when a library swallowed the signal and the command ran on to its end.
        how = "interrupted" if stop.pending is KeyboardInterrupt else "terminated"
        print(f"{name}: {how}. {watch_result}", file=sys.stderr)
        return 130 if stop.pending is KeyboardInterrupt else 143
    return code if code is not None else 1


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
