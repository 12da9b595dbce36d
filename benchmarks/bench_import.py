"""Import speed: `moneystory import` of a 1,000,000-row Chase-style CSV, end to end as a whole
process, beside a bare polars read_csv + write_parquet of the same file in the same run.

Prints medians and the paired ratio (absolute times drift on shared machines; ratios hold), and
the start-up time of `moneystory --help`. Never fails on a time.

    python benchmarks/bench_import.py [--rows N] [--runs K]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"
HEADER = "Details,Posting Date,Description,Amount,Type,Balance,Check or Slip #"
# Card and ACH descriptors as Chase prints them; {n} makes store numbers, refs and ids vary.
PATTERNS = [
    ("DEBIT", "STARBUCKS STORE {n5} {city}          {md}", "DEBIT_CARD", 3, 12),
    ("DEBIT", "SQ *{cafe} {city}                {md}", "DEBIT_CARD", 3, 25),
    ("DEBIT", "AMAZON MKTPL*{ref} Amzn.com/bill WA     {md}", "DEBIT_CARD", 5, 250),
    ("DEBIT", "TRADER JOE S #{n3} {city}           {md}", "DEBIT_CARD", 20, 180),
    ("DEBIT", "SHELL OIL {n8} {city}          {md}", "DEBIT_CARD", 25, 90),
    ("DEBIT", "UBER   *TRIP HELP.UBER.COM CA          {md}", "DEBIT_CARD", 8, 60),
    ("DEBIT", "DOORDASH*{rest} SAN FRANCISCO CA    {md}", "DEBIT_CARD", 15, 70),
    ("DEBIT", "NETFLIX.COM NETFLIX.COM CA             {md}", "DEBIT_CARD", 15, 23),
    ("DEBIT", "TST* {rest} {city}               {md}", "DEBIT_CARD", 12, 140),
    ("DEBIT", "Zelle payment to {person} JPM{ref}", "QUICKPAY_DEBIT", 20, 900),
    ("DEBIT", "ATM WITHDRAWAL {n6} {md} {city}", "ATM", 20, 400),
    ("CREDIT", "{employer} PAYROLL PPD ID: {n8}", "ACH_CREDIT", 1500, 5200),
    ("DEBIT", "COMCAST CABLE COMM 800-266-2278 PA     {md}", "DEBIT_CARD", 60, 140),
]
CITIES = ["SEATTLE WA", "PORTLAND OR", "BROOKLYN NY", "AUSTIN TX", "OAKLAND CA", "DENVER CO",
          "CHICAGO IL", "BOSTON MA", "MIAMI FL", "PHOENIX AZ"]
WORDS = ["BLUE", "BOTTLE", "RED", "OAK", "CORNER", "PIZZA", "THAI", "GARDEN", "TACO", "BAR",
         "SUSHI", "BURGER", "BAKERY", "NOODLE", "GRILL", "KITCHEN", "CAFE", "DELI"]
PEOPLE = ["JOHN SMITH", "MARIA GARCIA", "LANDLORD LLC", "MOM", "ALEX KIM", "PAT LEE"]
EMPLOYERS = ["ACME CORP", "GLOBEX INC", "INITECH", "UMBRELLA CO"]


def make_csv(path: Path, rows: int, seed: int = 1) -> None:
    """A realistic statement: many distinct descriptions, amounts in cents, a running balance."""
    rng = random.Random(seed)
    start = date(2000, 1, 1)
    per_day = 40
    balance = 1_000_000_00
    with path.open("w", encoding="utf-8", newline="\n") as out:
        out.write(HEADER + "\n")
        for i in range(rows):
            day = start + timedelta(days=i // per_day)
            kind, text, txn_type, low, high = rng.choice(PATTERNS)
            text = text.format(
                n3=f"{rng.randrange(999):03d}", n5=f"{rng.randrange(99999):05d}",
                n6=f"{rng.randrange(999999):06d}", n8=f"{rng.randrange(10**8):08d}",
                ref=f"{rng.randrange(36**6):X}", city=rng.choice(CITIES),
                md=f"{day:%m/%d}", cafe=" ".join(rng.sample(WORDS, 2)),
                rest=" ".join(rng.sample(WORDS, 2)), person=rng.choice(PEOPLE),
                employer=rng.choice(EMPLOYERS),
            )
            cents = rng.randrange(low * 100, high * 100)
            cents = cents if kind == "CREDIT" else -cents
            balance += cents
            out.write(f'{kind},{day:%m/%d/%Y},"{text}",{cents / 100:.2f},{txn_type},'
                      f'{balance / 100:.2f},,\n')


def moneystory_command() -> list[str]:
    script = Path(sys.executable).with_name("moneystory")
    return [str(script)] if script.exists() else [sys.executable, "-m", "moneystory"]


# As an installed package runs: with its modules' bytecode cached. (An editable install under
# PYTHONDONTWRITEBYTECODE=1 recompiles moneystory's sources in every process, ~0.1 s.)
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=CHILD_ENV)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        print(f"  (command failed, exit {done.returncode}: {done.stderr.strip()[:300]})")
    return elapsed


BARE_POLARS = (
    "import sys, polars as pl; "
    "pl.read_csv(sys.argv[1], infer_schema=False, truncate_ragged_lines=True)"
    ".write_parquet(sys.argv[2])"
)


def stages(csv_path: Path) -> list[tuple[str, float]]:
    """Where one import's time goes, in process (start-up excluded)."""
    from moneystory import ingest
    from moneystory.importers import parse_file
    from moneystory.importers.base import ImportOptions
    from moneystory.paths import resolve_home
    from moneystory.store import Store

    times = []
    started = time.perf_counter()
    data = ingest.read_statement(csv_path)
    parsed = parse_file(csv_path, data, ImportOptions())
    times.append(("detect + parse (importers)", time.perf_counter() - started))
    started = time.perf_counter()
    ingest.prepare(parsed, None, include_pending=False)
    times.append(("accounts + identity (ingest.prepare)", time.perf_counter() - started))
    with tempfile.TemporaryDirectory() as scratch:
        store = Store(resolve_home(Path(scratch)))
        started = time.perf_counter()
        ingest.import_parsed(store, csv_path, data, parsed)
        times.append(("prepare + dedup + write batch (import_parsed)",
                      time.perf_counter() - started))
        started = time.perf_counter()
        ingest.import_parsed(store, csv_path, data, parsed)
        times.append(("the same again: all duplicates", time.perf_counter() - started))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    csv_path = OUT / f"chase_{args.rows}.csv"
    if not csv_path.exists():
        started = time.perf_counter()
        make_csv(csv_path, args.rows)
        print(f"made {csv_path.name}: {args.rows:,} rows, "
              f"{csv_path.stat().st_size / 1e6:.0f} MB in {time.perf_counter() - started:.1f} s")
    ours, bare, ratios = [], [], []
    with tempfile.TemporaryDirectory() as scratch:
        tiny = Path(scratch) / "tiny.csv"  # a first import writes the bytecode caches
        tiny.write_text(HEADER + "\nDEBIT,01/02/2024,COFFEE,-3.50,DEBIT_CARD,100.00,,\n")
        timed([*moneystory_command(), "--home", str(Path(scratch) / "warm"), "import", str(tiny)])
        for run in range(args.runs):
            home = Path(scratch) / f"home{run}"
            bare_time = timed([sys.executable, "-c", BARE_POLARS, str(csv_path),
                               str(Path(scratch) / f"bare{run}.parquet")])
            our_time = timed([*moneystory_command(), "--home", str(home), "import",
                              str(csv_path), "--json"])
            shutil.rmtree(home, ignore_errors=True)
            ours.append(our_time)
            bare.append(bare_time)
            ratios.append(our_time / bare_time)
    helps = [timed([*moneystory_command(), "--help"]) for _ in range(10)]
    print(f"import of {args.rows:,} rows (median of {args.runs}, whole process):")
    print(f"  moneystory import            {statistics.median(ours):6.2f} s")
    print(f"  polars read_csv+write_parquet {statistics.median(bare):6.2f} s")
    print(f"  ratio (median of paired runs) {statistics.median(ratios):6.2f}x"
          "   target: within 3x, and under 10 s")
    print(f"moneystory --help start-up (median of 10): {statistics.median(helps):.3f} s"
          "   target: under 0.3 s")
    print("where an import's time goes (in process, one run):")
    for name, seconds in stages(csv_path):
        print(f"  {name:<48} {seconds:6.2f} s")


if __name__ == "__main__":
    main()
