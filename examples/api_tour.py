"""The Python API in twenty lines: network, subscribers, route book, map, and the lesson.

What it teaches: the data flows one way, and every step is one call. Load a street network,
read subscribers, plan the fixed route (the route book), draw it as a map that works offline,
and measure the value disciplines on the same data. Run::

    python examples/api_tour.py                      # writes maps/api_tour_map.html
    python examples/api_tour.py --out /tmp/tour --time-limit 1
"""

import sys
import tempfile
from datetime import date
from pathlib import Path

from _common import parser

import route
from route import DEMO_DEPOT, write_demo_csv

args = parser(__doc__).parse_args(sys.argv[1:])
args.out.mkdir(parents=True, exist_ok=True)

net = route.load_network("demo", "walk")  # or "town.osm.pbf", "map.graphml", a place name
index = route.StreetIndex(net)  # snapping to curb points, street matrices, leg geometry
csv = write_demo_csv(Path(tempfile.gettempdir()) / "paperroute-tour.csv")  # or your own CSV
subs = route.read_subscribers(csv).subscribers
book = route.plan(subs, DEMO_DEPOT, index, route.PlanOptions(time_limit=args.time_limit, seed=0))
print(f"{len(book.order)} stops, {book.distance_m / 1000:.2f} km, {book.duration_s / 60:.0f} min")
for carrier, stop in filter(None, (book.stop_of(s.id) for s in subs if s.name == "Mr North")):
    print(f"Mr North is stop {stop.seq} of carrier {carrier}; walk-in {stop.walk_in_m} m")
map_path = args.out / "api_tour_map.html"  # self-contained: works offline, no CDN
print(f"Map: {route.save_offline(route.plan_map(book, subs), map_path)}")
lesson = route.compare_disciplines(
    subs, DEMO_DEPOT, index, week_start=date(2025, 3, 3), time_limit=args.time_limit, book=book
)
print(lesson.table())
