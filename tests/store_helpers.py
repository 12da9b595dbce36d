"""Write transactions straight into a store (no importer needed), for CLI tests."""

from __future__ import annotations

import uuid
from pathlib import Path

import polars as pl

from moneystory import keys, schema
from moneystory.ingest import derived_tables, with_identity
from moneystory.paths import resolve_home
from moneystory.store import Store


def write_batch(home_dir: Path, frame: pl.DataFrame, name: str = "generated.csv") -> str:
    """Store `frame` (ENRICHED or STORED columns) as one import; returns the import id."""
    store = Store(resolve_home(home_dir))
    rows = with_identity(frame.select([c for c in frame.columns if c not in
                                       ("txn_id", "content_key")]))
    rows = schema.conform(rows, schema.STORED)
    import_id = uuid.uuid4().hex[:12]
    rows = rows.with_columns(import_id=pl.lit(import_id))
    accounts = {a: {"name": a} for a in rows["account_id"].unique().to_list()}
    record = {"import_id": import_id, "file": name, "format": "csv", "profile": None,
              "accounts": sorted(accounts), "rows": rows.height, "added": rows.height}
    with store.writing("test batch"):
        store.commit_import(record, rows, accounts, derived=derived_tables)  # as an import does
    return import_id


def stored_files(store: Store) -> set[str]:
    """The files the log's live batches should have: each batch and its key table."""
    return {p.name for batch in store.batch_paths()
            for p in (batch, store.derived_path(batch, keys.KEY_TABLE))}
