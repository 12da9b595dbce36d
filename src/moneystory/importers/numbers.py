"""Amounts as bank exports write them, turned into exact Decimal(38, 4) by whole-column rules.

Every rule is a polars expression over a String column. Plain numbers (most of a big file) are
cast directly; the full rule chain runs on the rest, once per distinct value when a column
repeats itself (`per_distinct`). What is accepted:
- decimal comma or point, decided for the whole column (`infer_decimal_mark`), never per value;
- thousands separators (`,` `.` space NBSP thin-space `'`) only between groups of exactly three
  digits: `1,400,00.00` and `-0.0.66962` are refused, not "fixed";
- currency symbols and ISO codes before or after the number (`-$7,971.39`, `4.711,98 €`, `EUR 5`);
- negatives as a leading minus (also U+2212 and `- $220.00`), `(1.23)`, a trailing minus `50.00-`,
  and `DR`; `CR` and a leading `+` mean money in.
More than four significant decimals is refused rather than rounded (sums must stay exact).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import polars as pl

from moneystory import schema

PolarsType = pl.DataType | type[pl.DataType]

_SPACES = r"[\u00a0\u2007\u2009\u202f]"
_MINUS = r"[\u2212\u2012\u2013\u2014]"
_SYMBOLS = r"[$£€¥₹₩₽₺₪฿₫]"
# ISO codes and the few local abbreviations seen in exports, at either end of the cell.
_CODE = r"(?:[A-Z]{3}|US|CA|AU|A|kr|Kč|zł|Ft|Fr\.|lei)"
_LEADING_CODE = rf"^{_CODE}\s*"
_TRAILING_CODE = rf"\s*{_CODE}$"

# Integer part: plain digits, or 1-3 digits then groups of exactly 3 with ONE separator kind.
_GROUPS = {
    ".": [",", " ", "'"],
    ",": [r"\.", " ", "'"],
}


def _body_pattern(decimal: str) -> str:
    groups = "|".join(rf"\d{{1,3}}(?:{sep}\d{{3}})+" for sep in _GROUPS[decimal])
    mark = re_escape(decimal)
    return rf"^(?:\d+|{groups})(?:{mark}\d+)?$|^{mark}\d+$"


def re_escape(char: str) -> str:
    return "\\" + char if char in ".^$*+?()[]{}|\\" else char


def _normalised(col: pl.Expr) -> pl.Expr:
    return (
        col.str.replace_all(_SPACES, " ")
        .str.replace_all(_MINUS, "-")
        .str.strip_chars()
    )


def _parse_expr(col: pl.Expr, decimal: str) -> pl.Expr:
    """String → Decimal(38,4); null for empty or unreadable values."""
    text = _normalised(col)
    credit = text.str.contains(r"(?i)(?:^|[\s\d.])CR\.?$")
    debit = text.str.contains(r"(?i)(?:^|[\s\d.])DR\.?$")
    text = text.str.replace(r"(?i)\s*[CD]R\.?$", "")
    text = (
        text.str.replace_all(_SYMBOLS, "")
        .str.strip_chars()
        .str.replace(_LEADING_CODE, "")
        .str.replace(_TRAILING_CODE, "")
        .str.strip_chars()
    )
    parens = text.str.contains(r"^[-+]?\s*\(.*\)$")
    text = text.str.replace(r"^([-+]?)\s*\((.*)\)$", "$1$2").str.strip_chars()
    leading_minus = text.str.contains(r"^-")
    trailing_minus = text.str.contains(r"\d\s*-$")
    text = (
        text.str.replace(r"^[-+]+\s*", "")
        .str.replace(r"\s*[-+]$", "")
        .str.replace(_LEADING_CODE, "")  # "- EUR 5" and "+ £1,100.00" after the sign
        .str.strip_chars()
    )
    valid = text.str.contains(_body_pattern(decimal))
    group_chars = "".join(_GROUPS[decimal]).replace("\\", "")
    digits = text.str.replace_all(f"[{re_escape_class(group_chars)}]", "")
    if decimal == ",":
        digits = digits.str.replace(",", ".", literal=True)
    # Trailing zeros beyond four places are harmless (`-3.77000`); real digits there are not.
    digits = digits.str.replace(r"(\.\d{4})0+$", "$1")
    valid = valid & ~digits.str.contains(r"\.\d{5,}$")
    negative = (leading_minus | parens | trailing_minus | debit) & ~credit
    signed = pl.when(negative).then(pl.lit("-") + digits).otherwise(digits)
    return pl.when(valid).then(signed).otherwise(None).cast(schema.AMOUNT, strict=False)


def re_escape_class(chars: str) -> str:
    return "".join("\\" + c if c in "]\\^-" else c for c in chars)


def _valid_expr(col: pl.Expr, decimal: str) -> pl.Expr:
    return _parse_expr(col, decimal).is_not_null()


# Shapes that need no cleaning at all (most of a big file): a plain signed number.
_PLAIN = {".": r"^-?\d+(?:\.\d{1,4})?$", ",": r"^-?\d+(?:,\d{1,4})?$"}
# Values that only one mark can read: a mark followed by other than exactly three digits.
_ONLY = {".": r"^[-+]?\d+\.(?:\d{1,2}|\d{4,})$", ",": r"^[-+]?\d+,(?:\d{1,2}|\d{4,})$"}
_POINT_OR_INTEGER = r"^(?:$|[-+]?\d+(?:\.(?:\d{1,2}|\d{4,}))?)$"  # empty cells count for neither


def infer_decimal_mark(values: pl.Series, prefer: str | None = None) -> str:
    """The mark ('.' or ',') that reads the most distinct values, ideally all; a tie goes to
    `prefer`, else '.'.

    A column holding only ambiguous values such as `1.000` is read the way the profile or the
    locale says, never guessed value by value.
    """
    text = values.drop_nulls()
    # The usual US/UK column: no comma can read more values. (Unstripped: a cell with spaces
    # around it only sends the column to the full count below.)
    if text.str.contains(_POINT_OR_INTEGER).all():
        return "." if text.str.contains(".", literal=True).any() else (prefer or ".")
    distinct = text.str.strip_chars().unique()
    frame = pl.DataFrame({"v": distinct}).filter(pl.col("v") != "")
    if frame.is_empty():
        return prefer or "."
    v = pl.col("v")
    frame = frame.with_columns(
        only_point=v.str.contains(_ONLY["."]), only_comma=v.str.contains(_ONLY[","]),
        both=v.str.contains(r"^[-+]?\d+$"),
    )
    rest = frame.filter(~pl.col("only_point") & ~pl.col("only_comma") & ~pl.col("both"))
    rest_counts = rest.select(
        point=_valid_expr(v, ".").sum(), comma=_valid_expr(v, ",").sum()
    ).row(0)
    point = int(frame["only_point"].sum()) + int(rest_counts[0] or 0)
    comma = int(frame["only_comma"].sum()) + int(rest_counts[1] or 0)
    if point == comma:
        return prefer or "."
    return "." if point > comma else ","


# A plain point-decimal number that no comma reading could take too (its decimals are not
# exactly three): nearly every value of a US or UK export.
_PLAIN_POINT = r"^-?\d+(?:\.(?:\d{1,2}|\d{4}))?$"


def read_amounts(columns: list[pl.Series], prefer: str | None = None) -> tuple[
    str, list[pl.Series]
]:
    """The decimal mark of the columns together (`infer_decimal_mark`) and each column parsed
    with it (`parse_amounts`). When every value is a plain point number, one regex pass
    decides both, and the columns are cast as they are (the mark's three passes, otherwise)."""
    cells = pl.DataFrame(columns)  # lazily below: polars' engine then uses every core
    if all(cells.lazy().select(pl.all().str.contains(_PLAIN_POINT).all()).collect().row(0)):
        pointed = any(_contains_point(column) for column in columns)
        return ("." if pointed else prefer or "."), \
            cells.lazy().select(pl.all().cast(schema.AMOUNT, strict=False)).collect().get_columns()
    every_cell = columns[0] if len(columns) == 1 else pl.concat(columns)
    mark = infer_decimal_mark(every_cell, prefer)
    return mark, [parse_amounts(column, mark) for column in columns]


def _contains_point(column: pl.Series) -> bool:
    """Whether any value has a '.': the first rows nearly always tell, without a full pass."""
    return bool(column.head(1000).str.contains(".", literal=True).any()
                or column.str.contains(".", literal=True).any())


def parse_amounts(values: pl.Series, decimal: str | None = None,
                  prefer: str | None = None) -> pl.Series:
    """A String series as Decimal(38,4): null where empty or unreadable (the caller says why).

    Plain numbers are cast directly; the full rule chain runs once per distinct other value.
    """
    mark = decimal or infer_decimal_mark(values, prefer)
    # Unstripped: a plain number with spaces around it goes the full way, which strips them.
    text = values.cast(pl.String)
    v = pl.col("v")
    direct = v if mark == "." else v.str.replace(",", ".", literal=True)
    plain = v.str.contains(_PLAIN[mark]).fill_null(False)
    parsed = text.to_frame("v").lazy().select(  # lazily: on every core
        plain=plain, present=v.is_not_null(),
        out=pl.when(plain).then(direct).cast(schema.AMOUNT, strict=False),
    ).collect()
    out = parsed["out"]
    others = (~parsed["plain"] & parsed["present"]).arg_true()
    if len(others):
        rest = per_distinct(text.gather(others), lambda col: _parse_expr(col, mark),
                            schema.AMOUNT)
        out = out.scatter(others, rest)
    return out.rename(values.name)


SAMPLE_ROWS = 20_000  # rows looked at to tell a repetitive column from a mostly distinct one
MOSTLY_DISTINCT = 0.5  # above this share of distinct values, the rule runs on every row


def _mostly_distinct(values: pl.Series) -> bool:
    """Whether a column is not worth deduplicating, judged on its first rows (a real count of
    the distinct values costs as much as the deduplication itself). A block of neighbouring
    rows, not a spread sample: statements are in date order, so a spread sample would find
    every date distinct."""
    if len(values) <= SAMPLE_ROWS:
        return False
    return values.head(SAMPLE_ROWS).n_unique() > MOSTLY_DISTINCT * SAMPLE_ROWS


def per_distinct(values: pl.Series, rule: Callable[[pl.Expr], pl.Expr],
                 dtype: PolarsType) -> pl.Series:
    """Apply an expression-building `rule` to each distinct value once, then map back.

    Bank columns repeat (dates, currencies, types): the rule runs on the few distinct values
    and a hash join maps them back. A mostly distinct column (descriptions with store numbers
    and refs, balances) gains nothing from that join, so there the rule runs on every row.
    """
    source = values.cast(pl.String).rename("v")
    lazy = source.to_frame().lazy()  # lazily: polars' engine spreads the rows over every core
    if _mostly_distinct(source):
        return lazy.select(rule(pl.col("v")).cast(dtype)).collect()["v"].rename(values.name)
    mapped = lazy.unique().with_columns(out=rule(pl.col("v")).cast(dtype))
    joined = lazy.join(mapped, on="v", how="left", nulls_equal=True, maintain_order="left")
    return joined.collect()["out"].rename(values.name)


def parse_amount(text: str, decimal: str | None = None) -> Decimal:
    """One amount (for importers that meet them one at a time); raises ValueError."""
    result = parse_amounts(pl.Series([text], dtype=pl.String), decimal)[0]
    if result is None:
        raise ValueError(f"not an amount: {text!r}")
    return Decimal(result)
