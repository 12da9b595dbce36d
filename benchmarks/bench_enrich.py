"""Benchmark: enrichment of N synthetic transactions (default 1,000,000), and the cached read.

    /work/venv/bin/python benchmarks/bench_enrich.py [--rows 1000000] [--repeat 3]

Rows are built from tests/data/descriptors.csv with random store numbers, dates and accounts
and an order code on a tenth of them (about 120k distinct descriptors per million rows: more
than the 43.5k of real card data in research/performance.md, so this is the harder case),
plus own-account transfers so the pairing join has work. Prints medians and the ratio to a
paired polars Parquet read+write of the same rows (absolute times drift on shared machines;
ratios do not).
"""

from __future__ import annotations

import argparse
import io
import statistics
import tempfile
import time
from pathlib import Path

import polars as pl

from moneystory import schema
from moneystory.enrich import enrich, load_rules

TABLE = Path(__file__).resolve().parents[1] / "tests" / "data" / "descriptors.csv"


def synthetic(rows: int, seed: int = 7) -> pl.DataFrame:
    """`rows` STORED rows, vectorised (no Python loop per row)."""
    templates = pl.read_csv(TABLE, infer_schema=False).select("description", "amount")
    extra = pl.DataFrame({
        "description": ["ONLINE TRANSFER TO SAVINGS", "PAYMENT RECEIVED - THANK YOU",
                        "ACME CORP PAYROLL", "MONTHLY SERVICE FEE", "AMAZON REFUND",
                        "ZORBA TAVERNA GRILL", "ZORBA TAVERNA GRI"],
        "amount": ["-250.00", "500.00", "3000.00", "-12.00", "20.00", "-30.00", "-28.00"],
    })
    templates = pl.concat([templates, extra]).with_row_index("t")
    count = templates.height
    idx = pl.int_range(0, rows, eager=True).alias("i")
    frame = pl.DataFrame(idx).with_columns(
        t=(pl.col("i").hash(seed) % count).cast(pl.UInt32),
        store=(pl.col("i").hash(seed + 1) % 97),
        day=(pl.col("i").hash(seed + 2) % 730).cast(pl.Int32),
        acct=(pl.col("i").hash(seed + 3) % 4),
        cents=(pl.col("i").hash(seed + 4) % 900).cast(pl.Int64),
    ).join(templates, on="t", how="left")
    amount = pl.col("amount").str.to_decimal(scale=4).cast(schema.AMOUNT)
    frame = frame.with_columns(
        txn_id=pl.col("i").cast(pl.String),
        account_id=pl.concat_str(pl.lit("acct-"), pl.col("acct").cast(pl.String)),
        date=pl.lit("2022-01-01").str.to_date() + pl.duration(days=pl.col("day")),
        # a store number on a quarter of the rows multiplies the distinct descriptors
        description=pl.when(pl.col("store") < 25)
        .then(pl.concat_str(pl.col("description"), pl.lit(" #"), pl.col("store").cast(pl.String),
                            pl.col("acct").cast(pl.String)))
        .otherwise(pl.col("description")),
        # an order code on a tenth of the rows, as Amazon and PayPal write them ("*2K4LM3")
        ref=pl.col("i").hash(seed + 5).cast(pl.String).str.slice(0, 6).str.replace_many(
            list("02468"), list("KLMQZ")),
        amount=pl.when(pl.col("amount").str.starts_with("-") & (pl.col("store") > 50))
        .then(amount - pl.col("cents").cast(schema.AMOUNT) / 100).otherwise(amount),
        currency=pl.lit("EUR"),
    ).with_columns(
        description=pl.when(pl.col("store") > 87)
        .then(pl.concat_str(pl.col("description"), pl.lit("*"), pl.col("ref")))
        .otherwise(pl.col("description")),
        source_row=pl.col("i"),
    )
    return schema.conform(frame, schema.STORED)


def timed(func: object, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    frame = synthetic(args.rows)
    print(f"rows {frame.height:,}, distinct descriptions {frame['description'].n_unique():,}, "
          f"threads {pl.thread_pool_size()}")
    with tempfile.TemporaryDirectory() as tmp:
        rules = load_rules(Path(tmp) / "rules.toml")
        path = Path(tmp) / "batch.parquet"
        frame.write_parquet(path)

        def baseline() -> None:
            buffer = io.BytesIO()
            pl.read_parquet(path).write_parquet(buffer)

        def run_enrich() -> pl.DataFrame:
            return enrich(pl.scan_parquet(path), rules).collect()

        out = run_enrich()
        base = timed(baseline, args.repeat)
        seconds = timed(run_enrich, args.repeat)
        cached = Path(tmp) / "cache.parquet"
        out.write_parquet(cached, statistics=True)
        read = timed(lambda: pl.scan_parquet(cached).filter(
            pl.col("date").dt.year() == 2023).group_by("category").agg(
            pl.col("amount").sum()).collect(), args.repeat)
    merchants = out["merchant"].n_unique()
    print(f"enrich: {seconds:.2f} s median of {args.repeat} "
          f"({frame.height / seconds:,.0f} rows/s), {seconds / base:.1f}× a polars "
          f"Parquet read+write of the same rows ({base:.2f} s)")
    print(f"cached read + a year's totals by category: {read:.2f} s")
    print(f"merchants: {frame['description'].n_unique():,} distinct descriptors → "
          f"{merchants:,} merchants")
    kinds = out.group_by("kind").len().sort("len", descending=True)
    print("kinds:", ", ".join(f"{k} {n:,}" for k, n in kinds.iter_rows()))


if __name__ == "__main__":
    main()
