"""Synthetic multi-year histories with known recurring streams, for tests and benchmarks.

`generate()` returns an ENRICHED frame and the truth: which transactions make which stream.
It covers every cadence, price rises, cancellations, mid-period starts, weekend and holiday
shifts, month-end clamping, posting delays, varying bills, two subscriptions at one merchant,
and traps that are frequent or roughly regular but not recurring (groceries, coffee at one
price, a hairdresser every 4-6 weeks, marketplace orders, rides).
"""

from __future__ import annotations

import calendar
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import polars as pl

from moneystory import schema
from moneystory.analyzers.recurring import Stream

CENT = Decimal("0.01")


@dataclass
class TruthStream:
    account_id: str
    merchant: str
    cadence: str
    direction: str = "out"
    txn_ids: list[str] = field(default_factory=list)
    ended: bool = False  # cancelled before the end of the history


@dataclass
class History:
    frame: pl.DataFrame
    truth: list[TruthStream]
    end: date


@dataclass
class _Row:
    account_id: str
    date: date
    amount: Decimal
    description: str
    merchant: str
    category: str
    kind: str
    card_last4: str | None = None


# ------------------------------------------------------------------------ calendar helpers
def clamp(year: int, month: int, day: int) -> date:
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def add_months(d: date, months: int, day: int) -> date:
    index = d.year * 12 + d.month - 1 + months
    return clamp(index // 12, index % 12 + 1, day)


def business_day(d: date, *, backwards: bool = False) -> date:
    """Weekend (and New Year / Christmas) shift, as banks do: forward, or back for payroll."""
    step = timedelta(days=-1 if backwards else 1)
    while d.weekday() >= 5 or (d.month, d.day) in ((1, 1), (12, 25), (12, 26)):
        d += step
    return d


def monthly_dates(start: date, end: date, day: int, every: int = 1) -> Iterator[date]:
    k = 0
    while (d := add_months(start, k * every, day)) <= end:
        if d >= start:
            yield d
        k += 1


def day_dates(start: date, end: date, every: int) -> Iterator[date]:
    d = start
    while d <= end:
        yield d
        d += timedelta(days=every)


def semimonthly_dates(start: date, end: date, late_pair: bool) -> Iterator[date]:
    for first in monthly_dates(start.replace(day=1), end, 1):
        pair = (
            (first.replace(day=15), clamp(first.year, first.month, 31)) if late_pair
            else (first, first.replace(day=15))
        )
        for d in pair:
            if start <= d <= end:
                yield d


# ---------------------------------------------------------------------------- stream specs
@dataclass
class Spec:
    merchant: str
    cadence: str
    dates: Callable[[date, date], Iterator[date]]
    amount: Callable[[random.Random, int, date], Decimal]  # (rng, index, date) -> magnitude
    category: str = "subscriptions"
    direction: str = "out"
    description: str | None = None
    start_offset_days: int = 0  # mid-period start
    stop_after_days: int | None = None  # cancellation
    shift: str = "forward"  # forward, backwards (payroll) or none
    delay: int = 0  # up to this many days of posting delay
    skip: tuple[int, ...] = ()  # occurrences that never happened


def fixed(value: str) -> Callable[[random.Random, int, date], Decimal]:
    return lambda rng, i, d: Decimal(value)


def rising(before: str, after: str, on: date) -> Callable[[random.Random, int, date], Decimal]:
    return lambda rng, i, d: Decimal(after if d >= on else before)


def varying(low: int, high: int) -> Callable[[random.Random, int, date], Decimal]:
    return lambda rng, i, d: Decimal(rng.randint(low * 100, high * 100)) / 100


def specs(start: date, suffix: str = "") -> list[Spec]:
    """One account's recurring life: every cadence and tolerance the detector must handle."""
    s = suffix
    return [
        Spec(f"Netflix{s}", "monthly", lambda a, b: monthly_dates(a, b, 15),
             rising("10.99", "12.99", add_months(start, 14, 1)), delay=2),
        Spec(f"Spotify{s}", "monthly", lambda a, b: monthly_dates(a, b, 31), fixed("9.99"),
             skip=(7,)),
        Spec(f"Apple{s}", "monthly", lambda a, b: monthly_dates(a, b, 3), fixed("2.99")),
        Spec(f"Apple{s}", "monthly", lambda a, b: monthly_dates(a, b, 21), fixed("10.99")),
        Spec(f"City Power{s}", "monthly", lambda a, b: monthly_dates(a, b, 5),
             varying(60, 140), category="rent_utilities", delay=3),
        Spec(f"Landlord Rent{s}", "monthly", lambda a, b: monthly_dates(a, b, 1),
             fixed("1250.00"), category="rent_utilities"),
        Spec(f"Iron Gym{s}", "monthly", lambda a, b: monthly_dates(a, b, 10), fixed("39.99"),
             category="personal_care", stop_after_days=400),
        Spec(f"Disney Plus{s}", "monthly", lambda a, b: monthly_dates(a, b, 8), fixed("7.99"),
             start_offset_days=500),
        Spec(f"Meal Box{s}", "weekly", lambda a, b: day_dates(a + timedelta(days=3), b, 7),
             fixed("59.99"), category="food_delivery", stop_after_days=300, shift="none"),
        Spec(f"Acme Payroll{s}", "biweekly", lambda a, b: day_dates(a + timedelta(days=4), b, 14),
             fixed("2150.00"), category="income", direction="in", shift="none"),
        Spec(f"Side Gig Payroll{s}", "semimonthly",
             lambda a, b: semimonthly_dates(a, b, late_pair=False), fixed("800.00"),
             category="income", direction="in", shift="backwards"),
        Spec(f"Little Steps Daycare{s}", "semimonthly",
             lambda a, b: semimonthly_dates(a, b, late_pair=True), fixed("450.00"),
             category="services", start_offset_days=120),
        Spec(f"Aqua Water{s}", "quarterly", lambda a, b: monthly_dates(a, b, 20, every=3),
             varying(80, 120), category="rent_utilities", delay=2),
        Spec(f"Safe Car Insurance{s}", "semiannual",
             lambda a, b: monthly_dates(a, b, 12, every=6), fixed("420.00"), category="services"),
        Spec(f"Amazon Prime{s}", "annual", lambda a, b: monthly_dates(a, b, 17, every=12),
             rising("119.00", "139.00", add_months(start, 20, 1)),
             description=f"AMAZON PRIME{s.upper()} ANNUAL MEMBERSHIP"),
        Spec(f"Cloud Backup{s}", "annual", lambda a, b: monthly_dates(a, b, 2, every=12),
             fixed("59.00"), start_offset_days=700,
             description=f"CLOUD BACKUP{s.upper()} YEARLY PLAN"),
        Spec(f"Shield Antivirus{s}", "annual", lambda a, b: monthly_dates(a, b, 25, every=12),
             fixed("49.99"), start_offset_days=900, category="services",
             description=f"SHIELD ANTIVIRUS{s.upper()} YEARLY RENEWAL"),
        Spec(f"Newsweekly{s}", "weekly", lambda a, b: day_dates(a + timedelta(days=1), b, 7),
             fixed("3.50"), start_offset_days=200, stop_after_days=500),
        Spec(f"Charity Club{s}", "monthly", lambda a, b: monthly_dates(a, b, 28), fixed("20.00"),
             category="other", start_offset_days=300, stop_after_days=150),
    ]


def _expand(spec: Spec, account: str, start: date, end: date, rng: random.Random,
            card: str | None) -> list[_Row]:
    first = start + timedelta(days=spec.start_offset_days)
    last = end if spec.stop_after_days is None else min(
        end, first + timedelta(days=spec.stop_after_days))
    rows = []
    for i, nominal in enumerate(spec.dates(first, last)):
        if i in spec.skip:  # a failed payment: that month has no charge
            continue
        d = nominal
        if spec.shift != "none":
            d = business_day(d, backwards=spec.shift == "backwards")
        if spec.delay:
            d += timedelta(days=rng.randint(0, spec.delay))
        if d > end:
            continue
        magnitude = spec.amount(rng, i, nominal).quantize(CENT)
        amount = magnitude if spec.direction == "in" else -magnitude
        rows.append(_Row(account, d, amount, spec.description or spec.merchant.upper(),
                         spec.merchant, spec.category,
                         "income" if spec.direction == "in" else "purchase", card))
    return rows


def _traps(account: str, start: date, end: date, rng: random.Random, card: str | None,
           suffix: str) -> list[_Row]:
    """Frequent or roughly regular spending that is not a stream."""
    rows: list[_Row] = []

    def add(d: date, amount: Decimal, merchant: str, category: str) -> None:
        rows.append(_Row(account, d, -amount, merchant.upper(), merchant, category, "purchase",
                         card))

    d = start
    while d <= end:
        for _ in range(rng.choice([0, 0, 1, 1, 1, 2])):  # groceries on irregular days
            add(d, Decimal(rng.randint(800, 14000)) / 100, f"Fresh Market{suffix}", "groceries")
        if rng.random() < 0.45:  # coffee, always the same price
            add(d, Decimal("4.50"), f"Corner Coffee{suffix}", "coffee")
        if rng.random() < 0.06:
            add(d, Decimal(rng.randint(1500, 25000)) / 100, f"Amazon{suffix}",
                "general_merchandise")
        if rng.random() < 0.04:
            add(d, Decimal(rng.randint(700, 4500)) / 100, f"Uber{suffix}", "transportation")
        if rng.random() < 0.03:  # app purchases at the merchant of two subscriptions
            add(d, Decimal(rng.choice(["0.99", "1.99", "4.99", "6.99", "14.99", "19.99"])),
                f"Apple{suffix}", "subscriptions")
        if rng.random() < 0.05:
            add(d, Decimal(rng.randint(1800, 9000)) / 100, f"Bistro {rng.randint(1, 40)}{suffix}",
                "restaurants")
        d += timedelta(days=1)
    d = start + timedelta(days=rng.randint(0, 20))
    while d <= end:  # a haircut every four to six weeks, same price: roughly, not recurring
        add(d, Decimal("45.00"), f"Salon Nine{suffix}", "personal_care")
        d += timedelta(days=rng.randint(26, 48))
    return rows


def generate(seed: int = 7, *, start: date = date(2021, 1, 1), end: date = date(2023, 12, 31),
             accounts: int = 2, copies: int = 1, traps: bool = True) -> History:
    """A history of `accounts` accounts, each with `copies` sets of the stream specs."""
    rng = random.Random(seed)
    rows: list[_Row] = []
    truth: list[TruthStream] = []
    for a in range(accounts):
        account = f"acct-{a}"
        card = f"{1000 + a:04d}" if a else None  # acct-0 is a current account without cards
        for c in range(copies):
            suffix = f" {c}" if copies > 1 else ""
            for spec in specs(start, suffix):
                expanded = _expand(spec, account, start, end, rng, card)
                first = len(rows)
                rows.extend(expanded)
                ended = spec.stop_after_days is not None
                truth.append(TruthStream(account, spec.merchant, spec.cadence, spec.direction,
                                         [_txn_id(i) for i in range(first, len(rows))], ended))
            if traps:
                rows.extend(_traps(account, start, end, rng, card, suffix))
    return History(frame(rows), truth, end)


def _txn_id(index: int) -> str:
    return f"t{index:08d}"


def frame(rows: list[_Row]) -> pl.DataFrame:
    """ENRICHED frame from the rows; txn ids follow the list order."""
    n = len(rows)
    data = {
        "txn_id": [_txn_id(i) for i in range(n)],
        "account_id": [r.account_id for r in rows],
        "card_last4": [r.card_last4 for r in rows],
        "date": [r.date for r in rows],
        "amount": [r.amount for r in rows],
        "currency": ["USD"] * n,
        "description": [r.description for r in rows],
        "merchant": [r.merchant for r in rows],
        "category": [r.category for r in rows],
        "kind": [r.kind for r in rows],
        "import_id": ["gen"] * n,
        "source_row": list(range(1, n + 1)),
    }
    df = pl.DataFrame(data, schema_overrides={"amount": schema.AMOUNT, "card_last4": pl.String})
    df = df.with_columns(content_key=pl.col("txn_id").hash().cast(pl.UInt128))
    return schema.conform(df, schema.ENRICHED)


def row(account: str, d: date, amount: str, merchant: str, *, card: str | None = None,
        category: str = "subscriptions", kind: str | None = None,
        description: str | None = None) -> _Row:
    """One hand-written row for scenario tests."""
    value = Decimal(amount)
    return _Row(account, d, value, description or merchant.upper(), merchant, category,
                kind or ("income" if value > 0 else "purchase"), card)


def score(history: History, streams: list[Stream]) -> tuple[float, float, list[str]]:
    """(precision, recall, problems): a detection is right when it holds most of one true
    stream's transactions, no more than a few others, with the true cadence."""
    owner: dict[str, int] = {}
    for index, true_stream in enumerate(history.truth):
        for txn in true_stream.txn_ids:
            owner[txn] = index
    matched: set[int] = set()
    problems: list[str] = []
    right = 0
    for stream in streams:
        hits: dict[int, int] = {}
        for txn in stream.txn_ids:
            if txn in owner:
                hits[owner[txn]] = hits.get(owner[txn], 0) + 1
        best = max(hits, key=lambda k: hits[k], default=None)
        truth: TruthStream | None = history.truth[best] if best is not None else None
        ok = (
            truth is not None and best not in matched
            and hits[best] >= 0.8 * len(truth.txn_ids)  # type: ignore[index]
            and hits[best] >= 0.8 * len(stream.txn_ids)  # type: ignore[index]
            and truth.cadence == stream.cadence
        )
        if ok:
            right += 1
            matched.add(best)  # type: ignore[arg-type]
        else:
            problems.append(f"wrong: {stream.account_id} {stream.merchant} {stream.cadence} "
                            f"x{stream.occurrences} (truth: {truth and truth.cadence})")
    for index, truth in enumerate(history.truth):
        if index not in matched:
            problems.append(f"missed: {truth.account_id} {truth.merchant} {truth.cadence} "
                            f"x{len(truth.txn_ids)}")
    precision = right / len(streams) if streams else 0.0
    recall = len(matched) / len(history.truth)
    return precision, recall, problems



if __name__ == "__main__":
    history = generate()
    print(history.frame.height, "rows,", len(history.truth), "true streams")
