"""Frozen data: subscribers and their spots, route books, days and the shortage policy."""
