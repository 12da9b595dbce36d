"""`recurring` and `card-changed` end to end, against a store written batch by batch."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from card_scenario import CHANGED_ON, scenario_frame
from moneystory import cards
from moneystory.paths import resolve_home
from store_helpers import write_batch

BEFORE = date(2023, 6, 30)


@pytest.fixture(name="store")
def _store(home_dir: Path) -> Path:
    """The card scenario up to the end of June 2023 (the replacement happened on June 10)."""
    write_batch(home_dir, scenario_frame().filter(pl.col("date") <= BEFORE), "june.csv")
    return home_dir


def _second_import(home_dir: Path) -> str:
    return write_batch(home_dir, scenario_frame().filter(pl.col("date") > BEFORE), "aug.csv")


def _merchants(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {m["merchant"]: m for m in doc["merchants"]}


def test_recurring_json_has_the_contract_fields(store: Path, cli_json) -> None:  # type: ignore[no-untyped-def]
    doc = cli_json("recurring")
    fields = {"merchant", "account_id", "card_last4", "cadence", "typical_amount",
              "last_amount", "first_date", "last_date", "next_date", "occurrences", "active",
              "status", "category"}
    assert doc["streams"], doc
    for stream in doc["streams"]:
        assert fields <= set(stream)
        assert stream["active"] is True
        assert stream["status"] in ("early", "mature")
    netflix = next(s for s in doc["streams"] if s["merchant"] == "Netflix")
    assert netflix["cadence"] == "monthly" and netflix["typical_amount"] == -15.49
    assert netflix["next_date"] == "2023-07-15"  # the anchor day, not the weekend-shifted one
    assert "Hulu" not in {s["merchant"] for s in doc["streams"]}
    everything = cli_json("recurring", "--all")
    hulu = next(s for s in everything["streams"] if s["merchant"] == "Hulu")
    assert (hulu["status"], hulu["active"]) == ("lapsed", False)


def test_recurring_table_shows_yearly_total(store: Path, cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("recurring", "--account", "visa")
    assert result.exit_code == 0, result.output
    assert "Netflix" in result.stdout and "a year" in result.stdout
    assert "Landlord" not in result.stdout


def test_end_and_dismiss_survive_reimport(store: Path, cli, cli_json) -> None:  # type: ignore[no-untyped-def]
    stream_id = next(s["stream_id"] for s in cli_json("recurring")["streams"]
                     if s["merchant"] == "Duolingo")
    result = cli("recurring", "end", stream_id[:5])
    assert result.exit_code == 0, result.output
    assert "ended" in result.stdout
    _second_import(store)
    doc = cli_json("recurring", "--all")
    duolingo = next(s for s in doc["streams"] if s["merchant"] == "Duolingo")
    assert (duolingo["status"], duolingo["user_state"], duolingo["active"]) == (
        "ended", "ended", False)
    assert "Duolingo" not in _merchants(cli_json("card-changed", "--card", "1111",
                                                 "--as-of", "2023-06-09"))
    assert "Duolingo" not in {s["merchant"] for s in cli_json("recurring")["streams"]}
    state = json.loads((store / "state" / "recurring.json").read_text())
    assert state["streams"][duolingo["stream_id"]]["state"] == "ended"


def test_unknown_stream_id_is_a_usage_error(store: Path, cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("recurring", "dismiss", "zzzz")
    assert result.exit_code == 2
    assert "recurring --all" in result.stderr


def test_card_changed_asks_which_card_when_there_are_several(store: Path, cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("card-changed")
    assert result.exit_code == 2
    assert "••1111" in result.stderr and "••4242" in result.stderr and "--card" in result.stderr
    assert "Traceback" not in result.output


def test_card_changed_json_lists_holders_most_urgent_first(store: Path, cli_json) -> None:  # type: ignore[no-untyped-def]
    doc = cli_json("card-changed", "--card", "1111", "--as-of", "2023-06-09")
    assert (doc["card"], doc["account_id"], doc["as_of"]) == ("1111", "visa", "2023-06-09")
    first = doc["merchants"][0]
    assert set(first) >= {"merchant", "reason", "cadence", "last_date", "last_amount",
                          "next_date"}
    scheduled = [m for m in doc["merchants"] if m["reason"] != "card_on_file"]
    assert [m["next_date"] for m in scheduled] == sorted(m["next_date"] for m in scheduled)
    by_name = _merchants(doc)
    assert by_name["Netflix"]["reason"] == "subscription"
    assert by_name["Netflix"]["next_date"] == "2023-06-15"
    assert by_name["Amazon"]["reason"] == "card_on_file"
    assert by_name["Amazon"]["next_date"] is None
    assert "Fresh Market" not in by_name and "Hulu" not in by_name


def test_card_changed_exports(store: Path, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    args = ("card-changed", "--card", "1111", "--as-of", "2023-06-09")
    markdown = cli(*args, "--markdown")
    assert markdown.exit_code == 0, markdown.output
    assert "- [ ] **Netflix**" in markdown.stdout and "## Card on file" in markdown.stdout
    csv_out = cli(*args, "--csv")
    header, *lines = csv_out.stdout.splitlines()
    assert header.startswith("merchant,reason,cadence,last_date,last_amount,next_date")
    assert any(line.startswith("Netflix,subscription,monthly,2023-05-15,-15.49,2023-06-15")
               for line in lines)
    ics = tmp_path / "reminders.ics"
    result = cli(*args, "--ics", str(ics))
    assert result.exit_code == 0, result.output
    from icalendar import Calendar

    events = Calendar.from_ical(ics.read_bytes()).walk("VEVENT")
    starts = {str(e["SUMMARY"]): e.decoded("DTSTART") for e in events}
    assert starts["Update card ••1111 at Netflix"] == date(2023, 6, 15)
    assert all(e.walk("VALARM") for e in events)
    assert not any("Amazon" in s for s in starts)  # no expected date, no reminder


def test_replacement_tracking_and_import_notices(store: Path, cli, cli_json) -> None:  # type: ignore[no-untyped-def]
    result = cli("card-changed", "--new", "4242", "--old", "1111", "--on",
                 CHANGED_ON.isoformat())
    assert result.exit_code == 0, result.output
    assert "Recorded the replacement" in result.stdout
    record = json.loads((store / "state" / "cards.json").read_text())
    assert record["replacements"][0]["old"] == "1111"
    assert record["replacements"][0]["new"] == "4242"
    early = _merchants(cli_json("card-changed", "status"))
    assert early["Netflix"]["state"] == "updated"
    assert early["Spotify"]["state"] == "pending"
    import_id = _second_import(store)
    notices = cards.import_notices(resolve_home(store), [import_id])
    print("\n".join(notices))
    assert any(line.startswith("Amazon moved to card ••4242 (") for line in notices)
    assert any(line.startswith("Spotify seems to have stopped") for line in notices)
    assert any(line.startswith("Iron Gym is overdue") for line in notices)
    assert cards.import_notices(resolve_home(store), [import_id]) == []  # said once
    doc = cli_json("card-changed", "status")
    states = {m["merchant"]: m["state"] for m in doc["merchants"]}
    assert states["Amazon"] == "updated" and states["Spotify"] == "stopped"
    assert states["Aqua Water"] == "overdue" and states["Safe Insurance"] == "pending"
    assert doc["progress"]["updated"] == sum(1 for s in states.values() if s == "updated")
    assert doc["progress"]["total"] == len(states)
    text = cli("card-changed", "status")
    assert f"{doc['progress']['updated']} of {doc['progress']['total']} updated" in text.stdout
    assert "What to do next" in text.stdout


def test_status_without_replacement_says_how_to_start(store: Path, cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("card-changed", "status")
    assert result.exit_code == 2
    assert "--new LAST4" in result.stderr


def test_bad_dates_and_card_numbers_are_usage_errors(store: Path, cli) -> None:  # type: ignore[no-untyped-def]
    assert cli("card-changed", "--card", "1111", "--as-of", "June").exit_code == 2
    assert cli("card-changed", "--new", "42").exit_code == 2
    assert cli("card-changed", "--card", "9999").exit_code == 2
    assert cli("recurring", "--as-of", "2023-13-01").exit_code == 2


def test_empty_store(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("recurring")
    assert result.exit_code == 0
    assert "No recurring payments" in result.stdout
    empty = cli("card-changed")
    assert empty.exit_code == 1
    assert "moneystory import" in empty.stderr


def test_confirm_and_dismiss(store: Path, cli, cli_json) -> None:  # type: ignore[no-untyped-def]
    streams = {s["merchant"]: s["stream_id"] for s in cli_json("recurring")["streams"]}
    assert cli("recurring", "confirm", streams["Netflix"]).exit_code == 0
    assert cli("recurring", "dismiss", streams["Cloud Backup"]).exit_code == 0
    shown = {s["merchant"]: s for s in cli_json("recurring")["streams"]}
    assert shown["Netflix"]["user_state"] == "confirmed" and shown["Netflix"]["active"]
    assert "Cloud Backup" not in shown
    hidden = {s["merchant"]: s for s in cli_json("recurring", "--all")["streams"]}
    assert hidden["Cloud Backup"]["user_state"] == "dismissed"
    listed = _merchants(cli_json("card-changed", "--card", "1111", "--as-of", "2023-06-09"))
    assert "Cloud Backup" not in listed and "Netflix" in listed


def test_card_changed_by_account(store: Path, cli_json) -> None:  # type: ignore[no-untyped-def]
    doc = cli_json("card-changed", "--account", "checking", "--as-of", "2023-06-09")
    assert (doc["card"], doc["account_id"]) == (None, "checking")
    assert [m["merchant"] for m in doc["merchants"]] == ["Landlord"]


def _capital_one_csv(path: Path, rows: list[tuple[date, str, str, str]]) -> Path:
    """A Capital One-style export: (date, card, description, debit)."""
    lines = ["Transaction Date,Posted Date,Card No.,Description,Category,Debit,Credit"]
    lines += [f"{d},{d},{card},{text},Merchandise,{debit}," for d, card, text, debit in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_import_says_when_a_merchant_moves_to_the_new_card(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    months = [date(2023, m, 9) for m in range(1, 7)]
    before = [(d, "4417", "NETFLIX.COM", "15.49") for d in months]
    before += [(d.replace(day=17), "4417", "SPOTIFY USA", "10.99") for d in months]
    first = cli("import", str(_capital_one_csv(tmp_path / "h1.csv", before)))
    assert first.exit_code == 0, first.output
    recorded = cli("card-changed", "--new", "8823", "--old", "4417", "--on", "2023-06-20")
    assert recorded.exit_code == 0, recorded.output
    after = [(date(2023, 7, 9), "8823", "NETFLIX.COM", "15.49")]
    second = cli("import", str(_capital_one_csv(tmp_path / "july.csv", after)))
    assert second.exit_code == 0, second.output
    assert "moved to card ••8823 (1 of 2 updated)" in second.stdout
