"""Service: the enriched transactions every report reads, and the filters they share.

Enrichment runs at read time, so a changed rules.toml changes every report at once without
re-importing. Its result is cached in `home.cache` under a fingerprint of (the rules file, the
built-in tables' version, the set of batch files): a new import, an undo, an edited rule or an
upgrade each give a new fingerprint, so a stale cache is never read. The cache is written
atomically and never touches the imported batches; losing it only costs time.
"""

from __future__ import annotations

import hashlib
import io
from datetime import date
from pathlib import Path

import polars as pl

from moneystory import enrich, schema
from moneystory.enrich.summary import MerchantList, merchant_summary
from moneystory.paths import Home, atomic_write_bytes
from moneystory.store import Store

CACHE_PREFIX = "enriched-"
KEEP_CACHES = 2  # the current cache and the one before it


def transactions(
    home: Home,
    *,
    account: str | None = None,
    start: date | None = None,
    end: date | None = None,
) -> pl.LazyFrame:
    """Stored rows with merchant, intermediary, category and kind from the current rules."""
    lf = enriched(home)
    if account:
        lf = lf.filter(pl.col("account_id") == account)
    if start:
        lf = lf.filter(pl.col("date") >= start)
    if end:
        lf = lf.filter(pl.col("date") <= end)
    return lf


def enriched(home: Home) -> pl.LazyFrame:
    """Every stored row, enriched (schema.ENRICHED), from the cache when it is current."""
    store = Store(home)
    paths = store.batch_paths()
    rules = enrich.load_rules(home.rules_file)
    if not paths:
        return enrich.enrich(schema.empty(schema.STORED).lazy(), rules)
    cached = home.cache / f"{CACHE_PREFIX}{fingerprint(home, paths)}.parquet"
    if cached.exists():
        return pl.scan_parquet(cached, schema=schema.ENRICHED)
    frame = enrich.enrich(store.scan(), rules).collect()
    _write_cache(home, cached, frame)
    return frame.lazy()


def fingerprint(home: Home, batch_paths: list[Path]) -> str:
    """Changes whenever the enriched rows could: rules, built-in tables, the batch set."""
    digest = hashlib.sha256(enrich.tables_version().encode())
    try:
        digest.update(home.rules_file.read_bytes())
    except FileNotFoundError:
        digest.update(b"<no rules>")
    for path in sorted(batch_paths):
        try:
            stat = path.stat()
        except FileNotFoundError:  # an undo in another process: the scan will say so
            digest.update(f"{path.name}:gone".encode())
            continue
        digest.update(f"{path.name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:24]


def _write_cache(home: Home, target: Path, frame: pl.DataFrame) -> None:
    """Best effort: a read-only or full disk only means no cache."""
    buffer = io.BytesIO()
    frame.write_parquet(buffer, statistics=True)
    try:
        atomic_write_bytes(target, buffer.getvalue())
        # Keep the previous one too: another process may still be reading it lazily.
        caches = sorted(home.cache.glob(f"{CACHE_PREFIX}*.parquet"),
                        key=lambda p: p.stat().st_mtime_ns, reverse=True)
        for old in caches[KEEP_CACHES:]:
            old.unlink(missing_ok=True)
    except OSError:
        return


def merchants(
    home: Home,
    *,
    account: str | None = None,
    start: date | None = None,
    end: date | None = None,
) -> MerchantList:
    """Merchants with their spend, count and the raw descriptors grouped under each."""
    return merchant_summary(transactions(home, account=account, start=start, end=end))
