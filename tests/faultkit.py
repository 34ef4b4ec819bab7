"""Workspaces, runs and state checks for the fault tests (kills, full disks, read-only folders).

Also a script, run inside a private mount namespace (``unshare --user --map-root-user --mount``)
where a test may mount a small tmpfs or a read-only bind mount without being root:

    python tests/faultkit.py full-disk WORKSPACE SPARE_BYTES -- ARGS...
    python tests/faultkit.py read-only WORKSPACE -- ARGS...

Each prints one JSON object: the command's exit status and standard error, and the workspace's
state before, after the failed run, and after a second run once the fault is gone.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
DB_NAME = "paperroute.sqlite"
SUBSCRIBERS = (
    "id,lat,lon,tier\nA,60.1705,24.9410,paying\nB,60.1706,24.9431,paying\n"
    "C,60.1712,24.9425,household\n"
)
#: An update for ``import``: one moved subscriber and two new ones.
UPDATE = (
    "id,lat,lon,tier\nB,60.1709,24.9436,paying\nD,60.1701,24.9402,paying\n"
    "E,60.1714,24.9438,sample\n"
)


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def paperroute(*args: str, crash: list[str] | None = None, timeout: float = 600) -> Any:
    """Run the command line in a fresh interpreter (optionally through tests/crash.py)."""
    head = [sys.executable, "-m", "route.cli"]
    if crash is not None:
        head = [sys.executable, str(ROOT / "tests" / "crash.py"), *crash, "--"]
    return subprocess.run(
        [*head, "--quiet", *args], capture_output=True, text=True, env=env(), timeout=timeout
    )


def grid_workspace(ws: Path, *, plan: bool = True, day: str | None = "2024-06-03") -> Path:
    """A workspace on the test grid with three subscribers, planned, with one day run."""
    from route.cli.main import main

    subs = ws.parent / f"{ws.name}-subscribers.csv"
    subs.write_text(SUBSCRIBERS)
    grid = str(DATA / "tiny.osm")
    assert main(["--quiet", "init", str(ws), "--network", grid, "--depot", "60.1705,24.9420"]) == 0
    assert main(["--quiet", "import", str(ws), str(subs)]) == 0
    if plan:
        assert main(["--quiet", "plan", str(ws), "--time-limit", "1"]) == 0
        if day:
            assert main(["--quiet", "day", str(ws), "--date", day]) == 0
    return ws


def state(ws: Path) -> dict[str, Any]:
    """The workspace's logical state: every table (minus creation times) and the day files."""
    con = sqlite3.connect(ws / DB_NAME)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        tables = {
            "subscribers": "SELECT id, data, active, position FROM subscribers ORDER BY id",
            "books": "SELECT version, note, data FROM route_books ORDER BY version",
            "days": "SELECT date, route_version, data FROM days ORDER BY date",
            "ledger": "SELECT seq, date, subscriber_id, kind, product, detail FROM ledger "
            "ORDER BY seq",
            "holds": "SELECT seq, subscriber_id, start_date, end_date, note, source, "
            "cancelled_from FROM holds ORDER BY seq",
            "meta": "SELECT key, value FROM meta ORDER BY key",
        }
        out: dict[str, Any] = {k: [list(r) for r in con.execute(q)] for k, q in tables.items()}
    finally:
        con.close()
    folder = ws / "days"
    out["day_files"] = sorted(
        [str(p.relative_to(ws)), p.read_text(encoding="utf-8")] for p in folder.glob("*/day.json")
    )
    return out


def consistent_files(ws: Path) -> bool:
    """Whether every stored day has its day.json with the stored text, and nothing else does."""
    s = state(ws)
    return s["day_files"] == sorted([f"days/{d}/day.json", data] for d, _v, data in s["days"])


def _scenario(kind: str, argv: list[str]) -> dict[str, Any]:
    sep = argv.index("--")
    head, args = argv[:sep], argv[sep + 1 :]
    ws = Path(head[0])
    report: dict[str, Any] = {"before": state(ws)}
    if kind == "full-disk":
        # The small disk is mounted over the workspace itself, its files copied onto it: every
        # path stays as it was (the network file is found relative to the workspace).
        mount, spare = ws, int(head[1])
        saved = ws.with_name(ws.name + "-saved")
        shutil.copytree(ws, saved)
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)], check=True)
        shutil.copytree(saved, ws, dirs_exist_ok=True)
        filler = mount / ".filler"
        fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
        try:  # fill the disk to the last byte (unbuffered: the failing write is the last)
            while True:
                os.write(fd, b"\xff" * 4096)
        except OSError:
            pass
        os.ftruncate(fd, max(0, os.fstat(fd).st_size - spare))  # then leave SPARE of room
        os.close(fd)
    else:
        subprocess.run(["mount", "--bind", str(ws), str(ws)], check=True)
        subprocess.run(["mount", "-o", "remount,bind,ro", str(ws), str(ws)], check=True)
    run = paperroute(*args)
    report["code"], report["stderr"] = run.returncode, run.stderr
    if kind == "full-disk":
        filler.unlink()  # reading the database needs room too (its -shm file)
        report["after_fault"] = state(ws)
    else:
        subprocess.run(["umount", str(ws)], check=True)
        report["after_fault"] = state(ws)
    again = paperroute(*args)
    report["again_code"], report["again_stderr"] = again.returncode, again.stderr
    report["after_again"] = state(ws)
    report["files_consistent"] = consistent_files(ws)
    return report


if __name__ == "__main__":
    print(json.dumps(_scenario(sys.argv[1], sys.argv[2:])))
