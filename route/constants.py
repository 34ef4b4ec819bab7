"""Units, speeds and handling times: the one place they are defined.

Distances are metres and durations seconds throughout. The solvers take integers, so matrices
are rounded to whole metres and whole seconds; :data:`MAX_MATRIX_VALUE` bounds what a matrix may
hold (a larger value means a stop is unreachable and is reported as such).
"""

from __future__ import annotations

from typing import Final

#: The release, as ``paperroute --version`` and ``route.__version__`` give it (pyproject's).
VERSION: Final = "0.2.0"

#: Travel modes and their network type in pyrosm/OSMnx terms.
MODES: Final = ("walk", "bike", "drive")
PYROSM_NETWORK: Final = {"walk": "walking", "bike": "cycling", "drive": "driving"}
OSMNX_NETWORK: Final = {"walk": "walk", "bike": "bike", "drive": "drive"}

#: Cruising speed on the street network, metres per second. Walk 4.7 km/h (a carrier with a bag),
#: bike 15 km/h (with stops at every door). Drive uses the edge's ``maxspeed`` or the road class
#: default below, times :data:`DRIVE_SPEED_FACTOR` for junctions and kerbside stops.
MODE_SPEED_MPS: Final = {"walk": 1.3, "bike": 4.2}
DRIVE_DEFAULT_KPH: Final = {
    "motorway": 80,
    "trunk": 60,
    "primary": 50,
    "secondary": 40,
    "tertiary": 40,
    "unclassified": 30,
    "residential": 30,
    "living_street": 20,
    "service": 15,
}
DRIVE_FALLBACK_KPH: Final = 30
DRIVE_SPEED_FACTOR: Final = 0.7

#: Walking speed on foot between the curb point and the spot (any mode), metres per second.
WALK_IN_SPEED_MPS: Final = 1.2

#: Seconds to hand over or place the item at each kind of delivery spot (opening the milk box,
#: the screen door, climbing to the porch). The walk-in is timed separately from the distance.
SPOT_HANDLING_S: Final = {
    "curb": 5,
    "tube": 8,
    "mailbox": 10,
    "porch": 10,
    "step": 10,
    "front_door": 15,
    "side_door": 15,
    "garage": 15,
    "milk_box": 20,
    "screen_door": 25,
    "back_door": 25,
    "lobby": 40,
    "custom": 20,
}
SPOT_KINDS: Final = tuple(SPOT_HANDLING_S)

#: Extra seconds for bagging an item on a rainy day.
RAIN_BAG_S: Final = 5

#: A spot farther than this from any usable street is reported as unreachable.
MAX_SNAP_M: Final = 300.0

#: A location farther than this outside the street network's extent is refused at import as a
#: data error (latitude and longitude swapped, or another town's data); closer ones are kept and
#: reported "not served" by the plan when no street is near (:data:`MAX_SNAP_M`).
MAX_OUTSIDE_NETWORK_M: Final = 10_000.0

# -- input limits, documented in the README ("Limits"); beyond them a file is refused --------

#: Largest subscriber or day file read, in bytes.
MAX_FILE_BYTES: Final = 64 * 1024 * 1024
#: Most data rows in one subscriber or day file.
MAX_ROWS: Final = 20_000
#: Longest id and product name, in characters.
MAX_ID_CHARS: Final = 64
#: Longest name, address, instructions, hazard or note, in characters.
MAX_TEXT_CHARS: Final = 1_000
#: Most items of one product for one subscriber a day.
MAX_QUANTITY: Final = 1_000
#: Longest handling time at one stop (``service_s``), in seconds.
MAX_SERVICE_S: Final = 3_600
#: Most items of one product in a day's supply.
MAX_SUPPLY: Final = 1_000_000

#: Largest matrix entry the solvers accept (about 11 days in seconds, 1,000 km in metres).
MAX_MATRIX_VALUE: Final = 1_000_000

#: Bounds for planning (``route.routebook.plan.PlanOptions`` and the ``plan`` flags).
MAX_CARRIERS: Final = 1000
MAX_TIME_LIMIT_S: Final = 24 * 3600
MAX_SHIFT_S: Final = 48 * 3600
MAX_BALANCE: Final = 1_000_000
#: Most items one carrier's bag holds (``--capacity``).
MAX_CAPACITY: Final = 1_000_000
#: Most rounds of the skip-aware search's perturbation (``--kicks``), each about as long as the
#: first search.
MAX_KICKS: Final = 100
#: Most days ``skips`` simulates (``--days``).
MAX_SIMULATED_DAYS: Final = 366
#: Longest a writer waits for another to finish (``--wait``), in seconds.
MAX_WAIT_S: Final = 24 * 3600
#: Largest pay rate (``rates --per-stop``, ``--per-piece``, ``--per-km``, ``--per-hour``).
MAX_RATE: Final = 1_000_000

#: Tiers, in the order the default shortage policy lets them go without.
TIERS: Final = ("household", "sample", "complimentary", "paying")

#: Default start of a carrier's shift, seconds after midnight (05:00).
DEFAULT_START_S: Final = 5 * 3600

WEEKDAYS: Final = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

#: The credit every map, sheet and export that draws OpenStreetMap data carries (ODbL).
OSM_CREDIT = "© OpenStreetMap contributors"
#: The same credit as HTML, for a map's attribution control.
OSM_ATTRIBUTION = (
    '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors (ODbL)'
)
