"""`moneystory review` end to end: a real store, the real enrichment, the three renderings."""

from __future__ import annotations

import json
import os
import re
import zlib
from datetime import date, timedelta
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from moneystory import schema
from moneystory.paths import resolve_home
from moneystory.store import Store


def seed(home_dir: Path, rows: list[tuple[str, str, str, str]], import_id: str = "seed1",
         currency: str = "USD") -> None:
    """Write (account, date, amount, description) rows straight into the store as one batch."""
    frame = pl.DataFrame({
        "txn_id": [f"{import_id}-{i}" for i in range(len(rows))],
        "content_key": pl.Series([zlib.crc32(import_id.encode()) * 2**32 + i
                                  for i in range(len(rows))], dtype=pl.UInt128),
        "account_id": [r[0] for r in rows],
        "date": [date.fromisoformat(r[1]) for r in rows],
        "amount": [D(r[2]) for r in rows],
        "currency": [currency] * len(rows),
        "description": [r[3] for r in rows],
        "import_id": [import_id] * len(rows),
        "source_row": list(range(2, len(rows) + 2)),
    }, schema_overrides={"amount": schema.AMOUNT})
    store = Store(resolve_home(home_dir))
    accounts = sorted({r[0] for r in rows})
    with store.writing("test seed"):
        store.commit_import(
            {"import_id": import_id, "file": f"{import_id}.csv", "accounts": accounts,
             "rows": len(rows), "added": len(rows)},
            frame, {a: {"name": a, "currency": currency} for a in accounts},
        )


def a_year_of_rows(year: int, account: str = "chk", scale: int = 1) -> list[tuple[str, str,
                                                                                   str, str]]:
    rows = []
    for month in range(1, 13):
        rows.append((account, f"{year}-{month:02d}-01", "2500.00", "ACME CORP PAYROLL"))
        rows.append((account, f"{year}-{month:02d}-05", "-15.49", "NETFLIX.COM"))
        rows.append((account, f"{year}-{month:02d}-09", f"-{40 * scale + month}.25",
                     "TRADER JOES #552"))
        rows.append((account, f"{year}-{month:02d}-17", "-64.10", "SHELL OIL 5521"))
    day = date(year, 12, 1)
    for i in range(10):
        rows.append((account, (day + timedelta(days=i * 2)).isoformat(), "-120.00",
                     "TOY BARN STORE"))
    return rows


@pytest.fixture(name="store_home")
def _store_home(home_dir: Path) -> Path:
    seed(home_dir, a_year_of_rows(2022) + a_year_of_rows(2023, scale=2))
    seed(home_dir, [("card", "2023-03-03", "-999.00", "OTHER ACCOUNT SHOP")], import_id="seed2")
    return home_dir


def _qualifying(rows: list[dict[str, Any]]) -> tuple[D, D]:
    """Income and spending by a plain loop over the rows `transactions --json` shows."""
    income = spending = D(0)
    for row in rows:
        amount = D(str(row["amount"]))
        if row["kind"] == "transfer":
            continue
        if row["kind"] == "income" or (row["kind"] == "interest" and amount > 0):
            income += amount
        else:
            spending -= amount
    return income, spending


def test_json_figures_match_the_stored_rows(store_home: Path, cli_json) -> None:  # type: ignore[no-untyped-def]
    doc = cli_json("review", "2023")
    rows = cli_json("transactions", "--year", "2023")["transactions"]
    income, spending = _qualifying(rows)
    assert D(str(doc["spending"])) == spending
    assert D(str(doc["income"])) == income
    assert D(str(doc["net"])) == income - spending
    assert doc["transactions"] == len(rows)
    assert doc["year"] == 2023 and doc["currency"] == "USD"
    assert len(doc["by_month"]) == 12 and len(doc["by_weekday"]) == 7
    assert doc["previous_year"]["year"] == 2022
    assert doc["peak_month"]["month"] == "2023-12"


def test_account_filter(store_home: Path, cli_json) -> None:  # type: ignore[no-untyped-def]
    everything = cli_json("review", "2023")
    card = cli_json("review", "2023", "--account", "card")
    assert card["transactions"] == 1 and D(str(card["spending"])) == D("999.00")
    assert D(str(everything["spending"])) > D(str(card["spending"]))


def test_terminal_story_fits_80_columns_and_is_plain_when_piped(store_home: Path, cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("review", "2023", "--no-color")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "2023 · your money story (USD)" in out
    assert "Month by month" in out and "Where it went" in out
    assert "\x1b[" not in out
    assert max(len(line) for line in out.splitlines()) <= 80
    doc = json.loads(cli("review", "2023", "--json").stdout)
    spending = f"${D(str(doc['spending'])):,.2f}"
    assert spending in out


def test_html_page_is_written_self_contained(store_home: Path, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page = tmp_path / "out" / "review.html"
    page.parent.mkdir()
    result = cli("review", "2023", "--html", str(page), "--json")
    assert result.exit_code == 0, result.output
    json.loads(result.stdout)  # stdout is still exactly one JSON document
    text = page.read_text(encoding="utf-8")
    assert text.startswith("<!doctype html>")
    assert "<script" not in text and "@import" not in text and "url(" not in text
    links = re.findall(r"(?:src|href)=\"([^\"]+)\"", text)
    assert links == []
    assert re.findall(r"https?://[^\"\s<]+", text) == ["http://www.w3.org/2000/svg"] * \
        text.count("<svg")
    assert text.count("<svg") >= 4
    assert os.stat(page).st_mode & 0o777 == 0o600
    assert not list(page.parent.glob(".*.tmp"))


def test_a_year_without_data_is_one_sentence(store_home: Path, cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("review", "2031")
    assert result.exit_code == 1
    assert "no transactions in 2031" in result.stderr
    assert "The store covers 2022-01-01 to 2023-12-19" in result.stderr
    assert "Traceback" not in result.output + result.stderr


def test_an_empty_store_and_a_silly_year(cli) -> None:  # type: ignore[no-untyped-def]
    empty = cli("review", "2023")
    assert empty.exit_code == 1 and "moneystory import" in empty.stderr
    silly = cli("review", "99999")
    assert silly.exit_code == 2 and "not a year" in silly.stderr


def test_review_is_registered_with_help(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("review", "--help")
    assert result.exit_code == 0
    for option in ("--account", "--html", "--json", "--no-color"):
        assert option in result.stdout
