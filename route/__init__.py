"""paperroute: one fixed, efficient route, and every subscriber served their own way.

The import package is ``route``; the command is ``paperroute``. Data flows one way:
reading (:func:`read_subscribers`, :func:`load_network`) -> frozen model (:class:`Subscriber`,
:class:`RouteBook`) -> street network (:class:`StreetIndex`) -> solving (:func:`plan`) ->
maps and sheets (:func:`plan_map`).
"""

from route.day.run import run_day as run_day
from route.errors import InputError as InputError
from route.errors import Problem as Problem
from route.io.osm import StreetNetwork as StreetNetwork
from route.io.osm import load_network as load_network
from route.io.subscribers import read_subscribers as read_subscribers
from route.io.workspace import Workspace as Workspace
from route.model.day import Day as Day
from route.model.day import DayInputs as DayInputs
from route.model.routebook import RouteBook as RouteBook
from route.model.subscriber import DeliverySpot as DeliverySpot
from route.model.subscriber import Depot as Depot
from route.model.subscriber import Subscriber as Subscriber
from route.network import StreetIndex as StreetIndex
from route.output.maps import day_map as day_map
from route.output.maps import plan_map as plan_map
from route.output.offline import render_offline as render_offline
from route.output.offline import save_offline as save_offline
from route.routebook.plan import PlanOptions as PlanOptions
from route.routebook.plan import plan as plan
from route.solver.tour import solve_tour as solve_tour
from route.teaching.compare import compare_disciplines as compare_disciplines

__version__ = "0.1.0"

__all__ = [
    "Day",
    "DayInputs",
    "DeliverySpot",
    "Depot",
    "InputError",
    "PlanOptions",
    "Problem",
    "RouteBook",
    "StreetIndex",
    "StreetNetwork",
    "Subscriber",
    "Workspace",
    "compare_disciplines",
    "day_map",
    "load_network",
    "plan",
    "plan_map",
    "read_subscribers",
    "render_offline",
    "run_day",
    "save_offline",
    "solve_tour",
]
