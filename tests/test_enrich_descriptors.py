"""The descriptor table (tests/data/descriptors.csv): every expected merchant and category."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import polars as pl

from moneystory import schema
from moneystory.enrich import enrich

TABLE = Path(__file__).parent / "data" / "descriptors.csv"


def _rows() -> list[dict[str, str]]:
    with TABLE.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _enriched(rows: list[dict[str, str]]) -> pl.DataFrame:
    frame = schema.conform(pl.DataFrame({
        "txn_id": [f"t{i}" for i in range(len(rows))],
        "account_id": ["checking"] * len(rows),
        "amount": [Decimal(r["amount"]) for r in rows],
        "currency": ["EUR"] * len(rows),
        "description": [r["description"] for r in rows],
    }).with_columns(date=pl.lit("2023-03-12").str.to_date()), schema.STORED)
    return enrich(frame.lazy()).collect()


def test_table_is_big_and_multinational() -> None:
    rows = _rows()
    assert len(rows) >= 200
    assert {r["country"] for r in rows} >= {"US", "GB", "FR", "DE", "NL", "ES"}


def test_every_descriptor_gets_its_merchant_and_category() -> None:
    rows = _rows()
    out = _enriched(rows)
    misses = []
    for row, merchant, category in zip(rows, out["merchant"], out["category"], strict=True):
        if (merchant, category) != (row["merchant"], row["category"]):
            misses.append(f"{row['description']!r}: got {merchant!r}/{category!r}, "
                          f"want {row['merchant']!r}/{row['category']!r}")
    merchant_ok = sum(m == r["merchant"] for r, m in zip(rows, out["merchant"], strict=True))
    category_ok = sum(c == r["category"] for r, c in zip(rows, out["category"], strict=True))
    print(f"\ndescriptors: {len(rows)}, merchant accuracy {merchant_ok / len(rows):.1%}, "
          f"category accuracy {category_ok / len(rows):.1%}")
    assert not misses, "\n".join(misses)
