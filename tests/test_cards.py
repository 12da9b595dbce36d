"""The card-change list and replacement tracking (pure analyzers, frames built directly)."""

from __future__ import annotations

import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from card_scenario import (
    CHANGED_ON,
    EXPECTED_LIST,
    EXPECTED_STATES,
    LIST_AS_OF,
    NEW,
    OLD,
    STATUS_AS_OF,
    scenario_frame,
)
from moneystory.analyzers.bnpl import BnplPlan, BnplReport
from moneystory.analyzers.card_holders import (
    CardHolderReport,
    card_holders,
    track_replacement,
)
from moneystory.analyzers.recurring import find_streams


def _bnpl() -> BnplReport:
    live = BnplPlan(plan_id="k1", provider="Klarna", merchant="Shoe Shop", account_id="visa",
                    card_last4=OLD, currency="USD", confidence="high",
                    first_date=date(2023, 5, 13), last_date=date(2023, 5, 27),
                    instalments_paid=2, instalments_total=4,
                    instalment_amount=Decimal("25.00"), paid=Decimal("50.00"),
                    remaining=Decimal("50.00"), next_due=date(2023, 6, 24))
    done = live.model_copy(update={"plan_id": "k0", "merchant": "Old Shop", "remaining":
                                   Decimal(0), "next_due": None})
    return BnplReport(plans=[live, done])


def holders(as_of: date = LIST_AS_OF, *, end_duolingo: bool = True) -> CardHolderReport:
    lf = scenario_frame().lazy()
    streams = find_streams(lf, as_of)
    for s in streams:
        if end_duolingo and s.merchant == "Duolingo":
            s.user_state = "ended"
    import polars as pl

    return card_holders(lf.filter(pl.col("date") <= as_of), card=OLD, account_ids=["visa"],
                        as_of=as_of, streams=streams, bnpl=_bnpl())


def test_exact_card_change_list_before_the_replacement() -> None:
    report = holders()
    got = [(h.merchant, h.reason, h.next_date) for h in report.merchants]
    print("card-change list for ••1111 as of", LIST_AS_OF)
    for line in got:
        print("  ", line)
    assert got == EXPECTED_LIST
    netflix = report.merchants[0]
    assert (netflix.cadence, netflix.last_amount, netflix.last_date) == (
        "monthly", Decimal("-15.49"), date(2023, 5, 15))
    amazon = next(h for h in report.merchants if h.merchant == "Amazon")
    assert amazon.charges_12m == 5


def test_ended_streams_are_not_listed_but_active_ones_are() -> None:
    names = [h.merchant for h in holders(end_duolingo=False).merchants]
    assert "Duolingo" in names
    assert "Duolingo" not in [h.merchant for h in holders().merchants]
    assert "Hulu" not in names  # lapsed long ago
    assert "Fresh Market" not in names  # frequent, in person
    assert "Landlord" not in names  # another account


def test_account_mode_lists_the_current_account_streams() -> None:
    lf = scenario_frame().lazy()
    report = card_holders(lf, card=None, account_ids=["checking"], as_of=LIST_AS_OF,
                          streams=find_streams(lf, LIST_AS_OF), bnpl=BnplReport())
    assert [(h.merchant, h.reason) for h in report.merchants] == [("Landlord", "bill")]


def test_replacement_states_updated_pending_overdue_stopped() -> None:
    lf = scenario_frame().lazy()
    status = track_replacement(lf, holders(), new_card=NEW, new_account_ids=["visa"],
                               changed_on=CHANGED_ON, as_of=STATUS_AS_OF)
    got = {h.merchant: h.state for h in status.merchants}
    print("states as of", STATUS_AS_OF, got)
    assert got == EXPECTED_STATES
    assert (status.updated, status.total) == (3, 9)
    notes = {h.merchant: h.note or "" for h in status.merchants}
    assert "still charged to ••1111 on 2023-06-20" in notes["Iron Gym"]
    assert "account updater" in notes["Aqua Water"]
    assert "charged to ••4242 on 2023-06-15" in notes["Netflix"]
    assert status.next_steps[0].startswith("Iron Gym")
    assert any("Uber" in step for step in status.next_steps)


def test_everything_is_pending_right_after_the_change() -> None:
    lf = scenario_frame(until=CHANGED_ON).lazy()
    status = track_replacement(lf, holders(), new_card=NEW, new_account_ids=["visa"],
                               changed_on=CHANGED_ON, as_of=CHANGED_ON)
    assert {h.state for h in status.merchants} == {"pending"}
    assert status.updated == 0


def test_card_on_file_needs_an_online_merchant_or_a_wallet() -> None:
    import polars as pl

    from gen_history import frame, row

    days = [date(2023, 1, 5), date(2023, 3, 9), date(2023, 5, 2)]
    rows = [row("visa", d, f"-{7 + i}.25", name, card=OLD, category=cat)
            for name, cat in [("Blue Bottle", "coffee"), ("Steam", "entertainment"),
                              ("Corner Hardware", "home"), ("Deliveroo", "food_delivery")]
            for i, d in enumerate(days)]
    wallets = {"Blue Bottle": "Square", "Steam": "PayPal"}
    lf = frame(rows).lazy().with_columns(
        intermediary=pl.col("merchant").replace_strict(wallets, default=None))
    report = card_holders(lf, card=OLD, account_ids=["visa"], as_of=date(2023, 6, 1),
                          streams=[], bnpl=BnplReport())
    assert {h.merchant for h in report.merchants} == {"Steam", "Deliveroo"}
    assert all(h.reason == "card_on_file" and h.charges_12m == 3 for h in report.merchants)


def test_a_hint_names_eight_cards_and_counts_the_rest() -> None:
    import polars as pl

    from moneystory.cards import _choices

    cards = {f"{1000 + n}": [f"acct-{n}"] for n in range(11)}
    hint = _choices(cards, pl.LazyFrame(), "--card")
    assert hint.startswith("pass --card LAST4, one of: ••1000 (acct-0), ••1001 (acct-1)")
    assert hint.endswith("••1007 (acct-7) and 3 more") and "1008" not in hint
    assert _choices(dict(list(cards.items())[:2]), pl.LazyFrame(), "--old").endswith(
        "••1000 (acct-0), ••1001 (acct-1)")
