"""Date columns read by one format chosen over the WHOLE column, never value by value.

Each candidate format must parse every non-empty value; of those left, a profile's declared
format wins, then the order the locale implies (day first outside the US), so `03/08/2026`
is never read one way on one row and the other way on the next. One `26/06/2026` anywhere
settles DD/MM for the whole file. Times and offsets after the date are dropped without any
time-zone shift: the bank's calendar date is what it printed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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


def parse_dates(values: pl.Series, prefer: str | None = None,
                day_first: bool = True) -> ParsedDates:
    """Parse a String column with one format for all rows; list the rows it could not read."""
    fmt = choose_format(values, prefer, day_first)
    if fmt is None:
        dates = pl.repeat(None, len(values), dtype=pl.Date, eager=True).rename(values.name)
    else:
        dates = per_distinct(values, lambda col: _parse_with(date_part(col), fmt), pl.Date)
    present = values.is_not_null() & (values.str.strip_chars() != "")
    failed = (present & dates.is_null()).arg_true().to_list()
    return ParsedDates(dates, failed, fmt)
