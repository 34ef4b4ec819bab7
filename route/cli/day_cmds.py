"""The ``day`` command: one date's run of the route book, written in one transaction."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from route.cli.common import _need_book, _open, _Reporter, _ws_index
from route.day.summary import day_summary
from route.errors import InputError
from route.io.files import atomic_write
from route.io.workspace import Workspace
from route.model.routebook import RouteBook

if TYPE_CHECKING:
    from datetime import date as Date

    from route.model.day import Day, Hold, Travel
    from route.model.subscriber import Subscriber
    from route.network import StreetIndex


def _network_travel(ws: Workspace, book: RouteBook, say: _Reporter) -> Travel:
    """Street metres and seconds between the route book's stops, for the day's bypasses.

    :func:`~route.day.travel.day_metric` asks only about pairs that do not follow each other
    in the route book; each is measured on the streets when first asked
    (:class:`~route.routebook.legs.BookTravel`), so memory grows with the pairs a day needs,
    never with the square of the route. The network is loaded on the first question only (an
    all-present day never asks one); when it cannot be loaded, or a pair is not connected, the
    route book's legs are used instead.
    """
    from route.day.travel import route_metric
    from route.routebook.legs import BookTravel

    fallback = route_metric(book)

    def load() -> StreetIndex:
        say("Measuring the day's bypasses on the streets (only the legs the route book lacks)")
        return _ws_index(ws, say)

    measured = BookTravel(book, load, fallback)
    unavailable: list[str] = []

    def travel(a: str | None, b: str | None) -> tuple[int, int]:
        if unavailable:
            return fallback(a, b)
        try:
            return measured(a, b)
        except InputError as e:
            unavailable.append(e.issues[0].message)
            say(
                f"Street network unavailable ({unavailable[0]}); measuring along "
                "the route book's legs"
            )
            return fallback(a, b)

    return travel


def cmd_day(args: argparse.Namespace, say: _Reporter) -> int:
    # The whole day, from its first read to its commit, holds the workspace's lock: days are
    # run one at a time, so each day's rotation sees the days before it.
    rewritten: list[str] = []
    with _open(args) as ws:
        with ws.transaction():
            out = _run_day(ws, args, say)
        day, subs, voided, stored, replaced = out
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
        if replaced:
            book = ws.book(day.route_version) or _need_book(ws)
            rewritten = _rewrite_outputs(ws, book, day.to_dict(), args.paper, say)
    if stored:
        print(stored)
    print(day_summary(day, subs))
    if day.changes:
        names = {s.id: s.name for s in subs}
        print("\nChanges for the carrier today:")
        for c in day.changes:
            print(f"  {c['id']:<10} {names.get(c['id'], '')[:24]:<24} {c['text']}")
    if replaced:
        lines = "ledger line" if voided == 1 else "ledger lines"
        print(f"\nReplaced the earlier run of {iso} ({voided} {lines} cancelled).")
        for line in rewritten:
            print(line)
    print(f"\nDay: {path}")
    return 0


def _run_day(
    ws: Workspace, args: argparse.Namespace, say: _Reporter
) -> tuple[Day, tuple[Subscriber, ...], int, str, bool]:
    """Read, compute and store one day (inside the caller's transaction)."""
    from route.day.history import history_from_ledger
    from route.day.run import run_day
    from route.day.travel import day_metric
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
    complaints = (
        read_complaints(args.complaints, on_route, problems, _held_on(ws, args, date, file_holds))
        if args.complaints
        else []
    )
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
    # Skipped stops are bypassed on the real streets: the day is measured there, once.
    travel = day_metric(book, _network_travel(ws, book, say))
    day = run_day(book, subs, date, inputs, policy, history, travel, _district_names(ws, book))
    entries = [(e.date, e.subscriber_id, e.kind, e.product, e.detail) for e in day.ledger]
    replaced = ws.day_json(iso) is not None
    voided = ws.save_day(iso, book.version, day.to_json(), entries, replace=args.replace)
    return day, subs, voided, stored, replaced


def _held_on(
    ws: Workspace, args: argparse.Namespace, date: Date | None, file_holds: Sequence[Hold]
) -> dict[str, tuple[str, str]]:
    """The subscribers on hold on ``date`` (stored holds and the day's holds file): id ->
    (the hold, as the day gives its reason; the command that ends it from that date)."""
    if date is None:
        return {}
    out: dict[str, tuple[str, str]] = {}
    for h in (*ws.day_holds(), *file_holds):
        if h.covers(date) and h.subscriber_id not in out:
            cancel = (
                f"paperroute hold {args.workspace} {h.subscriber_id} --cancel "
                f"--from {date.isoformat()}"
            )
            out[h.subscriber_id] = (f"on hold {h.span()}", cancel)
    return out


def _rewrite_outputs(
    ws: Workspace, book: RouteBook, day: dict[str, Any], paper: str, say: _Reporter
) -> list[str]:
    """After ``--replace``: the sheet, map and export files the earlier run of the date had in
    its folder are written again from the new run, so nothing there describes the run that was
    replaced; what cannot be written again (no street network, no browser for a PDF) is
    removed, and the lines say so."""
    from route.cli.common import _write_export, _write_map, _write_sheet
    from route.output.export import LAYERS
    from route.output.pdf import ChromiumNotFound

    iso = str(day["date"])
    folder = ws.day_folder(iso)
    made_from_day = {"sheet", "map", *LAYERS}
    stale = sorted(p for p in folder.iterdir() if p.is_file() and p.stem in made_from_day)
    if not stale:
        return []
    for p in stale:
        p.unlink()
    kinds = {(p.stem if p.stem in ("sheet", "map") else "export", p.suffix.lower()) for p in stale}
    formats = [f for f in ("geojson", "gpkg", "gpx", "kml") if ("export", f".{f}") in kinds]
    say("Writing the day's sheet, map and export again")
    written: list[Path] = []
    failed: list[str] = []
    steps: list[tuple[str, Callable[[], list[Path]]]] = []
    if any(k == "sheet" for k, _ in kinds):
        pdf = ("sheet", ".pdf") in kinds
        steps.append(("sheet", lambda: _write_sheet(ws, book, None, day, pdf=pdf, paper=paper)))
    if ("map", ".html") in kinds:
        steps.append(("map", lambda: [_write_map(ws, book, None, day, say)]))
    if formats:
        steps.append(("export", lambda: _write_export(ws, book, day, formats)))
    for name, step in steps:
        try:
            written += step()
        except (InputError, ChromiumNotFound) as e:
            reason = e.issues[0].message if isinstance(e, InputError) else str(e)
            failed.append(f"{name} ({reason}; run paperroute {name} {ws.path} --date {iso})")
    removed = [p for p in stale if p not in written]
    lines = []
    if written:
        lines.append(f"Rewritten for the new run: {', '.join(p.name for p in written)} in {folder}")
    if removed:
        lines.append(f"Removed (made from the earlier run): {', '.join(p.name for p in removed)}")
    lines += [f"Not written again: {f}" for f in failed]
    return lines


def _district_names(ws: Workspace, book: RouteBook) -> dict[int, str] | None:
    """Carrier -> district name when the route book has one route per district."""
    from route.districts.territories import district_number

    names = {n: name for name in set(ws.district_of().values()) if (n := district_number(name))}
    if not names or sorted(names) != [r.carrier for r in book.routes]:
        return None
    return names
