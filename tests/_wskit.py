"""A small workspace built straight from the model (no street network needed).

The network file named in it does not exist: days that bypass stops fall back to measuring
along the route book's legs, as they do when the extract is unavailable.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from route.cli.main import main
from route.io.workspace import Settings, Workspace
from route.model.subscriber import Subscriber
from tests._daykit import DEPOT, book


def make_workspace(
    path: Path, subs: Sequence[Subscriber], order: Sequence[Sequence[str]] | None = None
) -> Path:
    """A workspace with ``subs`` imported and a route book in ``order`` (default: import order,
    one carrier)."""
    ws = Workspace.create(path, Settings(str(path / "absent.osm.pbf"), "walk", DEPOT))
    with ws, ws.transaction():
        ws.upsert_subscribers(subs)
        ws.save_book(book(order or [s.id for s in subs]), "test", based_on=0)
    return path


def day(ws: Path, date: str, *args: str) -> int:
    """Run ``paperroute day`` in this process."""
    return main(["--quiet", "day", str(ws), "--date", date, *args])


def stops(ws: Path, date: str) -> dict[str, tuple[str, str]]:
    """The stored day's (action, reason) by subscriber id."""
    with Workspace.open(ws) as w:
        return {
            s["id"]: (s["action"], s["reason"])
            for _d, _v, data in w.days()
            if _d == date
            for s in data["stops"]
        }


def changes(ws: Path, date: str) -> dict[str, str]:
    """The stored day's changes: kind by subscriber id."""
    with Workspace.open(ws) as w:
        data = next(data for d, _v, data in w.days() if d == date)
    return {c["id"]: c["kind"] for c in data["changes"]}
