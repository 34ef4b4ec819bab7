"""A workspace's districts: sizes asked for, subscribers snapped and measured, the assignment,
and what each district is estimated to take.

:func:`make_districts` turns subscribers and a street network into districts (new ones, or a
rebalance of the current ones); :func:`join_districts` puts new subscribers into the nearest
district with room, moving nobody else. Both are pure: the command reads and writes the
workspace.

**The work estimate** (``--max-hours`` and the table). A district of ``n`` stops whose
points' convex hull has area ``A`` drives about :data:`TOUR_FACTOR` x sqrt(n A) between its
stops (the Beardwood-Halton-Hammersley law for a shortest tour through points spread over an
area, the factor fitted to planned routes on the street network), plus the trip from the
depot to its nearest stop and back on the streets. Its hours are that distance at the
network's median street speed plus each stop's handling and walk-in (as the plan times them).
``--max-hours H`` starts with the districts that the mean per stop needs (the same law over
the whole area) and adds districts while one's estimate is over H. The estimate is a planning
figure, not the route: ``plan`` measures the routes.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from shapely.geometry import MultiPoint

from route.districts.assign import DEFAULT_TOLERANCE, Assignment, Capacity, assign
from route.districts.streets import StreetRows
from route.errors import InputError, Issue, input_error
from route.model.subscriber import Depot, Subscriber, district_name
from route.network import StreetIndex
from route.routebook.plan import walk_in

#: Planned street metres over sqrt(stops x hull area) of a district's route, without the
#: depot trip: fitted to planned routes of 28-105 stops on the embedded walk network (the
#: shortest tour through random points in a plane has 0.71; streets, curbs and one side of the
#: street at a time make it longer).
TOUR_FACTOR = 1.6
#: Extra districts ``--max-hours`` tries before it gives up on fitting every estimate.
_MORE_TRIES = 8
#: A depot trip cap where no street path joins (metres).
_FAR_M = 100_000.0
_NAME = re.compile(r"^D(\d+)$")


@dataclass(frozen=True, slots=True)
class Size:
    """The size asked for: exactly one of ``routes``, ``max_stops`` and ``max_hours``."""

    routes: int | None = None
    max_stops: int | None = None
    max_hours: float | None = None
    tolerance: float = DEFAULT_TOLERANCE

    def flag(self) -> str:
        """The flag as the user gave it."""
        if self.routes is not None:
            return f"--routes {self.routes}"
        if self.max_stops is not None:
            return f"--max-stops {self.max_stops}"
        return f"--max-hours {self.max_hours:g}"


@dataclass(frozen=True, slots=True)
class DistrictRow:
    """One district in the ``districts`` table."""

    name: str
    stops: int
    fixed: int
    km: float
    hours: float


@dataclass(frozen=True, slots=True)
class Districts:
    """Districts made for a workspace.

    Attributes
    ----------
    membership
        Subscriber id -> district name, for every subscriber given.
    rows
        One per district, in name order.
    moved
        (id, from, to) for each subscriber whose district changed (a rebalance).
    high
        The most stops a district may hold (new subscribers join one with fewer).
    per_stop_s
        The work estimate per stop, mean over the subscribers (seconds).
    """

    membership: dict[str, str]
    rows: tuple[DistrictRow, ...]
    moved: tuple[tuple[str, str, str], ...]
    high: int
    per_stop_s: float


def district_number(name: str) -> int | None:
    """A stored district name's 1-based number (``D07`` is 7), or ``None``."""
    m = _NAME.match(name)
    return int(m[1]) if m else None


class _Measured:
    """Subscribers snapped, with street distances and the per-stop work estimate."""

    def __init__(self, subs: Sequence[Subscriber], depot: Depot, index: StreetIndex) -> None:
        curbs = index.snap([(depot.lat, depot.lon)] + [(s.spot.lat, s.spot.lon) for s in subs])
        self.depot_curb, self.curbs = curbs[0], curbs[1:]
        self.xy = np.array([(c.x, c.y) for c in self.curbs]).reshape(-1, 2)
        self.rows = StreetRows(index, curbs)  # the depot is point 0
        self.index = index
        self.speed = _street_speed(index)
        handling = np.array(
            [walk_in(s, c, index)[1] for s, c in zip(subs, self.curbs, strict=True)]
        )
        self.handling_s = handling
        self.depot_row = self.rows(np.array([0]))[0, 1:]
        # The mean drive per stop over the whole area (the sizes --max-hours starts from).
        self.leg_m = tour_m(self.xy) / max(1, len(subs))
        self.stop_s = handling + self.leg_m / self.speed

    def distance_rows(self, sources: np.ndarray) -> np.ndarray:
        """Street metres between subscribers (the depot left out)."""
        out: np.ndarray = self.rows(np.asarray(sources) + 1)[:, 1:]
        return out

    def district_m(self, members: np.ndarray) -> float:
        """The estimated street metres of a district's route: its tour and the depot trip."""
        if len(members) == 0:
            return 0.0
        depot = float(np.min(np.minimum(self.depot_row[members], _FAR_M)))
        return tour_m(self.xy[members]) + 2 * depot


def tour_m(xy: np.ndarray) -> float:
    """The estimated street metres of a tour through points (an ``(n, 2)`` array in metres):
    :data:`TOUR_FACTOR` x sqrt(n x the area of their convex hull), at least the straight
    line twice across them (points in a row have no area)."""
    n = len(xy)
    if n < 2:
        return 0.0
    span = float(np.hypot(*np.ptp(xy, axis=0)))
    area = MultiPoint([tuple(p) for p in xy]).convex_hull.area if n > 2 else 0.0
    return max(TOUR_FACTOR * math.sqrt(n * area), 2 * span)


def _street_speed(index: StreetIndex) -> float:
    """The network's median street speed, metres per second."""
    speeds = [
        float(d["length"]) / float(d["travel_time"])
        for _u, _v, d in index.net.G.edges(data=True)
        if float(d.get("travel_time", 0)) > 0
    ]
    return float(np.median(speeds)) if speeds else 1.0


def _rows(m: _Measured, a: Assignment, subs: Sequence[Subscriber]) -> tuple[DistrictRow, ...]:
    out = []
    for j in range(a.count):
        members = np.flatnonzero(a.district == j)
        metres = m.district_m(members)
        seconds = float(m.handling_s[members].sum()) + metres / m.speed
        fixed = sum(1 for i in members.tolist() if subs[i].fixed_district is not None)
        name = district_name(j + 1, a.count)
        out.append(DistrictRow(name, len(members), fixed, metres / 1000, seconds / 3600))
    return tuple(out)


def _fixed(subs: Sequence[Subscriber], count: int) -> list[int | None]:
    bad = [
        Issue(
            s.id,
            f"fixed to district {s.fixed_district}, but there are {count} districts",
            "change the subscriber's 'carrier'/'district' in the subscriber file, or ask for "
            "more districts",
            value=district_name(s.fixed_district, count),
        )
        for s in subs
        if s.fixed_district is not None and s.fixed_district > count
    ]
    if bad:
        raise InputError(bad)
    return [None if s.fixed_district is None else s.fixed_district - 1 for s in subs]


def _capacity(size: Size, n: int, count: int | None = None) -> Capacity:
    if size.max_stops is not None:
        if count is None:
            return Capacity.at_most(n, size.max_stops, size.tolerance)
        return Capacity.balanced(n, count, size.tolerance, size.max_stops)
    return Capacity.balanced(n, count if count is not None else size.routes or 1, size.tolerance)


def _solve(
    m: _Measured,
    subs: Sequence[Subscriber],
    cap: Capacity,
    current: list[int | None] | None,
    move_cost: int | None,
) -> Assignment:
    try:
        return assign(
            m.xy,
            cap,
            distance_rows=m.distance_rows,
            fixed=_fixed(subs, cap.count),
            current=current,
            move_penalty_m=move_cost,
        )
    except ValueError as e:
        if isinstance(e, InputError):
            raise
        raise input_error(
            "districts",
            str(e),
            "ask for fewer, larger districts, or fix fewer subscribers to one district",
        ) from e


def make_districts(
    subscribers: Sequence[Subscriber],
    depot: Depot,
    index: StreetIndex,
    size: Size | None,
    current: Mapping[str, str] | None = None,
    move_cost: int | None = None,
) -> Districts:
    """Districts for ``subscribers``: new ones, or a rebalance of ``current``.

    Parameters
    ----------
    subscribers
        The active subscribers.
    depot
        Where bundles are picked up (for the estimate of each district's trip).
    index
        The street network.
    size
        How many or how large; ``None`` for a rebalance keeps the current number.
    current
        Subscriber id -> district name now (a rebalance): moving one costs ``move_cost``, so
        a subscriber moves only when that brings them clearly nearer a centre; new
        subscribers join freely.
    move_cost
        Metres one move must save (default: :func:`~route.districts.assign.default_move_cost`,
        a few neighbour spacings).

    Raises
    ------
    InputError
        If the size cannot hold the subscribers, or fixed subscribers name a district that
        does not exist or fill one past its size.
    """
    subs = list(subscribers)
    n = len(subs)
    if n == 0:
        raise input_error("districts", "the workspace has no subscribers", "import some first")
    now = None
    if current:
        numbers = [district_number(current.get(s.id, "")) for s in subs]
        count = max(d for d in numbers if d is not None)
        size = size or Size(routes=count)
    if size is None:
        raise input_error("districts", "no size given", "give --routes, --max-stops or --max-hours")
    asked = size.routes or (math.ceil(n / size.max_stops) if size.max_stops else 1)
    if asked > n:
        raise input_error(
            size.flag(),
            f"{asked} districts for {n} subscribers",
            f"ask for at most {n} districts",
        )
    m = _Measured(subs, depot, index)
    if size.max_hours is not None:
        mean = float(m.stop_s.mean())
        most = max(1, math.floor(size.max_hours * 3600 / mean))
        per = Size(max_stops=most, tolerance=size.tolerance)
        cap = _capacity(per, n)
    else:
        per = size
        cap = _capacity(size, n)
    if current:
        now = [None if d is None or d > cap.count else d - 1 for d in numbers]
    a = _solve(m, subs, cap, now, move_cost)
    rows = _rows(m, a, subs)
    tries = 0
    while size.max_hours is not None and tries < _MORE_TRIES and cap.count < n:
        if max(r.hours for r in rows) <= size.max_hours:
            break
        tries += 1
        cap = _capacity(per, n, cap.count + 1)
        a = _solve(m, subs, cap, now, move_cost)
        rows = _rows(m, a, subs)
    membership = a.names([s.id for s in subs])
    moved = tuple(
        (s.id, current[s.id], membership[s.id])
        for s in subs
        if current and s.id in current and current[s.id] != membership[s.id]
    )
    return Districts(membership, rows, moved, max(cap.high), float(m.stop_s.mean()))


def join_districts(
    subscribers: Sequence[Subscriber],
    new_ids: Sequence[str],
    current: Mapping[str, str],
    high: int,
    index: StreetIndex,
) -> tuple[dict[str, str], tuple[str, ...]]:
    """Put new subscribers into districts, moving nobody else.

    A subscriber fixed to a district (``carrier``/``district``) goes there; any other joins the
    district of their nearest subscriber on the streets that has fewer than ``high`` stops (or
    the nearest, if none has room). Returns (new id -> district, districts now over ``high``).
    """
    subs = list(subscribers)
    count = max(d for d in (district_number(v) for v in current.values()) if d is not None)
    known = [i for i, s in enumerate(subs) if s.id in current]
    pos = {s.id: i for i, s in enumerate(subs)}
    sizes: dict[str, int] = {}
    for name in current.values():
        sizes[name] = sizes.get(name, 0) + 1
    curbs = index.snap([(s.spot.lat, s.spot.lon) for s in subs])
    rows = StreetRows(index, curbs)
    joined: dict[str, str] = {}
    for sid in new_ids:
        s = subs[pos[sid]]
        if s.fixed_district is not None:
            if s.fixed_district > count:
                raise input_error(
                    sid,
                    f"fixed to district {s.fixed_district}, but there are {count} districts",
                    "give a district that exists, or add one: paperroute districts WS "
                    f"--rebalance --routes {s.fixed_district}",
                    value=district_name(s.fixed_district, count),
                )
            name = district_name(s.fixed_district, count)
        else:
            dist = rows(np.array([pos[sid]]))[0, known]
            best: dict[str, float] = {}
            for i, d in zip(known, dist, strict=True):
                name = current.get(subs[i].id) or joined[subs[i].id]
                best[name] = min(best.get(name, math.inf), float(d))
            ranked = sorted(best, key=lambda k: (best[k], k))
            name = next((k for k in ranked if sizes.get(k, 0) < high), ranked[0])
        joined[sid] = name
        sizes[name] = sizes.get(name, 0) + 1
        known.append(pos[sid])
    over = tuple(sorted(k for k, v in sizes.items() if v > high))
    return joined, over
