"""CSV reader: bank dialects from profiles (data), a generic mapper for the rest.

Pipeline (research/importers.md §4.4): decode by the cascade → sniff the delimiter → find the
header line ourselves (keeping the preamble for IBAN-style metadata) → pick the profile →
read everything as String with polars (`infer_schema=False`, `has_header=False`, our own
column names) → convert dates and amounts with whole-column rules (dates.py, numbers.py) →
classify rows (blank, summary/marker, continuation, pending, rejected, kept), all vectorised.
Never polars' `decimal_comma`: it cannot read `1.150,00`.
"""

from __future__ import annotations

import codecs
import csv as stdlib_csv
import functools
import io
import re
import unicodedata
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from moneystory import schema
from moneystory.errors import DetectionError, StatementError
from moneystory.importers.base import (
    AccountInfo,
    BalanceCheck,
    Decoded,
    ImportOptions,
    ParsedFile,
    RowIssue,
    decode,
    squash_expr,
)
from moneystory.importers.dates import MONTH_FIRST_COUNTRIES, parse_dates
from moneystory.importers.numbers import (
    PolarsType,
    parse_amounts,
    per_distinct,
    read_amounts,
)
from moneystory.importers.profile import (
    Column,
    Columns,
    Detect,
    Direction,
    Pending,
    Profile,
    load_profiles,
)

DELIMITERS = (",", ";", "\t", "|")
HEAD_LINES = 60  # the header is looked for in this many first lines
HEAD_AREA = 200  # lines kept as text for the preamble and the currency hint
HEAD_BYTES = 1 << 16  # enough of the body to see how its first lines quote

COMMA_DECIMAL_COUNTRIES = {
    "DE", "AT", "NL", "BE", "FR", "ES", "IT", "PT", "CZ", "HU", "PL", "DK", "SE", "NO", "FI",
    "LT", "LV", "EE", "SK", "SI", "HR", "RO", "BG", "GR", "TR", "BR", "AR", "CL", "CO", "RU",
    "UA", "ID", "VN", "LU",
}
COUNTRY_CURRENCY = {
    "US": "USD", "GB": "GBP", "UK": "GBP", "IE": "EUR", "NL": "EUR", "BE": "EUR", "DE": "EUR",
    "AT": "EUR", "FR": "EUR", "ES": "EUR", "IT": "EUR", "PT": "EUR", "FI": "EUR", "LT": "EUR",
    "LU": "EUR", "HU": "HUF", "CZ": "CZK", "SG": "SGD", "CH": "CHF", "CA": "CAD", "AU": "AUD",
    "PL": "PLN", "SE": "SEK", "DK": "DKK", "NO": "NOK",
}
_SYMBOL_CURRENCY = (("£", "GBP"), ("€", "EUR"), ("$", "USD"))


# ---------------------------------------------------------------- text and header helpers

@functools.lru_cache(maxsize=4096)  # detection compares the same header cells many times
def normalise_cell(cell: str) -> str:
    """Header cells compared without case, quotes, BOMs or surrounding spaces."""
    return re.sub(r"\s+", " ", cell.replace("\ufeff", "").strip().strip("\"'")).strip().casefold()


def split_line(line: str, delimiter: str) -> list[str]:
    """One line as cells (for the header and preamble only; the body goes to polars)."""
    try:
        return next(stdlib_csv.reader([line], delimiter=delimiter, skipinitialspace=True))
    except (StopIteration, stdlib_csv.Error):
        return line.split(delimiter)


def _separator_counts(lines: list[str], delimiter: str) -> list[int]:
    """Delimiters per record, reading quoted fields across lines (`"text;\nmore"`); per line
    when an unbalanced quote in a preamble would swallow the rest."""
    per_line = [len(split_line(line, delimiter)) - 1 for line in lines]
    try:
        records = list(stdlib_csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter,
                                         skipinitialspace=True))
    except stdlib_csv.Error:
        return per_line
    per_record = [len(record) - 1 for record in records if record]
    if not per_record:
        return per_line
    # records spanning lines are fewer than lines; trust them when they agree with each other
    agreeing = Counter(per_record).most_common(1)[0][1]
    consistent = len(per_record) >= 2 and agreeing * 5 >= len(per_record) * 4
    return per_record if consistent or len(per_record) * 2 >= len(per_line) else per_line


def sniff_delimiter(lines: list[str]) -> str | None:
    """The delimiter whose count (outside quotes) is the same on the most lines."""
    sample = [line for line in lines if line.strip()][:200]
    best: tuple[bool, int, int, str] | None = None
    for delimiter in DELIMITERS:
        counts = _separator_counts(sample, delimiter)
        positive = [c for c in counts if c > 0]
        if not positive:
            continue
        modal, freq = Counter(positive).most_common(1)[0]
        # one on every record beats one seen on more lines: a description holding `;` and
        # newlines must not outvote the commas of the header and the row it belongs to
        key = (len(positive) == len(counts), freq, modal, delimiter)
        if best is None or key[:3] > best[:3]:
            best = key
    return best[3] if best else None


# ---------------------------------------------------------------- detection

@dataclass
class Layout:
    """What the file is: a profile (built-in, user or generic) and where its header is."""

    profile: Profile
    header_index: int | None  # 0-based line of the header; None for files without one
    header: list[str] = field(default_factory=list)  # raw header cells


def _row_matches(profile: Profile, cells: list[str]) -> bool:
    rules = profile.detect
    if rules.fields is not None and len(cells) != rules.fields:
        return False
    for position, pattern in rules.cells.items():
        value = cells[position - 1].strip() if position - 1 < len(cells) else ""
        if not re.search(pattern, value):
            return False
    return True


def _header_line(profile: Profile, lines: list[str], cells: list[list[str]]) -> int | None:
    rules = profile.detect
    wanted = {normalise_cell(h) for h in rules.header}
    for index, row in enumerate(cells):
        if not (wanted or rules.header_regex):
            return None
        present = {normalise_cell(c) for c in row}
        if wanted and not wanted <= present:
            continue
        if rules.header_regex and not re.search(rules.header_regex, lines[index]):
            continue
        if rules.preamble and not any(re.search(rules.preamble, ln) for ln in lines[:index]):
            continue
        return index
    return None


def _matches(profile: Profile, lines: list[str], cells: list[list[str]]) -> Layout | None:
    if profile.detect.no_header:
        rows = [row for line, row in zip(lines, cells, strict=True) if line.strip()][:20]
        if rows and all(_row_matches(profile, row) for row in rows):
            return Layout(profile, None)
        return None
    index = _header_line(profile, lines, cells)
    return Layout(profile, index, cells[index]) if index is not None else None


def detect_layout(profiles: list[Profile], lines: list[str], cells: list[list[str]],
                  path: Path) -> Layout | None:
    """Exactly one match → it; several → the most specific; a real tie → DetectionError."""
    found = [m for p in profiles if (m := _matches(p, lines, cells)) is not None]
    if not found:
        return None
    top = max(m.profile.specificity for m in found)
    best = [m for m in found if m.profile.specificity == top]
    if len(best) > 1:
        names = ", ".join(sorted(m.profile.id for m in best))
        raise DetectionError(
            f"this CSV fits several bank profiles equally well: {names}", path=path,
            hint=f"Pass the right one with --profile NAME (one of: {names})",
        )
    return best[0]


def _forced_layout(name: str, profiles: list[Profile], lines: list[str],
                   cells: list[list[str]], path: Path) -> Layout:
    by_id = {p.id: p for p in profiles}
    profile = by_id.get(name)
    if profile is None:
        raise DetectionError(
            f"there is no profile named {name!r}", path=path,
            hint="Run `moneystory profiles` to see the names you can pass to --profile",
        )
    layout = _matches(profile, lines, cells)
    if layout is None:
        expected = ", ".join(profile.detect.header) or "its column rules"
        raise StatementError(
            f"this file does not look like a {profile.name} export (expected {expected})",
            path=path, hint="Check the file, or leave out --profile to let moneystory detect it",
        )
    return layout


# ---------------------------------------------------------------- reading the body

def _quote_aware_starts(lines: pl.Series) -> pl.Series:
    """Which physical lines start a record (a quoted field may span several lines)."""
    quotes = lines.str.count_matches('"', literal=True).fill_null(0)
    inside_before = ((quotes.cum_sum() - quotes) % 2) == 1
    return ~inside_before


@dataclass(frozen=True)
class Body:
    """The file's records: `data[offset:]`, which are `data`'s lines after the first
    `skip_lines`. An unchanged UTF-8 file is the file's own bytes (polars skips the head
    itself: slicing 70 MB cost more than reading it); any other is its text, re-encoded."""

    data: bytes
    offset: int = 0
    skip_lines: int = 0

    def bytes(self) -> bytes:
        return self.data[self.offset:] if self.offset else self.data

    def head(self) -> str:
        return self.data[self.offset:self.offset + HEAD_BYTES].decode(errors="ignore")

    def is_blank(self) -> bool:
        """No real character at all: only separators and blanks."""
        return _REAL_CHARACTER.search(self.data, self.offset) is None


_REAL_CHARACTER = re.compile(rb'[^\s,;|"]')


def _field_count(body: Body, delimiter: str) -> int:
    """The most fields any line has (quoted delimiters counted too: a spare column is null)."""
    lines = pl.Series([body.bytes().decode()]).str.split("\n").explode()
    most = lines.str.count_matches(delimiter, literal=True).max()
    return int(most or 0) + 1  # type: ignore[arg-type]


def _line_count(body: Body) -> int:
    data = body.data
    return data.count(b"\n", body.offset) + (0 if data.endswith(b"\n") else 1)


def _record_lines(body: Body, first_line: int, records: int, n_lines: int) -> pl.Series | None:
    """The file line each record starts on; None when that cannot be told apart."""
    if records == n_lines:  # no record spans lines: the common, cheap case
        return pl.int_range(first_line, first_line + n_lines, dtype=pl.Int64, eager=True)
    lines = pl.Series([body.bytes().decode()]).str.split("\n").explode().head(n_lines)
    starts = pl.int_range(first_line, first_line + n_lines, dtype=pl.Int64, eager=True).filter(
        _quote_aware_starts(lines))
    return starts if len(starts) == records else None


def read_body(body: Body, delimiter: str, first_line: int, width: int) -> pl.DataFrame:
    """Every record as String columns c0..c(width-1) plus `_line` (1-based line in the file).

    `body` is UTF-8: polars reads it as it is; only the rare stdlib path decodes it.
    """
    names = [f"c{i}" for i in range(width)]
    # polars (RFC 4180) misreads `2023-01-01 ; "Acme; Inc." ; 1,00`; the stdlib reader copes.
    head = first_lines(body.head(), HEAD_LINES)
    if not any(re.search(rf'{re.escape(delimiter)}[ \t]+"', line) for line in head):
        # The lines are counted beside the read: bytes.count holds the GIL, but read_csv
        # lets go of it (0.05-0.08 s of a 70 MB file).
        with ThreadPoolExecutor(max_workers=1) as pool:
            n_lines = pool.submit(_line_count, body)
            try:
                frame = pl.read_csv(
                    body.data, has_header=False, infer_schema=False,
                    skip_lines=body.skip_lines, separator=delimiter, quote_char='"',
                    truncate_ragged_lines=True, schema=dict.fromkeys(names, pl.String),
                    missing_columns="insert",
                )
            except pl.exceptions.PolarsError:
                frame = None  # unbalanced quotes and similar: the forgiving reader copes
        lines = _record_lines(body, first_line, frame.height, n_lines.result()) \
            if frame is not None else None
        if frame is not None and lines is not None:
            return frame.with_columns(_line=lines)
    return _read_body_stdlib(body.bytes().decode(), delimiter, first_line, names)


def first_lines(text: str, count: int) -> list[str]:
    """The first `count` lines, without splitting off (copying) the rest of a big file."""
    end = -1
    for _ in range(count):
        end = text.find("\n", end + 1)
        if end < 0:
            return text.split("\n")
    return text[:end].split("\n")


def _read_body_stdlib(body: str, delimiter: str, first_line: int,
                      names: list[str]) -> pl.DataFrame:
    reader = stdlib_csv.reader(io.StringIO(body), delimiter=delimiter, skipinitialspace=True)
    rows: list[list[str | None]] = []
    starts: list[int] = []
    previous_end = 0
    for record in reader:
        starts.append(first_line + previous_end)
        previous_end = reader.line_num
        padded: list[str | None] = [cell if cell != "" else None for cell in record[:len(names)]]
        rows.append(padded + [None] * (len(names) - len(padded)))
    frame = pl.DataFrame(rows, schema=dict.fromkeys(names, pl.String), orient="row")
    return frame.with_columns(_line=pl.Series(starts, dtype=pl.Int64))


# ---------------------------------------------------------------- column roles

class ColumnResolver:
    """Profile column references → positions c0..cN in the read frame."""

    def __init__(self, header: list[str], profile: Profile, path: Path) -> None:
        self.header = [normalise_cell(c) for c in header]
        self.profile = profile
        self.path = path

    def index(self, ref: Column) -> int:
        if isinstance(ref, int):
            return ref - 1
        nth = re.fullmatch(r"(.*\S)#(\d+)", ref)  # "Währung#2": the second such column
        name, occurrence = (nth.group(1), int(nth.group(2))) if nth else (ref, 1)
        wanted = normalise_cell(name)
        hits = [i for i, cell in enumerate(self.header) if cell == wanted]
        if len(hits) < occurrence:
            raise StatementError(
                f"the {self.profile.name} profile expects a column {ref!r}, which this file "
                f"does not have", path=self.path,
                hint="The bank may have changed its export; pass another --profile or write "
                "your own profile (see `moneystory profiles`)",
            )
        return hits[occurrence - 1]

    def name(self, ref: Column) -> str:
        return f"c{self.index(ref)}"

    def optional(self, refs: list[Column]) -> list[str]:
        """Columns an export may drop (memo, category, ids ...): absent ones are skipped."""
        names = []
        for ref in refs:
            try:
                names.append(self.name(ref))
            except StatementError:
                continue
        return names


def constant(value: object, n: int, dtype: PolarsType) -> pl.Series:
    """A column of one value, built by polars (a Python list of a million items is slow)."""
    return pl.repeat(value, n, dtype=dtype, eager=True)


def _cleaned(frame: pl.DataFrame, cells: list[str], texts: set[str]) -> pl.DataFrame:
    """The used cells stripped, empty ones null, and the `texts` cells (descriptions, memos)
    whitespace-squashed as well, plus `_blank` (no used cell at all): one pass over those
    columns, run by polars in parallel while the file's columns are still in chunks (lazily:
    the eager call was 20-40 % slower on 1M rows). (`replace("", None)` names each column
    once; a when/then computed the strip twice.)"""
    return frame.lazy().with_columns([
        squash_expr(pl.col(c)) if c in texts else pl.col(c).str.strip_chars().replace("", None)
        for c in cells
    ]).with_columns(_blank=pl.all_horizontal([pl.col(c).is_null() for c in cells])).collect()


def _text(frame: pl.DataFrame, name: str) -> pl.Series:
    if name not in frame.columns:
        return constant(None, frame.height, pl.String).rename(name)
    return frame[name]


def _joined(frame: pl.DataFrame, names: list[str], squashed: set[str]) -> pl.Series:
    """Several text columns joined with a space, whitespace squashed. Cells `_cleaned`
    squashed already need nothing more: joining squashed, non-empty cells with one space
    gives squashed text."""
    if not names:
        return constant(None, frame.height, pl.String)
    if len(names) == 1 and names[0] in squashed:  # the usual single description column
        return _text(frame, names[0])
    joined = frame.select(
        pl.concat_str([pl.col(n) if n in frame.columns else pl.lit(None, pl.String)
                       for n in names], separator=" ", ignore_nulls=True)
    ).to_series()
    return joined if set(names) <= squashed else per_distinct(joined, squash_expr, pl.String)


# ---------------------------------------------------------------- conversion

@dataclass
class Converted:
    frame: pl.DataFrame
    rejected: list[RowIssue]
    warnings: list[str]


def _decimal_preference(profile: Profile) -> str | None:
    if profile.decimal:
        return profile.decimal
    if profile.country:
        return "," if profile.country.upper() in COMMA_DECIMAL_COUNTRIES else "."
    return None


def _direction_signs(values: pl.Series, profile: Profile) -> pl.Series:
    """+1 / -1 per row from the direction column; 0 where the value is not a known one."""
    rules = profile.direction
    ins = [v.casefold() for v in (rules.money_in if rules else [])]
    outs = [v.casefold() for v in (rules.money_out if rules else [])]
    key = values.fill_null("").str.strip_chars().str.to_lowercase()
    return (
        pl.DataFrame({"k": key})
        .select(
            pl.when(pl.col("k").is_in(ins)).then(1)
            .when(pl.col("k").is_in(outs)).then(-1)
            .otherwise(0)
        )
        .to_series()
    )


@dataclass
class _Money:
    amount: pl.Series  # signed from the holder's view: money out negative
    present: pl.Series  # the row has any amount cell at all
    raw: pl.Series  # the amount cells as written, for rejection reasons
    direction_ok: pl.Series | bool  # False where the direction value is unknown
    mark: str  # the decimal mark of the file's money columns


def _signed_amounts(frame: pl.DataFrame, names: dict[str, str], profile: Profile) -> _Money:
    """amount | debit + credit | amount + direction, then the profile's sign convention."""
    roles = [names[r] for r in ("amount", "debit", "credit") if r in names]
    cells = pl.DataFrame([_text(frame, n) for n in roles])
    mark, columns = read_amounts(cells.get_columns(), _decimal_preference(profile))
    parsed = dict(zip(roles, columns, strict=True))
    direction_ok: pl.Series | bool = True
    if "amount" in names:
        amount = parsed[names["amount"]]
        if "direction" in names:
            sign = _direction_signs(_text(frame, names["direction"]), profile)
            direction_ok = sign != 0
            amount = pl.DataFrame({"a": amount, "s": sign}).select(
                pl.when(pl.col("s") > 0).then(pl.col("a").abs())
                .when(pl.col("s") < 0).then(-pl.col("a").abs())
            ).to_series()
    else:
        empty = constant(None, frame.height, schema.AMOUNT)
        debit, credit = parsed.get(names.get("debit", ""), empty), parsed.get(
            names.get("credit", ""), empty)
        # Magnitudes: Citi writes credits negative, most banks write both unsigned.
        amount = pl.DataFrame({"d": debit, "c": credit}).select(
            pl.when(pl.col("d").is_null() & pl.col("c").is_null()).then(None)
            .otherwise(pl.col("c").abs().fill_null(0) - pl.col("d").abs().fill_null(0))
        ).to_series()
    amount = amount.cast(schema.AMOUNT)
    return _Money(
        amount=-amount if profile.invert else amount,
        present=cells.select(pl.any_horizontal(pl.all().is_not_null())).to_series(),
        raw=cells.select(pl.concat_str(pl.all(), separator=" / ", ignore_nulls=True)).to_series(),
        direction_ok=direction_ok, mark=mark,
    )


def convert(frame: pl.DataFrame, layout: Layout, path: Path,
            file_currency: str | None) -> Converted:
    profile = layout.profile
    cols = profile.columns
    resolve = ColumnResolver(layout.header, profile, path)
    names = {role: resolve.name(ref) for role, ref in (
        ("date", cols.date), ("amount", cols.amount), ("debit", cols.debit),
        ("credit", cols.credit), ("direction", cols.direction),
    ) if ref is not None}
    for role, ref in (("currency", cols.currency), ("card", cols.card),
                      ("category", cols.category), ("id", cols.id), ("balance", cols.balance),
                      ("status", cols.status), ("account", cols.account)):
        found = resolve.optional([ref] if ref is not None else [])
        if found:
            names[role] = found[0]
    description = resolve.optional(cols.description)
    if cols.description and not description:
        resolve.name(cols.description[0])  # none of them: say which one is missing
    if profile.spill_into_description and layout.header:
        description += [c for c in frame.columns[len(layout.header):] if c.startswith("c")]

    text_columns = {*description, *resolve.optional([*cols.memo, *cols.counterparty])}
    role_columns = set(names.values()) | {
        *resolve.optional([r for r in [cols.date_fallback,
                                        *(p.column for p in [profile.pending] if p)] if r])
    } | {resolve.name(int(r) if r.isdigit() else r) for r in profile.skip}
    present = sorted(c for c in text_columns | role_columns if c in frame.columns)
    # Text-only columns are squashed while cleaning; one that also serves another role
    # (a status, a skip rule) keeps its spacing there and is squashed when joined.
    texts = text_columns - role_columns
    frame = _cleaned(frame, present, texts)
    day_first = (profile.country or "").upper() not in MONTH_FIRST_COUNTRIES
    date_raw = _text(frame, names["date"])
    if cols.date_fallback is not None:
        date_raw = date_raw.fill_null(_text(frame, resolve.name(cols.date_fallback)))
    # Dates and the balance column on the other core while this one reads the amounts: each
    # is a few whole-column passes in polars, which lets go of the GIL (0.1-0.2 s of 1M rows).
    with ThreadPoolExecutor(max_workers=1) as pool:
        dates_job = pool.submit(parse_dates, date_raw, profile.date_format, day_first)
        money = _signed_amounts(frame, names, profile)
        balance_job = pool.submit(parse_amounts, _text(frame, names["balance"]), money.mark) \
            if "balance" in names else None
        desc = _joined(frame, description, texts)
        dates = dates_job.result().dates
        balance = balance_job.result() if balance_job else None
    pending = constant(False, frame.height, pl.Boolean)
    if profile.pending is not None:
        status = _text(frame, resolve.name(profile.pending.column))
        pending = status.fill_null("").str.contains(profile.pending.regex).fill_null(False)

    skip = constant(False, frame.height, pl.Boolean)
    for ref, pattern in profile.skip.items():
        column = resolve.name(int(ref) if ref.isdigit() else ref)
        skip = skip | _text(frame, column).fill_null("").str.contains(pattern)

    work = pl.DataFrame({
        "_line": frame["_line"], "_blank": frame["_blank"], "_skip": skip,
        "_has_amount": money.present, "_date_raw": date_raw, "date": dates,
        "amount": money.amount, "description": desc, "pending": pending,
        "_amount_raw": money.raw,
        "_dir_raw": _text(frame, names["direction"]) if "direction" in names else None,
        "_dir_ok": money.direction_ok,
        "currency": _currency(frame, names, profile, file_currency, layout),
        "account_ref": _text(frame, names["account"]) if "account" in names else None,
        "card_last4": _card(frame, names, profile, desc),
        "fitid": _text(frame, names["id"]) if "id" in names else None,
        "memo": _joined(frame, resolve.optional(cols.memo), texts),
        "counterparty": _joined(frame, resolve.optional(cols.counterparty), texts),
        "bank_category": _text(frame, names["category"]) if "category" in names else None,
        "_balance": balance,
    })
    return _classify(work, profile)


def _currency(frame: pl.DataFrame, names: dict[str, str], profile: Profile,
              file_currency: str | None, layout: Layout) -> pl.Series:
    default = (profile.currency or _currency_from_header(layout)
               or COUNTRY_CURRENCY.get((profile.country or "").upper()) or file_currency)
    if "currency" in names:
        values = _text(frame, names["currency"]).str.to_uppercase()
        values = values.set(~values.fill_null("").str.contains(r"^[A-Z]{3}$"), None)
        return values.fill_null(default) if default else values
    return constant(default, frame.height, pl.String)


def _currency_from_header(layout: Layout) -> str | None:
    for cell in layout.header:
        found = re.search(r"\(([A-Z]{3})\)", cell)
        if found:
            return found.group(1)
    return None


def _card(frame: pl.DataFrame, names: dict[str, str], profile: Profile,
          desc: pl.Series) -> pl.Series:
    if "card" in names:
        digits = _text(frame, names["card"]).str.replace_all(r"\D", "")
        last4 = digits.str.slice(-4)
        return last4.set(digits.str.len_chars().fill_null(0) < 4, None)
    if profile.card_from_description:
        return desc.str.extract(profile.card_from_description, 1)
    return constant(None, frame.height, pl.String)


def _expected_directions(profile: Profile) -> str:
    rules = profile.direction
    values = [v or "(empty)" for v in (rules.money_in + rules.money_out)] if rules else []
    return " or ".join(values) or "a direction the profile lists"


def _classify(work: pl.DataFrame, profile: Profile) -> Converted:
    """Blank, skipped, summary, continuation, rejected and kept rows, by whole-column rules."""
    work = work.filter(~pl.col("_blank") & ~pl.col("_skip"))
    no_amount = ~pl.col("_has_amount")
    continuation = (
        no_amount & pl.col("_date_raw").is_null() & pl.col("description").is_not_null()
        & pl.lit(profile.continuation_lines)
    )
    work = work.with_columns(_cont=continuation)
    # A date with digits but no amount (fund conversions, "Beginning balance" rows) and text
    # with no date at all (titles, "Posted Transactions", "***END OF FILE***") are not rows.
    dated_without_amount = work.filter(no_amount & ~pl.col("_cont") & pl.col("date").is_not_null())
    rows = work.filter(pl.col("_has_amount"))
    if work["_cont"].any():  # continuation lines: their text joins the row above's description
        work = work.with_columns(_grp=(~pl.col("_cont")).cum_sum())
        extra = (
            work.filter(pl.col("_cont") & (pl.col("_grp") > 0))
            .group_by("_grp").agg(_extra=pl.col("description").str.join(" "))
        )
        rows = work.filter(pl.col("_has_amount")).join(extra, on="_grp", how="left",
                                                         maintain_order="left")
        rows = rows.with_columns(
            description=pl.concat_str(["description", "_extra"], separator=" ",
                                      ignore_nulls=True))
    # A date cell with no digit at all is a label ("Total", "Summe"), not a broken date.
    label = pl.col("_date_raw").is_not_null() & ~pl.col("_date_raw").str.contains(r"\d")
    summary = label & ~pl.col("pending")
    reason = (
        pl.when(~pl.col("_dir_ok"))
        .then(pl.format("unknown direction '{}' (expected {})",
                        pl.col("_dir_raw").fill_null(""), pl.lit(_expected_directions(profile))))
        .when(pl.col("amount").is_null())
        .then(pl.format("unreadable amount '{}'", pl.col("_amount_raw")))
        .when(pl.col("date").is_null() & ~pl.col("pending") & pl.col("_date_raw").is_null())
        .then(pl.lit("no date"))
        .when(pl.col("date").is_null() & ~pl.col("pending"))
        .then(pl.format("unreadable date '{}'", pl.col("_date_raw")))
    )
    rows = rows.filter(~summary).with_columns(_reason=reason)
    bad = rows.filter(pl.col("_reason").is_not_null())
    rejected = [RowIssue(int(line), str(why)) for line, why in
                bad.select("_line", "_reason").iter_rows()]
    kept = rows.filter(pl.col("_reason").is_null()).rename({"_line": "source_row"})
    warnings = []

    if dated_without_amount.height:
        lines = ", ".join(str(v) for v in dated_without_amount["_line"].head(5).to_list())
        warnings.append(f"{dated_without_amount.height} dated row(s) without an amount skipped "
                        f"(line {lines}{'...' if dated_without_amount.height > 5 else ''})")
    return Converted(kept, rejected, warnings)


# ---------------------------------------------------------------- balances and accounts

def balance_check(kept: pl.DataFrame) -> BalanceCheck | None:
    """Running balance vs amounts, in whichever file order (oldest or newest first) fits better.

    Only a warning downstream: real samples are not always internally consistent.
    """
    if "_balance" not in kept.columns or kept.height < 2:
        return None
    rows = kept.filter(~pl.col("pending"))
    if rows.height < 2 or rows["_balance"].null_count() or rows["account_ref"].n_unique() > 1:
        return None
    bal, amt = pl.col("_balance"), pl.col("amount")
    checks = rows.select(
        "source_row", "_balance", "amount",
        up=(bal - bal.shift(1) == amt),  # oldest first
        down=(bal - bal.shift(-1) == amt),  # newest first
    )
    up_bad = checks.head(-1).height - int(checks["up"].slice(1).sum())
    down_bad = checks.height - 1 - int(checks["down"].head(-1).sum())
    ordered = checks if up_bad <= down_bad else checks.reverse().with_columns(up=pl.col("down"))
    ordered = ordered.with_columns(_prev=bal.shift(1))
    bad = ordered.slice(1).filter(~pl.col("up"))
    account = rows["account_ref"][0]
    if bad.height:
        first = bad.row(0, named=True)
        return BalanceCheck(account, stated=first["_balance"],
                            computed=first["_prev"] + first["amount"],
                            first_bad_line=int(first["source_row"]))
    opening = ordered["_balance"][0] - ordered["amount"][0]
    return BalanceCheck(account, stated=ordered["_balance"][-1],
                        computed=opening + ordered["amount"].sum())


def _accounts(kept: pl.DataFrame, profile: Profile, preamble_ref: str | None) -> list[AccountInfo]:
    institution = profile.institution or None
    currencies = kept["currency"].drop_nulls().unique().to_list()
    currency = currencies[0] if len(currencies) == 1 else None
    cards = kept["card_last4"].drop_nulls().unique().to_list()
    card = cards[0] if len(cards) == 1 else None
    refs = kept["account_ref"].drop_nulls().unique(maintain_order=True).to_list()
    if not refs:
        refs = [preamble_ref]
    return [AccountInfo(ref=ref, name=ref, institution=institution, currency=currency,
                        kind=profile.kind if institution else None, card_last4=card)
            for ref in refs]


def _preamble_value(pattern: str | None, lines: list[str], header_index: int | None) -> str | None:
    """Group 1 of the first preamble line (before the header) that matches `pattern`."""
    if not pattern or not header_index:
        return None
    for line in lines[:header_index]:
        found = re.search(pattern, line)
        if found:
            return found.group(1).strip().strip('"')
    return None


def preamble_balance_check(kept: pl.DataFrame, stated_text: str | None,
                           mark: str | None) -> BalanceCheck | None:
    """The balance a preamble states vs the running balance after the newest row."""
    if stated_text is None or "_balance" not in kept.columns or kept.is_empty():
        return None
    stated = parse_amounts(pl.Series([stated_text]), mark)[0]
    posted = kept.filter(~pl.col("pending") & pl.col("date").is_not_null())
    if posted.is_empty():
        return None
    newest_first = posted["date"][0] >= posted["date"][-1]  # then the top row of a day is newer
    newest = posted.sort(["date", "source_row"], descending=[True, not newest_first]).head(1)
    if stated is None or newest["_balance"][0] is None:
        return None
    return BalanceCheck(newest["account_ref"][0], stated=stated, computed=newest["_balance"][0],
                        as_of=newest["date"][0])


# ---------------------------------------------------------------- the importer

def _file_currency(lines: list[str]) -> str | None:
    """A currency symbol in the file when nothing else says (`£67.40`)."""
    sample = "\n".join(lines[:200])
    for symbol, code in _SYMBOL_CURRENCY:
        if symbol in sample:
            return code
    return None


@dataclass
class _Text:
    """The decoded file: its first lines (where header and preamble are), the delimiter and
    those lines as cells. The body is never split in Python: polars reads it."""

    decoded: Decoded
    lines: list[str]
    delimiter: str | None
    head_cells: list[list[str]]


def _split(decoded: Decoded, delimiter: str | None = None) -> _Text:
    lines = first_lines(decoded.text, HEAD_AREA)
    if lines and lines[-1] == "":
        lines.pop()
    head = lines[:HEAD_LINES]
    delimiter = delimiter or sniff_delimiter(head)
    cells = [split_line(line, delimiter) for line in head] if delimiter else []
    return _Text(decoded, lines, delimiter, cells)


def _layout(text: _Text, profiles: list[Profile], options: ImportOptions,
            path: Path) -> Layout | None:
    head = text.lines[:HEAD_LINES]
    if options.profile:
        return _forced_layout(options.profile, profiles, head, text.head_cells, path)
    return detect_layout(profiles, head, text.head_cells, path)


HEAD_TEXT_BYTES = 1 << 20  # an ASCII file's head made text: far more than HEAD_AREA lines


def _decode_head(data: bytes) -> Decoded:
    """decode(), but a plain ASCII file (most US exports) gets only its head made text: its
    body is read from its bytes by polars (see _body), so decoding all of it is wasted."""
    if len(data) > HEAD_TEXT_BYTES and data.isascii() and b"\r" not in data:
        head = data[:HEAD_TEXT_BYTES]
        return Decoded(head[:head.rfind(b"\n") + 1].decode("ascii"), "utf-8", head_only=True)
    return decode(data)


def _detect(data: bytes, profiles: list[Profile], options: ImportOptions,
            path: Path) -> tuple[_Text, Layout]:
    """Decode, sniff, find the profile; a file that is not UTF-8 is also tried in each
    encoding a profile declares (a cp1250 header read as cp1252 matches nothing)."""
    text = _split(_decode_head(data))
    not_utf8 = text.decoded.warning is not None
    if text.delimiter is None:
        raise StatementError(
            "no column separator found: this does not look like a CSV export", path=path,
            hint="Export the statement as CSV, OFX, QFX, QIF or CAMT.053 from your bank",
        )
    layout = None if (text.decoded.warning and not options.profile) else (
        _layout(text, profiles, options, path)
    )
    if text.decoded.warning and layout is None:
        declared = sorted({p.encoding for p in profiles if p.encoding} | {"cp1252"})
        for encoding in declared:
            candidate = _split(decode(data, encoding))
            if candidate.delimiter and (found := _layout(candidate, profiles, options, path)):
                text, layout = candidate, found
                break
    if layout is None:
        layout = map_columns(text.lines[:HEAD_LINES], text.head_cells, path,
                             options.user_profiles_dir)
    declared_encoding = layout.profile.encoding
    if not_utf8 and declared_encoding and text.decoded.encoding != declared_encoding:
        text = _split(decode(data, declared_encoding), text.delimiter)
    if layout.profile.delimiter and layout.profile.delimiter != text.delimiter:
        text = _split(text.decoded, layout.profile.delimiter)
    return text, layout


def _body(data: bytes, decoded: Decoded, head: list[str]) -> Body:
    """The file after its `head` lines, as UTF-8 for polars.

    A UTF-8 file that decoding left as it was (no BOM, no CR, no stray BOMs) is read from its
    own bytes: a big file is then never re-encoded nor copied.
    """
    unchanged = decoded.head_only or (  # known already, or one more pass over the bytes
        b"\r" not in data and (data.isascii() or codecs.BOM_UTF8 not in data))
    if decoded.encoding == "utf-8" and unchanged:
        return Body(data, sum(len(line.encode()) + 1 for line in head), len(head))
    return Body(decoded.text[sum(len(line) + 1 for line in head):].encode())


def _date_undated_pending(kept: pl.DataFrame, keeping: bool) -> tuple[pl.DataFrame, str | None]:
    """Pending rows may have no date yet ('Pending' instead of one). They are newer than every
    posted row, and a kept row needs a date for its identity: they take the file's newest."""
    undated = int(kept["date"].null_count())  # only pending rows get this far undated
    if not undated:
        return kept, None
    newest = kept["date"].max()
    kept = kept.with_columns(date=pl.col("date").fill_null(newest))
    note = f"{undated} pending row(s) have no date yet; dated {newest!s} (the file's newest)"
    return kept, note if keeping else None


def read_statement(path: Path, data: bytes, options: ImportOptions) -> ParsedFile:
    profiles = load_profiles(options.user_profiles_dir)
    text, layout = _detect(data, profiles, options, path)
    profile, lines, decoded = layout.profile, text.lines, text.decoded
    assert text.delimiter is not None
    start = 0 if layout.header_index is None else layout.header_index + 1
    body = _body(data, decoded, lines[:start])
    if body.is_blank():
        return ParsedFile(format="csv", profile=profile.id, frame=schema.empty(schema.RAW),
                          warnings=["the file has no transaction rows"],
                          encoding=decoded.encoding)
    width = max([len(layout.header), *map(len, text.head_cells)])
    if profile.spill_into_description:
        width = max(width, _field_count(body, text.delimiter))
    frame = read_body(body, text.delimiter, start + 1, width)
    converted = convert(frame, layout, path, _file_currency(lines))
    kept = converted.frame
    preamble_ref = _preamble_value(profile.account_from_preamble, lines, layout.header_index)
    if preamble_ref is not None:
        kept = kept.with_columns(account_ref=pl.col("account_ref").fill_null(preamble_ref))
    warnings = ([decoded.warning] if decoded.warning else []) + converted.warnings
    kept, note = _date_undated_pending(kept, options.include_pending)
    warnings += [note] if note else []
    # A file without a currency: ingest fills it (--currency, the account's) or says so.
    checks = [check for check in (
        balance_check(kept),
        preamble_balance_check(
            kept, _preamble_value(profile.balance_from_preamble, lines, layout.header_index),
            _decimal_preference(profile)),
    ) if check is not None]
    return ParsedFile(
        format="csv", profile=profile.id, frame=kept,
        accounts=_accounts(kept, profile, preamble_ref), rejected=converted.rejected,
        warnings=warnings, encoding=decoded.encoding,
        balance_checks=checks,
    )


class _CsvImporter:
    name = "csv"

    def sniff(self, head: str) -> bool:
        return sniff_delimiter(head.split("\n")[:HEAD_LINES]) is not None

    def parse(self, path: Path, data: bytes, options: ImportOptions) -> ParsedFile:
        return read_statement(path, data, options)


IMPORTER = _CsvImporter()


def list_profiles(user_dir: Path | None) -> list[dict[str, str]]:
    """Every profile `--profile` accepts: id, bank name, country, built-in or user, file."""
    return [
        {"id": p.id, "name": p.name, "country": p.country, "source": p.source,
         "path": p.path or ""}
        for p in sorted(load_profiles(user_dir), key=lambda p: (p.source != "user", p.id))
    ]


# ---------------------------------------------------------------- the generic mapper

# Header words per role and language (normalised: lower case, no accents, no "(EUR)").
# Order matters: the first word found wins when several columns could hold a role.
_VOCABULARY: dict[str, dict[str, list[str]]] = {
    "date": {
        "en": ["date", "transaction date", "trans. date", "trans date", "posting date",
               "posted date", "post date", "booking date", "date processed", "run date",
               "completed date", "started date", "created"],
        "de": ["buchungstag", "buchungsdatum", "buchung", "datum", "belegdatum"],
        "fr": ["date", "date operation", "date de l'operation", "date de comptabilisation"],
        "es": ["fecha", "fecha operacion", "fecha de operacion", "f. operacion"],
        "it": ["data", "data operazione", "data contabile"],
        "nl": ["datum", "transactiedatum", "boekdatum", "boekingsdatum"],
        "pt": ["data", "data movimento", "data lancamento", "data de lancamento"],
    },
    "description": {
        "en": ["description", "transaction description", "details", "narrative", "payee",
               "memo", "name", "merchant", "particulars", "reference", "transaction"],
        "de": ["verwendungszweck", "buchungstext", "beschreibung", "umsatztext", "text",
               "auftraggeber/empfanger", "empfanger"],
        "fr": ["libelle", "libelle operation", "description", "detail", "intitule"],
        "es": ["concepto", "descripcion", "detalle", "movimiento"],
        "it": ["descrizione", "causale", "descrizione operazione"],
        "nl": ["omschrijving", "naam / omschrijving", "mededelingen", "naam"],
        "pt": ["descricao", "historico", "descritivo"],
    },
    "amount": {
        "en": ["amount", "transaction amount", "value", "net", "amount (total)", "total"],
        "de": ["betrag", "umsatz", "buchungsbetrag"],
        "fr": ["montant", "montant operation", "montant de l'operation"],
        "es": ["importe", "cantidad", "neto", "monto"],
        "it": ["importo"],
        "nl": ["bedrag", "transactiebedrag"],
        "pt": ["valor", "montante", "quantia"],
    },
    "debit": {
        "en": ["debit", "debit amount", "withdrawal", "withdrawals", "paid out", "money out",
               "withdrawal (-)", "outflow", "spent"],
        "de": ["soll", "lastschrift", "ausgang", "belastung"],
        "fr": ["debit", "debit euros"],
        "es": ["cargo", "cargos", "debe"],
        "it": ["addebiti", "addebito", "uscite"],
        "nl": ["af", "debet"],
        "pt": ["debito", "saida", "saidas"],
    },
    "credit": {
        "en": ["credit", "credit amount", "deposit", "deposits", "paid in", "money in",
               "deposit (+)", "inflow", "received"],
        "de": ["haben", "gutschrift", "eingang"],
        "fr": ["credit", "credit euros"],
        "es": ["abono", "abonos", "haber"],
        "it": ["accrediti", "accredito", "entrate"],
        "nl": ["bij", "credit"],
        "pt": ["credito", "entrada", "entradas"],
    },
    "direction": {
        "en": ["debit/credit", "credit/debit", "cr/dr", "dr/cr", "type"],
        "de": ["soll/haben", "s/h"],
        "nl": ["af bij", "af/bij", "creditdebet", "debet/credit"],
    },
    "balance": {
        "en": ["balance", "running balance", "running bal", "runningbalance"],
        "de": ["saldo", "kontostand"], "fr": ["solde"], "es": ["saldo"], "it": ["saldo"],
        "nl": ["saldo"], "pt": ["saldo"],
    },
    "currency": {
        "en": ["currency"], "de": ["wahrung", "waehrung"], "fr": ["devise"],
        "es": ["divisa", "moneda"], "it": ["divisa"], "nl": ["munt", "valutacode"],
        "pt": ["moeda"],
    },
}
_LANGUAGE_COUNTRY = {"de": "DE", "fr": "FR", "es": "ES", "it": "IT", "nl": "NL", "pt": "PT"}
_DIRECTION_WORDS = {
    "in": ["bij", "c", "cr", "credit", "crdt", "h", "haben", "inflow", "in", "credito", "crédit"],
    "out": ["af", "d", "dr", "debit", "dbit", "s", "soll", "outflow", "out", "debito", "débit",
            "debet"],
}
_PENDING_WORDS = (
    r"(?i)^(pending|vorgemerkt|en attente|pendiente|in afwachting|in sospeso|pendente)$"
)


def _vocab_key(cell: str) -> str:
    text = unicodedata.normalize("NFKD", normalise_cell(cell))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"\s*\((?:[a-z]{3}|[$£€])\)\s*$", "", text)  # "bedrag (eur)" → "bedrag"
    return text.strip(" .:")


def _roles_in_header(cells: list[str]) -> tuple[dict[str, list[int]], Counter[str]]:
    """Columns per role, best first, and the languages whose words were seen."""
    keys = [_vocab_key(c) for c in cells]
    roles: dict[str, list[int]] = {}
    languages: Counter[str] = Counter()
    for role, by_language in _VOCABULARY.items():
        ranked: list[tuple[int, int]] = []
        for language, words in by_language.items():
            for rank, word in enumerate(words):
                for index, key in enumerate(keys):
                    if key == word:
                        ranked.append((rank, index))
                        languages[language] += 1
        seen: list[int] = []
        for _, index in sorted(ranked):
            if index not in seen:
                seen.append(index)
        if seen:
            roles[role] = seen
    return roles, languages


def _share_parsed(values: list[str], kind: str) -> float:
    present = [v for v in values if v and v.strip()]
    if not present:
        return 0.0
    series = pl.Series(present, dtype=pl.String)
    parsed = parse_dates(series).dates if kind == "date" else parse_amounts(series)
    return 1 - parsed.null_count() / len(present)


def _column(rows: list[list[str]], index: int) -> list[str]:
    return [row[index].strip() if index < len(row) else "" for row in rows]


def _looks_like_amount(values: list[str]) -> bool:
    present = [v for v in values if v]
    if not present or _share_parsed(present, "amount") < 0.9:
        return False
    # Long digit strings are ids and account numbers, not money.
    return any(re.search(r"[.,]\d{1,2}$|^[-+(]", v) for v in present) and not all(
        re.fullmatch(r"\d{6,}", v) for v in present
    )


def _generic_profile(columns: Columns, country: str, direction: Direction | None,
                     no_header: bool) -> Profile:
    return Profile(
        id="generic", name="generic CSV", institution="", country=country,
        detect=Detect(no_header=no_header), columns=columns, direction=direction,
        pending=Pending(column=columns.date, regex=_PENDING_WORDS),
    )


def _unplaced(missing: list[str], header: list[str], path: Path,
              user_dir: Path | None) -> StatementError:
    seen = ", ".join(repr(c.strip()) for c in header if c.strip()) or "(none: no header line)"
    folder = str(user_dir) if user_dir else "your moneystory config folder's profiles/"
    return StatementError(
        f"no bank profile matches this CSV and the columns holding the {' and '.join(missing)} "
        f"could not be placed (headers seen: {seen})", path=path,
        hint=f"Write a profile for this bank as {folder}/NAME.toml (the built-in ones listed "
        "by `moneystory profiles` are examples), then import again with --profile NAME",
    )


def map_columns(lines: list[str], cells: list[list[str]], path: Path,
                user_dir: Path | None) -> Layout:
    """Place date, description and amount (or debit/credit, or amount + direction) columns
    of an unknown CSV from its header words and its contents; say what it could not place."""
    scored = [(len(_roles_in_header(row)[0]), i) for i, row in enumerate(cells) if any(row)]
    header_index = None
    for score, index in sorted(scored, key=lambda t: (-t[0], t[1])):
        roles, _ = _roles_in_header(cells[index])
        if score >= 2 and "date" in roles and ({"amount", "debit", "credit"} & set(roles)):
            header_index = index
        break
    if header_index is None:
        return _map_by_content(lines, cells, path, user_dir)
    header = cells[header_index]
    roles, languages = _roles_in_header(header)
    sample = [row for row in cells[header_index + 1:] if any(c.strip() for c in row)]

    def fits(index: int, kind: str) -> bool:  # a header-only file has nothing to check
        return not sample or _share_parsed(_column(sample, index), kind) >= 0.5

    date = next((i for i in roles.get("date", []) if fits(i, "date")), None)
    amount = next((i for i in roles.get("amount", []) if fits(i, "amount")), None)
    debit = next(iter(roles.get("debit", [])), None)
    credit = next(iter(roles.get("credit", [])), None)
    taken = {date, amount, debit, credit}
    description = [i for i in roles.get("description", []) if i not in taken][:1]
    missing = [role for role, found in (
        ("date", date is not None), ("description", bool(description)),
        ("amount", amount is not None or (debit is not None and credit is not None)),
    ) if not found]
    if missing:
        raise _unplaced(missing, header, path, user_dir)
    direction_col, direction = _direction_for(sample, roles, amount)
    language = languages.most_common(1)[0][0] if languages else "en"
    country = _LANGUAGE_COUNTRY.get(language, _english_country(lines))
    pos = _one_based
    columns = Columns(
        date=(date or 0) + 1, description=[i + 1 for i in description],
        amount=pos(amount), debit=None if amount is not None else pos(debit),
        credit=None if amount is not None else pos(credit),
        direction=pos(direction_col), balance=pos(next(iter(roles.get("balance", [])), None)),
        currency=pos(next(iter(roles.get("currency", [])), None)),
    )
    return Layout(_generic_profile(columns, country, direction, False), header_index, header)


def _one_based(index: int | None) -> int | None:
    return None if index is None else index + 1


def _english_country(lines: list[str]) -> str:
    text = "\n".join(lines[:200])
    return "US" if "$" in text or "USD" in text else ("GB" if "£" in text else "")


def _direction_for(sample: list[list[str]], roles: dict[str, list[int]],
                   amount: int | None) -> tuple[int | None, Direction | None]:
    """An amount+direction pair: only when amounts are unsigned and a column holds only
    direction words (Af/Bij, C/D, S/H, debit/credit, DBIT/CRDT)."""
    if amount is None or any(v.startswith(("-", "(", "+")) for v in _column(sample, amount)):
        return None, None
    known = {w.casefold() for words in _DIRECTION_WORDS.values() for w in words}
    for index in roles.get("direction", []) + list(range(max(map(len, sample), default=0))):
        values = {v.casefold() for v in _column(sample, index) if v}
        if values and values <= known and index != amount:
            return index, Direction.model_validate(
                {"in": _DIRECTION_WORDS["in"], "out": _DIRECTION_WORDS["out"]}
            )
    return None, None


def _map_by_content(lines: list[str], cells: list[list[str]], path: Path,
                    user_dir: Path | None) -> Layout:
    """No header line: the first column of dates, the first of money, the longest text."""
    rows = [row for line, row in zip(lines, cells, strict=True) if line.strip()]
    width = Counter(len(r) for r in rows).most_common(1)[0][0] if rows else 0
    rows = [r for r in rows if len(r) == width]
    date = next((i for i in range(width) if _share_parsed(_column(rows, i), "date") >= 0.9), None)
    amount = next((i for i in range(width) if i != date
                   and _share_parsed(_column(rows, i), "date") < 0.5
                   and _looks_like_amount(_column(rows, i))), None)
    texts = [i for i in range(width) if i not in (date, amount)]
    mean_length = {i: sum(map(len, _column(rows, i))) / max(len(rows), 1) for i in texts}
    description = max(mean_length, key=lambda i: mean_length[i], default=None)
    missing = [role for role, found in (("date", date is not None), ("amount", amount is not None),
                                        ("description", description is not None)) if not found]
    if missing or len(rows) < 1:
        first = rows[0] if rows else []
        header = first if first and not any(re.search(r"\d", c) for c in first) else []
        raise _unplaced(missing or ["date", "amount"], header, path, user_dir)
    columns = Columns(date=_one_based(date) or 1, amount=_one_based(amount),
                      description=[_one_based(description) or 1])
    return Layout(_generic_profile(columns, _english_country(lines), None, True), None)
