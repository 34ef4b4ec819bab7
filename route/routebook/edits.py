"""What a stable edit returns: the new route book, where each subscriber went, and whether
anything changed at all (when nothing did, nothing is written)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from route.model.routebook import FAR, NO_PLACE, UNREACHABLE, WINDOW, RouteBook
from route.model.subscriber import Subscriber

#: Subscribers unserved for these reasons come back only with a new spot, window, service or
#: quantity (or a new network or depot, which plans again).
OWN_DATA_ONLY = (FAR, UNREACHABLE, WINDOW)


@dataclass(frozen=True, slots=True)
class Placed:
    """Where a stable edit put a subscriber (``carrier`` and ``position`` 0-based; the
    neighbours by id, ``None`` for the depot or the end)."""

    subscriber_id: str
    carrier: int
    position: int
    added_m: int
    added_s: int
    after: str | None
    before: str | None


@dataclass(frozen=True)
class Edit:
    """A new route book from a stable edit, and what happened to whom.

    ``changed`` is false when the edit leaves the routes and the unserved list as they were:
    then there is nothing to write.
    """

    book: RouteBook
    placements: tuple[tuple[str, Placed], ...]
    inserted_ids: tuple[str, ...]
    removed_ids: tuple[str, ...]
    unplaced_ids: tuple[str, ...]
    base: RouteBook

    @property
    def changed(self) -> bool:
        """Whether the routes or the unserved list differ from the book edited."""
        return self.book.routes != self.base.routes or self.book.unserved != self.base.unserved

    def where(self, pl: Placed) -> str:
        """A placement as words: carrier, stop number, neighbours, added cost."""
        stop = self.book.stop_of(pl.subscriber_id)
        seq = stop[1].seq if stop else pl.position + 1
        after = "the depot" if pl.after is None else pl.after
        before = "the depot" if pl.before is None else pl.before
        if pl.before is None and self.book.solver.get("end") not in (None, "depot"):
            before = "the end of the route"
        return (
            f"carrier {pl.carrier + 1}, stop {seq}, between {after} and {before} "
            f"({pl.added_m:+} m, {pl.added_s / 60:+.1f} min)"
        )


@dataclass(frozen=True)
class Work:
    """What a stable edit has to do: stops to take out, and subscribers to slot in (in order)."""

    gone: frozenset[str]
    again: tuple[str, ...]
    todo: tuple[str, ...]

    def __bool__(self) -> bool:
        return bool(self.gone or self.todo)


def edit_work(
    book: RouteBook, subscribers: Sequence[Subscriber], changed: Sequence[str] = ()
) -> Work:
    """Who an edit takes out and slots in; found without the street network.

    Routed subscribers not among ``subscribers`` go; ``changed`` ones on the route go and come
    back; new ones come in, in the order given; unserved ones are retried when their own data
    changed, when no place kept their promises and a stop is leaving the route, or when the
    reason is not recorded (books written before it was).
    """
    current = {s.id for s in subscribers}
    routed = set(book.order)
    changed_set = set(changed)
    gone = frozenset(x for x in routed if x not in current)
    again = tuple(x for x in changed if x in routed and x in current)
    room_freed = bool(gone or again)
    unserved = {u.subscriber_id: u for u in book.unserved}
    todo: list[str] = []
    for s in subscribers:
        x = s.id
        if x in routed:
            continue
        u = unserved.get(x)
        if u is None or x in changed_set:
            todo.append(x)
        elif u.kind in OWN_DATA_ONLY:
            continue
        elif u.kind != NO_PLACE or room_freed:
            todo.append(x)
    return Work(gone, again, (*todo, *again))
