"""The ``day`` command: one date's run of the route book, written in one transaction."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from route.cli.common import _need_book, _open, _Reporter, _ws_index
from route.day.summary import day_summary
from route.errors import InputError
from route.io.files import atomic_write
from route.io.workspace import Workspace
from route.model.routebook import RouteBook

if TYPE_CHECKING:
    from route.model.day import Day, Travel
    from route.model.subscriber import Subscriber


def _network_travel(ws: Workspace, book: RouteBook, say: _Reporter) -> Travel:
    """Street metres and seconds between the route book's curb points, on the real network."""
    import math

    index = _ws_index(ws, say)
    ids = [s.subscriber_id for r in book.routes for s in r.stops]
    points = [(book.depot.lat, book.depot.lon)]
    points += [(s.curb_lat, s.curb_lon) for r in book.routes for s in r.stops]
    matrix = index.matrix(index.snap(points))
    at = {sid: i for i, sid in enumerate(ids, start=1)}
    from route.day.travel import route_metric

    fallback = route_metric(book)

    def travel(a: str | None, b: str | None) -> tuple[int, int]:
        i, j = at.get(a, 0) if a else 0, at.get(b, 0) if b else 0
        m, t = matrix.distance[i, j], matrix.duration[i, j]
        if not (math.isfinite(m) and math.isfinite(t)):
            return fallback(a, b)
        return round(float(m)), round(float(t))

    return travel


def cmd_day(args: argparse.Namespace, say: _Reporter) -> int:
    # The whole day, from its first read to its commit, holds the workspace's lock: days are
    # run one at a time, so each day's rotation sees the days before it.
    with _open(args) as ws:
        with ws.transaction():
            out = _run_day(ws, args, say)
        day, subs, voided, stored = out
        iso = day.date
        text = day.to_json()
        # After the commit: a crash here leaves the day committed without its file, and the
        # next command that needs it writes it again from the database.
        path = atomic_write(ws.day_path(iso), text)
        policy_path = ws.path / "policy.toml"
        if args.policy is None and not policy_path.exists():
            from route.model.policy import DEFAULT_POLICY_TOML

            atomic_write(policy_path, DEFAULT_POLICY_TOML)
            say(f"Wrote the default shortage policy to {policy_path}")
    if stored:
        print(stored)
    print(day_summary(day, subs))
    if day.changes:
        names = {s.id: s.name for s in subs}
        print("\nChanges for the carrier today:")
        for c in day.changes:
            print(f"  {c['id']:<10} {names.get(c['id'], '')[:24]:<24} {c['text']}")
    if voided:
        lines = "ledger line" if voided == 1 else "ledger lines"
        print(f"\nReplaced the earlier run of {iso} ({voided} {lines} cancelled).")
    print(f"\nDay: {path}")
    return 0


def _run_day(
    ws: Workspace, args: argparse.Namespace, say: _Reporter
) -> tuple[Day, tuple[Subscriber, ...], int, str]:
    """Read, compute and store one day (inside the caller's transaction)."""
    from route.day.history import history_from_ledger
    from route.day.run import run_day
    from route.errors import Issue
    from route.io.dayfiles import (
        load_policy,
        merge_repeated_complaints,
        parse_supply_args,
        read_complaints,
        read_holds,
        read_supply,
    )
    from route.io.fields import parse_date
    from route.model.day import DayInputs
    from route.model.policy import Policy

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
    file_holds = read_holds(holds_path, known, problems) if holds_path else []
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
    complaints, repeated = merge_repeated_complaints(complaints)
    for note in repeated:
        print(f"note: {args.complaints}: {note}", file=sys.stderr)
    stored = ""
    if holds_path and file_holds:
        new, old = ws.store_holds(file_holds, holds_path.name)
        stored = (
            f"Holds from {holds_path}: {len(new) or 'none'} new, stored in the workspace"
            + (f" ({len(old)} stored before, unchanged)" if old else "")
            + "."
        )
    inputs = DayInputs(
        supply=supply,
        late=late,
        holds=ws.day_holds(),
        complaints=tuple(complaints),
        weather=args.weather,
    )
    history = history_from_ledger(ws.ledger_rows(), iso, ws.day_dates())
    say(f"Running {iso} on route book version {book.version}")
    day = run_day(book, subs, date, inputs, policy, history)
    bypassed = any(s.action not in ("deliver", "deliver_substitute") or s.late for s in day.stops)
    if bypassed:
        # Skipped stops are bypassed on the real streets: measure it there.
        try:
            travel = _network_travel(ws, book, say)
        except InputError as e:
            say(
                f"Street network unavailable ({e.issues[0].message}); measuring along "
                "the route book's legs"
            )
        else:
            day = run_day(book, subs, date, inputs, policy, history, travel)
    entries = [(e.date, e.subscriber_id, e.kind, e.product, e.detail) for e in day.ledger]
    voided = ws.save_day(iso, book.version, day.to_json(), entries, replace=args.replace)
    return day, subs, voided, stored
