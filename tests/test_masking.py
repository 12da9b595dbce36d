"""Card and account numbers: only the last 4 digits ever leave moneystory.masking."""

from __future__ import annotations

from pathlib import Path

import pytest

from moneystory import cards, ingest, masking
from moneystory.render import terminal


@pytest.mark.parametrize(("number", "shown"), [
    ("4417", "••4417"),
    ("4111111111114417", "••4417"),
    ("12", "••12"),  # fewer than 4 known digits: all of them, still marked as a number
    (None, ""),
    ("", ""),
])
def test_mask_keeps_the_last_four(number: str | None, shown: str) -> None:
    assert masking.mask(number) == shown


@pytest.mark.parametrize(("text", "shown"), [
    ("DE89 3704 0044 0532 0130 00", "••3000"),  # IBAN grouped in fours
    ("DE89370400440532013000", "••3000"),  # the same IBAN ungrouped
    ("Girokonto FR1420041010050500013M02606", "Girokonto ••2606"),  # letters inside the BBAN
    ("Visa 4111 1111 1111 1111", "Visa ••1111"),  # card number with spaces
    ("MC 5500-0000-0000-0004 (main)", "MC ••0004 (main)"),  # card number with dashes
    ("Savings opened 2023-06-12", "Savings opened 2023-06-12"),  # an ISO date is no number
    ("Card 2023-06-12-4417-9", "Card ••4179"),  # ...but a longer dashed run still is
    ("Savings 0012345678", "Savings ••5678"),
    ("Cards 4111111111111111 and 5500000000000004", "Cards ••1111 and ••0004"),
])
def test_numbers_in_text_are_masked(text: str, shown: str) -> None:
    assert masking.mask_numbers(text) == shown


@pytest.mark.parametrize("text", [
    "Statement 2023",  # a year
    "Visa 1234",  # already only four digits
    "Branch 12 34",  # short groups are not a number to hide
    "ACCT-4417",  # the last 4 alone
    "Checking",
])
def test_years_and_short_numbers_are_left_alone(text: str) -> None:
    assert masking.mask_numbers(text) == text


@pytest.mark.parametrize("empty", [None, ""])
def test_nothing_to_mask_comes_back_as_it_was(empty: str | None) -> None:
    assert masking.mask_numbers(empty) == empty


def test_min_digits_and_grouping_decide_what_counts_as_a_number() -> None:
    assert masking.mask_numbers("Ref 12345678", min_digits=9) == "Ref 12345678"
    assert masking.mask_numbers("Ref 123456789", min_digits=9) == "Ref ••6789"
    assert masking.mask_numbers("Card 1234 5678 9012", grouped=False) == "Card 1234 5678 9012"


def test_a_file_path_hides_the_iban_but_keeps_the_dates(tmp_path: Path) -> None:
    ing = masking.masked_path(tmp_path / "Umsatzanzeige_DE89370400440532013000_20231231.csv")
    assert ing.endswith("Umsatzanzeige_••3000_20231231.csv")
    assert "0532013000" not in ing
    dated = masking.masked_path(tmp_path / "transactions_20230101-20231231.csv")
    assert dated.endswith("transactions_20230101-20231231.csv")  # dates are 8 digits: kept
    account = masking.masked_path(tmp_path / "export_123456789012.csv")
    assert account.endswith("export_••9012.csv")


def test_a_file_path_is_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert masking.masked_path(Path("statement.csv")) == str(tmp_path.resolve() / "statement.csv")


def test_the_old_names_are_the_masking_functions() -> None:
    """Callers that import the masks from ingest or the terminal renderer get this module's."""
    assert ingest.mask_numbers is masking.mask_numbers
    assert ingest.masked_path is masking.masked_path
    assert terminal.mask is masking.mask
    assert cards.mask is masking.mask
