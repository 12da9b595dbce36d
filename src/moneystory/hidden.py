"""Service: transactions the user hid from every report (a duplicate, say), kept in the home.

The store is append-only, so hiding is a decision kept beside it, in `state/hidden.json`:
`{"version": 1, "hidden": [{"txn_id", "hidden_at", "reason", "duplicate_of", "account_id",
"date", "amount", "currency", "description"}]}`, rewritten whole (temp, fsync, rename, 0600)
under the store's lock, so two `hide` at once cannot lose one. The row's own fields are copied
in so the list still says what was hidden after its import is undone.

- Reports read the store through `without_hidden` (analysis.enriched, enriched_window,
  reports.accounts), and the hidden ids are part of analysis.fingerprint, so no cached
  enrichment or report computed before a hide is read after it.
- Dedup (store.keys) still sees every row: re-importing the file adds nothing, and the row,
  whose txn_id is deterministic, stays hidden.
- Nothing is ever deleted from a batch; `unhide` brings the row back in every report.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
from pydantic import BaseModel, Field, ValidationError

from moneystory import schema
from moneystory.errors import MoneystoryError, StoreError
from moneystory.money import format_money
from moneystory.paths import Home, atomic_write_text
from moneystory.store import Store

FILE_NAME = "hidden.json"
VERSION = 1
ROW_FIELDS = ("txn_id", "account_id", "date", "amount", "currency", "description")
Day = date  # a field named `date` would hide the type inside the model's body


class HiddenEntry(BaseModel):
    txn_id: str
    hidden_at: datetime
    reason: str
    duplicate_of: str | None = None
    account_id: str | None = None
    date: Day | None = None
    amount: Decimal | None = None
    currency: str | None = None
    description: str | None = None


class HiddenList(BaseModel):
    version: int = VERSION
    hidden: list[HiddenEntry] = Field(default_factory=list)

    def entry(self, txn_id: str) -> HiddenEntry | None:
        return next((e for e in self.hidden if e.txn_id == txn_id), None)


class HiddenRow(HiddenEntry):
    """An entry as `hide` lists it: `in_store` is False once the row's import is undone."""

    in_store: bool


class HideOutcome(BaseModel):
    hidden: list[HiddenEntry]  # hidden by this call
    already: list[HiddenEntry]  # hidden before: their entries are left as they were
    notes: list[str] = Field(default_factory=list)  # a "duplicate" that differs from its copy


# ------------------------------------------------------------------------------------ storage
def path(home: Home) -> Path:
    return home.state / FILE_NAME


def load(home: Home) -> HiddenList:
    """The hidden list; empty when nothing was ever hidden."""
    file = path(home)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        return HiddenList()
    except OSError as exc:
        raise _unreadable(file, exc) from exc
    try:
        book = HiddenList.model_validate_json(text)
    except (ValueError, ValidationError) as exc:
        raise _unreadable(file, exc) from exc
    if book.version > VERSION:
        raise StoreError(f"the hidden list {file} was written by a newer moneystory "
                         f"(version {book.version})", hint="upgrade moneystory", path=file)
    return book


def _unreadable(file: Path, exc: Exception) -> StoreError:
    return StoreError(f"the hidden list {file} cannot be read ({type(exc).__name__})",
                      hint="restore it from a backup, or delete it to show every transaction "
                      "again", path=file)


def _save(home: Home, book: HiddenList) -> None:
    atomic_write_text(path(home), book.model_dump_json(indent=1) + "\n")


def hidden_ids(home: Home) -> list[str]:
    """The ids of the hidden rows, sorted (the fingerprint hashes them in this order)."""
    if not path(home).exists():  # the common case: one stat, no parse
        return []
    return sorted(e.txn_id for e in load(home).hidden)


# ------------------------------------------------------------------------------- the read path
def without_hidden(home: Home, lf: pl.LazyFrame) -> pl.LazyFrame:
    """`lf` (stored rows) less the hidden ones: an anti-join on txn_id, `lf` itself when none
    is hidden. A filter on a literal set rather than a join, so the scan can apply it."""
    ids = hidden_ids(home)
    if not ids:
        return lf
    return lf.filter(~_among(ids))


def _among(ids: list[str]) -> pl.Expr:
    return pl.col("txn_id").is_in(pl.Series(ids, dtype=pl.String).implode())


def with_hidden_rows(
    home: Home, visible: pl.LazyFrame, *, account: str | None = None,
    start: date | None = None, end: date | None = None,
) -> pl.LazyFrame:
    """`visible` (enriched rows) with a `hidden` column, plus the hidden rows in the same
    account and date window, marked hidden. Those few are enriched on their own: their
    merchant and category are the rules' as usual, only transfer pairing cannot see them."""
    ids = hidden_ids(home)
    visible = visible.with_columns(hidden=pl.lit(False))
    if not ids:
        return visible
    rows = Store(home).scan().filter(_among(ids))
    if account:
        rows = rows.filter(pl.col("account_id") == account)
    if start:
        rows = rows.filter(pl.col("date") >= start)
    if end:
        rows = rows.filter(pl.col("date") <= end)
    from moneystory import enrich  # only here: the reports' read path needs none of it

    enriched = enrich.enrich(rows, enrich.load_rules(home.rules_file)).select(
        [pl.col(c).cast(t) for c, t in schema.ENRICHED.items()]).with_columns(hidden=pl.lit(True))
    return pl.concat([visible, enriched.select(visible.collect_schema().names())])


# ----------------------------------------------------------------------------------- decisions
def hide(
    home: Home, ids: list[str], *, duplicate_of: str | None = None, reason: str | None = None,
    now: datetime | None = None,
) -> HideOutcome:
    """Hide the rows these ids (or unique prefixes) name, all or none: an unknown id changes
    nothing. `duplicate_of` names the row each is a copy of, which must stay visible."""
    store = Store(home)
    with store.writing("hide " + " ".join(ids)):
        book = load(home)
        rows = _resolve(store, ids)
        original = _resolve(store, [duplicate_of])[0] if duplicate_of else None
        if original is not None:
            _check_original(book, rows, original)
        stamp = now or datetime.now(UTC)
        why = reason or (f"duplicate of {original['txn_id']}" if original else "hidden by hand")
        outcome = HideOutcome(hidden=[], already=[])
        for row in rows:
            known = book.entry(row["txn_id"])
            if known is not None:
                outcome.already.append(known)
                continue
            entry = HiddenEntry(hidden_at=stamp, reason=why,
                                duplicate_of=original["txn_id"] if original else None, **row)
            book.hidden.append(entry)
            outcome.hidden.append(entry)
            if original is not None:
                outcome.notes += _differences(row, original)
        if outcome.hidden:
            _save(home, book)
    return outcome


def _check_original(book: HiddenList, rows: list[dict[str, Any]],
                    original: dict[str, Any]) -> None:
    """Hiding both copies would take the purchase out of every report: refuse."""
    txn_id = str(original["txn_id"])
    if any(row["txn_id"] == txn_id for row in rows):
        raise MoneystoryError(f"transaction {txn_id} cannot be a duplicate of itself",
                              hint="give the id of the copy to keep after --duplicate-of")
    if book.entry(txn_id) is not None:
        raise MoneystoryError(
            f"transaction {txn_id}, given as the one to keep, is hidden itself",
            hint=f"run `moneystory unhide {txn_id}` first, or hide without --duplicate-of")


def _differences(row: dict[str, Any], original: dict[str, Any]) -> list[str]:
    """What a careful user would want pointed out: a "duplicate" in another account, or of
    another amount, is likely the wrong id. Hidden all the same: the user decides."""
    differ = [what for what, same in (
        ("amount", row["amount"] == original["amount"]),
        ("account", row["account_id"] == original["account_id"])) if not same]
    if not differ:
        return []
    return [f"{row['txn_id']} ({format_money(row['amount'], row['currency'])}, "
            f"{row['account_id']}) and {original['txn_id']} "
            f"({format_money(original['amount'], original['currency'])}, "
            f"{original['account_id']}) differ in {' and '.join(differ)}; hidden as asked"]


def unhide(home: Home, ids: list[str]) -> list[HiddenEntry]:
    """Show these rows again, all or none; ids may be unique prefixes of hidden ids. Works
    for a row whose import was undone too (its entry is simply dropped)."""
    store = Store(home)
    with store.writing("unhide " + " ".join(ids)):
        book = load(home)
        chosen = [_hidden_entry(store, book, given) for given in ids]
        gone = {e.txn_id for e in chosen}
        book.hidden = [e for e in book.hidden if e.txn_id not in gone]
        _save(home, book)
    return list({e.txn_id: e for e in chosen}.values())


def _hidden_entry(store: Store, book: HiddenList, given: str) -> HiddenEntry:
    matches = [e for e in book.hidden if e.txn_id.startswith(given)]
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise _ambiguous(given, len(matches), "hidden transactions")
    row = _resolve(store, [given])[0]  # says "no transaction with id" when there is none
    raise MoneystoryError(f"transaction {row['txn_id']} is not hidden",
                          hint="`moneystory hide` lists the hidden ones")


def listing(home: Home) -> list[HiddenRow]:
    """Every hidden entry, oldest decision first, and whether its row is still stored."""
    book = load(home)
    if not book.hidden:
        return []
    ids = [e.txn_id for e in book.hidden]
    stored = set(Store(home).scan().select("txn_id").filter(_among(ids)).collect()["txn_id"])
    return [HiddenRow(**e.model_dump(), in_store=e.txn_id in stored) for e in book.hidden]


# ----------------------------------------------------------------------------- id resolution
def _resolve(store: Store, ids: list[str]) -> list[dict[str, Any]]:
    """The stored row each id names (the whole id, or a prefix only one id starts with), in
    order, without repeats; MoneystoryError naming the first id that names none or several."""
    wanted = [given.strip() for given in ids]
    found = (
        store.scan()
        .filter(pl.any_horizontal([pl.col("txn_id").str.starts_with(g) for g in wanted]))
        .select(ROW_FIELDS)
        .collect()
    )
    rows: dict[str, dict[str, Any]] = {}
    for given in wanted:  # a loop over the few ids typed, not over the store's rows
        exact = found.filter(pl.col("txn_id") == given)
        matches = exact if exact.height else found.filter(pl.col("txn_id").str.starts_with(given))
        if matches.height == 0:
            raise MoneystoryError(
                f"no transaction with id {given!r} in the store",
                hint="the ids are in `moneystory transactions --ids` and in the possible "
                "duplicates `moneystory import` lists")
        if matches.height > 1:
            raise _ambiguous(given, matches.height, "transactions")
        row = matches.row(0, named=True)
        rows[row["txn_id"]] = row
    return list(rows.values())


def _ambiguous(given: str, count: int, what: str) -> MoneystoryError:
    return MoneystoryError(f"the id {given!r} is the start of {count} {what}' ids",
                           hint="give more of its digits")
