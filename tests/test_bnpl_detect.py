"""BNPL provider detection from descriptors: the labelled table, noisy variants, the catalogue."""

from __future__ import annotations

import random
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from moneystory import schema
from moneystory.enrich import bnpl

LABELS = Path(__file__).parent / "data" / "bnpl_labels.csv"

# How banks wrap a card line: prefixes and suffixes seen on real statements.
PREFIXES = ["", "POS ", "CARD PURCHASE ", "VISA DEBIT ", "DEBIT CARD PURCHASE - ",
            "CHECKCARD 0412 ",
            "CARD PAYMENT TO ", "PURCHASE AUTHORIZED ON 03/12 "]
SUFFIXES = ["", " 03/12", " 855-555-0101 CA", " REF 88213", " LONDON GB", "  #4471", " ON 12 MAR"]


def _labels() -> pl.DataFrame:
    return pl.read_csv(LABELS, schema_overrides={"amount": schema.AMOUNT, "provider": pl.String})


def _predicted(frame: pl.DataFrame) -> pl.DataFrame:
    desc, amount = pl.col("description"), pl.col("amount")
    return frame.with_columns(
        predicted=pl.when(bnpl.is_bnpl_charge(desc, amount)).then(bnpl.bnpl_provider(desc)))


def _precision_recall(frame: pl.DataFrame) -> tuple[float, float]:
    """A hit counts only with the right provider; a wrong provider is a false positive."""
    truth, guess = pl.col("provider"), pl.col("predicted")
    tp = frame.filter(truth.is_not_null() & (truth == guess)).height
    fp = frame.filter(guess.is_not_null() & (truth.is_null() | (truth != guess))).height
    fn = frame.filter(truth.is_not_null() & guess.ne_missing(truth)).height
    return tp / max(1, tp + fp), tp / max(1, tp + fn)


def _noisy(frame: pl.DataFrame, seed: int) -> pl.DataFrame:
    rng = random.Random(seed)
    rows = []
    for row in frame.iter_rows(named=True):
        for _ in range(4):
            text = rng.choice(PREFIXES) + row["description"] + rng.choice(SUFFIXES)
            text = rng.choice([str.upper, str.lower, str.title, str])(text)
            rows.append({**row, "description": text})
    return pl.DataFrame(rows, schema=frame.schema)


def test_labelled_table_has_both_sides_and_reasons() -> None:
    labels = _labels()
    assert labels["reason"].null_count() == 0
    assert labels.filter(pl.col("provider").is_not_null()).height >= 60
    assert labels.filter(pl.col("provider").is_null()).height >= 60


def test_precision_and_recall_on_the_labelled_table() -> None:
    frame = _predicted(_labels())
    precision, recall = _precision_recall(frame)
    print(f"\nBNPL labelled table: {frame.height} rows, precision {precision:.3f}, "
          f"recall {recall:.3f}")
    wrong = frame.filter(pl.col("provider").ne_missing(pl.col("predicted")))
    assert precision >= 0.98, wrong
    assert recall >= 0.95, wrong


def test_precision_and_recall_on_noisy_generated_variants() -> None:
    frame = _predicted(_noisy(_labels(), seed=6))
    precision, recall = _precision_recall(frame)
    print(f"\nBNPL generated variants: {frame.height} rows, precision {precision:.3f}, "
          f"recall {recall:.3f}")
    wrong = frame.filter(pl.col("provider").ne_missing(pl.col("predicted")))
    assert precision >= 0.98, wrong
    assert recall >= 0.95, wrong


def test_every_catalogue_example_matches_and_no_trap_does() -> None:
    rows = [(e, p.name) for p in bnpl.catalogue().provider for e in p.examples]
    rows += [(t, None) for p in bnpl.catalogue().provider for t in p.traps]
    frame = pl.DataFrame(rows, schema={"d": pl.String, "want": pl.String}, orient="row")
    frame = frame.with_columns(got=bnpl.bnpl_provider(pl.col("d")))
    assert frame.filter(pl.col("want").ne_missing(pl.col("got"))).is_empty()


def test_every_provider_of_the_brief_is_in_the_catalogue() -> None:
    names = {p.name for p in bnpl.catalogue().provider}
    for needed in ("Klarna", "Afterpay", "Clearpay", "Affirm", "Zip", "Sezzle", "PayPal Pay Later",
                   "Laybuy", "Scalapay", "Alma", "Oney", "Splitit", "Humm", "Atome", "Tabby",
                   "Tamara", "Katapult", "Uplift", "Sunbit", "Perpay", "Apple Pay Later",
                   "Amex Plan It", "My Chase Plan", "Citi Flex Pay", "Issuer instalment plan"):
        assert needed in names
    assert all(p.regions and p.schedules for p in bnpl.catalogue().provider)


@pytest.mark.parametrize(("text", "amount", "charge"), [
    ("KLARNA*ASOS", "-20.00", True),
    ("KLARNA*ASOS", "20.00", False),  # money back
    ("KLARNA REFUND ASOS", "-20.00", False),  # sign-confused export, still a refund
    ("PAYPAL CREDIT PAYMENT", "-50.00", True),  # "credit" is part of the product name
    ("ZIPCAR", "-20.00", False),
])
def test_refunds_are_money_back_not_credit(text: str, amount: str, charge: bool) -> None:
    frame = pl.DataFrame({"d": [text], "a": [Decimal(amount)]},
                         schema={"d": pl.String, "a": schema.AMOUNT})
    assert frame.select(bnpl.is_bnpl_charge(pl.col("d"), pl.col("a")))[0, 0] is charge


def test_late_fee_lines_are_recognised() -> None:
    frame = pl.DataFrame({"d": ["AFTERPAY LATE FEE", "SEZZLE FAILED PAYMENT FEE", "AFTERPAY",
                                "KLARNA MAHNGEBÜHR"]})
    assert frame.select(bnpl.is_late_fee(pl.col("d")))["d"].to_list() == [True, True, False, True]


def test_null_description_is_no_provider() -> None:
    frame = pl.DataFrame({"d": [None, "AFFIRM INC"]}, schema={"d": pl.String})
    assert frame.select(bnpl.bnpl_provider(pl.col("d")))["d"].to_list() == [None, "Affirm"]


def test_per_distinct_description_gives_the_same_answer_as_per_row() -> None:
    labels = _labels()
    many = pl.concat([labels] * 5)
    joined = bnpl.with_bnpl_columns(many.lazy()).collect()
    direct = many.with_columns(bnpl_provider=bnpl.bnpl_provider(pl.col("description")))
    assert joined.height == many.height
    assert sorted(joined["bnpl_provider"].fill_null("").to_list()) == \
        sorted(direct["bnpl_provider"].fill_null("").to_list())


@pytest.mark.parametrize(("text", "mcc", "gambling"), [
    ("BET365", None, True),
    ("PADDYPOWER", None, True),
    ("SKY BET LEEDS", None, True),
    ("DRAFTKINGS", None, True),
    ("NATIONAL LOTTERY", None, True),
    ("GRAND CASINO HINCKLEY", None, True),
    ("CORNER SHOP", "7995", True),
    ("RACETRACK LTD", "7802", True),
    ("GEANT CASINO", None, False),  # French supermarket chain
    ("CASINO PIZZA", None, False),
    ("CORAL REEF RESTAURANT", None, False),
    ("TESCO STORES", "5411", False),
])
def test_gambling_catalogue_and_mcc(text: str, mcc: str | None, gambling: bool) -> None:
    frame = pl.DataFrame({"d": [text], "m": [mcc]}, schema={"d": pl.String, "m": pl.String})
    assert frame.select(bnpl.gambling_match(pl.col("d"), pl.col("m")))[0, 0] is gambling
