"""The ``map``, ``sheet``, ``export``, ``subscribers`` and ``demo`` commands."""

from __future__ import annotations

import argparse
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from route.cli.common import (
    DEMO_MARKER,
    _for_date,
    _load_index,
    _open,
    _plan,
    _read,
    _Reporter,
    _summary,
    _write_map,
    _write_sheet,
)
from route.errors import input_error
from route.io.files import atomic_write
from route.io.workspace import DB_NAME, Settings, Workspace
from route.model.routebook import RouteBook
from route.model.subscriber import Subscriber

#: ``export --format`` values, and the file each one writes (GeoJSON: one per layer).
EXPORT_FORMATS = ("geojson", "gpkg", "gpx", "kml")
PAPERS = ("a4", "letter")
_SINGLE = {".gpkg": "gpkg", ".gpx": "gpx", ".kml": "kml"}


def cmd_map(args: argparse.Namespace, say: _Reporter) -> int:
    with _open(args) as ws:
        _restore_day(ws, args.date, say)
        with ws.reading():
            book, day = _for_date(ws, args.date)
            print(f"Map: {_write_map(ws, book, args.output, day, say, nav=args.nav)}")
    return 0


def _restore_day(ws: Workspace, date: str | None, say: _Reporter) -> None:
    """A day committed but missing its ``day.json`` (or with an edited one) is written again
    from the database before its outputs are drawn."""
    from route.io.dayrecord import stored_day

    if date is not None:
        iso, _day = stored_day(ws, date)
        if ws.sync_day_files([iso]):
            say(f"Wrote {ws.day_path(iso)} again from the workspace's database")


def cmd_sheet(args: argparse.Namespace, say: _Reporter) -> int:
    from route.output.pdf import ChromiumNotFound

    with _open(args) as ws:
        _restore_day(ws, args.date, say)
        with ws.reading():
            book, day = _for_date(ws, args.date)
            try:
                paths = _write_sheet(
                    ws, book, args.output, day, nav=args.nav, pdf=args.pdf, paper=args.paper,
                    say=say,
                )  # fmt: skip
            except ChromiumNotFound as e:
                print(f"paperroute sheet --pdf: {e}. Nothing was written.", file=sys.stderr)
                return 1
    labels = ("Route sheet", "Route sheet (CSV)", "Route sheet (PDF)")
    for label, path in zip(labels, paths, strict=False):
        print(f"{label}: {path}")
    return 0


def _export_plan(args: argparse.Namespace) -> tuple[list[str], Path | None, Path | None]:
    """The formats to write, and the one file or the folder ``-o`` names."""
    out: Path | None = args.output
    formats: list[str] = list(dict.fromkeys(args.formats or []))
    if out is None or (out.suffix == "" or out.is_dir()):
        return formats or ["geojson", "gpkg"], None, out
    suffix = out.suffix.lower()
    if suffix in (".geojson", ".json"):
        raise input_error(
            "--output",
            "GeoJSON is written one file per layer (route, stops, spots, walk_ins, unserved)",
            "give -o a folder for them, or a .gpkg file for every layer in one",
            value=str(out),
        )
    if suffix not in _SINGLE:
        raise input_error(
            "--output",
            "unknown export format",
            "name a .gpkg, .gpx or .kml file, or a folder",
            value=str(out),
        )
    implied = _SINGLE[suffix]
    if formats and formats != [implied]:
        raise input_error(
            "--format",
            f"-o names one {implied} file",
            "give -o a folder to write several formats",
            value=", ".join(formats),
        )
    return [implied], out, None


def cmd_export(args: argparse.Namespace, say: _Reporter) -> int:
    from route.output.export import export_features, write_geojson, write_geopackage
    from route.output.gps import write_gpx, write_kml

    formats, single, folder = _export_plan(args)
    with _open(args) as ws:
        _restore_day(ws, args.date, say)
        with ws.reading():
            book, day = _for_date(ws, args.date)
            # The folder comes from the checked date the day is stored under, never from a file.
            folder = folder or (ws.path if day is None else ws.day_folder(str(day["date"])))
            subs = ws.subscribers(active_only=False)
        layers = export_features(book, subs, day) if {"geojson", "gpkg"} & set(formats) else {}
        paths: list[Path] = []
        for fmt in formats:
            say(f"Writing {fmt}")
            target = single or folder / f"route.{fmt}"
            if fmt == "geojson":
                paths += write_geojson(layers, folder)
            elif fmt == "gpkg":
                paths.append(write_geopackage(layers, target))
            elif fmt == "gpx":
                paths.append(write_gpx(book, subs, target, day))
            else:
                paths.append(write_kml(book, subs, target, day))
    for p in paths:
        print(f"Export: {p}")
    return 0


def cmd_subscribers(args: argparse.Namespace, say: _Reporter) -> int:
    from route.io.subscribers import subscribers_csv, subscribers_geojson

    with Workspace.open(args.workspace) as ws:
        active = ws.subscribers()
        everyone = ws.subscribers(active_only=False) if args.all else active
        removed = ws.inactive_count()
    if args.csv is not None or args.geojson is not None:
        text = subscribers_csv(active) if args.csv is not None else subscribers_geojson(active)
        target: Path = args.csv if args.csv is not None else args.geojson
        if str(target) == "-":
            sys.stdout.write(text)
            return 0
        try:
            path = atomic_write(target, text)
        except OSError as e:
            raise input_error(
                str(target),
                f"cannot be written ({e.strerror or e})",
                "give a file in a folder you can write to",
            ) from None
        note = f" ({removed} removed not included)" if removed else ""
        print(f"Subscribers: {path} ({len(active)} subscribers{note})")
        return 0
    ids = {s.id for s in active}
    print(_subscriber_table(everyone, ids, with_status=args.all))
    footer = f"{len(active)} subscriber{'s' if len(active) != 1 else ''}"
    if removed:
        footer += (
            f", {removed} removed (listed)"
            if args.all
            else f" ({removed} removed: --all lists them)"
        )
    print(footer)
    return 0


def _subscriber_table(subs: Sequence[Subscriber], active: set[str], with_status: bool) -> str:
    """The subscribers as a text table, one line each, in import order."""
    from route.model.subscriber import format_clock

    head = ["id", "name", "address", "spot", "days", "tier", "product", "window", "rain"]
    head += ["hazard", *(["status"] if with_status else [])]
    rows = []
    for s in subs:
        window = ""
        if s.earliest is not None or s.latest is not None:
            window = f"{format_clock(s.earliest) or '…'}–{format_clock(s.latest) or '…'}"
        product = s.product + (f" ×{s.quantity}" if s.quantity != 1 else "")
        row = [s.id, s.name, s.address, s.spot.kind, s.schedule, s.tier, product, window]
        row += [
            s.spot.rain,
            s.hazard,
            *(["" if s.id in active else "removed"] if with_status else []),
        ]
        rows.append([_clip(c, 28) for c in row])
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(head)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "\n".join(lines)


def _clip(text: str, n: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


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
        ws.upsert_subscribers(subs)
        book = _plan(ws, say, carriers=1, time_limit=args.time_limit, seed=0, note="demo plan")
        map_path = _write_map(ws, book, out / "map.html", say=say)
        sheet_path, sheet_csv_path = _write_sheet(ws, book, out / "sheet.html")[:2]
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
