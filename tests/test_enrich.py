"""enrich(): merchants, intermediaries, categories and kinds on small hand-made frames."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from moneystory import schema
from moneystory.enrich import CATEGORIES, KINDS, enrich, explain, load_rules, tables
from moneystory.enrich.merchants import fuzzy_groups


def stored(rows: list[dict[str, Any]]) -> pl.LazyFrame:
    """A schema.STORED frame from short row dicts (amount as str, date as ISO)."""
    full = []
    for i, row in enumerate(rows):
        full.append({
            "txn_id": f"t{i}", "account_id": row.get("account", "checking"),
            "date": date.fromisoformat(row.get("date", "2023-03-01")),
            "amount": Decimal(row["amount"]), "currency": row.get("currency", "EUR"),
            "description": row["description"], "counterparty": row.get("counterparty"),
            "bank_category": row.get("bank_category"), "mcc": row.get("mcc"),
            "source_row": i + 1,
        })
    return schema.conform(pl.DataFrame(full, schema_overrides={"amount": schema.AMOUNT}),
                          schema.STORED).lazy()


def run(rows: list[dict[str, Any]], rules: Any = None) -> list[dict[str, Any]]:
    return enrich(stored(rows), rules).collect().to_dicts()


def test_adds_exactly_the_enriched_columns_and_keeps_rows_in_order() -> None:
    rows = [{"description": f"SHOP NUMBER {chr(65 + i)}", "amount": "-1"} for i in range(20)]
    out = enrich(stored(rows)).collect()
    assert out.schema == pl.Schema(schema.ENRICHED)
    assert out["txn_id"].to_list() == [f"t{i}" for i in range(20)]


def test_an_empty_frame_stays_empty_with_the_enriched_schema() -> None:
    out = enrich(schema.empty(schema.STORED).lazy()).collect()
    assert out.height == 0 and out.schema == pl.Schema(schema.ENRICHED)


def test_built_in_tables_are_big_enough_and_valid() -> None:
    assert tables.merchant_names() >= 400
    assert set(tables.merchants()["table_category"]) <= set(CATEGORIES)
    assert set(tables.keywords()["keyword_category"]) <= set(CATEGORIES)
    assert tables.mcc_codes().filter(pl.col("mcc_key") == "5411")["mcc_category"].item() == (
        "groceries")


@pytest.mark.parametrize(("description", "merchant", "intermediary"), [
    ("SQ *BLUE BOTTLE COF", "Blue Bottle Coffee", "Square"),
    ("PAYPAL *SPOTIFY", "Spotify", "PayPal"),
    ("PP*NETFLIX", "Netflix", "PayPal"),
    ("TST* SMOKEHOUSE BBQ 00123 AUSTIN TX", "Smokehouse Bbq", "Toast"),
    ("Apple Pay: PRET A MANGER", "Pret A Manger", "Apple Pay"),
    ("SumUp *Gelato Bar 12", "Gelato Bar", "SumUp"),
    ("KLARNA*ZALANDO", "Zalando", "Klarna"),
    ("PayPal Europe S.a.r.l. et Cie S.C.A Ihr Einkauf bei Zalando", "Zalando", "PayPal"),
    ("PAYPAL INST XFER", "PayPal", None),
    ("NETFLIX.COM 866-579-7172 CA", "Netflix", None),
])
def test_intermediaries_go_in_their_own_column(description: str, merchant: str,
                                               intermediary: str | None) -> None:
    (row,) = run([{"description": description, "amount": "-5"}])
    assert (row["merchant"], row["intermediary"]) == (merchant, intermediary)


def test_unknown_variants_of_one_shop_collapse_to_one_name() -> None:
    rows = [{"description": d, "amount": "-4"} for d in (
        "ZORBA TAVERNA GRILL 123", "ZORBA TAVERNA GRI 456", "ZORBA TAVERNA GRILL OAKLAND CA",
        "ZORBA BOOKS LTD")]
    merchants = [r["merchant"] for r in run(rows)]
    assert merchants[:3] == ["Zorba Taverna Grill"] * 3
    assert merchants[3] == "Zorba Books"


def test_fuzzy_groups_joins_truncations_and_near_spellings_only() -> None:
    mapping = fuzzy_groups(["BLUE BOTTLE COFFEE", "BLUE BOTTLE COF", "BLUE BOTTLE COFFE",
                            "BLUE MOON BAR", "BLUE"])
    assert mapping == {"BLUE BOTTLE COF": "BLUE BOTTLE COFFEE",
                       "BLUE BOTTLE COFFE": "BLUE BOTTLE COFFEE"}


def test_category_trusts_bank_column_then_mcc_then_table_then_keywords() -> None:
    rows = [
        {"description": "TESCO STORES 123", "amount": "-9", "bank_category": "Entertainment"},
        {"description": "TESCO STORES 123", "amount": "-9", "mcc": "5812"},
        {"description": "TESCO STORES 123", "amount": "-9"},
        {"description": "LA PETITE PIZZERIA", "amount": "-9"},
        {"description": "ZQXW 1234", "amount": "-9"},
        {"description": "ZQXW 1234", "amount": "-9", "bank_category": "general"},
    ]
    assert [r["category"] for r in run(rows)] == [
        "entertainment", "restaurants", "groceries", "restaurants", "other", "other"]


def test_card_payments_are_transfers_on_both_sides() -> None:
    rows = [
        {"description": "PAYMENT TO CHASE CARD ENDING IN 1234", "amount": "-500"},
        {"description": "AUTOMATIC PAYMENT - THANK YOU", "amount": "500", "account": "card"},
        {"description": "CAPITAL ONE CRCARDPMT 123456", "amount": "-120"},
        {"description": "RELEVE DIFFERE CB 1234 FEVRIER", "amount": "-830.20"},
        {"description": "Kreditkartenabrechnung 03/2023", "amount": "-412.10"},
        {"description": "T-MOBILE*AUTO PAY 800-937-8997 WA", "amount": "-70"},
    ]
    out = run(rows)
    assert [r["kind"] for r in out] == ["transfer"] * 5 + ["purchase"]
    assert [r["category"] for r in out][:5] == ["loan_payments"] * 5


@pytest.mark.parametrize("description", [
    "Transfer to savings", "Virement vers Livret A", "VIR SEPA VERS LIVRET A M DUPONT",
    "Umbuchung auf Tagesgeld", "Sparen Urlaub", "Naar Oranje Spaarrekening V123",
    "Monzo Pot transfer: Holiday", "TRASPASO A CUENTA AHORRO", "Top-Up by *1234 Revolut",
])
def test_savings_and_wallet_top_ups_are_transfers(description: str) -> None:
    (row,) = run([{"description": description, "amount": "-200"}])
    assert (row["kind"], row["category"]) == ("transfer", "transfer")


def test_money_back_from_savings_is_not_income() -> None:
    (row,) = run([{"description": "Transfer from savings", "amount": "300"}])
    assert (row["kind"], row["category"]) == ("transfer", "transfer")


def test_phone_top_up_stays_a_purchase() -> None:
    (row,) = run([{"description": "VODAFONE TOP UP 0612345678", "amount": "-20"}])
    assert row["kind"] == "purchase"


def test_debit_and_credit_between_own_accounts_match_one_to_one() -> None:
    rows = [
        {"description": "ONLINE BANKING 123456", "amount": "-250", "date": "2023-03-01"},
        {"description": "INCOMING 998877", "amount": "250", "date": "2023-03-03",
         "account": "savings"},
        # a second credit of the same amount: only one of them is the other leg
        {"description": "INCOMING 998878", "amount": "250", "date": "2023-03-04",
         "account": "savings"},
        # same amount but too far apart
        {"description": "ONLINE BANKING 555", "amount": "-75", "date": "2023-04-01"},
        {"description": "INCOMING 556", "amount": "75", "date": "2023-04-20",
         "account": "savings"},
        # same account: not a transfer between accounts
        {"description": "ONLINE BANKING 777", "amount": "-60", "date": "2023-05-01"},
        {"description": "INCOMING 778", "amount": "60", "date": "2023-05-01"},
    ]
    kinds = [r["kind"] for r in run(rows)]
    assert kinds == ["transfer", "transfer", "income", "purchase", "income", "purchase",
                     "income"]


def test_known_shops_are_never_paired_as_transfers() -> None:
    rows = [{"description": "TESCO STORES 12", "amount": "-40", "date": "2023-03-01"},
            {"description": "SALARY ACME", "amount": "40", "date": "2023-03-01",
             "account": "savings"}]
    assert [r["kind"] for r in run(rows)] == ["purchase", "income"]


def test_holder_name_as_counterparty_is_a_transfer(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text('[holder]\nnames = ["Jane Doe"]\n', encoding="utf-8")
    rows = [{"description": "SEPA transfer", "amount": "-100", "counterparty": "JANE DOE"},
            {"description": "SEPA transfer", "amount": "-100", "counterparty": "JOHN ROE"}]
    assert [r["kind"] for r in run(rows, load_rules(path))] == ["transfer", "purchase"]


def test_refunds_by_wording_by_earlier_charge_and_from_known_shops() -> None:
    rows = [
        {"description": "ZORBA TAVERNA 12", "amount": "-30", "date": "2023-03-01"},
        {"description": "ZORBA TAVERNA 99", "amount": "30", "date": "2023-03-05"},
        {"description": "REMBOURSEMENT COMMANDE 123", "amount": "12"},
        {"description": "AMAZON.CO.UK*AB1CD2EF3", "amount": "18.99"},
        {"description": "ACME CORP PAYROLL", "amount": "3000"},
        {"description": "UNKNOWN PAYER LTD", "amount": "10", "date": "2023-01-01"},
    ]
    out = run(rows)
    assert [r["kind"] for r in out] == ["purchase", "refund", "refund", "refund", "income",
                                        "income"]
    assert out[3]["category"] == "general_merchandise"  # a refund keeps the shop's category
    assert out[4]["category"] == "income"


def test_fees_interest_and_cash() -> None:
    rows = [
        {"description": "MONTHLY SERVICE FEE", "amount": "-12"},
        {"description": "FRAIS TENUE DE COMPTE", "amount": "-2.50"},
        {"description": "INTEREST PAID", "amount": "1.23"},
        {"description": "ATM WITHDRAWAL 1234 HIGH ST", "amount": "-50"},
        {"description": "RETRAIT DAB 12/03 PARIS", "amount": "-40"},
        {"description": "Bargeldauszahlung GAA 1234", "amount": "-100"},
        {"description": "PLANET FITNESS CLUB FEES", "amount": "-24.99"},
        {"description": "Zinsen Tagesgeld", "amount": "4.20"},  # interest, though savings
    ]
    out = run(rows)
    assert [r["kind"] for r in out] == ["fee", "fee", "interest", "atm", "atm", "atm",
                                        "purchase", "interest"]
    assert [r["category"] for r in out][:3] == ["bank_fees", "bank_fees", "income"]


def test_every_kind_and_category_is_from_the_vocabulary() -> None:
    rows = [{"description": d, "amount": a} for d, a in [
        ("NETFLIX.COM", "-9"), ("SALARY", "100"), ("ATM", "-20"), ("FEE", "-1"),
        ("REFUND", "3"), ("Transfer to savings", "-5"), ("INTEREST", "1"), ("XYZ", "-3")]]
    out = run(rows)
    assert {r["kind"] for r in out} <= set(KINDS)
    assert {r["category"] for r in out} <= set(CATEGORIES)


def test_explain_says_which_entry_decided() -> None:
    result = explain("SQ *BLUE BOTTLE COF 123", amount=Decimal("-4.50"))
    assert result.merchant.value == "Blue Bottle Coffee"
    assert "alias table" in result.merchant.source
    assert result.category.value == "coffee"
    assert result.category.source == "merchant table: Blue Bottle Coffee"
    assert (result.kind.value, result.intermediary) == ("purchase", "Square")
    refund = explain("AMAZON REFUND", amount=Decimal("20"))
    assert (refund.kind.value, refund.kind.source) == ("refund", "refund wording")
