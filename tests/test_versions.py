"""Route-book versions under any sequence of stable edits: never lost, never rewritten."""

from __future__ import annotations

import sqlite3
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from route.io.workspace import Settings, Workspace
from route.model.routebook import CarrierRoute, RouteBook, Stop
from route.model.subscriber import DeliverySpot, Depot, Subscriber
from route.routebook.diff import diff_books
from route.routebook.insertion import insert_stops, remove_stops
from route.routebook.timing import time_route
from tests.test_edit import euclid_problem

N = 12
_rng = np.random.default_rng(4)
PROBLEM = euclid_problem([(0, 0), *map(tuple, _rng.integers(-400, 400, size=(N, 2)))], carriers=2)


def book_of(routes) -> RouteBook:
    """A route book from node routes (no street geometry needed for versioning)."""
    out = []
    for c, r in enumerate(routes, start=1):
        t = time_route(PROBLEM, r)
        stops = tuple(
            Stop(i, f"S{n:02d}", 0.0, 0.0, a, 0, 0, 0, 0)
            for i, (n, a) in enumerate(zip(r, t.arrivals, strict=True), start=1)
        )
        out.append(CarrierRoute(c, stops, (), t.distance_m, t.finish_s, 0, 0))
    return RouteBook("walk", Depot(60.0, 25.0), 0, tuple(out))


def subscribers_of(routes) -> list[Subscriber]:
    """The subscribers a route book of node routes serves (the workspace checks the book
    against its active subscribers)."""
    return [
        Subscriber(f"S{n:02d}", 60.0, 25.0, DeliverySpot("porch", 60.0, 25.0))
        for r in routes
        for n in r
    ]


def save(ws: Workspace, routes, note: str) -> RouteBook:
    """Store the subscribers of ``routes`` as the active ones, then the book, in one change."""
    with ws.transaction():
        active = {s.id for s in ws.subscribers()}
        subs = subscribers_of(routes)
        ws.deactivate(sorted(active - {s.id for s in subs}))
        ws.upsert_subscribers(subs)
        top = max((v for v, _c, _n in ws.versions()), default=0)
        return ws.save_book(book_of(routes), note, based_on=top)


edits = st.lists(st.tuples(st.sampled_from(["add", "remove"]), st.integers(1, N)), max_size=12)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits)
def test_versions_are_never_lost_and_edits_never_reorder(ops):
    with tempfile.TemporaryDirectory() as tmp:
        ws = Workspace.create(Path(tmp) / "ws", Settings("demo", "walk", Depot(60.0, 25.0)))
        with ws:
            routes = ((1, 2, 3), (4, 5))
            save(ws, routes, "plan")
            saved = [ws.book(1).to_json()]
            for op, node in ops:
                placed = {n for r in routes for n in r}
                if op == "add" and node not in placed:
                    routes, _p, unplaced = insert_stops(PROBLEM, routes, [node])
                    assert unplaced == ()
                elif op == "remove" and node in placed:
                    routes = remove_stops(routes, {node})
                else:
                    continue
                new = save(ws, routes, f"{op} S{node:02d}")
                saved.append(new.to_json())
                diff = diff_books(ws.book(new.version - 1), ws.book(new.version))
                assert diff.moved == ()
                assert len(diff.added) + len(diff.removed) == 1
            assert [v for v, _c, _n in ws.versions()] == list(range(1, len(saved) + 1))
            # Every version reads back byte for byte as it was written.
            assert [ws.book(v).to_json() for v in range(1, len(saved) + 1)] == saved


def test_the_database_refuses_to_rewrite_or_delete_a_version(tmp_path):
    ws = Workspace.create(tmp_path / "ws", Settings("demo", "walk", Depot(60.0, 25.0)))
    with ws:
        save(ws, ((1, 2), ()), "plan")
        for sql in ("DELETE FROM route_books", "UPDATE route_books SET note = 'x'"):
            with pytest.raises(sqlite3.IntegrityError, match="never"), ws.transaction() as con:
                con.execute(sql)
        assert ws.versions()[0][2] == "plan"
