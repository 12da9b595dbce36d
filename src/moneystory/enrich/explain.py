"""What one raw descriptor becomes, and which rule or table entry decided each field.

It runs the very pipeline enrich() runs, on a one-row frame, so the answer cannot drift from
what the reports show.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import polars as pl
from pydantic import BaseModel

from moneystory import schema
from moneystory.enrich.pipeline import enrich_with_sources
from moneystory.enrich.rules import Rules


class Decision(BaseModel):
    value: str | None
    source: str


class Explanation(BaseModel):
    description: str
    amount: Decimal
    account: str | None
    merchant: Decision
    intermediary: str | None
    category: Decision
    kind: Decision


def explain(
    description: str,
    rules: Rules | None = None,
    *,
    amount: Decimal = Decimal("-10"),
    account: str | None = None,
    currency: str = "EUR",
    counterparty: str | None = None,
    bank_category: str | None = None,
    mcc: str | None = None,
) -> Explanation:
    """Enrich one descriptor (money out by default) and say where each answer came from."""
    row = schema.conform(pl.DataFrame({
        "txn_id": ["explain"], "account_id": [account or "account"], "date": [date.today()],
        "amount": [amount], "currency": [currency], "description": [description],
        "counterparty": [counterparty], "bank_category": [bank_category], "mcc": [mcc],
    }), schema.STORED)
    out = enrich_with_sources(row.lazy(), rules if rules is not None else Rules(),
                              sources=True).collect().row(
        0, named=True)
    return Explanation(
        description=description, amount=amount, account=account,
        merchant=Decision(value=out["merchant"], source=out["merchant_source"] or "—"),
        intermediary=out["intermediary"],
        category=Decision(value=out["category"], source=out["category_source"]),
        kind=Decision(value=out["kind"], source=out["kind_source"]),
    )
