"""The year in review: one pure function from ENRICHED transactions to a `YearReview` model.

Definitions every figure follows (one place, so the terminal, JSON and HTML agree):
- transfers between the person's own accounts (kind transfer) count as transactions, nothing else;
- income is kind income, plus interest received (kind interest, money in);
- spending is every other non-transfer row, signed so money out is positive: refunds and other
  credits (money in that is not income) reduce it, so spending is "net of refunds";
- net is income minus spending, i.e. the sum of all non-transfer amounts;
- currencies are never added together: the top-level figures are the main currency's (the one with
  the most transactions that year), `currencies` has one summary per currency, main first.

Layer 1: imports only layer 0 and the other analyzers. The work is one collect of the two years
that matter (this and the previous one) with only the columns used, then eager polars on that.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property
from typing import Any

import polars as pl
from pydantic import BaseModel, Field

from moneystory.analyzers.bnpl import BnplReport
from moneystory.analyzers.recurring import Stream
from moneystory.money import for_display, minor_units

COLUMNS = ("txn_id", "date", "amount", "currency", "description", "merchant", "category", "kind")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
TOP_N = 10
NO_CURRENCY = "XXX"  # ISO 4217 "no currency": rows whose export did not say
EVIDENCE_LIMIT = 50  # txn_ids kept per finding: enough to check it, small enough to read

# A change against last year is "material" when it is at least this share of last year's amount
# and at least this share of last year's total spending (the money floor scales with the
# person's own spending, so it works in any currency).
MATERIAL_CHANGE = Decimal("0.10")
MATERIAL_FLOOR_OF_SPENDING = Decimal("0.005")
FULL_YEAR_DAYS = 330  # a year with fewer days of data is not compared total against total

# Streams in these categories are money moving (card payments, BNPL instalments, pay), not
# subscriptions a person can cancel.
NOT_SUBSCRIPTIONS = frozenset({"transfer", "loan_payments", "income", "government_taxes"})
CHARGES_PER_YEAR: dict[str, int] = {
    "weekly": 52, "biweekly": 26, "semimonthly": 24, "monthly": 12,
    "quarterly": 4, "semiannual": 2, "annual": 1,
}

# Fee types, most specific first; the description decides, the kind/category says it is a fee.
FEE_PATTERNS: tuple[tuple[str, str], ...] = (
    ("late", r"\blate\b|late payment|past due"),
    ("overdraft", r"overdraft|\bod\b|\bnsf\b|insufficient|returned item|unpaid item"),
    ("foreign_transaction", r"foreign|\bfx\b|non[- ]?sterling|international|cross[- ]?border|"
                            r"currency conversion|exchange (rate )?fee|non-ref|\bftf\b"),
    ("atm", r"\batm\b|cash machine|cash withdrawal fee|withdrawal fee"),
    ("interest", r"interest|finance charge|\bapr\b"),
)
# "incl. operator fee 3.50", "ATM FEE $2.50 INCL": the fee inside a cash withdrawal's amount
EMBEDDED_FEE = r"(?:fee|surcharge|charge)\D{0,6}(\d+[.,]\d{2})"
AVOIDABLE_FEES = ("late", "overdraft", "foreign_transaction", "atm")


# ---------------------------------------------------------------------------------- models
class Expense(BaseModel):
    date: date
    merchant: str
    amount: Decimal  # positive
    category: str
    txn_id: str


class CategoryTotal(BaseModel):
    category: str
    amount: Decimal
    share: Decimal  # of the year's spending, 0..1, four decimals
    count: int


class MerchantTotal(BaseModel):
    merchant: str
    amount: Decimal
    count: int  # visits: charges at this merchant


class MerchantChanges(BaseModel):
    """Merchants new this year (none last year), or dropped (some last year, none this year)."""

    count: int
    amount: Decimal
    merchants: list[MerchantTotal] = Field(default_factory=list)


class MonthTotal(BaseModel):
    month: str  # "2023-01"
    spending: Decimal
    income: Decimal
    net: Decimal
    transactions: int


class PeakMonth(BaseModel):
    month: str
    amount: Decimal


class WeekdayTotal(BaseModel):
    weekday: str
    spending: Decimal
    count: int


class DayTotal(BaseModel):
    date: date
    amount: Decimal
    count: int


class Period(BaseModel):
    start: date
    end: date
    days: int
    amount: Decimal = Decimal(0)


class CategoryChange(BaseModel):
    category: str
    amount: Decimal
    previous: Decimal
    change: Decimal
    change_pct: Decimal  # 0.25 = +25 %; null-free: a category new this year is 1 (100 %)


class PreviousYear(BaseModel):
    year: int
    transactions: int
    income: Decimal
    spending: Decimal
    net: Decimal
    saving_rate: Decimal | None
    days_covered: int
    comparable: bool  # both years have (nearly) a full year of data
    spending_change: Decimal
    spending_change_pct: Decimal | None
    spending_change_material: bool
    material_floor: Decimal
    by_month: list[MonthTotal]
    categories: list[CategoryChange]  # material changes only, biggest first


class PriceRise(BaseModel):
    merchant: str
    category: str | None = None
    date: date
    old_amount: Decimal
    new_amount: Decimal
    cadence: str
    yearly_extra: Decimal
    txn_ids: list[str] = Field(default_factory=list)


class Subscription(BaseModel):
    merchant: str
    category: str | None
    cadence: str
    amount: Decimal  # the last charge, positive
    yearly_cost: Decimal
    paid: Decimal  # charged during the year
    charges: int
    first_date: date
    last_date: date
    active: bool  # still running at the end of the year
    started: bool  # first charge this year (and there is data from before)
    stopped: bool  # ended during the year
    charge_dates: list[date] = Field(default_factory=list)
    txn_ids: list[str] = Field(default_factory=list)


class Subscriptions(BaseModel):
    count: int
    yearly_cost: Decimal  # run-rate of those still active at the end of the year
    paid: Decimal
    started: list[str]
    stopped: list[str]
    price_rises: list[PriceRise]
    items: list[Subscription]


class FeeLine(BaseModel):
    type: str  # late, overdraft, foreign_transaction, atm, interest, account, bnpl_late
    amount: Decimal
    count: int
    txn_ids: list[str] = Field(default_factory=list)


class Fees(BaseModel):
    total: Decimal
    count: int
    items: list[FeeLine]


class PledgeStatus(BaseModel):
    pledged_since: date
    kinds: list[str]
    days_kept: int
    violations: int
    violation_amount: Decimal
    legacy_remaining: Decimal


class BnplPlanLine(BaseModel):
    provider: str
    merchant: str | None
    paid: Decimal  # paid during the year
    instalments: int  # paid during the year
    first_date: date
    last_date: date
    remaining: Decimal
    txn_ids: list[str] = Field(default_factory=list)


class BnplSummary(BaseModel):
    count: int
    amount: Decimal
    providers: list[str]
    started: int
    late_fees: Decimal
    late_fee_txn_ids: list[str] = Field(default_factory=list)
    plans: list[BnplPlanLine] = Field(default_factory=list)
    pledge: PledgeStatus | None = None


class Recommendation(BaseModel):
    kind: str  # price_rise, duplicate_subscriptions, avoidable_fees, card_interest, bnpl,
    #            category_growth, peak_season
    message: str
    yearly_saving: Decimal
    action: str  # the moneystory command or the concrete step
    amount: Decimal | None = None  # the figure the step uses: a monthly cap, a sum to set aside
    txn_ids: list[str] = Field(default_factory=list)
    txn_count: int = 0  # how many transactions it rests on (txn_ids lists at most 50)


class CurrencySummary(BaseModel):
    currency: str
    transactions: int
    income: Decimal
    spending: Decimal
    net: Decimal
    saving_rate: Decimal | None
    top_categories: list[CategoryTotal]


class YearReview(BaseModel):
    year: int
    currency: str
    start: date | None  # first and last day with data in the year
    end: date | None
    transactions: int
    income: Decimal
    spending: Decimal
    net: Decimal
    saving_rate: Decimal | None  # net / income
    top_expenses: list[Expense]
    top_one_off_expenses: list[Expense]  # the same, leaving out recurring charges (rent ...)
    top_categories: list[CategoryTotal]
    top_merchants: list[MerchantTotal]
    top_merchants_by_visits: list[MerchantTotal]
    new_merchants: MerchantChanges | None  # null without a previous year to compare with
    dropped_merchants: MerchantChanges | None
    peak_month: PeakMonth | None
    by_month: list[MonthTotal]
    by_weekday: list[WeekdayTotal]
    busiest_day: DayTotal | None
    priciest_week: Period | None  # the most expensive rolling 7 days
    longest_no_spend_streak: Period | None
    previous_year: PreviousYear | None
    subscriptions: Subscriptions
    fees: Fees
    bnpl: BnplSummary
    recommendations: list[Recommendation]
    currencies: list[CurrencySummary]


class Evidence:
    """What the advice rests on that the model does not carry: the charges behind a finding,
    biggest first, looked up only for the findings that need them."""

    def __init__(self, frame: pl.DataFrame) -> None:
        self.frame = frame  # one year's rows, classified by `_two_years`

    def ids(self, column: str, value: str) -> tuple[list[str], int]:
        """Up to EVIDENCE_LIMIT txn_ids of the year's charges with `column` == `value`
        (column "month": "2023-12"), biggest first, and how many there are in all."""
        match = (pl.col("month") == int(value[5:7]) if column == "month"
                 else pl.col(column) == value)
        which = pl.col("outflow") & match
        top = _largest(self.frame, EVIDENCE_LIMIT, which).sort(["spend", "txn_id"],
                                                               descending=[True, False])
        count = self.frame.select(which.sum()).item()
        return top["txn_id"].head(EVIDENCE_LIMIT).to_list(), int(count)


# ---------------------------------------------------------------------------------- entry
def review_year(
    lf: pl.LazyFrame,
    year: int,
    *,
    streams: Sequence[Stream] = (),
    bnpl: BnplReport | None = None,
    pledge: object | None = None,
    currency: str | None = None,
    figures: YearFigures | None = None,
) -> YearReview:
    """The money story of `year` from an ENRICHED LazyFrame (any span; only two years are read).

    `pledge` is a PledgeAdherence (analyzers.pledge) or None; `currency` forces the main one.
    `figures`: year_figures(lf, year, currency=currency) made already (story.py makes it
    beside the recurring and BNPL analyzers).
    """
    from moneystory.analyzers import advice  # advice reads this module's models

    figures = figures or year_figures(lf, year, currency=currency)
    facts, this_main = figures.facts, figures.facts.frame
    subscriptions = _subscriptions(streams, this_main, year, facts.currency,
                                   before=figures.last.frame)
    review = YearReview(
        **figures.sections,
        subscriptions=subscriptions,
        fees=_fees(this_main, facts.currency,
                   bnpl_late=(bnpl or BnplReport()).late_fee_txn_ids),
        bnpl=_bnpl(bnpl or BnplReport(), this_main, year, facts.currency, pledge),
        top_one_off_expenses=facts.top_expenses(
            leave_out=[t for item in subscriptions.items for t in item.txn_ids]),
        recommendations=[],
    )
    review.recommendations = advice.recommend(review, facts.evidence())
    return review


@dataclass(frozen=True)
class YearFigures:
    """The review's sections that neither the recurring nor the BNPL analyzer feeds, and the
    year's rows they came from (main currency: `facts` this year, `last` the year before)."""

    facts: _Facts
    last: _Facts
    sections: dict[str, Any]  # YearReview's fields, by name


def year_figures(lf: pl.LazyFrame, year: int, *, currency: str | None = None) -> YearFigures:
    """Everything of review_year() that needs only the transactions: the heavy half."""
    both = _two_years(lf, year)
    in_year = pl.col("date") >= date(year, 1, 1)  # `both` holds this year and the last
    counts = _currency_counts(both, in_year)
    main = currency or (counts[0][0] if counts else "USD")
    # Only the two frames used are made, each straight from the window: a copy of both years
    # first cost another half a gigabyte at 2M rows.
    this_main, prev_main = pl.collect_all([
        both.filter(in_year & (pl.col("currency") == main)),
        both.filter(~in_year & (pl.col("currency") == main))])
    facts, last = _Facts(this_main, year, main), _Facts(prev_main, year - 1, main)
    _with_groupings(facts, last)
    sections: dict[str, Any] = {
        "year": year, "currency": main, "start": facts.start, "end": facts.end,
        "transactions": this_main.height, "income": facts.money(facts.income),
        "spending": facts.money(facts.spending),
        "net": facts.money(facts.income - facts.spending),
        "saving_rate": _ratio(facts.income - facts.spending, facts.income),
        "top_expenses": facts.top_expenses(), "top_categories": facts.categories(),
        "top_merchants": facts.merchants("amount"),
        "top_merchants_by_visits": facts.merchants("count"),
        "new_merchants": _merchant_changes(facts, last, new=True),
        "dropped_merchants": _merchant_changes(facts, last, new=False),
        "peak_month": facts.peak_month(), "by_month": facts.months,
        "by_weekday": facts.by_weekday(), "busiest_day": facts.busiest_day(),
        "priciest_week": facts.priciest_week(),
        "longest_no_spend_streak": facts.no_spend_streak(),
        "previous_year": _previous_year(facts, last),
        "currencies": _currency_summaries(both, in_year, facts, counts),
    }
    return YearFigures(facts=facts, last=last, sections=sections)


def _two_years(lf: pl.LazyFrame, year: int) -> pl.LazyFrame:
    """Only the rows and columns the review uses, with the money flow classified once."""
    kind = pl.col("kind")
    is_transfer = kind == "transfer"
    is_income = (kind == "income") | ((kind == "interest") & (pl.col("amount") > 0))
    outflow = ~is_transfer & ~is_income & (pl.col("amount") < 0)
    return (
        lf.filter(pl.col("date").is_between(date(year - 1, 1, 1), date(year, 12, 31)))
        .select(COLUMNS)
        .with_columns(
            merchant=pl.coalesce(pl.col("merchant"), pl.col("description"), pl.lit("unknown")),
            category=pl.col("category").fill_null("other"),
            currency=pl.col("currency").fill_null(NO_CURRENCY),
            kind=kind.fill_null(pl.when(pl.col("amount") > 0).then(pl.lit("income"))
                                .otherwise(pl.lit("purchase"))),
        )
        .with_columns(
            income=pl.when(is_income).then(pl.col("amount")).otherwise(pl.lit(0)),
            spend=pl.when(~is_transfer & ~is_income).then(-pl.col("amount")).otherwise(pl.lit(0)),
            outflow=outflow,
            counted=~is_transfer,
            month=pl.col("date").dt.month(),
            weekday=pl.col("date").dt.weekday(),
        )
    )


def _currency_counts(lf: pl.LazyFrame, which: pl.Expr) -> list[tuple[str, int]]:
    """(currency, rows) of the rows `which` selects, the most used first: the main currency."""
    counts = lf.select(pl.col("currency").filter(which).value_counts(name="n")).collect().unnest(
        "currency")
    return sorted(((str(c), int(n)) for c, n in counts.iter_rows()), key=lambda r: (-r[1], r[0]))


# ---------------------------------------------------------------------------------- helpers
def _ratio(part: Decimal, whole: Decimal) -> Decimal | None:
    if whole <= 0:
        return None
    return (part / whole).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def _sum(frame: pl.DataFrame, column: str) -> Decimal:
    value = frame[column].sum() if frame.height else None
    return Decimal(value) if value is not None else Decimal(0)


def round_money(amount: Decimal, currency: str) -> Decimal:
    """A computed amount (a division) rounded to the currency's decimals."""
    return amount.quantize(Decimal(1).scaleb(-minor_units(currency)), rounding=ROUND_HALF_UP)


def _by_category(lf: pl.LazyFrame) -> pl.LazyFrame:
    return (lf.group_by("category")
            .agg(amount=pl.col("spend").sum(), count=pl.col("outflow").sum())
            .filter(pl.col("amount") > 0)
            .sort(["amount", "category"], descending=[True, False]))


def _by_merchant(lf: pl.LazyFrame) -> pl.LazyFrame:
    return lf.group_by("merchant").agg(amount=pl.col("spend").sum(),
                                       count=pl.col("outflow").sum())


def _by_month(lf: pl.LazyFrame) -> pl.LazyFrame:
    return lf.group_by("month").agg(spending=pl.col("spend").sum(),
                                    income=pl.col("income").sum(), transactions=pl.len())


def _by_weekday(lf: pl.LazyFrame) -> pl.LazyFrame:
    return lf.group_by(day=pl.col("weekday")).agg(spending=pl.col("spend").sum(),
                                                  count=pl.col("outflow").sum())


def _by_day(lf: pl.LazyFrame) -> pl.LazyFrame:
    return lf.group_by("date").agg(spend=pl.col("spend").sum(),
                                   charges=pl.col("outflow").sum().cast(pl.UInt32))


# _Facts' groupings (its cached properties), by name, and those the year before is compared on
_GROUPINGS = {"category_frame": _by_category, "merchant_frame": _by_merchant,
              "month_sums": _by_month, "weekday_sums": _by_weekday, "day_sums": _by_day}
_COMPARED = ("category_frame", "merchant_frame", "month_sums")


def _with_groupings(this: _Facts, last: _Facts) -> None:
    """Make the groupings the figures read of both years in one pl.collect_all, which runs
    them side by side: year_figures 0.49 -> 0.38 s at 1M rows a year."""
    wanted = [(this, name) for name in _GROUPINGS] + [(last, name) for name in _COMPARED]
    queries = [(facts, name, _GROUPINGS[name](facts.frame.lazy())) for facts, name in wanted]
    for (facts, name, _), frame in zip(queries, pl.collect_all([q for *_, q in queries]),
                                       strict=True):
        setattr(facts, name, frame)  # what the cached property would have computed


def _month_key(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


class _Facts:
    """The figures of one year in one currency, from its rows (classified by `_two_years`)."""

    def __init__(self, frame: pl.DataFrame, year: int, currency: str) -> None:
        self.frame = frame
        self.year = year
        self.currency = currency
        self.income = _sum(frame, "income")
        self.spending = _sum(frame, "spend")
        self.start: date | None = frame["date"].min() if frame.height else None  # type: ignore[assignment]
        self.end: date | None = frame["date"].max() if frame.height else None  # type: ignore[assignment]
        # Transfer and income rows carry spend 0 and outflow False, so groupings over the whole
        # frame equal groupings over the spending rows: no filtered copy is made.
        self.spend_rows = frame

    def money(self, amount: Decimal) -> Decimal:
        return for_display(amount, self.currency)

    @property
    def days_covered(self) -> int:
        return (self.end - self.start).days + 1 if self.start and self.end else 0

    def top_expenses(self, n: int = TOP_N, *, leave_out: Sequence[str] = ()) -> list[Expense]:
        # the n largest once `leave_out` is gone are among the n + len(leave_out) largest
        rows = _largest(self.frame, n + len(leave_out), pl.col("outflow"))
        rows = rows.filter(~pl.col("txn_id").is_in(list(leave_out))).sort(
            ["spend", "date", "txn_id"], descending=[True, False, False]).head(n)
        return [
            Expense(date=r["date"], merchant=r["merchant"], amount=self.money(r["spend"]),
                    category=r["category"], txn_id=r["txn_id"])
            for r in rows.iter_rows(named=True)
        ]

    @cached_property
    def category_frame(self) -> pl.DataFrame:
        return _by_category(self.spend_rows.lazy()).collect()

    def categories(self, n: int | None = None) -> list[CategoryTotal]:
        rows = self.category_frame
        rows = rows.head(n) if n else rows
        return [
            CategoryTotal(category=r["category"], amount=self.money(r["amount"]),
                          share=_ratio(r["amount"], self.spending) or Decimal(0),
                          count=int(r["count"]))
            for r in rows.iter_rows(named=True)
        ]

    @cached_property
    def merchant_frame(self) -> pl.DataFrame:
        """Every merchant of the year (any row): spend and the number of charges."""
        return _by_merchant(self.spend_rows.lazy()).collect()

    def merchants(self, order: str, n: int = TOP_N) -> list[MerchantTotal]:
        rows = self.merchant_frame.filter(pl.col("count") > 0)
        keys = ["amount", "count"] if order == "amount" else ["count", "amount"]
        rows = rows.sort([*keys, "merchant"], descending=[True, True, False]).head(n)
        return [
            MerchantTotal(merchant=r["merchant"], amount=self.money(r["amount"]),
                          count=int(r["count"]))
            for r in rows.iter_rows(named=True)
        ]

    @cached_property
    def months(self) -> list[MonthTotal]:
        return self.by_month()

    @cached_property
    def month_sums(self) -> pl.DataFrame:
        return _by_month(self.frame.lazy()).collect()

    def by_month(self) -> list[MonthTotal]:
        found = {r["month"]: r for r in self.month_sums.iter_rows(named=True)}
        months = []
        for month in range(1, 13):
            row = found.get(month)
            spending = Decimal(row["spending"]) if row else Decimal(0)
            income = Decimal(row["income"]) if row else Decimal(0)
            months.append(MonthTotal(
                month=_month_key(self.year, month), spending=self.money(spending),
                income=self.money(income), net=self.money(income - spending),
                transactions=int(row["transactions"]) if row else 0,
            ))
        return months

    def peak_month(self) -> PeakMonth | None:
        months = [m for m in self.months if m.spending > 0]
        if not months:
            return None
        peak = max(months, key=lambda m: (m.spending, m.month))
        return PeakMonth(month=peak.month, amount=peak.spending)

    @cached_property
    def weekday_sums(self) -> pl.DataFrame:
        return _by_weekday(self.spend_rows.lazy()).collect()

    @cached_property
    def day_sums(self) -> pl.DataFrame:
        return _by_day(self.spend_rows.lazy()).collect()

    def by_weekday(self) -> list[WeekdayTotal]:
        found = {r["day"]: r for r in self.weekday_sums.iter_rows(named=True)}
        return [
            WeekdayTotal(weekday=name,
                         spending=self.money(Decimal(found[i]["spending"]) if i in found
                                             else Decimal(0)),
                         count=int(found[i]["count"]) if i in found else 0)
            for i, name in enumerate(WEEKDAYS, start=1)
        ]

    @cached_property
    def daily(self) -> pl.DataFrame:
        """One row per day of the span with data: spending and the number of charges."""
        if self.start is None or self.end is None:
            return pl.DataFrame(schema={"date": pl.Date, "spend": self.frame["spend"].dtype,
                                        "charges": pl.UInt32})
        days = pl.DataFrame({"date": pl.date_range(self.start, self.end, eager=True)})
        return days.join(self.day_sums, on="date", how="left").with_columns(
            spend=pl.col("spend").fill_null(pl.lit(0)), charges=pl.col("charges").fill_null(0)
        ).sort("date")

    def busiest_day(self) -> DayTotal | None:
        daily = self.daily.filter(pl.col("charges") > 0)
        if daily.is_empty():
            return None
        top = daily.sort(["charges", "spend", "date"], descending=[True, True, False]).row(
            0, named=True)
        return DayTotal(date=top["date"], amount=self.money(top["spend"]), count=top["charges"])

    def priciest_week(self) -> Period | None:
        daily = self.daily
        if daily.is_empty() or self.spending <= 0:
            return None
        running = pl.col("spend").cum_sum()
        weeks = daily.with_columns(
            week=running - running.shift(7, fill_value=pl.lit(0)),
        ).sort(["week", "date"], descending=[True, False])
        top = weeks.row(0, named=True)
        start = max(top["date"] - timedelta(days=6), self.start or top["date"])
        return Period(start=start, end=top["date"], days=(top["date"] - start).days + 1,
                      amount=self.money(top["week"]))

    def no_spend_streak(self) -> Period | None:
        daily = self.daily.with_columns(free=pl.col("charges") == 0)
        if daily.is_empty():
            return None
        runs = (
            daily.with_columns(run=pl.col("free").rle_id())
            .filter(pl.col("free"))
            .group_by("run")
            .agg(start=pl.col("date").min(), end=pl.col("date").max(), days=pl.len())
            .sort(["days", "start"], descending=[True, False])
        )
        if runs.is_empty():
            return None
        top = runs.row(0, named=True)
        return Period(start=top["start"], end=top["end"], days=top["days"])

    def evidence(self) -> Evidence:
        return Evidence(self.frame)


def _largest(frame: pl.DataFrame, n: int, which: pl.Expr | None = None) -> pl.DataFrame:
    """The rows (of those `which` selects) whose spend is among the n largest, ties kept: a
    cut before any full sort, and no copy of the rows not kept."""
    which = pl.lit(True) if which is None else which
    cut = frame.select(pl.col("spend").filter(which).top_k(n).min()).item()
    if cut is None:
        return frame.clear()
    return frame.filter(which & (pl.col("spend") >= cut))


# ---------------------------------------------------------------------------------- sections
def _merchant_changes(this: _Facts, last: _Facts, *, new: bool) -> MerchantChanges | None:
    """New: charged this year, no row at all last year. Dropped: the other way round."""
    if last.frame.is_empty() or this.frame.is_empty():
        return None
    here, there = (this, last) if new else (last, this)
    rows = (
        here.merchant_frame.filter(pl.col("count") > 0)
        .join(there.merchant_frame.select("merchant"), on="merchant", how="anti")
        .sort(["amount", "merchant"], descending=[True, False])
    )
    return MerchantChanges(
        count=rows.height,
        amount=here.money(_sum(rows, "amount")),
        merchants=[
            MerchantTotal(merchant=r["merchant"], amount=here.money(r["amount"]),
                          count=int(r["count"]))
            for r in rows.head(TOP_N).iter_rows(named=True)
        ],
    )


def _previous_year(facts: _Facts, last: _Facts) -> PreviousYear | None:
    prev, year = last.frame, last.year
    if prev.is_empty():
        return None
    comparable = min(facts.days_covered, last.days_covered) >= FULL_YEAR_DAYS
    floor = round_money(last.spending * MATERIAL_FLOOR_OF_SPENDING, facts.currency)
    change = facts.spending - last.spending
    return PreviousYear(
        year=year, transactions=prev.height, income=last.money(last.income),
        spending=last.money(last.spending), net=last.money(last.income - last.spending),
        saving_rate=_ratio(last.income - last.spending, last.income),
        days_covered=last.days_covered, comparable=comparable,
        spending_change=last.money(change),
        spending_change_pct=_ratio(change, last.spending) if last.spending > 0 else None,
        spending_change_material=comparable and _material(change, last.spending, floor),
        material_floor=floor, by_month=last.months,
        categories=_category_changes(facts, last, floor) if comparable else [],
    )


def _material(change: Decimal, base: Decimal, floor: Decimal) -> bool:
    if abs(change) < floor or abs(change) == 0:
        return False
    return base <= 0 or abs(change) >= base * MATERIAL_CHANGE


def _category_changes(facts: _Facts, last: _Facts, floor: Decimal) -> list[CategoryChange]:
    now, before = (
        {r["category"]: Decimal(r["amount"]) for r in f.category_frame.iter_rows(named=True)}
        for f in (facts, last)
    )
    changes = []
    for category in sorted(set(now) | set(before)):
        amount, previous = now.get(category, Decimal(0)), before.get(category, Decimal(0))
        change = amount - previous
        if not _material(change, previous, floor):
            continue
        pct = _ratio(change, previous) if previous > 0 else Decimal(1)
        changes.append(CategoryChange(
            category=category, amount=facts.money(amount), previous=facts.money(previous),
            change=facts.money(change), change_pct=pct or Decimal(0),
        ))
    return sorted(changes, key=lambda c: (-abs(c.change), c.category))


def _charges(
    id_lists: Sequence[Sequence[str]], frame: pl.DataFrame
) -> dict[int, dict[str, Any]]:
    """For each list of txn_ids (a stream, a plan) its rows in `frame`: dates, ids, amount.

    One join for all lists, keyed by the list's index; lists with no row in `frame` are absent.
    """
    pairs = pl.DataFrame(
        {"group": [i for i, ids in enumerate(id_lists) for _ in ids],
         "txn_id": [t for ids in id_lists for t in ids]},
        schema={"group": pl.Int64, "txn_id": pl.String},
    )
    wanted = frame.lazy().select("txn_id", "date", "spend").filter(  # a few of 1M rows
        pl.col("txn_id").is_in(pairs["txn_id"].implode())).collect()
    rows = (
        pairs.join(wanted, on="txn_id", how="inner")
        .sort("group", "date", "txn_id")
        .group_by("group", maintain_order=True)
        .agg(dates=pl.col("date"), ids=pl.col("txn_id"), paid=pl.col("spend").sum())
    )
    return {r["group"]: r for r in rows.iter_rows(named=True)}


def _subscriptions(
    streams: Sequence[Stream], frame: pl.DataFrame, year: int, currency: str, *,
    before: pl.DataFrame,
) -> Subscriptions:
    """Recurring charges with a charge this year. "started" means the merchant never charged
    in the previous year (a stream split by a price change or a new card is not new)."""
    chosen = [s for s in streams if s.direction == "out" and s.currency == currency
              and (s.category or "other") not in NOT_SUBSCRIPTIONS]
    grouped = _charges([s.txn_ids for s in chosen], frame)
    year_end = date(year, 12, 31)
    merchants = pl.Series([s.merchant for s in chosen], dtype=pl.String).implode()
    charged_before = set(before.lazy().filter(pl.col("outflow") & pl.col("merchant").is_in(
        merchants)).select(pl.col("merchant").unique()).collect()["merchant"].to_list())
    items: list[Subscription] = []
    rises: list[PriceRise] = []
    for index, stream in enumerate(chosen):
        row = grouped.get(index)
        if row is None:
            continue  # no charge in this year
        stopped = not stream.active and stream.last_date <= year_end
        items.append(Subscription(
            merchant=stream.merchant, category=stream.category, cadence=stream.cadence,
            amount=for_display(abs(stream.last_amount), currency),
            yearly_cost=for_display(stream.yearly_cost, currency),
            paid=for_display(Decimal(row["paid"]), currency), charges=len(row["ids"]),
            first_date=stream.first_date, last_date=stream.last_date,
            active=not stopped,
            started=before.height > 0 and stream.merchant not in charged_before,
            stopped=stopped, charge_dates=list(row["dates"]), txn_ids=list(row["ids"]),
        ))
        if not stopped:
            rises.extend(_price_rises(stream, row["ids"], row["dates"], year, currency))
    items.sort(key=lambda s: (-s.paid, s.merchant, s.first_date))
    return Subscriptions(
        count=len(items),
        yearly_cost=for_display(sum((s.yearly_cost for s in items if s.active), Decimal(0)),
                                currency),
        paid=for_display(sum((s.paid for s in items), Decimal(0)), currency),
        started=[s.merchant for s in items if s.started],
        stopped=[s.merchant for s in items if s.stopped],
        price_rises=sorted(rises, key=lambda r: (-r.yearly_extra, r.merchant)),
        items=items,
    )


def _price_rises(
    stream: Stream, ids: Iterable[str], dates: Iterable[date], year: int, currency: str
) -> list[PriceRise]:
    per_year = CHARGES_PER_YEAR.get(stream.cadence, 12)
    charged = list(zip(dates, ids, strict=True))
    rises = []
    for change in stream.price_changes:
        if change.date.year != year or change.new_amount <= change.old_amount:
            continue
        extra = (abs(change.new_amount) - abs(change.old_amount)) * per_year
        rises.append(PriceRise(
            merchant=stream.merchant, category=stream.category, date=change.date,
            old_amount=for_display(abs(change.old_amount), currency),
            new_amount=for_display(abs(change.new_amount), currency), cadence=stream.cadence,
            yearly_extra=for_display(extra, currency),
            txn_ids=[t for d, t in charged if d >= change.date],
        ))
    return rises


def fee_type(description: pl.Expr) -> pl.Expr:
    """late, overdraft, foreign_transaction, atm, interest or account, from the bank's text."""
    text = description.str.to_lowercase()
    expr: pl.Expr = pl.lit("account")
    for name, pattern in reversed(FEE_PATTERNS):
        expr = pl.when(text.str.contains(pattern)).then(pl.lit(name)).otherwise(expr)
    return expr


def _fees(frame: pl.DataFrame, currency: str, *, bnpl_late: Sequence[str] = ()) -> Fees:
    """Fees and interest paid: kind fee or interest, category bank_fees, and the operator fee a
    cash withdrawal's text names ("incl. operator fee 3.50": that part only, not the cash).

    Late fees of BNPL plans are their own type (bnpl_late): the BNPL advice speaks for them.
    """
    kind = pl.col("kind")
    is_fee = (
        (kind.is_in(["fee", "interest"]) | (pl.col("category") == "bank_fees"))
        & (pl.col("income") == 0) & pl.col("counted")
    )
    # both picked from the year's 1M rows in one parallel pass
    charged, embedded = pl.collect_all([
        frame.lazy().filter(is_fee).with_columns(
            type=pl.when(pl.col("txn_id").is_in(list(bnpl_late))).then(pl.lit("bnpl_late"))
            .when(kind == "interest").then(pl.lit("interest"))
            .otherwise(fee_type(pl.col("description")))),
        frame.lazy().filter((kind == "atm") & ~is_fee).with_columns(
            spend=pl.col("description").str.to_lowercase().str.extract(EMBEDDED_FEE, 1)
            .str.replace(",", ".").cast(frame["spend"].dtype, strict=False),
            type=pl.lit("atm"), outflow=pl.lit(True),
        ).filter(pl.col("spend") > 0)])
    rows = (
        pl.concat([charged.select("txn_id", "type", "spend", "outflow"),
                   embedded.select("txn_id", "type", "spend", "outflow")])
        .sort(["spend", "txn_id"], descending=[True, False])
        .group_by("type")
        .agg(amount=pl.col("spend").sum(), count=pl.col("outflow").sum(),
             ids=pl.col("txn_id").head(EVIDENCE_LIMIT))
        .filter(pl.col("amount") > 0)
        .sort(["amount", "type"], descending=[True, False])
    )
    items = [
        FeeLine(type=r["type"], amount=for_display(r["amount"], currency), count=int(r["count"]),
                txn_ids=list(r["ids"]))
        for r in rows.iter_rows(named=True)
    ]
    return Fees(total=for_display(sum((i.amount for i in items), Decimal(0)), currency),
                count=sum(i.count for i in items), items=items)


def _bnpl(
    report: BnplReport, frame: pl.DataFrame, year: int, currency: str, pledge: object | None
) -> BnplSummary:
    plans = [p for p in report.plans if p.currency == currency]
    paid = _charges([p.txn_ids for p in plans], frame)
    lines = [
        BnplPlanLine(
            provider=plan.provider, merchant=plan.merchant,
            paid=for_display(Decimal(paid[i]["paid"]), currency),
            instalments=len(paid[i]["ids"]), first_date=plan.first_date,
            last_date=plan.last_date, remaining=for_display(plan.remaining, currency),
            txn_ids=list(paid[i]["ids"]),
        )
        for i, plan in enumerate(plans) if i in paid
    ]
    late = frame.filter(pl.col("txn_id").is_in(report.late_fee_txn_ids))
    return BnplSummary(
        count=len(lines),
        amount=for_display(sum((p.paid for p in lines), Decimal(0)), currency),
        providers=sorted({p.provider for p in lines}),
        started=sum(1 for p in lines if p.first_date.year == year),
        late_fees=for_display(_sum(late, "spend"), currency),
        late_fee_txn_ids=sorted(late["txn_id"].to_list()),
        plans=sorted(lines, key=lambda p: (p.first_date, p.provider)),
        pledge=PledgeStatus.model_validate(pledge, from_attributes=True) if pledge else None,
    )


def _currency_summaries(lf: pl.LazyFrame, in_year: pl.Expr, main: _Facts,
                        counts: list[tuple[str, int]]) -> list[CurrencySummary]:
    """One summary per currency of the year's rows (`in_year` of `lf`, counted in
    `counts`), main first."""
    ordered = sorted(counts, key=lambda r: (r[0] != main.currency, -r[1], r[0]))
    summaries = []
    for code, count in ordered:
        facts = main if code == main.currency else _Facts(
            lf.filter(in_year & (pl.col("currency") == code)).collect(), main.year, code)
        summaries.append(CurrencySummary(
            currency=code, transactions=count, income=facts.money(facts.income),
            spending=facts.money(facts.spending),
            net=facts.money(facts.income - facts.spending),
            saving_rate=_ratio(facts.income - facts.spending, facts.income),
            top_categories=facts.categories(5),
        ))
    return summaries
