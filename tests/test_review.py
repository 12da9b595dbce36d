"""The year-review analyzer and its advice, on ENRICHED frames built here row by row.

Every expected figure is computed by hand or by a plain Python loop over the same rows.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D
from typing import Any

import polars as pl
import pytest

from moneystory import schema
from moneystory.analyzers.advice import service_kind
from moneystory.analyzers.bnpl import BnplPlan, BnplReport
from moneystory.analyzers.recurring import PriceChange, Stream
from moneystory.analyzers.review import PledgeStatus, YearReview, review_year


class Rows:
    """A tiny ledger: add rows, get an ENRICHED LazyFrame."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def add(self, day: date, amount: str, merchant: str, category: str = "general_merchandise",
            kind: str | None = None, *, currency: str = "USD", description: str | None = None,
            account: str = "chk") -> str:
        txn_id = f"t{len(self.rows) + 1:05d}"
        value = D(amount)
        self.rows.append({
            "txn_id": txn_id, "account_id": account, "date": day, "amount": value,
            "currency": currency, "description": description or merchant.upper(),
            "merchant": merchant, "category": category,
            "kind": kind or ("income" if value > 0 else "purchase"),
        })
        return txn_id

    def lazy(self) -> pl.LazyFrame:
        return schema.conform(pl.DataFrame(self.rows), schema.ENRICHED).lazy()

    def ids(self, merchant: str) -> list[str]:
        return [r["txn_id"] for r in self.rows if r["merchant"] == merchant]


def monthly(rows: Rows, year: int, day: int, amount: str, merchant: str, category: str,
            kind: str | None = None, months: range = range(1, 13)) -> list[str]:
    return [rows.add(date(year, m, day), amount, merchant, category, kind) for m in months]


def stream(rows: Rows, merchant: str, amount: str, *, active: bool = True,
           changes: list[PriceChange] | None = None, category: str = "subscriptions",
           cadence: str = "monthly") -> Stream:
    ids = rows.ids(merchant)
    dates = sorted(r["date"] for r in rows.rows if r["merchant"] == merchant)
    return Stream(
        stream_id=f"s-{merchant}", merchant=merchant, account_id="chk", category=category,
        cadence=cadence, typical_amount=-D(amount), last_amount=-D(amount), currency="USD",
        first_date=dates[0], last_date=dates[-1], occurrences=len(ids), active=active,
        status="mature" if active else "ended", yearly_cost=D(amount) * 12,
        price_changes=changes or [], txn_ids=ids,
    )


def spending_by_loop(rows: Rows, year: int, currency: str = "USD") -> D:
    total = D(0)
    for r in rows.rows:
        if r["date"].year != year or r["currency"] != currency or r["kind"] == "transfer":
            continue
        if r["kind"] == "income" or (r["kind"] == "interest" and r["amount"] > 0):
            continue
        total -= r["amount"]
    return total


@pytest.fixture(name="ledger")
def _ledger() -> Rows:
    """Two full years: pay, rent, two music services, restaurants that grow, a December peak."""
    rows = Rows()
    for year in (2022, 2023):
        monthly(rows, year, 1, "3000.00", "Acme Payroll", "income", "income")
        monthly(rows, year, 3, "-1200.00", "Landlord", "rent_utilities")
        monthly(rows, year, 6, "-10.99", "Spotify", "subscriptions")
        monthly(rows, year, 12, "-500.00", "Savings", "transfer", "transfer")
        monthly(rows, year, 10, "-80.00" if year == 2022 else "-160.00", "Pizza Place",
                "restaurants")
        rows.add(date(year, 12, 18), "-900.00", "Toy Shop")
    monthly(rows, 2023, 7, "-9.99", "Apple Music", "subscriptions")
    rows.add(date(2023, 3, 11), "25.00", "Pizza Place", "restaurants", "refund")
    rows.add(date(2022, 5, 5), "-40.00", "Old Cafe", "coffee")
    rows.add(date(2023, 5, 5), "-42.00", "New Bakery", "groceries")
    rows.add(date(2023, 6, 1), "-60.00", "Hotel Lyon", "travel", currency="EUR")
    rows.add(date(2023, 6, 2), "-15.00", "Bistro", "restaurants", currency="EUR")
    return rows


def test_headline_figures_follow_the_definitions(ledger: Rows) -> None:
    review = review_year(ledger.lazy(), 2023)
    assert review.currency == "USD"
    assert review.spending == spending_by_loop(ledger, 2023)
    assert review.income == D("36000.00")
    assert review.net == review.income - review.spending
    assert review.transactions == sum(
        1 for r in ledger.rows if r["date"].year == 2023 and r["currency"] == "USD")
    assert review.saving_rate == (review.net / review.income).quantize(D("0.0001"))
    # the transfer counts as a transaction but not as spending; the refund reduces spending
    restaurants = next(c for c in review.top_categories if c.category == "restaurants")
    assert restaurants.amount == D("160.00") * 12 - D("25.00")
    assert all(c.category != "transfer" for c in review.top_categories)


def test_currencies_are_never_added(ledger: Rows) -> None:
    review = review_year(ledger.lazy(), 2023)
    assert [c.currency for c in review.currencies] == ["USD", "EUR"]
    eur = review.currencies[1]
    assert eur.spending == D("75.00") and eur.transactions == 2
    assert review.currencies[0].spending == review.spending
    assert "Hotel Lyon" not in {m.merchant for m in review.top_merchants}
    forced = review_year(ledger.lazy(), 2023, currency="EUR")
    assert forced.spending == D("75.00") and forced.currencies[0].currency == "EUR"


def test_categories_merchants_and_expenses(ledger: Rows) -> None:
    review = review_year(ledger.lazy(), 2023)
    amounts = [c.amount for c in review.top_categories]
    assert amounts == sorted(amounts, reverse=True)
    assert sum(c.amount for c in review.top_categories) == review.spending
    assert abs(sum(c.share for c in review.top_categories) - 1) < D("0.001")
    assert review.top_merchants[0].merchant == "Landlord"
    assert review.top_merchants[0].amount == D("14400.00")
    visits = review.top_merchants_by_visits
    assert [v.count for v in visits] == sorted((v.count for v in visits), reverse=True)
    assert review.top_expenses[0].amount == D("1200.00")
    assert review.top_expenses[0].date == date(2023, 1, 3)  # ties: earliest first
    assert len(review.top_expenses) == 10


def test_new_and_dropped_merchants(ledger: Rows) -> None:
    review = review_year(ledger.lazy(), 2023)
    assert review.new_merchants is not None and review.dropped_merchants is not None
    assert {m.merchant for m in review.new_merchants.merchants} == {"Apple Music", "New Bakery"}
    assert [m.merchant for m in review.dropped_merchants.merchants] == ["Old Cafe"]
    assert review.dropped_merchants.amount == D("40.00")
    first_year = review_year(ledger.lazy(), 2022)
    assert first_year.new_merchants is None and first_year.previous_year is None


def test_months_weekdays_and_peak(ledger: Rows) -> None:
    review = review_year(ledger.lazy(), 2023)
    assert [m.month for m in review.by_month] == [f"2023-{m:02d}" for m in range(1, 13)]
    assert sum(m.spending for m in review.by_month) == review.spending
    assert review.peak_month is not None and review.peak_month.month == "2023-12"
    december = [r for r in ledger.rows if r["date"] >= date(2023, 12, 1)
                and r["kind"] not in ("transfer", "income")]
    assert review.peak_month.amount == -sum(r["amount"] for r in december)
    assert review.by_weekday[0].weekday == "Monday"
    assert sum(d.spending for d in review.by_weekday) == review.spending
    by_day: dict[int, D] = {}
    for r in ledger.rows:
        if r["date"].year == 2023 and r["currency"] == "USD" and r["kind"] not in (
                "transfer", "income"):
            by_day[r["date"].weekday()] = by_day.get(r["date"].weekday(), D(0)) - r["amount"]
    assert [d.spending for d in review.by_weekday] == [by_day.get(i, D(0)) for i in range(7)]


def test_rolling_week_streak_and_busiest_day() -> None:
    rows = Rows()
    rows.add(date(2023, 1, 1), "100.00", "Pay", "income")
    rows.add(date(2023, 1, 2), "-10.00", "A")
    rows.add(date(2023, 1, 9), "-50.00", "B")
    rows.add(date(2023, 1, 15), "-60.00", "C")  # 9..15 = 110 in 7 days
    rows.add(date(2023, 1, 16), "-5.00", "D")
    rows.add(date(2023, 1, 16), "-6.00", "E")
    rows.add(date(2023, 1, 16), "-7.00", "F")
    rows.add(date(2023, 1, 31), "-1.00", "G")
    review = review_year(rows.lazy(), 2023)
    week = review.priciest_week
    assert week is not None
    assert (week.start, week.end, week.amount) == (date(2023, 1, 9), date(2023, 1, 15),
                                                   D("110.00"))
    streak = review.longest_no_spend_streak
    assert streak is not None
    assert (streak.start, streak.end, streak.days) == (date(2023, 1, 17), date(2023, 1, 30), 14)
    assert review.busiest_day is not None and review.busiest_day.date == date(2023, 1, 16)
    assert review.busiest_day.count == 3 and review.busiest_day.amount == D("18.00")


def test_comparison_shows_only_material_changes(ledger: Rows) -> None:
    review = review_year(ledger.lazy(), 2023)
    previous = review.previous_year
    assert previous is not None and previous.comparable
    assert previous.spending == spending_by_loop(ledger, 2022)
    changed = {c.category: c for c in previous.categories}
    # restaurants doubled and a second music service came (material); rent is identical;
    # coffee fell by 40 (under the money floor)
    assert set(changed) == {"restaurants", "subscriptions"}
    assert changed["restaurants"].previous == D("960.00")
    assert changed["restaurants"].change == D("1895.00") - D("960.00")
    assert previous.material_floor == (previous.spending * D("0.005")).quantize(D("0.01"))


def test_no_advice_without_data_behind_it() -> None:
    rows = Rows()
    for year in (2022, 2023):
        monthly(rows, year, 1, "2000.00", "Pay", "income", "income")
        monthly(rows, year, 4, "-700.00", "Landlord", "rent_utilities")
        monthly(rows, year, 9, "-100.00", "Market", "groceries")
    review = review_year(rows.lazy(), 2023)
    assert review.recommendations == []
    assert review.fees.total == 0 and review.bnpl.count == 0


def test_category_growth_and_peak_season_advice(ledger: Rows) -> None:
    review = review_year(ledger.lazy(), 2023)
    kinds = {r.kind: r for r in review.recommendations}
    growth = kinds["category_growth"]  # only restaurants: subscriptions have their own advice
    assert growth.amount == D("80.00")  # last year's 960 spread over 12 months
    assert growth.yearly_saving == D("935.00")
    assert "restaurants" in growth.action and "$80.00" in growth.action
    assert set(growth.txn_ids) <= set(ledger.ids("Pizza Place"))
    assert growth.txn_count == 12
    peak = kinds["peak_season"]
    assert peak.yearly_saving == 0 and peak.amount is not None
    months = sorted(m.spending for m in review.by_month)
    typical = (months[5] + months[6]) / 2
    excess = review.by_month[11].spending - typical
    assert peak.amount * 11 >= excess > (peak.amount - D("0.01")) * 11
    assert "December" in peak.message and "as in 2022" in peak.message
    savings = [r.yearly_saving for r in review.recommendations]
    assert savings == sorted(savings, reverse=True)


def test_subscriptions_price_rise_and_duplicates(ledger: Rows) -> None:
    rise = PriceChange(date=date(2023, 4, 6), old_amount=D("9.99"), new_amount=D("10.99"))
    streams = [
        stream(ledger, "Spotify", "10.99", changes=[rise]),
        stream(ledger, "Apple Music", "9.99"),
        stream(ledger, "Landlord", "1200.00", category="rent_utilities"),
        stream(ledger, "Savings", "500.00", category="transfer"),
    ]
    review = review_year(ledger.lazy(), 2023, streams=streams)
    subs = review.subscriptions
    assert {s.merchant for s in subs.items} == {"Spotify", "Apple Music", "Landlord"}
    spotify = next(s for s in subs.items if s.merchant == "Spotify")
    assert spotify.charges == 12 and spotify.paid == D("131.88")
    assert all(d.year == 2023 for d in spotify.charge_dates)
    assert subs.started == ["Apple Music"]
    assert subs.yearly_cost == sum(s.yearly_cost for s in subs.items)
    assert review.top_expenses[0].merchant == "Landlord"
    assert review.top_one_off_expenses[0].merchant == "Toy Shop"  # rent is a recurring charge
    assert "Landlord" not in {e.merchant for e in review.top_one_off_expenses}
    kinds = {r.kind: r for r in review.recommendations}
    price = kinds["price_rise"]
    assert price.yearly_saving == D("12.00")  # (10.99 - 9.99) x 12
    assert set(price.txn_ids) == {t for t, r in zip(ledger.ids("Spotify"), [
        r for r in ledger.rows if r["merchant"] == "Spotify"], strict=True)
        if r["date"] >= date(2023, 4, 6)}
    dup = kinds["duplicate_subscriptions"]
    assert dup.yearly_saving == D("9.99") * 12  # keep the dearer, drop the other
    assert "music" in dup.message and "Spotify" in dup.message and "Apple Music" in dup.message


def test_stopped_subscription_is_not_advised(ledger: Rows) -> None:
    rise = PriceChange(date=date(2023, 4, 6), old_amount=D("9.99"), new_amount=D("10.99"))
    streams = [stream(ledger, "Spotify", "10.99", active=False, changes=[rise]),
               stream(ledger, "Apple Music", "9.99")]
    review = review_year(ledger.lazy(), 2023, streams=streams)
    assert review.subscriptions.stopped == ["Spotify"]
    assert not {"price_rise", "duplicate_subscriptions"} & {r.kind for r in
                                                            review.recommendations}


def test_service_kinds() -> None:
    assert service_kind("Netflix") == "streaming"
    assert service_kind("Disney+") == "streaming"
    assert service_kind("Apple Music") == "music"
    assert service_kind("Google One") == "cloud storage"
    assert service_kind("Maxwell Hardware") is None
    assert service_kind("Tesco") is None


def test_fees_by_type_and_their_advice() -> None:
    rows = Rows()
    monthly(rows, 2023, 1, "2000.00", "Pay", "income", "income")
    fx = [rows.add(date(2023, m, 20), "-2.50", "Bank", "bank_fees", "fee",
                   description="FOREIGN TRANSACTION FEE") for m in (2, 3)]
    rows.add(date(2023, 4, 2), "-3.00", "Bank", "bank_fees", "fee", description="ATM FEE")
    rows.add(date(2023, 4, 3), "-200.00", "Cash", "other", "atm", description="ATM WITHDRAWAL")
    rows.add(date(2023, 4, 9), "-103.50", "Cash", "transfer", "atm",
             description="ATM WITHDRAWAL 2001 MISSION ST incl. operator fee 3.50")
    rows.add(date(2023, 5, 3), "-35.00", "Bank", "bank_fees", "fee",
             description="OVERDRAFT FEE")
    rows.add(date(2023, 5, 9), "35.00", "Bank", "bank_fees", "refund",
             description="OVERDRAFT FEE REVERSAL")
    rows.add(date(2023, 6, 25), "-18.40", "Card", "bank_fees", "interest",
             description="PURCHASE INTEREST CHARGE")
    rows.add(date(2023, 7, 1), "-12.00", "Bank", "bank_fees", "fee",
             description="MONTHLY SERVICE FEE")
    review = review_year(rows.lazy(), 2023)
    fees = {f.type: f for f in review.fees.items}
    assert fees["foreign_transaction"].amount == D("5.00")
    assert sorted(fees["foreign_transaction"].txn_ids) == sorted(fx)
    assert fees["atm"].amount == D("6.50")  # 3.00 charged, 3.50 inside a withdrawal
    assert "overdraft" not in fees  # charged and refunded
    assert fees["interest"].amount == D("18.40")
    assert fees["account"].amount == D("12.00")
    assert review.fees.total == D("41.90")  # the cash withdrawn is not a fee
    kinds = {r.kind: r for r in review.recommendations}
    assert kinds["avoidable_fees"].yearly_saving == D("11.50")
    assert kinds["avoidable_fees"].txn_count == 4
    assert kinds["card_interest"].yearly_saving == D("18.40")


def bnpl_ledger() -> tuple[Rows, BnplReport]:
    rows = Rows()
    monthly(rows, 2023, 1, "2000.00", "Pay", "income", "income")
    ids = [rows.add(date(2023, 3, 1) + timedelta(days=14 * i), "-25.00", "Klarna",
                    "loan_payments", "bnpl") for i in range(4)]
    late = rows.add(date(2023, 4, 20), "-7.00", "Klarna", "bank_fees", "fee",
                    description="KLARNA LATE FEE")
    plan = BnplPlan(plan_id="p1", provider="Klarna", merchant="Shoe Shop", account_id="chk",
                    currency="USD", confidence="high", first_date=date(2023, 3, 1),
                    last_date=date(2023, 4, 12), instalments_paid=4, instalments_total=4,
                    instalment_amount=D("25.00"), paid=D("100.00"), remaining=D(0),
                    txn_ids=ids)
    return rows, BnplReport(plans=[plan], late_fees=D("7.00"), late_fee_txn_ids=[late])


def test_bnpl_summary_and_optout_advice() -> None:
    rows, report = bnpl_ledger()
    review = review_year(rows.lazy(), 2023, bnpl=report)
    assert (review.bnpl.count, review.bnpl.amount, review.bnpl.providers) == (
        1, D("100.00"), ["Klarna"])
    assert review.bnpl.late_fees == D("7.00") and review.bnpl.started == 1
    assert {f.type for f in review.fees.items} == {"bnpl_late"}
    rec = next(r for r in review.recommendations if r.kind == "bnpl")
    assert "moneystory optout" in rec.action and rec.yearly_saving == D("7.00")
    assert len(rec.txn_ids) == 5
    assert "avoidable_fees" not in {r.kind for r in review.recommendations}  # not counted twice


def test_bnpl_with_a_pledge() -> None:
    rows, report = bnpl_ledger()
    kept = PledgeStatus(pledged_since=date(2023, 6, 1), kinds=["bnpl"], days_kept=213,
                        violations=0, violation_amount=D(0), legacy_remaining=D(0))
    review = review_year(rows.lazy(), 2023, bnpl=report, pledge=kept)
    assert review.bnpl.pledge == kept
    assert "bnpl" not in {r.kind for r in review.recommendations}
    broken = kept.model_copy(update={"violations": 2, "violation_amount": D("50.00")})
    review = review_year(rows.lazy(), 2023, bnpl=report, pledge=broken)
    rec = next(r for r in review.recommendations if r.kind == "bnpl")
    assert "moneystory check" in rec.action and "2 new buy-now-pay-later plans" in rec.message


def test_only_two_years_are_read(ledger: Rows) -> None:
    for year in (2019, 2020, 2024):
        ledger.add(date(year, 6, 1), "-99999.00", "Elsewhere")
    review = review_year(ledger.lazy(), 2023)
    assert review.spending == spending_by_loop(ledger, 2023)
    assert review.previous_year is not None
    assert review.previous_year.spending == spending_by_loop(ledger, 2022)


def test_empty_year_and_partial_previous_year() -> None:
    rows = Rows()
    rows.add(date(2022, 11, 5), "-20.00", "Shop")
    rows.add(date(2023, 2, 1), "-30.00", "Shop")
    review = review_year(rows.lazy(), 2023)
    assert review.previous_year is not None and not review.previous_year.comparable
    assert review.previous_year.categories == []
    empty = review_year(rows.lazy(), 2030)
    assert isinstance(empty, YearReview) and empty.transactions == 0 and empty.spending == 0


def test_json_has_the_contract_fields(ledger: Rows) -> None:
    import json

    from moneystory.render.jsonout import dumps

    text = dumps(review_year(ledger.lazy(), 2023))
    doc = json.loads(text, parse_float=D)
    for key in ("year", "currency", "transactions", "income", "spending", "net", "top_expenses",
                "top_categories", "top_merchants", "peak_month", "by_month", "by_weekday",
                "previous_year", "subscriptions", "bnpl", "recommendations"):
        assert key in doc, key
    assert set(doc["top_expenses"][0]) >= {"date", "merchant", "amount"}
    assert set(doc["top_categories"][0]) >= {"category", "amount", "share"}
    assert set(doc["top_merchants"][0]) >= {"merchant", "amount", "count"}
    assert set(doc["peak_month"]) == {"month", "amount"}
    assert set(doc["subscriptions"]) >= {"count", "yearly_cost"}
    assert set(doc["bnpl"]) >= {"count", "amount"}
    assert set(doc["recommendations"][0]) >= {"kind", "message", "yearly_saving"}
    assert doc["spending"] == spending_by_loop(ledger, 2023)  # a JSON number, exact
    assert f'"spending": {spending_by_loop(ledger, 2023)},' in text


def _subscription(merchant: str, yearly: str, ids: list[str]) -> Any:
    from moneystory.analyzers.review import Subscription

    return Subscription(merchant=merchant, category="subscriptions", cadence="monthly",
                        amount=D(yearly) / 12, yearly_cost=D(yearly), paid=D(yearly),
                        charges=12, first_date=date(2023, 1, 5), last_date=date(2023, 12, 5),
                        active=True, started=False, stopped=False, txn_ids=ids)


def test_one_service_on_several_cards_is_its_own_advice_and_lists_stay_short() -> None:
    """Netflix on three cards and seven other streaming services: one advice for the extra
    Netflix plans, one for the services (each named once, five at most), nothing counted
    twice."""
    from types import SimpleNamespace

    from moneystory.analyzers.advice import _duplicate_services

    items = [_subscription("Netflix", "119.88", [f"n{i}"]) for i in range(3)]
    others = ["Hulu", "Max", "Peacock", "Paramount+", "Crunchyroll", "Mubi", "Disney+"]
    items += [_subscription(name, f"{60 + k}.00", [f"o{k}"]) for k, name in enumerate(others)]
    review = SimpleNamespace(subscriptions=SimpleNamespace(items=items), year=2023,
                             currency="USD")
    twice, kinds = _duplicate_services(review, None)  # type: ignore[arg-type]
    assert twice.message.startswith("Netflix was charged as 3 separate subscriptions at the "
                                    "end of 2023 (3 × $119.88 a year)")
    assert twice.yearly_saving == D("239.76") and twice.txn_ids == ["n0", "n1", "n2"]
    assert kinds.message.startswith("8 streaming services were active at the end of 2023: "
                                    "Netflix ($119.88 a year), Disney+ ($66.00 a year), ")
    assert kinds.message.count("Netflix") == 1 and "and 3 more." in kinds.message
    assert kinds.yearly_saving == sum(D(f"{60 + k}.00") for k in range(7))
    assert twice.yearly_saving + kinds.yearly_saving == sum(i.yearly_cost for i in items[1:])
