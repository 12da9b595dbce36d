"""Merchants as enrichment sees them: spend, count and the raw variants grouped under each."""

from __future__ import annotations

from decimal import Decimal

import polars as pl
from pydantic import BaseModel

from moneystory import schema

VARIANTS_SHOWN = 8  # raw descriptors listed under one merchant, most frequent first
NOT_SPENDING = ("transfer", "income")


class Variant(BaseModel):
    description: str
    count: int


class MerchantRow(BaseModel):
    merchant: str
    category: str
    currency: str
    spend: Decimal
    count: int
    intermediaries: list[str]
    variants: list[Variant]
    variant_count: int


class MerchantList(BaseModel):
    merchants: list[MerchantRow]
    distinct_descriptions: int
    distinct_merchants: int


def spending_amount() -> pl.Expr:
    """Spending of a row: money out excluding transfers and income, net of refunds, positive."""
    counts = ~pl.col("kind").is_in(list(NOT_SPENDING)) & ~(
        (pl.col("kind") == "interest") & (pl.col("amount") > 0))
    return pl.when(counts).then(-pl.col("amount")).otherwise(pl.lit(0, dtype=schema.AMOUNT))


def merchant_summary(lf: pl.LazyFrame) -> MerchantList:
    """One row per (merchant, currency), biggest spend first."""
    rows = lf.select("merchant", "currency", "description", "category", "intermediary",
                     "kind", "amount").with_columns(_spend=spending_amount())
    variants = (
        rows.group_by("merchant", "currency", "description").len()
        .sort(["len", "description"], descending=[True, False])
        .group_by("merchant", "currency", maintain_order=True)
        .agg(variants=pl.struct(pl.col("description"), pl.col("len").alias("count")),
             variant_count=pl.len())
    )
    totals = rows.group_by("merchant", "currency").agg(
        spend=pl.col("_spend").sum(),
        count=pl.len(),
        category=pl.col("category").mode().sort().first(),
        intermediaries=pl.col("intermediary").drop_nulls().unique().sort(),
    )
    table = (totals.join(variants, on=["merchant", "currency"], how="left", nulls_equal=True)
             .sort(["spend", "count", "merchant"], descending=[True, True, False]).collect())
    merchants = [
        MerchantRow(
            merchant=r["merchant"], category=r["category"], currency=r["currency"] or "",
            spend=r["spend"], count=r["count"], intermediaries=r["intermediaries"],
            variants=[Variant(**v) for v in r["variants"][:VARIANTS_SHOWN]],
            variant_count=r["variant_count"],
        )
        for r in table.iter_rows(named=True)
    ]
    stats = rows.select(pl.col("description").n_unique().alias("d"),
                        pl.col("merchant").n_unique().alias("m")).collect()
    return MerchantList(merchants=merchants, distinct_descriptions=stats["d"][0],
                        distinct_merchants=stats["m"][0])
