"""paperroute: one fixed, efficient route, and every subscriber served their own way.

The import package is ``route``; the command is ``paperroute``. Data flows one way, and the
subpackages follow it (see ``docs/architecture.md``)::

    io (files, OSM, workspace) -> model (frozen data) -> network (curb points, matrices)
      -> solver -> routebook (plan, stable edits) -> day (allocation, travel)
      -> output (maps, sheets, exports) -> teaching -> cli

Everything a notebook or script needs is re-exported here: :func:`load_network`,
:func:`read_subscribers` (with :func:`street_addresses` for address-only rows),
:class:`StreetIndex`, :func:`plan`, :func:`run_day`, :func:`plan_map`, :func:`day_map`,
:func:`show`, :func:`save_offline`, :func:`compare_disciplines`, and the tables:
:meth:`RouteBook.to_geodataframe`, :meth:`Day.to_dataframe` and
:meth:`Workspace.subscribers_frame`.
"""

from __future__ import annotations

import warnings
from typing import Any

from route.constants import VERSION
from route.day.run import run_day as run_day
from route.errors import InputError as InputError
from route.errors import Issue as Issue
from route.io.dayfiles import load_policy as load_policy
from route.io.osm import StreetNetwork as StreetNetwork
from route.io.osm import demo_path as demo_path
from route.io.osm import load_network as load_network
from route.io.subscribers import parse_subscribers as parse_subscribers
from route.io.subscribers import read_subscribers as read_subscribers
from route.io.subscribers import street_addresses as street_addresses
from route.io.subscribers import subscribers_frame as subscribers_frame
from route.io.workspace import Workspace as Workspace
from route.io.workspace import load_day as load_day
from route.model.day import Complaint as Complaint
from route.model.day import Day as Day
from route.model.day import DayInputs as DayInputs
from route.model.day import DayStop as DayStop
from route.model.day import Hold as Hold
from route.model.policy import DEFAULT_POLICY as DEFAULT_POLICY
from route.model.policy import Policy as Policy
from route.model.policy import parse_policy as parse_policy
from route.model.routebook import RouteBook as RouteBook
from route.model.routebook import Stop as Stop
from route.model.subscriber import DeliverySpot as DeliverySpot
from route.model.subscriber import Depot as Depot
from route.model.subscriber import Subscriber as Subscriber
from route.network import StreetIndex as StreetIndex
from route.output.export import export_features as export_features
from route.output.gps import write_gpx as write_gpx
from route.output.gps import write_kml as write_kml
from route.output.maps import day_map as day_map
from route.output.maps import plan_map as plan_map
from route.output.maps import street_lines as street_lines
from route.output.offline import render_offline as render_offline
from route.output.offline import save_offline as save_offline
from route.output.offline import show as show
from route.routebook.plan import PlanOptions as PlanOptions
from route.routebook.plan import plan as plan
from route.solver.tour import solve_tour as solve_tour
from route.teaching.compare import Comparison as Comparison
from route.teaching.compare import compare_disciplines as compare_disciplines
from route.teaching.demo import DEMO_DEPOT as DEMO_DEPOT
from route.teaching.demo import write_demo_csv as write_demo_csv

__version__ = VERSION

__all__ = [
    "DEFAULT_POLICY",
    "DEMO_DEPOT",
    "Comparison",
    "Complaint",
    "Day",
    "DayInputs",
    "DayStop",
    "DeliverySpot",
    "Depot",
    "Hold",
    "InputError",
    "Issue",
    "PlanOptions",
    "Policy",
    "RouteBook",
    "Stop",
    "StreetIndex",
    "StreetNetwork",
    "Subscriber",
    "Workspace",
    "compare_disciplines",
    "day_map",
    "demo_path",
    "export_features",
    "load_day",
    "load_network",
    "load_policy",
    "parse_policy",
    "parse_subscribers",
    "plan",
    "plan_map",
    "read_subscribers",
    "render_offline",
    "run_day",
    "save_offline",
    "show",
    "solve_tour",
    "street_addresses",
    "street_lines",
    "subscribers_frame",
    "write_demo_csv",
    "write_gpx",
    "write_kml",
]


def __getattr__(name: str) -> Any:
    # The error record was ``route.Problem`` until 0.2; kept for one release.
    if name == "Problem":
        warnings.warn(
            "route.Problem is now route.Issue; the old name goes in 0.3",
            DeprecationWarning,
            stacklevel=2,
        )
        return Issue
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
