"""Districts for a distributor: carrier territories, each planned as one carrier's route.

``assign`` splits the subscribers into compact, balanced territories (a capacitated
assignment by min-cost flow); ``streets`` measures them on the street network; ``workload``
sizes them from hours of work; ``supply`` splits a day's supply across them.
"""
