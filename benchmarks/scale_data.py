"""Deterministic subscribers on the streets of the embedded Helsinki walk network.

``benchmarks/scale.py`` plans workspaces of 500 to 5,000 of them. The rows are drawn once, from a
fixed seed, and kept in ``benchmarks/data/scale/``: the benchmark reads the files, so a change in
the network package cannot change what is measured without showing up as a changed file.

- ``subscribers.csv``: 5,000 subscribers; a size N takes the first N rows.
- ``new.csv``: one more subscriber, imported into each planned route.

Each subscriber lives 6 to 30 m off a street segment chosen with probability proportional to
its length; spot kinds, schedules, tiers, products, substitutes, rain rules and hazards are
mixed as on a real round, and a few subscribers have a time window (some of which one carrier
walking 5,000 stops cannot meet: they are listed as unserved, which is part of what is measured).

Regenerate (only when the mix itself is meant to change):
``PYTHONPATH=. python benchmarks/scale_data.py``.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

DATA = Path(__file__).parent / "data" / "scale"
SEED = 20_240_613
TOTAL = 5000
DEPOT = (60.17098, 24.94335)  # the demo's bundle drop, Rautatientori

_SPOTS = (
    ("front_door", 0.38),
    ("mailbox", 0.2),
    ("porch", 0.1),
    ("step", 0.05),
    ("milk_box", 0.05),
    ("screen_door", 0.05),
    ("back_door", 0.05),
    ("lobby", 0.07),
    ("curb", 0.05),
)
_DAYS = (("daily", 0.75), ("Mon-Sat", 0.15), ("Sun", 0.05), ("Mon,Wed,Fri", 0.05))
_COLUMNS = [
    "id",
    "name",
    "lat",
    "lon",
    "spot",
    "instructions",
    "days",
    "tier",
    "product",
    "substitutes",
    "earliest",
    "latest",
    "rain",
    "hazard",
]


def _pick(rng: np.random.Generator, table: tuple[tuple[str, float], ...]) -> str:
    names, weights = zip(*table, strict=True)
    w = np.asarray(weights) / sum(weights)
    return str(names[int(rng.choice(len(names), p=w))])


def rows(count: int, *, seed: int = SEED, first: int = 1) -> list[dict[str, str]]:
    """``count`` subscriber rows on the embedded walk network, the same for the same seed."""
    from route.io.osm import load_network
    from route.network import StreetIndex

    index = StreetIndex(load_network("demo", "walk"))
    geoms = index._geoms  # one line per usable street segment
    lengths = np.array([g.length for g in geoms])
    rng = np.random.default_rng(seed)
    seg = rng.choice(len(geoms), size=count, p=lengths / lengths.sum())
    out = []
    for k in range(count):
        i = first + k
        line = geoms[int(seg[k])]
        along = float(rng.uniform(0.05, 0.95)) * line.length
        a = line.interpolate(max(0.0, along - 0.5))
        b = line.interpolate(min(line.length, along + 0.5))
        dx, dy = b.x - a.x, b.y - a.y
        norm = max(1e-9, (dx * dx + dy * dy) ** 0.5)
        side = 1.0 if rng.random() < 0.5 else -1.0
        off = float(rng.uniform(6.0, 30.0)) * side
        p = line.interpolate(along)
        lat, lon = index.to_latlon([(p.x - dy / norm * off, p.y + dx / norm * off)])[0]
        product = "tabloid" if rng.random() < 0.15 else "paper"
        other = "paper" if product == "tabloid" else "tabloid"
        subs = other if rng.random() < 0.35 else "none"
        earliest = latest = ""
        r = rng.random()
        if r < 0.02:
            latest = f"{int(rng.integers(6, 10)):02d}:{int(rng.integers(0, 4)) * 15:02d}"
        elif r < 0.04:
            earliest = f"05:{int(rng.integers(1, 4)) * 15:02d}"
        spot = _pick(rng, _SPOTS)
        out.append(
            {
                "id": f"B{i:05d}",
                "name": f"Subscriber {i}",
                "lat": f"{lat:.7f}",
                "lon": f"{lon:.7f}",
                "spot": spot,
                "instructions": "" if rng.random() < 0.7 else f"{spot.replace('_', ' ')}, left",
                "days": _pick(rng, _DAYS),
                "tier": "household"
                if i == 1
                else _pick(rng, (("paying", 0.95), ("complimentary", 0.03), ("sample", 0.02))),
                "product": product,
                "substitutes": subs,
                "earliest": earliest,
                "latest": latest,
                "rain": "bag" if rng.random() < 0.3 else "",
                "hazard": "dog in the yard" if rng.random() < 0.02 else "",
            }
        )
    return out


def write(path: Path, table: list[dict[str, str]]) -> Path:
    """Write rows as a subscriber CSV."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=_COLUMNS, lineterminator="\n")
        w.writeheader()
        w.writerows(table)
    return path


def main() -> None:
    write(DATA / "subscribers.csv", rows(TOTAL))
    write(DATA / "new.csv", rows(1, seed=SEED + 1, first=TOTAL + 1))
    print(f"Wrote {DATA / 'subscribers.csv'} ({TOTAL} rows) and {DATA / 'new.csv'}")


if __name__ == "__main__":
    main()
