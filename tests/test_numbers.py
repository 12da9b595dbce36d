"""Amount parsing: every bank style round-trips exactly; malformed groupings are refused."""

from __future__ import annotations

from decimal import Decimal

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moneystory import schema
from moneystory.importers.numbers import (
    infer_decimal_mark,
    parse_amount,
    parse_amounts,
    read_amounts,
)

amounts = st.decimals(
    min_value=Decimal("-99999999.99"), max_value=Decimal("99999999.99"), places=2,
    allow_nan=False, allow_infinity=False,
)


def grouped(value: Decimal, decimal: str, group: str) -> str:
    """abs(value) with `group` between thousands and `decimal` before the cents."""
    whole, cents = f"{abs(value):.2f}".split(".")
    parts: list[str] = []
    while len(whole) > 3:
        parts.insert(0, whole[-3:])
        whole = whole[:-3]
    parts.insert(0, whole)
    return group.join(parts) + decimal + cents


STYLES = {
    "us": lambda v: ("-" if v < 0 else "") + grouped(v, ".", ","),
    "us-dollar": lambda v: ("-$" if v < 0 else "$") + grouped(v, ".", ","),
    "us-parens": lambda v: f"(${grouped(v, '.', ',')})" if v < 0 else f"${grouped(v, '.', ',')}",
    "de": lambda v: ("-" if v < 0 else "") + grouped(v, ",", "."),
    "de-euro-suffix": lambda v: ("-" if v < 0 else "") + grouped(v, ",", ".") + " €",
    "fr-nbsp": lambda v: ("\u2212" if v < 0 else "") + grouped(v, ",", "\u00a0"),
    "ch-apostrophe": lambda v: ("-" if v < 0 else "") + grouped(v, ".", "'"),
    "trailing-minus": lambda v: grouped(v, ".", ",") + ("-" if v < 0 else ""),
    "cr-dr": lambda v: grouped(v, ".", ",") + (" DR" if v < 0 else " CR"),
    "spaced-sign": lambda v: ("- £" if v < 0 else "+ £") + grouped(v, ".", ","),
    "iso-prefix": lambda v: "EUR " + ("-" if v < 0 else "") + grouped(v, ",", "."),
    "plain": lambda v: f"{v:.2f}",
}
DECIMAL_OF = {"de": ",", "de-euro-suffix": ",", "fr-nbsp": ",", "iso-prefix": ","}


@pytest.mark.parametrize("style", sorted(STYLES))
@settings(max_examples=60, deadline=None)
@given(values=st.lists(amounts, min_size=1, max_size=20))
def test_every_style_round_trips_exactly(style: str, values: list[Decimal]) -> None:
    texts = [STYLES[style](v) for v in values]
    parsed = parse_amounts(pl.Series(texts), DECIMAL_OF.get(style, "."))
    assert parsed.dtype == schema.AMOUNT
    assert parsed.to_list() == values


@given(values=st.lists(amounts, min_size=1, max_size=30))
@settings(deadline=None)
def test_sum_of_parsed_column_is_exact(values: list[Decimal]) -> None:
    parsed = parse_amounts(pl.Series([STYLES["de"](v) for v in values]), ",")
    assert parsed.sum() == sum(values, Decimal(0))


@pytest.mark.parametrize(
    ("text", "decimal"),
    [
        ("1,400,00.00", "."),  # a group of two digits
        ("-0.0.66962", "."),
        ("1.2.3", "."),
        ("12,34", "."),  # a decimal comma in a decimal-point column
        ("1.234.56", ","),
        ("1,234.56", ","),  # the wrong mark for the column
        ("1.23456", "."),  # five significant decimals: refused, never rounded
        ("1e3", "."),
        ("abc", "."),
        ("12abc34", "."),
        ("--", "."),
        ("$", "."),
        ("", "."),
    ],
)
def test_malformed_amounts_are_refused(text: str, decimal: str) -> None:
    assert parse_amounts(pl.Series([text]), decimal)[0] is None
    with pytest.raises(ValueError, match="not an amount"):
        parse_amount(text, decimal)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("-$7,971.39", "-7971.39"),
        ("$-42.55", "-42.55"),
        ("($1,936.76)", "-1936.76"),
        ("+ £1,100.00", "1100.00"),
        ("- $220.00", "-220.00"),
        ("5.00 DR", "-5.00"),
        ("2000.00CR", "2000.00"),
        ("50.00-", "-50.00"),
        ("\u22125.5", "-5.5"),
        ("-3.77000", "-3.77"),
        ("1'234.50", "1234.50"),
        ("USD 12", "12"),
    ],
)
def test_real_world_notations(text: str, expected: str) -> None:
    assert parse_amount(text, ".") == Decimal(expected)


def test_decimal_mark_is_decided_for_the_whole_column() -> None:
    # "1.000" alone could be one or a thousand; "5,99" elsewhere in the column settles it.
    assert infer_decimal_mark(pl.Series(["1.000", "5,99", "-1.001,00"])) == ","
    assert infer_decimal_mark(pl.Series(["1,000", "5.99"])) == "."
    assert infer_decimal_mark(pl.Series(["1.000", "2.500"])) == "."
    assert infer_decimal_mark(pl.Series(["1.000", "2.500"]), prefer=",") == ","
    column = parse_amounts(pl.Series(["1.000", "5,99", None, ""]))
    assert column.to_list() == [Decimal("1000"), Decimal("5.99"), None, None]


def test_plain_and_formatted_values_mix_in_one_column() -> None:
    parsed = parse_amounts(pl.Series(["12.50", "$1,000.00", "-3", "(4.00)"]), ".")
    assert parsed.to_list() == [Decimal("12.5"), Decimal("1000"), Decimal("-3"), Decimal("-4")]


_CELLS = st.one_of(
    st.none(), st.sampled_from(["1.000", "5,99", "+5", " 7.10", "", "1,234.56", "(4.00)", "12"]),
    amounts.map(lambda d: f"{d:.2f}"), amounts.map(lambda d: f"{d:.4f}"),
    amounts.map(lambda d: f"{d:.0f}"), amounts.map(lambda d: f"{d:.3f}"),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(_CELLS, min_size=1, max_size=12), min_size=1, max_size=3),
       st.sampled_from([None, ".", ","]))
def test_read_amounts_is_the_mark_then_each_column_parsed(
        columns: list[list[str | None]], prefer: str | None) -> None:
    # The one-pass shortcut for plain point numbers must decide exactly as the general rule.
    width = max(len(c) for c in columns)
    series = [pl.Series(c + [None] * (width - len(c)), dtype=pl.String) for c in columns]
    mark, parsed = read_amounts(series, prefer)
    expected_mark = infer_decimal_mark(pl.concat(series), prefer)
    assert mark == expected_mark
    assert [p.to_list() for p in parsed] == [parse_amounts(s, mark).to_list() for s in series]


def test_read_amounts_reads_a_plain_us_column_by_one_cast() -> None:
    mark, [column] = read_amounts([pl.Series(["-12.00", "5", None, "0.0001"])])
    assert mark == "."
    assert column.dtype == schema.AMOUNT
    assert column.to_list() == [Decimal("-12"), Decimal("5"), None, Decimal("0.0001")]
    assert read_amounts([pl.Series(["12", "7"])], prefer=",")[0] == ","  # integers: the locale's
    # too many digits for Decimal(38, 4): unreadable (the row is rejected), never an exception
    assert read_amounts([pl.Series(["1" * 40, "5.00"])])[1][0].to_list() == [None, Decimal(5)]
