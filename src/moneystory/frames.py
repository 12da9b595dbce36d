"""Polars idioms more than one layer shares (layer 0: imports nothing of moneystory)."""

from __future__ import annotations

import functools
import io
import operator

import polars as pl


def mixed_hash(*columns: str | pl.Expr, seed: int = 0) -> pl.Expr:
    """One 64-bit hash of several columns: each column's own hash (seeded by its position),
    XORed. Equal rows hash equal; a collision between different rows has odds of ~2^-64.

    Three times faster than `pl.struct(...).hash()` on string columns, which row-encodes the
    strings into one buffer before hashing it."""
    exprs = [pl.col(c) if isinstance(c, str) else c for c in columns]
    return functools.reduce(operator.xor, [e.hash(seed + i) for i, e in enumerate(exprs)])


def parquet_bytes(frame: pl.DataFrame, metadata: dict[str, str] | None = None) -> bytes:
    """`frame` as a Parquet file's bytes (with statistics), for an atomic write of a cache."""
    buffer = io.BytesIO()
    frame.write_parquet(buffer, statistics=True, metadata=metadata)
    return buffer.getvalue()
