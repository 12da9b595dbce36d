"""What a user sees at 80 columns, piped: tables that fit, one-sentence errors, exit codes."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from rich.console import Console

sys.path.insert(0, str(Path(__file__).parent))

from card_scenario import CHANGED_ON, scenario_frame
from moneystory.render.terminal import Col, fit_widths, fitted_table
from store_helpers import write_batch


@pytest.fixture(name="narrow")
def _narrow(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")


@pytest.fixture(name="store")
def _store(home_dir: Path) -> Path:
    write_batch(home_dir, scenario_frame(), "visa.csv")
    return home_dir


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def _assert_fits(text: str, width: int = 80) -> None:
    too_wide = [line for line in text.splitlines() if len(line.rstrip()) > width]
    assert not too_wide, too_wide


def _one_sentence_error(result, code: int) -> str:  # type: ignore[no-untyped-def]
    assert result.exit_code == code, result.output
    assert result.stdout == ""
    assert "Traceback" not in result.output
    (line,) = _lines(result.stderr)
    assert line.startswith("error: ") and line.endswith(".")
    return str(line)


# ---------------------------------------------------------------------------- fit_widths
def test_flex_columns_are_cut_before_anything_is_dropped() -> None:
    cols = [Col("name", flex=True, min_width=6), Col("amount", justify="right"),
            Col("extra", drop=1)]
    rows = [["a very long merchant name", "$1,234.56", "x" * 10]]
    widths = fit_widths(cols, rows, 40)
    assert widths[2] == 10 and widths[1] == 9
    assert widths[0] is not None and sum(w or 0 for w in widths) + 2 * 3 <= 40
    tight = fit_widths(cols, rows, 30)
    assert tight[2] is None  # dropped: even at its minimum the name would not fit
    assert tight[0] == 30 - 2 * 2 - 9


def test_highest_drop_goes_first_and_empty_optional_columns_never_show() -> None:
    cols = [Col("a"), Col("b", drop=1), Col("c", drop=2), Col("empty", drop=1)]
    rows = [["a" * 20, "b" * 20, "c" * 20, ""]]
    assert fit_widths(cols, rows, 200)[3] is None
    assert fit_widths(cols, rows, 50) == [20, 20, None, None]


def test_fitted_table_cuts_with_an_ellipsis_instead_of_wrapping() -> None:
    console = Console(width=40, record=True, no_color=True)
    cols = [Col("merchant", flex=True, min_width=8), Col("amount", justify="right")]
    console.print(fitted_table(cols, [["Parkside Apartments and Sons Ltd" * 2, "-$2,236.00"]], 40))
    text = console.export_text()
    assert len(_lines(text)) == 2 and "…" in text
    _assert_fits(text, 40)


def test_middle_cut_keeps_the_end_of_a_file_name() -> None:
    console = Console(width=40, record=True, no_color=True)
    cols = [Col("file", flex=True, min_width=10, cut="middle"), Col("rows", justify="right")]
    console.print(fitted_table(cols, [["capitalone-quicksilver-statement-2023.csv", "209"]], 30))
    text = console.export_text()
    assert "2023.csv" in text and "…" in text


# ---------------------------------------------------------------------- command layouts
def test_recurring_at_80_columns_shows_every_merchant_on_one_line(  # type: ignore[no-untyped-def]
        store: Path, cli, cli_json, narrow: None) -> None:
    streams = cli_json("recurring")["streams"]
    result = cli("recurring")
    assert result.exit_code == 0, result.output
    _assert_fits(result.stdout)
    header, *lines = _lines(result.stdout)
    assert "merchant" in header and "amount" in header and "next" in header
    for stream in streams:
        row = next(line for line in lines if line.lstrip().startswith(stream["stream_id"]))
        assert stream["merchant"][:10] in row
    assert "\x1b[" not in result.stdout


def test_recurring_all_keeps_the_status_column(store: Path, cli, narrow: None) -> None:  # type: ignore[no-untyped-def]
    result = cli("recurring", "--all")
    _assert_fits(result.stdout)
    assert "status" in _lines(result.stdout)[0]
    assert "lapsed" in result.stdout


def test_income_streams_show_with_a_plus_sign(home_dir: Path, cli, cli_json) -> None:  # type: ignore[no-untyped-def]
    from gen_history import add_months, frame, row

    rows = [row("checking", add_months(date(2022, 1, 1), k, 28), "2500.00", "ACME PAYROLL",
                category="income", kind="income") for k in range(12)]
    write_batch(home_dir, frame(rows), "pay.csv")
    doc = cli_json("recurring")
    assert any(s["direction"] == "in" for s in doc["streams"]), doc
    assert "+$2,500.00" in cli("recurring").stdout


def test_card_status_keeps_one_line_per_merchant_and_puts_long_notes_below(  # type: ignore[no-untyped-def]
        store: Path, cli, cli_json, narrow: None) -> None:
    assert cli("card-changed", "--new", "4242", "--old", "1111", "--on",
               CHANGED_ON.isoformat()).exit_code == 0
    doc = cli_json("card-changed", "status", "--as-of", "2023-08-20")
    result = cli("card-changed", "status", "--as-of", "2023-08-20")
    assert result.exit_code == 0, result.output
    _assert_fits(result.stdout)
    lines = _lines(result.stdout)
    start = next(i for i, line in enumerate(lines) if "merchant" in line and "state" in line)
    table = lines[start + 1:start + 1 + len(doc["merchants"])]
    for merchant, line in zip(doc["merchants"], table, strict=True):
        assert merchant["merchant"][:10] in line and merchant["state"] in line
    long_notes = [m for m in doc["merchants"] if len(m["note"] or "") > 32]
    assert long_notes, "the scenario should have a long note"
    below = "\n".join(lines[start + 1 + len(doc["merchants"]):])
    for m in long_notes:
        assert m["merchant"] in below  # below the table, or named in "What to do next"


def test_card_holders_amounts_are_right_aligned(store: Path, cli, narrow: None) -> None:  # type: ignore[no-untyped-def]
    result = cli("card-changed", "--card", "1111", "--as-of", "2023-06-09")
    assert result.exit_code == 0, result.output
    _assert_fits(result.stdout)
    rows = [line for line in result.stdout.splitlines() if "$" in line]
    assert rows and len({len(line.rstrip()) for line in rows if "Netflix" in line
                         or "Spotify" in line}) == 1  # same table, amounts end in one column


def test_merchants_fit_80_columns_with_one_line_per_variant(  # type: ignore[no-untyped-def]
        store: Path, cli, narrow: None) -> None:
    result = cli("merchants", "--variants", "1")
    assert result.exit_code == 0, result.output
    _assert_fits(result.stdout)
    assert "raw variants" in _lines(result.stdout)[0]
    assert "×" in result.stdout


def test_merchants_of_a_year_without_data_says_so(store: Path, cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("merchants", "--year", "1990")
    assert result.exit_code == 0
    assert "No transactions match" in result.stdout and "merchant " not in result.stdout


def test_store_tables_fit_80_columns() -> None:
    from moneystory.render.store_text import accounts_table, imports_table, transactions_table

    console = Console(width=80, record=True, no_color=True)
    console.print(accounts_table([{
        "account_id": "qif-summit-online-savings", "name": "Summit Online Savings Account",
        "card_last4": "4417", "currency": "USD", "transactions": 1234,
        "first_date": date(2022, 1, 1), "last_date": date(2023, 12, 31)}]))
    console.print(imports_table([{
        "import_id": "250c3f12d5d3", "imported_at": "2026-12-01T18:52:00",
        "file": "/x/capitalone-quicksilver-statement-2022.csv", "profile": "capitalone-card-us",
        "rows": 191, "added": 191}]))
    frame = pl.DataFrame({"date": [date(2023, 1, 2)], "account_id": ["chase"],
                          "merchant": ["Blue Bottle Coffee"], "category": ["coffee"],
                          "amount": [pl.Series([-7.01]).cast(pl.Decimal(38, 4))[0]],
                          "currency": ["USD"]})
    console.print(transactions_table(frame.iter_rows(named=True)))
    text = console.export_text()
    _assert_fits(text)
    assert "qif-summit-online-savings" in text  # typed back into --account: never cut
    assert "250c3f12d5d3" in text and "2022.csv" in text
    assert "••4417" in text and "4417 " not in text.replace("••4417", "")
    assert "-$7.01" in text
    assert len(_lines(text)) == 6  # three tables, header + one row each: nothing wrapped


def test_accounts_table_masks_a_full_iban_in_an_old_name() -> None:
    from moneystory.render.store_text import accounts_table

    console = Console(width=80, record=True, no_color=True)
    console.print(accounts_table([{"account_id": "ing-4871", "name": "DE52 5001 0517 5419 3348 71",
                                   "currency": "EUR", "transactions": 3}]))
    text = console.export_text()
    assert "5419" not in text and "••" in text


# ------------------------------------------------------------------------------- errors
def test_unknown_account_is_a_usage_error_everywhere(store: Path, cli) -> None:  # type: ignore[no-untyped-def]
    for args in (("recurring",), ("merchants",), ("review", "2023"), ("card-changed",)):
        line = _one_sentence_error(cli(*args, "--account", "nope"), 2)
        assert "no account 'nope'" in line and "visa" in line, args


def test_unknown_account_in_an_empty_store_says_to_import(cli) -> None:  # type: ignore[no-untyped-def]
    line = _one_sentence_error(cli("recurring", "--account", "nope"), 2)
    assert "moneystory import" in line


def test_ics_into_a_missing_folder_is_one_sentence_and_creates_nothing(  # type: ignore[no-untyped-def]
        store: Path, cli, tmp_path: Path) -> None:
    target = tmp_path / "no-such-folder" / "reminders.ics"
    line = _one_sentence_error(cli("card-changed", "--card", "1111", "--ics", str(target)), 1)
    assert "does not exist" in line
    assert not target.parent.exists()
    line = _one_sentence_error(cli("card-changed", "--card", "1111", "--ics", str(tmp_path)), 1)
    assert "is a folder" in line and "card-reminders.ics" in line


def test_ics_leaves_the_folder_permissions_alone(store: Path, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "desktop"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    result = cli("card-changed", "--card", "1111", "--ics", str(folder / "r.ics"))
    assert result.exit_code == 0, result.output
    assert folder.stat().st_mode & 0o777 == 0o755
    assert (folder / "r.ics").stat().st_mode & 0o777 == 0o600


def test_html_into_a_missing_folder_is_one_sentence(store: Path, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "nope" / "review.html"
    line = _one_sentence_error(cli("review", "2023", "--html", str(target)), 1)
    assert str(target) in line


def test_every_help_has_an_example(cli) -> None:  # type: ignore[no-untyped-def]
    for args in (("recurring",), ("recurring", "confirm"), ("recurring", "dismiss"),
                 ("recurring", "end"), ("card-changed",), ("card-changed", "status"),
                 ("review",), ("optout",), ("check",), ("merchants",), ("rules",),
                 ("rules", "test")):
        result = cli(*args, "--help")
        assert result.exit_code == 0, args
        assert "Example" in result.stdout, args


def test_flags_show_no_misleading_value_in_help(cli) -> None:  # type: ignore[no-untyped-def]
    for args in (("recurring",), ("card-changed",), ("review",), ("optout",), ("merchants",)):
        text = cli(*args, "--help").stdout
        flag_lines = [line for line in text.splitlines()
                      if any(f in line for f in ("--json ", "--all ", "--csv ", "--status "))]
        assert flag_lines, args
        assert not any("<bool>" in line for line in flag_lines), flag_lines


def test_optout_with_no_one_to_answer_says_to_add_yes(store: Path, cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("optout", input="")
    assert result.exit_code == 2, result.output
    assert "--yes" in result.stderr and "Traceback" not in result.output
    declined = cli("optout", input="n\n")
    assert declined.exit_code == 1 and "Nothing pledged" in declined.stdout
    assert cli("optout", "--status").stdout.startswith("No pledge yet")


def test_recurring_with_only_hidden_streams_has_no_empty_table(store: Path, cli, cli_json) -> None:  # type: ignore[no-untyped-def]
    for stream in cli_json("recurring")["streams"]:
        assert cli("recurring", "dismiss", stream["stream_id"]).exit_code == 0
    result = cli("recurring")
    assert result.exit_code == 0, result.output
    assert "No active recurring payments." in result.stdout
    assert "cadence" not in result.stdout and "--all shows them" in result.stdout


def test_two_output_formats_at_once_are_a_usage_error(store: Path, cli) -> None:  # type: ignore[no-untyped-def]
    line = _one_sentence_error(cli("card-changed", "--card", "1111", "--csv", "--markdown"), 2)
    assert "--markdown and --csv cannot be combined" in line
    assert cli("card-changed", "status", "--json", "--csv").exit_code == 2


def test_a_terminal_too_narrow_cuts_names_below_their_minimum_not_dates() -> None:
    cols = [Col("date"), Col("merchant", flex=True, min_width=14), Col("amount")]
    widths = fit_widths(cols, [["2023-01-01", "Parkside Apartments", "-$2,236.00"]], 36)
    assert widths[0] == 10 and widths[2] == 10  # untouched
    assert widths[1] == 36 - 3 * 2 - 20


def test_lapsed_streams_show_no_yearly_cost(store: Path, cli, cli_json) -> None:  # type: ignore[no-untyped-def]
    hulu = next(s for s in cli_json("recurring", "--all")["streams"] if s["merchant"] == "Hulu")
    assert hulu["yearly_cost"]  # the JSON keeps what it would cost
    row = next(line for line in cli("recurring", "--all").stdout.splitlines() if "Hulu" in line)
    assert "lapsed" in row and row.rstrip().endswith("—")
