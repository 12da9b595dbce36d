"""The CAMT.053/.052 reader: entries, signs, statuses, references, parties and balances."""

from __future__ import annotations

import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moneystory.errors import StatementError
from moneystory.importers import camt
from moneystory.importers.base import ImportOptions, ParsedFile

sys.path.insert(0, str(Path(__file__).parent))

from parse_helpers import column, fixture_parser

FIXTURES = Path(__file__).parent / "fixtures" / "camt"
parse_fixture = fixture_parser(FIXTURES)


def parse_bytes(data: bytes) -> ParsedFile:
    return camt.IMPORTER.parse(Path("test.xml"), data, ImportOptions())


@pytest.mark.parametrize("head", [
    '<?xml version="1.0"?>\n<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">',
    '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.052.001.08">',
    "\ufeff<Document><BkToCstmrStmt>",
    "<n:Document xmlns:n='x'><n:BkToCstmrAcctRpt>",
])
def test_sniff_recognises_camt(head: str) -> None:
    assert camt.IMPORTER.sniff(head)


@pytest.mark.parametrize("head", ["OFXHEADER:100\n", "<OFX><BANKMSGSRSV1>", "date;camt.053 fee\n",
                                  "<?xml version='1.0'?><rss/>"])
def test_sniff_rejects_other_files(head: str) -> None:
    assert not camt.IMPORTER.sniff(head)


def test_entries_signs_and_dates() -> None:
    parsed = parse_fixture("camt053-v08-quirks.xml")
    assert parsed.format == "camt"
    assert column(parsed, "amount") == [Decimal("-42.45"), Decimal("2000"), Decimal("-95"),
                                        Decimal("-7.50")]
    # BookgDt/DtTm: the date as written, not moved by its +02:00 offset.
    assert column(parsed, "date") == [date(2024, 4, 1), date(2024, 4, 2), date(2024, 4, 2),
                                      date(2024, 4, 2)]
    assert column(parsed, "currency") == ["EUR"] * 4
    assert column(parsed, "source_row") == [20, 37, 54, 63]


def test_batch_entry_is_one_row_with_joined_remittance() -> None:
    parsed = parse_fixture("camt053-v08-quirks.xml")
    assert column(parsed, "description")[:2] == ["Abschlag Strom April 2024", "Gehalt Bonus"]
    assert column(parsed, "memo")[0] == "SEPA-LASTSCHRIFT"
    assert column(parsed, "description")[2] == "RUECKLASTSCHRIFT"  # no Ustrd: AddtlNtryInf


def test_counterparty_is_the_other_side() -> None:
    parsed = parse_fixture("camt053-v08-quirks.xml")
    # A debit's counterparty is its creditor, a credit's its debtor.
    assert column(parsed, "counterparty")[:2] == ["Stadtwerke Köln", "ACME GmbH"]


def test_fitid_never_a_placeholder() -> None:
    parsed = parse_fixture("camt053-v08-quirks.xml")
    assert column(parsed, "fitid") == ["R-1", "BANK-REF-2", "BANK-REF-3", None]


def test_pending_status_and_reversal() -> None:
    parsed = parse_fixture("camt053-v08-quirks.xml")
    assert column(parsed, "pending") == [False, False, False, True]
    assert any("reversal" in w for w in parsed.warnings)


def test_account_and_reconciling_balances() -> None:
    parsed = parse_fixture("camt053-v08-quirks.xml")
    (account,) = parsed.accounts
    assert (account.ref, account.currency, account.institution) == (
        "DE89370400440532013000", "EUR", "Testbank AG")
    (check,) = parsed.balance_checks
    assert check.ok and check.stated == Decimal("1962.55") and check.as_of == date(2024, 4, 2)


def test_report_with_two_accounts_and_a_balance_that_does_not_reconcile() -> None:
    parsed = parse_fixture("camt052-two-reports.xml")
    assert [a.ref for a in parsed.accounts] == ["0001-22334455", "CH9300762011623852957"]
    assert [a.currency for a in parsed.accounts] == ["CHF", "USD"]
    assert column(parsed, "account_ref") == ["0001-22334455", "CH9300762011623852957"]
    assert column(parsed, "amount") == [Decimal("20"), Decimal("-1.25")]
    (check,) = parsed.balance_checks  # the second report states no balances
    assert not check.ok
    assert (check.stated, check.computed) == (Decimal("99.00"), Decimal("10.00"))  # -10 + 20


def test_malformed_xml_names_the_line() -> None:
    data = (FIXTURES / "camt053-v08-quirks.xml").read_bytes().replace(b"</Ntry>", b"</Ntr>", 1)
    with pytest.raises(StatementError) as caught:
        parse_bytes(data)
    assert caught.value.line == 36  # the first </Ntry>, misspelt
    assert "not well-formed" in caught.value.message


def test_entity_expansion_is_refused() -> None:
    bomb = (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
            b"<Document><BkToCstmrStmt><Stmt><Ntry><Amt>&b;</Amt></Ntry></Stmt></BkToCstmrStmt>"
            b"</Document>")
    with pytest.raises(StatementError, match="refused for safety"):
        parse_bytes(bomb)


def test_statement_without_entries() -> None:
    data = (b"<Document xmlns='urn:iso:std:iso:20022:tech:xsd:camt.053.001.04'><BkToCstmrStmt>"
            b"<Stmt><Acct><Id><IBAN>NL91ABNA0417164300</IBAN></Id></Acct></Stmt>"
            b"</BkToCstmrStmt></Document>")
    parsed = parse_bytes(data)
    assert parsed.frame.height == 0
    assert [a.ref for a in parsed.accounts] == ["NL91ABNA0417164300"]


def test_document_without_statement() -> None:
    with pytest.raises(StatementError, match="no statement"):
        parse_bytes(b"<Document xmlns='urn:iso:std:iso:20022:tech:xsd:camt.053.001.02'/>")


_entries = st.lists(
    st.tuples(
        st.decimals(min_value=Decimal("0.01"), max_value=Decimal("9999999.99"), places=2),
        st.booleans(),
        st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)),
        st.sampled_from(["<Sts>BOOK</Sts>", "<Sts><Cd>BOOK</Cd></Sts>"]),
    ),
    max_size=20,
)


def _prefixed(xml: str, prefix: str) -> str:
    return xml.replace("</", "\0").replace("<", "<" + prefix).replace("\0", "</" + prefix)


@settings(max_examples=50, deadline=None)
@given(entries=_entries, prefix=st.sampled_from(["", "c:"]))
def test_generated_statement_parses_back_exactly(
    entries: list[tuple[Decimal, bool, date, str]], prefix: str
) -> None:
    p = prefix
    body = "".join(
        f"<{p}Ntry><{p}Amt Ccy='EUR'>{amount}</{p}Amt><{p}CdtDbtInd>"
        f"{'DBIT' if debit else 'CRDT'}</{p}CdtDbtInd>{_prefixed(status, p)}"
        f"<{p}BookgDt><{p}Dt>{day.isoformat()}</{p}Dt></{p}BookgDt></{p}Ntry>"
        for amount, debit, day, status in entries
    )
    ns = "xmlns:c" if p else "xmlns"
    doc = (f"<{p}Document {ns}='urn:iso:std:iso:20022:tech:xsd:camt.053.001.08'>"
           f"<{p}BkToCstmrStmt><{p}Stmt><{p}Acct><{p}Id><{p}IBAN>X1</{p}IBAN></{p}Id></{p}Acct>"
           f"{body}</{p}Stmt></{p}BkToCstmrStmt></{p}Document>")
    parsed = parse_bytes(doc.encode())
    expected = [-a if debit else a for a, debit, _, _ in entries]
    assert column(parsed, "amount") == expected
    assert column(parsed, "date") == [day for _, _, day, _ in entries]
    assert column(parsed, "pending") == [False] * len(entries)
