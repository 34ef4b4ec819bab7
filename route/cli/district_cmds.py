"""The ``districts`` command: split a distributor's subscribers into carrier territories, or
rebalance them; and the stable join that ``import`` makes for new subscribers."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from route.cli.common import _open, _Reporter, _ws_index
from route.cli.workspace_args import WORKSPACE_HELP, Command, add_wait
from route.errors import input_error
from route.io.workspace import Workspace
from route.model.subscriber import Subscriber

#: Moved subscribers listed one by one before the rest are counted.
_SHOWN_MOVES = 20


def add_district_command(command: Command) -> None:
    """The ``districts`` command (``command`` makes the subparser, as for every command)."""
    d = command(
        "districts",
        "split the subscribers into districts (carrier territories)",
        "Split the subscribers into compact, balanced, non-overlapping districts on the "
        "street network, one carrier's territory each (district i is carrier i's route), "
        "and store them in the workspace. Districts are stable: a new subscriber joins the "
        "nearest district with room, and only --rebalance moves existing ones (as few as "
        "the sizes need), reporting who moved. Subscribers with a 'carrier' or 'district' "
        "in the subscriber file stay in that district.",
    )
    d.add_argument("workspace", type=Path, help=WORKSPACE_HELP)
    size = d.add_mutually_exclusive_group()
    size.add_argument(
        "--routes",
        type=int,
        metavar="N",
        help="N districts of equal size, within 5%% of each other (default: with --rebalance, "
        "the current number; one of the three sizes is needed otherwise)",
    )
    size.add_argument(
        "--max-stops",
        type=int,
        metavar="M",
        help="as few districts as hold M stops at most each, balanced (default: --routes)",
    )
    size.add_argument(
        "--max-hours",
        type=float,
        metavar="H",
        help="as few districts as keep each one's estimated work within H hours. A "
        "district's drive is estimated as 1.6 x sqrt(stops x the area of its points' convex "
        "hull) plus the depot trip to its nearest stop and back, at the network's median "
        "speed, and each stop adds its handling and walk-in; on the embedded network this "
        "came within about 30%% of planned routes per district and 12%% in total "
        "(default: --routes)",
    )
    d.add_argument(
        "--rebalance",
        action="store_true",
        help="move subscribers between the existing districts (to new sizes, or to take "
        "in new subscribers), keeping them compact and non-overlapping; a subscriber moves "
        "only when that brings them --move-cost nearer a district's centre (default size: "
        "the current number of districts)",
    )
    d.add_argument(
        "--move-cost",
        type=float,
        metavar="METRES",
        help="with --rebalance, what one move must save: a subscriber changes district only "
        "when that brings them this many metres nearer its centre. 0 gives the most compact "
        "districts, whoever moves; a large value (e.g. 100000) moves only as many as the "
        "sizes force, but new districts are then made of the others' edges and overlap them "
        "(default: 3 times the median distance between neighbouring subscribers)",
    )
    add_wait(d)
    d.epilog = (
        "After the districts change, the route book no longer matches them: run "
        "'paperroute plan WS' (one route per district)."
    )


def cmd_districts(args: argparse.Namespace, say: _Reporter) -> int:
    from route.districts.territories import Size, make_districts

    size = None
    if args.routes is not None or args.max_stops is not None or args.max_hours is not None:
        size = Size(routes=args.routes, max_stops=args.max_stops, max_hours=args.max_hours)
    with _open(args) as ws, ws.transaction():
        current = ws.district_of()
        if current and not args.rebalance:
            count = len(set(current.values()))
            raise input_error(
                str(ws.path),
                f"the workspace has {count} districts already; districts are stable and a "
                "new split would move subscribers between carriers",
                f"to move subscribers, run: paperroute districts {ws.path} --rebalance "
                "[--routes N | --max-stops M | --max-hours H] (it reports who moves)",
            )
        if args.rebalance and not current:
            raise input_error(
                "--rebalance",
                "the workspace has no districts to rebalance",
                f"make them first: paperroute districts {ws.path} --routes N",
            )
        if args.move_cost is not None and not args.rebalance:
            raise input_error(
                "--move-cost",
                "a move cost only applies to a rebalance",
                f"add --rebalance, or leave --move-cost out (value {args.move_cost:g})",
            )
        if size is None and not args.rebalance:
            raise input_error(
                "districts",
                "no size given",
                "give --routes N, --max-stops M or --max-hours H",
            )
        subs = ws.subscribers()
        if not subs:
            raise input_error(str(ws.path), "the workspace has no subscribers", "import some")
        settings = ws.settings
        index = _ws_index(ws, say)
        say(f"Splitting {len(subs):,} subscribers into districts")
        move_cost = None if args.move_cost is None else round(args.move_cost)
        made = make_districts(subs, settings.depot, index, size, current or None, move_cost)
        if current and not made.moved and made.membership == current:
            _print_table(made.rows)
            print("Nothing moved; the districts are as they were. Nothing written.")
            return 0
        what = "districts --rebalance" if args.rebalance else "districts"
        note = f"{what} {size.flag() if size else ''}".strip()
        if made.moved:
            note += f"; moved {len(made.moved)}"
        ws.save_districts(made.membership, note)
        ws.set_district_room(made.high)
        book = ws.latest_book()
    _print_table(made.rows)
    print(
        f"{len(made.rows)} districts of at most {made.high} stops stored "
        f"(work estimate {made.per_stop_s:.0f} s a stop)."
    )
    if args.rebalance:
        _print_moves(made.moved)
    if book is not None:
        print(
            f"The route book (version {book.version}, {len(book.routes)} route(s)) was planned "
            f"before these districts; run: paperroute plan {args.workspace} (one route per "
            "district)."
        )
    else:
        print(f"Next: paperroute plan {args.workspace} (one route per district).")
    return 0


def _print_table(rows: Sequence[object]) -> None:
    from route.districts.territories import DistrictRow

    print(f"{'district':<8}  {'stops':>6}  {'fixed':>5}  {'est. km':>8}  {'est. hours':>10}")
    total_s = total_f = 0
    total_km = total_h = 0.0
    for r in rows:
        assert isinstance(r, DistrictRow)
        print(f"{r.name:<8}  {r.stops:>6,}  {r.fixed:>5,}  {r.km:>8.1f}  {r.hours:>10.1f}")
        total_s, total_f = total_s + r.stops, total_f + r.fixed
        total_km, total_h = total_km + r.km, total_h + r.hours
    print(f"{'total':<8}  {total_s:>6,}  {total_f:>5,}  {total_km:>8.1f}  {total_h:>10.1f}")


def _print_moves(moved: Sequence[tuple[str, str, str]]) -> None:
    if not moved:
        print("Nobody moved: every current subscriber kept their district.")
        return
    print(f"Moved {len(moved)} subscriber(s):")
    for sid, old, new in moved[:_SHOWN_MOVES]:
        print(f"  {sid:<10} {old} -> {new}")
    if len(moved) > _SHOWN_MOVES:
        print(f"  ... and {len(moved) - _SHOWN_MOVES} more")


def join_on_import(
    ws: Workspace, merged: Sequence[Subscriber], new_ids: Sequence[str], say: _Reporter
) -> dict[str, int] | None:
    """With districts, put new subscribers into their district (stored, inside the caller's
    change) and return id -> carrier for the stable edit; ``None`` without districts.

    Existing subscribers keep their district (an import never moves them); one whose file
    now fixes another district is named, for a rebalance to move.
    """
    from route.districts.territories import district_number, join_districts

    current = ws.district_of()
    if not current:
        return None
    for s in merged:
        if s.id in current and s.fixed_district not in (None, district_number(current[s.id])):
            print(
                f"note: {s.id} is fixed to district {s.fixed_district} in the file but stays in "
                f"{current[s.id]} for now (an import moves nobody); to move them: paperroute "
                f"districts {ws.path} --rebalance"
            )
    todo = [i for i in new_ids if i not in current]
    if todo:
        say(f"Placing {len(todo)} new subscriber(s) in their districts")
        room = ws.district_room
        joined, over = join_districts(merged, todo, current, room, _ws_index(ws, say))
        current = {**current, **joined}
        ws.save_districts(current, f"import: {len(joined)} joined")
        for sid in todo:
            print(f"  {sid:<10} joins district {joined[sid]}")
        for name in over:
            print(
                f"note: district {name} holds more than {room} stops now; rebalance when "
                f"convenient: paperroute districts {ws.path} --rebalance"
            )
    return {k: n for k, v in current.items() if (n := district_number(v)) is not None}
