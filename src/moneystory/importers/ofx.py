"""OFX 1.x (SGML), OFX 2.x (XML) and QFX: a small lenient reader of our own.

Why not a library: ofxtools is GPL-3.0 and rejects a third of real files; ofxparse is
unmaintained, super-linear and crashes on common headers; both shift DTPOSTED to UTC, which moves
midnight transactions to the previous day. Here the date is DTPOSTED's first 8 characters.

How it reads: one regex walks every tag of SGML and XML alike (many "2.x" files are SGML inside).
A stack holds only the few aggregates that matter (statement, account, transaction, payee,
balance, ...); every other tag is a leaf whose value is the text up to the next `<`. Leaf closing
tags, unknown aggregates and stray closing tags are ignored, so unclosed leaves, values on the
next line, re-indented files and whole files on one line all read the same. Rows are gathered in
column lists and become one polars frame; amounts and dates are converted by whole-column rules.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import polars as pl

from moneystory.errors import StatementError
from moneystory.importers.base import (
    AccountInfo,
    BalanceCheck,
    ImportOptions,
    ParsedFile,
    RowIssue,
    decode,
    like_stated,
    split_unreadable,
    squash_expr,
)
from moneystory.importers.numbers import parse_amounts

_COMMENT = re.compile(r"<!--.*?-->", re.S)
_ENTITY = re.compile(r"&(#\d+|#x[0-9a-fA-F]+|[A-Za-z]+);")
# OFXHEADER first, or <OFX> after XML/OFX processing instructions, comments or a header whose
# OFXHEADER line is missing (DATA:OFXSGML ...).
_SNIFF = re.compile(
    r"\A\s*(?:OFXHEADER|(?:<\?[^>]*>\s*|<!--.*?-->\s*|[A-Z]+:[^\n<]*\n\s*)*(?:<OFX>|<\?OFX))",
    re.I | re.S,
)
_HEADER_CHARSET = re.compile(r"^\s*CHARSET:\s*(\S+)", re.M | re.I)
_HEADER_ENCODING = re.compile(r"^\s*ENCODING:\s*(\S+)|encoding=[\"']([^\"']+)", re.M | re.I)

_STATEMENT_KINDS = {"STMTRS": "bank", "CCSTMTRS": "credit_card", "INVSTMTRS": "investment"}
_ACCOUNT_FROM = frozenset({"BANKACCTFROM", "CCACCTFROM", "INVACCTFROM"})
# Investment transactions: their cash effect is TOTAL, their date DTTRADE (in INVTRAN).
_INVESTMENT_TXNS = frozenset({
    "BUYDEBT", "BUYMF", "BUYOPT", "BUYOTHER", "BUYSTOCK", "CLOSUREOPT", "INCOME", "INVEXPENSE",
    "JRNLFUND", "JRNLSEC", "MARGININTEREST", "REINVEST", "RETOFCAP", "SELLDEBT", "SELLMF",
    "SELLOPT", "SELLOTHER", "SELLSTOCK", "SPLIT", "TRANSFER",
})
_TXNS = frozenset({"STMTTRN"}) | _INVESTMENT_TXNS
# Scopes whose leaves are merged into their parent under the scope's name. A transaction's
# CURRENCY says its amount is in CURSYM, not CURDEF (ORIGCURRENCY: already converted).
_NESTED = frozenset({"FI", "PAYEE", "LEDGERBAL", "CURRENCY"}) | _ACCOUNT_FROM
# Scopes whose leaves belong to nobody we read (a transfer's other account, a position ...);
# the transaction lists are scopes too, so that closing one ends a transaction left open.
_IGNORED = frozenset({
    "BANKTRANLIST", "INVTRANLIST",
    "BANKACCTTO", "CCACCTTO", "INVACCTTO", "ORIGCURRENCY", "AVAILBAL", "BAL",
    "BALLIST", "INVBAL", "INV401KBAL", "SECID", "INVPOSLIST", "INVOOLIST", "SECLIST", "STATUS",
})
_SCOPES = frozenset({"OFX"}) | frozenset(_STATEMENT_KINDS) | _TXNS | _NESTED | _IGNORED
_ACCOUNT_KINDS = {"CHECKING": "checking", "SAVINGS": "savings", "MONEYMRKT": "savings",
                  "CD": "savings", "CREDITLINE": "credit_card"}
_COLUMNS = ("stmt", "line", "kind", "date_text", "amount_text", "fitid", "name", "memo",
            "payee", "mcc", "correct_fitid", "correct_action", "running_balance",
            "row_currency")


@dataclass(slots=True)
class _Scope:
    name: str
    line: int
    fields: dict[str, object] = field(default_factory=dict)


@dataclass
class _Statement:
    kind: str
    line: int
    fields: dict[str, object]

    def leaf(self, name: str, within: str | None = None) -> str | None:
        holder = self.fields
        if within is not None:
            for agg in ([within] if within != "ACCOUNT" else sorted(_ACCOUNT_FROM)):
                nested = self.fields.get(agg)
                if isinstance(nested, dict):
                    holder = nested
                    break
            else:
                return None
        value = holder.get(name)
        return value if isinstance(value, str) and value else None


def unescape(value: str) -> str:
    """HTML entities, twice when a bank escaped them twice (`&amp;lt;` → `<`)."""
    for _ in range(2):
        if not _ENTITY.search(value):
            break
        value = html.unescape(value)
    return value


class _Reader:
    """One pass over the tags; fills column lists and the statements list."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.stack: list[_Scope] = []
        self.statements: list[_Statement] = []
        self.columns: dict[str, list[object]] = {name: [] for name in _COLUMNS}
        self.file_fields: dict[str, object] = {}
        self.closed = False  # saw </OFX>
        self.opened = False

    def run(self) -> None:
        # Splitting on "<" is several times faster than a regex over 100k transactions: each
        # piece is "TAG>value up to the next tag". Lines are counted only where a scope opens.
        text = self.text
        pieces = text.split("<")
        offset = len(pieces[0]) + 1
        line, counted_to = 1, 0
        scopes, stack = _SCOPES, self.stack
        for piece in pieces[1:]:
            start, offset = offset, offset + len(piece) + 1
            end = piece.find(">")
            if end <= 0 or piece[0] in "?!":
                continue
            if piece[0] == "/":
                name = piece[1:end].strip().upper()
                if name in scopes:
                    self._close(name)
                continue
            tag = piece[:end]
            name = tag.upper() if " " not in tag and "/" not in tag \
                else tag.split(None, 1)[0].rstrip("/").upper()
            if name in scopes:
                line += text.count("\n", counted_to, start)
                counted_to = start
                self._open(name, line)
            elif stack:
                value = piece[end + 1:].strip()
                fields = stack[-1].fields
                if value and name not in fields:
                    fields[name] = unescape(value) if "&" in value else value

    def close_all(self) -> None:
        """End every open scope, as a missing </OFX> would have."""
        if self.stack:
            self._close(self.stack[0].name)

    def _open(self, name: str, line: int) -> None:
        if name == "OFX":
            self.opened = True
        if name in _TXNS:
            self._close_any(_TXNS)  # an unclosed previous transaction ends here
        elif name in _STATEMENT_KINDS:
            self._close_any(_STATEMENT_KINDS.keys())
        self.stack.append(_Scope(name, line))

    def _close_any(self, names: object) -> None:
        for scope in reversed(self.stack):
            if scope.name in names:  # type: ignore[operator]
                self._close(scope.name)
                return

    def _close(self, name: str) -> None:
        if not any(scope.name == name for scope in self.stack):
            return  # a stray closing tag
        while self.stack:
            scope = self.stack.pop()
            self._finish(scope)
            if scope.name == name:
                return

    def _finish(self, scope: _Scope) -> None:
        if scope.name in _TXNS:
            self._add_row(scope)
        elif scope.name in _STATEMENT_KINDS:
            self.statements.append(_Statement(scope.name, scope.line, scope.fields))
        elif scope.name == "OFX":
            self.closed = True
            self.file_fields = scope.fields
        elif scope.name in _NESTED and self.stack:
            self.stack[-1].fields.setdefault(scope.name, scope.fields)

    def _current_statement(self) -> int:
        """Index the open statement will have once closed (statements close in order)."""
        return len(self.statements)

    def _add_row(self, scope: _Scope) -> None:
        f = scope.fields
        payee, currency = f.get("PAYEE"), f.get("CURRENCY")
        cols = self.columns
        cols["stmt"].append(self._current_statement())
        cols["line"].append(scope.line)
        cols["kind"].append(scope.name)
        cols["date_text"].append(f.get("DTPOSTED") or f.get("DTTRADE") or f.get("DTUSER")
                                 or f.get("DTSETTLE"))
        cols["amount_text"].append(f.get("TRNAMT") or f.get("TOTAL"))
        cols["fitid"].append(f.get("FITID"))
        cols["name"].append(f.get("NAME"))
        cols["memo"].append(f.get("MEMO"))
        cols["payee"].append(payee.get("NAME") if isinstance(payee, dict) else None)
        cols["mcc"].append(f.get("SIC") or f.get("MCC"))
        cols["correct_fitid"].append(f.get("CORRECTFITID"))
        cols["correct_action"].append(f.get("CORRECTACTION"))
        cols["running_balance"].append(f.get("ACCTBAL") or f.get("RUNNINGBAL"))
        cols["row_currency"].append(currency.get("CURSYM") if isinstance(currency, dict) else None)


# ---------------------------------------------------------------- text and header

def _declared_encoding(data: bytes) -> str | None:
    """ENCODING/CHARSET of an OFX 1.x header, or the XML declaration's encoding."""
    head = data[:2048].decode("latin-1")
    encoding = _HEADER_ENCODING.search(head)
    declared = (encoding.group(1) or encoding.group(2)) if encoding else None
    if declared and declared.upper().replace("-", "") == "UTF8":
        return "utf-8"
    charset = _HEADER_CHARSET.search(head)
    return charset.group(1) if charset else declared


def _text(data: bytes) -> tuple[str, str, str | None]:
    # CR CR LF (seen from Vanguard) would count every line twice.
    data = data.replace(b"\r\r\n", b"\r\n")
    decoded = decode(data, _declared_encoding(data))
    text = decoded.text
    if "<!--" in text:
        text = _COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), text)
    return text, decoded.encoding, decoded.warning


# ---------------------------------------------------------------- rows

def _description(name: pl.Expr, memo: pl.Expr, fallback: pl.Expr) -> pl.Expr:
    """NAME, completed by MEMO when MEMO adds words (banks cut NAME at 32 characters)."""
    has_words = name.str.contains(r"\p{L}")  # a NAME of only digits is a placeholder
    return (
        pl.when(has_words & (memo.is_null() | name.str.starts_with(memo))).then(name)
        .when(has_words & memo.str.starts_with(name)).then(memo)  # NAME was cut short
        .when(has_words).then(pl.concat_str([name, memo], separator=" "))
        .otherwise(pl.coalesce(memo, name, fallback))
    )


def _rows(reader: _Reader) -> pl.DataFrame:
    cols = reader.columns
    frame = pl.DataFrame(
        {name: pl.Series(cols[name], dtype=pl.Int64 if name in ("stmt", "line") else pl.String)
         for name in _COLUMNS}
    )
    frame = frame.with_columns(
        # One decimal mark for the file: French banks write TRNAMT as -12,50.
        amount=parse_amounts(frame["amount_text"], prefer="."),
        # Squashed once: the description rule reads them many times.
        name=squash_expr(pl.coalesce("name", "payee")), memo=squash_expr(pl.col("memo")),
    )
    return frame.with_columns(
        date=pl.col("date_text").str.strip_chars().str.slice(0, 8)
        .str.strptime(pl.Date, "%Y%m%d", strict=False),
        description=_description(pl.col("name"), pl.col("memo"), pl.col("kind")),
        counterparty=squash_expr(pl.col("payee")),
        fitid=squash_expr(pl.col("fitid")),
        mcc=squash_expr(pl.col("mcc")),
        correct_action=pl.col("correct_action").str.strip_chars().str.to_uppercase(),
        correct_fitid=squash_expr(pl.col("correct_fitid")),
    )


def _apply_corrections(frame: pl.DataFrame, warnings: list[str]) -> pl.DataFrame:
    """CORRECTACTION: DELETE removes the row it names; REPLACE supersedes it."""
    action, fitid = pl.col("correct_action"), pl.col("fitid")
    if frame.filter(action.is_in(["DELETE", "REPLACE"])).is_empty():
        return frame
    deleted = frame.filter(action == "DELETE")["correct_fitid"].drop_nulls()
    replaced = frame.filter(action == "REPLACE")["correct_fitid"].drop_nulls()
    targets = pl.concat([deleted, replaced])
    missing = targets.filter(~targets.is_in(frame["fitid"].drop_nulls().implode())).to_list()
    if missing:
        warnings.append(
            f"{len(missing)} correction(s) refer to transactions of an earlier download "
            f"(FITID {', '.join(missing[:3])}); check those rows with `moneystory transactions`"
        )
    superseded = fitid.is_in(replaced.implode()) & (action.fill_null("") != "REPLACE")
    keep = (action.fill_null("") != "DELETE") & ~fitid.is_in(deleted.implode()) & ~superseded
    return frame.filter(keep.fill_null(True))


def _reject_unreadable(frame: pl.DataFrame, rejected: list[RowIssue],
                       warnings: list[str]) -> pl.DataFrame:
    no_cash = pl.col("kind").is_in(list(_INVESTMENT_TXNS)) & pl.col("amount_text").is_null()
    skipped = frame.filter(no_cash).height
    if skipped:
        warnings.append(f"{skipped} investment transaction(s) without TOTAL (no cash effect) "
                        "skipped")
    frame, issues = split_unreadable(frame.filter(~no_cash), "line", "date (DTPOSTED)",
                                     "amount (TRNAMT)")
    rejected.extend(issues)
    return frame


# ---------------------------------------------------------------- statements

def _card_last4(acctid: str | None) -> str | None:
    digits = re.sub(r"\D", "", acctid or "")
    return digits[-4:] if digits else None


def _account(stmt: _Statement, org: str | None) -> AccountInfo:
    kind = _STATEMENT_KINDS[stmt.kind]
    acctid = stmt.leaf("ACCTID", "ACCOUNT")
    if kind == "bank":
        kind = _ACCOUNT_KINDS.get((stmt.leaf("ACCTTYPE", "ACCOUNT") or "").upper(), "checking")
    return AccountInfo(
        ref=acctid or "",
        institution=org or stmt.leaf("BANKID", "ACCOUNT") or stmt.leaf("BROKERID", "ACCOUNT"),
        currency=stmt.leaf("CURDEF"),
        kind=kind,
        card_last4=_card_last4(acctid) if kind == "credit_card" else None,
    )


def _balance_check(stmt: _Statement, account: AccountInfo,
                   rows: pl.DataFrame) -> BalanceCheck | None:
    """LEDGERBAL against the rows, when the rows carry a running balance to start from.

    OFX states no opening balance, so a closing balance alone proves nothing; some banks put
    each row's balance (ACCTBAL) in the row, and then the chain and the closing can be checked.
    """
    stated_text = stmt.leaf("BALAMT", "LEDGERBAL")
    if not stated_text or rows.is_empty():
        return None
    chain = rows.sort("date", maintain_order=True)
    chain = chain.with_columns(running=parse_amounts(chain["running_balance"], "."))
    if chain["running"].null_count() or not re.fullmatch(r"[+-]?\d+(\.\d+)?", stated_text):
        return None
    opening = chain["running"][0] - chain["amount"][0]
    chain = chain.with_columns(expected=pl.lit(opening, dtype=rows["amount"].dtype)
                               + pl.col("amount").cum_sum())
    bad = chain.filter(pl.col("expected") != pl.col("running"))
    dtasof = stmt.leaf("DTASOF", "LEDGERBAL") or ""
    as_of = pl.Series([dtasof[:8]]).str.strptime(pl.Date, "%Y%m%d", strict=False)[0]
    stated = Decimal(stated_text)
    return BalanceCheck(
        account_ref=account.ref, stated=stated,
        computed=like_stated(opening + Decimal(chain["amount"].sum()), stated), as_of=as_of,
        first_bad_line=bad["line"][0] if bad.height else None,
    )


def _truncated(path: Path, reader: _Reader) -> StatementError:
    last_line = reader.text.rstrip().count("\n") + 1
    inner = reader.stack[-1] if reader.stack else None
    where = f" in the middle of the <{inner.name}> begun at line {inner.line}" if inner else ""
    return StatementError(
        f"the OFX data stops{where}: the file was cut off",
        path=path, line=last_line,
        hint="Download the statement again from your bank (the download was probably "
             "interrupted) and import the new file",
    )


class _OfxImporter:
    name = "ofx"

    def sniff(self, head: str) -> bool:
        try:
            return bool(_SNIFF.match(head.lstrip("\ufeff")))
        except Exception:  # sniffing never raises
            return False

    def parse(self, path: Path, data: bytes, options: ImportOptions) -> ParsedFile:
        text, encoding, decode_warning = _text(data)
        reader = _Reader(text)
        reader.run()
        if not reader.opened:
            raise StatementError(
                "no <OFX> element: this is not an OFX/QFX statement", path=path,
                hint="export the statement again as OFX, QFX, QIF, CAMT.053 or CSV",
            )
        warnings = [decode_warning] if decode_warning else []
        if not reader.closed:
            if any(s.name in _STATEMENT_KINDS or s.name in _TXNS for s in reader.stack):
                raise _truncated(path, reader)
            warnings.append("the file ends without </OFX>; every statement in it was read")
            reader.close_all()
        fi = reader.file_fields.get("FI")
        org = fi.get("ORG") if isinstance(fi, dict) else None
        accounts = [_account(stmt, org if isinstance(org, str) else None)
                    for stmt in reader.statements]
        rejected: list[RowIssue] = []
        rows = _reject_unreadable(_rows(reader), rejected, warnings)
        rows = _apply_corrections(rows, warnings)
        frame, checks = self._with_accounts(rows, reader.statements, accounts)
        if not reader.statements:
            warnings.append("the file holds no statement (no STMTRS, CCSTMTRS or INVSTMTRS)")
        return ParsedFile(
            format="ofx", profile=None, frame=frame, accounts=accounts, rejected=rejected,
            warnings=warnings, encoding=encoding, balance_checks=checks,
        )

    @staticmethod
    def _with_accounts(rows: pl.DataFrame, statements: list[_Statement],
                       accounts: list[AccountInfo]) -> tuple[pl.DataFrame, list[BalanceCheck]]:
        by_statement = pl.DataFrame(
            {
                "stmt": list(range(len(accounts))),
                "account_ref": [a.ref for a in accounts],
                "currency": [a.currency for a in accounts],
                "card_last4": [a.card_last4 for a in accounts],
            },
            schema={"stmt": pl.Int64, "account_ref": pl.String, "currency": pl.String,
                    "card_last4": pl.String},
        )
        frame = rows.join(by_statement, on="stmt", how="left", maintain_order="left")
        frame = frame.rename({"line": "source_row"}).with_columns(
            pending=pl.lit(False),
            currency=pl.coalesce(squash_expr(pl.col("row_currency")).str.to_uppercase(),
                                 "currency"),
        )
        checks = []
        for index, (stmt, account) in enumerate(zip(statements, accounts, strict=True)):
            rows_of = frame.filter(pl.col("stmt") == index)
            row_currencies = rows_of["currency"].drop_nulls().unique()
            if account.currency is None and row_currencies.len() == 1:
                account.currency = row_currencies[0]  # no CURDEF, but every row says it
            check = _balance_check(stmt, account, rows_of.rename({"source_row": "line"}))
            if check is not None:
                checks.append(check)
        return frame, checks


IMPORTER = _OfxImporter()
