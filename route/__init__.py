"""paperroute: one fixed, efficient route, and every subscriber served their own way."""
