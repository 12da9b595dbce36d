"""CAMT.053 / .052 / .054 (ISO 20022 bank-to-customer statements, reports and notifications).

A small reader of our own over defusedxml's ElementTree: the Python CAMT libraries are either
GPL (ofxstatement-iso20022) or tied to one message version, while the little we need (entries,
amounts, dates, references, parties, balances) is the same in every version once namespaces
are dropped. One booked entry (Ntry) is one row, even when it is a batch of several TxDtls:
that is what the bank booked and what the balances add up. A reversal (RvslInd true) keeps the
sign its CdtDbtInd gives, as the bank books it; the warning counts them. Dates are the booking
date as written (BookgDt/Dt, or the date part of BookgDt/DtTm), never shifted to a time zone.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET  # only for the Element type and ParseError
from decimal import Decimal, InvalidOperation
from pathlib import Path

import defusedxml.ElementTree as SafeET
import polars as pl
from defusedxml import DefusedXmlException

from moneystory.errors import StatementError
from moneystory.importers.base import (
    AccountInfo,
    BalanceCheck,
    ImportOptions,
    ParsedFile,
    decode,
    like_stated,
    split_unreadable,
)
from moneystory.importers.numbers import parse_amounts

_SNIFF = re.compile(r"camt\.05\d|BkToCstmr(Stmt|AcctRpt|DbtCdtNtfctn)")
_NTRY_TAG = re.compile(r"<(?:[\w.-]+:)?Ntry[\s>]")
_CONTAINERS = ("Stmt", "Rpt", "Ntfctn")
_OPENING = ("OPBD", "PRCD")
_CLOSING = ("CLBD",)
_BOOKED = {"BOOK"}
_COLUMNS = ("stmt", "date_text", "amount_text", "direction", "reversal", "status", "currency",
            "fitid", "description", "memo", "counterparty")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _strip_namespaces(root: ET.Element) -> None:
    for element in root.iter():
        element.tag = _local(element.tag)


def _text(element: ET.Element | None, path: str) -> str | None:
    if element is None:
        return None
    found = element.find(path)
    if found is None or found.text is None:
        return None
    text = " ".join(found.text.split())
    return text or None


def _status(entry: ET.Element) -> str | None:
    """Both shapes: `<Sts>BOOK</Sts>` (up to .04) and `<Sts><Cd>BOOK</Cd></Sts>` (.08)."""
    return _text(entry, "Sts/Cd") or _text(entry, "Sts")


def _counterparty(entry: ET.Element, debit: bool) -> str | None:
    """The other side: the creditor of a debit, the debtor of a credit."""
    side = "Cdtr" if debit else "Dbtr"
    for details in entry.iterfind("NtryDtls/TxDtls"):
        name = _text(details, f"RltdPties/{side}/Nm") or _text(details, f"RltdPties/{side}/Pty/Nm")
        if name:
            return name
    return None


def _description(entry: ET.Element) -> tuple[str | None, str | None]:
    """(description, memo): remittance text, else the bank's entry text; memo keeps the latter."""
    remittance = [
        " ".join(line.text.split()) for line in entry.iterfind("NtryDtls/TxDtls/RmtInf/Ustrd")
        if line.text and line.text.strip()
    ]
    additional = _text(entry, "AddtlNtryInf")
    if remittance:
        return " ".join(remittance), additional
    return additional or _text(entry, "NtryDtls/TxDtls/AddtlTxInf"), None


def _fitid(entry: ET.Element) -> str | None:
    details = entry.findall("NtryDtls/TxDtls")
    candidates = [_text(entry, "AcctSvcrRef"), _text(entry, "NtryRef")]
    if len(details) == 1:
        candidates.append(_text(details[0], "Refs/AcctSvcrRef"))
    for value in candidates:
        if value and value.upper() != "NOTPROVIDED":
            return value
    return None


def _balance(container: ET.Element, codes: tuple[str, ...]) -> tuple[Decimal, str | None] | None:
    for balance in container.iterfind("Bal"):
        code = _text(balance, "Tp/CdOrPrtry/Cd")
        amount = _text(balance, "Amt")
        if code in codes and amount:
            try:
                value = Decimal(amount)
            except InvalidOperation:
                return None
            if _text(balance, "CdtDbtInd") == "DBIT":
                value = -value
            return value, _text(balance, "Dt/Dt") or (_text(balance, "Dt/DtTm") or "")[:10]
    return None


def _account(container: ET.Element) -> AccountInfo:
    acct = container.find("Acct")
    ref = _text(acct, "Id/IBAN") or _text(acct, "Id/Othr/Id")
    amounts = [a for a in (container.find("Bal/Amt"), container.find("Ntry/Amt")) if a is not None]
    currency = _text(acct, "Ccy") or next((a.get("Ccy") for a in amounts if a.get("Ccy")), None)
    institution = _text(acct, "Svcr/FinInstnId/Nm") or _text(acct, "Svcr/FinInstnId/BIC") \
        or _text(acct, "Svcr/FinInstnId/BICFI")
    return AccountInfo(ref=ref, institution=institution, currency=currency, kind="checking")


def _entry_lines(text: str) -> list[int]:
    """Line of each <Ntry> in document order (ElementTree keeps no line numbers)."""
    lines, line, counted_to = [], 1, 0
    for match in _NTRY_TAG.finditer(text):
        line += text.count("\n", counted_to, match.start())
        counted_to = match.start()
        lines.append(line)
    return lines


def _parse_xml(path: Path, data: bytes) -> ET.Element:
    try:
        return SafeET.fromstring(data)
    except ET.ParseError as exc:
        line = exc.position[0] if exc.position else None
        raise StatementError(
            f"the CAMT file is not well-formed XML ({exc.msg if hasattr(exc, 'msg') else exc})",
            path=path, line=line,
            hint="download the statement again; if it stays broken, ask the bank for a "
                 "new export",
        ) from None
    except DefusedXmlException as exc:
        raise StatementError(
            f"the CAMT file uses XML features refused for safety ({type(exc).__name__})",
            path=path, hint="bank statements never need them: download the statement again",
        ) from None


class _CamtImporter:
    name = "camt"

    def sniff(self, head: str) -> bool:
        try:
            return head.lstrip("\ufeff \t\r\n").startswith("<") and bool(_SNIFF.search(head))
        except Exception:  # sniffing never raises
            return False

    def parse(self, path: Path, data: bytes, options: ImportOptions) -> ParsedFile:
        root = _parse_xml(path, data)
        _strip_namespaces(root)
        containers = [c for name in _CONTAINERS for c in root.iter(name)
                      if c.find("Ntry") is not None or c.find("Acct") is not None]
        if not containers:
            raise StatementError(
                "no statement (Stmt/Rpt/Ntfctn) in this ISO 20022 file", path=path,
                hint="export a camt.053 statement (or camt.052 report) from your bank",
            )
        accounts = [_account(container) for container in containers]
        columns: dict[str, list[object]] = {name: [] for name in _COLUMNS}
        for index, container in enumerate(containers):
            for entry in container.iterfind("Ntry"):
                self._add(columns, index, entry)
        frame = self._frame(columns, accounts, decode(data).text)
        frame, rejected = split_unreadable(frame, "source_row", "booking date (BookgDt)",
                                           "amount (Amt)")
        warnings = []
        reversals = int(frame["reversal"].sum())
        if reversals:
            warnings.append(f"{reversals} reversal entr{'y' if reversals == 1 else 'ies'} "
                            "(RvslInd) kept with the sign the bank booked")
        checks = [check for index, container in enumerate(containers)
                  if (check := self._balance_check(container, accounts[index],
                                                   frame.filter(pl.col("stmt") == index)))]
        return ParsedFile(
            format="camt", profile=root[0].tag if root.tag == "Document" and len(root) else None,
            frame=frame, accounts=accounts, rejected=rejected, warnings=warnings,
            encoding="xml", balance_checks=checks,
        )

    @staticmethod
    def _add(columns: dict[str, list[object]], index: int, entry: ET.Element) -> None:
        direction = _text(entry, "CdtDbtInd")
        description, memo = _description(entry)
        amount = entry.find("Amt")
        booked = _text(entry, "BookgDt/Dt") or _text(entry, "BookgDt/DtTm")
        values = {
            "stmt": index,
            "date_text": booked or _text(entry, "ValDt/Dt") or _text(entry, "ValDt/DtTm"),
            "amount_text": _text(entry, "Amt"),
            "direction": direction,
            "reversal": (_text(entry, "RvslInd") or "").lower() in ("true", "1"),
            "status": _status(entry),
            "currency": amount.get("Ccy") if amount is not None else None,
            "fitid": _fitid(entry),
            "description": description,
            "memo": memo,
            "counterparty": _counterparty(entry, direction == "DBIT"),
        }
        for name, value in values.items():
            columns[name].append(value)

    @staticmethod
    def _frame(columns: dict[str, list[object]], accounts: list[AccountInfo],
               text: str) -> pl.DataFrame:
        types = dict.fromkeys(_COLUMNS, pl.String) | {"stmt": pl.Int64, "reversal": pl.Boolean}
        frame = pl.DataFrame({name: pl.Series(columns[name], dtype=types[name])
                              for name in _COLUMNS})
        refs = pl.DataFrame(
            {"stmt": range(len(accounts)), "account_ref": [a.ref for a in accounts],
             "account_currency": [a.currency for a in accounts]},
            schema={"stmt": pl.Int64, "account_ref": pl.String, "account_currency": pl.String},
        )
        lines = _entry_lines(text)
        magnitude = parse_amounts(frame["amount_text"], ".")  # ISO 20022: always a point
        status = pl.col("status").str.to_uppercase()
        return frame.join(refs, on="stmt", how="left", maintain_order="left").with_columns(
            date=pl.col("date_text").str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False),
            amount=pl.when(pl.col("direction") == "DBIT").then(-magnitude).otherwise(magnitude),
            currency=pl.coalesce("currency", "account_currency"),
            pending=status.is_not_null() & ~status.is_in(list(_BOOKED)),
            source_row=pl.Series(lines, dtype=pl.Int64) if len(lines) == frame.height
            else pl.lit(None, dtype=pl.Int64),
        )

    @staticmethod
    def _balance_check(container: ET.Element, account: AccountInfo,
                       rows: pl.DataFrame) -> BalanceCheck | None:
        """Opening (OPBD/PRCD) + booked entries against the closing (CLBD) balance."""
        opening, closing = _balance(container, _OPENING), _balance(container, _CLOSING)
        if opening is None or closing is None:
            return None
        booked = rows.filter(~pl.col("pending"))
        total = Decimal(booked["amount"].sum()) if booked.height else Decimal(0)
        as_of = pl.Series([closing[1]]).str.to_date("%Y-%m-%d", strict=False)[0]
        return BalanceCheck(account_ref=account.ref, stated=closing[0],
                            computed=like_stated(opening[0] + total, closing[0]),
                            as_of=as_of)


IMPORTER = _CamtImporter()
