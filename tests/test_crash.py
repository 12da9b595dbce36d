"""Crash safety with real processes: `moneystory import` killed by SIGKILL at random moments.

After every kill the store must read back as exactly the state before that import or exactly
the state after it (the set of txn_ids and the import log), never anything in between; a later
import must still work (flock dies with its holder, so no stale lock). Two imports started at
once must neither lose nor double a row.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from moneystory import ingest
from moneystory.importers import parse_file
from moneystory.importers.base import ImportOptions
from moneystory.paths import resolve_home
from moneystory.store import Store

sys.path.insert(0, str(Path(__file__).parent))

from store_helpers import stored_files

pytestmark = pytest.mark.slow

KILLS = 50
HEADER = "Details,Posting Date,Description,Amount,Type,Balance,Check or Slip #"
SHOPS = ["STARBUCKS STORE {n:05d} SEATTLE WA", "SHELL OIL {n:08d} PORTLAND OR",
         "TRADER JOE S #{n:03d} SEATTLE WA", "AMAZON MKTPL*{n:06d} Amzn.com/bill WA",
         "SQ *BLUE BOTTLE {n:04d} Oakland CA", "UBER   *TRIP {n:05d} HELP.UBER.COM CA"]


def statement_rows(days: int, per_day: int, seed: int) -> list[tuple[date, Decimal, str]]:
    rng = random.Random(seed)
    start = date(2023, 1, 1)
    rows = []
    for day in range(days):
        for _ in range(per_day):
            text = rng.choice(SHOPS).format(n=rng.randrange(40))
            rows.append((start + timedelta(days=day),
                         Decimal(-rng.randrange(100, 20000)).scaleb(-2), text))
        if day % 7 == 0:  # two identical coffees on one day: both must survive
            rows.append(rows[-1])
    return rows


def write_chase(path: Path, rows: list[tuple[date, Decimal, str]]) -> Path:
    lines = [HEADER]
    balance = Decimal("50000.00")
    for when, amount, text in rows:
        balance += amount
        lines.append(f'DEBIT,{when:%m/%d/%Y},"{text}",{amount},DEBIT_CARD,{balance},,')
    path.write_text("\n".join(lines) + "\n")
    return path


def ids_of(path: Path) -> set[str]:
    """The txn_ids a file's import would store, computed in process (no store touched)."""
    parsed = parse_file(path, path.read_bytes(), ImportOptions())
    rows, _, _ = ingest.prepare(parsed, None, include_pending=False)
    return set(rows["txn_id"].to_list())


def state(home: Path) -> tuple[frozenset[str], list[str]]:
    store = Store(resolve_home(home))
    txn_ids = store.scan().select("txn_id").collect()["txn_id"]
    assert txn_ids.n_unique() == txn_ids.len(), "a row is stored twice"
    return frozenset(txn_ids.to_list()), [r["import_id"] for r in store.read_log().imports]


def start_import(home: Path, path: Path, lock_timeout: str = "60") -> subprocess.Popen[bytes]:
    env = {**os.environ, "MONEYSTORY_LOCK_TIMEOUT": lock_timeout, "NO_COLOR": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "moneystory", "--home", str(home), "import", str(path), "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
    )


def run_import(home: Path, path: Path, lock_timeout: str = "60") -> dict:  # type: ignore[type-arg]
    proc = start_import(home, path, lock_timeout)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err.decode()
    return json.loads(out)["imports"][0]  # type: ignore[no-any-return]


@pytest.fixture(name="statement")
def _statement(tmp_path: Path) -> list[tuple[date, Decimal, str]]:
    return statement_rows(days=300, per_day=10, seed=7)  # ~3,040 rows


def test_sigkill_at_random_moments_leaves_before_or_after(
    tmp_path: Path, statement: list[tuple[date, Decimal, str]]
) -> None:
    home = tmp_path / "home"
    rng = random.Random(2024)
    first = write_chase(tmp_path / "first.csv", statement[:1000])
    started = time.monotonic()
    run_import(home, first)
    # A staircase on the moment of the kill: later after a kill that came too early, sooner
    # after one that came too late, so the kills gather around the commit (the batch and log
    # renames), where a crash could do harm, whatever this machine's speed.
    delay = time.monotonic() - started
    outcomes = {"before": 0, "after": 0}
    for round_no in range(KILLS):
        low = rng.randrange(0, len(statement) - 500)
        piece = write_chase(tmp_path / f"piece{round_no}.csv",
                            statement[low:low + rng.randrange(500, 2500)])
        expected_new = ids_of(piece)
        before_ids, before_log = state(home)
        proc = start_import(home, piece)
        time.sleep(delay * rng.uniform(0.8, 1.2))
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
        after_ids, after_log = state(home)
        if after_log == before_log:
            assert after_ids == before_ids, f"round {round_no}: rows changed without a log record"
            outcomes["before"] += 1
            delay *= 1.15
        else:
            assert after_log[:-1] == before_log and len(after_log) == len(before_log) + 1, \
                f"round {round_no}: the log is neither before nor after"
            assert after_ids == before_ids | expected_new, f"round {round_no}: partial import"
            outcomes["after"] += 1
            delay /= 1.15
    print(f"\n{KILLS} SIGKILLs: {outcomes['before']} left the store as before the import, "
          f"{outcomes['after']} as after; never in between")
    assert outcomes["before"] > 0 and outcomes["after"] > 0, outcomes  # both sides were hit

    # A later import still works at once: a lock timeout of 0 fails on any held lock, so a
    # dead process's lock would show here. Orphans of killed imports are cleaned up.
    last = write_chase(tmp_path / "last.csv", statement)
    before_ids, before_log = state(home)
    result = run_import(home, last, lock_timeout="0")
    after_ids, log = state(home)
    assert log[:-1] == before_log
    assert after_ids == before_ids | ids_of(last)
    assert after_ids == ids_of(last) | ids_of(first)  # every row of the statement, once
    assert result["added"] == len(after_ids) - len(before_ids)
    store = Store(resolve_home(home))
    assert {p.name for p in store.home.batches.iterdir()} == stored_files(store)


def test_two_imports_at_once_lose_and_double_nothing(
    tmp_path: Path, statement: list[tuple[date, Decimal, str]]
) -> None:
    for round_no in range(3):
        home = tmp_path / f"home{round_no}"
        one = write_chase(tmp_path / f"one{round_no}.csv", statement[:2000])
        two = write_chase(tmp_path / f"two{round_no}.csv", statement[1000 + 300 * round_no:])
        procs = [start_import(home, one), start_import(home, two)]
        results = []
        for proc in procs:
            out, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err.decode()
            results.append(json.loads(out)["imports"][0])
        stored_ids, log = state(home)
        assert len(log) == 2
        assert stored_ids == ids_of(one) | ids_of(two)
        assert sum(r["added"] for r in results) == len(stored_ids)
        assert sorted(r["duplicates"] for r in results)[0] == 0  # the first in added all
