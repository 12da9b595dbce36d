"""find_bnpl: plans by provider name and by schedule, remaining amounts, late fees."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import polars as pl

from moneystory import schema
from moneystory.analyzers.bnpl import POSSIBLE, BnplPlan, find_bnpl


class Rows:
    """ENRICHED rows built by hand (merchant = description, kind by sign), like the placeholder."""

    def __init__(self) -> None:
        self.rows: list[dict[str, object]] = []

    def add(self, day: date, amount: str, description: str, account: str = "chk",
            kind: str | None = None) -> str:
        txn_id = f"t{len(self.rows):03d}"
        self.rows.append({"txn_id": txn_id, "account_id": account, "date": day,
                          "amount": Decimal(amount), "currency": "GBP",
                          "description": description, "merchant": description,
                          "kind": kind or ("income" if Decimal(amount) > 0 else "purchase")})
        return txn_id

    def every(self, start: date, days: int, count: int, amount: str, description: str,
              **kw: str) -> list[str]:
        return [self.add(start + timedelta(days=days * i), amount, description, **kw)
                for i in range(count)]

    def lazy(self) -> pl.LazyFrame:
        return schema.conform(pl.DataFrame(self.rows), schema.ENRICHED).lazy()


def _only(plans: list[BnplPlan], provider: str) -> BnplPlan:
    found = [p for p in plans if p.provider == provider]
    assert len(found) == 1, plans
    return found[0]


def test_pay_in_4_by_name_is_one_finished_plan() -> None:
    rows = Rows()
    ids = rows.every(date(2023, 1, 5), 14, 4, "-25.00", "AFTERPAY* ULTA BEAUTY")
    plan = _only(find_bnpl(rows.lazy(), as_of=date(2023, 6, 1)).plans, "Afterpay")
    assert plan.txn_ids == ids
    assert plan.confidence == "high"
    assert (plan.instalments_paid, plan.instalments_total) == (4, 4)
    assert plan.paid == Decimal("100.00") and plan.remaining == 0 and plan.total == Decimal("100")
    assert plan.merchant == "Ulta Beauty"
    assert plan.expected_payoff == date(2023, 2, 16)
    assert plan.instalment_number(ids[2]) == 3


def test_plan_in_progress_has_remaining_next_due_and_payoff() -> None:
    rows = Rows()
    rows.every(date(2023, 3, 1), 14, 2, "-30.00", "KLARNA*ASOS")
    plan = _only(find_bnpl(rows.lazy(), as_of=date(2023, 3, 20)).plans, "Klarna")
    assert (plan.instalments_paid, plan.instalments_total) == (2, 4)
    assert plan.remaining == Decimal("60.00")
    assert plan.next_due == date(2023, 3, 29)
    assert plan.expected_payoff == date(2023, 4, 12)


def test_monthly_pay_in_3_uses_the_matching_schedule() -> None:
    rows = Rows()
    rows.every(date(2023, 3, 1), 30, 3, "-40.00", "DIRECT DEBIT KLARNA BANK AB")
    plan = _only(find_bnpl(rows.lazy(), as_of=date(2023, 12, 1)).plans, "Klarna")
    assert (plan.instalments_paid, plan.instalments_total) == (3, 3)


def test_two_purchases_of_one_amount_make_two_plans() -> None:
    rows = Rows()
    first = rows.every(date(2023, 1, 1), 14, 4, "-25.00", "AFTERPAY")
    second = rows.every(date(2023, 5, 1), 14, 4, "-25.00", "AFTERPAY")
    plans = find_bnpl(rows.lazy(), as_of=date(2023, 12, 1)).plans
    assert [p.txn_ids for p in plans] == [first, second]


def test_late_fees_are_summed_apart_from_plans() -> None:
    rows = Rows()
    rows.every(date(2023, 1, 1), 14, 4, "-25.00", "AFTERPAY")
    fee = rows.add(date(2023, 1, 20), "-8.00", "AFTERPAY LATE FEE")
    report = find_bnpl(rows.lazy(), as_of=date(2023, 12, 1))
    assert report.late_fees == Decimal("8.00")
    assert report.late_fee_txn_ids == [fee]
    assert all(fee not in p.txn_ids for p in report.plans)


def test_refund_from_a_provider_is_not_a_plan() -> None:
    rows = Rows()
    rows.add(date(2023, 1, 1), "25.00", "KLARNA*ASOS")
    assert find_bnpl(rows.lazy(), as_of=date(2023, 2, 1)).plans == []


def test_retailer_named_pay_in_4_is_a_possible_plan() -> None:
    rows = Rows()
    ids = rows.every(date(2023, 6, 1), 14, 4, "-50.00", "BESTBUY 00123 RICHFIELD")
    plan = _only(find_bnpl(rows.lazy(), as_of=date(2023, 12, 1)).plans, POSSIBLE)
    assert plan.txn_ids == ids and plan.confidence == "low"
    assert plan.rule == "schedule: 4 × 14 days"


def test_weekly_six_times_is_a_possible_laybuy_plan() -> None:
    rows = Rows()
    rows.every(date(2023, 6, 3), 7, 6, "-16.66", "GLASSONS NZ")
    plan = _only(find_bnpl(rows.lazy(), as_of=date(2023, 12, 1)).plans, POSSIBLE)
    assert (plan.instalments_total, plan.rule) == (6, "schedule: 6 × 7 days")


def test_monthly_three_needs_a_purchase_nearby() -> None:
    rows = Rows()
    purchase = rows.add(date(2023, 7, 1), "-12.00", "MATTRESS FIRM 88")
    rows.every(date(2023, 7, 2), 30, 3, "-100.00", "MATTRESS FIRM 88")
    rows.every(date(2023, 7, 2), 30, 3, "-7.99", "TRIAL MAGAZINE")  # 3 months, no purchase
    plans = find_bnpl(rows.lazy(), as_of=date(2023, 12, 1)).plans
    plan = _only(plans, POSSIBLE)
    assert plan.purchase_txn_id == purchase and plan.instalment_amount == Decimal("100.00")


def test_subscriptions_and_longer_runs_are_not_plans() -> None:
    rows = Rows()
    rows.every(date(2023, 1, 3), 30, 12, "-9.99", "NETFLIX.COM")
    rows.every(date(2023, 1, 6), 14, 9, "-30.00", "GYM BIWEEKLY DUES")  # longer than 4
    rows.every(date(2023, 1, 6), 7, 10, "-5.00", "SCHOOL LUNCH")
    rows.every(date(2023, 2, 1), 14, 4, "-500.00", "SAVINGS TRANSFER", kind="transfer")
    assert find_bnpl(rows.lazy(), as_of=date(2023, 12, 1)).plans == []


def test_empty_input_gives_an_empty_report() -> None:
    report = find_bnpl(schema.empty(schema.ENRICHED).lazy(), as_of=date(2023, 1, 1))
    assert report.plans == [] and report.late_fees == 0


def test_instalment_markers_in_the_text_set_the_plan_length() -> None:
    rows = Rows()
    for n, day in enumerate([date(2022, 11, 21), date(2022, 12, 5), date(2022, 12, 19)]):
        rows.add(day, "-22.49", f"Klarna Bank AB (publ) KLARNA*ZALANDO Rate {n + 1} von 6 "
                                f"Bestellnr. 1052773{n}")
    plan = _only(find_bnpl(rows.lazy(), as_of=date(2022, 12, 20)).plans, "Klarna")
    assert plan.merchant == "Zalando"
    assert (plan.instalments_paid, plan.instalments_total) == (3, 6)
    assert plan.remaining == Decimal("67.47")


def test_dates_in_descriptors_are_not_instalment_markers() -> None:
    rows = Rows()
    rows.add(date(2023, 3, 12), "-30.00", "SP AFF* ALLBIRDS 03/12")
    plan = _only(find_bnpl(rows.lazy(), as_of=date(2023, 3, 13)).plans, "Affirm")
    assert plan.merchant == "Allbirds" and plan.instalments_total == 4


def test_a_plan_first_seen_at_instalment_3_began_before_the_data() -> None:
    rows = Rows()
    rows.add(date(2022, 12, 1), "-5.00", "TESCO")  # the account's statements start here
    rows.add(date(2022, 12, 19), "-22.49", "KLARNA*ZALANDO Rate 3 von 4 Bestellnr. 1")
    rows.add(date(2023, 1, 2), "-22.49", "KLARNA*ZALANDO Rate 4 von 4 Bestellnr. 1")
    plan = _only(find_bnpl(rows.lazy(), as_of=date(2023, 2, 1)).plans, "Klarna")
    assert (plan.instalments_paid, plan.instalments_total) == (4, 4)
    assert plan.paid == Decimal("89.96") and plan.began_before_data
    assert [plan.instalment_number(t) for t in plan.txn_ids] == [3, 4]
    assert plan.expected_payoff == date(2023, 1, 2)


def test_an_unfinished_plan_at_the_start_of_the_data_may_be_older() -> None:
    rows = Rows()
    rows.every(date(2023, 3, 1), 14, 2, "-30.00", "AFTERPAY")  # first rows of the account
    rows.every(date(2023, 5, 1), 14, 2, "-20.00", "AFTERPAY")
    early, late = find_bnpl(rows.lazy(), as_of=date(2023, 5, 16)).plans
    assert early.began_before_data and not late.began_before_data


def test_row_order_does_not_change_the_plans() -> None:
    rows = Rows()
    rows.every(date(2023, 1, 5), 14, 4, "-25.00", "AFTERPAY* ULTA BEAUTY")
    rows.every(date(2023, 6, 1), 14, 4, "-50.00", "BESTBUY 00123")
    rows.every(date(2023, 3, 1), 30, 3, "-40.00", "DIRECT DEBIT KLARNA BANK AB")
    rows.every(date(2023, 1, 3), 30, 12, "-9.99", "NETFLIX.COM")
    forward = find_bnpl(rows.lazy(), as_of=date(2023, 12, 1))
    backward = find_bnpl(rows.lazy().reverse(), as_of=date(2023, 12, 1))
    assert forward == backward and len(forward.plans) == 3


def test_a_lone_klarna_charge_long_past_is_one_payment_not_one_of_four() -> None:
    rows = Rows()
    (only,) = rows.every(date(2023, 3, 1), 14, 1, "-80.00", "KLARNA*ZARA")
    plan = _only(find_bnpl(rows.lazy(), as_of=date(2023, 6, 1)).plans, "Klarna")
    assert (plan.instalments_paid, plan.instalments_total) == (1, 1)
    assert plan.remaining == 0 and plan.next_due is None and plan.txn_ids == [only]
    # a recent lone charge may still be the first of four: the default shape stands
    recent = _only(find_bnpl(rows.lazy(), as_of=date(2023, 3, 10)).plans, "Klarna")
    assert (recent.instalments_paid, recent.instalments_total) == (1, 4)
    assert recent.remaining == Decimal("240.00")


def test_a_lone_afterpay_charge_stays_one_of_four() -> None:
    """Afterpay sells no single-payment plan: a lone charge is an unfinished pay-in-4."""
    rows = Rows()
    rows.every(date(2023, 3, 1), 14, 1, "-25.00", "AFTERPAY* ULTA BEAUTY")
    plan = _only(find_bnpl(rows.lazy(), as_of=date(2023, 6, 1)).plans, "Afterpay")
    assert plan.instalments_total == 4
