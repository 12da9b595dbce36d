"""The distinct keys of stored rows: what enrichment's string work runs once per.

A key is a row's description, counterparty, bank category and MCC, and its amount's sign.
`distinct_keys` lists them in order of first appearance, with the first date money went out
under each (refunds look for it); per batch, merged with `merge_keys`, they give the same
table as over all rows. An import keeps `key_table` beside its batch, so that a report
reads integers and texts, not every row's hash.

Layer 0 (polars and the schema only): the import writes key tables without loading the
enrichment's tables and rules.
"""

from __future__ import annotations

import polars as pl

from moneystory import schema
from moneystory.frames import mixed_hash

KEY = ("description", "counterparty", "bank_category", "mcc")  # what the string work depends on
KEY_SEED = 20231  # any fixed seed: both sides of the look-up hash in this one process


def sign() -> pl.Expr:
    """-1, 0 or 1: the amount's sign, part of the key (a charge and its refund differ)."""
    amount = pl.col("amount")
    return pl.when(amount < 0).then(-1).when(amount > 0).then(1).otherwise(0).cast(pl.Int8)


def key_hash(signs: pl.Expr | None = None) -> pl.Expr:
    """The 64-bit hash of a row's key (KEY and the amount's sign, or `signs`: a column of
    sign()'s values): what finds its facts."""
    return mixed_hash(*KEY, sign() if signs is None else signs, seed=KEY_SEED)


def distinct_keys(lf: pl.LazyFrame) -> pl.LazyFrame:
    """One row per distinct key of `lf`, in order of first appearance (`_i` numbers them),
    with `_first_charge_key`: the first date money went out under that key (for refunds).

    Computed per batch and merged (merge_keys), it gives the same table as over all rows.
    The key table of these rows and their texts: one group-by over integers.
    """
    rows = lf.select(*KEY, "date", "amount").collect()
    return from_key_table(key_table(rows), rows.lazy()).lazy()


def merge_keys(parts: list[pl.DataFrame]) -> pl.DataFrame:
    """distinct_keys() of several frames (in their order) as if they were one frame."""
    if not parts:
        return distinct_keys(schema.empty(schema.STORED).lazy()).collect()
    return (
        pl.concat([p.with_columns(_part=pl.lit(n, pl.UInt32)) for n, p in enumerate(parts)])
        .sort("_part", "_i")
        .group_by("_k")
        .agg(*[pl.col(c).first() for c in (*KEY, "_sign")],
             _order=(pl.col("_part").cast(pl.UInt64) * 2**32 + pl.col("_i")).min(),
             _first_charge_key=pl.col("_first_charge_key").min())
        .sort("_order").select("_k", *KEY, "_sign", "_first_charge_key")
        .with_row_index("_i")
    )


# The key table an import keeps beside its batch (store.derived_path), so that no report has
# to hash the batch's rows again. Bump the version whenever key_table() or distinct_keys()
# would give other rows: the tables of the old one are then not read (their batches' keys
# are made again, in the cache).
KEY_TABLE_VERSION = 1
KEY_TABLE = f"keys{KEY_TABLE_VERSION}"


# A batch's key table holds its keys' texts when they are this few for each row, so that a
# report reads the small table alone; with more (a store number, a date in every descriptor)
# writing them would cost the import as much as a report saves, and the batch keeps them.
TEXTS_KEPT_UNDER = 1 / 8


def key_table(rows: pl.DataFrame) -> pl.DataFrame:
    """What the store keeps of distinct_keys(rows): for each key, in order of first
    appearance, its first row (`_row`), its sign and its first charge date, and its texts
    when they are few.

    No `_k`: it is polars' hash, which may change with polars. One group-by, no join: on 1M
    rows of 744k distinct descriptors 0.15 s, where a `unique` of the texts joined to their
    first charges, and writing the texts, took 0.4 s.
    """
    keyed = (rows.lazy().select(*KEY, "date", "amount").with_columns(_sign=sign())
             .select(key_hash(pl.col("_sign")).alias("_k"), "_sign", "date")
             .with_row_index("_row"))
    table = (
        keyed.group_by("_k")
        .agg(pl.col("_row").min(), pl.col("_sign").first(), _date=pl.col("date").min())
        .sort("_row")
        .select("_row", "_sign", _first_charge_key=pl.when(pl.col("_sign") < 0).then("_date"))
        .collect()
    )
    if table.height >= rows.height * TEXTS_KEPT_UNDER:
        return table
    return pl.concat([table, rows.select(pl.col(*KEY).gather(table["_row"]))],
                     how="horizontal")


def from_key_table(table: pl.DataFrame, batch: pl.LazyFrame) -> pl.DataFrame:
    """distinct_keys(batch) from its key_table(): the texts from the table, else those of the
    keys' first rows in the batch. (Gathered after the read: a gather inside the lazy query
    took three times as long.)"""
    if not set(KEY) <= set(table.columns):
        table = pl.concat([table, batch.select(*KEY).collect().select(
            pl.all().gather(table["_row"]))], how="horizontal")
    return (table.with_row_index("_i")
            .select("_i", key_hash(pl.col("_sign")).alias("_k"), *KEY, "_sign",
                    "_first_charge_key"))
