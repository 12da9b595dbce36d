"""The store: one immutable Parquet batch per import, an import log, and a lock.

Layout under `home/store/`:
- `batches/<import_id>.parquet`: the rows one import added (schema.STORED), never rewritten;
- `batches/<import_id>.<name>.parquet`: tables derived from those rows when they were written
  (`derived`: the enrichment's distinct keys), so that no report has to read the whole batch
  to make them; they come and go with their batch;
- `imports.json`: the import log and the accounts; replacing it (temp, fsync, rename) is the
  commit point, so a crash leaves the store exactly as before or exactly as after an import;
- `lock`: held with flock by the one process writing, which writes who it is into it.

A batch file that the log does not list (a crash before the log's rename) is invisible to
readers and removed by the next writer, with its derived tables. Files are 0600, folders
0700. Knows files, not formats.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from moneystory import schema
from moneystory.errors import StoreError, StoreLocked
from moneystory.paths import Home, atomic_write_text, ensure_private_dir, fsync_path

# 2: content_key is the XXH3-128 value as UInt128 (1: the same value as 39 decimal digits).
LOG_VERSION = 2
DEFAULT_LOCK_TIMEOUT = 10.0  # seconds a second writer waits before saying who holds the lock


def _lock_timeout() -> float:
    try:
        return float(os.environ.get("MONEYSTORY_LOCK_TIMEOUT", DEFAULT_LOCK_TIMEOUT))
    except ValueError:
        return DEFAULT_LOCK_TIMEOUT


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class ImportLog:
    imports: list[dict[str, Any]]
    accounts: dict[str, dict[str, Any]]
    version: int = LOG_VERSION

    def live(self) -> list[dict[str, Any]]:
        return [rec for rec in self.imports if not rec.get("undone_at")]

    def find(self, import_id: str) -> dict[str, Any] | None:
        matches = [rec for rec in self.imports if rec["import_id"].startswith(import_id)]
        return matches[0] if len(matches) == 1 else None


class Store:
    def __init__(self, home: Home) -> None:
        self.home = home
        self._writing = False  # this process holds the write lock

    # ------------------------------------------------------------------ reading
    def read_log(self) -> ImportLog:
        path = self.home.import_log
        if not path.exists():
            return ImportLog(imports=[], accounts={})
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise StoreError(
                f"the import log {path} cannot be read ({exc})",
                hint="restore it from a backup, or move the store folder away to start afresh",
            ) from exc
        imports = raw.get("imports", [])
        return ImportLog(imports=imports, accounts=raw.get("accounts", {}),
                         version=int(raw.get("version", 1)) if imports else LOG_VERSION)

    def batch_paths(self, log: ImportLog | None = None) -> list[Path]:
        log = log or self.read_log()
        return [
            self.home.batches / rec["batch"] for rec in log.live() if rec.get("batch")
        ]

    def scan(self) -> pl.LazyFrame:
        """Every stored transaction, lazily (schema.STORED)."""
        log = self.read_log()
        if log.version < LOG_VERSION and log.imports:
            self._upgrade()
            log = self.read_log()
        paths = self.batch_paths(log)
        if not paths:
            return schema.empty(schema.STORED).lazy()
        missing = [p for p in paths if not p.exists()]
        if missing:
            raise StoreError(
                f"the store lists a batch that is gone: {missing[0]}",
                hint=f"restore the file from a backup, or run `moneystory imports undo "
                f"{missing[0].stem}` to forget that import",
            )
        return pl.scan_parquet(paths, schema=schema.STORED)

    def derived_path(self, batch: Path, name: str) -> Path:
        """Where the table `name`, derived from `batch`'s rows, is kept (it may not exist)."""
        return batch.with_name(f"{batch.stem}.{name}.parquet")

    def keys(self, account_ids: list[str]) -> pl.DataFrame:
        """txn_id and content_key of the stored rows of these accounts, for dedup."""
        return (
            self.scan()
            .filter(pl.col("account_id").is_in(account_ids))
            .select("txn_id", "content_key")
            .collect()
        )

    def _upgrade(self) -> None:
        """Rewrite format-1 batches (content_key as decimal digits) with the same keys as
        UInt128. Each batch is replaced atomically and the log's version is written last, so
        an interrupted upgrade resumes where it stopped; the rows themselves are unchanged."""
        with contextlib.ExitStack() as stack:
            if not self._writing:
                stack.enter_context(self.writing("upgrade the store to format 2"))
            log = self.read_log()
            for path in self.batch_paths(log):
                frame = pl.read_parquet(path)
                if frame.schema.get("content_key") == pl.String:
                    self._write_batch(path, frame.with_columns(
                        pl.col("content_key").cast(pl.UInt128)))
            if log.imports:
                log.version = LOG_VERSION
                self.write_log(log)

    # ------------------------------------------------------------------ writing
    @contextlib.contextmanager
    def writing(self, command: str, timeout: float | None = None) -> Iterator[None]:
        """Hold the store's write lock; wait a short while for another writer, then say who.

        flock is released by the kernel when its holder dies, so a killed import never leaves
        a stale lock behind. The holder writes who it is into the lock file itself.
        """
        if timeout is None:
            timeout = _lock_timeout()
        fd = self._open_lock()
        try:
            self._acquire(fd, timeout)
            self._writing = True
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps(
                {"pid": os.getpid(), "command": command, "since": _now()}).encode(), 0)
            self._remove_orphans()
            yield
        finally:
            self._writing = False
            os.close(fd)  # closing releases the flock

    def _open_lock(self) -> int:
        try:
            if not self.home.data.exists():  # a home we create is private; a user's own folder
                ensure_private_dir(self.home.data)  # is left as it is
            ensure_private_dir(self.home.store)
            ensure_private_dir(self.home.batches)
            return os.open(self.home.lock, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise StoreError(
                f"cannot write to the store at {self.home.store} ({reason})",
                hint="check that the folder exists and is writable, or choose another with --home",
            ) from exc

    def _acquire(self, fd: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise StoreLocked(
                        f"another moneystory is writing to the store ({self.lock_holder()}); "
                        f"waited {timeout:g} s",
                        hint="wait for it to finish and run the command again",
                    ) from None
                time.sleep(0.05)

    def lock_holder(self) -> str:
        """Who holds the lock, as the holder wrote it: pid, command, since."""
        try:
            info = json.loads(self.home.lock.read_text(encoding="utf-8"))
            return f"process {info['pid']} running `{info['command']}` since {info['since']}"
        except (OSError, ValueError, KeyError, TypeError):
            return "holder unknown"

    def _remove_orphans(self) -> None:
        """Batches no live log record lists (and their derived tables) and temporary files:
        leftovers of a crash or undo."""
        listed = {p.stem for p in self.batch_paths()}
        for path in self.home.batches.iterdir():
            if path.name.startswith(".") or path.name.split(".")[0] not in listed:
                path.unlink(missing_ok=True)
        for path in self.home.store.glob(".*.tmp"):
            path.unlink(missing_ok=True)

    def write_log(self, log: ImportLog) -> None:
        body = {"version": log.version, "imports": log.imports, "accounts": log.accounts}
        atomic_write_text(self.home.import_log, json.dumps(body, indent=1, sort_keys=True))

    def commit_import(
        self,
        record: dict[str, Any],
        rows: pl.DataFrame,
        accounts: dict[str, dict[str, Any]],
        derived: Callable[[pl.DataFrame], Mapping[str, pl.DataFrame]] | None = None,
    ) -> None:
        """Write the batch (if any rows) and the tables `derived` from its rows (by name;
        made on the other core while the batch is written), then the log. Call inside
        `writing()`."""
        log = self.read_log()
        if rows.height:
            name = f"{record['import_id']}.parquet"
            batch, stored = self.home.batches / name, schema.conform(rows, schema.STORED)
            with ThreadPoolExecutor(max_workers=1) as pool:
                made = pool.submit(derived, stored) if derived else None
                self._write_batch(batch, stored)
                for key, table in (made.result() if made else {}).items():
                    self._write_batch(self.derived_path(batch, key), table)
            record["batch"] = name
        record.setdefault("imported_at", _now())
        log.imports.append(record)
        for account_id, info in accounts.items():
            known = log.accounts.setdefault(account_id, {})
            known.update({k: v for k, v in info.items() if v is not None})
        self.write_log(log)

    def _write_batch(self, final: Path, rows: pl.DataFrame) -> None:
        """Write a batch (or a derived table) atomically: private temp file, fsync, rename,
        fsync the folder."""
        tmp = final.with_name(f".{final.name}.tmp")
        tmp.unlink(missing_ok=True)
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))  # private from birth
        # polars writes to the path itself (20 % faster than through a Python file object),
        # over the empty private file: the mode stays 0600. LZ4, not zstd: on 1M rows 10-30 %
        # quicker to write and 25-40 % quicker for every report to read back, for files half
        # as large again (zstd level 1 was 2-3x quicker than its default level).
        rows.write_parquet(tmp, compression="lz4", statistics=True)
        fsync_path(tmp)
        os.replace(tmp, final)
        fsync_path(final.parent)

    def undo(self, import_id: str) -> dict[str, Any]:
        """Remove one import's batch. The log keeps the record, marked undone."""
        log = self.read_log()
        record = log.find(import_id)
        if record is None:
            known = ", ".join(rec["import_id"][:8] for rec in log.live()[-5:]) or "none"
            raise StoreError(
                f"no import with id {import_id!r} (recent: {known})",
                hint="run `moneystory imports` to see the ids",
            )
        if record.get("undone_at"):
            raise StoreError(f"import {record['import_id']} was already undone")
        record["undone_at"] = _now()
        self.write_log(log)
        if record.get("batch"):
            batch = self.home.batches / record["batch"]
            for derived in self.home.batches.glob(f"{batch.stem}.*.parquet"):
                derived.unlink(missing_ok=True)
            batch.unlink(missing_ok=True)
        return record
