"""`rules`, `rules test`, `merchants`, and analysis.transactions' read-time enrichment + cache."""

from __future__ import annotations

import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import polars as pl

from moneystory import analysis, schema
from moneystory.paths import resolve_home

sys.path.insert(0, str(Path(__file__).parent))
from store_helpers import write_batch


def _frame(rows: list[tuple[str, str, str, str]]) -> pl.DataFrame:
    """(account, ISO date, amount, description) rows as a STORED-shaped frame."""
    return schema.conform(pl.DataFrame({
        "account_id": [r[0] for r in rows],
        "date": [date.fromisoformat(r[1]) for r in rows],
        "amount": [Decimal(r[2]) for r in rows],
        "currency": ["USD"] * len(rows),
        "description": [r[3] for r in rows],
        "source_row": list(range(1, len(rows) + 1)),
    }, schema_overrides={"amount": schema.AMOUNT}), schema.STORED)


ROWS = [
    ("checking", "2023-01-03", "-5.75", "SQ *BLUE BOTTLE COF OAKLAND CA"),
    ("checking", "2023-01-09", "-6.25", "SQ *BLUE BOTTLE COFFEE San Francisco CA"),
    ("checking", "2023-01-10", "-15.49", "NETFLIX.COM 866-579-7172 CA"),
    ("checking", "2023-01-12", "-500.00", "PAYMENT TO CHASE CARD ENDING IN 1234"),
    ("card", "2023-01-13", "500.00", "AUTOMATIC PAYMENT - THANK YOU"),
    ("checking", "2023-01-15", "-45.67", "CB CARREFOUR 12/03"),
    ("checking", "2023-01-20", "3000.00", "ACME CORP PAYROLL"),
]


def test_transactions_are_enriched_at_read_time_and_follow_the_rules(home_dir: Path) -> None:
    home = resolve_home(home_dir)
    write_batch(home_dir, _frame(ROWS))
    first = analysis.transactions(home).sort("date").collect()
    assert first.schema == pl.Schema(schema.ENRICHED)
    assert first["merchant"].to_list()[:3] == ["Blue Bottle Coffee", "Blue Bottle Coffee",
                                               "Netflix"]
    assert first.filter(pl.col("kind") == "transfer").height == 2
    caches = list(home.cache.glob("enriched-*.parquet"))
    assert len(caches) == 1
    batches_before = sorted(p.stat().st_mtime_ns for p in home.batches.glob("*.parquet"))
    home.rules_file.parent.mkdir(parents=True, exist_ok=True)
    home.rules_file.write_text('[[rules]]\nif = "CARREFOUR"\ncategory = "home"\n')
    second = analysis.transactions(home, start=date(2023, 1, 15)).collect()
    assert second.filter(pl.col("merchant") == "Carrefour")["category"].to_list() == ["home"]
    assert second["date"].min() == date(2023, 1, 15)
    # a new rule: a new cache (the previous one kept), the imported batches untouched
    assert len(list(home.cache.glob("enriched-*.parquet"))) == 2
    home.rules_file.write_text('[[rules]]\nif = "CARREFOUR"\ncategory = "travel"\n')
    third = analysis.transactions(home).collect()
    assert third.filter(pl.col("merchant") == "Carrefour")["category"].to_list() == ["travel"]
    assert caches[0] not in list(home.cache.glob("enriched-*.parquet"))
    assert len(list(home.cache.glob("enriched-*.parquet"))) == 2
    assert sorted(p.stat().st_mtime_ns for p in home.batches.glob("*.parquet")) == batches_before


def test_cache_is_read_when_nothing_changed(home_dir: Path) -> None:
    home = resolve_home(home_dir)
    write_batch(home_dir, _frame(ROWS))
    analysis.transactions(home).collect()
    (cache,) = home.cache.glob("enriched-*.parquet")
    stamp = cache.stat().st_mtime_ns
    again = analysis.transactions(home, account="card").collect()
    assert again["account_id"].to_list() == ["card"]
    assert cache.stat().st_mtime_ns == stamp
    write_batch(home_dir, _frame([("card", "2023-02-01", "-9.99", "SPOTIFY USA")]), "b.csv")
    assert analysis.transactions(home).collect().height == len(ROWS) + 1


def test_rules_lists_the_file_and_an_example_when_empty(cli, home_dir: Path) -> None:  # type: ignore[no-untyped-def]
    result = cli("rules")
    assert result.exit_code == 0, result.output
    assert "rules.toml" in result.output and "[[rules]]" in result.output


def test_rules_lists_rules_and_reports_an_invalid_one(cli, cli_json, home_dir: Path) -> None:  # type: ignore[no-untyped-def]
    path = home_dir / "config" / "rules.toml"
    path.parent.mkdir(parents=True)
    path.write_text('[[rules]]\nif = "BLUE BOTTLE"\ncategory = "coffee"\n')
    doc = cli_json("rules")
    assert doc["rules"] == [{"index": 1, "line": 1, "conditions": ["description ~ BLUE BOTTLE"],
                             "sets": ["category = coffee"], "note": None}]
    path.write_text('[[rules]]\nif = "BLUE BOTTLE"\ncategory = "coffees"\n')
    result = cli("rules")
    assert result.exit_code == 1
    assert f"{path}:1" in result.output and "Traceback" not in result.output


def test_rules_test_explains_a_descriptor(cli, cli_json) -> None:  # type: ignore[no-untyped-def]
    doc = cli_json("rules", "test", "PAYPAL *SPOTIFY 4029357733")
    assert doc["merchant"] == {"value": "Spotify", "source": "alias table: SPOTIFY"}
    assert doc["intermediary"] == "PayPal"
    assert doc["category"]["value"] == "subscriptions"
    assert doc["kind"]["value"] == "purchase"
    text = cli("rules", "test", "Virement vers Livret A", "--amount", "-200")
    assert text.exit_code == 0
    assert "transfer" in text.output and "savings" in text.output
    bad = cli("rules", "test", "X", "--amount", "ten")
    assert bad.exit_code == 2 and "--amount" in bad.output


def test_merchants_groups_raw_variants(cli, cli_json, home_dir: Path) -> None:  # type: ignore[no-untyped-def]
    write_batch(home_dir, _frame(ROWS))
    doc = cli_json("merchants")
    by_name = {m["merchant"]: m for m in doc["merchants"]}
    blue = by_name["Blue Bottle Coffee"]
    assert blue["count"] == 2 and blue["spend"] == 12.0 and blue["category"] == "coffee"
    assert {v["description"] for v in blue["variants"]} == {
        "SQ *BLUE BOTTLE COF OAKLAND CA", "SQ *BLUE BOTTLE COFFEE San Francisco CA"}
    assert blue["intermediaries"] == ["Square"]
    assert by_name["Card payment"]["spend"] == 0  # transfers are not spending
    assert doc["distinct_descriptions"] == len(ROWS)
    text = cli("merchants")
    assert text.exit_code == 0 and "Blue Bottle Coffee" in text.output
