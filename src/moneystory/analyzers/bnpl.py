"""Buy-now-pay-later plans found in the transactions, by provider name and by schedule.

Two ways in:
- by name (confidence high): a descriptor names a provider (enrich.bnpl's catalogue); the
  charges of one provider, account, shop and amount are chained into plans by the provider's
  known schedules (4 × 14 days, 3 × 30 days, 6 × 7 days ...);
- by schedule (confidence low): equal charges to one payee, exactly 4 at ~14 days (pay in 4),
  6 at ~7 days (Laybuy) or 3 at ~monthly (pay in 3, only when a purchase at the same payee is
  near the first one), and no more: a longer run is a subscription. This catches plans that
  carry the retailer's name (Splitit, issuer plans via a wallet).

Input: an ENRICHED LazyFrame. The provider is computed here from `description`, so this
works whatever the enrichment did with `kind` and `merchant`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, cast

import polars as pl
from pydantic import BaseModel, Field

from moneystory.enrich.bnpl import Schedule, bnpl_columns, catalogue, gather_per_distinct
from moneystory.money import for_display

POSSIBLE = "possible instalment plan"

# Kinds that never form a schedule-detected plan (money between own accounts, bank charges).
_NOT_PLAN_KINDS = ["transfer", "fee", "interest", "atm", "income", "refund"]


class BnplPlan(BaseModel):
    plan_id: str
    provider: str  # "Klarna", "Afterpay", ... or "possible instalment plan"
    merchant: str | None = None  # the shop, when the descriptor names it
    account_id: str
    card_last4: str | None = None
    currency: str
    confidence: str  # high (named provider) or low (schedule only)
    first_date: date
    last_date: date
    instalments_paid: int
    instalments_total: int | None = None
    instalment_amount: Decimal  # positive magnitude
    paid: Decimal  # positive
    remaining: Decimal  # positive, 0 when paid off or unknown
    expected_payoff: date | None = None
    next_due: date | None = None
    txn_ids: list[str] = Field(default_factory=list)  # the charges we hold, oldest first
    rule: str = "provider descriptor"  # or "schedule: 4 × 14 days" ...
    total: Decimal | None = None  # instalment_amount × instalments_total, when known
    purchase_txn_id: str | None = None  # the purchase a schedule plan started near
    interval_days: int | None = None  # days between instalments
    # True when the plan probably began before the first statement we hold: its first charge
    # says "instalment 2 of 4", or comes within one interval of the account's first row.
    began_before_data: bool = False

    def instalment_number(self, txn_id: str) -> int | None:
        """n in "instalment n of m" (counting instalments paid before the data, if any)."""
        if txn_id not in self.txn_ids:
            return None
        return self.instalments_paid - len(self.txn_ids) + self.txn_ids.index(txn_id) + 1


class BnplReport(BaseModel):
    plans: list[BnplPlan] = Field(default_factory=list)
    late_fees: Decimal = Decimal(0)
    late_fee_txn_ids: list[str] = Field(default_factory=list)

    def plan_of(self, txn_id: str) -> BnplPlan | None:
        return next((p for p in self.plans if txn_id in p.txn_ids), None)


@dataclass(frozen=True)
class _Charge:
    txn_id: str
    day: date
    amount: Decimal  # positive magnitude


# Schedule-only shapes: (instalments, days between, tolerance in days, needs a purchase nearby).
_SHAPES: tuple[tuple[int, int, int, bool], ...] = ((4, 14, 2, False), (6, 7, 1, False),
                                                   (3, 30, 3, True))
_PURCHASE_WINDOW = 3  # days before the first instalment a purchase counts as "near"


def find_bnpl(lf: pl.LazyFrame, as_of: date | None = None) -> BnplReport:
    """BNPL transactions grouped into plans, from an ENRICHED LazyFrame."""
    if as_of is not None:
        lf = lf.filter(pl.col("date") <= as_of)  # as it stood that day
    frame = _outflows(lf)
    if frame.is_empty():
        return BnplReport()
    as_of = as_of or cast(date, frame["date"].max())  # default: the last day in the data
    named = frame.filter(pl.col("bnpl_provider").is_not_null() & ~pl.col("bnpl_refund_text"))
    fees = named.filter(pl.col("bnpl_late_fee"))
    plans = [*_named_plans(named.filter(~pl.col("bnpl_late_fee")), as_of),
             *_schedule_plans(frame.filter(pl.col("bnpl_provider").is_null()), as_of)]
    _mark_plans_older_than_the_data(plans, lf)
    plans.sort(key=lambda p: (p.first_date, p.account_id, p.plan_id))
    return BnplReport(
        plans=plans,
        late_fees=for_display(-sum(fees["amount"].to_list(), Decimal(0)), _currency(frame)),
        late_fee_txn_ids=fees["txn_id"].to_list(),
    )


def _mark_plans_older_than_the_data(plans: list[BnplPlan], lf: pl.LazyFrame) -> None:
    """An unfinished plan whose previous instalment would fall before the account's first row
    may have begun before our statements: we cannot tell it is new."""
    unfinished = [p for p in plans if p.instalments_total and
                  p.instalments_paid < p.instalments_total and p.interval_days]
    if not unfinished:
        return
    starts = dict(lf.group_by("account_id").agg(pl.col("date").min()).collect().iter_rows())
    for plan in unfinished:
        start = starts.get(plan.account_id)
        if start and plan.first_date - timedelta(days=plan.interval_days or 0) < start:
            plan.began_before_data = True


def _currency(frame: pl.DataFrame) -> str | None:
    modes = frame["currency"].drop_nulls().mode()
    return str(modes[0]) if len(modes) else None


def _outflows(lf: pl.LazyFrame) -> pl.DataFrame:
    columns = ["txn_id", "account_id", "card_last4", "date", "amount", "currency", "description",
               "merchant", "kind"]
    present = lf.collect_schema().names()
    lf = lf.with_columns([pl.lit(None, dtype=pl.String).alias(c)
                          for c in ("merchant", "kind", "card_last4") if c not in present])
    rows = lf.select(columns).filter(pl.col("amount") < 0).with_columns(
        _payee=pl.coalesce("merchant", "description")).collect()
    # the text work once per distinct (description, payee): a few thousand, not millions
    return gather_per_distinct(
        rows, ["description", "_payee"], **bnpl_columns("description"),
        shop=_shop(pl.col("description")), marker_n=_marker(pl.col("description"), "n"),
        marker_total=_marker(pl.col("description"), "total"),
        payee=_payee_key(pl.col("_payee")),
    ).drop("_payee")  # sorted later, on the few rows that can form plans


# Words after which a descriptor stops naming the shop ("KLARNA*ZALANDO Rate 3 von 4 ...").
_SHOP_END = (r"(?i)\s+(RATE|RATA|INSTAL\w*|PAYMENT|PMT|REF|ORDER|BESTELL\w*|NR|NO|ECHEANCE"
             r"|ÉCHÉANCE|PLAN)\b.*$")
# "Rate 3 von 4", "instalment 2/4", "1 of 4", "2 sur 3": the plan's length, when the bank says.
_MARKER = (r"(?i)(?:\b(?:RATE|RATA|INSTAL+MENT|INST|PAYMENT|PMT|TEILZAHLUNG|ECHEANCE|ÉCHÉANCE)"
           r"\s*(\d{1,2})\s*(?:/|OF|VON|SUR|DI|DE)\s*|\b(\d{1,2})\s+(?:OF|VON|SUR)\s+)"
           r"(\d{1,2})\b")


def _shop(description: pl.Expr) -> pl.Expr:
    """The shop after a provider's star ("AFTERPAY*ULTA BEAUTY" -> "ULTA BEAUTY"), else null."""
    shop = (description.str.extract(r"\*\s*([^*]+)$", 1)
            .str.replace(_SHOP_END, "")
            .str.replace(r"\s+[\d#].*$", "")
            .str.replace(r"(?i)\.(COM|CO\.UK|DE|FR|NET|IT|ES|NL)$", "")
            .str.strip_chars(" -.,"))
    product = r"(?i)^(INSTAL\w*|PAY\s*-?\s*IN\s*-?\d|PAY\s*LATER|PAYMENTS?|PURCHASE|LOAN|PMT)$"
    return pl.when(shop.str.contains(r"[A-Za-z]{2}") & ~shop.str.contains(product)).then(shop)


def _marker(description: pl.Expr, which: str) -> pl.Expr:
    """From "Rate 3 von 4": which="n" gives 3, which="total" gives 4; else null."""
    def group(i: int) -> pl.Expr:
        return description.str.extract(_MARKER, i).cast(pl.Int32, strict=False)

    n, total = pl.coalesce(group(1), group(2)), group(3)
    valid = total.is_between(2, 36) & n.is_between(1, 36) & (n <= total)
    return pl.when(valid).then(n if which == "n" else total)


def _payee_key(text: pl.Expr) -> pl.Expr:
    """A payee as the same shop writes it each time: letters only, store numbers and refs gone."""
    return (text.fill_null("").str.to_uppercase()
            .str.replace_all(r"[^A-Z ]+", " ").str.replace_all(r"\s+", " ").str.strip_chars())


def _plan_id(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:12]


# ----------------------------------------------------------------------------- by provider name
def _named_plans(frame: pl.DataFrame, as_of: date) -> Iterator[BnplPlan]:
    keys = ["account_id", "currency", "bnpl_provider", "shop_key", "amount"]
    frame = frame.with_columns(shop_key=_payee_key(pl.col("shop"))).sort("date", "txn_id")
    for first, charges in _groups(frame, keys):
        provider = catalogue().by_name(first["bnpl_provider"])
        schedules = provider.schedules if provider else [Schedule(count=4, days=14)]
        if first["marker_total"]:  # the bank says how many instalments: trust it
            schedules = [Schedule(count=first["marker_total"], days=s.days) for s in schedules]
        earlier = (first["marker_n"] or 1) - 1  # "Rate 3 von 4" first: two were paid before
        for chain, schedule in _chain(charges, schedules, earlier):
            yield _plan(first, chain, schedule, as_of, provider=first["bnpl_provider"],
                        confidence="high", rule="provider descriptor",
                        merchant=(first["shop"] or None) and str(first["shop"]).title(),
                        earlier=earlier if chain[0] is charges[0] else 0)


def _groups(frame: pl.DataFrame, keys: list[str],
            min_rows: int = 1) -> Iterator[tuple[dict[str, Any], list[_Charge]]]:
    """Charges grouped by `keys` (which include the amount), oldest first.

    One aggregation, then plain lists: per-group DataFrame calls cost ~1 ms each.
    """
    grouped = (
        frame.group_by(keys, maintain_order=True)
        .agg(pl.col("txn_id"), pl.col("date"),
             pl.col("card_last4").drop_nulls().last(), pl.col("merchant").first(),
             pl.col("description").first(), pl.col("shop").first(),
             pl.col("marker_total").max(), pl.col("marker_n").first())
        .filter(pl.col("txn_id").list.len() >= min_rows)
    )
    for row in grouped.iter_rows(named=True):
        amount = -row["amount"]  # one amount per group: it is a key
        yield row, [_Charge(t, d, amount) for t, d in zip(row["txn_id"], row["date"],
                                                            strict=True)]


def _fits(gap: int, schedule: Schedule) -> bool:
    return abs(gap - schedule.days) <= max(2, schedule.days // 8)


def _chain(charges: list[_Charge], schedules: list[Schedule],
           earlier: int = 0) -> Iterator[tuple[list[_Charge], Schedule]]:
    """Split equal charges into plans: consecutive gaps that fit one schedule, at most its count
    (less `earlier` instalments paid before the first charge we hold, for the first plan)."""
    i = 0
    while i < len(charges):
        chain = [charges[i]]
        schedule = schedules[0]
        if i + 1 < len(charges):
            gap = (charges[i + 1].day - charges[i].day).days
            schedule = next((s for s in schedules if s.count > 1 and _fits(gap, s)), schedule)
        limit = schedule.count - (earlier if i == 0 else 0)
        while (len(chain) < limit and i + len(chain) < len(charges)
               and _fits((charges[i + len(chain)].day - chain[-1].day).days, schedule)):
            chain.append(charges[i + len(chain)])
        yield chain, schedule
        i += len(chain)


def _plan(row: dict[str, object], chain: list[_Charge], schedule: Schedule, as_of: date, *,
          provider: str, confidence: str, rule: str, merchant: str | None,
          purchase_txn_id: str | None = None, earlier: int = 0) -> BnplPlan:
    currency = str(row["currency"] or "")
    amount = chain[0].amount
    paid_count = earlier + len(chain)
    payoff = chain[0].day + timedelta(days=schedule.days * (schedule.count - 1 - earlier))
    open_plan = payoff > as_of and paid_count < schedule.count
    remaining = amount * (schedule.count - paid_count) if open_plan else Decimal(0)
    return BnplPlan(
        plan_id=_plan_id(str(row["account_id"]), provider, chain[0].txn_id),
        provider=provider, merchant=merchant, account_id=str(row["account_id"]),
        card_last4=str(row["card_last4"]) if row.get("card_last4") else None,
        currency=currency, confidence=confidence,
        first_date=chain[0].day, last_date=chain[-1].day,
        instalments_paid=paid_count, instalments_total=schedule.count,
        instalment_amount=for_display(amount, currency),
        paid=for_display(amount * paid_count, currency),
        remaining=for_display(remaining, currency), expected_payoff=payoff,
        next_due=chain[-1].day + timedelta(days=schedule.days) if open_plan else None,
        txn_ids=[c.txn_id for c in chain], rule=rule,
        total=for_display(amount * schedule.count, currency),
        purchase_txn_id=purchase_txn_id, interval_days=schedule.days,
        began_before_data=earlier > 0,
    )


# ---------------------------------------------------------------------------------- by schedule
def _schedule_plans(frame: pl.DataFrame, as_of: date) -> Iterator[BnplPlan]:
    frame = frame.filter(~pl.col("kind").fill_null("").is_in(_NOT_PLAN_KINDS)
                         & (pl.col("payee") != ""))
    keys = ["account_id", "currency", "payee", "amount"]
    # Vectorised sieve before any Python: a group (hashed keys: far faster than four columns)
    # needs 3+ charges and enough gaps of one shape to hold a run.
    frame = frame.with_columns(_key=pl.struct(keys).hash())
    repeated = frame.filter(pl.len().over("_key") >= min(s[0] for s in _SHAPES))
    gap = pl.col("date").diff().dt.total_days()
    regular = pl.any_horizontal([(gap - days).abs().le(tolerance).sum().ge(count - 1)
                                 for count, days, tolerance, _ in _SHAPES])
    candidates = repeated.sort("date", "txn_id").filter(regular.over("_key"))
    runs = [(first, chain, shape) for first, charges in _groups(candidates, keys, min_rows=3)
            for chain, shape in _exact_runs(charges)]
    if not runs:
        return
    purchases = _PurchaseIndex(frame.join(candidates.select("account_id", "payee").unique(),
                                          on=["account_id", "payee"], how="semi"))
    for first, chain, (count, days, _, needs_purchase) in runs:
        purchase = purchases.near(first, chain[0])
        if needs_purchase and purchase is None:
            continue
        yield _plan(first, chain, Schedule(count=count, days=days), as_of,
                    provider=POSSIBLE, confidence="low",
                    rule=f"schedule: {count} × {days} days",
                    merchant=first["merchant"] or first["description"],
                    purchase_txn_id=purchase)


def _exact_runs(
    charges: list[_Charge],
) -> Iterator[tuple[list[_Charge], tuple[int, int, int, bool]]]:
    """Maximal runs of one regular gap whose length is exactly a plan's instalment count."""
    for shape in _SHAPES:
        count, days, tolerance, _ = shape
        run: list[_Charge] = []
        for charge in [*charges, None]:
            if charge is not None and run and abs((charge.day - run[-1].day).days - days) \
                    <= tolerance:
                run.append(charge)
                continue
            if len(run) == count:
                yield run, shape
            run = [charge] if charge is not None else []


class _PurchaseIndex:
    """Charges per (account, payee), built once and only when a schedule run was found."""

    def __init__(self, frame: pl.DataFrame) -> None:
        self._by_payee: dict[tuple[str, str], list[tuple[date, Decimal, str]]] = {}
        for row in frame.select("account_id", "payee", "date", "amount", "txn_id").iter_rows():
            self._by_payee.setdefault((row[0], row[1]), []).append((row[2], row[3], row[4]))

    def near(self, group: dict[str, Any], start: _Charge) -> str | None:
        """A different-amount charge at the same payee on or just before the first instalment."""
        earliest = start.day - timedelta(days=_PURCHASE_WINDOW)
        for day, amount, txn_id in self._by_payee.get((group["account_id"], group["payee"]), []):
            if earliest <= day <= start.day and amount != group["amount"]:
                return txn_id
        return None
