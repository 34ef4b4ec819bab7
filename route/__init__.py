"""paperroute: one fixed, efficient route, and every subscriber served their own way.

The import package is ``route``; the command is ``paperroute``. Data flows one way:
reading (:func:`read_subscribers`, :func:`load_network`) -> frozen model (:class:`Subscriber`,
:class:`RouteBook`) -> street network (:class:`StreetIndex`) -> solving (:func:`plan`) ->
maps and sheets (:func:`plan_map`).
"""

from ._offline import render_offline as render_offline
from ._offline import save_offline as save_offline
from .compare import compare_disciplines as compare_disciplines
from .day import Day as Day
from .day import DayInputs as DayInputs
from .day import run_day as run_day
from .errors import InputError as InputError
from .errors import Problem as Problem
from .io import read_subscribers as read_subscribers
from .maps import day_map as day_map
from .maps import plan_map as plan_map
from .model import DeliverySpot as DeliverySpot
from .model import Depot as Depot
from .model import RouteBook as RouteBook
from .model import Subscriber as Subscriber
from .network import StreetIndex as StreetIndex
from .osm import StreetNetwork as StreetNetwork
from .osm import load_network as load_network
from .plan import PlanOptions as PlanOptions
from .plan import plan as plan
from .store import Workspace as Workspace
from .tour import solve_tour as solve_tour

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
