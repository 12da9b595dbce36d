"""Stream detection: cadences, tolerances, amounts, maturity, evidence and stable ids."""

from __future__ import annotations

import sys
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).parent))

from gen_history import add_months, business_day, frame, row
from moneystory.analyzers.recurring import (
    CADENCES,
    Stream,
    find_streams,
    next_expected,
)

END = date(2023, 12, 31)


def streams_of(rows: list, as_of: date | None = END) -> list[Stream]:  # type: ignore[type-arg]
    return find_streams(frame(rows).lazy(), as_of)


def monthly(merchant: str, day: int, amount: str, months: int = 12,
            start: date = date(2023, 1, 1), **kw: object) -> list:  # type: ignore[type-arg]
    return [row("acct", business_day(add_months(start, k, day)), amount, merchant, **kw)
            for k in range(months)]  # type: ignore[arg-type]


def test_monthly_on_the_31st_with_month_end_clamping_and_weekend_shift() -> None:
    found = streams_of(monthly("Spotify", 31, "-9.99"), date(2024, 1, 5))
    assert len(found) == 1
    s = found[0]
    assert (s.cadence, s.status, s.occurrences, s.active) == ("monthly", "mature", 12, True)
    assert s.typical_amount == Decimal("-9.99") and s.yearly_cost == Decimal("119.88")
    assert s.next_date == date(2024, 1, 31)
    assert len(s.txn_ids) == 12 and len(s.gaps_days) == 11
    assert all(26 <= g <= 34 for g in s.gaps_days)


def test_every_cadence_is_recognised() -> None:
    start = date(2021, 1, 4)  # a Monday
    rows = [row("acct", start + timedelta(days=7 * k), "-5.00", "Weekly Box")
            for k in range(20)]
    rows += [row("acct", start + timedelta(days=14 * k + 4), "1500.00", "Payroll")
             for k in range(20)]
    rows += [row("acct", business_day(d, backwards=True), "600.00", "Semi Pay")
             for m in range(10) for d in (add_months(start, m, 1), add_months(start, m, 15))]
    rows += [row("acct", add_months(start, 3 * k, 20), "-80.00", "Water Co") for k in range(6)]
    rows += [row("acct", add_months(start, 6 * k, 12), "-420.00", "Insurer") for k in range(4)]
    rows += [row("acct", add_months(start, 12 * k, 17), "-99.00", "Domain Host")
             for k in range(3)]
    found = {s.merchant: s.cadence for s in streams_of(rows, date(2023, 12, 31))}
    assert found == {"Weekly Box": "weekly", "Payroll": "biweekly", "Semi Pay": "semimonthly",
                     "Water Co": "quarterly", "Insurer": "semiannual",
                     "Domain Host": "annual"}


def test_semimonthly_15th_and_last_day_and_its_next_date() -> None:
    rows = [row("acct", d, "-450.00", "Daycare") for m in range(6)
            for d in (add_months(date(2023, 1, 1), m, 15), add_months(date(2023, 1, 1), m, 31))]
    (s,) = streams_of(rows, date(2023, 6, 30))
    assert s.cadence == "semimonthly"
    assert s.next_date == date(2023, 7, 15)


def test_price_rise_is_one_stream_with_the_change_recorded() -> None:
    rows = monthly("Netflix", 15, "-10.99", months=8) + monthly(
        "Netflix", 15, "-12.99", months=6, start=date(2023, 9, 1))
    (s,) = streams_of(rows, date(2024, 2, 20))
    assert s.occurrences == 14
    assert s.typical_amount == Decimal("-12.99") and s.last_amount == Decimal("-12.99")
    assert [(c.date, c.old_amount, c.new_amount) for c in s.price_changes] == [
        (date(2023, 9, 15), Decimal("10.99"), Decimal("12.99"))]


def test_a_rise_too_big_for_one_band_is_still_one_stream() -> None:
    """Disney+ 7.99 → 13.99 (+75 %): two amount bands, one after the other: one stream."""
    rows = monthly("Disney Plus", 6, "-7.99", months=7) + monthly(
        "Disney Plus", 6, "-13.99", months=5, start=date(2023, 8, 1))
    (s,) = streams_of(rows, date(2024, 1, 10))
    assert (s.occurrences, s.first_date, s.status) == (12, date(2023, 1, 6), "mature")
    assert s.typical_amount == Decimal("-13.99") and s.yearly_cost == Decimal("167.88")
    assert [(c.date, c.old_amount, c.new_amount) for c in s.price_changes] == [
        (date(2023, 8, 7), Decimal("7.99"), Decimal("13.99"))]  # the 6th was a Sunday
    assert len(s.gaps_days) == 11 and len(set(s.txn_ids)) == 12


def test_a_plan_after_another_at_many_times_its_price_is_another_stream() -> None:
    """iCloud 0.99 until June, then Apple One 19.95: a new plan, not a price rise."""
    rows = monthly("Apple", 6, "-0.99", months=6) + monthly(
        "Apple", 6, "-19.95", months=6, start=date(2023, 7, 1))
    found = sorted(streams_of(rows, date(2024, 1, 10)), key=lambda s: s.first_date)
    assert [(s.typical_amount, s.price_changes) for s in found] == [
        (Decimal("-0.99"), []), (Decimal("-19.95"), [])]


def test_two_plans_side_by_side_are_not_joined_into_a_rise() -> None:
    """2.99 all year, and 4.99 from July beside it (a price step in reach): they overlap."""
    rows = monthly("Apple", 3, "-2.99") + monthly("Apple", 21, "-4.99", months=6,
                                                    start=date(2023, 7, 1))
    found = sorted(streams_of(rows, date(2024, 1, 10)), key=lambda s: s.typical_amount)
    assert [(s.typical_amount, s.occurrences, s.price_changes) for s in found] == [
        (Decimal("-4.99"), 6, []), (Decimal("-2.99"), 12, [])]


def test_varying_bill_is_a_stream_without_price_changes() -> None:
    amounts = ["-61.20", "-88.10", "-140.00", "-97.45", "-73.00", "-66.66", "-120.10",
               "-101.00", "-80.80", "-79.00", "-133.33", "-90.00"]
    rows = [row("acct", business_day(add_months(date(2023, 1, 1), k, 5)) + timedelta(days=k % 3),
                a, "City Power") for k, a in enumerate(amounts)]
    (s,) = streams_of(rows)
    assert s.cadence == "monthly" and s.price_changes == []
    assert s.typical_amount == Decimal("-88.10")  # a middle charge, exact (no float mean)


def test_two_subscriptions_at_one_merchant_are_two_streams() -> None:
    rows = monthly("Apple", 3, "-2.99") + monthly("Apple", 21, "-10.99")
    found = sorted(streams_of(rows), key=lambda s: s.typical_amount)
    assert [s.typical_amount for s in found] == [Decimal("-10.99"), Decimal("-2.99")]
    assert len({s.stream_id for s in found}) == 2


def test_subscription_hidden_among_random_purchases_at_the_same_merchant() -> None:
    rows = monthly("Amazon", 9, "-14.99")
    amounts = ["-12.50", "-17.20", "-33.00", "-15.75", "-13.10", "-19.99", "-16.40", "-25.00"]
    rows += [row("acct", date(2023, 1, 2) + timedelta(days=41 * k), a, "Amazon")
             for k, a in enumerate(amounts)]
    (s,) = streams_of(rows)
    assert s.typical_amount == Decimal("-14.99") and s.occurrences == 12


def test_frequent_is_not_recurring() -> None:
    day = date(2023, 1, 1)
    rows = []
    for k in range(200):
        day += timedelta(days=1 + (k * 7919) % 4)
        rows.append(row("acct", day, "-4.50", "Corner Coffee", category="coffee"))
        rows.append(row("acct", day, f"-{20 + (k * 37) % 90}.{k % 100:02d}", "Fresh Market",
                        category="groceries"))
    haircut = date(2023, 1, 10)
    for gap in [28, 45, 31, 40, 27, 48, 33, 44, 29, 41]:
        haircut += timedelta(days=gap)
        rows.append(row("acct", haircut, "-45.00", "Salon"))
    assert streams_of(rows, day) == []


def test_transfers_refunds_and_bnpl_are_not_streams() -> None:
    for kind in ("transfer", "refund", "bnpl"):
        assert streams_of(monthly("Savings", 1, "-200.00", kind=kind)) == [], kind


def test_maturity_early_mature_and_annual_rules() -> None:
    (early,) = streams_of(monthly("Gym", 10, "-39.99", months=2), date(2023, 2, 20))
    assert early.status == "early" and early.active
    (mature,) = streams_of(monthly("Gym", 10, "-39.99", months=3), date(2023, 3, 20))
    assert mature.status == "mature"
    two_annual = [row("acct", date(2022, 5, 2), "-59.00", "Backup"),
                  row("acct", date(2023, 5, 2), "-59.00", "Backup")]
    assert streams_of(two_annual)[0].status == "mature"
    named = [row("acct", date(2023, 6, 25), "-49.99", "Antivirus",
                 description="ANTIVIRUS YEARLY RENEWAL")]
    (single,) = streams_of(named)
    assert (single.cadence, single.status, single.next_date) == (
        "annual", "early", date(2024, 6, 25))
    unnamed = [row("acct", date(2023, 6, 25), "-49.99", "Antivirus")]
    assert streams_of(unnamed) == []
    two_different = [row("acct", date(2023, 1, 9), "-41.10", "Bistro"),
                     row("acct", date(2023, 2, 9), "-42.30", "Bistro")]
    assert streams_of(two_different, date(2023, 2, 20)) == []


def test_lapsed_when_expected_date_plus_tolerance_has_passed() -> None:
    rows = monthly("Gym", 10, "-39.99", months=6)  # last charge 2023-06-12 (10th: Saturday)
    (s,) = streams_of(rows, date(2023, 7, 10) + timedelta(days=CADENCES["monthly"].tolerance))
    assert s.active and s.next_date == date(2023, 7, 10)
    (gone,) = streams_of(rows, date(2023, 7, 18))
    assert (gone.status, gone.active, gone.next_date) == ("lapsed", False, None)


def test_only_transactions_up_to_as_of_count() -> None:
    rows = monthly("Gym", 10, "-39.99", months=12)
    (s,) = streams_of(rows, date(2023, 4, 30))
    assert s.occurrences == 4 and s.last_date <= date(2023, 4, 30)


def test_income_streams_are_direction_in() -> None:
    (s,) = streams_of(monthly("Acme Payroll", 25, "3100.00"))
    assert s.direction == "in" and s.typical_amount == Decimal("3100.00")


def test_streams_are_per_account_and_keep_the_card() -> None:
    rows = monthly("Netflix", 15, "-12.99", card="1111")
    rows += [row("other", r.date, "-12.99", "Netflix") for r in rows]
    found = sorted(streams_of(rows), key=lambda s: s.account_id)
    assert [(s.account_id, s.card_last4) for s in found] == [("acct", "1111"), ("other", None)]


def test_stream_id_is_stable_when_more_history_arrives_and_on_reimport() -> None:
    first = streams_of(monthly("Netflix", 15, "-12.99", months=6), date(2023, 6, 30))
    later = streams_of(monthly("Netflix", 15, "-12.99", months=12))
    doubled = find_streams(pl.concat([frame(monthly("Netflix", 15, "-12.99"))]).lazy(), END)
    assert first[0].stream_id == later[0].stream_id == doubled[0].stream_id


def test_empty_frame_and_rows_without_merchant() -> None:
    assert streams_of([]) == []
    rows = monthly("Gym", 10, "-39.99")
    lf = frame(rows).lazy().with_columns(merchant=pl.lit(None, dtype=pl.String))
    assert find_streams(lf, END) == []


def test_next_expected_keeps_month_end_and_anchor_day() -> None:
    monthly_c = CADENCES["monthly"]
    assert next_expected(monthly_c, date(2023, 1, 31), 31, 1.0) == date(2023, 2, 28)
    assert next_expected(monthly_c, date(2023, 3, 1), 31, 1.0) == date(2023, 3, 31)  # posted late
    assert next_expected(monthly_c, date(2023, 4, 17), 15, 0.0) == date(2023, 5, 15)
    assert next_expected(CADENCES["annual"], date(2024, 2, 29), 29, 0.0) == date(2025, 2, 28)
    assert next_expected(CADENCES["biweekly"], date(2023, 1, 6), 6, 0.0) == date(2023, 1, 20)


def test_streams_are_complete_models() -> None:
    (s,) = streams_of(monthly("Netflix", 15, "-12.99"))
    assert set(s.__dict__) == set(Stream.model_fields)
    again = Stream.model_validate(s.model_dump())
    assert again == s
    assert s.model_copy(update={"status": "ended"}).status == "ended"


def test_the_tightest_stream_the_rules_allow_survives_the_pruning() -> None:
    # six weekly-ish charges in 20 days: four 5-day gaps and one same-day repeat (a miss),
    # exactly the 4/5 × 5 days × (n - 1) span that `_could_recur` keeps
    start = date(2023, 3, 6)
    days = [start + timedelta(days=5 * k) for k in range(5)] + [start + timedelta(days=20)]
    (s,) = streams_of([row("acct", d, "-6.00", "Meal Kit") for d in days], date(2023, 3, 27))
    assert (s.cadence, s.occurrences) == ("weekly", 6)
    one_day_short = days[:-2] + [days[-2] - timedelta(days=1)] * 2
    assert streams_of([row("acct", d, "-6.00", "Meal Kit") for d in one_day_short],
                      date(2023, 3, 27)) == []


def test_amounts_too_large_to_pack_give_the_same_streams() -> None:
    small = monthly("Apple", 3, "-2.99") + monthly("Apple", 21, "-10.99")
    # 10^18 cents need 60 bits: with the row and key numbers, more than one integer holds
    huge = [*small, row("acct", date(2023, 5, 2), "-10000000000000000.00", "Broker")]
    expected = [s.model_dump() for s in streams_of(small)]
    assert [s.model_dump() for s in streams_of(huge)] == expected


def test_ids_ignore_prices_and_tell_two_plans_at_one_merchant_apart() -> None:
    before = streams_of(monthly("Apple", 3, "-2.99") + monthly("Apple", 21, "-10.99"))
    after = streams_of(monthly("Apple", 3, "-3.49") + monthly("Apple", 21, "-12.99"))
    assert len({s.stream_id for s in before}) == 2
    ids = {s.typical_amount: s.stream_id for s in before}
    assert {s.typical_amount: s.stream_id for s in after} == {
        Decimal("-3.49"): ids[Decimal("-2.99")], Decimal("-12.99"): ids[Decimal("-10.99")]}
