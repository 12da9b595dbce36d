"""Analyzers: pure functions from an ENRICHED LazyFrame to a pydantic report model.

No I/O, no printing; one collect per report where possible; explicit sorts.
"""
