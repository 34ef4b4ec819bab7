"""The ``day`` command: one date's run of the route book, written in one transaction."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from route.cli.common import _load_index, _need_book, _Reporter
from route.errors import InputError
from route.io.files import atomic_write
from route.io.workspace import Workspace
from route.model.routebook import RouteBook

if TYPE_CHECKING:
    from route.model.day import Travel


def _network_travel(ws: Workspace, book: RouteBook, say: _Reporter) -> Travel:
    """Street metres and seconds between the route book's curb points, on the real network.

    The network is loaded on the first question only (an all-present day never asks one); when
    it cannot be loaded, or a pair is not connected, the route book's legs are used instead.
    """
    import math

    from route.day.travel import route_metric

    fallback = route_metric(book)
    ids = [s.subscriber_id for r in book.routes for s in r.stops]
    at = {sid: i for i, sid in enumerate(ids, start=1)}
    loaded: list[Any] = []

    def matrix() -> Any:
        if not loaded:
            try:
                index = _load_index(ws.settings, say)
            except InputError as e:
                say(
                    f"Street network unavailable ({e.issues[0].message}); measuring along "
                    "the route book's legs"
                )
                loaded.append(None)
            else:
                points = [(book.depot.lat, book.depot.lon)]
                points += [(s.curb_lat, s.curb_lon) for r in book.routes for s in r.stops]
                say(f"Measuring the day's bypasses between {len(points)} curb points")
                loaded.append(index.matrix(index.snap(points)))
        return loaded[0]

    def travel(a: str | None, b: str | None) -> tuple[int, int]:
        found = matrix()
        if found is None:
            return fallback(a, b)
        i, j = at.get(a, 0) if a else 0, at.get(b, 0) if b else 0
        m, t = found.distance[i, j], found.duration[i, j]
        if not (math.isfinite(m) and math.isfinite(t)):
            return fallback(a, b)
        return round(float(m)), round(float(t))

    return travel


def cmd_day(args: argparse.Namespace, say: _Reporter) -> int:
    from route.day.history import history_from_ledger
    from route.day.run import run_day
    from route.day.summary import day_summary
    from route.day.travel import day_metric
    from route.errors import Issue
    from route.io.dayfiles import (
        load_policy,
        parse_supply_args,
        read_complaints,
        read_holds,
        read_supply,
    )
    from route.io.fields import parse_date
    from route.model.day import DayInputs
    from route.model.policy import DEFAULT_POLICY_TOML, Policy

    with Workspace.open(args.workspace) as ws:
        repaired = ws.sync_day_files()
        if repaired:
            say(f"Put day files right after an interrupted run: {', '.join(repaired)}")
        book = _need_book(ws)
        subs = ws.subscribers(active_only=False)
        known = {s.id for s in ws.subscribers()}
        on_route = set(book.order)
        problems: list[Issue] = []
        try:
            date = parse_date(args.date)
        except ValueError:
            date = None
            problems.append(
                Issue("--date", "not a date", "use YYYY-MM-DD, e.g. 2024-06-03", value=args.date)
            )
        supply = parse_supply_args(args.supply, "--supply", problems)
        if args.supply_file:
            for p, n in read_supply(args.supply_file, problems).items():
                if p in supply:
                    problems.append(
                        Issue(
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
                        Issue(
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
            problems.append(Issue(str(args.policy), "file not found", "check the path"))
        policy = Policy()
        try:
            policy = load_policy(policy_path)
        except InputError as e:
            problems.extend(e.issues)
        if date is not None and ws.day_json(date.isoformat()) and not args.replace:
            problems.append(
                Issue(
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
        # Skipped stops are bypassed on the real streets: the day is measured there, once.
        travel = day_metric(book, _network_travel(ws, book, say))
        day = run_day(book, subs, date, inputs, policy, history, travel)
        text = day.to_json()
        entries = [(e.date, e.subscriber_id, e.kind, e.product, e.detail) for e in day.ledger]
        replaced = ws.day_json(iso) is not None
        with ws.transaction() as con:
            voided = ws.save_day(iso, book.version, text, entries, con, replace=args.replace)
        path = atomic_write(ws.day_path(iso), text)
        if args.policy is None and not policy_path.exists():
            atomic_write(policy_path, DEFAULT_POLICY_TOML)
            say(f"Wrote the default shortage policy to {policy_path}")
        print(day_summary(day, subs))
        if replaced:
            print(f"\nReplaced the earlier run of {iso} ({voided} ledger lines cancelled).")
            for line in _rewrite_outputs(ws, book, day.to_dict(), args.paper, say):
                print(line)
        print(f"\nDay: {path}")
    return 0


#: Stems of the files written into a day's folder from its day (sheets, maps, exports).
_DAY_OUTPUTS = ("sheet", "map", "route")


def _rewrite_outputs(
    ws: Workspace, book: RouteBook, day: dict[str, Any], paper: str, say: _Reporter
) -> list[str]:
    """After ``--replace``: the sheet, map and export of the date are written again from the
    new run, and any other file made from the earlier run (a printed PDF, a GPX track) is
    removed, so nothing in the day's folder describes the run that was replaced."""
    from route.cli.common import _write_export, _write_map, _write_sheet

    folder = ws.day_path(str(day["date"])).parent
    stale = sorted(p for p in folder.iterdir() if p.is_file() and p.stem in _DAY_OUTPUTS)
    for p in stale:
        p.unlink()
    say("Writing the day's sheet, map and export again")
    written = [*_write_sheet(ws, book, None, day, paper), _write_map(ws, book, None, day, say)]
    written += _write_export(ws, book, None, day)
    removed = [p for p in stale if p not in written]
    lines = [f"Rewritten for the new run: {', '.join(p.name for p in written)} in {folder}"]
    if removed:
        lines.append(f"Removed (made from the earlier run): {', '.join(p.name for p in removed)}")
    return lines
