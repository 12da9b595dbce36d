"""Date columns: one format for the whole column, day/month order settled by the data."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from moneystory.importers.dates import choose_format, parse_dates


def test_one_unambiguous_value_settles_day_first_for_every_row() -> None:
    result = parse_dates(pl.Series(["03/08/2026", "26/06/2026", "01/02/2026"]), day_first=False)
    assert result.format == "%d/%m/%Y"
    assert result.dates.to_list() == [date(2026, 8, 3), date(2026, 6, 26), date(2026, 2, 1)]


def test_one_unambiguous_value_settles_month_first() -> None:
    result = parse_dates(pl.Series(["3/18/2016", "3/6/2016"]), day_first=True)
    assert result.dates.to_list() == [date(2016, 3, 18), date(2016, 3, 6)]


@pytest.mark.parametrize(("day_first", "expected"), [(True, date(2020, 1, 2)),
                                                     (False, date(2020, 2, 1))])
def test_all_ambiguous_follows_the_locale(day_first: bool, expected: date) -> None:
    assert parse_dates(pl.Series(["2/1/2020"]), day_first=day_first).dates[0] == expected


def test_a_declared_format_wins_a_tie() -> None:
    assert choose_format(pl.Series(["02/01/2020"]), prefer="%m/%d/%Y") == "%m/%d/%Y"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2019.04.19.", date(2019, 4, 19)),
        ("10 Feb 18", date(2018, 2, 10)),
        ("12-Dec-2019", date(2019, 12, 12)),
        ("20200213", date(2020, 2, 13)),
        ("18.04.24", date(2024, 4, 18)),
        ("2018-02-25 12:34:56 +0000", date(2018, 2, 25)),
        ("2017-04-25T03:15:53", date(2017, 4, 25)),
        ("2013-07-03-08.21.36.47192", date(2013, 7, 3)),
        ("24-08-2020 13:43:54.496", date(2020, 8, 24)),
        ("28.06.2013 00:00:30:989", date(2013, 6, 28)),
        ("2023-01-01T23:30:00-05:00", date(2023, 1, 1)),  # never shifted to UTC
        ("Dec 21, 2019", date(2019, 12, 21)),
    ],
)
def test_date_spellings(text: str, expected: date) -> None:
    result = parse_dates(pl.Series([text]))
    assert result.dates[0] == expected
    assert result.failed == []


def test_two_digit_year_is_not_read_as_year_18() -> None:
    # `%Y.%m.%d` would accept "18.04.24" as the year 18; the shape check forbids it.
    assert parse_dates(pl.Series(["18.04.24", "01.12.23"])).format == "%d.%m.%y"


def test_unreadable_values_are_listed_and_empty_ones_are_not() -> None:
    result = parse_dates(pl.Series(["01/02/2020", "Pending", None, "", "31/02/2020"]))
    assert result.failed == [1, 4]
    assert result.dates.to_list()[0] == date(2020, 2, 1)


def test_no_format_at_all() -> None:
    result = parse_dates(pl.Series(["hello", "world"]))
    assert result.format is None
    assert result.failed == [0, 1]
