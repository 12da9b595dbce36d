"""The store: atomic batches, the import log, the lock, permissions, undo, exact amounts."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from moneystory import ingest, keys, schema
from moneystory.errors import StoreError, StoreLocked
from moneystory.paths import Home, resolve_home
from moneystory.store import Store

sys.path.insert(0, str(Path(__file__).parent))

from store_helpers import stored_files

COFFEES = [
    ("2024-03-01", "-4.50", "STARBUCKS #1234 SEATTLE WA"),
    ("2024-03-02", "-12.99", "NETFLIX.COM 866-579-7172 CA"),
    ("2024-03-03", "2500.00", "ACME PAYROLL PPD ID: 99"),
]
RENT = [("2024-04-01", "-1800.00", "ZELLE TO LANDLORD"), ("2024-04-02", "-0.01", "TEST CHARGE")]


def _import(store: Store, parsed, name: str = "a.csv", **kw) -> ingest.FileResult:  # type: ignore[no-untyped-def]
    return ingest.import_parsed(store, Path(name), name.encode(), parsed, **kw)


@pytest.fixture(name="store")
def _store(home_dir: Path) -> Store:
    return Store(resolve_home(home_dir))


def test_home_comes_from_flag_then_env_then_platformdirs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MONEYSTORY_HOME", str(tmp_path / "env"))
    assert resolve_home(tmp_path / "flag").data == tmp_path / "flag"
    assert resolve_home().data == tmp_path / "env"
    assert resolve_home().config == tmp_path / "env" / "config"
    monkeypatch.delenv("MONEYSTORY_HOME")
    import platformdirs

    assert resolve_home().data == Path(platformdirs.user_data_dir("moneystory"))


def test_an_import_writes_one_batch_and_one_log_record(store: Store, make_parsed) -> None:  # type: ignore[no-untyped-def]
    result = _import(store, make_parsed(COFFEES))
    log = store.read_log()
    assert [rec["import_id"] for rec in log.imports] == [result.import_id]
    assert sorted(p.name for p in store.home.batches.iterdir()) == [
        f"{result.import_id}.{keys.KEY_TABLE}.parquet", f"{result.import_id}.parquet"]
    stored = store.scan().collect()
    assert stored.height == 3
    assert stored.schema == pl.Schema(schema.STORED)
    assert set(stored["import_id"]) == {result.import_id}


def test_files_are_0600_and_folders_0700(tmp_path: Path, make_parsed) -> None:  # type: ignore[no-untyped-def]
    store = Store(resolve_home(tmp_path / "new" / "home"))  # nothing exists yet
    _import(store, make_parsed(COFFEES))
    _import(store, make_parsed(RENT), "b.csv")
    seen = 0
    for path in [store.home.data, *store.home.data.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), f"{path}: {oct(mode)}"
        seen += 1
    assert seen >= 6  # home, store, batches, two batches, the log, the lock


def test_amounts_read_back_exactly_to_the_cent(store: Store, make_parsed) -> None:  # type: ignore[no-untyped-def]
    amounts = [f"{sign}{units}.{cents:02d}" for units in range(0, 300, 7)
               for cents in (1, 10, 33, 99) for sign in ("-", "")]
    amounts += ["-1778.3952", "0.0001", "99999999999.99"]
    rows = [(f"2024-01-{i % 28 + 1:02d}", a, f"shop {i}") for i, a in enumerate(amounts)]
    _import(store, make_parsed(rows))
    stored = store.scan().collect()
    assert stored["amount"].dtype == schema.AMOUNT
    expected = sum((Decimal(a) for a in amounts), Decimal(0))
    assert sum(stored["amount"].to_list(), Decimal(0)) == expected
    assert stored["amount"].sum() == expected  # polars' own Decimal sum, no float on the way
    assert sorted(stored["amount"].to_list()) == sorted(Decimal(a) for a in amounts)


def test_a_second_writer_waits_then_names_the_holder(store: Store) -> None:
    other = Store(store.home)
    with store.writing("import holder.csv"):
        started = time.monotonic()
        with pytest.raises(StoreLocked) as caught, other.writing("import b.csv", timeout=0.3):
            pass
        assert time.monotonic() - started >= 0.3
    message = caught.value.sentence()
    assert f"process {os.getpid()}" in message
    assert "import holder.csv" in message
    assert "since 20" in message
    with other.writing("import b.csv", timeout=0.3):  # free again once the holder is done
        pass


def test_the_lock_timeout_comes_from_the_environment(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MONEYSTORY_LOCK_TIMEOUT", "0.1")
    with store.writing("first"):
        started = time.monotonic()
        with pytest.raises(StoreLocked), Store(store.home).writing("second"):
            pass
        assert time.monotonic() - started < 5


def test_a_killed_holder_leaves_no_stale_lock(store: Store) -> None:
    code = (
        "import sys, time; from moneystory.paths import resolve_home; "
        "from moneystory.store import Store\n"
        "with Store(resolve_home(sys.argv[1])).writing('import killed.csv'):\n"
        "    print('held', flush=True); time.sleep(60)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code, str(store.home.data)],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        with pytest.raises(StoreLocked, match=r"import killed\.csv"), \
                store.writing("import b.csv", timeout=0.2):
            pass
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        with store.writing("import b.csv", timeout=2):  # the kernel released the flock
            pass
    finally:
        proc.kill()
        proc.wait()


def test_undo_removes_exactly_that_batch(store: Store, make_parsed) -> None:  # type: ignore[no-untyped-def]
    first = _import(store, make_parsed(COFFEES))
    second = _import(store, make_parsed(RENT), "b.csv")
    before_second = store.scan().filter(pl.col("import_id") == second.import_id).collect()
    with store.writing("undo"):
        record = store.undo(first.import_id[:6])  # a unique prefix is enough
    assert record["import_id"] == first.import_id
    after = store.scan().collect()
    assert after.sort("txn_id").equals(before_second.sort("txn_id"))
    assert not list(store.home.batches.glob(f"{first.import_id}.*")), "batch and key table"
    assert [r["import_id"] for r in store.read_log().live()] == [second.import_id]
    again = _import(store, make_parsed(COFFEES))  # the undone rows can come back
    assert again.added == 3
    assert store.scan().collect().height == 5


def test_undo_refuses_unknown_and_repeated_ids(store: Store, make_parsed) -> None:  # type: ignore[no-untyped-def]
    result = _import(store, make_parsed(COFFEES))
    with pytest.raises(StoreError, match="no import with id"):
        store.undo("zzzz")
    store.undo(result.import_id)
    with pytest.raises(StoreError, match="already undone"):
        store.undo(result.import_id)


def test_orphan_batches_are_invisible_and_cleaned_by_the_next_writer(
    store: Store, make_parsed  # type: ignore[no-untyped-def]
) -> None:
    _import(store, make_parsed(COFFEES))
    orphan = store.home.batches / "deadbeef0000.parquet"
    orphan_keys = store.derived_path(orphan, keys.KEY_TABLE)
    partial = store.home.batches / ".cafe.parquet.tmp"
    store.scan().collect().write_parquet(orphan)  # as if a crash came before the log's rename
    keys.key_table(store.scan().collect()).write_parquet(orphan_keys)
    partial.write_bytes(b"PAR1 half written")
    assert store.scan().collect().height == 3
    _import(store, make_parsed(RENT), "b.csv")
    assert not orphan.exists() and not orphan_keys.exists() and not partial.exists()
    assert store.scan().collect().height == 5
    assert {p.name for p in store.home.batches.iterdir()} == stored_files(store)


def test_a_listed_batch_that_is_gone_is_reported(store: Store, make_parsed) -> None:  # type: ignore[no-untyped-def]
    result = _import(store, make_parsed(COFFEES))
    (store.home.batches / f"{result.import_id}.parquet").unlink()
    with pytest.raises(StoreError, match="batch that is gone"):
        store.scan()


def test_a_damaged_log_is_reported(store: Store, make_parsed) -> None:  # type: ignore[no-untyped-def]
    _import(store, make_parsed(COFFEES))
    store.home.import_log.write_text("{not json")
    with pytest.raises(StoreError, match="import log"):
        store.read_log()


def test_the_log_records_provenance(store: Store, make_parsed) -> None:  # type: ignore[no-untyped-def]
    result = _import(store, make_parsed(COFFEES), "statement.csv")
    body = json.loads(store.home.import_log.read_text())
    assert body["version"] == 2
    (rec,) = body["imports"]
    assert rec["import_id"] == result.import_id
    assert rec["file"].endswith("statement.csv")
    assert rec["rows"] == 3 and rec["added"] == 3 and rec["duplicates"] == 0
    assert len(rec["sha256"]) == 64
    assert body["accounts"][result.accounts[0]]["institution"] == "Testbank"


def test_a_store_that_is_a_file_is_a_clear_error(tmp_path: Path) -> None:
    data = tmp_path / "home"
    data.mkdir()
    (data / "store").write_text("not a folder")
    store = Store(Home(data=data, config=data / "config"))
    with pytest.raises(StoreError, match="cannot write to the store"), store.writing("x"):
        pass


class _Killed(BaseException):
    """Stands for the process dying at that point (not an Exception: nothing may catch it)."""


@pytest.mark.parametrize("dies_in", ["write_parquet", "replace", "key_table", "write_log"])
def test_dying_at_each_step_of_a_commit_leaves_the_store_as_before(
    store: Store, make_parsed, monkeypatch: pytest.MonkeyPatch, dies_in: str  # type: ignore[no-untyped-def]
) -> None:
    _import(store, make_parsed(COFFEES))
    before = (store.scan().collect().sort("txn_id"), store.home.import_log.read_bytes())

    def die(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise _Killed

    target = {"write_parquet": (pl.DataFrame, "write_parquet"), "replace": (os, "replace"),
              "key_table": (keys, "key_table"), "write_log": (Store, "write_log")}[dies_in]
    with monkeypatch.context() as patched:
        patched.setattr(*target, die)
        with pytest.raises(_Killed):
            _import(store, make_parsed(RENT), "b.csv")
    assert store.scan().collect().sort("txn_id").equals(before[0])
    assert store.home.import_log.read_bytes() == before[1]
    result = _import(store, make_parsed(RENT), "b.csv")  # the lock is free, leftovers go
    assert result.added == 2
    assert {p.name for p in store.home.batches.iterdir()} == stored_files(store)


def test_a_format_1_store_is_upgraded_in_place_and_keeps_deduplicating(  # type: ignore[no-untyped-def]
        store: Store, make_parsed) -> None:
    """Format 1 held content_key as 39 decimal digits: the first read rewrites the batches
    with the same keys as UInt128, so re-importing the same rows still adds nothing."""
    _import(store, make_parsed(COFFEES))
    (batch,) = store.batch_paths()
    before = pl.read_parquet(batch)
    as_digits = before.with_columns(pl.col("content_key").cast(pl.String).str.zfill(39))
    as_digits.write_parquet(batch)
    body = json.loads(store.home.import_log.read_text())
    store.home.import_log.write_text(json.dumps({**body, "version": 1}))
    assert store.read_log().version == 1

    after = store.scan().collect()
    assert after.schema["content_key"] == pl.UInt128
    assert after.sort("txn_id").equals(before.sort("txn_id"))
    assert store.read_log().version == 2
    assert stat.S_IMODE(batch.stat().st_mode) == 0o600
    assert _import(store, make_parsed(COFFEES)).added == 0
