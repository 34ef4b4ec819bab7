"""The routing problem and its engines: OR-Tools phases, the penalised search, the tour engine."""
