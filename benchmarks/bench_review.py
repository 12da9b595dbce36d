"""Benchmark: `moneystory review` on a store of 10,000,000 transactions (10 years, many accounts).

Makes the store once, one import a year (sorted by date), committed as `moneystory import`
commits one: the batch, its key table and the log record. Then times, as whole processes,
`moneystory review YEAR --json` (median of runs, peak RSS from getrusage): cold (no cache at
all: the batches' keys from their key tables, the key facts, the two-year window enriched),
warm (the same review again: read back from the report cache), after a small import (what a
user meets: the report brings the key facts up to date, enriches its window and computes),
and cold on a store of an older moneystory, whose batches have no key tables; and in process
how the computation splits between reading+enrichment and the analyzers.

    python benchmarks/bench_review.py [--rows 10000000] [--years 10] [--accounts 60] [--runs 3]

Prints figures; never fails on a time. Target (issue #5): under 3 s on 2 cores, under 2 GB.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import polars as pl

from moneystory import ingest, keys, schema
from moneystory.paths import resolve_home
from moneystory.store import Store

FIRST_YEAR = 2014
DESCRIPTORS = 6000  # distinct card descriptors
SUBSCRIPTIONS = ("NETFLIX.COM", "SPOTIFY USA", "APPLE.COM/BILL", "DISNEYPLUS", "GOOGLE *ONE",
                 "HULU 877-8244858", "DROPBOX*ABC", "AMAZON PRIME*PMTS")


def _descriptor_pool() -> pl.Series:
    words = ("MARKET", "CAFE", "GAS", "SHOP", "PHARMACY", "DINER", "HARDWARE", "BOOKS",
             "PIZZA", "GROCERY", "TAXI", "HOTEL")
    return pl.Series("description", [
        f"{words[i % len(words)]} {i:05d} SPRINGFIELD" for i in range(DESCRIPTORS)
    ])


def _year_frame(year: int, rows: int, accounts: int, seed: int) -> pl.DataFrame:
    """One year of card spending, monthly pay and subscriptions, for every account."""
    days = (date(year, 12, 31) - date(year, 1, 1)).days + 1
    pool = _descriptor_pool()
    recurring = accounts * (12 + 12 * len(SUBSCRIPTIONS) // 2)
    n = rows - recurring
    idx = pl.int_range(0, n, eager=True).alias("i")
    spend = pl.DataFrame({"i": idx}).with_columns(
        h=pl.col("i").hash(seed),
    ).with_columns(
        account=(pl.col("h") % accounts).cast(pl.Int64),
        day=((pl.col("h") // 7) % days).cast(pl.Int64),
        cents=-(((pl.col("h") // 1009) % 15000) + 99).cast(pl.Int64),
        desc=((pl.col("h") // 31) % DESCRIPTORS).cast(pl.Int64),
    ).select("account", "day", "cents", "desc")
    spend = spend.with_columns(description=pool.gather(spend["desc"])).drop("desc")
    extra = []
    for account in range(accounts):
        for month in range(1, 13):
            first = (date(year, month, 1) - date(year, 1, 1)).days
            extra.append((account, first, 350000 + account * 100, "ACME CORP PAYROLL"))
            for k, name in enumerate(SUBSCRIPTIONS[: len(SUBSCRIPTIONS) // 2 + account % 2]):
                extra.append((account, first + 3 + k, -(999 + 100 * k), name))
    fixed = pl.DataFrame(extra, schema={"account": pl.Int64, "day": pl.Int64,
                                        "cents": pl.Int64, "description": pl.String},
                         orient="row")
    both = pl.concat([spend, fixed]).head(rows)
    return both.select(
        txn_id=pl.format("y{}-{}", pl.lit(year), pl.int_range(0, pl.len())),
        content_key=(pl.int_range(0, pl.len()) + year * 10**9).cast(pl.UInt128),
        account_id=pl.format("acct-{}", pl.col("account")),
        card_last4=pl.format("{}", (pl.col("account") * 37 % 9000 + 1000)),
        date=pl.lit(date(year, 1, 1)) + pl.duration(days=pl.col("day")),
        amount=(pl.col("cents").cast(schema.AMOUNT) / 100).cast(schema.AMOUNT),
        currency=pl.when(pl.col("account") % 10 == 9).then(pl.lit("EUR"))
        .otherwise(pl.lit("USD")),
        description="description",
        import_id=pl.lit(f"bench{year}"),
        source_row=pl.int_range(2, pl.len() + 2),
    ).sort("date", "account_id")


def build_store(home_dir: Path, rows: int, years: int, accounts: int) -> float:
    """One import per year, committed as `moneystory import` commits one: the batch, its key
    table (ingest.derived_tables) and the log record."""
    started = time.perf_counter()
    store = Store(resolve_home(home_dir))
    per_year = rows // years
    with store.writing("bench_review: build the store"):
        for n, year in enumerate(range(FIRST_YEAR, FIRST_YEAR + years)):
            frame = _year_frame(year, per_year, accounts, seed=n + 1)
            record = {"import_id": f"bench{year}", "file": f"bench-{year}.csv",
                      "rows": frame.height, "added": frame.height,
                      "accounts": sorted(frame["account_id"].unique().to_list())}
            store.commit_import(record, frame, {}, derived=ingest.derived_tables)
            del frame
    return time.perf_counter() - started


# As an installed package runs: with its modules' bytecode cached. (An editable install under
# PYTHONDONTWRITEBYTECODE=1 recompiles moneystory's sources in every process, ~0.1 s.)
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def whole_process(home_dir: Path, year: int) -> tuple[float, int]:
    """Wall seconds and peak RSS (bytes) of one `moneystory review YEAR --json`, measured by a
    small wrapper process so each run's peak is its own."""
    exe = Path(sys.executable).with_name("moneystory")
    wrapper = (
        "import resource, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)\n"
        "print(time.perf_counter() - t, "
        "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", wrapper, str(exe), "--home", str(home_dir), "review", str(year),
         "--json"], check=True, capture_output=True, text=True, env=CHILD_ENV,
    ).stdout.split()
    return float(out[0]), int(out[1])


def in_process(home_dir: Path, year: int) -> dict[str, float]:
    from moneystory import analysis, story
    from moneystory.analyzers import bnpl, recurring, review

    home = resolve_home(home_dir)
    timings: dict[str, float] = {}
    start, end = date(year - story.HISTORY_YEARS, 1, 1), date(year, 12, 31)
    t = time.perf_counter()  # as the review does it: the window enriched afresh, not kept
    window = analysis.transactions(home, start=start, end=end, keep_window=False,
                                   columns=story.WINDOW_COLUMNS).collect()
    timings[f"enrich window ({story.HISTORY_YEARS + 1} years)"] = time.perf_counter() - t
    lf = window.lazy()
    with pl.Config(engine_affinity="in-memory"):  # as story.year_review runs them
        t = time.perf_counter()
        streams = recurring.find_streams(lf, date(year, 12, 31))
        timings["recurring.find_streams"] = time.perf_counter() - t
        t = time.perf_counter()
        plans = bnpl.find_bnpl(lf, date(year, 12, 31))
        timings["bnpl.find_bnpl"] = time.perf_counter() - t
        t = time.perf_counter()
        review.review_year(lf, year, streams=streams, bnpl=plans)
        timings["review.review_year"] = time.perf_counter() - t
    timings["rows in window"] = window.height
    timings["streams"] = len(streams)
    return timings


def after_import(home_dir: Path, year: int, *, new_shops: bool) -> tuple[float, int]:
    """Add a 5,000-row batch for `year` as an import would, then time the first review,
    which brings every cache up to date: (review s, peak). The batch's descriptors are the
    store's own shops (with `new_shops`: each a longer spelling of one, so every key is new
    and every earlier merchant name is read again)."""
    home = resolve_home(home_dir)
    store = Store(home)
    log = store.read_log()
    import_id = f"extra{len(log.imports)}"
    frame = schema.conform(_year_frame(year, 5000, 3, seed=len(log.imports)).with_columns(
        txn_id=pl.format(import_id + "-{}", pl.int_range(pl.len())),
        content_key=(pl.int_range(pl.len()) + 10**12 + len(log.imports)).cast(pl.UInt128),
        import_id=pl.lit(import_id),
        description=pl.concat_str(pl.col("description"), pl.lit(f" {import_id.upper()}"))
        if new_shops else pl.col("description")),
        schema.STORED)
    record = {"import_id": import_id, "file": f"{import_id}.csv", "rows": frame.height,
              "added": frame.height, "accounts": ["acct-0", "acct-1", "acct-2"]}
    with store.writing("bench_review: a small import"):
        store.commit_import(record, frame, {}, derived=ingest.derived_tables)
    return whole_process(home_dir, year)


def without_key_tables(home_dir: Path, year: int) -> tuple[float, int]:
    """A cold review of a store of an older moneystory, whose imports kept no key tables (they
    are moved aside meanwhile, then back)."""
    batches = home_dir / "store" / "batches"
    aside = Path(tempfile.mkdtemp(prefix="ms-bench-keys-"))
    for path in batches.glob(f"*.{keys.KEY_TABLE}.parquet"):
        path.rename(aside / path.name)
    shutil.rmtree(home_dir / "cache", ignore_errors=True)
    try:
        return whole_process(home_dir, year)
    finally:
        for path in aside.iterdir():
            path.rename(batches / path.name)
        aside.rmdir()


def _cache_files(home_dir: Path) -> set[str]:
    return {p.name for p in (home_dir / "cache").glob("*.parquet")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--accounts", type=int, default=60)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--home", type=Path, help="reuse (or keep) the store in this folder")
    args = parser.parse_args()
    home_dir = args.home or Path(tempfile.mkdtemp(prefix="ms-bench-review-"))
    year = FIRST_YEAR + args.years - 1
    print(f"polars {pl.__version__}, {os.cpu_count()} cores; store at {home_dir}")
    if not (home_dir / "store" / "imports.json").exists():
        took = build_store(home_dir, args.rows, args.years, args.accounts)
        print(f"wrote {args.rows:,} rows ({args.years} years, {args.accounts} accounts) "
              f"in {took:.1f} s")
    size = sum(p.stat().st_size for p in (home_dir / "store" / "batches").glob("*.parquet"))
    print(f"store: {size / 1e6:.0f} MB of Parquet")
    colds = []
    for _ in range(args.runs):
        shutil.rmtree(home_dir / "cache", ignore_errors=True)
        colds.append(whole_process(home_dir, year))
    print(f"cold (no cache: key facts, window, report): median "
          f"{statistics.median(c for c, _ in colds):.2f} s "
          f"(runs {', '.join(f'{c:.2f}' for c, _ in colds)}), "
          f"peak RSS {max(p for _, p in colds) / 2**30:.2f} GB")
    for name, value in in_process(home_dir, year).items():
        print(f"  in process  {name:<28} {value:8.3f}" if isinstance(value, float)
              else f"  in process  {name:<28} {value:8d}")
    walls, peaks = [], []
    for _ in range(args.runs):
        cache = _cache_files(home_dir)
        wall, peak = whole_process(home_dir, year)
        if _cache_files(home_dir) != cache:
            print(f"  (a run took {wall:.1f} s rebuilding a cache: the code changed "
                  "meanwhile; not counted)")
            continue
        walls.append(wall)
        peaks.append(peak)
    if not walls:
        print("no warm run: the enrichment cache was rebuilt every time")
        return
    print(f"warm: moneystory review {year} --json: median {statistics.median(walls):.2f} s "
          f"(runs {', '.join(f'{w:.2f}' for w in walls)}), "
          f"peak RSS {max(peaks) / 2**30:.2f} GB  [target < 3 s, < 2 GB]")
    for new_shops, what in ((False, "of the same shops"), (True, "naming every shop anew")):
        wall, peak = after_import(home_dir, year, new_shops=new_shops)
        print(f"after a 5,000-row import {what}: first review {wall:.2f} s, "
              f"peak RSS {peak / 2**30:.2f} GB")
    wall, peak = without_key_tables(home_dir, year)
    print(f"cold, on a store written before imports kept key tables: {wall:.2f} s, "
          f"peak RSS {peak / 2**30:.2f} GB (once: the batches' keys are cached)")
    t = time.perf_counter()
    pl.scan_parquet(sorted(Store(resolve_home(home_dir)).batch_paths())).filter(
        pl.col("date").dt.year() >= year - 1).select(pl.col("amount").sum()).collect()
    print(f"anchor: polars scan+filter+sum of the same two years {time.perf_counter() - t:.2f} s")


if __name__ == "__main__":
    main()
