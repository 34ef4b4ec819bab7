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

#: Largest matrix entry the solvers accept (about 11 days in seconds, 1,000 km in metres).
MAX_MATRIX_VALUE: Final = 1_000_000

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
