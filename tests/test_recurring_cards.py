"""A subscription that stopped before the card was lost is not urgent: it is listed last, as
stopped, never as a card-on-file shop, and it does not count in "X of Y updated"."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import polars as pl
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from card_scenario import CHANGED_ON, LIST_AS_OF, NEW, OLD, STATUS_AS_OF, scenario_rows
from gen_history import add_months, frame, row
from moneystory.analyzers.bnpl import BnplReport
from moneystory.analyzers.card_holders import (
    CardHolderReport,
    card_holders,
    track_replacement,
)
from moneystory.analyzers.recurring import find_streams

STATEMENTS = Path(__file__).resolve().parents[1] / "examples" / "statements"


def _rows(*, patreon_last: date) -> pl.DataFrame:
    """The card scenario plus Patreon, monthly on the 1st on card ••1111 until `patreon_last`."""
    rows = scenario_rows()
    rows += [row("visa", d, "-5.00", "Patreon", card=OLD, description="PATREON* MEMBERSHIP")
             for d in (add_months(date(2022, 3, 1), k, 1) for k in range(24))
             if d <= patreon_last]
    return frame(rows)


def _holders(data: pl.DataFrame, as_of: date = LIST_AS_OF) -> CardHolderReport:
    lf = data.lazy()
    return card_holders(lf.filter(pl.col("date") <= as_of), card=OLD, account_ids=["visa"],
                        as_of=as_of, streams=find_streams(lf, as_of), bnpl=BnplReport())


def test_a_subscription_stopped_before_the_list_day_comes_last_as_stopped() -> None:
    report = _holders(_rows(patreon_last=date(2023, 4, 1)))
    patreon = report.merchants[-1]
    assert (patreon.merchant, patreon.reason, patreon.state) == (
        "Patreon", "subscription", "stopped")
    assert patreon.next_date is None and patreon.last_date == date(2023, 4, 1)
    assert [h.merchant for h in report.merchants].count("Patreon") == 1  # not a shop too
    assert "Hulu" not in [h.merchant for h in report.merchants]  # stopped over a year ago
    assert all(h.state is None for h in report.merchants[:-1])


def test_a_live_subscription_is_not_marked_stopped() -> None:
    report = _holders(_rows(patreon_last=date(2023, 6, 1)))  # June's charge came
    patreon = next(h for h in report.merchants if h.merchant == "Patreon")
    assert (patreon.reason, patreon.state, patreon.next_date) == (
        "subscription", None, date(2023, 7, 1))


def test_after_the_replacement_it_stays_stopped_and_out_of_the_count() -> None:
    data = _rows(patreon_last=date(2023, 4, 1))
    holders = _holders(data, CHANGED_ON.replace(day=CHANGED_ON.day - 1))
    status = track_replacement(data.lazy(), holders, new_card=NEW, new_account_ids=["visa"],
                               changed_on=CHANGED_ON, as_of=STATUS_AS_OF)
    states = {h.merchant: h for h in status.merchants}
    assert states["Patreon"].state == "stopped"
    assert "before the change" in (states["Patreon"].note or "")
    assert status.total == len(status.merchants) - 1
    assert not any(step.startswith("Patreon:") for step in status.next_steps)  # not urgent
    # and when it does charge the new card, it counts as moved
    later = frame([*scenario_rows(), row("visa", date(2023, 8, 1), "-5.00", "Patreon",
                                         card=NEW)])
    moved = track_replacement(pl.concat([data, later.filter(pl.col("merchant") == "Patreon")
                                         ]).lazy(), holders, new_card=NEW,
                              new_account_ids=["visa"], changed_on=CHANGED_ON,
                              as_of=STATUS_AS_OF)
    patreon = next(h for h in moved.merchants if h.merchant == "Patreon")
    assert patreon.state == "updated" and moved.total == len(moved.merchants)


def test_patreon_in_the_bundled_examples(cli, cli_json) -> None:  # type: ignore[no-untyped-def]
    files = sorted(STATEMENTS.glob("*")) if STATEMENTS.is_dir() else []
    if not files:
        pytest.skip(f"no bundled examples in {STATEMENTS}")
    assert cli("import", "--currency", "USD", *map(str, files)).exit_code == 0
    listed = cli_json("card-changed", "--card", "4417", "--as-of", "2023-06-11")["merchants"]
    patreon = next(m for m in listed if m["merchant"] == "Patreon")
    assert (patreon["reason"], patreon["state"], patreon["next_date"]) == (
        "subscription", "stopped", None)
    assert listed[-1] is patreon  # the least urgent
    text = cli("card-changed", "--card", "4417", "--as-of", "2023-06-11").stdout
    assert "Stopped already" in text.split("Card on file")[-1]
    markdown = cli("card-changed", "--card", "4417", "--as-of", "2023-06-11", "--markdown")
    assert "- **Patreon** (monthly, -$5.00, last 2023-05-01) — stopped" in markdown.stdout
    assert "- [ ] **Patreon**" not in markdown.stdout  # nothing to tick
    assert cli("card-changed", "--new", "8823", "--old", "4417", "--on",
               "2023-06-12").exit_code == 0
    status = cli_json("card-changed", "status")
    states = {m["merchant"]: m["state"] for m in status["merchants"]}
    assert states["Patreon"] == "stopped"  # as examples/expected.json says
    assert status["progress"]["total"] == len(states) - 1


def test_a_confirmed_stream_that_stopped_is_stopped_and_an_ended_one_is_gone() -> None:
    data = _rows(patreon_last=date(2023, 4, 1))
    lf = data.lazy()
    for state, expected in (("confirmed", ["stopped"]), ("ended", []), ("dismissed", [])):
        streams = find_streams(lf, LIST_AS_OF)
        for s in streams:
            if s.merchant == "Patreon":
                s.user_state = state
        report = card_holders(lf.filter(pl.col("date") <= LIST_AS_OF), card=OLD,
                              account_ids=["visa"], as_of=LIST_AS_OF, streams=streams,
                              bnpl=BnplReport())
        got = [h.state for h in report.merchants if h.merchant == "Patreon"]
        if state == "dismissed":  # not recurring, says the person: a shop that has the card
            got = [h.reason for h in report.merchants if h.merchant == "Patreon"]
            expected = ["card_on_file"]
        assert got == expected, state
