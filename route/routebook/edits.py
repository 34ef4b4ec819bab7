"""What a stable edit returns: the new route book, where each subscriber went, and whether
anything changed at all (when nothing did, nothing is written)."""

from __future__ import annotations

from dataclasses import dataclass

from route.model.routebook import RouteBook


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
            f"(+{pl.added_m} m, +{pl.added_s / 60:.1f} min)"
        )
