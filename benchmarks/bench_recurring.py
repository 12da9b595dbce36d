"""find_streams over ~1,000,000 generated transactions (6 accounts, ~2,300 merchants).

Run: /work/venv/bin/python benchmarks/bench_recurring.py [--runs 5]
Prints the median time, the ratio to a paired polars read+write of the same data (absolute
times drift on shared machines, ratios less), and precision/recall at this scale.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from gen_history import generate, score
from moneystory.analyzers.recurring import find_streams


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--copies", type=int, default=76, help="stream sets per account")
    args = parser.parse_args()
    started = time.perf_counter()
    history = generate(11, accounts=6, copies=args.copies)
    print(f"generated {history.frame.height:,} transactions, {len(history.truth):,} true "
          f"streams, {history.frame['merchant'].n_unique():,} merchants "
          f"in {time.perf_counter() - started:.1f} s")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "history.parquet"
        history.frame.write_parquet(path)
        detect, cpu, baseline = [], [], []
        streams = []
        for _ in range(args.runs):
            t0, c0 = time.perf_counter(), time.process_time()
            streams = find_streams(pl.scan_parquet(path))
            detect.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
            t0 = time.perf_counter()
            pl.read_parquet(path).write_parquet(Path(tmp) / "copy.parquet")
            baseline.append(time.perf_counter() - t0)
    median, base = statistics.median(detect), statistics.median(baseline)
    precision, recall, _ = score(history, streams)
    print(f"find_streams: median {median:.2f} s over {args.runs} runs "
          f"(min {min(detect):.2f}, max {max(detect):.2f}); target < 2 s on 2 cores")
    print(f"CPU time (all threads): median {statistics.median(cpu):.2f} s; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores while measuring")
    print(f"paired polars read+write of the same file: {base:.2f} s → ratio {median / base:.1f}×")
    print(f"{len(streams):,} streams detected; precision {precision:.4f}, recall {recall:.4f}")


if __name__ == "__main__":
    main()
