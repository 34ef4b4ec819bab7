"""One date's run of the route book: allocation, redeliveries, travel and the summary."""
