"""Shared steps of the command line: the workspace's network, subscribers, plans, maps and
sheets, and the checks on plan options."""

from __future__ import annotations

import argparse
import gc
import itertools
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from route.constants import MAX_SHIFT_S
from route.errors import InputError, input_error
from route.io.files import atomic_write
from route.io.workspace import DEFAULT_WAIT_S, Settings, Workspace
from route.model.routebook import RouteBook
from route.model.subscriber import Subscriber

if TYPE_CHECKING:
    from route.network import StreetIndex

DEMO_MARKER = ".paperroute-demo"


class _Reporter:
    """Prints progress lines to standard error with the elapsed time."""

    def __init__(self, quiet: bool = False) -> None:
        self.t0 = time.perf_counter()
        self.quiet = quiet

    def __call__(self, message: str) -> None:
        if not self.quiet:
            print(f"[{time.perf_counter() - self.t0:5.1f}s] {message}", file=sys.stderr, flush=True)


_INDEXES: dict[tuple[str, str], StreetIndex] = {}


def _parse_latlon(text: str, source: str) -> tuple[float, float]:
    try:
        lat_s, lon_s = text.split(",")
        lat, lon = float(lat_s), float(lon_s)
    except ValueError:
        raise input_error(
            source, "not a LAT,LON pair", "write e.g. 60.1710,24.9414", value=text
        ) from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise input_error(
            source, "coordinates out of range", "latitude first, then longitude", value=text
        )
    return lat, lon


def _open(args: argparse.Namespace) -> Workspace:
    """Open the command's workspace; a writer waits ``--wait`` seconds for another writer."""
    wait = getattr(args, "wait", DEFAULT_WAIT_S)
    if wait < 0:
        raise input_error("--wait", "must not be negative", "give seconds, e.g. 60", value=wait)
    return Workspace.open(args.workspace, wait=wait)


def _load_index(settings: Settings, say: _Reporter, workspace: Path | None = None) -> StreetIndex:
    """The workspace's street index, loaded once per process (the demo plans and maps).

    Raises
    ------
    InputError
        If the workspace's extract is not where it was (moved): naming ``relink``.
    """
    from route.io.osm import load_network
    from route.network import StreetIndex

    if workspace is not None:
        _check_network(settings, workspace)
    key = (settings.network, settings.mode)
    if key not in _INDEXES:
        _INDEXES[key] = StreetIndex(load_network(settings.network, settings.mode, say))
        # The network is a few million long-lived objects: kept out of the garbage collector's
        # rounds, which would otherwise walk all of them again and again during the command.
        gc.freeze()
    return _INDEXES[key]


def _check_network(settings: Settings, workspace: Path) -> None:
    """Refuse a workspace whose extract is not where it was (a moved file names ``relink``).

    A cheap look at the file, for commands that may not need to load the network at all.

    Raises
    ------
    InputError
        If the extract is missing.
    """
    from route.io.schema import is_network_file

    if is_network_file(settings.network) and not Path(settings.network).is_file():
        raise input_error(
            settings.network,
            "the workspace's street network file is missing (moved or renamed?)",
            f"point the workspace at it: paperroute relink {workspace} FILE",
        )


def _ws_index(ws: Workspace, say: _Reporter) -> StreetIndex:
    """The street index of a workspace's network."""
    return _load_index(ws.settings, say, ws.path)


def _read(
    ws: Workspace, path: Path, say: _Reporter | None = None, layer: str | None = None
) -> tuple[Subscriber, ...]:
    """Read a subscriber file against the workspace's street network.

    Addresses resolve through the street data (CSV; read only when a row needs one), and a
    location far outside the network's area is refused as a data error (a swapped latitude
    and longitude is recognised).
    """
    from route.errors import printable
    from route.io.subscribers import read_subscribers

    addresses = None
    if path.suffix.lower() == ".csv" and path.is_file():
        addresses = _Addresses(ws.settings.network)
    extent = _ws_index(ws, say or _Reporter(True)).extent() if path.is_file() else None
    result = read_subscribers(path, addresses=addresses, extent=extent, layer=layer)
    if result.ignored_columns:
        names = ", ".join(printable(c) for c in result.ignored_columns)
        print(f"note: ignored columns {names}", file=sys.stderr)
    return result.subscribers


class _Addresses(Mapping[str, tuple[float, float]]):
    """The street data's addresses, read only when a row has an address and no coordinates
    (reading the buildings takes seconds; most files give coordinates)."""

    def __init__(self, network: str) -> None:
        self._network = network
        self._table: dict[str, tuple[float, float]] | None = None

    def _load(self) -> dict[str, tuple[float, float]]:
        if self._table is None:
            from route.io.subscribers import street_addresses

            self._table = street_addresses(self._network)
        return self._table

    def __getitem__(self, key: str) -> tuple[float, float]:
        return self._load()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._load())

    def __len__(self) -> int:
        return len(self._load())


def _need_book(ws: Workspace) -> RouteBook:
    book = ws.latest_book()
    if book is None:
        raise input_error(str(ws.path), "no route planned yet", f"run: paperroute plan {ws.path}")
    return book


def _plan(
    ws: Workspace,
    say: _Reporter,
    *,
    carriers: int,
    time_limit: float,
    seed: int,
    note: str,
    limits: dict[str, Any] | None = None,
) -> RouteBook:
    """Plan and save a route book; ``limits`` are extra :class:`PlanOptions` fields."""
    from route.routebook.plan import PlanOptions, plan

    if carriers < 1:
        raise input_error(
            "--carriers", "must be at least 1", "give a whole number >= 1", value=carriers
        )
    if time_limit <= 0:
        raise input_error(
            "--time-limit", "must be positive", "give seconds, e.g. 5", value=time_limit
        )
    settings = ws.settings
    subs = ws.subscribers()
    if not subs:
        raise input_error(
            str(ws.path),
            "no subscribers",
            f"import some: paperroute import {ws.path} subscribers.csv",
        )
    index = _ws_index(ws, say)
    opts = PlanOptions(
        carriers=carriers,
        time_limit=time_limit,
        seed=seed,
        start_s=settings.start_s,
        **(limits or {}),
    )
    book = plan(subs, settings.depot, index, opts, say)
    return ws.save_book(book, note, based_on=0)


def _for_date(ws: Workspace, date: str | None) -> tuple[RouteBook, dict[str, Any] | None]:
    """The route book to draw and, with ``--date``, the day (run on its own book version),
    both from the database."""
    from route.io.dayrecord import stored_day

    if date is None:
        return _need_book(ws), None
    _iso, day = stored_day(ws, date)
    version = day.get("route_version")
    book = ws.book(version) if isinstance(version, int) else None
    return book or _need_book(ws), day


def _write_map(
    ws: Workspace,
    book: RouteBook,
    out: Path | None,
    day: Mapping[str, Any] | None = None,
    say: _Reporter | None = None,
    nav: str = "osm",
) -> Path:
    """Write the plan's or a day's map; without the street network, without its base layer."""
    from route.output.maps import day_map, plan_map, street_lines
    from route.output.offline import save_offline

    index = _ws_index(ws, say or _Reporter(True))
    streets = street_lines(index.net.G)
    subs = ws.subscribers(active_only=False)
    if day is None:
        m = plan_map(book, subs, streets=streets, nav=nav, districts=ws.district_of())
        path = out or ws.path / "map.html"
    else:
        late = _late_path(index, book, day)
        m = day_map(book, subs, day, streets=streets, nav=nav, late_path=late)
        # The folder comes from the checked date the day is stored under, never from the file.
        path = out or ws.day_folder(str(day["date"])) / "map.html"
    return save_offline(m, path)


def _late_path(
    index: StreetIndex, book: RouteBook, day: Mapping[str, Any]
) -> dict[int, list[tuple[float, float]]]:
    """The catch-up pass of each carrier along the streets: depot, its stops, depot."""
    late = [ds for ds in day.get("stops") or () if ds.get("late") and ds.get("arrival")]
    out: dict[int, list[tuple[float, float]]] = {}
    for r in book.routes:
        ids = [ds["id"] for ds in late if ds.get("carrier") == r.carrier]
        found = [book.stop_of(i) for i in dict.fromkeys(ids)]
        curbs = [(f[1].curb_lat, f[1].curb_lon) for f in found if f is not None]
        if not curbs:
            continue
        depot = (book.depot.lat, book.depot.lon)
        points = index.snap([depot, *curbs, depot])
        path: list[tuple[float, float]] = []
        for a, b in itertools.pairwise(points):
            path += [p for p in index.leg(a, b) if not path or p != path[-1]]
        out[r.carrier] = path
    return out


def _write_sheet(
    ws: Workspace,
    book: RouteBook,
    out: Path | None,
    day: Mapping[str, Any] | None = None,
    *,
    nav: str = "osm",
    pdf: bool = False,
    paper: str = "a4",
    say: _Reporter | None = None,
) -> list[Path]:
    """Write the sheet as HTML and CSV (and PDF): the paths written, HTML first.

    With ``pdf``, a missing browser is found out before anything is written.
    """
    from route.output.sheet import route_sheet, sheet_csv
    from route.output.sheet_page import sheet_html

    browser = None
    if pdf:
        from route.output.pdf import find_chromium

        browser = find_chromium()
    subs = ws.subscribers(active_only=False)
    usual = _usual_arrivals(ws, book, subs, day)
    if day is None:
        path = out or ws.path / "sheet.html"
    else:
        path = out or ws.day_folder(str(day["date"])) / "sheet.html"
    sheet = route_sheet(book, subs, day, usual, depot_name=ws.settings.depot.name, nav=nav)
    page = sheet_html(sheet, paper)
    pdf_path = None
    if browser is not None:
        from route.output.pdf import html_to_pdf

        # The PDF first: if the browser fails, nothing has been written.
        pdf_path = html_to_pdf(
            page, path.with_suffix(".pdf"), paper=paper, header=sheet.title, chromium=browser,
            say=say,
        )  # fmt: skip
    html_path = atomic_write(path, page)
    csv_path = atomic_write(path.with_suffix(".csv"), sheet_csv(sheet.rows))
    return [html_path, csv_path, *([pdf_path] if pdf_path else [])]


def _write_export(
    ws: Workspace,
    book: RouteBook,
    day: Mapping[str, Any] | None = None,
    formats: Sequence[str] = ("geojson", "gpkg"),
    *,
    single: Path | None = None,
    folder: Path | None = None,
    say: _Reporter | None = None,
) -> list[Path]:
    """Write the plan's or a day's export in ``formats``: into ``single`` (one file), else into
    ``folder``, else the workspace for the plan and the day's folder for a day."""
    from route.output.export import export_features, write_geojson, write_geopackage
    from route.output.gps import write_gpx, write_kml

    # The folder comes from the checked date the day is stored under, never from a file.
    folder = folder or (ws.path if day is None else ws.day_folder(str(day["date"])))
    subs = ws.subscribers(active_only=False)
    layers = export_features(book, subs, day) if {"geojson", "gpkg"} & set(formats) else {}
    paths: list[Path] = []
    for fmt in formats:
        if say is not None:
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
    return paths


def _usual_arrivals(
    ws: Workspace, book: RouteBook, subs: Sequence[Subscriber], day: Mapping[str, Any] | None
) -> dict[str, tuple[int, int]]:
    """Each stop's earliest and latest arrival over the week ahead (stops skipped by schedule)."""
    import datetime as dt

    from route.routebook.changes import usual_arrivals

    first = dt.date.fromisoformat(str(day["date"])) if day else dt.date.today()
    # The week ahead of a date in the calendar's last week: the week up to its end (the same
    # seven weekdays).
    first = min(first, dt.date.max - dt.timedelta(days=6))
    # The week's travel comes from the route book's legs, and the network is loaded only if a
    # bypass needs measuring; a moved extract is still named at once, whichever it is.
    _check_network(ws.settings, ws.path)
    routed = set(book.order)
    spreads = usual_arrivals(
        book,
        [s for s in subs if s.id in routed],
        lambda: _ws_index(ws, _Reporter(True)),  # only if a bypass needs measuring
        first,
    )
    return {i: (int(sp.earliest_s), int(sp.latest_s)) for i, sp in spreads.items()}


def _summary(book: RouteBook) -> str:
    lines = [
        f"Route book version {book.version}: {len(book.order)} stops, "
        f"{book.distance_m / 1000:.2f} km on the streets, {book.duration_s / 60:.0f} min "
        f"({book.walk_in_s / 60:.0f} min of it at the subscribers' spots)",
    ]
    for u in book.unserved:
        lines.append(f"  not served: {u.subscriber_id}: {u.reason}")
    return "\n".join(lines)


def _plan_limits(args: argparse.Namespace) -> dict[str, Any]:
    """Capacity, shift, end point and balance from ``plan``'s flags, every problem at once."""
    from route.errors import Issue

    problems, out = [], {"balance": args.balance, "open_end": args.open}
    if args.capacity is not None:
        if args.capacity < 1:
            problems.append(
                Issue(
                    "--capacity",
                    "must be at least 1",
                    "give items per bag",
                    value=str(args.capacity),
                )
            )
        out["capacity"] = args.capacity
    if args.shift is not None:
        minutes = _minutes(args.shift)
        if minutes is None or not 0 < minutes <= MAX_SHIFT_S / 60:
            problems.append(
                Issue(
                    "--shift",
                    "not a duration" if minutes is None else "out of range",
                    f"give HH:MM or minutes above 0 and at most {MAX_SHIFT_S // 3600} hours, "
                    "e.g. 3:30 or 210",
                    value=args.shift,
                )
            )
        else:
            out["shift_s"] = round(minutes * 60)
    if args.end is not None:
        try:
            out["end"] = _parse_latlon(args.end, "--end")
        except InputError as e:
            problems.extend(e.issues)
    if args.balance < 0:
        problems.append(
            Issue("--balance", "must not be negative", "give 0 or more", value=str(args.balance))
        )
    if problems:
        raise InputError(problems)
    return out


def _minutes(text: str) -> float | None:
    """Minutes in ``HH:MM`` or a plain number of minutes; None if it is neither (or nan)."""
    from route.io.fields import parse_float

    try:
        if ":" in text:
            h, m = text.strip().split(":")
            if not (h.isdigit() and m.isdigit() and len(h) <= 3 and int(m) < 60):
                return None
            return int(h) * 60 + int(m)
        return parse_float(text)
    except ValueError:
        return None


#: The ``plan`` flag that sets each :class:`PlanOptions` field (for messages).
_FLAG_OF = {
    "carriers": "--carriers",
    "capacity": "--capacity",
    "shift_s": "--shift",
    "end": "--end",
    "open_end": "--open",
    "balance": "--balance",
}


def _flags(fields: Sequence[str] | dict[str, Any]) -> str:
    """The ``plan`` flags that set these option fields, as a user types them."""
    return ", ".join(_FLAG_OF.get(k, "--" + k.replace("_", "-")) for k in fields)


def _changed_limits(
    book: RouteBook, args: argparse.Namespace, limits: dict[str, Any]
) -> dict[str, Any]:
    """Plan options given on the command line that differ from the planned route's."""
    from route.routebook.changes import options_of

    have = options_of(book)
    given = {
        "carriers": args.carriers,
        "capacity": limits.get("capacity"),
        "shift_s": limits.get("shift_s"),
        "end": limits.get("end"),
        "open_end": True if args.open else None,
        # --balance has a default; only a value other than it counts as asked for.
        "balance": args.balance if args.balance != 1 else None,
    }
    return {k: v for k, v in given.items() if v is not None and getattr(have, k) != v}
