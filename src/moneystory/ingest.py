"""Service: files → importer → identity → store. One batch per file, all or nothing.

Dedup, layered (DESIGN.md): a trusted bank id (FITID, CAMT reference, CSV id column) scoped to
the account; else a content key over (account, date, amount, currency, normalised description)
plus the occurrence ordinal of that tuple within the file, so re-imports add nothing and two
genuine identical coffees on one day are both kept.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from moneystory import schema
from moneystory.errors import MoneystoryError, StatementError
from moneystory.importers import parse_file
from moneystory.importers.base import AccountInfo, ImportOptions, ParsedFile, RowIssue
from moneystory.paths import Home
from moneystory.store import Store

_PLACEHOLDER_IDS = {"", "0", "none", "null", "notprovided", "n/a", "na", "-"}


@dataclass
class FileResult:
    file: str
    format: str | None = None
    profile: str | None = None
    accounts: list[str] = field(default_factory=list)
    rows: int = 0
    added: int = 0
    duplicates: int = 0
    pending_skipped: int = 0
    rejected: list[RowIssue] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    import_id: str | None = None
    first_date: str | None = None
    last_date: str | None = None
    error: MoneystoryError | None = None
    dry_run: bool = False


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "account"


def last4(number: str | None) -> str | None:
    digits = re.sub(r"\D", "", number or "")
    return digits[-4:] if len(digits) >= 4 else (digits or None)


def account_id_for(info: AccountInfo, parsed: ParsedFile, chosen: str | None, many: bool) -> str:
    """A stable, readable id that never shows more than the last 4 digits of a number."""
    tail = info.card_last4 or last4(info.ref)
    if chosen:
        return slug(chosen) + (f"-{tail}" if many and tail else "")
    base = info.institution or parsed.profile or parsed.format
    if info.ref and not tail:  # a name such as Mint's "Account Name"
        return slug(f"{base}-{info.ref}")
    return slug(base) + (f"-{tail}" if tail else "")


def _blake(values: pl.Series) -> pl.Series:
    return pl.Series(
        [hashlib.blake2b(v.encode(), digest_size=10).hexdigest() for v in values.to_list()],
        dtype=pl.String,
    )


def with_identity(frame: pl.DataFrame) -> pl.DataFrame:
    """Add content_key and txn_id (needs account_id). Deterministic, order-independent."""
    desc_key = (
        pl.col("description").fill_null("").str.to_lowercase()
        .str.replace_all(r"\s+", " ").str.strip_chars()
    )
    base = pl.concat_str(
        [
            pl.col("account_id"), pl.col("date").cast(pl.String),
            pl.col("amount").cast(pl.String), pl.col("currency").fill_null(""), desc_key,
        ],
        separator="\x1f",
    )
    keyed = frame.with_columns(_base=base, _i=pl.int_range(pl.len()))
    # Occurrence ordinal from one stable sort: no .over() (the slow path measured in research).
    ordered = keyed.sort("_base", "_i", maintain_order=True)
    start = pl.when(pl.col("_base") != pl.col("_base").shift(1)).then(pl.int_range(pl.len()))
    ordered = ordered.with_columns(
        _ord=pl.int_range(pl.len()) - start.fill_null(0).forward_fill()
    ).sort("_i")
    fitid = pl.col("fitid").str.strip_chars()
    trusted_id = (
        fitid.is_not_null()
        & ~fitid.str.to_lowercase().is_in(list(_PLACEHOLDER_IDS))
        & (pl.len().over("account_id", "fitid") == 1)  # reused ids are not ids
    )
    ordered = ordered.with_columns(
        content_key=pl.concat_str([pl.col("_base"), pl.col("_ord").cast(pl.String)],
                                  separator="\x1f"),
        _ext=pl.when(trusted_id).then(
            pl.concat_str([pl.lit("ext"), pl.col("account_id"), fitid], separator="\x1f")
        ),
    )
    content = _blake(ordered["content_key"])
    ext = ordered["_ext"]
    ext_hash = _blake(ext.fill_null(""))
    txn_id = pl.Series([e if x is not None else c for e, x, c in
                        zip(ext_hash.to_list(), ext.to_list(), content.to_list(), strict=True)])
    return ordered.with_columns(content_key=content, txn_id=txn_id).drop(
        "_base", "_i", "_ord", "_ext"
    )


def prepare(parsed: ParsedFile, account: str | None, include_pending: bool) -> tuple[
    pl.DataFrame, dict[str, dict[str, Any]], int
]:
    """RAW frame → rows with account_id and identity; also the accounts and pending count."""
    frame = parsed.frame
    pending = int(frame["pending"].fill_null(False).sum())
    if not include_pending:
        frame = frame.filter(~pl.col("pending").fill_null(False))
    infos = parsed.accounts or [AccountInfo()]
    refs = {info.ref for info in infos}
    for ref in frame["account_ref"].unique().to_list():
        if ref not in refs:
            infos.append(AccountInfo(ref=ref))
            refs.add(ref)
    many = len(infos) > 1
    mapping = {info.ref: account_id_for(info, parsed, account, many) for info in infos}
    accounts = {
        mapping[info.ref]: {
            "name": info.name or account or info.institution or parsed.profile,
            "institution": info.institution,
            "currency": info.currency,
            "kind": info.kind,
            "card_last4": info.card_last4,
        }
        for info in infos
    }
    ref_col = pl.col("account_ref")
    account_id = pl.lit(mapping.get(None, next(iter(mapping.values()))))
    for ref, acc in mapping.items():
        if ref is not None:
            account_id = pl.when(ref_col == ref).then(pl.lit(acc)).otherwise(account_id)
    frame = frame.with_columns(account_id=account_id)
    card = pl.col("card_last4")
    frame = frame.with_columns(
        card_last4=pl.when(card.is_not_null()).then(card.str.slice(-4))
    )
    return with_identity(frame), accounts, pending


Progress = Callable[[str, str], None]


def import_file(
    store: Store,
    path: Path,
    *,
    account: str | None = None,
    options: ImportOptions,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> FileResult:
    result = FileResult(file=str(path), dry_run=dry_run)
    try:
        data = path.read_bytes()
    except IsADirectoryError:
        raise StatementError("this is a folder, not a file", path=path,
                             hint="pass the statement files themselves, e.g. folder/*") from None
    except OSError as exc:
        raise StatementError(
            f"cannot read the file ({exc.strerror})", path=path,
            hint="check that it exists and that you may read it",
        ) from exc
    if progress:
        progress(str(path), "parsing")
    parsed = parse_file(path, data, options)
    result.format, result.profile = parsed.format, parsed.profile
    result.rejected, result.warnings = list(parsed.rejected), list(parsed.warnings)
    for check in parsed.balance_checks:
        if not check.ok:
            where = f" (first diverging row: line {check.first_bad_line})" if (
                check.first_bad_line) else ""
            result.warnings.append(
                f"balance check failed: the bank states {check.stated}, the rows give "
                f"{check.computed}{where}"
            )
    if options.strict and parsed.rejected:
        first = parsed.rejected[0]
        raise StatementError(
            f"{len(parsed.rejected)} row(s) cannot be read, the first: {first.reason}",
            path=path, line=first.line,
            hint="fix the rows, or import without --strict to import the rest and list these",
        )
    rows, accounts, pending = prepare(parsed, account, options.include_pending)
    result.pending_skipped = 0 if options.include_pending else pending
    result.rows = rows.height
    result.accounts = sorted(accounts)
    if rows.height:
        result.first_date = str(rows["date"].min())
        result.last_date = str(rows["date"].max())
    if progress:
        progress(str(path), "deduplicating")
    with store.writing(f"import {path.name}"):
        existing = store.keys(result.accounts)
        new = rows.filter(
            ~pl.col("txn_id").is_in(existing["txn_id"].implode())
            & ~pl.col("content_key").is_in(existing["content_key"].implode())
        )
        result.added = new.height
        result.duplicates = rows.height - new.height
        if dry_run:
            return result
        import_id = uuid.uuid4().hex[:12]
        new = new.with_columns(import_id=pl.lit(import_id))
        record = {
            "import_id": import_id, "file": str(path.resolve()),
            "sha256": hashlib.sha256(data).hexdigest(), "format": parsed.format,
            "profile": parsed.profile, "accounts": result.accounts, "rows": result.rows,
            "added": result.added, "duplicates": result.duplicates,
            "pending_skipped": result.pending_skipped, "rejected": len(result.rejected),
            "encoding": parsed.encoding,
        }
        if progress:
            progress(str(path), "writing")
        store.commit_import(record, schema.conform(new, schema.STORED), accounts)
        result.import_id = import_id
    return result


def import_files(
    home: Home,
    paths: list[Path],
    *,
    account: str | None = None,
    profile: str | None = None,
    dry_run: bool = False,
    strict: bool = False,
    include_pending: bool = False,
    progress: Progress | None = None,
) -> list[FileResult]:
    """Import each file on its own: a bad file is reported and the others still go in."""
    options = ImportOptions(
        profile=profile, strict=strict, include_pending=include_pending,
        user_profiles_dir=home.profiles_dir,
    )
    store = Store(home)
    results = []
    for path in paths:
        try:
            results.append(import_file(store, path, account=account, options=options,
                                       dry_run=dry_run, progress=progress))
        except MoneystoryError as exc:
            results.append(FileResult(file=str(path), error=exc, dry_run=dry_run))
    return results
