"""Command-line arguments for what the workspace keeps: holds, the ledger report, pay rates,
relinking a moved extract, and the ``--wait`` every writing command takes."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from route.io.workspace import DEFAULT_WAIT_S

#: Makes a command's subparser: ``command(name, summary, description)``.
Command = Callable[[str, str, str], argparse.ArgumentParser]
#: The help of every command's workspace argument.
WORKSPACE_HELP = "the workspace folder"


def add_wait(p: argparse.ArgumentParser) -> None:
    """``--wait SECONDS``: how long a writer waits for another to finish."""
    p.add_argument(
        "--wait",
        type=float,
        default=DEFAULT_WAIT_S,
        metavar="SECONDS",
        help="when another command is changing the workspace, wait this long for it, then "
        f"give up with exit status 2 (default: {DEFAULT_WAIT_S}; 0 = do not wait)",
    )


def add_workspace_commands(command: Command) -> None:
    """The ``hold``, ``holds``, ``ledger``, ``rates`` and ``relink`` commands.

    ``command(name, summary, description)`` makes each subparser, as it does every other
    command's (the shared options and the help formatter).
    """
    h = command(
        "hold",
        "store or cancel a hold (vacation, temporary stop)",
        "Store a hold: no delivery from --from to --to (inclusive; without --to, "
        "until cancelled). Every day run afterwards applies it. --cancel ends the holds of "
        "the subscribers from --from (default today) on: that day is delivered again.",
    )
    h.add_argument("workspace", type=Path, help=WORKSPACE_HELP)
    h.add_argument("ids", nargs="+", metavar="ID", help="subscriber ids")
    h.add_argument(
        "--from", dest="first", metavar="YYYY-MM-DD", help="first day held (default: today)"
    )
    h.add_argument(
        "--to",
        dest="last",
        metavar="YYYY-MM-DD",
        help="last day held, inclusive (default: until cancelled)",
    )
    h.add_argument("--note", default="", help="shown on the day's sheet (e.g. 'vacation')")
    h.add_argument(
        "--cancel",
        action="store_true",
        help="end the holds instead: deliveries resume on --from (default today)",
    )
    add_wait(h)

    hs = command(
        "holds",
        "list the holds active on a date, and upcoming ones",
        "The holds active on a date, then the upcoming ones.",
    )
    hs.add_argument("workspace", type=Path, help=WORKSPACE_HELP)
    hs.add_argument("--date", metavar="YYYY-MM-DD", help="the date (default: today)")

    lg = command(
        "ledger",
        "credits, shortages, complaints, carrier figures",
        "Per subscriber: deliveries, credits, shortages, substitutions, "
        "redeliveries and complaints. Per day: the totals and complaints per 1,000 "
        "deliveries. Per day and carrier: stops, pieces by product, km and hours, and pay "
        "when rates are set (paperroute rates).",
    )
    lg.add_argument("workspace", type=Path, help=WORKSPACE_HELP)
    lg.add_argument(
        "--from",
        dest="first",
        metavar="YYYY-MM-DD",
        help="first day, inclusive (default: the first day run)",
    )
    lg.add_argument(
        "--to",
        dest="last",
        metavar="YYYY-MM-DD",
        help="last day, inclusive (default: the last day run)",
    )
    lg.add_argument(
        "--id",
        dest="ids",
        action="append",
        default=[],
        metavar="ID",
        help="only this subscriber, with each ledger line (repeat for more; default: everyone)",
    )
    lg.add_argument(
        "--csv",
        type=Path,
        metavar="FILE",
        help="also write the report as CSV, a 'table' column naming each part (default: none)",
    )

    rt = command(
        "rates",
        "set the pay rates for the ledger's carrier figures",
        "Pay per carrier and day = stops x --per-stop + pieces x --per-piece "
        "+ km x --per-km + hours x --per-hour. Without options, shows the rates.",
    )
    rt.add_argument("workspace", type=Path, help=WORKSPACE_HELP)
    rt.add_argument(
        "--per-stop", type=float, metavar="AMOUNT", help="per stop visited (default: unchanged)"
    )
    rt.add_argument(
        "--per-piece",
        action="append",
        default=[],
        metavar="AMOUNT|PRODUCT=AMOUNT",
        help="per piece handed out, for every product or one (repeat; default: unchanged)",
    )
    rt.add_argument(
        "--per-km", type=float, metavar="AMOUNT", help="per km on the streets (default: unchanged)"
    )
    rt.add_argument(
        "--per-hour",
        type=float,
        metavar="AMOUNT",
        help="per hour of the day's run (default: unchanged)",
    )
    rt.add_argument("--currency", help="shown with the amounts, e.g. EUR (default: unchanged)")
    rt.add_argument("--clear", action="store_true", help="remove every rate")
    add_wait(rt)

    rl = command(
        "relink",
        "point the workspace at its moved network file",
        "Checks that FILE is the same network (fingerprint) before using it.",
    )
    rl.add_argument("workspace", type=Path, help=WORKSPACE_HELP)
    rl.add_argument("network", type=Path, metavar="FILE", help="the moved .osm.pbf/.osm/.graphml")
    add_wait(rl)
