"""The pledge's pure rules: new plans break it, legacy instalments do not, refunds never do."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import polars as pl

from moneystory import schema
from moneystory.analyzers.bnpl import find_bnpl
from moneystory.analyzers.pledge import (
    Lift,
    Pledge,
    adherence,
    find_violations,
    legacy_plans,
)

SINCE = date(2023, 6, 1)


def _pledge(**kw: object) -> Pledge:
    base: dict[str, object] = {"pledge_id": "p1", "since": SINCE,
                               "created_at": datetime(2023, 6, 1, 9, tzinfo=UTC)}
    return Pledge.model_validate({**base, **kw})


def _frame(rows: list[tuple[str, str, str, str | None]]) -> pl.LazyFrame:
    """(date, amount, description, mcc) as an ENRICHED frame."""
    frame = pl.DataFrame({
        "txn_id": [f"t{i}" for i in range(len(rows))],
        "account_id": ["chk"] * len(rows),
        "date": [date.fromisoformat(r[0]) for r in rows],
        "amount": [Decimal(r[1]) for r in rows],
        "currency": ["GBP"] * len(rows),
        "description": [r[2] for r in rows],
        "merchant": [r[2] for r in rows],
        "mcc": [r[3] for r in rows],
        "kind": ["purchase"] * len(rows),
    }, schema_overrides={"amount": schema.AMOUNT, "mcc": pl.String})
    return schema.conform(frame, schema.ENRICHED).lazy()


def _violations(lf: pl.LazyFrame, pledge: Pledge, as_of: date = date(2023, 12, 31)) -> list[str]:
    return [v.txn_id for v in find_violations(lf, pledge, find_bnpl(lf, as_of), as_of)]


LEGACY_AND_NEW = [
    ("2023-05-20", "-25.00", "AFTERPAY* ULTA", None),  # t0 legacy plan: started before
    ("2023-06-03", "-25.00", "AFTERPAY* ULTA", None),  # t1 its instalments after the pledge
    ("2023-06-17", "-25.00", "AFTERPAY* ULTA", None),  # t2
    ("2023-07-01", "-25.00", "AFTERPAY* ULTA", None),  # t3
    ("2023-07-10", "-60.00", "KLARNA*ZALANDO", None),  # t4 a new plan: the violation
    ("2023-07-24", "-60.00", "KLARNA*ZALANDO", None),  # t5 same plan, not a new violation
    ("2023-07-30", "60.00", "KLARNA*ZALANDO REFUND", None),  # t6 money back
    ("2023-08-01", "-20.00", "BET365", None),  # t7 gambling, not pledged yet
    ("2023-08-02", "-12.00", "TESCO STORES", None),  # t8 ordinary
]


def test_only_the_first_charge_of_a_new_plan_is_a_violation() -> None:
    lf = _frame(LEGACY_AND_NEW)
    found = find_violations(lf, _pledge(), find_bnpl(lf, date(2023, 12, 31)), date(2023, 12, 31))
    assert [v.txn_id for v in found] == ["t4"]
    violation = found[0]
    assert (violation.rule, violation.provider, violation.amount) == ("bnpl", "Klarna",
                                                                     Decimal("-60.00"))
    assert violation.plan is not None and violation.plan.instalments_total == 4
    assert violation.credit == Decimal("240.00")


def test_legacy_plans_are_listed_with_payoff_not_flagged() -> None:
    lf = _frame(LEGACY_AND_NEW)
    legacy = legacy_plans(_pledge(), find_bnpl(lf, date(2023, 6, 10)))
    assert [p.provider for p in legacy] == ["Afterpay"]
    assert legacy[0].expected_payoff == date(2023, 7, 1)
    assert legacy[0].remaining == Decimal("50.00")  # as of 10 June: two instalments to go


def test_gambling_by_descriptor_and_mcc_only_when_pledged() -> None:
    rows = [*LEGACY_AND_NEW, ("2023-08-03", "-15.00", "CORNER KIOSK", "7995")]  # t9
    lf = _frame(rows)
    assert _violations(lf, _pledge()) == ["t4"]
    assert _violations(lf, _pledge(kinds=["bnpl", "gambling"])) == ["t4", "t7", "t9"]


def test_named_merchant_rule() -> None:
    lf = _frame(LEGACY_AND_NEW)
    found = find_violations(lf, _pledge(kinds=[], merchants=["tesco"]),
                            find_bnpl(lf, date(2023, 12, 31)))
    assert [(v.txn_id, v.rule) for v in found] == [("t8", "merchant")]


def test_a_lifted_pledge_stops_covering_at_the_end_of_its_cooling_off() -> None:
    lift = Lift(requested_at=datetime(2023, 7, 1, tzinfo=UTC),
                effective_at=datetime(2023, 7, 3, tzinfo=UTC))
    pledge = _pledge(lift=lift)
    assert pledge.state(datetime(2023, 7, 2, tzinfo=UTC)) == "lifting"
    assert pledge.state(datetime(2023, 7, 3, tzinfo=UTC)) == "lifted"
    assert _violations(_frame(LEGACY_AND_NEW), pledge) == []  # the new plan came after


def test_adherence_counts_days_without_violations() -> None:
    lf = _frame(LEGACY_AND_NEW)
    pledge = _pledge()
    report = find_bnpl(lf, date(2023, 6, 30))
    found = find_violations(lf, pledge, report, date(2023, 6, 30))
    kept = adherence(pledge, found, legacy_plans(pledge, report), SINCE, date(2023, 6, 30))
    assert (kept.days_kept, kept.violations) == (30, 0)
    report = find_bnpl(lf, date(2023, 7, 31))
    found = find_violations(lf, pledge, report, date(2023, 7, 31))
    kept = adherence(pledge, found, legacy_plans(pledge, report), SINCE, date(2023, 7, 31))
    assert (kept.days_kept, kept.violations) == (60, 1)
    assert kept.violation_amount == Decimal("240.00")
    assert kept.kinds == ["bnpl"]


def test_pledge_starting_in_the_future_flags_nothing() -> None:
    lf = _frame(LEGACY_AND_NEW)
    assert _violations(lf, _pledge(since=date(2024, 1, 1))) == []


def test_a_plan_seen_only_by_its_schedule_is_a_low_confidence_violation() -> None:
    rows = [(f"2023-06-{d:02d}", "-50.00", "BESTBUY 00123", None) for d in (5, 19)]
    rows += [("2023-07-03", "-50.00", "BESTBUY 00123", None),
             ("2023-07-17", "-50.00", "BESTBUY 00123", None)]
    lf = _frame(rows)
    [violation] = find_violations(lf, _pledge(), find_bnpl(lf, date(2023, 12, 31)))
    assert (violation.rule, violation.confidence) == ("bnpl-schedule", "low")
    assert violation.txn_id == "t0"


def test_statements_that_start_after_the_pledge_give_old_plans_the_doubt() -> None:
    rows = [("2023-06-05", "-25.00", "AFTERPAY* ULTA", None),  # first row held: maybe 2 of 4
            ("2023-06-19", "-25.00", "AFTERPAY* ULTA", None),
            ("2023-07-10", "-60.00", "KLARNA*ZALANDO", None)]
    lf = _frame(rows)
    pledge = _pledge(since=date(2023, 5, 1))
    report = find_bnpl(lf, date(2023, 7, 11))
    assert _violations(lf, pledge, date(2023, 7, 11)) == ["t2"]
    assert [p.provider for p in legacy_plans(pledge, report)] == ["Afterpay"]
