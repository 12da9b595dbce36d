"""Hidden transactions: `hide`/`unhide`, the import's suggestion, and every report leaving
them out (hidden.py, the read path of analysis.py, reports.accounts)."""

from __future__ import annotations

import json
import shlex
import stat
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from moneystory import analysis, hidden
from moneystory.paths import resolve_home
from moneystory.store import Store

HEADER = "Details,Posting Date,Description,Amount,Type,Balance,Check or Slip #\n"
PAYROLL = ("CREDIT", "03/15/2024", "ACME CORP       PAYROLL    PPD ID: 9111111111", "2450.00",
           "ACH_CREDIT")
NETFLIX = ("DEBIT", "03/19/2024", "NETFLIX.COM NETFLIX.COM CA                  03/18", "-15.49",
           "DEBIT_CARD")


def _chase_csv(*rows: tuple[str, ...]) -> str:
    """A Chase checking export (its profile is detected from the header); no balance column
    values, which the import would otherwise check."""
    return HEADER + "".join(f'{kind},{day},"{text}",{amount},{type_},,,\n'
                            for kind, day, text, amount, type_ in rows)


# The first export shows the Amazon purchase as the bank first wrote it (pending text, 03/18);
# the second, downloaded days later, has it posted on 03/20 with its full descriptor.
EARLY = _chase_csv(PAYROLL, ("DEBIT", "03/18/2024", "AMAZON MKTPLACE PMTS", "-64.99",
                             "DEBIT_CARD"), NETFLIX)
LATER = _chase_csv(
    PAYROLL, NETFLIX,
    ("DEBIT", "03/20/2024", "AMAZON MKTPLACE PMTS AMZN.COM/BILL WA       03/18", "-64.99",
     "DEBIT_CARD"),
    ("DEBIT", "03/22/2024", "TRADER JOE S #123 SEATTLE WA                03/21", "-87.12",
     "DEBIT_CARD"),
)
DUPLICATE_AMOUNT = Decimal("-64.99")


@pytest.fixture(name="exports")
def _exports(tmp_path: Path) -> tuple[Path, Path]:
    early, later = tmp_path / "early.csv", tmp_path / "later.csv"
    early.write_text(EARLY, encoding="utf-8")
    later.write_text(LATER, encoding="utf-8")
    return early, later


def _import(cli: Any, *paths: Path) -> list[dict[str, Any]]:
    result = cli("import", *map(str, paths), "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout, parse_float=Decimal)["imports"]


def _json(cli: Any, *args: str) -> Any:
    result = cli(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout, parse_float=Decimal)


def _suggestion(cli: Any, exports: tuple[Path, Path]) -> dict[str, Any]:
    """Import both exports; the one possible duplicate the second import suggests."""
    _import(cli, exports[0])
    (later,) = _import(cli, exports[1])
    assert later["added"] == 2  # the posted Amazon row and Trader Joe's: nothing dropped
    (dup,) = later["possible_duplicates"]
    return dup


def _run(cli: Any, command: str) -> Any:
    """Run a command line as printed (`moneystory --home H hide ...`) through the runner."""
    words = shlex.split(command)
    assert words[:2] == ["moneystory", "--home"]
    return cli(*words[3:])  # the cli fixture passes the same --home itself


def _totals(cli: Any) -> tuple[int, Decimal, int, Decimal]:
    rows = _json(cli, "transactions")["transactions"]
    (account,) = _json(cli, "accounts")["accounts"]
    review = _json(cli, "review", "2024")
    return (len(rows), sum((r["amount"] for r in rows), Decimal(0)),
            account["transactions"], review["spending"])


# ------------------------------------------------------------------ the import's suggestion
def test_the_suggestion_names_the_new_row_and_the_command(cli, exports, home_dir) -> None:  # type: ignore[no-untyped-def]
    dup = _suggestion(cli, exports)
    rows = {r["description"]: r for r in _json(cli, "transactions")["transactions"]}
    posted = rows["AMAZON MKTPLACE PMTS AMZN.COM/BILL WA 03/18"]
    pending = rows["AMAZON MKTPLACE PMTS"]
    assert dup["txn_id"] == posted["txn_id"] and dup["stored_txn_id"] == pending["txn_id"]
    assert dup["amount"] == DUPLICATE_AMOUNT and dup["line"] == 4
    assert dup["hide_command"] == shlex.join(
        ["moneystory", "--home", str(home_dir), "hide", posted["txn_id"],
         "--duplicate-of", pending["txn_id"]])


def test_the_text_output_prints_the_command_under_the_line(cli, tmp_path, home_dir) -> None:  # type: ignore[no-untyped-def]
    early, later = tmp_path / "early.csv", tmp_path / "later.csv"
    early.write_text(EARLY, encoding="utf-8")
    later.write_text(LATER, encoding="utf-8")
    assert cli("import", str(early)).exit_code == 0
    result = cli("import", str(later))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    at = next(i for i, line in enumerate(lines) if "≈ stored 2024-03-18" in line)
    assert "line 4: 2024-03-20 AMAZON MKTPLACE PMTS AMZN.COM/BILL WA" in lines[at]
    command = lines[at + 1].strip()
    assert command.startswith(f"moneystory --home {home_dir} hide ")
    assert "--duplicate-of" in command
    assert _run(cli, command).exit_code == 0  # the printed command works as it stands
    (entry,) = _json(cli, "hide")["hidden"]
    listed = cli("hide").stdout  # both ids in full: they are typed back
    assert f"{entry['txn_id']}  2024-03-20  chase  -$64.99  AMAZON" in listed
    assert f"duplicate of {entry['duplicate_of']} · hidden " in listed


def test_a_dry_run_suggests_but_prints_no_command(cli, exports) -> None:  # type: ignore[no-untyped-def]
    _import(cli, exports[0])
    result = cli("import", str(exports[1]), "--dry-run", "--json")
    (body,) = json.loads(result.stdout)["imports"]
    (dup,) = body["possible_duplicates"]
    assert dup["txn_id"] and dup["hide_command"] is None  # the row is not in the store
    assert " hide " not in cli("import", str(exports[1]), "--dry-run").stdout


# --------------------------------------------------------------------- hide and its effects
def test_hide_drops_exactly_that_row_and_unhide_restores_it(cli, exports) -> None:  # type: ignore[no-untyped-def]
    dup = _suggestion(cli, exports)
    before = _totals(cli)
    assert before[0] == 5 and before[2] == 5
    assert _run(cli, dup["hide_command"]).exit_code == 0
    after = _totals(cli)
    assert after == (before[0] - 1, before[1] - DUPLICATE_AMOUNT,
                     before[2] - 1, before[3] + DUPLICATE_AMOUNT)
    ids = {r["txn_id"] for r in _json(cli, "transactions")["transactions"]}
    assert dup["txn_id"] not in ids and dup["stored_txn_id"] in ids  # the copy kept stays
    unhidden = _json(cli, "unhide", dup["txn_id"][:6])["unhidden"]  # a prefix is enough
    assert [e["txn_id"] for e in unhidden] == [dup["txn_id"]]
    assert _totals(cli) == before


def test_the_decision_is_kept_private_and_versioned(cli, exports, home_dir) -> None:  # type: ignore[no-untyped-def]
    dup = _suggestion(cli, exports)
    body = _json(cli, "hide", dup["txn_id"], "--duplicate-of", dup["stored_txn_id"][:8])
    (entry,) = body["hidden"]
    assert entry["duplicate_of"] == dup["stored_txn_id"]
    assert entry["reason"] == f"duplicate of {dup['stored_txn_id']}"
    assert entry["amount"] == DUPLICATE_AMOUNT and entry["date"] == "2024-03-20"
    file = home_dir / "state" / "hidden.json"
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    saved = json.loads(file.read_text(encoding="utf-8"))
    assert saved["version"] == 1
    (kept,) = saved["hidden"]
    assert {"txn_id", "hidden_at", "reason"} <= set(kept)
    assert kept["amount"] == "-64.9900"  # exact, as text
    # hiding it again changes nothing and says so
    again = _json(cli, "hide", dup["txn_id"], "--reason", "other")
    assert again["hidden"] == [] and again["already_hidden"][0]["reason"] == entry["reason"]
    assert json.loads(file.read_text(encoding="utf-8")) == saved


def test_reimport_after_hide_adds_nothing_and_keeps_it_hidden(cli, exports) -> None:  # type: ignore[no-untyped-def]
    dup = _suggestion(cli, exports)
    assert _run(cli, dup["hide_command"]).exit_code == 0
    counted = _totals(cli)
    again = _import(cli, *exports)
    assert [r["added"] for r in again] == [0, 0]
    assert [r["duplicates"] for r in again] == [3, 4]  # dedup still sees the hidden row
    assert _totals(cli) == counted
    assert [e["txn_id"] for e in _json(cli, "hide")["hidden"]] == [dup["txn_id"]]


def test_an_undone_import_is_listed_and_hidden_again_when_reimported(cli, exports) -> None:  # type: ignore[no-untyped-def]
    dup = _suggestion(cli, exports)
    assert _run(cli, dup["hide_command"]).exit_code == 0
    second = _json(cli, "imports")["imports"][1]["import_id"]
    assert cli("imports", "undo", second).exit_code == 0
    (listed,) = _json(cli, "hide")["hidden"]
    assert listed["in_store"] is False
    assert "· import undone" in cli("hide").stdout
    (back,) = _import(cli, exports[1])
    assert back["added"] == 2  # the posted row is back in the store ...
    ids = {r["txn_id"] for r in _json(cli, "transactions")["transactions"]}
    assert dup["txn_id"] not in ids  # ... and still hidden: its txn_id is deterministic
    assert _json(cli, "hide")["hidden"][0]["in_store"] is True


def test_a_cached_review_is_recomputed_after_a_hide(cli, exports, home_dir) -> None:  # type: ignore[no-untyped-def]
    dup = _suggestion(cli, exports)
    home = resolve_home(home_dir)
    paths = Store(home).batch_paths()
    print_before = analysis.fingerprint(home, paths)
    first = _json(cli, "review", "2024")
    assert list(home.cache.glob("report-*.json")), "the review was kept in the cache"
    assert _json(cli, "review", "2024") == first  # read back from the cache
    assert _run(cli, dup["hide_command"]).exit_code == 0
    assert analysis.fingerprint(home, paths) != print_before
    # the key facts do not depend on what is hidden: a hide does not redo the string work
    assert analysis.fingerprint(home, paths, with_hidden=False) == print_before
    hidden_review = _json(cli, "review", "2024")
    assert hidden_review["spending"] == first["spending"] + DUPLICATE_AMOUNT
    assert hidden_review["transactions"] == first["transactions"] - 1
    assert cli("unhide", dup["txn_id"]).exit_code == 0
    assert analysis.fingerprint(home, paths) == print_before  # nothing hidden: as before
    assert _json(cli, "review", "2024") == first


def test_every_read_path_leaves_hidden_rows_out(cli, exports, home_dir) -> None:  # type: ignore[no-untyped-def]
    dup = _suggestion(cli, exports)
    home = resolve_home(home_dir)
    lf = Store(home).scan()
    assert hidden.without_hidden(home, lf) is lf  # nothing hidden: not even a filter
    assert _run(cli, dup["hide_command"]).exit_code == 0
    for cache in home.cache.glob("*.parquet"):
        cache.unlink()
    whole = analysis.transactions(home).collect()
    window = analysis.transactions(home, start=date(2024, 3, 19), end=date(2024, 3, 21)).collect()
    narrow = analysis.transactions(home, start=date(2024, 3, 1), end=date(2024, 3, 31),
                                   keep_window=False, columns=["txn_id", "amount"]).collect()
    for frame in (whole, window, narrow):
        assert dup["txn_id"] not in frame["txn_id"].to_list()
    assert dup["stored_txn_id"] in whole["txn_id"].to_list()  # the copy kept is read
    assert whole.height == 4 and narrow.height == 4 and window.height == 1  # Netflix, 03-19
    assert window["txn_id"].to_list() == whole.filter(
        pl.col("date").is_between(date(2024, 3, 19), date(2024, 3, 21)))["txn_id"].to_list()


def test_show_hidden_marks_them(cli, exports) -> None:  # type: ignore[no-untyped-def]
    dup = _suggestion(cli, exports)
    assert _run(cli, dup["hide_command"]).exit_code == 0
    rows = _json(cli, "transactions", "--show-hidden")["transactions"]
    assert len(rows) == 5
    assert [r["txn_id"] for r in rows if r["hidden"]] == [dup["txn_id"]]
    (marked,) = [r for r in rows if r["hidden"]]
    assert marked["merchant"] == "Amazon" and marked["amount"] == DUPLICATE_AMOUNT
    assert "hidden" not in _json(cli, "transactions")["transactions"][0]
    # filters apply to the hidden rows too
    assert _json(cli, "transactions", "--show-hidden", "--to", "2024-03-19")["transactions"] \
        and all(not r["hidden"] for r in _json(cli, "transactions", "--show-hidden", "--to",
                                                "2024-03-19")["transactions"])
    text = cli("transactions", "--show-hidden").stdout
    assert dup["txn_id"] in text and "hidden Amazon" in text
    assert "5 transactions, 1 of them hidden" in text
    plain = cli("transactions").stdout
    assert dup["txn_id"] not in plain and "4 transactions (and 1 hidden in the store" in plain
    assert dup["stored_txn_id"] in cli("transactions", "--ids").stdout


def test_review_and_accounts_say_that_rows_are_left_out(cli, exports) -> None:  # type: ignore[no-untyped-def]
    dup = _suggestion(cli, exports)
    note = "1 hidden transaction is left out"
    for command in (("review", "2024"), ("accounts",)):
        assert note not in cli(*command).stdout  # nothing hidden yet: no note
    assert _run(cli, dup["hide_command"]).exit_code == 0
    for command in (("review", "2024"), ("accounts",)):
        text = cli(*command).stdout
        assert note in text and " hide` lists them" in text, text
    assert note not in cli("review", "2024", "--json").stdout  # the JSON is the model alone


# -------------------------------------------------------------------------------- mistakes
def _one_sentence(result: Any) -> str:
    assert result.exit_code == 1, result.output
    assert result.stdout == "" and "Traceback" not in result.output
    (line,) = result.stderr.strip().splitlines()
    return line


def test_unknown_and_ambiguous_ids_are_one_sentence(cli, exports, home_dir) -> None:  # type: ignore[no-untyped-def]
    dup = _suggestion(cli, exports)
    line = _one_sentence(cli("hide", "777"))
    assert "no transaction with id '777'" in line and "transactions --ids" in line
    assert "no transaction with id '777'" in _one_sentence(cli("unhide", "777"))
    assert "is not hidden" in _one_sentence(cli("unhide", dup["txn_id"]))
    assert "is the start of 5" in _one_sentence(cli("hide", ""))
    line = _one_sentence(cli("hide", dup["txn_id"], "--duplicate-of", "777"))
    assert "777" in line
    assert "duplicate of itself" in _one_sentence(
        cli("hide", dup["txn_id"], "--duplicate-of", dup["txn_id"]))
    # an unknown id among good ones: all or nothing
    _one_sentence(cli("hide", dup["txn_id"], "777"))
    assert not (home_dir / "state" / "hidden.json").exists()
    assert _json(cli, "hide") == {"hidden": []}


def test_the_copy_to_keep_cannot_be_hidden_too(cli, exports) -> None:  # type: ignore[no-untyped-def]
    dup = _suggestion(cli, exports)
    assert _run(cli, dup["hide_command"]).exit_code == 0
    line = _one_sentence(cli("hide", dup["stored_txn_id"], "--duplicate-of", dup["txn_id"]))
    assert "is hidden itself" in line and f"unhide {dup['txn_id']}" in line
    assert len(_totals(cli)) == 4 and _totals(cli)[0] == 4


def test_a_duplicate_of_another_amount_is_hidden_with_a_note(cli, exports) -> None:  # type: ignore[no-untyped-def]
    dup = _suggestion(cli, exports)
    rows = {r["description"][:6]: r for r in _json(cli, "transactions")["transactions"]}
    trader_joes = rows["TRADER"]["txn_id"]
    body = _json(cli, "hide", trader_joes, "--duplicate-of", dup["stored_txn_id"])
    assert [e["txn_id"] for e in body["hidden"]] == [trader_joes]  # the user decides
    (note,) = body["notes"]
    assert "-$87.12" in note and "-$64.99" in note and "differ in amount;" in note
    assert _json(cli, "hide", dup["txn_id"], "--duplicate-of", dup["stored_txn_id"])[
        "notes"] == []  # same account and amount: nothing to say
    result = cli("unhide", trader_joes)
    assert result.exit_code == 0 and "Shown again" in result.stdout


def test_a_damaged_hidden_list_is_one_sentence(cli, exports, home_dir) -> None:  # type: ignore[no-untyped-def]
    _suggestion(cli, exports)
    (home_dir / "state").mkdir(exist_ok=True)
    (home_dir / "state" / "hidden.json").write_text("{not json", encoding="utf-8")
    line = _one_sentence(cli("transactions"))
    assert "hidden.json cannot be read" in line and "delete it" in line


def test_hide_without_ids_lists_and_options_need_an_id(cli, exports) -> None:  # type: ignore[no-untyped-def]
    _suggestion(cli, exports)
    assert "No hidden transactions" in cli("hide").stdout
    result = cli("hide", "--duplicate-of", "1")
    assert result.exit_code == 2 and "need the id" in result.stderr
