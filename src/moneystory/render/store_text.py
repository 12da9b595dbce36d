"""Terminal tables for what the store holds: `accounts`, `imports` and `transactions`.

Each fits 80 columns without wrapping: ids people type back (`--account`, `imports undo ID`)
are never cut; names and descriptions are cut with … and optional columns give way first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from rich.markup import escape

from moneystory.masking import mask_numbers
from moneystory.render.terminal import Col, FittedTable, mask, money, money_style


def accounts_table(rows: Iterable[Mapping[str, Any]]) -> FittedTable:
    """Rows as `reports.accounts` returns them. Names are masked again here: a store imported
    before names were masked may still hold a full IBAN."""
    cols = [Col("account"), Col("name", flex=True, min_width=12), Col("card", drop=1),
            Col("currency", drop=2), Col("count", justify="right"), Col("from"), Col("to")]
    return FittedTable(cols, [
        [escape(row["account_id"]), escape(mask_numbers(row.get("name")) or ""),
         mask(row.get("card_last4")), row.get("currency") or "", str(row.get("transactions", 0)),
         str(row.get("first_date") or ""), str(row.get("last_date") or "")] for row in rows])


def imports_table(records: Iterable[Mapping[str, Any]]) -> FittedTable:
    """Records of the import log, oldest first."""
    cols = [Col("id"), Col("when", drop=2), Col("file", flex=True, min_width=24, cut="middle"),
            Col("format", flex=True, min_width=10, drop=1), Col("rows", justify="right"),
            Col("added", justify="right"), Col("state", drop=3)]
    return FittedTable(cols, [
        [rec["import_id"], str(rec.get("imported_at", ""))[:16].replace("T", " "),
         escape(Path(str(rec.get("file", ""))).name),
         escape(rec.get("profile") or rec.get("format") or ""), str(rec.get("rows", 0)),
         str(rec.get("added", 0)), "undone" if rec.get("undone_at") else ""]
        for rec in records])


def transactions_table(rows: Iterable[Mapping[str, Any]], *, ids: bool = False) -> FittedTable:
    """Rows of the ENRICHED frame (`frame.iter_rows(named=True)`), amounts right-aligned.

    `ids`: a first column with each row's txn_id (typed back into `hide`, never cut); a row
    with `hidden` set says so before its merchant, where cutting the name cannot reach."""
    cols = [Col("date"), Col("account", flex=True, min_width=10, drop=2),
            Col("merchant", flex=True, min_width=16), Col("category", drop=1),
            Col("amount", justify="right")]
    rows = list(rows)
    body = [
        [str(row["date"]), escape(row["account_id"]),
         ("[yellow]hidden[/] " if row.get("hidden") else "") + escape(row.get("merchant") or ""),
         row.get("category") or "",
         f"[{money_style(row['amount'])}]{money(row['amount'], row.get('currency'))}[/]"]
        for row in rows]
    if ids:
        cols = [Col("id"), *cols]
        body = [[row["txn_id"], *cells] for row, cells in zip(rows, body, strict=True)]
    return FittedTable(cols, body)
