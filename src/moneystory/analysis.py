"""Service: the enriched transactions every report reads, and the filters they share."""

from __future__ import annotations

from datetime import date

import polars as pl

from moneystory import enrich
from moneystory.paths import Home
from moneystory.store import Store


def transactions(
    home: Home,
    *,
    account: str | None = None,
    start: date | None = None,
    end: date | None = None,
) -> pl.LazyFrame:
    """Stored rows with merchant, category and kind, computed now from the current rules."""
    rules = enrich.load_rules(home.rules_file)
    lf = enrich.enrich(Store(home).scan(), rules)
    if account:
        lf = lf.filter(pl.col("account_id") == account)
    if start:
        lf = lf.filter(pl.col("date") >= start)
    if end:
        lf = lf.filter(pl.col("date") <= end)
    return lf
