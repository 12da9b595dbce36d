"""BNPL provider catalogue as polars expressions (contract; the catalogue is being written)."""

from __future__ import annotations

import polars as pl


def bnpl_provider(description: pl.Expr) -> pl.Expr:
    """The BNPL provider a raw descriptor names ("Klarna", "Afterpay"...), else null."""
    return pl.lit(None, dtype=pl.String)
