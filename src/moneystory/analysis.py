"""Service: the enriched transactions every report reads, and the filters they share.

Enrichment runs at read time, so a changed rules.toml changes every report at once without
re-importing. It is cached in `home.cache` in three layers, so that an import costs the next
report only the work that import made necessary:
- the distinct keys (description, counterparty, bank category, MCC, sign) of one batch and
  each key's first charge date (batchkeys.py): read from the key table its import kept beside
  the batch (or, for a batch of an older moneystory, made from its rows), then cached;
- `keys-<fingerprint>.parquet`: the facts of every distinct key of the store (the expensive
  string work: merchant, wording, tables, rules' regexes), merged from the batch key tables;
  after an import, built on the store's previous one, so only the new keys get that work;
- `enriched-<fingerprint>[-<start>-<end>].parquet`: enriched rows, of the whole store or of
  the date window a report asked for (only that window, plus a margin for transfer pairs, is
  read and enriched: refunds still see the whole history through the key table).
The fingerprint covers the rules file, the built-in tables' version, polars, the set of
batch files and the hidden rows (hidden.py: reports never see them): a new import, an undo, an
edited rule, a hide or an upgrade each give a new one, so a stale cache is never read.
Caches are written atomically and never touch the imported batches; losing them only costs
time.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

import polars as pl

from moneystory import batchkeys, enrich, hidden, keys, schema
from moneystory.enrich import pipeline
from moneystory.enrich.summary import MerchantList, merchant_summary
from moneystory.frames import parquet_bytes
from moneystory.paths import Home, atomic_write_bytes, atomic_write_text
from moneystory.store import Store

CACHE_PREFIX = "enriched-"
KEYS_PREFIX = "keys-"
FINGERPRINT_LENGTH = 24
# Rows this far outside a window are enriched with it, so that a transfer whose two sides
# straddle the window's edge still pairs (pipeline.TRANSFER_WINDOW is 5 days).
WINDOW_MARGIN = timedelta(days=31)


def transactions(
    home: Home,
    *,
    account: str | None = None,
    start: date | None = None,
    end: date | None = None,
    keep_window: bool = True,
    columns: Sequence[str] | None = None,
) -> pl.LazyFrame:
    """Stored rows with merchant, intermediary, category and kind from the current rules.

    With `start` or `end`, only that window is read and enriched (unless the whole store's
    cache is current already), and kept in the cache unless `keep_window` is False (a caller
    that caches its own result: writing 2M enriched rows costs about a second). `columns`:
    only these (then a window that is not kept reads only what it needs from the batches).
    """
    if start is None and end is None:
        lf = enriched(home)
    else:
        lf = enriched_window(home, start, end, keep=keep_window,
                             columns=None if keep_window else columns)
    if account:
        lf = lf.filter(pl.col("account_id") == account)
    # enriched_window() gives exactly the window: filtering its 2M rows again cost a copy
    return lf.select(columns) if columns is not None else lf


def enriched(home: Home) -> pl.LazyFrame:
    """Every stored row, enriched (schema.ENRICHED), from the cache when it is current."""
    store = Store(home)
    paths = store.batch_paths()
    rules = enrich.load_rules(home.rules_file)
    if not paths:
        return enrich.enrich(schema.empty(schema.STORED).lazy(), rules)
    current = fingerprint(home, paths)
    cached = home.cache / f"{CACHE_PREFIX}{current}.parquet"
    if cached.exists():
        return pl.scan_parquet(cached, schema=schema.ENRICHED)
    facts = key_facts(home, paths, rules, fingerprint(home, paths, with_hidden=False))
    visible = hidden.without_hidden(home, store.scan())  # hidden rows: in no report
    frame = pipeline.enrich_rows(visible.collect(), facts, rules).collect()
    _write_cache(home, cached, frame)
    return frame.lazy()


def enriched_window(
    home: Home, start: date | None, end: date | None, *, keep: bool = True,
    columns: Sequence[str] | None = None,
) -> pl.LazyFrame:
    """The stored rows dated within [start, end] (either may be open), enriched, and only
    those (callers do not filter again).

    Equal to enriched() filtered to the window: the key facts and the refunds' first charge
    dates come from the whole store's key table, and the rows within WINDOW_MARGIN of the
    window's edges are enriched too, so that transfers pair across them.
    """
    store = Store(home)
    paths = store.batch_paths()
    if not paths:
        return enriched(home)
    current = fingerprint(home, paths)
    whole = home.cache / f"{CACHE_PREFIX}{current}.parquet"
    if whole.exists():
        return pl.scan_parquet(whole, schema=schema.ENRICHED).filter(_within(start, end))
    cached = home.cache / f"{CACHE_PREFIX}{current}-{start or 'first'}-{end or 'last'}.parquet"
    if cached.exists():
        return pl.scan_parquet(cached, schema=schema.ENRICHED)
    read = list(schema.STORED)
    if columns is not None:  # what enrichment reads, and what the caller wants
        wanted = {*columns, *keys.KEY, "account_id", "date", "amount", "currency"}
        read = [c for c in read if c in wanted]
    visible = hidden.without_hidden(home, store.scan())  # hidden rows: in no report
    window = visible.filter(_within(start, end, WINDOW_MARGIN)).select(read)
    rules = enrich.load_rules(home.rules_file)
    # The rows are read on both cores while the key facts, small frames and Python mostly,
    # keep one busy (0.1 s less at 10M rows).
    with ThreadPoolExecutor(max_workers=1) as pool:
        reading = pool.submit(window.collect)
        facts = key_facts(home, paths, rules, fingerprint(home, paths, with_hidden=False))
        frame = reading.result()
    rows = pipeline.enrich_rows(frame, facts, rules).filter(_within(start, end)).collect()
    if keep and columns is None:
        _write_cache(home, cached, rows)
    return rows.lazy()


def _within(start: date | None, end: date | None, margin: timedelta = timedelta(0)) -> pl.Expr:
    condition = pl.lit(True)
    if start is not None:
        condition &= pl.col("date") >= start - margin
    if end is not None:
        condition &= pl.col("date") <= end + margin
    return condition


def key_facts(home: Home, paths: list[Path], rules: enrich.Rules, current: str) -> pl.DataFrame:
    """pipeline.stored_facts() of every distinct key of the store, from the cache when current.

    After an import, from the facts of the store before it (pipeline.key_facts_after: only
    the new keys get the text work), when those are still in the cache. Each key table says,
    in its Parquet metadata, what it was made from: the rules, tables and polars (`basis`)
    and the batches, in order.
    """
    cached = home.cache / f"{KEYS_PREFIX}{current}.parquet"
    if cached.exists():
        return pl.read_parquet(cached)
    merged = keys.merge_keys([batchkeys.batch_keys(home, path) for path in paths])
    batchkeys.prune(home, paths)
    made_from = {"basis": fingerprint(home, [], with_hidden=False),
                 "batches": json.dumps([batchkeys.cache_name(path) for path in paths])}
    earlier = _earlier_facts(home, made_from)
    facts = pipeline.key_facts_after(merged, rules, earlier) if earlier is not None else None
    if facts is None:
        facts = pipeline.stored_facts(pipeline.key_facts(merged, rules))
    _write_cache(home, cached, facts, prefix=KEYS_PREFIX, metadata=made_from)
    return facts


def _earlier_facts(home: Home, made_from: dict[str, str]) -> pl.DataFrame | None:
    """The cached key table of the most batches that are the first of `made_from`'s, with
    the same basis: the store as it was before its latest imports. Best effort."""
    batches: list[str] = json.loads(made_from["batches"])
    best: tuple[int, Path] | None = None
    for path in home.cache.glob(f"{KEYS_PREFIX}*.parquet"):
        try:
            found = pl.read_parquet_metadata(path)
            covered = json.loads(found.get("batches", "null")) or []
        except (OSError, ValueError, pl.exceptions.PolarsError):
            continue
        if (found.get("basis") == made_from["basis"] and 0 < len(covered) < len(batches)
                and covered == batches[:len(covered)]
                and (best is None or len(covered) > best[0])):
            best = (len(covered), path)
    if best is None:
        return None
    try:
        return pl.read_parquet(best[1])
    except (OSError, pl.exceptions.PolarsError):
        return None


def fingerprint(home: Home, batch_paths: list[Path], *, with_hidden: bool = True) -> str:
    """Changes whenever the enriched rows could: rules, built-in tables, the batch set, the
    hidden rows (`with_hidden`; the key facts, which every stored key has, do not depend on
    them: a hide costs the next report its rows' enrichment, not the string work)."""
    digest = hashlib.sha256(enrich.tables_version().encode())
    digest.update(pl.__version__.encode())  # hashes and Parquet details may change with it
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
    ids = hidden.hidden_ids(home) if with_hidden else []
    if ids:  # nothing hidden: the same fingerprint as before, every cache still good
        digest.update(("hidden:" + ",".join(ids)).encode())
    return digest.hexdigest()[:FINGERPRINT_LENGTH]


def _write_cache(
    home: Home, target: Path, frame: pl.DataFrame, prefix: str | None = CACHE_PREFIX,
    metadata: dict[str, str] | None = None,
) -> None:
    """Best effort: a read-only or full disk only means no cache."""
    try:
        atomic_write_bytes(target, parquet_bytes(frame, metadata))
        if prefix is not None:
            _prune(home, prefix, target.name[len(prefix):][:FINGERPRINT_LENGTH])
    except OSError:
        return


def _prune(home: Home, prefix: str, current: str) -> None:
    """Remove caches of older fingerprints, keeping the current one's and the newest other
    one's: another process may still be reading that lazily."""
    others: dict[str, list[Path]] = {}
    for path in home.cache.glob(f"{prefix}*.parquet"):
        stamp = path.name[len(prefix):][:FINGERPRINT_LENGTH]
        if stamp != current:
            others.setdefault(stamp, []).append(path)
    newest = max(others, default=None,
                 key=lambda s: max(p.stat().st_mtime_ns for p in others[s]))
    for stamp, files in others.items():
        if stamp != newest:
            for path in files:
                path.unlink(missing_ok=True)


REPORT_PREFIX = "report-"
KEEP_REPORTS = 16  # the most recent report results kept (a few years × accounts)
REPORT_MODULES = ("analysis", "story", "pledges", "money", "schema", "store", "recurring_state",
                  "cards", "hidden")


def report_key(home: Home, *parts: object) -> str:
    """A key that changes whenever a report computed from the store could: the store's
    fingerprint, the moneystory code itself, and `parts` (the report's name and arguments,
    and any input read from outside the store)."""
    digest = hashlib.sha256(fingerprint(home, Store(home).batch_paths()).encode())
    for source in _report_sources():
        digest.update(source.read_bytes())
    digest.update(repr(parts).encode())
    return digest.hexdigest()[:FINGERPRINT_LENGTH]


def _report_sources() -> list[Path]:
    """The code a report's figures come from (the enrichment's is in the fingerprint already);
    the renderers, the CLI and the importers are not: they do not change a stored model."""
    package = Path(__file__).parent
    return sorted([*package.glob("analyzers/*.py"),
                   *[package / f"{name}.py" for name in REPORT_MODULES]])


def cached_report(home: Home, key: str) -> str | None:
    """The JSON a report stored under `key`, or None."""
    try:
        return (home.cache / f"{REPORT_PREFIX}{key}.json").read_text(encoding="utf-8")
    except OSError:
        return None


def cache_report(home: Home, key: str, text: str) -> None:
    """Keep a report's JSON for the next identical request. Best effort, like every cache."""
    try:
        atomic_write_text(home.cache / f"{REPORT_PREFIX}{key}.json", text)
        reports = sorted(home.cache.glob(f"{REPORT_PREFIX}*.json"),
                         key=lambda p: p.stat().st_mtime_ns, reverse=True)
        for old in reports[KEEP_REPORTS:]:
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
