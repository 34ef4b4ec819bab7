"""The workspace commands that build the route: ``init``, ``import``, ``plan``, ``remove`` and
``relink``. Each holds the workspace's lock from its first read to its commit."""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from route.cli.common import (
    _changed_limits,
    _flags,
    _load_index,
    _need_book,
    _open,
    _parse_latlon,
    _plan,
    _plan_limits,
    _read,
    _Reporter,
    _summary,
    _ws_index,
)
from route.cli.district_cmds import join_on_import
from route.cli.edit_cmds import _reoptimize, _skip_aware
from route.errors import InputError, input_error
from route.io.workspace import Settings, Workspace
from route.model.routebook import RouteBook
from route.model.subscriber import Depot, Subscriber

if TYPE_CHECKING:
    from route.routebook.edits import Edit


def cmd_init(args: argparse.Namespace, say: _Reporter) -> int:
    from route.io.fields import parse_clock
    from route.io.schema import is_network_file
    from route.io.workspace import DB_NAME

    try:
        start = parse_clock(args.start)
    except ValueError:
        start = None
    if start is None:
        raise input_error("--start", "not a time", "use HH:MM, e.g. 05:00", value=args.start)
    network = args.network
    if network != "demo" and Path(network).exists():
        network = str(Path(network).resolve())
    if args.copy_network and not (is_network_file(network) and Path(network).is_file()):
        raise input_error(
            "--copy-network",
            "only a street network file can be copied into the workspace",
            "give --network FILE (.osm.pbf, .osm or .graphml), or leave out --copy-network",
            value=args.network,
        )
    if (args.workspace / DB_NAME).exists():
        raise input_error(
            str(args.workspace),
            "already a workspace",
            "choose a new folder, or use the existing workspace",
        )
    # Load once now: a bad network is refused before anything is written.
    index = _load_index(Settings(network, args.mode, Depot(0, 0)), say)
    if args.depot:
        lat, lon = _parse_latlon(args.depot, "--depot")
    else:
        import numpy as np

        lat, lon = index.to_latlon([tuple(np.median(index.xy, axis=0))])[0]
    depot_curb = index.snap([(lat, lon)])[0]
    from route.network import too_far

    if too_far(depot_curb):
        swapped = abs(lon) <= 90 and not too_far(index.snap([(lon, lat)])[0])
        far = depot_curb.distance_m
        message = f"{far / 1000:,.0f} km" if far >= 10_000 else f"{far:,.0f} m"
        message += " from the nearest street"
        fix = "give a depot inside the area of the street data"
        given = args.depot or f"{lat},{lon}"
        if swapped:
            lat_s, lon_s = (t.strip() for t in given.split(","))
            message += f"; latitude and longitude look swapped: did you mean {lon_s},{lat_s}?"
            fix = f"give --depot {lon_s},{lat_s}"
        raise input_error("--depot", message, fix, value=given)
    name = " ".join(args.depot_name.split())
    if not name or len(name) > 80:
        raise input_error(
            "--depot-name",
            "empty" if not name else "longer than 80 characters",
            "name the pick-up point in a few words, e.g. 'Bundle drop, Rautatientori'",
            value=args.depot_name,
        )
    depot = Depot(lat, lon, name)
    made = not args.workspace.exists()
    try:
        if args.copy_network:
            network = str(_copy_network(Path(network), args.workspace, say))
        ws = Workspace.create(args.workspace, Settings(network, args.mode, depot, start))
        with ws:
            ws.set_network(network, index.net.fingerprint)
            where = ws.stored_network
    except BaseException:
        _undo_create(args.workspace, made)
        raise
    print(
        f"Workspace {args.workspace} created ({args.mode} network from {args.network}, "
        f"{name} at {lat:.5f},{lon:.5f})."
    )
    if where != "demo" and is_network_file(where):
        print(
            f"The street network is kept as {where} (relative to the workspace): move the "
            "workspace and the extract together, or run paperroute relink after moving one."
        )
    return 0


def _copy_network(source: Path, workspace: Path, say: _Reporter) -> Path:
    """Copy a network file into ``WORKSPACE/network/`` (atomically) and return its new path."""
    import shutil

    from route.io.files import atomic_path

    target = workspace / "network" / source.name
    say(f"Copying {source} into the workspace")
    with atomic_path(target) as tmp:
        shutil.copyfile(source, tmp)
    return target


def cmd_relink(args: argparse.Namespace, say: _Reporter) -> int:
    """Point a workspace at its moved extract, after checking it is the same network."""
    from route.io.osm import source_fingerprint
    from route.io.schema import is_network_file

    path = Path(args.network)
    if not is_network_file(str(path)):
        raise input_error(
            str(path), "not a street network file", "give the .osm.pbf, .osm or .graphml file"
        )
    if not path.is_file():
        raise input_error(str(path), "file not found", "check the path and spelling")
    with _open(args) as ws, ws.transaction():
        before = ws.stored_network
        if not is_network_file(before):
            raise input_error(
                str(ws.path),
                f"the workspace's network is {before!r}, not a file",
                "nothing to relink",
            )
        expected = ws.network_fingerprint
        say(f"Checking {path} against the workspace's network")
        found = source_fingerprint(str(path.resolve()), ws.settings.mode)
        if expected and found != expected:
            raise input_error(
                str(path),
                f"not the street network this workspace was made with (fingerprint {found}; "
                f"the workspace's is {expected})",
                "give the same extract (a moved or copied file); nothing was changed",
            )
        ws.set_network(str(path.resolve()), found)
        after = ws.stored_network
    print(f"Workspace {args.workspace} now uses {path} (stored as {after}; was {before}).")
    if expected:
        print(f"Same network as before (fingerprint {found}).")
    else:
        print(
            "note: the workspace had no fingerprint of its network to check against (made by "
            f"an older paperroute); it is now recorded as {found}."
        )
    return 0


def _undo_create(path: Path, made: bool) -> None:
    """Remove what a failed ``init`` made (a full disk, say): the folder if it made it, or else
    only its own files in the user's folder."""
    import shutil

    from route.io.workspace import DB_NAME

    if made:
        shutil.rmtree(path, ignore_errors=True)
        return
    for suffix in ("", "-wal", "-shm", "-journal"):
        (path / f"{DB_NAME}{suffix}").unlink(missing_ok=True)
    shutil.rmtree(path / "network", ignore_errors=True)


def cmd_import(args: argparse.Namespace, say: _Reporter) -> int:
    with _open(args) as ws:
        subs = _read(ws, args.subscribers, say, layer=args.layer)
        # From the first read of the workspace to the commit, no other writer gets in.
        with ws.transaction():
            stored = ws.subscribers(active_only=False)
            active_ids = {
                str(r[0]) for r in ws.query("SELECT id FROM subscribers WHERE active = 1")
            }
            active = [s for s in stored if s.id in active_ids]
            added, updated = _import_changes(stored, active_ids, subs)
            summary = (
                f"Imported {len(subs)} subscribers from {args.subscribers}: "
                f"{len(added)} new, {len(updated)} updated, "
                f"{len(subs) - len(added) - len(updated)} unchanged."
            )
            book = ws.latest_book()
            if not added and not updated:
                # A file that changes nothing (one the workspace wrote, say): no new version.
                kept = f" The route book is unchanged (version {book.version})." if book else ""
                print(f"{summary} Nothing changed; nothing written.{kept}")
                return 0
            edit = None
            ws.upsert_subscribers(subs)
            # With districts, a new subscriber joins one (and only its carrier's route).
            carrier_of = join_on_import(ws, _merged(active, subs)[0], added, say)
            if book is not None and carrier_of and len(book.routes) != max(carrier_of.values()):
                print(
                    f"note: the route book has {len(book.routes)} route(s) for "
                    f"{max(carrier_of.values())} districts; run: paperroute plan {ws.path}"
                )
                carrier_of = None
            if book is not None:
                edit = _stable_edit_for_import(ws, book, active, subs, say, carrier_of)
            if book is not None and edit is not None and edit.changed:
                note = _edit_note(f"import {args.subscribers.name}", edit)
                saved = ws.save_book(edit.book, note, based_on=book.version)
        print(summary)
        if edit is not None and edit.changed:
            _print_edit(edit, saved)
        elif book is not None:
            print(
                f"The route book is unchanged (version {book.version}): no new route-book "
                "version (what changed does not move anyone's place in the route)."
            )
    return 0


def _import_changes(
    stored: Sequence[Subscriber], active: set[str], imported: Sequence[Subscriber]
) -> tuple[list[str], list[str]]:
    """Ids an import would add and update (as :meth:`Workspace.upsert_subscribers` would)."""
    by_id = {s.id: s for s in stored}
    added = [s.id for s in imported if s.id not in by_id]
    updated = [
        s.id
        for s in imported
        if s.id in by_id and (s.id not in active or by_id[s.id].to_dict() != s.to_dict())
    ]
    return added, updated


def cmd_plan(args: argparse.Namespace, say: _Reporter) -> int:
    from route.solver import native

    if args.allow_unserved and not args.reoptimize:
        raise input_error(
            "--allow-unserved", "only applies to a re-optimisation", "add --reoptimize"
        )
    # On first use in a source checkout, build the compiled search while the workspace and the
    # network load: the multi-carrier search (several carriers, or windows) always, the tour
    # engine unless several carriers are asked for (it would only compete for the cores; a
    # search that needs it after all builds it then).
    several = args.carriers is not None and args.carriers > 1
    native.prepare(("_vrp",) if several else ("_vrp", "_tour"))
    report_only = args.reoptimize and not args.yes
    # A report alone (--reoptimize without --yes) reads; everything else holds the lock.
    with _open(args) as ws, ws.reading() if report_only else ws.transaction():
        return _plan_locked(ws, args, say)


def _plan_locked(ws: Workspace, args: argparse.Namespace, say: _Reporter) -> int:
    book = ws.latest_book()
    if args.kicks and not args.skip_aware:
        raise input_error(
            "--kicks",
            "only applies to the skip-aware search",
            "add --skip-aware",
            value=args.kicks,
        )
    districts = ws.district_of()
    stale = book is not None and bool(districts) and not _follows(book, districts)
    _check_district_flags(ws, args, districts, None if stale else book)
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
    if districts and (book is None or stale):
        return _plan_by_district(ws, args, say, districts, limits, book)
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


def _check_district_flags(
    ws: Workspace, args: argparse.Namespace, districts: Mapping[str, str], book: RouteBook | None
) -> None:
    """Refuse ``--workers`` and ``--scheduler`` where no districts are planned, and flags that
    do not apply to a plan by district.

    Raises
    ------
    InputError
        Naming the flag and what to do instead.
    """
    parallel = args.workers is not None or args.scheduler is not None
    flag = "--workers" if args.workers is not None else "--scheduler"
    if args.workers is not None and args.scheduler is not None:
        raise input_error(
            "--workers", "cannot be combined with --scheduler", "give one of them",
            value=args.workers,
        )  # fmt: skip
    if args.workers is not None and args.workers < 1:
        raise input_error(
            "--workers", "not a number of workers", "give 1 (no Dask) or more", value=args.workers
        )
    if parallel and not districts:
        raise input_error(
            flag,
            "only applies to a workspace with districts (they are what is planned in parallel)",
            f"make them first: paperroute districts {ws.path} --routes N, or drop {flag}",
        )
    if parallel and book is not None and not args.reoptimize:
        raise input_error(
            flag,
            "only applies when the districts are planned or re-optimised; the route is "
            "planned already and is brought up to date without reordering anyone",
            f"drop {flag}, or add --reoptimize",
        )
    if parallel and args.skip_aware:
        raise input_error(flag, "does not apply to the skip-aware search", f"drop {flag}")
    if districts and book is None and not args.reoptimize:
        n = len(set(districts.values()))
        if args.carriers is not None and args.carriers != n:
            raise input_error(
                "--carriers",
                f"the workspace has {n} districts, one carrier's route each",
                "drop --carriers (or change the districts: paperroute districts --routes N)",
                value=args.carriers,
            )
        if args.skip_aware:
            raise input_error(
                "--skip-aware",
                "does not apply to a plan by district",
                "drop --skip-aware",
            )


def _follows(book: RouteBook, districts: Mapping[str, str]) -> bool:
    from route.districts.parallel import follows_districts

    return follows_districts(book, districts)


def _plan_by_district(
    ws: Workspace,
    args: argparse.Namespace,
    say: _Reporter,
    districts: Mapping[str, str],
    limits: dict[str, Any],
    book: RouteBook | None,
) -> int:
    """Plan a workspace with districts one route per district, planned one by one
    (``--workers 1``), on a local Dask cluster (the default) or on ``--scheduler``.

    The first plan, or a new one when the route book was planned before the districts it has
    now (made or rebalanced by ``districts``, which said to run ``plan``): a new version on top
    of ``book``, saying how many stops changed route.
    """
    from route.districts.parallel import plan_districts
    from route.routebook.plan import PlanOptions

    if args.time_limit <= 0:
        raise input_error(
            "--time-limit", "must be positive", "give seconds, e.g. 5", value=args.time_limit
        )
    subs = ws.subscribers()
    index = _ws_index(ws, say)
    settings = ws.settings
    opts = PlanOptions(
        time_limit=args.time_limit, seed=args.seed, start_s=settings.start_s, **limits
    )
    planned = plan_districts(
        subs,
        districts,
        index,
        settings.depot,
        opts,
        workers=args.workers,
        scheduler=args.scheduler,
        say=say,
    )
    n = len(planned.routes)
    note = f"plan --districts {n} --seed {args.seed}"
    saved = ws.save_book(planned, note, based_on=0 if book is None else book.version)
    print(f"{n} districts planned, one route each.")
    if book is not None:
        was = {s.subscriber_id: r.carrier for r in book.routes for s in r.stops}
        now = {s.subscriber_id: r.carrier for r in saved.routes for s in r.stops}
        moved = sum(1 for i, c in now.items() if i in was and was[i] != c)
        print(
            f"The route book (version {book.version}) was planned before these districts: "
            f"version {saved.version} follows them ({moved} stop(s) changed route; "
            f"{book.distance_m / 1000:.2f} km before, {saved.distance_m / 1000:.2f} km now)."
        )
    print(_summary(saved))
    return 0


def _merged(
    active: Sequence[Subscriber], imported: Sequence[Subscriber]
) -> tuple[list[Subscriber], list[str]]:
    """Active subscribers after an import (file order for new ones), and ids to re-slot."""
    from route.routebook.changes import changed_for_routing

    now = {s.id: s for s in active}
    reslot = [s.id for s in imported if s.id in now and changed_for_routing(now[s.id], s)]
    merged = dict(now)
    for s in imported:
        merged[s.id] = s
    return list(merged.values()), reslot


def _stable_edit_for_import(
    ws: Workspace,
    book: RouteBook,
    active: Sequence[Subscriber],
    subs: Sequence[Subscriber],
    say: _Reporter,
    carrier_of: dict[str, int] | None = None,
) -> Edit:
    from route.routebook.changes import stable_edit

    merged, reslot = _merged(active, subs)
    say("Slotting new subscribers into the planned route (nobody else's order changes)")
    # The network is loaded only if there is something to slot in or take out.
    return stable_edit(
        book, merged, lambda: _ws_index(ws, say), reslot=reslot, say=say, carrier_of=carrier_of
    )


def _edit_note(what: str, edit: Edit) -> str:
    parts = [what]
    if edit.placements:
        parts.append(
            "inserted "
            + ", ".join(
                f"{x}@{hit[1].seq}" for x, _p in edit.placements if (hit := edit.book.stop_of(x))
            )
        )
    if edit.removed_ids:
        parts.append("removed " + ", ".join(edit.removed_ids))
    if edit.unplaced_ids:
        parts.append("unserved " + ", ".join(edit.unplaced_ids))
    if len(parts) == 1:
        parts.append("no change to the order")
    return "; ".join(parts)


def _print_edit(edit: Edit, saved: RouteBook) -> None:
    for x, p in edit.placements:
        print(f"  {x:<10} -> {edit.where(p)}")
    for x in edit.removed_ids:
        print(f"  {x:<10} removed; the gap is closed")
    reasons = {u.subscriber_id: u.reason for u in saved.unserved}
    for x in edit.unplaced_ids:
        print(f"  {x:<10} not served: {reasons.get(x, 'no feasible place')}")
    print(_summary(saved))


def _plan_sync(
    ws: Workspace, book: RouteBook, args: argparse.Namespace, say: _Reporter, limits: dict[str, Any]
) -> int:
    """``plan`` on a planned workspace: bring it up to date without reordering anyone."""
    from route.routebook.changes import stable_edit

    changed = _changed_limits(book, args, limits)
    if changed:
        raise input_error(
            _flags(changed),
            "the planned route was made with other settings; changing them reorders the route",
            f"run: paperroute plan {ws.path} --reoptimize with the same flags (it reports first)",
        )
    edit = stable_edit(book, ws.subscribers(), lambda: _ws_index(ws, say), say=say)
    if not edit.changed:
        print(
            f"The route is up to date (version {book.version}); nothing changed, nothing "
            f"written. To reorder it: paperroute plan {ws.path} --reoptimize"
        )
        return 0
    saved = ws.save_book(edit.book, _edit_note("plan (stable)", edit), based_on=book.version)
    _print_edit(edit, saved)
    return 0


def cmd_remove(args: argparse.Namespace, say: _Reporter) -> int:
    from route.errors import Issue

    with _open(args) as ws, ws.transaction():
        everyone = ws.subscribers(active_only=False)
        known = {s.id for s in everyone}
        active = {str(r[0]) for r in ws.query("SELECT id FROM subscribers WHERE active = 1")}
        bad = [
            Issue(
                "ID",
                "no such subscriber",
                "give ids of active subscribers (see the route sheet)",
                value=i,
            )
            for i in args.ids
            if i not in known
        ]
        if bad:
            raise InputError(bad)
        ids = [i for i in dict.fromkeys(args.ids) if i in active]
        done = [i for i in dict.fromkeys(args.ids) if i not in active]
        if done:
            print(f"Already removed: {', '.join(done)}.")
        if not ids:
            print("Nothing to remove; nothing written.")
            return 0
        book = ws.latest_book()
        edit = None
        if book is not None:
            from route.routebook.changes import stable_edit

            gone = set(ids)
            keep = [s for s in everyone if s.id in active and s.id not in gone]
            edit = stable_edit(book, keep, lambda: _ws_index(ws, say), say=say)
        ws.deactivate(ids)
        if book is not None and edit is not None and edit.changed:
            saved = ws.save_book(edit.book, _edit_note("remove", edit), based_on=book.version)
        print(f"Removed {len(ids)} subscriber(s): {', '.join(ids)}.")
        if edit is not None and edit.changed:
            _print_edit(edit, saved)
    return 0
