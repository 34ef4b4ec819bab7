"""The ``map``, ``sheet``, ``export`` and ``demo`` commands."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from route.cli.common import (
    DEMO_MARKER,
    _for_date,
    _load_index,
    _plan,
    _read,
    _Reporter,
    _summary,
    _write_export,
    _write_map,
    _write_sheet,
)
from route.errors import input_error
from route.io.workspace import DB_NAME, Settings, Workspace
from route.model.routebook import RouteBook


def cmd_map(args: argparse.Namespace, say: _Reporter) -> int:
    with Workspace.open(args.workspace) as ws:
        book, day = _for_date(ws, args.date)
        print(f"Map: {_write_map(ws, book, args.output, day, say)}")
    return 0


def cmd_sheet(args: argparse.Namespace, say: _Reporter) -> int:
    with Workspace.open(args.workspace) as ws:
        book, day = _for_date(ws, args.date)
        html_path, csv_path = _write_sheet(ws, book, args.output, day, args.paper)
        print(f"Route sheet: {html_path}\nRoute sheet (CSV): {csv_path}")
    return 0


def cmd_export(args: argparse.Namespace, say: _Reporter) -> int:
    out: Path | None = args.output
    if out is not None and out.suffix.lower() not in (".geojson", ".json", ".gpkg"):
        raise input_error(
            "--output", "unknown export format", "name a .geojson or a .gpkg file", value=str(out)
        )
    with Workspace.open(args.workspace) as ws:
        book, day = _for_date(ws, args.date)
        paths = _write_export(ws, book, out, day)
    for p in paths:
        print(f"Export: {p}")
    return 0


def cmd_demo(args: argparse.Namespace, say: _Reporter) -> int:
    from route.teaching.demo import DEMO_DEPOT, write_demo_csv

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

    from route.routebook.plan import PlanOptions
    from route.teaching.compare import compare_disciplines

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
