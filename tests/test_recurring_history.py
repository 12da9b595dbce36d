"""`recurring --all` over a decade, and decisions that outlive price rises and window moves."""

from __future__ import annotations

import json
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl

sys.path.insert(0, str(Path(__file__).parent))

from gen_history import add_months, business_day, frame, row
from moneystory import analysis, recurring_state
from moneystory.analyzers.recurring import COLUMNS, find_streams, legacy_stream_id
from moneystory.paths import resolve_home
from store_helpers import write_batch
from test_recurring_window import _calls  # noqa: F401  (the `calls` fixture)


def monthly(merchant: str, start: date, months: int, amount: str, day: int,
            account: str = "visa") -> list[Any]:
    return [row(account, business_day(add_months(start, k, day)), amount, merchant)
            for k in range(months)]


def decade() -> list[Any]:
    """2014-2023: Netflix ended in 2016 and came back in 2021, a gym ended in December 2020
    (one charge inside the three-year window), Spotify ran throughout, with a price rise."""
    rows = monthly("Netflix", date(2014, 3, 1), 30, "-7.99", 12)  # to 2016-08
    rows += monthly("Netflix", date(2021, 5, 1), 32, "-15.49", 12)  # back, to 2023-12
    rows += monthly("Iron Gym", date(2016, 1, 1), 60, "-39.99", 5)  # to 2020-12
    rows += monthly("Spotify", date(2014, 1, 1), 80, "-9.99", 20)
    rows += monthly("Spotify", date(2020, 9, 1), 40, "-10.99", 20)  # to 2023-12
    return rows


def _by_merchant(doc: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for s in doc["streams"]:
        out.setdefault(s["merchant"], []).append(s)
    return out


def test_all_shows_every_stream_of_a_decade_with_its_end(home_dir: Path, cli_json,  # type: ignore[no-untyped-def]
                                                         calls: list[dict[str, Any]]) -> None:
    write_batch(home_dir, frame(decade()), "decade.csv")
    default = _by_merchant(cli_json("recurring"))
    assert calls == [{"start": date(2020, 12, 1), "end": date(2023, 12, 20)}]  # window only
    assert set(default) == {"Netflix", "Spotify"} and len(default["Netflix"]) == 1
    calls.clear()
    everything = _by_merchant(cli_json("recurring", "--all"))
    assert calls[1:] == [{"end": date(2022, 1, 5), "keep_window": False,  # for --all only
                          "columns": COLUMNS}]
    old_netflix, new_netflix = sorted(everything["Netflix"], key=lambda s: s["first_date"])
    assert (old_netflix["first_date"], old_netflix["last_date"]) == ("2014-03-12", "2016-08-12")
    assert old_netflix["status"] == "lapsed" and not old_netflix["active"]
    assert old_netflix["typical_amount"] == -7.99
    (gym,) = everything["Iron Gym"]
    assert (gym["first_date"], gym["last_date"], gym["occurrences"]) == (
        "2016-01-05", "2020-12-07", 60)
    assert len(everything["Spotify"]) == 1  # the window's stream, not again from before it
    # asking for more changes no id, and a stream that began before the window is seen whole
    assert new_netflix == default["Netflix"][0]
    spotify, in_window = everything["Spotify"][0], default["Spotify"][0]
    whole = ("first_date", "occurrences", "txn_ids", "gaps_days", "price_changes")
    assert {k: v for k, v in spotify.items() if k not in whole} == {
        k: v for k, v in in_window.items() if k not in whole}
    assert (spotify["first_date"], in_window["first_date"]) == ("2014-01-20", "2020-12-21")
    assert (spotify["occurrences"], len(spotify["txn_ids"]), len(spotify["gaps_days"])) == (
        120, 120, 119)
    assert spotify["txn_ids"][-37:] == in_window["txn_ids"]
    assert spotify["price_changes"] == [
        {"date": "2020-09-21", "old_amount": 9.99, "new_amount": 10.99}]
    ids = [s["stream_id"] for streams in everything.values() for s in streams]
    assert len(ids) == len(set(ids)) == 4


def test_an_old_stream_can_be_ended_and_stays_ended(home_dir: Path, cli, cli_json) -> None:  # type: ignore[no-untyped-def]
    write_batch(home_dir, frame(decade()), "decade.csv")
    gym = _by_merchant(cli_json("recurring", "--all"))["Iron Gym"][0]
    result = cli("recurring", "end", gym["stream_id"])
    assert result.exit_code == 0, result.output
    again = _by_merchant(cli_json("recurring", "--all"))["Iron Gym"][0]
    assert (again["stream_id"], again["status"], again["user_state"]) == (
        gym["stream_id"], "ended", "ended")


def test_the_default_view_equals_the_window_alone(home_dir: Path) -> None:
    write_batch(home_dir, frame(decade()), "decade.csv")
    home = resolve_home(home_dir)
    report = recurring_state.report(home)
    lf = analysis.transactions(home, start=date(2020, 12, 1), end=date(2023, 12, 20))
    assert [s.model_dump() for s in report.streams] == [
        s.model_dump() for s in find_streams(lf) if s.active]


# ------------------------------------------------------------------- decisions that last
def _netflix_until(end: date) -> list[Any]:
    """Netflix from 2021 at 10.99, 12.99 from 2022 (one stream: a rise under 30 %)."""
    rows = monthly("Netflix", date(2021, 1, 1), 12, "-10.99", 15)
    rows += monthly("Netflix", date(2022, 1, 1), 48, "-12.99", 15)
    rows += monthly("Apple", date(2021, 1, 1), 60, "-2.99", 3)
    return [r for r in rows if r.date <= end]


def _streams(cli_json: Any) -> dict[str, dict[str, Any]]:
    return {s["merchant"]: s for s in cli_json("recurring", "--all")["streams"]}


def test_a_decision_survives_a_price_rise_leaving_the_window(home_dir: Path, cli,  # type: ignore[no-untyped-def]
                                                             cli_json) -> None:
    write_batch(home_dir, frame(_netflix_until(date(2023, 6, 30))), "first.csv")
    before = _streams(cli_json)["Netflix"]
    assert before["first_date"] == "2021-01-15"  # the 10.99 charges are in the window
    assert cli("recurring", "confirm", before["stream_id"]).exit_code == 0
    rest = [r for r in _netflix_until(date(2025, 12, 31)) if r.date > date(2023, 6, 30)]
    write_batch(home_dir, frame(rest), "later.csv")
    (in_window,) = [s for s in cli_json("recurring")["streams"] if s["merchant"] == "Netflix"]
    assert in_window["first_date"] == "2022-12-15"  # the window moved past the old price
    after = _streams(cli_json)["Netflix"]
    assert after["first_date"] == "2021-01-15"  # --all: the whole stream, from before it
    assert after["stream_id"] == in_window["stream_id"] == before["stream_id"]
    assert after["user_state"] == in_window["user_state"] == "confirmed"


def test_decisions_under_the_old_id_form_still_apply_and_are_migrated(  # type: ignore[no-untyped-def]
        home_dir: Path, cli, cli_json) -> None:
    write_batch(home_dir, frame(_netflix_until(date(2023, 6, 30))), "first.csv")
    netflix = _streams(cli_json)["Netflix"]
    # what the previous version stored: the id held the window's first amount
    old_id = legacy_stream_id("visa", "netflix", "out", "USD", Decimal("-10.99"))
    assert old_id != netflix["stream_id"]
    state = home_dir / "state" / "recurring.json"
    state.parent.mkdir(parents=True, exist_ok=True)
    state.write_text(json.dumps({"version": 1, "streams": {old_id: {
        "state": "dismissed", "merchant": "Netflix", "account_id": "visa",
        "at": "2023-07-01T10:00:00+00:00"}}}))
    assert _streams(cli_json)["Netflix"]["user_state"] == "dismissed"
    rest = [r for r in _netflix_until(date(2025, 12, 31)) if r.date > date(2023, 6, 30)]
    write_batch(home_dir, frame(rest), "later.csv")
    assert _streams(cli_json)["Netflix"]["user_state"] == "dismissed"  # window moved too
    apple = _streams(cli_json)["Apple"]
    assert cli("recurring", "confirm", apple["stream_id"]).exit_code == 0  # writes the file
    stored = json.loads(state.read_text())
    assert stored["version"] == 2
    assert set(stored["streams"]) == {netflix["stream_id"], apple["stream_id"]}
    moved = stored["streams"][netflix["stream_id"]]
    assert moved["state"] == "dismissed" and moved["evidence"]
    assert _streams(cli_json)["Netflix"]["user_state"] == "dismissed"


def test_two_plans_at_one_merchant_keep_their_ids_and_decisions(home_dir: Path, cli,  # type: ignore[no-untyped-def]
                                                                cli_json) -> None:
    cheap = monthly("Apple", date(2022, 1, 1), 24, "-2.99", 3)
    music = monthly("Apple", date(2022, 1, 1), 18, "-10.99", 21)
    write_batch(home_dir, frame(cheap[:18] + music), "first.csv")
    first = sorted(cli_json("recurring")["streams"], key=lambda s: s["typical_amount"])
    assert [s["typical_amount"] for s in first] == [-10.99, -2.99]
    assert first[0]["stream_id"] != first[1]["stream_id"]
    assert cli("recurring", "dismiss", first[1]["stream_id"]).exit_code == 0
    risen = monthly("Apple", date(2023, 7, 1), 6, "-12.99", 21)  # Apple Music goes up
    write_batch(home_dir, frame(cheap[18:] + risen), "later.csv")
    later = {s["stream_id"]: s for s in cli_json("recurring", "--all")["streams"]}
    assert set(later) == {s["stream_id"] for s in first}
    assert later[first[0]["stream_id"]]["typical_amount"] == -12.99
    assert later[first[0]["stream_id"]]["user_state"] is None
    assert later[first[1]["stream_id"]]["user_state"] == "dismissed"


def _apple(until: date) -> list[Any]:
    """iCloud at 0.99 until mid-2020, Apple Music at 10.99 throughout: two plans, one merchant."""
    rows = monthly("Apple", date(2018, 1, 1), 30, "-0.99", 3)
    rows += monthly("Apple", date(2018, 1, 1), 84, "-10.99", 21)
    return [r for r in rows if r.date <= until]


def test_an_id_passed_to_a_sibling_at_another_price_does_not_take_its_decision() -> None:
    then = find_streams(frame(_apple(date(2020, 6, 30))).lazy())
    icloud = next(s for s in then if s.typical_amount == Decimal("-0.99"))
    decisions = {icloud.stream_id: {"state": "dismissed", "merchant": "Apple",
                                    "account_id": "visa", "at": "2020-07-01T00:00:00+00:00",
                                    "evidence": icloud.txn_ids[-3:], "amount": "0.99"}}
    later = frame(_apple(date(2024, 12, 31)))
    window = later.filter(pl.col("date") >= recurring_state.history_start(date(2024, 12, 21)))
    (music,) = find_streams(window.lazy())  # iCloud left the window: Music has its id now
    assert music.stream_id == icloud.stream_id
    assert recurring_state.apply_decisions([music], decisions)[0].user_state is None
    everything = find_streams(later.lazy())  # with iCloud in view, its evidence finds it
    states = {s.typical_amount: s.user_state
              for s in recurring_state.apply_decisions(everything, decisions)}
    assert states == {Decimal("-0.99"): "dismissed", Decimal("-10.99"): None}


def test_a_decision_kept_fresh_by_recurring_follows_its_stream(home_dir: Path, cli,  # type: ignore[no-untyped-def]
                                                               cli_json) -> None:
    write_batch(home_dir, frame(_apple(date(2020, 6, 30))), "first.csv")
    music = next(s for s in cli_json("recurring")["streams"] if s["typical_amount"] == -10.99)
    assert cli("recurring", "confirm", music["stream_id"]).exit_code == 0
    for year in (2021, 2022, 2023, 2024):  # a statement a year, `recurring` looked at each time
        write_batch(home_dir, frame([r for r in _apple(date(year, 12, 31))
                                     if r.date.year == year or (year == 2021 and r.date >
                                                                date(2020, 6, 30))]))
        (now,) = [s for s in cli_json("recurring", "--all")["streams"]
                  if s["typical_amount"] == -10.99]
        assert now["user_state"] == "confirmed", year
    assert now["stream_id"] != music["stream_id"]  # iCloud's end moved it to the plain id
    stored = json.loads((home_dir / "state" / "recurring.json").read_text())["streams"]
    assert stored[now["stream_id"]]["evidence"] == now["txn_ids"][-3:]


def test_a_legacy_decision_without_its_old_id_is_found_by_merchant_and_account() -> None:
    streams = find_streams(frame(_netflix_until(date(2025, 12, 31))).lazy())
    decisions = {"0badc0de": {"state": "ended", "merchant": "Netflix", "account_id": "visa",
                              "at": "2023-07-01T10:00:00+00:00"}}
    states = {s.merchant: s.user_state
              for s in recurring_state.apply_decisions(streams, decisions)}
    assert states == {"Netflix": "ended", "Apple": None}
    two_on_one_account = find_streams(frame(_apple(date(2020, 6, 30))).lazy())
    unsure = {"0badc0de": {**decisions["0badc0de"], "merchant": "Apple"}}
    assert all(s.user_state is None
               for s in recurring_state.apply_decisions(two_on_one_account, unsure))
