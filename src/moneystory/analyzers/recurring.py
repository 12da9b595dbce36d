"""Recurring streams (contract; the detector is being written).

Consumers (review, card-changed) rely on these names and fields.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import polars as pl
from pydantic import BaseModel, Field


class PriceChange(BaseModel):
    date: date
    old_amount: Decimal  # positive magnitudes
    new_amount: Decimal


class Stream(BaseModel):
    stream_id: str  # stable across re-imports: hash of account, merchant, amount band, cadence
    merchant: str
    account_id: str
    card_last4: str | None = None
    category: str | None = None
    direction: str = "out"  # out (a charge) or in (salary, rent received)
    cadence: str  # weekly, biweekly, semimonthly, monthly, quarterly, semiannual, annual
    typical_amount: Decimal  # signed like the transactions (charges negative)
    last_amount: Decimal
    currency: str
    first_date: date
    last_date: date
    next_date: date | None = None
    occurrences: int
    active: bool
    status: str  # early, mature, lapsed, ended
    yearly_cost: Decimal  # positive magnitude of a year's worth at the last amount
    price_changes: list[PriceChange] = Field(default_factory=list)
    txn_ids: list[str] = Field(default_factory=list)
    gaps_days: list[int] = Field(default_factory=list)
    user_state: str | None = None  # confirmed, dismissed, ended (from the user's decisions)


def find_streams(lf: pl.LazyFrame, as_of: date | None = None) -> list[Stream]:
    """Every recurring stream in `lf` (an ENRICHED LazyFrame), judged as of `as_of`."""
    return []
