"""The lenient OFX/QFX reader: hand-made fixtures for each quirk, plus round-trip properties."""

from __future__ import annotations

import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moneystory.errors import StatementError
from moneystory.importers import ofx
from moneystory.importers.base import ImportOptions, ParsedFile

sys.path.insert(0, str(Path(__file__).parent))

from parse_helpers import column, fixture_parser

FIXTURES = Path(__file__).parent / "fixtures" / "ofx"
parse_fixture = fixture_parser(FIXTURES)


def parse_text(text: str | bytes, name: str = "test.ofx") -> ParsedFile:
    data = text.encode() if isinstance(text, str) else text
    return ofx.IMPORTER.parse(Path(name), data, ImportOptions())


# ---------------------------------------------------------------- detection

@pytest.mark.parametrize("head", [
    "OFXHEADER:100\nDATA:OFXSGML\n",
    "\n\n\n\nOFXHEADER:100\n",
    "\ufeffOFXHEADER:100\n",
    "<OFX>\n<SIGNONMSGSRSV1>",
    "  <ofx><signonmsgsrsv1>",
    '<?xml version="1.0"?>\n<?OFX OFXHEADER="200" VERSION="220"?>\n<OFX>',
    '<?OFX OFXHEADER="200" VERSION="202"?><OFX>',
    "DATA:OFXSGML\nVERSION:102\n\n<OFX>",
])
def test_sniff_recognises_ofx_by_content(head: str) -> None:
    assert ofx.IMPORTER.sniff(head)


@pytest.mark.parametrize("head", [
    "Date,Description,Amount\n2024-01-01,OFX fees,-1.00\n",
    '<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">',
    "!Type:Bank\nD1/1/24\n",
    "",
])
def test_sniff_rejects_other_formats(head: str) -> None:
    assert not ofx.IMPORTER.sniff(head)


# ---------------------------------------------------------------- SGML quirks

def test_sgml_quirks_fixture_reads_every_row_exactly() -> None:
    parsed = parse_fixture("sgml-savings-quirks.ofx")
    assert parsed.format == "ofx"
    assert column(parsed, "amount") == [Decimal("-12.50"), Decimal("-3.77"), Decimal("1500")]
    # DTPOSTED's first 8 characters, whatever the time zone says (23:59:59 +1 stays the 5th).
    assert column(parsed, "date") == [date(2024, 1, 1), date(2024, 1, 2), date(2024, 1, 5)]
    assert column(parsed, "fitid") == ["A1", "A2", "A3"]
    assert column(parsed, "mcc") == [None, None, "6011"]
    assert column(parsed, "source_row") == [17, 25, 26]


def test_declared_charset_decodes_raw_cp1252_bytes() -> None:
    parsed = parse_fixture("sgml-savings-quirks.ofx")
    assert parsed.encoding == "cp1252"
    assert column(parsed, "description")[0] == "CAFÉ DE FLORE CARD 1234"
    assert column(parsed, "memo")[0] == "CARD 1234"
    assert parsed.warnings == []  # a declared charset is not a guess


def test_double_escaped_entities_are_unescaped() -> None:
    parsed = parse_fixture("sgml-savings-quirks.ofx")
    assert column(parsed, "description")[1] == "TOM & JERRY <SHOP>"


def test_statement_account_and_empty_ledger_balance() -> None:
    parsed = parse_fixture("sgml-savings-quirks.ofx")
    (account,) = parsed.accounts
    assert (account.ref, account.kind, account.currency, account.institution) == (
        "000123456789", "savings", "EUR", "Test Credit Union")
    assert parsed.balance_checks == []  # empty BALAMT: nothing to check
    assert set(column(parsed, "account_ref")) == {"000123456789"}


def test_no_header_leading_blank_lines_stray_closing_tags_and_two_statements() -> None:
    parsed = parse_fixture("no-header-two-statements.ofx")
    assert [a.ref for a in parsed.accounts] == ["11112222", "33334444"]
    assert [a.kind for a in parsed.accounts] == ["checking", "savings"]
    assert column(parsed, "account_ref") == ["11112222"]
    assert column(parsed, "description") == ["TESCO STORES 1234"]


def test_whole_file_on_one_line_reads_like_indented() -> None:
    indented = (FIXTURES / "no-header-two-statements.ofx").read_text()
    one_line = "".join(line.strip() for line in indented.splitlines())
    a, b = parse_text(indented), parse_text(one_line)
    assert a.frame.drop("source_row").equals(b.frame.drop("source_row"))


def test_cr_cr_lf_line_endings_keep_line_numbers() -> None:
    text = (FIXTURES / "no-header-two-statements.ofx").read_text()
    parsed = parse_text(text.replace("\n", "\r\r\n"))
    assert column(parsed, "source_row") == [15]


def test_values_on_the_next_line_and_closed_leaves() -> None:
    parsed = parse_fixture("sgml-savings-quirks.ofx")
    assert column(parsed, "description")[2] == "SALARY ACME"


# ---------------------------------------------------------------- XML, credit card, payee

def test_xml_credit_card_statement() -> None:
    parsed = parse_fixture("xml-creditcard-v220.ofx")
    (account,) = parsed.accounts
    assert account.kind == "credit_card"
    assert account.card_last4 == "9876"
    assert column(parsed, "card_last4") == ["9876", "9876"]
    assert column(parsed, "date") == [date(2024, 2, 29), date(2024, 2, 15)]
    assert column(parsed, "amount") == [Decimal("-15.49"), Decimal("200.00")]


def test_payee_aggregate_gives_description_and_counterparty() -> None:
    parsed = parse_fixture("xml-creditcard-v220.ofx")
    assert column(parsed, "description")[0] == "NETFLIX.COM Streaming"
    assert column(parsed, "counterparty")[0] == "NETFLIX.COM"
    assert column(parsed, "mcc")[0] == "4899"


def test_transfer_target_account_does_not_replace_the_statement_account() -> None:
    parsed = parse_fixture("xml-creditcard-v220.ofx")
    assert parsed.accounts[0].ref == "4111-1111-1111-9876"
    assert column(parsed, "account_ref")[1] == "4111-1111-1111-9876"


# ---------------------------------------------------------------- investment

def test_investment_statement_counts_the_cash_effect() -> None:
    parsed = parse_fixture("investment-cash-effect.ofx")
    assert parsed.accounts[0].kind == "investment"
    assert column(parsed, "amount") == [Decimal("1000.00"), Decimal("-503.50"), Decimal("4.20")]
    # DTTRADE for investment transactions, DTPOSTED for the bank leg.
    assert column(parsed, "date") == [date(2024, 3, 1), date(2024, 3, 5), date(2024, 3, 20)]
    assert column(parsed, "description") == ["DEPOSIT", "BUY 10 ACME", "DIVIDEND ACME"]
    assert any("without TOTAL" in w for w in parsed.warnings)  # the share transfer


# ---------------------------------------------------------------- corrections, balances

def _statement(body: str, ledger: str = "") -> str:
    return (
        "OFXHEADER:100\n\n<OFX><BANKMSGSRSV1><STMTTRNRS><STMTRS><CURDEF>USD"
        "<BANKACCTFROM><BANKID>1<ACCTID>555<ACCTTYPE>CHECKING</BANKACCTFROM>"
        f"<BANKTRANLIST>\n{body}</BANKTRANLIST>{ledger}</STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>\n"
    )


def _trn(fitid: str, amount: str, day: str = "20240101", extra: str = "") -> str:
    return (f"<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>{day}<TRNAMT>{amount}<FITID>{fitid}"
            f"<NAME>SHOP {fitid}{extra}</STMTTRN>\n")


def test_unclosed_transactions_end_at_the_next_one_or_the_list_end() -> None:
    body = "".join(_trn(str(i), f"-{i}.00").replace("</STMTTRN>", "") for i in (1, 2, 3))
    parsed = parse_text(_statement(body, "<LEDGERBAL><BALAMT>7.00<DTASOF>20240101</LEDGERBAL>"))
    assert column(parsed, "amount") == [Decimal("-1"), Decimal("-2"), Decimal("-3")]
    assert column(parsed, "description") == ["SHOP 1", "SHOP 2", "SHOP 3"]


def test_transaction_currency_overrides_curdef() -> None:
    body = (_trn("1", "-10.00", extra="<CURRENCY><CURRATE>1.1<CURSYM>EUR</CURRENCY>")
            + _trn("2", "-5.00", extra="<ORIGCURRENCY><CURRATE>1.1<CURSYM>EUR</ORIGCURRENCY>"))
    parsed = parse_text(_statement(body))
    assert column(parsed, "currency") == ["EUR", "USD"]  # ORIGCURRENCY: already in CURDEF
    assert parsed.accounts[0].currency == "USD"


def test_correctaction_replace_and_delete() -> None:
    body = (
        _trn("1", "-10.00") + _trn("2", "-20.00") + _trn("3", "-30.00")
        + _trn("4", "-11.00", extra="<CORRECTFITID>1<CORRECTACTION>REPLACE")
        + _trn("5", "0", extra="<CORRECTFITID>2<CORRECTACTION>DELETE")
    )
    parsed = parse_text(_statement(body))
    assert column(parsed, "fitid") == ["3", "4"]
    assert column(parsed, "amount") == [Decimal("-30.00"), Decimal("-11.00")]


def test_correction_of_an_earlier_download_is_reported() -> None:
    body = _trn("9", "-1.00", extra="<CORRECTFITID>OLD<CORRECTACTION>DELETE") + _trn("1", "-2")
    parsed = parse_text(_statement(body))
    assert column(parsed, "fitid") == ["1"]
    assert any("earlier download" in w for w in parsed.warnings)


def test_ledger_balance_checked_against_running_balances() -> None:
    body = (_trn("1", "-10.00", "20240101", "<ACCTBAL>90.00")
            + _trn("2", "-5.00", "20240102", "<ACCTBAL>85.00"))
    good = parse_text(_statement(body, "<LEDGERBAL><BALAMT>85.00<DTASOF>20240102</LEDGERBAL>"))
    (check,) = good.balance_checks
    assert check.ok and check.stated == Decimal("85.00") and check.as_of == date(2024, 1, 2)
    bad = parse_text(_statement(body, "<LEDGERBAL><BALAMT>80.00</LEDGERBAL>"))
    assert not bad.balance_checks[0].ok


def test_ledger_balance_without_running_balance_is_not_a_check() -> None:
    parsed = parse_text(_statement(_trn("1", "-1"), "<LEDGERBAL><BALAMT>5.00</LEDGERBAL>"))
    assert parsed.balance_checks == []


# ---------------------------------------------------------------- bad input

def test_truncated_file_names_the_line_and_what_to_do() -> None:
    text = (FIXTURES / "sgml-savings-quirks.ofx").read_bytes()
    cut = text[: text.index(b"<FITID>A2")]
    with pytest.raises(StatementError) as caught:
        ofx.IMPORTER.parse(Path("cut.ofx"), cut, ImportOptions())
    error = caught.value
    assert error.line == 25
    assert "cut off" in error.message and "STMTTRN" in error.message
    assert "download the statement again" in (error.hint or "").lower()
    assert "cut.ofx:25" in error.sentence()


def test_missing_closing_ofx_after_complete_statements_is_only_a_warning() -> None:
    text = _statement(_trn("1", "-1.00")).replace("</BANKMSGSRSV1></OFX>", "")
    parsed = parse_text(text)
    assert column(parsed, "amount") == [Decimal("-1.00")]
    assert any("</OFX>" in w for w in parsed.warnings)


def test_statement_without_transactions_is_valid() -> None:
    parsed = parse_text(_statement(""))
    assert parsed.frame.height == 0
    assert [a.ref for a in parsed.accounts] == ["555"]


def test_unreadable_amount_and_date_rows_are_rejected_with_their_line() -> None:
    body = _trn("1", "-1.00") + _trn("2", "abc") + _trn("3", "-2.00", "2024XX01") \
        + _trn("4", "-1.23456")
    parsed = parse_text(_statement(body))
    assert column(parsed, "fitid") == ["1"]
    reasons = {issue.line: issue.reason for issue in parsed.rejected}
    assert set(reasons) == {5, 6, 7}  # header, blank line, <OFX>..., then one row a line
    assert "amount" in reasons[5] and "date" in reasons[6] and "1.23456" in reasons[7]


def test_decimal_comma_amounts_french_banks() -> None:
    parsed = parse_text(_statement(_trn("1", "-12,50")))
    assert column(parsed, "amount") == [Decimal("-12.50")]


def test_not_ofx_at_all() -> None:
    with pytest.raises(StatementError):
        parse_text("hello <b>world</b>")


def test_amount_never_a_float() -> None:
    parsed = parse_fixture("sgml-savings-quirks.ofx")
    assert parsed.frame.schema["amount"] == pl.Decimal(38, 4)


# ---------------------------------------------------------------- properties

_amounts = st.decimals(min_value=Decimal("-99999999.99"), max_value=Decimal("99999999.99"),
                       places=2, allow_nan=False, allow_infinity=False)
_dates = st.dates(min_value=date(1990, 1, 1), max_value=date(2099, 12, 31))
_names = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="<>",
                                               exclude_categories=("Cc", "Cs")),
                 min_size=1, max_size=30).filter(lambda s: any(c.isalpha() for c in s))
_rows = st.lists(st.tuples(_amounts, _dates, _names), max_size=25)


def _render(rows: list[tuple[Decimal, date, str]], xml: bool, one_line: bool) -> str:
    def leaf(tag: str, value: str) -> str:
        return f"<{tag}>{value}</{tag}>" if xml else f"<{tag}>{value}"

    sep = "" if one_line else "\n"
    trns = sep.join(
        "<STMTTRN>" + sep.join([
            leaf("TRNTYPE", "OTHER"),
            leaf("DTPOSTED", d.strftime("%Y%m%d") + "235959.999[-12:XYZ]"),
            leaf("TRNAMT", f"{a:+f}"),
            leaf("FITID", str(i)),
            leaf("NAME", n.replace("&", "&amp;")),
        ]) + "</STMTTRN>"
        for i, (a, d, n) in enumerate(rows)
    )
    header = ('<?xml version="1.0" encoding="UTF-8"?>\n<?OFX OFXHEADER="200" VERSION="220"?>\n'
              if xml else "OFXHEADER:100\nDATA:OFXSGML\nCHARSET:1252\n\n")
    return (header + "<OFX><BANKMSGSRSV1><STMTTRNRS><STMTRS>" + leaf("CURDEF", "USD")
            + "<BANKACCTFROM>" + leaf("ACCTID", "42") + "</BANKACCTFROM><BANKTRANLIST>" + sep
            + trns + sep + "</BANKTRANLIST></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>" + sep)


@settings(max_examples=60, deadline=None)
@given(rows=_rows, xml=st.booleans(), one_line=st.booleans())
def test_generated_statement_parses_back_exactly(
    rows: list[tuple[Decimal, date, str]], xml: bool, one_line: bool
) -> None:
    parsed = parse_text(_render(rows, xml, one_line))
    assert column(parsed, "amount") == [a for a, _, _ in rows]
    assert column(parsed, "date") == [d for _, d, _ in rows]
    assert column(parsed, "description") == [" ".join(n.split()) for _, _, n in rows]
    assert parsed.frame["amount"].sum() == sum((a for a, _, _ in rows), Decimal(0))
    assert parsed.rejected == []


@settings(max_examples=30, deadline=None)
@given(rows=_rows)
def test_sgml_and_xml_forms_agree(rows: list[tuple[Decimal, date, str]]) -> None:
    sgml = parse_text(_render(rows, xml=False, one_line=False)).frame
    xml = parse_text(_render(rows, xml=True, one_line=True)).frame
    assert sgml.drop("source_row").equals(xml.drop("source_row"))


# ---------------------------------------------------------------- through the command line

def test_cli_truncated_ofx_is_one_sentence_and_changes_nothing(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    whole = tmp_path / "whole.ofx"
    whole.write_bytes((FIXTURES / "xml-creditcard-v220.ofx").read_bytes())
    assert cli("import", str(whole)).exit_code == 0
    cut = tmp_path / "cut.ofx"
    data = (FIXTURES / "sgml-savings-quirks.ofx").read_bytes()
    cut.write_bytes(data[: data.index(b"<FITID>A2")])
    result = cli("import", str(cut))
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "cut.ofx:25" in result.output and "cut off" in result.output
    accounts = cli("accounts", "--json")
    assert '"transactions": 2' in accounts.stdout  # only the first, whole import


def test_cli_imports_ofx_with_card_last4_masked(cli_json, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "statement.qfx"
    path.write_bytes((FIXTURES / "xml-creditcard-v220.ofx").read_bytes())
    (imported,) = cli_json("import", str(path))["imports"]
    assert imported["format"] == "ofx" and imported["added"] == 2
    rows = cli_json("transactions")["transactions"]
    assert {row["card_last4"] for row in rows} == {"9876"}
    assert sorted(row["amount"] for row in rows) == [-15.49, 200]
    assert all("4111" not in row["account_id"] for row in rows)


_tags = st.sampled_from(["<OFX>", "</OFX>", "<STMTRS>", "</STMTRS>", "<CCSTMTRS>", "<STMTTRN>",
                         "</STMTTRN>", "<BUYSTOCK>", "<TRNAMT>", "<TOTAL>", "<DTPOSTED>",
                         "<ACCTID>", "<BANKACCTFROM>", "</BANKACCTFROM>", "<LEDGERBAL>",
                         "<BALAMT>", "</LEDGERBAL>", "<CURRENCY>", "<CURSYM>", "<ACCTBAL>",
                         "<CORRECTFITID>", "<CORRECTACTION>", "<FITID>", "<NAME>", "</NAME>"])
_values = st.sampled_from(["", "20240101", "-1.00", "x", "&amp;", "DELETE", "REPLACE", "1",
                           "\n", "EUR", "99999999999999999999999999999999999999"])


@settings(max_examples=200, deadline=None)
@given(pieces=st.lists(st.tuples(_tags, _values), max_size=40))
def test_any_tag_soup_parses_or_fails_with_a_statement_error(
    pieces: list[tuple[str, str]]
) -> None:
    text = "OFXHEADER:100\n\n<OFX>" + "".join(tag + value for tag, value in pieces)
    try:
        parsed = parse_text(text)
    except StatementError as error:
        assert error.path is not None
    else:
        assert parsed.frame["amount"].null_count() == 0
        assert parsed.frame["date"].null_count() == 0
