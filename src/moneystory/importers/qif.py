"""QIF (Quicken Interchange Format): bank, credit-card, cash and other-asset/liability sections.

A record is a run of lines, each a one-letter code and a value, ended by `^`. Investment,
category, class, security and memorised lists are skipped; `###` comment lines (not standard,
but seen) too. A split's S/E/$ lines belong to its transaction, whose T amount counts once.

Dates have no declared order, so the order is decided over the WHOLE file: every reading
(M/D/Y, D/M/Y, Y/M/D) that makes every date valid is a candidate; a statement covers a short
period, so a reading spanning years less than another wins; if still more than one reading gives
different dates, M/D/Y is taken and a warning says so. Years: `'00` is 2000 (Quicken's
apostrophe), `099` is 1999 (the Y2K bug: years since 1900), other two-digit years take the
century of the file's own run of years (never in the future).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from moneystory.errors import StatementError
from moneystory.importers.base import (
    AccountInfo,
    ImportOptions,
    ParsedFile,
    decode,
    split_unreadable,
    squash_expr,
)
from moneystory.importers.dates import two_digit_centuries
from moneystory.importers.numbers import parse_amounts

_SNIFF = re.compile(r"^\s*!(Type:|Account|Option)", re.I | re.M)
# 10/11/97, 1/ 1'00, 03/25/099Share Withdrawal (text glued on), 2020-02-10, 13.08.12
_DATE = re.compile(r"^\s*(\d{1,4})\s*[/.\-]\s*(\d{1,2})\s*([/.\-'])\s*(\d{1,4})")
_TRANSACTION_TYPES = {"bank": "checking", "ccard": "credit_card", "cash": "wallet",
                      "oth a": "other_asset", "oth l": "other_liability"}
# Reading → which of the three parts is (year, month, day).
_READINGS = {"M/D/Y": (2, 0, 1), "D/M/Y": (2, 1, 0), "Y/M/D": (0, 1, 2)}
_CLEARLY_SHORTER_DAYS = 365


@dataclass
class _Columns:
    line: list[int] = field(default_factory=list)
    date_text: list[str | None] = field(default_factory=list)
    amount_text: list[str | None] = field(default_factory=list)
    payee: list[str | None] = field(default_factory=list)
    memo: list[str | None] = field(default_factory=list)
    category: list[str | None] = field(default_factory=list)
    number: list[str | None] = field(default_factory=list)
    account: list[str | None] = field(default_factory=list)
    section: list[str] = field(default_factory=list)


class _Reader:
    """Walks the lines once, keeping one record open at a time."""

    def __init__(self) -> None:
        self.cols = _Columns()
        self.section: str | None = None  # a transaction section's type, or None to skip
        self.skipped: dict[str, int] = {}  # section type → records skipped
        self.skip_kind: str | None = None
        self.account: str | None = None
        self.accounts: dict[str, str | None] = {}  # name → transaction section type
        self.in_account_block = False
        self.autoswitch = False
        self.record: dict[str, str] = {}
        self.record_line = 0

    def run(self, text: str) -> None:
        for number, raw in enumerate(text.split("\n"), start=1):
            line = raw.rstrip()
            if not line.strip() or line.startswith("###"):
                continue
            if line.startswith("!"):
                self._header(line[1:].strip())
                continue
            code, value = line[0], line[1:]
            if code == "^":
                self._end_record()
                continue
            if not self.record:
                self.record_line = number
            self._field(code, value)
        self._end_record()

    def _header(self, header: str) -> None:
        self._end_record()
        lowered = header.lower()
        if lowered.startswith("type:"):
            kind = lowered[5:].strip()
            self.section = kind if kind in _TRANSACTION_TYPES else None
            self.skip_kind = None if self.section else kind
            self.in_account_block = False
        elif lowered == "account":
            self.in_account_block = True
        elif lowered.startswith("option:autoswitch"):
            self.autoswitch = True
        elif lowered.startswith("clear:autoswitch"):
            self.autoswitch = False

    def _field(self, code: str, value: str) -> None:
        in_split = "S" in self.record
        if code in "SE$%" or (in_split and code == "D"):
            # Split lines (and a split's own D line) never change the transaction; the first
            # split's category stands in for L--Split--.
            if code == "S" and not in_split:
                self.record["S"] = value
            return
        self.record.setdefault(code, value)

    def _end_record(self) -> None:
        record, self.record = self.record, {}
        if not record:
            return
        if self.in_account_block:
            name = record.get("N", "").strip() or None
            if name and not self.autoswitch:
                self.account = name
            if name:
                self.accounts.setdefault(name, (record.get("T") or "").strip().lower() or None)
            return
        if self.section is None:
            kind = self.skip_kind or "records before any !Type header"
            self.skipped[kind] = self.skipped.get(kind, 0) + 1
            return
        cols = self.cols
        cols.line.append(self.record_line)
        cols.date_text.append(record.get("D"))
        cols.amount_text.append(record.get("T") or record.get("U"))
        cols.payee.append(record.get("P"))
        cols.memo.append(record.get("M"))
        category = record.get("L")
        if category and category.strip() == "--Split--":
            category = record.get("S")
        cols.category.append(category)
        cols.number.append(record.get("N"))
        cols.account.append(self.account)
        cols.section.append(self.section)


# ---------------------------------------------------------------- dates

def _date_parts(frame: pl.DataFrame) -> pl.DataFrame:
    parts = pl.col("date_text").str.extract_groups(_DATE.pattern)
    return frame.with_columns(_parts=parts).unnest("_parts").rename(
        {"1": "_p0", "2": "_p1", "3": "_sep", "4": "_p2"}
    )


def _year(part: pl.Expr, apostrophe: pl.Expr) -> pl.Expr:
    value = part.cast(pl.Int32, strict=False)
    width = part.str.len_chars()
    return (
        pl.when(width == 4).then(value)
        .when(width == 3).then(1900 + value)  # Y2K-era software: years since 1900
        .when((width <= 2) & apostrophe).then(2000 + value)  # "1/1'00", space-padded "1/1' 0"
        .when(width == 2).then(pl.when(value < 70).then(2000 + value).otherwise(1900 + value))
    )


def _plain_two_digit_centuries(frame: pl.DataFrame, year_at: int) -> pl.DataFrame:
    """Two-digit years without an apostrophe ("12/31/99") get their century from the file's
    own run of such years, as CSV dates do (dates.two_digit_centuries): "'69" is 1969, not
    a date 43 years ahead. Apostrophe years (Quicken's "1/1' 0") stay in the 2000s."""
    plain = ((pl.col(f"_p{year_at}").str.len_chars() == 2)
             & ~pl.col("_sep").fill_null("").str.starts_with("'")).fill_null(False)
    rows = frame.select(plain).to_series().arg_true()
    if rows.is_empty():
        return frame
    moved = two_digit_centuries(frame["date"].gather(rows))
    return frame.with_columns(frame["date"].scatter(rows, moved))


def _reading(order: tuple[int, int, int]) -> pl.Expr:
    parts = [pl.col("_p0"), pl.col("_p1"), pl.col("_p2")]
    year_at, month_at, day_at = order
    apostrophe = pl.col("_sep").str.starts_with("'")
    # An apostrophe always comes before the year.
    apostrophe_ok = ~apostrophe if year_at != 2 else pl.lit(True)
    text = pl.format(
        "{}-{}-{}",
        _year(parts[year_at], apostrophe).cast(pl.String).str.zfill(4),
        parts[month_at].str.zfill(2), parts[day_at].str.zfill(2),
    )
    return pl.when(apostrophe_ok).then(text.str.to_date("%Y-%m-%d", strict=False))


def _choose_reading(frame: pl.DataFrame) -> tuple[str, list[str]]:
    """The one date order for the whole file, and a warning when the data cannot tell."""
    dated = frame.filter(pl.col("_p0").is_not_null())
    if dated.is_empty():
        return "M/D/Y", []
    readings = dated.select(**{name: _reading(order) for name, order in _READINGS.items()})
    valid = {name: readings[name] for name in _READINGS if readings[name].null_count() == 0}
    if not valid:  # no order reads every date: take the one that reads most
        best = max(_READINGS, key=lambda name: readings.height - readings[name].null_count())
        return best, []
    spans: dict[str, int] = {
        name: readings.select(pl.col(name).max() - pl.col(name).min()).item().days
        for name in valid
    }
    shortest = min(spans.values())
    close = [name for name in _READINGS if name in spans
             and spans[name] - shortest < _CLEARLY_SHORTER_DAYS]
    chosen = close[0]
    differing = [name for name in close if not valid[name].equals(valid[chosen])]
    if differing:
        return chosen, [
            f"QIF dates can be read as {' or '.join([chosen, *differing])}; read as {chosen}. "
            "If the dates look wrong, re-export the file with 4-digit years or ISO dates"
        ]
    return chosen, []


# ---------------------------------------------------------------- rows

def _frame(cols: _Columns) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "line": pl.Series(cols.line, dtype=pl.Int64),
            **{name: pl.Series(getattr(cols, name), dtype=pl.String) for name in (
                "date_text", "amount_text", "payee", "memo", "category", "number", "account",
                "section")},
        }
    )


class _QifImporter:
    name = "qif"

    def sniff(self, head: str) -> bool:
        try:
            return bool(_SNIFF.search(head[:4096]))
        except Exception:  # sniffing never raises
            return False

    def parse(self, path: Path, data: bytes, options: ImportOptions) -> ParsedFile:
        decoded = decode(data)
        if not _SNIFF.search(decoded.text):
            raise StatementError("no !Type: header: this is not a QIF file", path=path,
                                 hint="export the account again as QIF, OFX or CSV")
        reader = _Reader()
        reader.run(decoded.text)
        warnings = [decoded.warning] if decoded.warning else []
        frame = _date_parts(_frame(reader.cols))
        reading, date_warnings = _choose_reading(frame)
        warnings += date_warnings
        # T amounts: `,` thousands (`-1,000.00`), or a decimal comma when the whole file says so.
        frame = frame.with_columns(date=_reading(_READINGS[reading]),
                                   amount=parse_amounts(frame["amount_text"], prefer="."))
        frame = _plain_two_digit_centuries(frame, _READINGS[reading][0])
        frame, rejected = split_unreadable(frame, "line", f"date (D, read as {reading})",
                                           "amount (T)")
        payee, memo = squash_expr(pl.col("payee")), squash_expr(pl.col("memo"))
        frame = frame.with_columns(
            description=pl.coalesce(payee, memo, squash_expr(pl.col("number"))),
            memo=memo,
            bank_category=squash_expr(pl.col("category")),
            account_ref=pl.col("account"),
            source_row=pl.col("line"),
            pending=pl.lit(False),
        )
        skipped = reader.skipped
        if skipped:
            warnings.append("skipped sections that hold no bank transactions: " + ", ".join(
                f"{kind} ({n})" for kind, n in sorted(skipped.items())))
        return ParsedFile(
            format="qif", profile=None, frame=frame, accounts=self._accounts(reader),
            rejected=rejected, warnings=warnings, encoding=decoded.encoding,
        )

    @staticmethod
    def _accounts(reader: _Reader) -> list[AccountInfo]:
        sections = set(reader.cols.section)
        if not reader.accounts:
            kind = _TRANSACTION_TYPES[sections.pop()] if len(sections) == 1 else None
            return [AccountInfo(kind=kind)]
        named = {name for name in reader.cols.account if name}
        return [
            AccountInfo(ref=name, name=name,
                        kind=_TRANSACTION_TYPES.get(kind or ""))
            for name, kind in reader.accounts.items() if name in named
        ] or [AccountInfo()]


IMPORTER = _QifImporter()
