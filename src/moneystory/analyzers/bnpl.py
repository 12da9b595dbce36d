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

import polars as pl
from pydantic import BaseModel, Field

from moneystory.enrich.bnpl import Schedule, catalogue, with_bnpl_columns
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
    txn_ids: list[str] = Field(default_factory=list)  # in order: instalment n is txn_ids[n-1]
    rule: str = "provider descriptor"  # or "schedule: 4 × 14 days" ...
    total: Decimal | None = None  # instalment_amount × instalments_total, when known
    purchase_txn_id: str | None = None  # the purchase a schedule plan started near

    def instalment_number(self, txn_id: str) -> int | None:
        return self.txn_ids.index(txn_id) + 1 if txn_id in self.txn_ids else None


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
    as_of = as_of or frame["date"].max()  # type: ignore[assignment]
    assert isinstance(as_of, date)
    named = frame.filter(pl.col("bnpl_provider").is_not_null() & ~pl.col("bnpl_refund_text"))
    fees = named.filter(pl.col("bnpl_late_fee"))
    plans = [*_named_plans(named.filter(~pl.col("bnpl_late_fee")), as_of),
             *_schedule_plans(frame.filter(pl.col("bnpl_provider").is_null()), as_of)]
    plans.sort(key=lambda p: (p.first_date, p.account_id, p.plan_id))
    return BnplReport(
        plans=plans,
        late_fees=for_display(-sum(fees["amount"].to_list(), Decimal(0)), _currency(frame)),
        late_fee_txn_ids=fees["txn_id"].to_list(),
    )


def _currency(frame: pl.DataFrame) -> str | None:
    modes = frame["currency"].drop_nulls().mode()
    return str(modes[0]) if len(modes) else None


def _outflows(lf: pl.LazyFrame) -> pl.DataFrame:
    columns = ["txn_id", "account_id", "card_last4", "date", "amount", "currency", "description",
               "merchant", "kind"]
    present = lf.collect_schema().names()
    lf = lf.with_columns([pl.lit(None, dtype=pl.String).alias(c)
                          for c in ("merchant", "kind", "card_last4") if c not in present])
    return (
        with_bnpl_columns(lf.select(columns).filter(pl.col("amount") < 0))
        .with_columns(
            payee=_payee_key(pl.coalesce("merchant", "description")),
            shop=_shop(pl.col("description")),
            marker_total=_marker_total(pl.col("description")),
        )
        .sort("date", "txn_id")
        .collect()
    )


# Words after which a descriptor stops naming the shop ("KLARNA*ZALANDO Rate 3 von 4 ...").
_SHOP_END = (r"(?i)\s+(RATE|RATA|INSTAL\w*|PAYMENT|PMT|REF|ORDER|BESTELL\w*|NR|NO|ECHEANCE"
             r"|ÉCHÉANCE|PLAN)\b.*$")
# "Rate 3 von 4", "instalment 2/4", "1 of 4", "2 sur 3": the plan's length, when the bank says.
_MARKER = (r"(?i)(?:\b(?:RATE|RATA|INSTAL+MENT|INST|PAYMENT|PMT|TEILZAHLUNG|ECHEANCE|ÉCHÉANCE)"
           r"\s*\d{1,2}\s*(?:/|OF|VON|SUR|DI|DE)\s*|\b\d{1,2}\s+(?:OF|VON|SUR)\s+)(\d{1,2})\b")


def _shop(description: pl.Expr) -> pl.Expr:
    """The shop after a provider's star ("AFTERPAY*ULTA BEAUTY" -> "ULTA BEAUTY"), else null."""
    shop = (description.str.extract(r"\*\s*([^*]+)$", 1)
            .str.replace(_SHOP_END, "")
            .str.replace(r"\s+[\d#].*$", "")
            .str.replace(r"(?i)\.(COM|CO\.UK|DE|FR|NET|IT|ES|NL)$", "")
            .str.strip_chars(" -.,"))
    product = r"(?i)^(INSTAL\w*|PAY\s*-?\s*IN\s*-?\d|PAY\s*LATER|PAYMENTS?|PURCHASE|LOAN|PMT)$"
    return pl.when(shop.str.contains(r"[A-Za-z]{2}") & ~shop.str.contains(product)).then(shop)


def _marker_total(description: pl.Expr) -> pl.Expr:
    total = description.str.extract(_MARKER, 1).cast(pl.Int32, strict=False)
    return pl.when(total.is_between(2, 36)).then(total)


def _payee_key(text: pl.Expr) -> pl.Expr:
    """A payee as the same shop writes it each time: letters only, store numbers and refs gone."""
    return (text.fill_null("").str.to_uppercase()
            .str.replace_all(r"[^A-Z ]+", " ").str.replace_all(r"\s+", " ").str.strip_chars())


def _plan_id(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:12]


# ----------------------------------------------------------------------------- by provider name
def _named_plans(frame: pl.DataFrame, as_of: date) -> Iterator[BnplPlan]:
    keys = ["account_id", "currency", "bnpl_provider", "shop_key", "amount"]
    frame = frame.with_columns(shop_key=_payee_key(pl.col("shop")))
    for group in frame.partition_by(keys, maintain_order=True):
        first = group.row(0, named=True)
        provider = catalogue().by_name(first["bnpl_provider"])
        schedules = provider.schedules if provider else [Schedule(count=4, days=14)]
        stated = group["marker_total"].drop_nulls()
        if len(stated):  # the bank says how many instalments: trust it over the catalogue
            schedules = [Schedule(count=int(stated.max()), days=s.days)  # type: ignore[arg-type]
                         for s in schedules]
        charges = _charges(group)
        for chain, schedule in _chain(charges, schedules):
            yield _plan(first, chain, schedule, as_of, provider=first["bnpl_provider"],
                        confidence="high", rule="provider descriptor",
                        merchant=(first["shop"] or None) and str(first["shop"]).title())


def _charges(group: pl.DataFrame) -> list[_Charge]:
    return [_Charge(r["txn_id"], r["date"], -r["amount"])
            for r in group.select("txn_id", "date", "amount").iter_rows(named=True)]


def _fits(gap: int, schedule: Schedule) -> bool:
    return abs(gap - schedule.days) <= max(2, schedule.days // 8)


def _chain(charges: list[_Charge],
           schedules: list[Schedule]) -> Iterator[tuple[list[_Charge], Schedule]]:
    """Split equal charges into plans: consecutive gaps that fit one schedule, at most its count."""
    i = 0
    while i < len(charges):
        chain = [charges[i]]
        schedule = schedules[0]
        if i + 1 < len(charges):
            gap = (charges[i + 1].day - charges[i].day).days
            schedule = next((s for s in schedules if s.count > 1 and _fits(gap, s)), schedule)
        while (len(chain) < schedule.count and i + len(chain) < len(charges)
               and _fits((charges[i + len(chain)].day - chain[-1].day).days, schedule)):
            chain.append(charges[i + len(chain)])
        yield chain, schedule
        i += len(chain)


def _plan(row: dict[str, object], chain: list[_Charge], schedule: Schedule, as_of: date, *,
          provider: str, confidence: str, rule: str, merchant: str | None,
          purchase_txn_id: str | None = None) -> BnplPlan:
    currency = str(row["currency"] or "")
    amount = chain[0].amount
    payoff = chain[0].day + timedelta(days=schedule.days * (schedule.count - 1))
    open_plan = payoff > as_of and len(chain) < schedule.count
    remaining = amount * (schedule.count - len(chain)) if open_plan else Decimal(0)
    return BnplPlan(
        plan_id=_plan_id(str(row["account_id"]), provider, chain[0].txn_id),
        provider=provider, merchant=merchant, account_id=str(row["account_id"]),
        card_last4=row.get("card_last4") or None,  # type: ignore[arg-type]
        currency=currency, confidence=confidence,
        first_date=chain[0].day, last_date=chain[-1].day,
        instalments_paid=len(chain), instalments_total=schedule.count,
        instalment_amount=for_display(amount, currency),
        paid=for_display(sum((c.amount for c in chain), Decimal(0)), currency),
        remaining=for_display(remaining, currency), expected_payoff=payoff,
        next_due=chain[-1].day + timedelta(days=schedule.days) if open_plan else None,
        txn_ids=[c.txn_id for c in chain], rule=rule,
        total=for_display(amount * schedule.count, currency),
        purchase_txn_id=purchase_txn_id,
    )


# ---------------------------------------------------------------------------------- by schedule
def _schedule_plans(frame: pl.DataFrame, as_of: date) -> Iterator[BnplPlan]:
    frame = frame.filter(~pl.col("kind").fill_null("").is_in(_NOT_PLAN_KINDS)
                         & (pl.col("payee") != ""))
    keys = ["account_id", "currency", "payee", "amount"]
    repeated = frame.filter(pl.len().over(keys) >= min(s[0] for s in _SHAPES))
    for group in repeated.partition_by(keys, maintain_order=True):
        first = group.row(0, named=True)
        for chain, (count, days, _, needs_purchase) in _exact_runs(_charges(group)):
            purchase = _purchase_near(frame, first, chain[0])
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


def _purchase_near(frame: pl.DataFrame, row: dict[str, object], start: _Charge) -> str | None:
    """A different-amount charge at the same payee on or just before the first instalment."""
    window = frame.filter(
        (pl.col("account_id") == row["account_id"]) & (pl.col("payee") == row["payee"])
        & (pl.col("amount") != row["amount"])
        & pl.col("date").is_between(start.day - timedelta(days=_PURCHASE_WINDOW), start.day)
    )
    return window["txn_id"][0] if window.height else None
