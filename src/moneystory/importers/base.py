"""What every importer shares: the parse result, the options, and the decoding cascade.

Importers know formats, not the store: they turn bytes into a RAW frame (schema.RAW) with money
out negative, plus the accounts the file names and every row they could not read.
Layer 1: imports layer 0 only.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Protocol

import polars as pl

from moneystory import schema


@dataclass(frozen=True)
class ImportOptions:
    profile: str | None = None  # force a CSV profile (or a format: "ofx", "qif", "camt")
    strict: bool = False  # any unreadable row aborts the file
    include_pending: bool = False
    user_profiles_dir: Path | None = None


@dataclass(frozen=True)
class RowIssue:
    line: int
    reason: str


@dataclass
class AccountInfo:
    """An account as the file describes it; `ref` matches RAW.account_ref of its rows."""

    ref: str | None = None
    name: str | None = None
    institution: str | None = None
    currency: str | None = None
    kind: str | None = None  # checking, savings, credit_card, investment, wallet
    card_last4: str | None = None


@dataclass
class BalanceCheck:
    """A balance the bank states, compared with the rows: a mismatch names the first bad row."""

    account_ref: str | None
    stated: Decimal
    computed: Decimal
    as_of: date | None = None
    first_bad_line: int | None = None

    @property
    def ok(self) -> bool:
        return self.stated == self.computed


@dataclass
class ParsedFile:
    format: str  # csv, ofx, qif, camt
    profile: str | None  # the CSV profile (or OFX/QIF dialect) that read it
    frame: pl.DataFrame  # schema.RAW
    accounts: list[AccountInfo] = field(default_factory=list)
    rejected: list[RowIssue] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    encoding: str | None = None
    balance_checks: list[BalanceCheck] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.frame = schema.conform(self.frame, schema.RAW)


class Importer(Protocol):
    """A file format. `sniff` is cheap and never raises; `parse` raises StatementError."""

    name: str

    def sniff(self, head: str) -> bool: ...

    def parse(self, path: Path, data: bytes, options: ImportOptions) -> ParsedFile: ...


# ---------------------------------------------------------------- decoding cascade

@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str
    warning: str | None = None
    head_only: bool = False  # `text` is the head of an ASCII file without CRs (csv._decode_head)


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

_ENCODING_ALIASES = {
    "1252": "cp1252", "windows-1252": "cp1252", "usascii": "cp1252", "us-ascii": "cp1252",
    "ascii": "cp1252", "none": "cp1252", "iso-8859-1": "latin-1", "8859-1": "latin-1",
    "latin1": "latin-1", "1250": "cp1250", "windows-1250": "cp1250", "utf8": "utf-8",
}


def normalise_encoding(name: str | None) -> str | None:
    if not name:
        return None
    key = name.strip().strip("\"'").lower()
    key = _ENCODING_ALIASES.get(key, key)
    try:
        return codecs.lookup(key).name
    except LookupError:
        return None


def _looks_utf16(data: bytes) -> str | None:
    """UTF-16 without a BOM: every other byte NUL in ASCII-heavy text."""
    sample = data[:2000]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    half = len(sample) // 2
    if odd > 0.4 * half and even < 0.05 * half:
        return "utf-16-le"
    if even > 0.4 * half and odd < 0.05 * half:
        return "utf-16-be"
    return None


def decode(data: bytes, declared: str | None = None) -> Decoded:
    """BOM, then strict UTF-8, then the declared encoding, then cp1252 with a warning.

    Statistical detectors misread short bank files, so nothing here guesses from statistics.
    """
    for bom, enc in _BOMS:
        if data.startswith(bom):
            return Decoded(_clean(data[len(bom):].decode(enc, errors="replace")), enc)
    utf16 = _looks_utf16(data)
    if utf16:
        return Decoded(_clean(data.decode(utf16, errors="replace")), utf16)
    try:
        return Decoded(_clean(data.decode("utf-8")), "utf-8")
    except UnicodeDecodeError:
        pass
    declared_codec = normalise_encoding(declared)
    if declared_codec and declared_codec != "utf-8":
        try:
            return Decoded(_clean(data.decode(declared_codec)), declared_codec)
        except UnicodeDecodeError:
            pass
    text = data.decode("cp1252", errors="replace")
    sample = sorted({ch for ch in text if ord(ch) > 127})[:12]
    return Decoded(
        _clean(text),
        "cp1252",
        "not UTF-8 and no declared encoding: read as Windows-1252"
        + (f" (non-ASCII seen: {' '.join(sample)})" if sample else "")
        + "; pass a profile with `encoding` if these look wrong",
    )


def _clean(text: str) -> str:
    # BOMs in the middle (concatenated downloads) and lone CRs are noise, not content.
    if "\ufeff" in text:
        text = text.replace("\ufeff", "")
    if "\r" in text:  # one fast scan; a replace that finds nothing still scans the text
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


_WS = re.compile(r"\s+")


def squash(text: str | None) -> str:
    """Whitespace-normalised text, the only change made to a bank's description."""
    return _WS.sub(" ", text or "").strip()


def squash_expr(text: pl.Expr) -> pl.Expr:
    """`squash` for a whole column; empty text becomes null.

    The pattern rewrites only runs of whitespace and single tabs/NBSPs (the single spaces that
    make up most of a text are left alone): the same result as replacing every run, at half
    the cost. `replace("", None)` names `squashed` once (a when/then computed it twice).
    """
    squashed = text.str.replace_all(r"\s{2,}|[^\S ]", " ").str.strip_chars()
    return squashed.replace("", None)


def like_stated(computed: Decimal, stated: Decimal) -> Decimal:
    """A computed balance with the stated balance's decimals when that loses nothing (for
    messages: "states 15121.12, the rows give 15555.28" rather than 15555.2800)."""
    shown = computed.quantize(stated) if stated.is_finite() else computed
    return shown if shown == computed else computed


def split_unreadable(frame: pl.DataFrame, line: str, date_field: str,
                     amount_field: str) -> tuple[pl.DataFrame, list[RowIssue]]:
    """The rows whose date and amount converted, and a RowIssue for each other row.

    `frame` holds the converted `date`/`amount` beside the source text `date_text`/`amount_text`;
    `date_field`/`amount_field` name where the value comes from in the format (e.g. "DTPOSTED").
    """
    readable = pl.col("date").is_not_null() & pl.col("amount").is_not_null()
    issues = []
    for row in frame.filter(~readable).select(line, "date", "date_text", "amount_text") \
            .iter_rows(named=True):
        field_name, text = ((date_field, row["date_text"]) if row["date"] is None
                            else (amount_field, row["amount_text"]))
        issues.append(RowIssue(line=row[line] or 0, reason=(
            f"no {field_name}" if text is None or not str(text).strip()
            else f"unreadable {field_name} {text!r}")))
    return frame.filter(readable), issues
