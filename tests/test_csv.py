"""The CSV importer on the project's own fixtures (tests/fixtures/csv, written for these tests)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from moneystory import schema
from moneystory.errors import ConfigError, DetectionError, StatementError
from moneystory.importers import parse_file
from moneystory.importers.base import ImportOptions, ParsedFile
from moneystory.importers.csv import IMPORTER, list_profiles, sniff_delimiter
from moneystory.importers.profile import builtin_profiles, load_profiles

FIXTURES = Path(__file__).parent / "fixtures" / "csv"


def parse(name: str, **options: object) -> ParsedFile:
    path = FIXTURES / name
    return parse_file(path, path.read_bytes(), ImportOptions(**options))  # type: ignore[arg-type]


def amounts(parsed: ParsedFile) -> list[Decimal]:
    return parsed.frame["amount"].to_list()


# ---------------------------------------------------------------- structure


def test_raw_frame_has_the_schema_and_file_line_numbers() -> None:
    parsed = parse("chase-multiline.csv")
    assert parsed.frame.schema == pl.Schema(schema.RAW)
    assert parsed.profile == "chase-checking-us"
    # the quoted description spans lines 2-3, so the next record starts on line 4
    assert parsed.frame["source_row"].to_list() == [2, 4]
    assert parsed.frame["description"][0] == "TWO LINE DESCRIPTION"


def test_unreadable_rows_are_rejected_with_line_and_reason_and_the_rest_kept() -> None:
    parsed = parse("chase-bad-rows.csv")
    assert amounts(parsed) == [Decimal("-4.50"), Decimal("2.00")]
    assert [(r.line, r.reason) for r in parsed.rejected] == [
        (3, "unreadable amount '-4.5x'"),
        (4, "unreadable date '13/45/2016'"),
    ]


def test_unknown_direction_value_is_a_row_error_not_a_default() -> None:
    parsed = parse("ingnl-bad-direction.csv")
    assert amounts(parsed) == [Decimal("-1.25")]
    assert parsed.rejected[0].line == 3
    assert "unknown direction 'Xx'" in parsed.rejected[0].reason
    assert "Bij" in parsed.rejected[0].reason


def test_preamble_is_skipped_and_its_iban_names_the_account() -> None:
    parsed = parse("ingde-preamble-latin1.csv")
    assert parsed.profile == "ing-de"
    assert parsed.encoding == "iso8859-1"  # the profile's declared encoding, no cp1252 guess
    assert parsed.warnings == []
    assert parsed.frame["description"][0] == "Bäckerei Müller Brötchen"
    assert amounts(parsed) == [Decimal("-3.50"), Decimal("1000.00")]
    assert set(parsed.frame["account_ref"]) == {"DE99 1234 5678 9012 3456 78"}
    assert parsed.accounts[0].institution == "ING"
    assert parsed.frame["source_row"].to_list() == [8, 9]
    # the preamble's "Saldo;1.234,50;EUR" agrees with the newest row's running balance
    stated = [c for c in parsed.balance_checks if c.as_of is not None]
    assert [(c.stated, c.ok) for c in stated] == [(Decimal("1234.50"), True)]


def test_preamble_balance_that_disagrees_is_reported(tmp_path: Path) -> None:
    text = (FIXTURES / "ingde-preamble-latin1.csv").read_bytes().replace(
        b"Saldo;1.234,50;EUR", b"Saldo;999,00;EUR")
    path = tmp_path / "ing.csv"
    path.write_bytes(text)
    parsed = parse_file(path, path.read_bytes(), ImportOptions())
    (stated,) = [c for c in parsed.balance_checks if c.as_of is not None]
    assert not stated.ok
    assert (stated.stated, stated.computed) == (Decimal("999.00"), Decimal("1234.50"))


def test_continuation_lines_join_the_previous_description() -> None:
    parsed = parse("sg-continuation.csv")
    assert parsed.frame["description"].to_list() == [
        "DEBIT PURCHASE 15/04/24 UBER EATS HELP.UBER", "SALARY ACME PTE LTD APRIL"]
    assert amounts(parsed) == [Decimal("-6.60"), Decimal("2500.00")]
    assert parsed.frame["currency"].to_list() == ["SGD", "SGD"]
    assert parsed.accounts[0].ref == "123-456789-001"


def test_ragged_rows_keep_the_spilled_text() -> None:
    parsed = parse("livebank-ragged.csv")
    assert parsed.frame["description"][0] == "Gutschrift A name A text REF: 123"
    assert amounts(parsed) == [Decimal("150.00"), Decimal("-1100.00")]


def test_file_without_header_is_recognised_by_its_column_shape() -> None:
    parsed = parse("wellsfargo-noheader.csv")
    assert parsed.profile == "wellsfargo-us"
    assert parsed.frame["source_row"].to_list() == [1, 2, 3]
    assert sum(amounts(parsed)) == Decimal("1054.90")


def test_pending_rows_are_flagged_in_the_raw_frame() -> None:
    revolut = parse("revolut-pending.csv")
    assert revolut.frame["pending"].to_list() == [False, True]
    # completed rows are booked on the completion date; pending ones on the start date
    assert revolut.frame["date"].to_list() == [date(2024, 1, 3), date(2024, 1, 4)]
    jl = parse("johnlewis-pending.csv")
    assert jl.frame["pending"].to_list() == [True, False, False]
    assert jl.rejected == []
    # 'Pending' instead of a date: dated like the newest posted row, so it has an identity
    assert jl.frame["date"][0] == date(2019, 12, 14)
    kept = parse("johnlewis-pending.csv", include_pending=True)
    assert any("pending row(s) have no date" in w for w in kept.warnings)


def test_card_statement_signs_and_cr_direction_column() -> None:
    parsed = parse("johnlewis-pending.csv")
    assert amounts(parsed) == [Decimal("-8.99"), Decimal("-18.89"), Decimal("100.00")]
    assert parsed.accounts[0].kind == "credit_card"


def test_debit_credit_columns_and_card_number() -> None:
    parsed = parse("capitalone-card.csv")
    assert amounts(parsed) == [Decimal("-15.98"), Decimal("200.00")]
    assert parsed.frame["card_last4"].to_list() == ["5158", "5158"]
    assert parsed.accounts[0].card_last4 == "5158"
    assert parsed.frame["bank_category"][0] == "Dining"


def test_several_accounts_in_one_file() -> None:
    parsed = parse("mint-two-accounts.csv")
    assert [a.ref for a in parsed.accounts] == ["My Credit Card", "My Checking"]
    by_account = parsed.frame.group_by("account_ref").agg(pl.col("amount").sum())
    assert dict(by_account.iter_rows()) == {
        "My Credit Card": Decimal("-2.45"), "My Checking": Decimal("933.12")}


def test_running_balance_mismatch_names_the_first_diverging_line() -> None:
    parsed = parse("chase-bad-balance.csv")
    (check,) = parsed.balance_checks
    assert not check.ok
    assert check.first_bad_line == 2  # newest first: line 2 should say 104.00
    assert check.computed == Decimal("104.00")
    good = parse("chase-multiline.csv").balance_checks[0]
    assert good.ok and good.first_bad_line is None


# ---------------------------------------------------------------- bytes and delimiters


def test_utf16_with_bom_and_tabs() -> None:
    parsed = parse("utf16-tab.csv")
    assert parsed.encoding == "utf-16-le"
    assert parsed.frame["description"].to_list() == ["Café Müller", "Gehalt"]
    assert amounts(parsed) == [Decimal("-3.40"), Decimal("1000.00")]


def test_pipe_delimiter_and_spaces_outside_quotes() -> None:
    assert amounts(parse("pipe-generic.csv")) == [Decimal("-2.50"), Decimal("10.00")]
    spaced = parse("spaces-outside-quotes.csv")
    assert spaced.frame["description"].to_list() == ["Acme; Inc.", "Beta BV"]
    assert amounts(spaced) == [Decimal("-1000.00"), Decimal("25.00")]


@pytest.mark.parametrize(("lines", "expected"), [
    (["a,b,c", "1,2,3"], ","),
    (["a;b;c", "1,5;2;3"], ";"),
    (["a\tb", "1\t2"], "\t"),
    (["a|b|c", "x|y|z"], "|"),
    (["no delimiter here"], None),
])
def test_sniff_delimiter(lines: list[str], expected: str | None) -> None:
    assert sniff_delimiter(lines) == expected


# ---------------------------------------------------------------- the generic mapper


@pytest.mark.parametrize(("name", "expected"), [
    ("generic-fr.csv", [Decimal("-4.20"), Decimal("2100.00"), Decimal("-61.35")]),
    ("generic-de-sollhaben.csv", [Decimal("-850.00"), Decimal("2500.00"), Decimal("-42.17")]),
    ("generic-es.csv", [Decimal("-35.40"), Decimal("1800.00")]),
    ("generic-it.csv", [Decimal("-3.50"), Decimal("250.00")]),
    ("generic-nl-afbij.csv", [Decimal("-12.30"), Decimal("2000.00")]),
    ("generic-pt.csv", [Decimal("-45.90"), Decimal("120.00")]),
    ("generic-en-noheader.csv", [Decimal("-3.20"), Decimal("-12.99"), Decimal("1500.00")]),
])
def test_generic_mapper_in_seven_languages(name: str, expected: list[Decimal]) -> None:
    parsed = parse(name)
    assert parsed.profile == "generic"
    assert amounts(parsed) == expected
    assert parsed.frame["date"].null_count() == 0
    assert parsed.frame["description"].null_count() == 0


def test_generic_mapper_reads_day_first_dates_in_european_files() -> None:
    assert parse("generic-fr.csv").frame["date"][0] == date(2024, 3, 2)


def test_unplaceable_columns_get_one_clear_sentence() -> None:
    with pytest.raises(StatementError) as caught:
        parse("unplaceable.csv", user_profiles_dir=Path("/home/u/.config/moneystory/profiles"))
    sentence = caught.value.sentence()
    assert "could not be placed" in sentence
    assert "date" in sentence and "amount" in sentence
    assert "'foo', 'bar', 'baz'" in sentence
    assert "/home/u/.config/moneystory/profiles/NAME.toml" in sentence
    assert "moneystory profiles" in sentence


# ---------------------------------------------------------------- profiles


def test_builtin_profiles_load_and_cover_the_banks_asked_for() -> None:
    ids = {p.id for p in builtin_profiles()}
    for wanted in ["chase-checking-us", "chase-card-us", "capitalone-card-us", "amex-us",
                   "bofa-checking-us", "wellsfargo-us", "citi-us", "discover-us", "schwab-us",
                   "barclays-uk", "barclaycard-uk", "lloyds-uk", "hsbc-uk", "firstdirect-uk",
                   "monzo-uk", "starling-uk", "revolut", "wise", "n26-de", "ing-nl", "ing-de",
                   "ing-at", "dkb-de", "sparkasse-de", "creditagricole-fr", "boursorama-fr",
                   "bnpparibas-fr", "societegenerale-fr"]:
        assert wanted in ids


def test_every_builtin_profile_says_where_its_layout_comes_from() -> None:
    for profile in builtin_profiles():
        assert profile.path is not None
        first = Path(profile.path).read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("#"), profile.id


def test_user_profile_takes_precedence_over_a_builtin(tmp_path: Path) -> None:
    (tmp_path / "chase.toml").write_text(
        'id = "chase-checking-us"\nname = "My Chase"\ninstitution = "MyChase"\n'
        'country = "US"\ncurrency = "EUR"\n[detect]\nheader = ["Posting Date", "Amount"]\n'
        '[columns]\ndate = "Posting Date"\ndescription = ["Description"]\namount = "Amount"\n',
        encoding="utf-8",
    )
    profiles = {p.id: p for p in load_profiles(tmp_path)}
    assert profiles["chase-checking-us"].source == "user"
    parsed = parse("chase-multiline.csv", user_profiles_dir=tmp_path)
    assert parsed.accounts[0].institution == "MyChase"
    assert parsed.frame["currency"][0] == "EUR"
    listed = {row["id"]: row for row in list_profiles(tmp_path)}
    assert listed["chase-checking-us"]["source"] == "user"
    assert set(listed["amex-us"]) == {"id", "name", "country", "source", "path"}


def test_invalid_user_profile_names_the_file_and_field(tmp_path: Path) -> None:
    (tmp_path / "broken.toml").write_text(
        'name = "Broken"\ninstitution = "X"\ncountry = "US"\ndecimal = ";"\n[detect]\n'
        '[columns]\ndate = "Date"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_profiles(tmp_path)
    assert "broken.toml" in caught.value.sentence()
    assert "decimal" in caught.value.sentence()


def test_a_real_tie_names_the_candidates_and_the_flag(tmp_path: Path) -> None:
    body = ('name = "{0}"\ninstitution = "{0}"\ncountry = "DE"\n[detect]\n'
            'header = ["Datum", "Beschreibung", "Soll", "Haben"]\n[columns]\ndate = "Datum"\n'
            'description = ["Beschreibung"]\ndebit = "Soll"\ncredit = "Haben"\n')
    (tmp_path / "bank-a.toml").write_text(body.format("A"), encoding="utf-8")
    (tmp_path / "bank-b.toml").write_text(body.format("B"), encoding="utf-8")
    with pytest.raises(DetectionError) as caught:
        parse("generic-de-sollhaben.csv", user_profiles_dir=tmp_path)
    sentence = caught.value.sentence()
    assert "bank-a" in sentence and "bank-b" in sentence and "--profile" in sentence
    forced = parse("generic-de-sollhaben.csv", user_profiles_dir=tmp_path, profile="bank-b")
    assert forced.profile == "bank-b"


def test_forcing_a_profile_that_does_not_fit_says_so() -> None:
    with pytest.raises(StatementError, match="does not look like"):
        parse("generic-fr.csv", profile="chase-checking-us")
    with pytest.raises(DetectionError, match="no profile named"):
        parse("generic-fr.csv", profile="no-such-bank")


def test_sniff_accepts_delimited_text_only() -> None:
    assert IMPORTER.sniff("Date,Amount\n2024-01-01,1.00\n")
    assert not IMPORTER.sniff("just some words\nand more words\n")


def test_profiles_command_lists_builtins(cli_json) -> None:  # type: ignore[no-untyped-def]
    rows = cli_json("profiles")["profiles"]
    assert len(rows) >= 40
    assert {"id": "ing-nl", "source": "built-in"}.items() <= next(
        r for r in rows if r["id"] == "ing-nl").items()


def test_import_command_reports_rejected_rows(cli_json) -> None:  # type: ignore[no-untyped-def]
    result = cli_json("import", str(FIXTURES / "chase-bad-rows.csv"))
    (entry,) = result["imports"]
    assert entry["profile"] == "chase-checking-us"
    assert entry["added"] == 2
    assert [r["line"] for r in entry["rejected"]] == [3, 4]


def test_header_only_file_has_no_rows_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "empty-chase.csv"
    path.write_text("Details,Posting Date,Description,Amount,Type,Balance,Check or Slip #,\n")
    parsed = parse_file(path, path.read_bytes(), ImportOptions())
    assert parsed.profile == "chase-checking-us"
    assert parsed.frame.height == 0
    assert parsed.warnings == ["the file has no transaction rows"]


# ---------------------------------------------------------------- property: any quoting


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(
    st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 12, 31)),
    st.text(alphabet=st.sampled_from(list('ab C,;"\n\'é€')), min_size=1, max_size=25),
    st.decimals(min_value=Decimal("-99999.99"), max_value=Decimal("99999.99"), places=2,
                allow_nan=False, allow_infinity=False),
), min_size=1, max_size=15))
def test_any_description_quoting_round_trips(rows: list[tuple[date, str, Decimal]],
                                             tmp_path: Path) -> None:
    """Commas, quotes and newlines inside quoted descriptions: every row comes back with its
    text (whitespace-squashed), its exact amount and the line its record starts on."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(["Details", "Posting Date", "Description", "Amount", "Type", "Balance",
                     "Check or Slip #"])
    starts, line = [], 2
    for day, text, amount in rows:
        text = text if text.strip() else "x"
        writer.writerow(["DEBIT", f"{day.month}/{day.day}/{day.year}", text, f"{amount:.2f}",
                         "ACH", "", ""])
        starts.append(line)
        line += text.count("\n") + 1
    path = tmp_path / "chase.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    parsed = parse_file(path, path.read_bytes(), ImportOptions())
    assert parsed.rejected == []
    assert parsed.frame["source_row"].to_list() == starts
    assert parsed.frame["amount"].to_list() == [amount for _, _, amount in rows]
    assert parsed.frame["date"].to_list() == [day for day, _, _ in rows]
    expected = [" ".join((t if t.strip() else "x").split()) for _, t, _ in rows]
    assert parsed.frame["description"].to_list() == expected
