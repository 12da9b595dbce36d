"""Service: each batch's distinct keys (keys.distinct_keys), which the key facts are merged from.

From the key table the batch's import kept beside it (keys.from_key_table: 15-40 ms a batch,
where making them from the batch's rows takes 60-250 ms), or, for a batch of an older
moneystory, from its rows; either way cached as
`batchkeys-<batch>-<size>-<mtime>-<key table version>-<polars>.parquet`.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import polars as pl

from moneystory import keys, schema
from moneystory.frames import parquet_bytes
from moneystory.paths import Home, atomic_write_bytes
from moneystory.store import Store

BATCH_KEYS_PREFIX = "batchkeys-"


def batch_keys(home: Home, path: Path) -> pl.DataFrame:
    """keys.distinct_keys() of one batch: cached, so the next report after an import reads
    a few thousand rows a batch (1 ms) rather than the key table and the batch's texts."""
    cached = home.cache / cache_name(path)
    if cached.exists():
        return pl.read_parquet(cached)
    made = _kept(home, path)
    if made is None:
        made = keys.distinct_keys(pl.scan_parquet(path, schema=schema.STORED)).collect()
    with contextlib.suppress(OSError):  # best effort: a read-only or full disk: no cache
        atomic_write_bytes(cached, parquet_bytes(made))
    return made


def cache_name(path: Path) -> str:
    """The batch (name, size, time) and what its keys depend on: the key table's version and
    polars (`_k` is its hash), not the enrichment's tables, so an upgrade keeps them."""
    stat = path.stat()
    return (f"{BATCH_KEYS_PREFIX}{path.stem}-{stat.st_size}-{stat.st_mtime_ns}-"
            f"{keys.KEY_TABLE}-{pl.__version__}.parquet")


def prune(home: Home, paths: list[Path]) -> None:
    """Forget the cached keys of batches undone (or of older code): best effort."""
    try:
        wanted = {cache_name(path) for path in paths}
        for cached in home.cache.glob(f"{BATCH_KEYS_PREFIX}*.parquet"):
            if cached.name not in wanted:
                cached.unlink(missing_ok=True)
    except OSError:
        return


def _kept(home: Home, path: Path) -> pl.DataFrame | None:
    """The keys from the table the batch's import kept; None without a usable one."""
    table = Store(home).derived_path(path, keys.KEY_TABLE)
    if not table.exists():
        return None
    try:
        return keys.from_key_table(pl.read_parquet(table),
                                   pl.scan_parquet(path, schema=schema.STORED))
    except (OSError, pl.exceptions.PolarsError):
        return None  # damaged: the batch itself still says it all
