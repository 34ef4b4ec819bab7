"""Explicit re-optimisation, skip-aware planning, the ``skips`` report and ``history``."""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING

from route.cli.common import (
    _changed_limits,
    _flags,
    _need_book,
    _open,
    _plan_limits,
    _Reporter,
    _ws_index,
)
from route.errors import input_error
from route.io.workspace import Workspace
from route.model.routebook import RouteBook, Unserved
from route.model.subscriber import Subscriber
from route.routebook.diff import BookDiff

if TYPE_CHECKING:
    from route.districts.parallel import DistrictsReoptimised
    from route.network import StreetIndex
    from route.routebook.reoptimise import Reoptimised


def _reoptimize(ws: Workspace, book: RouteBook, args: argparse.Namespace, say: _Reporter) -> int:
    from route.routebook.changes import reoptimised_book

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
    flags = _flags(changed)
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
    districts = ws.district_of()
    if districts and changed:
        raise input_error(
            flags,
            "a workspace with districts has one carrier's route per district, planned as "
            "the districts say",
            "drop the new settings (districts change with: paperroute districts WS "
            "--rebalance --routes N)",
        )
    subs = ws.subscribers()
    index = _ws_index(ws, say)
    say(
        "Searching for a shorter order"
        + (" in each district" if districts else "")
        + (f" moving at most {args.max_moved} stops" if args.max_moved is not None else "")
        + (" in each" if districts and args.max_moved is not None else "")
        + (f", keeping each carrier's first {args.keep_first} stops" if args.keep_first else "")
        + (f" with new settings ({flags})" if changed else "")
    )
    result: Reoptimised | DistrictsReoptimised
    if districts:
        result = _reoptimise_districts(ws, book, subs, districts, index, args, say)
        candidate, (exp_before, exp_after) = result.book, result.expected
    else:
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
    diff = _like_for_like(book, candidate, subs, index, round(args.threshold * 60))
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
    dropped = _dropped(book, candidate)
    if diff.distance_m >= 0 and not diff.added and not diff.removed and not changed:
        print("No shorter order found within the bounds; nothing to commit.")
        return 0
    if not args.yes:
        print(
            "Nothing committed. To commit this order, run the same command with --yes "
            "(the same inputs and seed give the same order)."
        )
        return 0
    _refuse_dropping(dropped, args)
    note = (
        f"reoptimize ({result.method}{'; ' + flags if changed else ''}): "
        f"{diff.distance_m:+d} m, {diff.duration_s / 60:+.1f} min; moved {len(diff.moved)}, "
        f"retimed {len(diff.retimed)}"
        + (f"; no longer served {', '.join(u.subscriber_id for u in dropped)}" if dropped else "")
    )
    saved = ws.save_book(candidate, note, based_on=book.version)
    print(f"Committed as version {saved.version}.")
    return 0


def _reoptimise_districts(
    ws: Workspace,
    book: RouteBook,
    subs: Sequence[Subscriber],
    districts: Mapping[str, str],
    index: StreetIndex,
    args: argparse.Namespace,
    say: _Reporter,
) -> DistrictsReoptimised:
    """Each district's route re-optimised on its own, on Dask as ``plan`` plans them
    (``--workers``, ``--scheduler``)."""
    from route.districts.parallel import follows_districts, reoptimise_districts

    if not follows_districts(book, districts):
        raise input_error(
            "--reoptimize",
            f"route book version {book.version} was planned before the workspace's districts",
            f"plan the districts first: paperroute plan {ws.path} (a new version, one route "
            "per district)",
        )
    return reoptimise_districts(
        book,
        subs,
        districts,
        index,
        max_moved=args.max_moved,
        keep_first=args.keep_first,
        time_limit=args.time_limit,
        seed=args.seed,
        rates=_rates(ws, subs),
        workers=args.workers,
        scheduler=args.scheduler,
        say=say,
    )


def _dropped(book: RouteBook, candidate: RouteBook) -> list[Unserved]:
    """The subscribers ``book`` serves that ``candidate`` leaves unserved, with the reasons."""
    served = set(book.order)
    return [u for u in candidate.unserved if u.subscriber_id in served]


def _was(book: RouteBook, u: Unserved) -> str:
    found = book.stop_of(u.subscriber_id)
    where = f"(was carrier {found[0]}, stop {found[1].seq}) " if found else ""
    return where + u.reason


def _refuse_dropping(dropped: Sequence[Unserved], args: argparse.Namespace) -> None:
    """``--yes`` never commits a route that serves fewer subscribers, unless told to."""
    if dropped and not args.allow_unserved:
        raise input_error(
            "--yes",
            f"the new route would leave {len(dropped)} subscriber(s) unserved who are served "
            f"now ({', '.join(u.subscriber_id for u in dropped[:10])}"
            + (", ..." if len(dropped) > 10 else "")
            + "); nothing was committed",
            "relax the new settings, or add --allow-unserved to commit it anyway",
        )


def _like_for_like(
    book: RouteBook,
    candidate: RouteBook,
    subs: Sequence[Subscriber],
    index: StreetIndex,
    threshold_s: int,
) -> BookDiff:
    """The diff of ``book`` and ``candidate``, its savings measured on the subscribers both
    serve: a route that serves fewer subscribers does not count as a saving."""
    from route.routebook.changes import stable_edit
    from route.routebook.diff import diff_books

    diff = diff_books(book, candidate, threshold_s=threshold_s)
    both = set(book.order) & set(candidate.order)
    if both == set(book.order) == set(candidate.order):
        return diff
    common = [s for s in subs if s.id in both]
    # Removing stops only closes gaps, so both routes keep their order for the rest.
    old = stable_edit(book, common, index).book if set(book.order) != both else book
    new = stable_edit(candidate, common, index).book if set(candidate.order) != both else candidate
    return replace(
        diff,
        distance_m=new.distance_m - old.distance_m,
        duration_s=new.duration_s - old.duration_s,
        compared=len(both),
        dropped={u.subscriber_id: _was(book, u) for u in _dropped(book, candidate)},
    )


def _absences(ws: Workspace) -> tuple[list[tuple[date, str]], date | None, date | None]:
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
    from route.routebook.skip_aware import hold_rates

    absences, first, last = _absences(ws)
    if first is None or last is None:  # both or neither: no days recorded
        return {}
    return hold_rates(subs, absences, first, last)


def _skip_aware(
    ws: Workspace, book: RouteBook, args: argparse.Namespace, say: _Reporter, *, commit: bool
) -> int:
    from route.routebook.changes import skip_aware_book
    from route.routebook.diff import diff_books

    subs = ws.subscribers()
    rates = _rates(ws, subs)
    index = _ws_index(ws, say)
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
    _refuse_dropping(_dropped(book, candidate), args)
    note = (
        f"skip-aware: expected {after - before:+,.0f} m a day; all present "
        f"{diff.distance_m:+d} m; moved {len(diff.moved)}"
    )
    saved = ws.save_book(candidate, note, based_on=book.version)
    print(f"Committed as version {saved.version}.")
    return 0


def cmd_skips(args: argparse.Namespace, say: _Reporter) -> int:
    from datetime import date, timedelta

    from route.model.subscriber import format_clock
    from route.routebook.changes import skip_report

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
    with _open(args) as ws, ws.reading():
        book = _need_book(ws)
        subs = ws.subscribers()
        rates = _rates(ws, subs)
        index = _ws_index(ws, say)
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
    from route.routebook.diff import diff_books

    with _open(args) as ws, ws.reading():
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
