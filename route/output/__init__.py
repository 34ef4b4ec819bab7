"""Maps, map layers, offline assets, route sheets and exports."""
