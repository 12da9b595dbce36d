"""`import`, `imports`, `imports undo`, `accounts`, `transactions` through the CLI (CliRunner)."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest

from moneystory import ingest
from moneystory.paths import resolve_home
from moneystory.store import Store

FIXTURES = Path(__file__).parent / "fixtures" / "store"
MARCH = FIXTURES / "chase_checking_march.csv"
APRIL = FIXTURES / "chase_checking_april.csv"
MARCH_SUM = Decimal("2450.00") - Decimal("5.45") * 2 - Decimal("15.49") - Decimal("87.12") \
    - Decimal("1800.00") - Decimal("48.20") - Decimal("12.00")


def _imported(cli_json, *paths: Path) -> list[dict]:  # type: ignore[no-untyped-def]
    return cli_json("import", *map(str, paths))["imports"]  # type: ignore[no-any-return]


def test_import_json_has_the_contract_fields(cli_json) -> None:  # type: ignore[no-untyped-def]
    (body,) = _imported(cli_json, MARCH)
    for key in ("file", "format", "profile", "accounts", "rows", "added", "duplicates",
                "rejected", "import_id"):
        assert key in body, key
    assert body["format"] == "csv"
    assert (body["rows"], body["added"], body["duplicates"]) == (8, 8, 0)
    assert body["rejected"] == []
    assert (body["first_date"], body["last_date"]) == ("2024-03-15", "2024-03-28")


def test_json_output_is_one_document_and_no_progress(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("import", str(MARCH), "--json")
    assert result.exit_code == 0, result.output
    json.loads(result.stdout)  # exactly one document
    assert result.stderr == ""  # no progress display off a terminal, none in --json


def test_reimport_and_overlap_through_the_cli(cli_json) -> None:  # type: ignore[no-untyped-def]
    first, overlap = _imported(cli_json, MARCH, APRIL)
    assert (first["added"], overlap["added"], overlap["duplicates"]) == (8, 4, 2)
    (again,) = _imported(cli_json, MARCH)
    assert (again["added"], again["duplicates"]) == (0, 8)
    rows = cli_json("transactions")["transactions"]
    assert len(rows) == 12
    assert len({r["txn_id"] for r in rows}) == 12


def test_identical_coffees_are_both_kept(cli) -> None:  # type: ignore[no-untyped-def]
    assert cli("import", str(MARCH)).exit_code == 0
    result = cli("transactions", "--from", "2024-03-18", "--to", "2024-03-18", "--json")
    coffees = json.loads(result.stdout, parse_float=Decimal)["transactions"]
    assert [r["amount"] for r in coffees] == [Decimal("-5.45")] * 2
    assert coffees[0]["txn_id"] != coffees[1]["txn_id"]


def test_sums_through_json_are_exact(cli) -> None:  # type: ignore[no-untyped-def]
    assert cli("import", str(MARCH)).exit_code == 0
    result = cli("transactions", "--json")
    body = json.loads(result.stdout, parse_float=Decimal)
    assert sum(Decimal(str(r["amount"])) for r in body["transactions"]) == MARCH_SUM
    assert '"amount": -5.45' in result.stdout  # a JSON number with the currency's decimals


def test_dry_run_writes_nothing(cli, home_dir: Path) -> None:  # type: ignore[no-untyped-def]
    result = cli("import", str(MARCH), "--dry-run", "--json")
    assert result.exit_code == 0, result.output
    (body,) = json.loads(result.stdout)["imports"]
    assert (body["added"], body["import_id"], body["dry_run"]) == (8, None, True)
    assert list(home_dir.iterdir()) == []


def test_imports_lists_and_undo_removes_one_batch(cli, cli_json) -> None:  # type: ignore[no-untyped-def]
    march, april = _imported(cli_json, MARCH, APRIL)
    listed = cli_json("imports")["imports"]
    assert [r["import_id"] for r in listed] == [march["import_id"], april["import_id"]]
    table = cli("imports")
    assert march["import_id"] in table.stdout  # the whole id, ready to paste
    undone = cli("imports", "undo", april["import_id"])
    assert undone.exit_code == 0, undone.output
    assert "4 transactions removed" in undone.stdout
    assert len(cli_json("transactions")["transactions"]) == 8
    (again,) = _imported(cli_json, APRIL)
    assert (again["added"], again["duplicates"]) == (4, 2)
    states = [r.get("undone_at") is not None for r in cli_json("imports")["imports"]]
    assert states == [False, True, False]


def test_undo_of_an_unknown_id_is_one_sentence(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("imports", "undo", "nope")
    assert result.exit_code == 1
    assert "no import with id 'nope'" in result.stderr
    assert "Traceback" not in result.output


def test_accounts_json_contract(cli, cli_json) -> None:  # type: ignore[no-untyped-def]
    _imported(cli_json, MARCH, APRIL)
    (account,) = cli_json("accounts")["accounts"]
    for key in ("account_id", "name", "institution", "currency", "card_last4", "transactions",
                "first_date", "last_date"):
        assert key in account, key
    assert account["transactions"] == 12
    assert (account["first_date"], account["last_date"]) == ("2024-03-15", "2024-04-22")
    assert account["currency"] == "USD"


def test_terminal_output_masks_card_numbers(cli, home_dir: Path, make_parsed) -> None:  # type: ignore[no-untyped-def]
    parsed = make_parsed([("2024-01-20", "-9.99", "SPOTIFY USA")],
                         account_ref="4266841234567890", institution="Visa Bank")
    parsed.accounts[0].card_last4 = "7890"
    ingest.import_parsed(Store(resolve_home(home_dir)), Path("card.csv"), b"x", parsed)
    shown = cli("accounts").stdout
    assert "7890" in shown
    assert "4266841234567890" not in shown and "123456" not in shown
    assert "••7890" in shown


def test_transactions_filters(cli, cli_json) -> None:  # type: ignore[no-untyped-def]
    _imported(cli_json, MARCH, APRIL)

    def count(*args: str) -> int:
        return len(cli_json("transactions", *args)["transactions"])

    assert count() == 12
    assert count("--year", "2024") == 12
    assert count("--year", "2023") == 0
    assert count("--from", "2024-04-01") == 4
    assert count("--to", "2024-03-19") == 4
    assert count("--from", "2024-03-18", "--to", "2024-03-18") == 2
    unknown = cli("transactions", "--account", "nope")
    assert unknown.exit_code == 2
    assert "Known accounts: chase" in unknown.stderr
    account = cli_json("accounts")["accounts"][0]["account_id"]
    assert count("--account", account) == 12
    assert count("--merchant", "netflix") == 2
    assert count("--category", "no-such-category") == 0
    categories = {r["category"] for r in cli_json("transactions")["transactions"]}
    some = sorted(categories)[0]
    assert 0 < count("--category", some) <= 12


def test_transactions_json_has_the_contract_fields(cli_json) -> None:  # type: ignore[no-untyped-def]
    _imported(cli_json, MARCH)
    row = cli_json("transactions")["transactions"][0]
    for key in ("txn_id", "account_id", "card_last4", "date", "amount", "currency",
                "description", "merchant", "category", "kind"):
        assert key in row, key
    assert row["date"] == "2024-03-15"


def test_transactions_csv(cli) -> None:  # type: ignore[no-untyped-def]
    assert cli("import", str(MARCH)).exit_code == 0
    result = cli("transactions", "--csv")
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 8
    assert sum(Decimal(r["amount"]) for r in rows) == MARCH_SUM
    assert rows[0]["date"] == "2024-03-15"


def test_a_bad_date_option_is_a_usage_error(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("transactions", "--from", "15/03/2024")
    assert result.exit_code == 2
    assert "YYYY-MM-DD" in result.stderr


def test_terminal_import_summary(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("import", str(MARCH))
    assert result.exit_code == 0, result.output
    assert "chase_checking_march.csv" in result.stdout
    assert "added 8" in result.stdout
    again = cli("import", str(MARCH))
    assert "added 0, 8 already in the store" in again.stdout


@pytest.mark.parametrize("command", ["accounts", "transactions", "imports"])
def test_listings_on_an_empty_home(cli, command: str) -> None:  # type: ignore[no-untyped-def]
    result = cli(command)
    assert result.exit_code == 0, result.output
    body = cli(command, "--json")
    assert json.loads(body.stdout)[command] == []


def test_undo_json_and_the_store_after_it(cli, cli_json, home_dir: Path) -> None:  # type: ignore[no-untyped-def]
    (march,) = _imported(cli_json, MARCH)
    body = cli_json("imports", "undo", march["import_id"][:8])
    assert body["undone"]["import_id"] == march["import_id"]
    assert body["undone"]["undone_at"]
    assert cli_json("accounts")["accounts"] == []
    assert not list((home_dir / "store" / "batches").iterdir())


def test_account_names_never_show_a_full_iban_or_account_number(cli, cli_json,  # type: ignore[no-untyped-def]
                                                                 home_dir: Path) -> None:
    """DESIGN: card and account numbers masked in output (last 4 only), in the store's log too.
    ING's export names the account by its IBAN in the preamble."""
    statement = Path(__file__).resolve().parents[1] / "examples" / "statements" \
        / "ing-girokonto-2023.csv"
    if not statement.exists():
        pytest.skip("the bundled ING example is missing")
    cli_json("import", str(statement))
    (account,) = cli_json("accounts")["accounts"]
    assert account["name"] == "ING ••4871"
    shown = cli("accounts").stdout + json.dumps(cli_json("imports"))
    log = (home_dir / "store" / "imports.json").read_text()
    assert "ING ••4871" in shown
    for text in (shown, log):
        for full in ("5419 3348 71", "54193348", "DE52 5001", "DE52500105"):
            assert full not in text, full


def test_numbers_inside_account_names_are_masked() -> None:
    assert ingest.mask_numbers("DE52 5001 0517 5419 3348 71") == "••4871"
    assert ingest.mask_numbers("GB29NWBK60161331926819") == "••6819"
    assert ingest.mask_numbers("Checking 123456789") == "Checking ••6789"
    assert ingest.mask_numbers("Amex 3782-822463-10005") == "Amex ••0005"
    assert ingest.mask_numbers("Visa 1234 (2023)") == "Visa 1234 (2023)"  # nothing to hide


def test_currency_option_through_the_cli(cli, cli_json) -> None:  # type: ignore[no-untyped-def]
    statement = Path(__file__).resolve().parents[1] / "examples" / "statements" \
        / "summit-savings-2022.qif"
    if not statement.exists():
        pytest.skip("the bundled QIF example is missing")
    bad = cli("import", str(statement), "--currency", "dollars")
    assert bad.exit_code == 2
    assert "not an ISO 4217 currency code" in bad.stderr and "Traceback" not in bad.output
    assert cli_json("imports")["imports"] == []  # nothing was read, nothing written
    (body,) = cli_json("import", str(statement), "--currency", "USD")["imports"]
    assert body["added"] > 0 and not any("currency" in w for w in body["warnings"])
    (account,) = cli_json("accounts")["accounts"]
    assert account["currency"] == "USD"
    rows = cli_json("transactions")["transactions"]
    assert {r["currency"] for r in rows} == {"USD"}
