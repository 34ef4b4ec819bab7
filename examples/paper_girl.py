"""The paper girl's week: one fixed route, every subscriber served their own way.

What it teaches: the route is planned once and never changes, yet every subscriber gets the
paper their own way, even on a bad day. On the embedded Helsinki network, with the demo
subscribers, it plans the fixed route and shows the story's customers on it: Mr North's milk box
on the left side of the garage, the step inside the screen-door walkway of Mr Lindqvist (90),
the back doorway of the castle-like house with dogs next door. Then it runs a week:

- Monday: an ordinary day.
- Tuesday: one paper short. The carrier's own household goes without; no customer notices.
- Wednesday: rain. Papers are bagged (or left at the rain spot a subscriber asked for), and the
  castle's call about yesterday's wet paper is answered with the household's copy.
- Thursday: the bundle is short and an extra bundle comes late: a catch-up pass after the
  route. Mrs Koivisto is away from Thursday to Saturday (a vacation hold).
- Friday to Sunday: ordinary days (Sunday has its own paper).

Every day follows the same route; only the actions change. It runs the ``paperroute`` commands
you would type (each is printed) and writes into ``--out``: the route map and sheet
(``paper_girl_map.html``, ``paper_girl_sheet.html``) and the map and sheet of each hard day
(``paper_girl_<date>_map.html``, ``paper_girl_<date>_sheet.html``). Run::

    python examples/paper_girl.py                    # writes into maps/
    python examples/paper_girl.py --out /tmp/story --time-limit 1 --workspace /tmp/story-ws
"""

from __future__ import annotations

import shlex
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

from _common import parser, say

from route import DEMO_DEPOT, RouteBook, Subscriber, Workspace, load_day, write_demo_csv
from route.cli import main as paperroute

MONDAY = date(2025, 3, 3)  # a fixed week, so the committed maps do not change with the date
STORY = ("Mr North", "Mr Lindqvist (90)", "The castle (Ahlström family)")
LATE_COPIES = 6


def run(*args: str) -> None:
    """Run one ``paperroute`` command as typed in a shell; stop the example if it fails."""
    print(f"\n$ paperroute {shlex.join(args)}", flush=True)
    status = paperroute(["--quiet", *args])
    if status != 0:
        raise SystemExit(status)


def demand(subs: list[Subscriber], day: date, product: str, away: set[str]) -> int:
    """Copies of a product the scheduled subscribers expect on a date."""
    return sum(
        s.quantity
        for s in subs
        if s.product == product and day.weekday() in s.days and s.id not in away
    )


def who(subs: list[Subscriber], name: str) -> Subscriber:
    """The story's subscriber by name."""
    return next(s for s in subs if s.name == name)


def show_story(book: RouteBook, subs: list[Subscriber]) -> None:
    """Where the story's customers are on the fixed route, and what they asked for."""
    print(f"\nThe fixed route: {len(book.order)} stops, {book.distance_m / 1000:.2f} km.")
    for name in STORY:
        s = who(subs, name)
        found = book.stop_of(s.id)
        if found is None:
            print(f"  {name}: not on the route")
            continue
        _carrier, stop = found
        print(
            f"  {name}: stop {stop.seq}, {s.spot.kind.replace('_', ' ')}: "
            f"{s.spot.instructions or 'no instructions'}"
            f"{'; ' + s.hazard if s.hazard else ''} "
            f"(walk-in {stop.walk_in_m} m, {stop.walk_in_s} s)"
        )


def main(argv: list[str] | None = None) -> int:
    """Plan the route, run the week, write the maps and sheets."""
    p = parser(__doc__)
    p.add_argument("--workspace", type=Path, help="keep the workspace here (default: temporary)")
    args = p.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)

    with tempfile.TemporaryDirectory(prefix="paperroute-") as tmp:
        ws_path = args.workspace or Path(tmp) / "route"
        ws = str(ws_path)
        csv = write_demo_csv(Path(tmp) / "subscribers.csv")
        say("Planning the fixed route on the embedded Helsinki network")
        run("init", ws, "--network", "demo", "--depot", f"{DEMO_DEPOT.lat},{DEMO_DEPOT.lon}")
        run("import", ws, str(csv))
        run("plan", ws, "--time-limit", f"{args.time_limit:g}")
        with Workspace.open(ws_path) as w:
            book = w.latest_book()
            subs = list(w.subscribers())
        assert book is not None  # just planned
        show_story(book, subs)
        run("map", ws, "-o", str(out / "paper_girl_map.html"))
        run("sheet", ws, "-o", str(out / "paper_girl_sheet.html"))

        # Mrs Koivisto is away Thursday to Saturday: the default holds file of the workspace.
        away = who(subs, "Mrs Koivisto")
        thursday, saturday = MONDAY + timedelta(days=3), MONDAY + timedelta(days=5)
        (ws_path / "holds.csv").write_text(f"id,from,to\n{away.id},{thursday},{saturday}\n")
        castle = who(subs, STORY[2])
        complaints = Path(tmp) / "complaints.csv"
        complaints.write_text(f"id,kind,note\n{castle.id},wet,Soaked in the back doorway\n")

        hard: dict[date, list[str]] = {
            MONDAY + timedelta(days=1): [
                "--supply",
                f"paper={demand(subs, MONDAY + timedelta(days=1), 'paper', set()) - 1}",
            ],
            MONDAY + timedelta(days=2): ["--weather", "rain", "--complaints", str(complaints)],
            thursday: [
                "--supply",
                f"paper={demand(subs, thursday, 'paper', {away.id}) - LATE_COPIES}",
                "--late",
                f"paper={LATE_COPIES}",
            ],
        }
        for i in range(7):
            day = MONDAY + timedelta(days=i)
            run("day", ws, "--date", day.isoformat(), *hard.get(day, []))
        for day in hard:
            stem = f"paper_girl_{day.isoformat()}"
            run("map", ws, "--date", day.isoformat(), "-o", str(out / f"{stem}_map.html"))
            run("sheet", ws, "--date", day.isoformat(), "-o", str(out / f"{stem}_sheet.html"))

        print("\nThe week, one line per day (the same route every day; only the actions change):")
        household = next(s.id for s in subs if s.tier == "household")
        head = (
            "day",
            "weather",
            "delivered",
            "skipped",
            "short",
            "redelivered",
            "late pass",
            "bagged",
            "household",
            "km",
        )
        rows = [head]
        for i in range(7):
            day = load_day(ws_path, (MONDAY + timedelta(days=i)).isoformat())
            t = day.totals
            rows.append(
                (
                    f"{MONDAY + timedelta(days=i):%a %d %b}",
                    day.weather,
                    str(t.get("delivered", 0)),
                    str(t.get("skipped", 0)),
                    str(t.get("shorted", 0)),
                    str(t.get("redelivered", 0)),
                    str(sum(1 for s in day.stops if s.late)),
                    str(sum(1 for s in day.stops if "bag it" in s.instructions)),
                    next(s.action for s in day.stops if s.id == household),
                    f"{day.distance_m / 1000:.2f}",
                )
            )
        widths = [max(len(r[c]) for r in rows) for c in range(len(head))]
        for r in rows:
            print("  " + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
    print(f"\nMaps and sheets: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
