"""Buy-now-pay-later plans (contract; the detector is being written).

Consumers (review, card-changed, pledge) rely on these names and fields.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import polars as pl
from pydantic import BaseModel, Field


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
    txn_ids: list[str] = Field(default_factory=list)


class BnplReport(BaseModel):
    plans: list[BnplPlan] = Field(default_factory=list)
    late_fees: Decimal = Decimal(0)
    late_fee_txn_ids: list[str] = Field(default_factory=list)


def find_bnpl(lf: pl.LazyFrame, as_of: date | None = None) -> BnplReport:
    """BNPL transactions grouped into plans, from an ENRICHED LazyFrame."""
    return BnplReport()
