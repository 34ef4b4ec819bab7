"""Route books on a Manhattan street grid (metres = seconds), timed by the earliest-start rule
as the route book is, for tests of a day's times, sheets and maps."""

from __future__ import annotations

from dataclasses import replace

from route.model.routebook import CarrierRoute, RouteBook, Stop
from tests._daykit import DEPOT
from tests._daykit import sub as make_sub

START = 5 * 3600


def clock(hhmm: str) -> int:
    h, m = hhmm.split(":")
    return int(h) * 3600 + int(m) * 60


def grid_book(points, walk_s, windows, carriers):
    """A route book on a Manhattan grid (metres = seconds), timed by the earliest-start rule.

    ``points[i]`` is subscriber ``s{i}``'s curb point; ``carriers`` lists each carrier's ids.
    Returns the book and the street metric (``None`` = the depot at (0, 0)).
    """
    pos = {None: (0, 0), **{f"s{i}": p for i, p in enumerate(points)}}

    def street(a, b):
        (xa, ya), (xb, yb) = pos[a], pos[b]
        d = abs(xa - xb) + abs(ya - yb)
        return d, d

    routes = []
    for c, ids in enumerate(carriers, start=1):
        t, prev, stops, metres = START, None, [], 0
        for seq, sid in enumerate(ids, start=1):
            m, s = street(prev, sid)
            earliest = windows.get(sid, (None, None))[0]
            arrival = max(t + s, earliest) if earliest is not None else t + s
            stops.append(Stop(seq, sid, 60.17, 24.94, arrival, m, s, 10, walk_s[sid]))
            t = arrival + walk_s[sid]
            metres += m
            prev = sid
        back_m, back_s = street(prev, None) if ids else (0, 0)
        routes.append(
            CarrierRoute(
                carrier=c,
                stops=tuple(stops),
                legs=tuple(() for _ in range(len(stops) + 1)),
                distance_m=metres + back_m,
                duration_s=(t + back_s - START) if ids else 0,
                walk_in_m=10 * len(stops),
                walk_in_s=sum(walk_s[s] for s in ids),
                return_m=back_m,
                return_s=back_s,
            )
        )
    book = RouteBook(mode="walk", depot=DEPOT, start_s=START, routes=tuple(routes))
    return book, street


def subscribers(n, windows, **kw):
    out = []
    for i in range(n):
        e, latest = windows.get(f"s{i}", (None, None))
        out.append(replace(make_sub(f"s{i}", **kw.get(f"s{i}", {})), earliest=e, latest=latest))
    return out
