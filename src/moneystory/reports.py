"""Service: the listings behind `accounts` and `transactions`."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

import polars as pl

from moneystory import analysis, hidden
from moneystory.money import for_display
from moneystory.paths import Home
from moneystory.store import Store

TRANSACTION_FIELDS = (
    "txn_id", "account_id", "card_last4", "date", "amount", "currency", "description",
    "merchant", "category", "kind", "intermediary", "counterparty", "memo", "fitid",
    "import_id", "source_row", "hidden",  # hidden: only with transactions(show_hidden=True)
)


def accounts(home: Home) -> list[dict[str, Any]]:
    store = Store(home)
    known = store.read_log().accounts
    stats = (
        hidden.without_hidden(home, store.scan())  # hidden rows: in no report
        .group_by("account_id")
        .agg(
            transactions=pl.len(), first_date=pl.col("date").min(),
            last_date=pl.col("date").max(), currency=pl.col("currency").mode().first(),
            card_last4=pl.col("card_last4").sort_by("date").drop_nulls().last(),  # the newest card
        )
        .sort("account_id")
        .collect()
    )
    rows = []
    for row in stats.iter_rows(named=True):
        info = known.get(row["account_id"], {})
        rows.append({
            "account_id": row["account_id"],
            "name": info.get("name"),
            "institution": info.get("institution"),
            "kind": info.get("kind"),
            "currency": info.get("currency") or row["currency"],
            "card_last4": row["card_last4"] or info.get("card_last4"),
            "transactions": row["transactions"],
            "first_date": row["first_date"],
            "last_date": row["last_date"],
        })
    return rows


def transactions(
    home: Home,
    *,
    year: int | None = None,
    start: date | None = None,
    end: date | None = None,
    account: str | None = None,
    merchant: str | None = None,
    category: str | None = None,
    show_hidden: bool = False,
) -> pl.DataFrame:
    """The rows, oldest first; `show_hidden` adds the hidden ones and a `hidden` column."""
    if year:
        start = max(start or date(year, 1, 1), date(year, 1, 1))
        end = min(end or date(year, 12, 31), date(year, 12, 31))
    lf = analysis.transactions(home, account=account, start=start, end=end)
    if show_hidden:
        lf = hidden.with_hidden_rows(home, lf, account=account, start=start, end=end)
    if merchant:
        lf = lf.filter(pl.col("merchant").str.to_lowercase().str.contains(merchant.lower(),
                                                                          literal=True))
    if category:
        lf = lf.filter(pl.col("category") == category)
    return lf.sort("date", "account_id", "source_row").collect()


def transaction_dicts(frame: pl.DataFrame) -> list[dict[str, Any]]:
    rows = frame.select([c for c in TRANSACTION_FIELDS if c in frame.columns]).to_dicts()
    for row in rows:
        row["amount"] = for_display(row["amount"], row["currency"])
    return rows


def transactions_csv(frame: pl.DataFrame) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    fields = [c for c in TRANSACTION_FIELDS if c in frame.columns]
    writer.writerow(fields)
    for row in transaction_dicts(frame):
        writer.writerow(["" if row[f] is None else row[f] for f in fields])
    return buffer.getvalue()
