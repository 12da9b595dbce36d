"""The spending pledge: its model, and the pure function that finds what breaks it.

A pledge covers dates from `since` until its lift takes effect (never, while it is not lifted).
Rules:
- "bnpl": a BNPL plan whose first charge falls inside the pledge is new credit: a violation,
  flagged on that first charge (later instalments are the same credit, not new ones). Plans
  that began before the pledge are legacy debt: listed with their payoff date, never flagged.
  A plan found by schedule only is rule "bnpl-schedule", confidence "low".
- "gambling": any money out to a gambling merchant (descriptor catalogue, or MCC).
- "merchant": any money out to a merchant the person named.
Money in (refunds) never breaks a pledge.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import polars as pl
from pydantic import BaseModel, Field

from moneystory.analyzers.bnpl import BnplPlan, BnplReport
from moneystory.enrich.bnpl import gambling_match, per_distinct
from moneystory.money import for_display

KINDS = ("bnpl", "gambling")
RULE_BNPL = "bnpl"
RULE_BNPL_SCHEDULE = "bnpl-schedule"  # a plan seen by its schedule only (confidence low)
RULE_GAMBLING = "gambling"
RULE_MERCHANT = "merchant"


class Lift(BaseModel):
    requested_at: datetime
    effective_at: datetime  # requested_at + cooling-off; fixed once set


class Pledge(BaseModel):
    pledge_id: str
    since: date
    kinds: list[str] = Field(default_factory=lambda: ["bnpl"])
    merchants: list[str] = Field(default_factory=list)
    cooling_off_days: int = 2
    reason: str | None = None
    created_at: datetime
    lift: Lift | None = None

    def state(self, now: datetime) -> str:
        """active, lifting (cooling-off running; still in force) or lifted."""
        if self.lift is None:
            return "active"
        return "lifting" if now < self.lift.effective_at else "lifted"

    def in_force(self, now: datetime) -> bool:
        return self.state(now) != "lifted"

    def ends_on(self) -> date | None:
        """First day no longer covered, once a lift is scheduled."""
        return self.lift.effective_at.date() if self.lift else None

    def covers(self, day: date) -> bool:
        end = self.ends_on()
        return day >= self.since and (end is None or day < end)

    def rules(self) -> list[str]:
        return [*self.kinds, *(f"merchant:{m}" for m in self.merchants)]


class PlanRef(BaseModel):
    """The plan a BNPL violation opened."""

    plan_id: str
    provider: str
    confidence: str
    instalments_total: int | None
    instalment_amount: Decimal
    total: Decimal | None
    expected_payoff: date | None

    @classmethod
    def of(cls, plan: BnplPlan) -> PlanRef:
        return cls(plan_id=plan.plan_id, provider=plan.provider, confidence=plan.confidence,
                   instalments_total=plan.instalments_total,
                   instalment_amount=plan.instalment_amount, total=plan.total,
                   expected_payoff=plan.expected_payoff)


class Violation(BaseModel):
    txn_id: str
    date: date
    merchant: str
    amount: Decimal  # signed, as stored (money out is negative)
    currency: str
    provider: str | None = None
    rule: str  # bnpl | bnpl-schedule | gambling | merchant
    account_id: str
    pledge_id: str
    confidence: str = "high"
    plan: PlanRef | None = None

    @property
    def credit(self) -> Decimal:
        """What the violation cost: a new plan's whole amount, else the charge."""
        if self.plan is not None and self.plan.total is not None:
            return self.plan.total
        return -self.amount


class PledgeAdherence(BaseModel):
    pledged_since: date
    kinds: list[str]
    days_kept: int  # days covered so far without a violation
    violations: int
    violation_amount: Decimal  # positive: new plans' totals plus other flagged charges
    legacy_remaining: Decimal  # still owed on plans that began before the pledge


_ROW_COLUMNS = ["txn_id", "date", "amount", "currency", "account_id", "merchant", "description",
                "mcc"]


def find_violations(lf: pl.LazyFrame, pledge: Pledge, bnpl: BnplReport,
                    as_of: date | None = None) -> list[Violation]:
    """Every transaction that breaks `pledge`, oldest first; one per transaction."""
    rows = _outflows_in_pledge(lf, pledge, as_of)
    found: dict[str, Violation] = {}
    for violation in [*_bnpl_violations(rows, pledge, bnpl), *_gambling_violations(rows, pledge),
                      *_merchant_violations(rows, pledge)]:
        found.setdefault(violation.txn_id, violation)
    return sorted(found.values(), key=lambda v: (v.date, v.account_id, v.txn_id))


def _began_before(plan: BnplPlan, pledge: Pledge) -> bool:
    """Before the pledge, or maybe so: a plan that may predate our statements gets the doubt."""
    return plan.first_date < pledge.since or plan.began_before_data


def legacy_plans(pledge: Pledge, bnpl: BnplReport) -> list[BnplPlan]:
    """Plans that began before the pledge and were still running on or after its start."""
    return [p for p in bnpl.plans if _began_before(p, pledge)
            and (p.remaining > 0 or p.last_date >= pledge.since)]


def adherence(pledge: Pledge, violations: list[Violation], legacy: list[BnplPlan],
              start: date, end: date, currency: str | None = None) -> PledgeAdherence:
    """Adherence between `start` and `end` (inclusive), clipped to the pledge's own days.

    Money is summed in one currency: `currency`, else the one most violations and legacy
    plans use; amounts in other currencies are counted in `violations` but not summed.
    """
    currency = currency or _main_currency([*(v.currency for v in violations),
                                           *(p.currency for p in legacy)])
    first = max(start, pledge.since)
    ends_on = pledge.ends_on()
    stop = end if ends_on is None else min(end, ends_on - timedelta(days=1))
    inside = [v for v in violations if first <= v.date <= stop]
    days = max(0, (stop - first).days + 1)
    return PledgeAdherence(
        pledged_since=pledge.since, kinds=pledge.rules(),
        days_kept=max(0, days - len({v.date for v in inside})),
        violations=len(inside),
        violation_amount=sum((v.credit for v in inside if v.currency == currency), Decimal(0)),
        legacy_remaining=sum((p.remaining for p in legacy if p.currency == currency),
                             Decimal(0)),
    )


def _main_currency(currencies: list[str]) -> str | None:
    return max(set(currencies), key=currencies.count) if currencies else None


def _outflows_in_pledge(lf: pl.LazyFrame, pledge: Pledge, as_of: date | None) -> pl.DataFrame:
    present = lf.collect_schema().names()
    lf = lf.with_columns([pl.lit(None, dtype=pl.String).alias(c)
                          for c in ("merchant", "mcc") if c not in present])
    frame = lf.select(_ROW_COLUMNS).filter((pl.col("amount") < 0)
                                           & (pl.col("date") >= pledge.since))
    ends_on = pledge.ends_on()
    if ends_on is not None:
        frame = frame.filter(pl.col("date") < ends_on)
    if as_of is not None:
        frame = frame.filter(pl.col("date") <= as_of)
    return frame.collect()


def _violation(row: dict[str, Any], pledge: Pledge, rule: str, *,
               provider: str | None = None, plan: BnplPlan | None = None) -> Violation:
    return Violation(
        txn_id=str(row["txn_id"]), date=row["date"],
        merchant=str(row["merchant"] or row["description"] or ""),
        amount=for_display(row["amount"], str(row["currency"] or "")),
        currency=str(row["currency"] or ""),
        provider=provider, rule=rule, account_id=str(row["account_id"]),
        pledge_id=pledge.pledge_id, confidence=plan.confidence if plan else "high",
        plan=PlanRef.of(plan) if plan else None,
    )


def _bnpl_violations(rows: pl.DataFrame, pledge: Pledge, bnpl: BnplReport) -> list[Violation]:
    if "bnpl" not in pledge.kinds:
        return []
    opening = {p.txn_ids[0]: p for p in bnpl.plans
               if p.txn_ids and pledge.covers(p.first_date) and not _began_before(p, pledge)}
    hits = rows.filter(pl.col("txn_id").is_in(list(opening)))
    found = []
    for row in hits.iter_rows(named=True):
        plan = opening[row["txn_id"]]
        rule = RULE_BNPL if plan.confidence == "high" else RULE_BNPL_SCHEDULE
        found.append(_violation(row, pledge, rule, provider=plan.provider, plan=plan))
    return found


def _gambling_violations(rows: pl.DataFrame, pledge: Pledge) -> list[Violation]:
    if "gambling" not in pledge.kinds:
        return []
    # The raw descriptor, not the canonical merchant: "GEANT CASINO" (a supermarket) becomes
    # merchant "Casino", which the catalogue's look-alike exclusions can no longer tell apart.
    by_text = per_distinct(rows.lazy(), "description",
                           _gambling=gambling_match(pl.col("description")))
    hits = by_text.filter(pl.col("_gambling") | gambling_match(pl.lit(""), pl.col("mcc"))
                          ).collect()
    return [_violation(r, pledge, RULE_GAMBLING) for r in hits.iter_rows(named=True)]


def _merchant_violations(rows: pl.DataFrame, pledge: Pledge) -> list[Violation]:
    found: list[Violation] = []
    for name in pledge.merchants:
        needle = name.lower()
        hits = rows.filter(
            pl.col("merchant").fill_null("").str.to_lowercase().str.contains(needle, literal=True)
            | pl.col("description").fill_null("").str.to_lowercase()
            .str.contains(needle, literal=True))
        found.extend(_violation(r, pledge, RULE_MERCHANT, provider=name)
                     for r in hits.iter_rows(named=True))
    return found
