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


# ------------------------------------------------ two-digit years: the century from the data

TODAY = date(2026, 12, 1)


def test_turn_of_the_century_in_one_file_is_one_run_of_years() -> None:
    result = parse_dates(pl.Series(["28/12/99", "31/12/99", "01/01/00", "03/01/00"]),
                         today=TODAY)
    assert result.dates.to_list() == [date(1999, 12, 28), date(1999, 12, 31),
                                      date(2000, 1, 1), date(2000, 1, 3)]
    assert result.failed == []


def test_a_file_of_old_dates_stays_in_its_decade() -> None:
    result = parse_dates(pl.Series(["03.05.85", "28.06.85", "02.01.86"]), today=TODAY)
    assert result.dates.to_list() == [date(1985, 5, 3), date(1985, 6, 28), date(1986, 1, 2)]


def test_a_year_the_fixed_pivot_put_in_the_future_is_read_in_the_past() -> None:
    # polars' %y pivot reads '69 as 2069; no statement is dated 43 years ahead
    assert parse_dates(pl.Series(["01/06/69"]), today=TODAY).dates[0] == date(1969, 6, 1)


def test_recent_two_digit_years_stay_in_this_century() -> None:
    result = parse_dates(pl.Series(["10 Nov 26", "28 Nov 26"]), today=TODAY)
    assert result.dates.to_list() == [date(2026, 11, 10), date(2026, 11, 28)]


@pytest.mark.parametrize(("text", "expected"), [("15/01/27", date(2027, 1, 15)),
                                                ("15/06/27", date(1927, 6, 15))])
def test_never_after_today_beyond_a_small_margin(text: str, expected: date) -> None:
    # scheduled payments six weeks ahead are plausible; half a year ahead is not
    assert parse_dates(pl.Series([text]), today=TODAY).dates[0] == expected


def test_the_whole_column_moves_together_next_to_a_century_turn() -> None:
    result = parse_dates(pl.Series(["30/12/99", "31/12/99", "01/01/00"]),
                         today=date(2099, 12, 31))
    assert [d.year for d in result.dates.to_list()] == [2099, 2099, 2100]
    result = parse_dates(pl.Series(["30/12/99", "02/01/00"]), today=date(2000, 1, 15))
    assert [d.year for d in result.dates.to_list()] == [1999, 2000]


def test_a_29_february_that_the_chosen_century_lacks_is_unreadable() -> None:
    result = parse_dates(pl.Series(["28/02/00", "29/02/00"]), today=date(2150, 1, 1))
    assert result.dates.to_list() == [date(2100, 2, 28), None]
    assert result.failed == [1]


def test_four_digit_years_are_never_moved() -> None:
    assert parse_dates(pl.Series(["01/06/1969"]), today=TODAY).dates[0] == date(1969, 6, 1)
    assert parse_dates(pl.Series(["01/06/2069"]), today=TODAY).dates[0] == date(2069, 6, 1)
