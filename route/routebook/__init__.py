"""The route book: planning, stable edits, re-optimisation and skip-aware plans."""
