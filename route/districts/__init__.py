"""Districts of a large area: one carrier's territory each, planned one by one or on Dask."""
