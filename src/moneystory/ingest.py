"""Service: files → importer → identity → store. One batch per file, all or nothing.

Dedup, layered (DESIGN.md): a trusted bank id (FITID, CAMT reference, CSV id column) scoped to
the account; else a content key over (account, date, amount, currency, normalised description)
plus the occurrence ordinal of that tuple within the file, so re-imports add nothing and two
genuine identical coffees on one day are both kept.

Ids are XXH3-128 digests (see `hash_keys`): a frozen, published algorithm, so an id computed
today matches one computed after a polars upgrade. polars' own `hash` promises no such thing.
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from moneystory import keys
from moneystory.errors import MoneystoryError, StatementError, UsageProblem
from moneystory.importers import parse_file
from moneystory.importers.base import AccountInfo, ImportOptions, ParsedFile, RowIssue
from moneystory.masking import mask_numbers, masked_path  # also imported from here by callers
from moneystory.paths import Home
from moneystory.store import Store

_PLACEHOLDER_IDS = ["", "0", "none", "null", "notprovided", "n/a", "na", "-"]
_SEP = "\x1f"  # unit separator: cannot occur in whitespace-squashed bank text
TXN_ID_DIGITS = 20  # the last 20 of the 39 digits: ~66 bits, short enough to type

# XXH3-128 of b"" with seed 0: the published vector.
EMPTY_KEY_HASH = 0x99AA06D3014798D86001C324468D497F


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
    possible_duplicates: list[dict[str, Any]] = field(default_factory=list)


def slug(text: str) -> str:
    """"Société Générale" -> "societe-generale": accents folded, not dropped."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", text.lower())
                    if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-") or "account"


def last4(number: str | None) -> str | None:
    digits = re.sub(r"\D", "", number or "")
    return digits[-4:] if len(digits) >= 4 else (digits or None)


def account_name(info: AccountInfo, chosen: str | None, fallback: str | None) -> str | None:
    """The name shown for an account: never a full number (DESIGN: last 4 only). A name that
    is only a number (ING's IBAN, an ACCTID) gets the bank's name in front: "ING ••4871"."""
    institution = mask_numbers(info.institution)
    name = mask_numbers(info.name or chosen or institution or fallback)
    if name and re.fullmatch(r"••\w{0,4}", name) and institution and institution != name:
        return f"{institution} {name}"
    return name


def account_id_for(info: AccountInfo, parsed: ParsedFile, chosen: str | None, many: bool) -> str:
    """A stable, readable id that never shows more than the last 4 digits of a number.

    Only the account's own number counts, never the card that paid: a replaced card is the
    same account (card-change tracking depends on it), and a card CSV names a card per row.
    """
    tail = last4(info.ref)
    if chosen:
        return slug(chosen) + (f"-{tail}" if many and tail else "")
    base = info.institution or parsed.profile or parsed.format
    if info.ref and not tail:  # a name such as Mint's "Account Name"
        return slug(f"{base}-{info.ref}")
    return slug(base) + (f"-{tail}" if tail else "")


# ---------------------------------------------------------------- identity

@functools.cache
def _plugin_works() -> bool:
    """polars-hash loads and gives the published XXH3-128 vector (it is built per polars ABI)."""
    try:
        return bool(_plugin_hashes(pl.Series([""], dtype=pl.String))[0] == EMPTY_KEY_HASH)
    except Exception:  # any load or ABI failure means: use the reference library instead
        return False


def _plugin_hashes(keys: pl.Series) -> pl.Series:
    import polars_hash  # noqa: F401  (registers the `nchash` namespace on expressions)

    digest = pl.col("k").nchash.xxh3_128()  # type: ignore[attr-defined]
    return keys.to_frame("k").lazy().select(digest.cast(pl.UInt128)).collect()["k"]


def reference_hashes(keys: pl.Series) -> pl.Series:
    """The same hashes from the reference `xxhash` library, one key at a time (oracle, fallback)."""
    import xxhash

    digest = xxhash.xxh3_128_intdigest
    return pl.Series([digest(key.encode()) for key in keys.to_list()], dtype=pl.UInt128)


def hash_keys(keys: pl.Series) -> pl.Series:
    """XXH3-128 of each key's UTF-8 bytes, as UInt128: stable across versions, and stored as
    16 bytes (as 39 decimal digits it cost 5x more to write and to read back for dedup)."""
    return _plugin_hashes(keys) if _plugin_works() else reference_hashes(keys)


def txn_digits(hashes: pl.Series) -> pl.Series:
    """The last TXN_ID_DIGITS decimal digits of each hash, zero-padded: the id a user types.
    (A leading 1 added, then sliced off: the padding without a pass of its own.)"""
    unit = 10**TXN_ID_DIGITS
    digits = ((pl.col("h") % unit) + unit).cast(pl.String).str.slice(1)
    return hashes.to_frame("h").lazy().select(digits).collect()["h"]


def _group_hash(keys: pl.Series) -> pl.Series:
    """A fast 64-bit grouping hash, only ever compared within one file (so need not be stable)."""
    return keys.hash(seed=0)


def _description_key() -> pl.Expr:
    """The text part of the content key: the description lower-cased.

    Importers already squash whitespace (importers.base.squash is the contract for the raw
    description), so no regex runs here: on 1M rows it would cost more than the hashing.
    """
    return pl.col("description").fill_null("").str.to_lowercase()


def _iso_dates(dates: pl.Series) -> pl.Expr:
    """The `date` column as ISO 8601 text, formatted once per distinct date (a statement has
    a few dozen rows a day; formatting every row cost twice as much as the lookup)."""
    distinct = dates.unique()
    return pl.col("date").replace_strict(distinct, distinct.cast(pl.String),
                                         return_dtype=pl.String)


def with_ordinal(base: pl.Series) -> pl.Series:
    """Each base key with its occurrence ordinal in the file: the 2nd identical row gets "\x1f1".

    The first occurrence keeps its key as it is (ordinal 0 adds nothing), so only the repeated
    keys are touched: equal neighbours in the sorted 64-bit hashes find the candidates (a third
    of a group-by's time), then a window over the keys themselves ranks those few rows in file
    order (never `.over()` on the whole file; a hash collision cannot mis-rank, the key decides).
    """
    hashes = _group_hash(base)
    ordered = hashes.sort()
    repeated = ordered.filter(ordered == ordered.shift(1)).unique()
    if repeated.is_empty():
        return base
    frame = pl.DataFrame({"_b": base, "_g": hashes}).with_row_index("_i")
    ranked = (
        frame.filter(pl.col("_g").is_in(repeated.implode()))
        .with_columns(_ord=pl.int_range(pl.len(), dtype=pl.UInt32).over("_b"))
        .filter(pl.col("_ord") > 0)
        .select("_i", _key=pl.col("_b") + _SEP + pl.col("_ord").cast(pl.String))
    )
    return base.scatter(ranked["_i"], ranked["_key"])


def _trusted_bank_ids(frame: pl.DataFrame) -> pl.Series:
    """True where the bank's own id can stand for the row: present, not a placeholder, unique."""
    if frame["fitid"].null_count() == frame.height:  # most CSVs: no bank ids at all
        return pl.repeat(False, frame.height, eager=True)
    fitid = frame["fitid"].str.strip_chars()
    present = fitid.is_not_null() & ~fitid.str.to_lowercase().is_in(_PLACEHOLDER_IDS)
    if not present.any():
        return present.fill_null(False)
    scoped = frame["account_id"] + _SEP + fitid
    return (present & scoped.is_unique()).fill_null(False)  # a reused id is not an id


def with_identity(frame: pl.DataFrame) -> pl.DataFrame:
    """Add content_key and txn_id (needs account_id). Deterministic for the same file content.

    content_key = XXH3-128(account, date, amount, currency, description key[, ordinal]);
    txn_id = the last 20 decimal digits of XXH3-128(account, bank id) when the bank id is
    trusted, else of the content key.
    """
    # Lazily: polars' default engine then builds the keys in morsels on every core (an eager
    # select runs them on one: 0.27 against 0.18 s on 1M rows); the same for the hashes.
    base = frame.lazy().select(
        pl.concat_str(
            [
                pl.col("account_id"), _iso_dates(frame["date"]),
                # integer ten-thousandths (the Decimal's own integer): no decimal formatting
                # that a library could change
                pl.col("amount").to_physical().cast(pl.String),
                pl.col("currency").fill_null(""), _description_key(),
            ],
            separator=_SEP,
        )
    ).collect().to_series()
    content_key = hash_keys(with_ordinal(base))
    txn_hash = content_key
    trusted = _trusted_bank_ids(frame)
    if trusted.any():
        bank_key = "ext" + _SEP + frame["account_id"] + _SEP + frame["fitid"].str.strip_chars()
        bank_hash = hash_keys(bank_key.fill_null(""))
        txn_hash = pl.select(pl.when(trusted).then(bank_hash).otherwise(content_key)).to_series()
    return frame.with_columns(content_key=content_key, txn_id=txn_digits(txn_hash))


# ---------------------------------------------------------------- currency

# ISO 4217 codes of money in use (funds, metals and test codes such as XAU, XTS, XXX left out).
ISO_4217 = frozenset({
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT",
    "BGN", "BHD", "BIF", "BMD", "BND", "BOB", "BOV", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD",
    "CAD", "CDF", "CHE", "CHF", "CHW", "CLF", "CLP", "CNY", "COP", "COU", "CRC", "CUC", "CUP",
    "CVE", "CZK", "DJF", "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP",
    "GEL", "GHS", "GIP", "GMD", "GNF", "GTQ", "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS",
    "INR", "IQD", "IRR", "ISK", "JMD", "JOD", "JPY", "KES", "KGS", "KHR", "KMF", "KPW", "KRW",
    "KWD", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "LYD", "MAD", "MDL", "MGA", "MKD",
    "MMK", "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN", "MXV", "MYR", "MZN", "NAD", "NGN",
    "NIO", "NOK", "NPR", "NZD", "OMR", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "PYG", "QAR",
    "RON", "RSD", "RUB", "RWF", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SLL",
    "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL", "THB", "TJS", "TMT", "TND", "TOP", "TRY",
    "TTD", "TWD", "TZS", "UAH", "UGX", "USD", "USN", "UYI", "UYU", "UYW", "UZS", "VED", "VES",
    "VND", "VUV", "WST", "XAF", "XCD", "XCG", "XOF", "XPF", "YER", "ZAR", "ZMW", "ZWG", "ZWL"
})


def currency_code(text: str | None) -> str | None:
    """A `--currency` value as its ISO 4217 code, or a UsageProblem saying what to write."""
    if text is None:
        return None
    code = text.strip().upper()
    if code not in ISO_4217:
        raise UsageProblem(
            f"--currency {text!r} is not an ISO 4217 currency code",
            hint="write the three-letter code, e.g. --currency USD, EUR or GBP",
        )
    return code


def fill_currency(rows: pl.DataFrame, accounts: dict[str, dict[str, Any]], given: str | None,
                  known: dict[str, dict[str, Any]]) -> tuple[pl.DataFrame, list[str]]:
    """Rows the file gives no currency (QIF never does, some OFX lack CURDEF) take `given`
    (--currency), else the currency the store already has for their account; any left
    unknown get one warning per account. Runs after the identity, which uses the currency as
    the file states it, so importing a file again with or without --currency adds nothing."""
    if not rows["currency"].null_count():
        return rows, []
    chosen = {account_id: given or info.get("currency")
              or (known.get(account_id) or {}).get("currency")
              for account_id, info in accounts.items()}
    found = {account_id: code for account_id, code in chosen.items() if code}
    if found:
        by_account = pl.col("account_id").replace_strict(found, default=None,
                                                         return_dtype=pl.String)
        rows = rows.with_columns(currency=pl.col("currency").fill_null(by_account))
        for account_id, code in found.items():
            accounts[account_id]["currency"] = accounts[account_id]["currency"] or code
    unknown = rows.filter(pl.col("currency").is_null())["account_id"].unique().sort()
    return rows, [
        f"the file does not say its currency and account {account_id} has none yet: its "
        "amounts are stored without one; pass --currency CODE (e.g. --currency USD) to set it"
        for account_id in unknown.to_list()
    ]


# ---------------------------------------------------------------- one file

def prepare(parsed: ParsedFile, account: str | None, include_pending: bool) -> tuple[
    pl.DataFrame, dict[str, dict[str, Any]], int
]:
    """RAW frame → rows with account_id and identity; also the accounts and pending count."""
    frame = parsed.frame
    pending = int(frame["pending"].fill_null(False).sum())
    if not include_pending and pending:
        frame = frame.filter(~pl.col("pending").fill_null(False))
    infos = list(parsed.accounts) or [AccountInfo()]
    refs = {info.ref for info in infos}
    for ref in frame["account_ref"].unique().to_list():
        if ref not in refs:
            infos.append(AccountInfo(ref=ref))
            refs.add(ref)
    many = len(infos) > 1
    mapping = {info.ref: account_id_for(info, parsed, account, many) for info in infos}
    accounts = {
        mapping[info.ref]: {
            "name": account_name(info, account, parsed.profile),
            "institution": mask_numbers(info.institution),
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
    card = pl.col("card_last4")
    frame = frame.with_columns(
        account_id=account_id,
        card_last4=pl.when(card.is_not_null()).then(card.str.slice(-4)),
    )
    return with_identity(frame), accounts, pending


Progress = Callable[[str, str], None]


def read_statement(path: Path) -> bytes:
    """The file's bytes, or one sentence saying why they cannot be had."""
    hint = "check the path, and that you may read the file"
    if path.is_symlink() and not path.exists():
        raise StatementError("this is a broken link: the file it points to is gone", path=path,
                             hint="import the statement file itself")
    try:
        return path.read_bytes()
    except IsADirectoryError:
        raise StatementError("this is a folder, not a file", path=path,
                             hint="pass the statement files themselves, e.g. folder/*") from None
    except FileNotFoundError:
        raise StatementError("no such file", path=path, hint=hint) from None
    except PermissionError:
        raise StatementError("you may not read this file (permission denied)", path=path,
                             hint="change its permissions (chmod u+r) or copy it elsewhere") \
            from None
    except OSError as exc:
        raise StatementError(f"cannot read the file ({exc.strerror})", path=path, hint=hint) \
            from exc


def import_file(
    store: Store,
    path: Path,
    *,
    account: str | None = None,
    options: ImportOptions,
    currency: str | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> FileResult:
    """Read, detect, parse and import one file (see `import_parsed`)."""
    data = read_statement(path)
    if progress:
        progress(str(path), "reading")
    # The file's digest for the log, on the other core while the file is parsed (hashlib
    # releases the GIL): 0.1 s of a 1M-row import otherwise.
    with ThreadPoolExecutor(max_workers=1) as pool:
        digest = pool.submit(sha256_of, data)
        parsed = parse_file(path, data, options)
    return import_parsed(store, path, data, parsed, account=account, options=options,
                         currency=currency, dry_run=dry_run, progress=progress,
                         digest=digest.result())


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def import_parsed(
    store: Store,
    path: Path,
    data: bytes,
    parsed: ParsedFile,
    *,
    account: str | None = None,
    options: ImportOptions | None = None,
    currency: str | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
    digest: str | None = None,
) -> FileResult:
    """Import a parsed file: one batch with every new row, or nothing at all.

    `data` is the file's bytes (their SHA-256, `digest` when the caller has it, goes in the
    log). `currency` (ISO 4217) is for rows
    the file gives none (see `fill_currency`). A dry run takes no lock and writes nothing, not
    even the store's folders.
    """
    options = options or ImportOptions()
    result = FileResult(file=str(path), dry_run=dry_run, format=parsed.format,
                        profile=parsed.profile, rejected=list(parsed.rejected),
                        warnings=list(parsed.warnings) + _balance_warnings(parsed))
    if options.strict and parsed.rejected:
        first = parsed.rejected[0]
        raise StatementError(
            f"{len(parsed.rejected)} row(s) cannot be read, the first: {first.reason}",
            path=path, line=first.line,
            hint="fix the rows, or import without --strict to import the rest and list these",
        )
    rows, accounts, pending = prepare(parsed, account, options.include_pending)
    rows, unknown_currency = fill_currency(rows, accounts, currency_code(currency),
                                           store.read_log().accounts)
    result.warnings += unknown_currency
    result.pending_skipped = 0 if options.include_pending else pending
    result.rows = rows.height
    result.accounts = sorted(accounts)
    if rows.height:
        result.first_date = str(rows["date"].min())
        result.last_date = str(rows["date"].max())
    if progress:
        progress(str(path), "deduplicating")
    if dry_run:
        _count_new(store, rows, result)
        return result
    with store.writing(f"import {path.name}"):
        new = _count_new(store, rows, result)
        import_id = uuid.uuid4().hex[:12]
        record = {
            "import_id": import_id, "file": masked_path(path),
            "sha256": digest or sha256_of(data), "format": parsed.format,
            "profile": parsed.profile, "accounts": result.accounts, "rows": result.rows,
            "added": result.added, "duplicates": result.duplicates,
            "pending_skipped": result.pending_skipped, "rejected": len(result.rejected),
            "encoding": parsed.encoding,
        }
        if progress:
            progress(str(path), "writing")
        store.commit_import(record, new.with_columns(import_id=pl.lit(import_id)), accounts,
                            derived=derived_tables)
        result.import_id = import_id
    return result


def derived_tables(rows: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """What the store keeps beside a batch: its key table, so that no report hashes the
    batch's rows to find its distinct keys (on 1M rows 0.03-0.15 s here, on the other core
    while the batch is written; 0.06-0.25 s a batch in a report without one)."""
    return {keys.KEY_TABLE: keys.key_table(rows)}


def _count_new(store: Store, rows: pl.DataFrame, result: FileResult) -> pl.DataFrame:
    """The rows the store does not hold yet; fills added/duplicates/possible_duplicates."""
    existing = store.keys(result.accounts)
    new = rows
    if existing.height:  # anti joins: a third of the time of two `is_in` filters on 1M keys
        new = (
            rows.join(existing.select("txn_id"), on="txn_id", how="anti", maintain_order="left")
            .join(existing.select("content_key"), on="content_key", how="anti",
                  maintain_order="left")
        )
    result.added = new.height
    result.duplicates = rows.height - new.height
    result.possible_duplicates = possible_duplicates(store, new) if existing.height else []
    return new


FUZZY_DAYS = 4  # a card purchase can post a few days after a pending or another export's date
FUZZY_SCORE = 85  # rapidfuzz token_set_ratio, 0-100
FUZZY_MAX_PAIRS = 50_000  # beyond this the suggestion is not worth its time


def possible_duplicates(store: Store, new: pl.DataFrame) -> list[dict[str, Any]]:
    """New rows that look like stored ones: same account and amount, dates within a few days,
    similar text. Only ever a suggestion shown in the import result; no row is dropped."""
    if new.is_empty():
        return []
    stored = (
        store.scan()
        .filter(pl.col("account_id").is_in(new["account_id"].unique().implode())
                & pl.col("amount").is_in(new["amount"].unique().implode()))
        .select("account_id", "amount", "txn_id", date_stored="date",
                description_stored="description")
        .collect()
    )
    pairs = (
        new.select("account_id", "amount", "date", "description", "source_row",
                   new_txn_id="txn_id")
        .join(stored, on=["account_id", "amount"])
        .filter((pl.col("date") - pl.col("date_stored")).abs() <= pl.duration(days=FUZZY_DAYS))
    )
    if pairs.is_empty() or pairs.height > FUZZY_MAX_PAIRS:
        return []
    scores = _text_similarity(pairs.select("description", "description_stored").unique())
    best = (
        pairs.join(scores, on=["description", "description_stored"])
        .filter(pl.col("score") >= FUZZY_SCORE)
        .sort("source_row", "score", descending=[False, True])
        .unique("source_row", keep="first", maintain_order=True)
    )
    return [
        {"line": row["source_row"], "date": row["date"], "amount": row["amount"],
         "description": row["description"], "txn_id": row["new_txn_id"],
         "stored_txn_id": row["txn_id"],
         "stored_date": row["date_stored"], "stored_description": row["description_stored"]}
        for row in best.iter_rows(named=True)
    ]


def _text_similarity(texts: pl.DataFrame) -> pl.DataFrame:
    """token_set_ratio of each distinct (new, stored) description pair."""
    from rapidfuzz import fuzz, utils

    scores = [
        round(fuzz.token_set_ratio(a or "", b or "", processor=utils.default_process))
        for a, b in texts.iter_rows()
    ]
    return texts.with_columns(score=pl.Series(scores, dtype=pl.Int64))


def _balance_warnings(parsed: ParsedFile) -> list[str]:
    warnings = []
    for check in parsed.balance_checks:
        if not check.ok:
            where = f" (first diverging row: line {check.first_bad_line})" if (
                check.first_bad_line) else ""
            warnings.append(
                f"balance check failed: the bank states {check.stated}, the rows give "
                f"{check.computed}{where}"
            )
    return warnings


def import_files(
    home: Home,
    paths: list[Path],
    *,
    account: str | None = None,
    profile: str | None = None,
    dry_run: bool = False,
    strict: bool = False,
    include_pending: bool = False,
    currency: str | None = None,
    progress: Progress | None = None,
) -> list[FileResult]:
    """Import each file on its own: a bad file is reported and the others still go in.

    `currency` fills rows whose file gives none; an invalid code is a UsageProblem before
    any file is read.
    """
    currency = currency_code(currency)
    options = ImportOptions(
        profile=profile, strict=strict, include_pending=include_pending,
        user_profiles_dir=home.profiles_dir,
    )
    store = Store(home)
    results = []
    for path in paths:
        try:
            results.append(import_file(store, path, account=account, options=options,
                                       currency=currency, dry_run=dry_run, progress=progress))
        except MoneystoryError as exc:
            results.append(FileResult(file=str(path), error=exc, dry_run=dry_run))
    return results
