"""The polars shape of a transaction, in three stages.

- RAW: what every importer returns (one row per statement line, money out negative).
- STORED: what a batch file holds (RAW plus identity and provenance).
- ENRICHED: what analyzers read (STORED plus merchant, category, kind), computed at read time
  so a changed rule changes every report without re-importing.

Money is polars Decimal(38, 4): exact, summed exactly, and read back exactly from Parquet.
"""

from __future__ import annotations

import polars as pl

AMOUNT = pl.Decimal(38, 4)

RAW: dict[str, pl.DataType] = {
    "date": pl.Date(),
    "amount": AMOUNT,
    "currency": pl.String(),
    "description": pl.String(),
    "account_ref": pl.String(),  # the account as the file names it (ACCTID, IBAN, "Account Name")
    "card_last4": pl.String(),
    "fitid": pl.String(),  # the bank's own transaction id, when it has one
    "memo": pl.String(),
    "counterparty": pl.String(),
    "bank_category": pl.String(),  # the bank's own category column (Monzo, Chase, Mint ...)
    "mcc": pl.String(),  # SIC/MCC when the export carries it
    "source_row": pl.Int64(),  # 1-based line of the file the row came from
    "pending": pl.Boolean(),
}

STORED: dict[str, pl.DataType] = {
    "txn_id": pl.String(),
    "content_key": pl.UInt128(),  # XXH3-128 of the content key (ingest.with_identity)
    "account_id": pl.String(),
    "card_last4": pl.String(),
    "date": pl.Date(),
    "amount": AMOUNT,
    "currency": pl.String(),
    "description": pl.String(),
    "fitid": pl.String(),
    "memo": pl.String(),
    "counterparty": pl.String(),
    "bank_category": pl.String(),
    "mcc": pl.String(),
    "import_id": pl.String(),
    "source_row": pl.Int64(),
}

ENRICHED_EXTRA: dict[str, pl.DataType] = {
    "merchant": pl.String(),
    "intermediary": pl.String(),  # PayPal, Square, Klarna ... when the shop is behind one
    "category": pl.String(),
    "kind": pl.String(),
}

ENRICHED: dict[str, pl.DataType] = {**STORED, **ENRICHED_EXTRA}


def empty(schema: dict[str, pl.DataType]) -> pl.DataFrame:
    return pl.DataFrame(schema=schema)


def conform(frame: pl.DataFrame, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """Select `schema`'s columns in order, adding missing ones as nulls and casting the rest."""
    exprs = [
        (pl.col(name) if name in frame.columns else pl.lit(None)).cast(dtype).alias(name)
        for name, dtype in schema.items()
    ]
    return frame.select(exprs)
