"""The QIF reader: sections, splits, and one date order decided over the whole file."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moneystory.importers import parse_file, qif
from moneystory.importers.base import ImportOptions, ParsedFile

FIXTURES = Path(__file__).parent / "fixtures" / "qif"


def parse_text(text: str) -> ParsedFile:
    return qif.IMPORTER.parse(Path("test.qif"), text.encode(), ImportOptions())


def parse_fixture(name: str) -> ParsedFile:
    path = FIXTURES / name
    return parse_file(path, path.read_bytes(), ImportOptions())


def column(parsed: ParsedFile, name: str) -> list[object]:
    return parsed.frame[name].to_list()


@pytest.mark.parametrize("head", ["!Type:Bank\n", "\n!Type:CCard\n", "!Account\nNChecking\n",
                                  "!Option:AutoSwitch\n", "!type:bank\n"])
def test_sniff_recognises_qif(head: str) -> None:
    assert qif.IMPORTER.sniff(head)


@pytest.mark.parametrize("head", ["Date,Payee,Amount\n", "OFXHEADER:100\n", "Type: Bank\n", ""])
def test_sniff_rejects_other_text(head: str) -> None:
    assert not qif.IMPORTER.sniff(head)


def test_credit_card_section_with_day_first_dates_and_thousands() -> None:
    parsed = parse_fixture("ccard-dmy.qif")
    assert parsed.format == "qif"
    # 25/02 can only be day-first, so the whole file is D/M/Y (03/02 is 3 February).
    assert column(parsed, "date") == [date(2024, 2, 3), date(2024, 2, 25), date(2024, 3, 1)]
    assert column(parsed, "amount") == [Decimal("-1234.56"), Decimal("-9.99"), Decimal("500")]
    assert column(parsed, "description") == ["ELECTRO WORLD", "SPOTIFY", "PAYMENT RECEIVED"]
    assert column(parsed, "memo") == ["TV", None, None]
    assert column(parsed, "bank_category") == ["Home:Electronics", None, "Transfer"]
    assert parsed.accounts[0].kind == "credit_card"
    assert parsed.accounts[0].ref is None and parsed.accounts[0].institution is None
    assert column(parsed, "account_ref") == [None, None, None]
    assert parsed.warnings == []


def test_ambiguous_dates_warn_and_prefer_month_first() -> None:
    parsed = parse_fixture("ambiguous-dates.qif")
    assert column(parsed, "date") == [date(2024, 1, 2), date(2024, 3, 4)]
    assert len(parsed.warnings) == 1 and "M/D/Y" in parsed.warnings[0]


def test_year_first_beats_day_first_when_it_spans_months_not_years() -> None:
    # 13/08/12 reads as 13 Aug 2012 or 2013-08-12; with 13/3/3 beside it, only Y/M/D keeps
    # the statement within one year.
    text = "!Type:Bank\nD13/08/12\nT-1\n^\nD13/3/3\nT-2\n^\nD13/08/15\nT-3\n^\n"
    parsed = parse_text(text)
    assert column(parsed, "date") == [date(2013, 8, 12), date(2013, 3, 3), date(2013, 8, 15)]
    assert parsed.warnings == []


def test_splits_count_once_and_sections_are_skipped() -> None:
    parsed = parse_fixture("account-splits-sections.qif")
    assert column(parsed, "amount") == [Decimal("-100"), Decimal("2500"), Decimal("-5"),
                                        Decimal("-3.50")]
    # The split's own D line does not move the transaction; apostrophe years are 20YY.
    assert column(parsed, "date")[:3] == [date(2023, 12, 31), date(2024, 1, 2),
                                          date(2024, 1, 3)]
    # L--Split-- gives way to the first split's category.
    assert column(parsed, "bank_category")[0] == "Food:Groceries"
    assert column(parsed, "description") == ["SUPERMARKET", "EMPLOYER PAYROLL", "55", "COFFEE"]
    assert column(parsed, "source_row")[:2] == [17, 31]
    assert any("invst (1)" in w and "cat (1)" in w for w in parsed.warnings)


def test_account_block_names_the_account() -> None:
    parsed = parse_fixture("account-splits-sections.qif")
    assert [a.name for a in parsed.accounts] == ["Everyday"]
    assert set(column(parsed, "account_ref")) == {"Everyday"}


def test_y2k_years_and_payee_glued_to_the_date() -> None:
    parsed = parse_fixture("y2k-glued-payee.qif")
    assert column(parsed, "date") == [date(1999, 12, 30), date(2000, 1, 2)]
    assert column(parsed, "memo")[0] == "BAKERY #12 SPRINGFIELD"


def test_unreadable_rows_are_rejected_with_their_line() -> None:
    text = "!Type:Bank\nD1/2/2024\nT-1.00\n^\nDsoon\nT-2.00\n^\nD1/3/2024\nTlots\n^\n"
    parsed = parse_text(text)
    assert column(parsed, "amount") == [Decimal("-1.00")]
    assert [issue.line for issue in parsed.rejected] == [5, 8]
    assert "date" in parsed.rejected[0].reason and "amount" in parsed.rejected[1].reason


def test_decimal_comma_file() -> None:
    parsed = parse_text("!Type:Bank\nD31.12.2023\nT-1.234,50\n^\nD1.1.2024\nT12,00\n^\n")
    assert column(parsed, "amount") == [Decimal("-1234.50"), Decimal("12.00")]
    assert column(parsed, "date") == [date(2023, 12, 31), date(2024, 1, 1)]


def test_file_without_trailing_caret_keeps_last_record() -> None:
    parsed = parse_text("!Type:Bank\nD1/2/2024\nT-1.00\nPLAST")
    assert column(parsed, "description") == ["LAST"]


_amounts = st.decimals(min_value=Decimal("-999999.99"), max_value=Decimal("999999.99"),
                       places=2, allow_nan=False, allow_infinity=False)
_orders = {"M/D/Y": "{m}/{d}/{y}", "D/M/Y": "{d}/{m}/{y}", "Y/M/D": "{y}/{m}/{d}"}


@settings(max_examples=60, deadline=None)
@given(
    start=st.dates(min_value=date(1971, 1, 1), max_value=date(2060, 1, 1)),
    offsets=st.lists(st.integers(min_value=0, max_value=90), min_size=1, max_size=20),
    amounts=st.data(),
    order=st.sampled_from(sorted(_orders)),
)
def test_generated_file_parses_back_exactly(
    start: date, offsets: list[int], amounts: st.DataObject, order: str
) -> None:
    days = [start + timedelta(days=o) for o in offsets]
    values = [amounts.draw(_amounts) for _ in days]
    lines = ["!Type:Bank"]
    for day, value in zip(days, values, strict=True):
        lines += ["D" + _orders[order].format(m=day.month, d=day.day, y=day.year),
                  f"T{value:,f}", "PPAYEE", "^"]
    parsed = parse_text("\n".join(lines) + "\n")
    assert column(parsed, "amount") == values
    assert parsed.frame["amount"].sum() == sum(values, Decimal(0))
    if column(parsed, "date") != days:
        # Only a day-first file whose days are all <= 12 may be misread, and then it says so.
        assert order == "D/M/Y" and all(day.day <= 12 for day in days)
        assert parsed.warnings and "M/D/Y" in parsed.warnings[0]


_lines = st.sampled_from(["!Type:Bank", "!Type:CCard", "!Type:Invst", "!Account", "NName",
                          "!Option:AutoSwitch", "!Clear:AutoSwitch", "^", "D1/2/03", "D13/13/13",
                          "D12/31'99", "Dxx", "T-1,000.00", "T1.234,56", "Tabc", "U5", "PPayee",
                          "M", "L--Split--", "SCat", "$-1", "E", "### note", "", "D"])


@settings(max_examples=200, deadline=None)
@given(lines=st.lists(_lines, max_size=40))
def test_any_line_soup_parses_without_crashing(lines: list[str]) -> None:
    parsed = parse_text("!Type:Bank\n" + "\n".join(lines))
    assert parsed.frame["amount"].null_count() == 0
    assert parsed.frame["date"].null_count() == 0
    records_end = lines.count("^") + sum(line.startswith("!") for line in lines) + 1
    assert parsed.frame.height + len(parsed.rejected) <= records_end


@pytest.mark.parametrize(("dates", "expected"), [
    (["12/31/99", "1/1/00", "1/2/00"], [date(1999, 12, 31), date(2000, 1, 1), date(2000, 1, 2)]),
    (["6/1/69", "6/2/69"], [date(1969, 6, 1), date(1969, 6, 2)]),  # not 2069: never ahead
    (["3/1/24", "3/2/24"], [date(2024, 3, 1), date(2024, 3, 2)]),
    (["12/31/99", "1/1'00"], [date(1999, 12, 31), date(2000, 1, 1)]),  # Quicken's apostrophe
    (["12/31/99", "1/ 1' 0"], [date(1999, 12, 31), date(2000, 1, 1)]),  # ... space-padded
])
def test_plain_two_digit_years_take_the_century_of_the_files_run(
        dates: list[str], expected: list[date]) -> None:
    text = "!Type:Bank\n" + "".join(f"D{d}\nT-1.00\nPSHOP\n^\n" for d in dates)
    assert column(parse_text(text), "date") == expected
