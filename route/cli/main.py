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
from route.cli.district_cmds import add_district_command, cmd_districts
from route.cli.edit_cmds import cmd_history, cmd_skips
from route.cli.hold_cmds import cmd_hold, cmd_holds
from route.cli.ledger_cmds import cmd_ledger, cmd_rates
from route.cli.output_cmds import (
    EXPORT_FORMATS,
    PAPERS,
    cmd_demo,
    cmd_export,
    cmd_map,
    cmd_sheet,
    cmd_subscribers,
)
from route.cli.route_cmds import cmd_import, cmd_init, cmd_plan, cmd_relink, cmd_remove
from route.cli.workspace_args import WORKSPACE_HELP, add_wait, add_workspace_commands
from route.constants import MODES, VERSION
from route.errors import ConflictError, InputError


class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Every option's help ends with its default, unless it says it already or has none.

    Like :class:`argparse.ArgumentDefaultsHelpFormatter`, without "(default: None)" on options
    whose absence the help text explains, or "(default: False)" on flags.
    """

    def add_argument(self, action: argparse.Action) -> None:
        super().add_argument(action)
        if isinstance(action, argparse._SubParsersAction):
            # argparse measures the commands two columns short of where it prints them, so a
            # long command name would push its summary onto a line of its own.
            longest = max(map(len, action.choices), default=0)
            self._action_max_length = max(
                self._action_max_length, longest + self._current_indent + 4
            )

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        default = action.default
        if (
            "default" in text
            or not action.option_strings
            or default is None
            or default is False
            or default == []
            or default == ""
            or default is argparse.SUPPRESS
            or isinstance(action, argparse._VersionAction)
        ):
            return text
        if isinstance(default, (list, tuple)):
            default = ", ".join(map(str, default))
        return f"{text} (default: {default})"


_WS = WORKSPACE_HELP


def _global_options(p: argparse.ArgumentParser, default: object) -> None:
    p.add_argument("--quiet", action="store_true", default=default, help="no progress lines")
    p.add_argument(
        "--debug",
        action="store_true",
        default=default,
        help="show the traceback of an unexpected error",
    )


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="paperroute",
        description="One fixed, efficient delivery route, and every subscriber served their way.",
        epilog="Run 'paperroute COMMAND --help' for a command's options. Exit status: 0 done, "
        "2 bad input (nothing written), 1 anything else.",
        formatter_class=_HelpFormatter,
    )
    p.add_argument("--version", action="version", version=f"paperroute {VERSION}")
    _global_options(p, False)
    # The global options are accepted after the command as well; SUPPRESS keeps a subcommand
    # that was not given them from resetting what came before it.
    common = argparse.ArgumentParser(add_help=False)
    _global_options(common, argparse.SUPPRESS)
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, summary: str, description: str = "") -> argparse.ArgumentParser:
        return sub.add_parser(
            name,
            help=summary,
            description=description or summary[0].upper() + summary[1:] + ".",
            parents=[common],
            formatter_class=_HelpFormatter,
        )

    d = command("demo", "the whole story on the embedded Helsinki network")
    d.add_argument(
        "--out",
        type=Path,
        default=Path("paperroute-demo"),
        help="folder for the demo workspace, map and sheet",
    )
    d.add_argument("--time-limit", type=float, default=5.0, help="solver seconds")

    i = command("init", "create a workspace on a street network")
    i.add_argument("workspace", type=Path, help="the workspace folder to create")
    i.add_argument(
        "--network",
        required=True,
        help="'demo', an .osm.pbf/.osm/.graphml file, or a place name (required)",
    )
    i.add_argument(
        "--mode", choices=MODES, default="walk", help="how the carrier travels the streets"
    )
    i.add_argument(
        "--depot",
        help="LAT,LON where bundles are picked up (default: the centre of the street network)",
    )
    i.add_argument(
        "--depot-name",
        default="Depot",
        help="what the pick-up point is called on sheets and maps",
    )
    i.add_argument("--start", default="05:00", help="shift start, HH:MM")
    i.add_argument(
        "--copy-network",
        action="store_true",
        help="copy the network file into the workspace, so the folder moves as one",
    )

    im = command(
        "import",
        "validate and add or update subscribers",
        "Validate a subscriber file and add or update its subscribers (by id). With a route "
        "planned, new subscribers are slotted in at their cheapest place and nobody else's "
        "order changes (a new route-book version).",
    )
    im.add_argument("workspace", type=Path, help=_WS)
    im.add_argument("subscribers", type=Path, help="CSV, GeoJSON or GeoPackage file")
    im.add_argument(
        "--layer",
        help="the layer to read from a GeoPackage that holds several (default: its only layer)",
    )
    add_wait(im)
    im.epilog = (
        "With a route planned, new subscribers are slotted in at their cheapest place "
        "and nobody else's order changes (a new route-book version)."
    )

    rm = command(
        "remove",
        "take subscribers off the route; the rest keep order",
        "Take subscribers off the route; the others keep their order (a new route-book version).",
    )
    rm.add_argument("workspace", type=Path, help=_WS)
    rm.add_argument("ids", nargs="+", metavar="ID", help="subscriber ids")
    add_wait(rm)

    sb = command(
        "subscribers",
        "list the subscribers, or write them as CSV or GeoJSON",
        "List the workspace's subscribers as stored, in import order, or write them as a "
        "subscriber file: importing that file again changes nothing.",
    )
    sb.add_argument("workspace", type=Path, help=_WS)
    out = sb.add_mutually_exclusive_group()
    out.add_argument(
        "--csv",
        type=Path,
        metavar="FILE",
        help="write a CSV subscriber file ('-' for standard output) (default: print a table)",
    )
    out.add_argument(
        "--geojson",
        type=Path,
        metavar="FILE",
        help="write a GeoJSON subscriber file, points in WGS84 (default: print a table)",
    )
    sb.add_argument(
        "--all",
        action="store_true",
        help="include removed subscribers in the table (files hold the active ones)",
    )

    pl = command("plan", "plan the fixed route (a new route-book version)")
    pl.add_argument("workspace", type=Path, help=_WS)
    par = pl.add_argument_group(
        "districts",
        "a workspace with districts (paperroute districts) is planned one route per district, "
        "the districts in parallel on Dask; the same seed gives the same route book however "
        "it is run",
    )
    par.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="plan (or, with --reoptimize, re-optimise) the districts on a local Dask cluster "
        "of N worker processes (default: one per core); 1 runs them one after another, "
        "without Dask",
    )
    par.add_argument(
        "--scheduler",
        metavar="tcp://HOST:PORT",
        help="plan the districts on an existing Dask cluster (dask scheduler, dask worker) "
        "(default: a local cluster, see --workers)",
    )
    pl.add_argument(
        "--carriers",
        type=int,
        default=None,
        help="carriers (default 1, or as many as the planned route has)",
    )
    pl.add_argument(
        "--time-limit",
        type=float,
        default=5.0,
        help="solver seconds (per district where the workspace has districts): sets the "
        "amount of search work by this machine's measured speed, so the same inputs and seed "
        "give the same route on this machine (PAPERROUTE_WORK_MODEL=fixed: on any machine)",
    )
    pl.add_argument("--seed", type=int, default=0, help="random seed of the search")
    pl.add_argument(
        "--reoptimize",
        action="store_true",
        help="reorder the planned route: report savings and disturbance first",
    )
    pl.add_argument(
        "--max-moved",
        type=int,
        metavar="N",
        help="with --reoptimize: move at most N stops (default: no limit)",
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
        help="with --reoptimize: minutes an arrival must shift to count as disturbed",
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
        "first search (each about as long as it)",
    )
    pl.add_argument(
        "--yes",
        action="store_true",
        help="with --reoptimize: commit the new order (without it, only report)",
    )
    pl.add_argument(
        "--allow-unserved",
        action="store_true",
        help="with --reoptimize --yes: commit even if the new route leaves subscribers "
        "unserved who are served now (refused without it)",
    )
    add_wait(pl)
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
        "several carriers share the route: 0 = shortest total",
    )

    hi = command("history", "list route-book versions, or diff two of them")
    hi.add_argument("workspace", type=Path, help=_WS)
    hi.add_argument(
        "--diff",
        nargs=2,
        type=int,
        metavar=("A", "B"),
        help="what changed from version A to version B (default: list the versions)",
    )
    hi.add_argument(
        "--threshold",
        type=float,
        default=5.0,
        help="minutes an arrival must shift to be listed",
    )

    sk = command(
        "skips",
        "what skipped stops cost a fixed route",
        "What skipped stops do to the fixed route: the expected daily length, the length "
        "re-optimised every day, and how much each stop's arrival time varies.",
    )
    sk.add_argument("workspace", type=Path, help=_WS)
    sk.add_argument("--days", type=int, default=28, help="days to simulate")
    sk.add_argument(
        "--from", dest="first", help="first simulated day, YYYY-MM-DD (default: next Monday)"
    )
    sk.add_argument("--seed", type=int, default=0, help="random seed of the simulation")
    sk.add_argument(
        "--time-limit", type=float, default=1.0, help="solver seconds per simulated day"
    )

    dy = command(
        "day",
        "run one date: holds, shortages, redeliveries, weather",
        "Run the route for one date: holds, shortages, substitutes, redeliveries and "
        "weather change the actions, never the order.",
    )
    dy.add_argument("workspace", type=Path, help=_WS)
    dy.add_argument("--date", required=True, help="the date to run, YYYY-MM-DD (required)")
    dy.add_argument(
        "--supply",
        action="append",
        default=[],
        metavar="PRODUCT=N",
        help="copies that arrived, per product (repeat; default: a product not given is "
        "supplied exactly to its demand)",
    )
    dy.add_argument(
        "--supply-file", type=Path, help="CSV with columns product,count (default: none)"
    )
    dy.add_argument(
        "--late",
        action="append",
        default=[],
        metavar="PRODUCT=N",
        help="a late second delivery: a catch-up pass for the shorted stops (repeat; "
        "default: none)",
    )
    dy.add_argument(
        "--holds",
        type=Path,
        help="CSV id,from,to[,note]: stored in the workspace (the same file again changes "
        "nothing); every day applies the stored holds (default WORKSPACE/holds.csv when it "
        "exists)",
    )
    dy.add_argument(
        "--complaints",
        type=Path,
        help="CSV id,kind,note; kind = missed, wet, damaged or wrong_spot (default: none)",
    )
    dy.add_argument(
        "--weather",
        choices=("clear", "rain", "snow"),
        default="clear",
        help="rain or snow applies each subscriber's rain rule (bag it, or another spot)",
    )
    dy.add_argument(
        "--policy",
        type=Path,
        help="shortage policy TOML (default WORKSPACE/policy.toml, written on the first day)",
    )
    dy.add_argument(
        "--replace",
        action="store_true",
        help="run a date again; the ledger keeps the first run, cancelled; the date's sheet, "
        "map and export are written again from the new run",
    )
    dy.add_argument(
        "--paper",
        choices=("a4", "letter"),
        default="a4",
        help="paper size of the sheet written again with --replace",
    )
    add_wait(dy)

    nav = {
        "choices": ("osm", "google"),
        "default": "osm",
        "help": "navigation links on every stop: osm = a geo: link for the phone's map app "
        "and OpenStreetMap directions; google adds Google Maps directions",
    }
    m = command("map", "write the interactive map (works offline)")
    m.add_argument("workspace", type=Path, help=_WS)
    m.add_argument(
        "--date", help="YYYY-MM-DD: colour stops by that day's actions (default: the plan)"
    )
    m.add_argument(
        "-o",
        "--output",
        type=Path,
        help="the HTML file (default: WORKSPACE/map.html, or WORKSPACE/days/DATE/map.html)",
    )
    m.add_argument("--nav", **nav)  # type: ignore[arg-type]

    s = command("sheet", "write the printable route sheet (HTML, CSV, PDF)")
    s.add_argument("workspace", type=Path, help=_WS)
    s.add_argument(
        "--date",
        help="YYYY-MM-DD: that day's sheet: its times, bag, late pass and the stops passed by "
        "(default: the plan)",
    )
    s.add_argument(
        "-o",
        "--output",
        type=Path,
        help="the HTML file; the CSV and PDF go beside it (default: WORKSPACE/sheet.html, "
        "or WORKSPACE/days/DATE/sheet.html)",
    )
    s.add_argument(
        "--pdf",
        action="store_true",
        help="also write a PDF (rendered by headless Chromium or Chrome, which must be "
        "installed; PAPERROUTE_CHROMIUM names it if it is not on the PATH)",
    )
    s.add_argument(
        "--paper", choices=PAPERS, default="a4", help="paper size of the page and the PDF"
    )
    s.add_argument("--nav", **nav)  # type: ignore[arg-type]

    ex = command(
        "export",
        "write GeoJSON, GeoPackage, GPX or KML for GIS and GPS",
        "Write the route book (or a day) for GIS tools and GPS apps. GeoJSON: one file per "
        "layer (route, stops, spots, walk_ins, unserved); GeoPackage: the same layers in one "
        "file; GPX and KML: a track per carrier along the streets and a waypoint per stop.",
    )
    ex.add_argument("workspace", type=Path, help=_WS)
    ex.add_argument(
        "--date",
        help="YYYY-MM-DD: that day's actions, one feature each, with the day's spot "
        "(default: the plan)",
    )
    ex.add_argument(
        "--format",
        action="append",
        choices=EXPORT_FORMATS,
        dest="formats",
        help="what to write (repeat for several; default: geojson and gpkg, or what the "
        "-o file's suffix says)",
    )
    ex.add_argument(
        "-o",
        "--output",
        type=Path,
        help="a folder, or one .gpkg, .gpx or .kml file (default: the workspace, or "
        "WORKSPACE/days/DATE)",
    )
    add_workspace_commands(command)
    add_district_command(command)
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
    except ConflictError as e:
        print(f"paperroute {args.command}: {e}", file=sys.stderr)
        return 1
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
    "subscribers": cmd_subscribers,
    "hold": cmd_hold,
    "holds": cmd_holds,
    "ledger": cmd_ledger,
    "rates": cmd_rates,
    "relink": cmd_relink,
    "districts": cmd_districts,
}

if __name__ == "__main__":
    sys.exit(main())
