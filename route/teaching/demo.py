"""The demo route: subscribers on real addressed buildings of the embedded Helsinki extract.

The choice is deterministic (sorted by OSM id, a fixed seed), so every machine builds the same
demo. The story's customers are there: Mr North's milk box on the left side of the garage, the
step inside the screen-door walkway of a 90-year-old, the back doorway of the castle-like house
with dogs next door, porches and mailboxes, a few complimentary copies and the carrier's own
household.
"""

from __future__ import annotations

import csv
import math
import random
from pathlib import Path

from route.io.osm import Building, load_buildings
from route.model.subscriber import Depot

#: The drop point where the morning bundles arrive (Rautatientori, by the central station).
DEMO_DEPOT = Depot(lat=60.17098, lon=24.94335, name="Bundle drop, Rautatientori")
DEMO_SEED = 7
DEMO_SIZE = 80

_FIRST = (
    "Aino",
    "Eero",
    "Helmi",
    "Ilmari",
    "Kaarina",
    "Lauri",
    "Maija",
    "Niilo",
    "Oona",
    "Pekka",
    "Riikka",
    "Sampo",
    "Tuula",
    "Veikko",
    "Wilma",
    "Aleksi",
    "Elina",
    "Juho",
)
_LAST = (
    "Virtanen",
    "Korhonen",
    "Nieminen",
    "Mäkinen",
    "Hämäläinen",
    "Laine",
    "Heikkinen",
    "Koskinen",
    "Järvinen",
    "Lehtonen",
    "Saarinen",
    "Salminen",
    "Heinonen",
    "Niemi",
)

# (name, spot, instructions, tier, days, hazard, rain, earliest, latest, substitutes)
_STORY = [
    (
        "Mr North",
        "milk_box",
        "Milk box on the left side of the garage",
        "paying",
        "daily",
        "",
        "",
        "",
        "06:30",
        "none",
    ),
    (
        "Mr Lindqvist (90)",
        "screen_door",
        "On the step inside the screen-door walkway, never on the outer steps",
        "paying",
        "daily",
        "Icy steps in winter",
        "bag",
        "",
        "07:00",
        "tabloid",
    ),
    (
        "The castle (Ahlström family)",
        "back_door",
        "Throw it into the back doorway",
        "paying",
        "daily",
        "Dogs next door: stay on the path",
        "",
        "",
        "",
        "tabloid",
    ),
    (
        "Mrs Koivisto",
        "porch",
        "Under the porch bench",
        "paying",
        "Mon-Sat",
        "",
        "screen_door",
        "",
        "",
        "none",
    ),
    (
        "Café Engel",
        "mailbox",
        "Mailbox by the gate",
        "complimentary",
        "daily",
        "",
        "bag",
        "",
        "",
        "tabloid",
    ),
    (
        "City library",
        "lobby",
        "Lobby shelf, left of the lift",
        "complimentary",
        "Mon-Sat",
        "",
        "",
        "",
        "",
        "tabloid",
    ),
    (
        "Our own household",
        "front_door",
        "Our own copy: goes without first",
        "household",
        "daily",
        "",
        "",
        "",
        "",
        "none",
    ),
    (
        "Sample: Hotel Seurahuone",
        "lobby",
        "Front desk",
        "sample",
        "Mon-Fri",
        "",
        "",
        "",
        "",
        "none",
    ),
]
_KINDS = ("porch", "front_door", "mailbox", "lobby", "step", "side_door", "tube", "curb")
_DAYS = ("daily",) * 6 + ("Mon-Sat",) * 2 + ("Sun", "Mon,Wed,Fri")


def demo_rows(buildings: list[Building] | None = None) -> list[dict[str, str]]:
    """Return the demo subscribers as subscriber-file rows (column -> text)."""
    buildings = load_buildings("demo") if buildings is None else buildings
    rng = random.Random(DEMO_SEED)
    chosen = sorted(rng.sample(buildings, min(DEMO_SIZE, len(buildings))), key=lambda b: b.osm_id)
    rows = []
    for i, b in enumerate(chosen):
        # Spots sit a few metres from the building's point, in a direction fixed per building.
        angle = rng.uniform(0, 2 * math.pi)
        dist_m = rng.uniform(3, 9)
        slat = b.lat + dist_m * math.sin(angle) / 111_320
        slon = b.lon + dist_m * math.cos(angle) / (111_320 * math.cos(math.radians(b.lat)))
        row = {
            "id": f"S{i + 1:03d}",
            "name": f"{rng.choice(_FIRST)} {rng.choice(_LAST)}",
            "address": b.address,
            "lat": f"{b.lat:.7f}",
            "lon": f"{b.lon:.7f}",
            "spot": rng.choice(_KINDS),
            "spot_lat": f"{slat:.7f}",
            "spot_lon": f"{slon:.7f}",
            "instructions": "",
            "days": rng.choice(_DAYS),
            "tier": "paying",
            "product": "paper",
            "quantity": "1",
            "substitutes": rng.choice(("tabloid", "tabloid;weekly", "none", "")),
            "earliest": "",
            "latest": "",
            "rain": rng.choice(("bag", "", "", "screen_door")),
            "hazard": "",
            "service_s": "",
        }
        if row["spot"] == "curb":
            row["spot_lat"], row["spot_lon"] = "", ""
        if row["days"] == "Sun":
            row["product"] = "sunday"
            row["substitutes"] = "paper"
        rows.append(row)
    # Spread the story's customers over the route deterministically.
    slots = list(range(0, len(rows), max(1, len(rows) // len(_STORY))))[: len(_STORY)]
    for slot, story in zip(slots, _STORY, strict=False):
        name, spot, instr, tier, days, hazard, rain, earliest, latest, subs = story
        rows[slot].update(
            name=name,
            spot=spot,
            instructions=instr,
            tier=tier,
            days=days,
            hazard=hazard,
            rain=rain,
            earliest=earliest,
            latest=latest,
            substitutes=subs,
            product="paper",
        )
    return rows


def write_demo_csv(path: Path, rows: list[dict[str, str]] | None = None) -> Path:
    """Write the demo subscribers as a CSV file (the format users import)."""
    rows = demo_rows() if rows is None else rows
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return path
