"""Street travel between a route book's stops without a travel matrix.

A day bypasses the stops it skips and a sheet times the week's schedules: both need the travel
between stops that are not neighbours in the route book. :class:`BookTravel` answers
``travel(a, b)`` (ids; ``None`` for the depot at the start, or the end of the route at the end)
from the book's own legs where ``b`` follows ``a``, and measures any other pair on the street
network only when asked, a batch at a time (:meth:`prefetch`, :meth:`around`). Memory grows
with the pairs asked for, never with the square of the route.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence

from route.model.routebook import RouteBook
from route.network import CurbPoint, StreetIndex

Pair = tuple[str | None, str | None]


class BookTravel:
    """``travel(a, b)`` in whole metres and seconds between a route book's stops.

    ``index`` is the street index, or a function giving it (called only if a pair has to be
    measured, so a day or sheet whose pairs are all in the book never loads the network).
    A pair with no street path between gets ``(inf, inf)`` from :meth:`measured`; calling the
    object falls back to ``fallback`` for it (by default: along the book's legs).
    """

    def __init__(
        self,
        book: RouteBook,
        index: StreetIndex | Callable[[], StreetIndex],
        fallback: Callable[[str | None, str | None], tuple[int, int]] | None = None,
    ) -> None:
        self.book = book
        self._index = index
        self._fallback = fallback or along_legs(book)
        self._known: dict[Pair, tuple[float, float]] = {}
        self._curb: dict[str | None, CurbPoint] = {}
        self._where: dict[str, tuple[float, float]] = {}
        end = book.solver.get("end", "depot")
        self.open_end = end == "open"
        self._end_point = tuple(end) if isinstance(end, list | tuple) else None
        for r in book.routes:
            prev: str | None = None
            for s in r.stops:
                self._known[(prev, s.subscriber_id)] = (s.leg_m, s.leg_s)
                self._where[s.subscriber_id] = (s.curb_lat, s.curb_lon)
                prev = s.subscriber_id
            if prev is not None:
                self._known[(prev, None)] = (0, 0) if self.open_end else (r.return_m, r.return_s)
        self.measured_pairs = 0

    @property
    def index(self) -> StreetIndex:
        """The street index (loaded on first use)."""
        if not isinstance(self._index, StreetIndex):
            self._index = self._index()
        return self._index

    def _curbs(self, keys: Iterable[str | None], at_end: bool) -> list[CurbPoint]:
        """Curb points of stops (``None``: the depot, or with ``at_end`` the end point)."""
        out = []
        for k in keys:
            key = "\x00end" if k is None and at_end and self._end_point else k
            if key not in self._curb:
                if k is None:
                    lat, lon = (self.book.depot.lat, self.book.depot.lon)
                    if key == "\x00end" and self._end_point is not None:
                        lat, lon = self._end_point
                else:
                    lat, lon = self._where[k]
                self._curb[key] = self.index.snap([(lat, lon)])[0]
            out.append(self._curb[key])
        return out

    def _trivial(self, a: str | None, b: str | None) -> tuple[float, float] | None:
        if a == b:
            return 0, 0
        if b is None and self.open_end:
            return 0, 0  # an open route ends at its last stop
        return self._known.get((a, b))

    def prefetch(self, pairs: Iterable[Pair]) -> None:
        """Measure the pairs not known yet, all in one batch of street searches."""
        todo = [p for p in dict.fromkeys(pairs) if self._trivial(*p) is None]
        if not todo:
            return
        starts = self._curbs((a for a, _b in todo), at_end=False)
        ends = self._curbs((b for _a, b in todo), at_end=True)
        metres, seconds = self.index.travel(starts, ends)
        for p, m, s in zip(todo, metres, seconds, strict=True):
            self._known[p] = (_whole(m), _whole(s))
        self.measured_pairs += len(todo)

    def around(self, v: str, others: Sequence[str | None]) -> None:
        """Measure the legs between ``v`` and each of ``others``, both ways (two searches)."""
        (c,) = self._curbs([v], at_end=False)
        starts = self._curbs(others, at_end=False)
        ends = self._curbs(others, at_end=True)
        to = self.index.around(c, ends)
        back = self.index.around(c, starts)
        for k, tm, ts, fm, fs in zip(
            others, to.to_m, to.to_s, back.from_m, back.from_s, strict=True
        ):
            self._known.setdefault((v, k), (_whole(tm), _whole(ts)))
            self._known.setdefault((k, v), (_whole(fm), _whole(fs)))
        self.measured_pairs += 2 * len(others)

    def measured(self, a: str | None, b: str | None) -> tuple[float, float]:
        """The pair's metres and seconds (``inf`` if no street joins them), measured if new."""
        known = self._trivial(a, b)
        if known is None:
            self.prefetch([(a, b)])
            known = self._known[(a, b)]
        return known

    def __call__(self, a: str | None, b: str | None) -> tuple[int, int]:
        m, s = self.measured(a, b)
        if not (math.isfinite(m) and math.isfinite(s)):
            return self._fallback(a, b)
        return int(m), int(s)


def along_legs(book: RouteBook) -> Callable[[str | None, str | None], tuple[int, int]]:
    """Travel measured along the book's own legs (a stop passed by is on the same streets)."""
    at: dict[str, tuple[int, int]] = {}
    ends: dict[str, tuple[int, int]] = {}
    for r in book.routes:
        m = s = 0
        for stop in r.stops:
            m, s = m + stop.leg_m, s + stop.leg_s
            at[stop.subscriber_id] = (m, s)
        for stop in r.stops:
            ends[stop.subscriber_id] = (m + r.return_m, s + r.return_s)

    def travel(a: str | None, b: str | None) -> tuple[int, int]:
        am, a_s = (0, 0) if a is None else at[a]
        bm, b_s = ends.get(a or "", (0, 0)) if b is None else at[b]
        return abs(bm - am), abs(b_s - a_s)

    return travel


def _whole(v: float) -> float:
    """Whole metres or seconds as the planning matrices round them (``inf`` kept)."""
    return float(round(v)) if math.isfinite(v) else math.inf
