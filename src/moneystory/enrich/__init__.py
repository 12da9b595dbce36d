"""Enrichment: merchant, intermediary, category and kind for every transaction (placeholder).

`enrich(lf, rules)` adds schema.ENRICHED_EXTRA columns to a STORED LazyFrame, vectorised.
"""

from __future__ import annotations

from typing import Any

import polars as pl


def load_rules(path: Any) -> Any:
    return None


def enrich(lf: pl.LazyFrame, rules: Any = None) -> pl.LazyFrame:
    return lf.with_columns(
        merchant=pl.col("description"),
        intermediary=pl.lit(None, dtype=pl.String),
        category=pl.lit("other"),
        kind=pl.when(pl.col("amount") > 0).then(pl.lit("income")).otherwise(pl.lit("purchase")),
    )
