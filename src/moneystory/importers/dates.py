"""Date columns read by one format chosen over the WHOLE column, never value by value.

Each candidate format must parse every non-empty value; of those left, a profile's declared
format wins, then the order the locale implies (day first outside the US), so `03/08/2026`
is never read one way on one row and the other way on the next. One `26/06/2026` anywhere
settles DD/MM for the whole file. Times and offsets after the date are dropped without any
time-zone shift: the bank's calendar date is what it printed.

Two-digit years get their century from the data, not from a fixed pivot: a statement's dates
are recent and contiguous, so the column's years are read as one unbroken run (`99` then `00`
is 1999 then 2000) placed as late as it can be without ending after today plus a small margin.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import polars as pl

from moneystory.importers.numbers import per_distinct

# (strptime format, the shape a value must have). The shape stops `%Y` eating a 2-digit year.
_D, _M, _Y4, _Y2 = r"\d{1,2}", r"\d{1,2}", r"\d{4}", r"\d{2}"
_MON = r"[A-Za-z]{3}"
CANDIDATES: tuple[tuple[str, str], ...] = (
    ("%Y-%m-%d", rf"^{_Y4}-{_M}-{_D}$"),
    ("%Y%m%d", r"^\d{8}$"),
    ("%Y/%m/%d", rf"^{_Y4}/{_M}/{_D}$"),
    ("%Y.%m.%d", rf"^{_Y4}\.{_M}\.{_D}$"),
    ("%d.%m.%Y", rf"^{_D}\.{_M}\.{_Y4}$"),
    ("%d.%m.%y", rf"^{_D}\.{_M}\.{_Y2}$"),
    ("%d/%m/%Y", rf"^{_D}/{_M}/{_Y4}$"),
    ("%m/%d/%Y", rf"^{_M}/{_D}/{_Y4}$"),
    ("%d/%m/%y", rf"^{_D}/{_M}/{_Y2}$"),
    ("%m/%d/%y", rf"^{_M}/{_D}/{_Y2}$"),
    ("%d-%m-%Y", rf"^{_D}-{_M}-{_Y4}$"),
    ("%m-%d-%Y", rf"^{_M}-{_D}-{_Y4}$"),
    ("%d-%m-%y", rf"^{_D}-{_M}-{_Y2}$"),
    ("%d %b %y", rf"^{_D} {_MON} {_Y2}$"),
    ("%d %b %Y", rf"^{_D} {_MON} {_Y4}$"),
    ("%d-%b-%Y", rf"^{_D}-{_MON}-{_Y4}$"),
    ("%d-%b-%y", rf"^{_D}-{_MON}-{_Y2}$"),
    ("%d/%b/%Y", rf"^{_D}/{_MON}/{_Y4}$"),
    ("%b %d, %Y", rf"^{_MON} {_D}, {_Y4}$"),
    ("%d %B %Y", rf"^{_D} [A-Za-z]{{4,9}} {_Y4}$"),
    ("%B %d, %Y", rf"^[A-Za-z]{{4,9}} {_D}, {_Y4}$"),
)
_FORMATS = dict(CANDIDATES)

# How far past today a statement's newest date may lie (scheduled payments, value dates) before
# a two-digit year is read a century earlier.
FUTURE_MARGIN = timedelta(days=62)

# Countries whose banks write the month first.
MONTH_FIRST_COUNTRIES = {"US", "PH", "FM", "PW", "MH"}


@dataclass
class ParsedDates:
    dates: pl.Series  # pl.Date, null where empty or unreadable
    failed: list[int] = field(default_factory=list)  # 0-based positions of unreadable values
    format: str | None = None


def date_part(col: pl.Expr) -> pl.Expr:
    """The calendar-date prefix: drop a time (`12:34:56 +0000`, `T03:15`, `-08.21.36.47192`)."""
    text = col.str.strip_chars().str.strip_chars('"\'')
    text = text.str.replace(r"^(\d{4}-\d{1,2}-\d{1,2})[T -]\d{1,2}[:.]\d{2}.*$", "$1")
    text = text.str.replace(r"[ T]+\d{1,2}:\d{2}.*$", "")
    return text.str.strip_chars().str.strip_chars_end(".")  # `2019.04.19.` → `2019.04.19`


def _parse_with(col: pl.Expr, fmt: str) -> pl.Expr:
    shaped = col.str.contains(_FORMATS.get(fmt, ".*"))
    return pl.when(shaped).then(col.str.strptime(pl.Date, fmt, strict=False))


def _day_first(fmt: str) -> bool:
    return fmt.find("%d") < fmt.find("%m") if "%m" in fmt else True


def choose_format(values: pl.Series, prefer: str | None = None,
                  day_first: bool = True) -> str | None:
    """The candidate that reads the most distinct values (all of them, ideally); ties go to
    the declared format, then to the locale's day/month order, then to the list order."""
    distinct = pl.DataFrame({"v": values.drop_nulls().unique()}).select(date_part(pl.col("v")))
    distinct = distinct.filter(pl.col("v") != "")
    if distinct.is_empty():
        return prefer
    names = [prefer] if prefer and prefer not in _FORMATS else []
    names += list(_FORMATS)
    counts = distinct.select(
        [_parse_with(pl.col("v"), fmt).is_not_null().sum().alias(str(i))
         for i, fmt in enumerate(names)]
    ).row(0)
    best = max(counts)
    if best == 0:
        return None
    tied = [fmt for fmt, n in zip(names, counts, strict=True) if n == best]
    if prefer in tied:
        return prefer
    by_locale = [fmt for fmt in tied if _day_first(fmt) == day_first]
    return (by_locale or tied)[0]


def _run_start(two_digit_years: list[int]) -> int:
    """Where the column's run of years begins on the 100-year circle: just after the widest
    gap between the years present ({99, 0, 1} begins at 99; {18, 19} at 18)."""
    ordered = sorted(two_digit_years)
    following = ordered[1:] + ordered[:1]
    gaps = [((after - year) % 100 or 100, after)
            for year, after in zip(ordered, following, strict=True)]
    return max(gaps)[1]


def _in_century_run(dates: pl.Series, first_year: int) -> pl.Series:
    """Each date moved to the year of its run that starts in `first_year` (a full year): the
    run's n-th year is first_year + n. A 29 February that does not exist there becomes null."""
    frame = pl.DataFrame({"d": dates})
    offset = (pl.col("d").dt.year() - first_year) % 100
    year = pl.lit(first_year) + offset
    text = pl.format("{}-{}-{}", year, pl.col("d").dt.month(), pl.col("d").dt.day())
    return frame.select(text.str.to_date("%Y-%m-%d", strict=False)).to_series()


def two_digit_centuries(dates: pl.Series, today: date | None = None) -> pl.Series:
    """Dates read with `%y` given the century that puts the whole column's contiguous run of
    years nearest to, and not after, today + FUTURE_MARGIN (one choice for every row)."""
    distinct = dates.drop_nulls().unique()
    if distinct.is_empty():
        return dates
    limit = (today or date.today()) + FUTURE_MARGIN
    start = _run_start((distinct.dt.year() % 100).unique().to_list())
    first_year = (limit.year - start) // 100 * 100 + start  # latest run start not after limit
    moved = _in_century_run(distinct, first_year)
    newest = moved.max()
    if isinstance(newest, date) and newest > limit:  # the run would end in the future
        moved = _in_century_run(distinct, first_year - 100)
    return dates.replace(distinct, moved)


def parse_dates(values: pl.Series, prefer: str | None = None,
                day_first: bool = True, today: date | None = None) -> ParsedDates:
    """Parse a String column with one format for all rows; list the rows it could not read.
    `today` (default: the real date) anchors the century of two-digit years."""
    fmt = choose_format(values, prefer, day_first)
    if fmt is None:
        dates = pl.repeat(None, len(values), dtype=pl.Date, eager=True).rename(values.name)
    else:
        dates = per_distinct(values, lambda col: _parse_with(date_part(col), fmt), pl.Date)
        if "%y" in fmt:
            dates = two_digit_centuries(dates, today).rename(values.name)
    unread = (dates.is_null() & values.is_not_null()).arg_true()  # few rows: only those
    failed = unread.filter(values.gather(unread).str.strip_chars() != "").to_list()  # not blank
    return ParsedDates(dates, failed, fmt)
