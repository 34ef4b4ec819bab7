"""paperroute: one fixed, efficient route, and every subscriber served their own way.

The import package is ``route``; the command is ``paperroute``. Data flows one way:
reading (:func:`read_subscribers`, :func:`load_network`) -> frozen model (:class:`Subscriber`,
:class:`RouteBook`) -> street network (:class:`StreetIndex`) -> solving (:func:`plan`) ->
maps and sheets (:func:`plan_map`).
"""

from .errors import InputError as InputError
from .errors import Problem as Problem
from .io import read_subscribers as read_subscribers
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

__version__ = "0.1.0"

__all__ = [
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
    "load_network",
    "plan",
    "plan_map",
    "read_subscribers",
]
