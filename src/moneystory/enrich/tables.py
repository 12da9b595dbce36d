"""The built-in data tables (enrich/data/*), loaded once and validated, and their fingerprint.

The tables are data, not code: the merchant alias table, keyword rules, bank-category and MCC
mappings, cleaning patterns and kind wording. `version()` changes whenever any of them does, so
a cache of enriched rows (analysis.py) is never served after an upgrade of the tables.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import tomllib
from importlib import resources
from typing import Any

import polars as pl
from pydantic import BaseModel, Field

from moneystory.enrich.taxonomy import CATEGORIES, KINDS
from moneystory.errors import ConfigError

DATA_FILES = (
    "merchants.csv", "keywords.csv", "bank_categories.csv", "mcc.csv", "cleaning.toml",
    "kinds.toml",
)
CODE_VERSION = "1"  # bump to invalidate every cache of enriched rows


def _read(name: str) -> str:
    try:
        return resources.files("moneystory.enrich").joinpath("data", name).read_text("utf-8")
    except OSError as exc:
        raise ConfigError(f"the built-in table {name} cannot be read ({exc})",
                          hint="reinstall moneystory") from exc


def _csv_rows(name: str) -> list[dict[str, str]]:
    """Rows of a data CSV; lines starting with # are comments."""
    text = "\n".join(line for line in _read(name).splitlines() if not line.startswith("#"))
    return [{k: (v or "").strip() for k, v in row.items()}
            for row in csv.DictReader(io.StringIO(text))]


@functools.cache
def version() -> str:
    """Changes with any built-in table and with the enrichment code itself."""
    digest = hashlib.sha256(CODE_VERSION.encode())
    for name in DATA_FILES:
        digest.update(_read(name).encode())
    package = resources.files("moneystory.enrich")
    for entry in sorted(package.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".py"):
            digest.update(entry.read_bytes())
    return digest.hexdigest()[:16]


def normalise_words(text: str) -> str:
    """Python twin of clean.words(): what aliases and keywords are compared against."""
    import unicodedata

    plain = unicodedata.normalize("NFKD", text.upper())
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    plain = plain.replace("'", "").replace("’", "")
    return " ".join("".join(c if c.isalnum() or c == "&" else " " for c in plain).split())


def _check(value: str, allowed: tuple[str, ...], where: str) -> str:
    if value and value not in allowed:
        raise ConfigError(f"{where}: {value!r} is not one of {', '.join(allowed)}")
    return value


@functools.cache
def merchants() -> pl.DataFrame:
    """alias (normalised words) → name, category, kind; one row per alias."""
    rows = []
    for row in _csv_rows("merchants.csv"):
        where = f"merchants.csv {row['name']}"
        category = _check(row["category"], CATEGORIES, where)
        kind = _check(row["kind"], KINDS, where) or None
        for alias in row["aliases"].split("|"):
            key = normalise_words(alias)
            if key:
                rows.append({"alias": key, "name": row["name"], "table_category": category,
                             "table_kind": kind})
    frame = pl.DataFrame(rows, schema={"alias": pl.String, "name": pl.String,
                                       "table_category": pl.String, "table_kind": pl.String})
    # One alias, one merchant: the first listing wins (the table is ordered by specificity).
    return frame.unique("alias", keep="first", maintain_order=True)


@functools.cache
def merchant_names() -> int:
    return len(_csv_rows("merchants.csv"))


@functools.cache
def keywords() -> pl.DataFrame:
    rows = [{"keyword": normalise_words(r["keyword"]),
             "keyword_category": _check(r["category"], CATEGORIES, f"keywords.csv {r['keyword']}")}
            for r in _csv_rows("keywords.csv")]
    return pl.DataFrame(rows).unique("keyword", keep="first", maintain_order=True)


@functools.cache
def bank_categories() -> pl.DataFrame:
    """bank label → our category, an optional kind, and the finer categories it may hide."""
    rows = [{"bank_key": r["bank_category"].lower().strip(),
             "bank_mapped": _check(r["category"], CATEGORIES, "bank_categories.csv"),
             "bank_kind": _check(r["kind"], KINDS, "bank_categories.csv") or None,
             "bank_refines": [_check(c, CATEGORIES, "bank_categories.csv")
                              for c in r.get("refines", "").split("|") if c]}
            for r in _csv_rows("bank_categories.csv")]
    return pl.DataFrame(rows, schema={"bank_key": pl.String, "bank_mapped": pl.String,
                                      "bank_kind": pl.String,
                                      "bank_refines": pl.List(pl.String)}
                        ).unique("bank_key", keep="first", maintain_order=True)


@functools.cache
def mcc_ranges() -> pl.DataFrame:
    rows = [{"first": int(r["first"]), "last": int(r["last"]),
             "mcc_category": _check(r["category"], CATEGORIES, "mcc.csv"),
             "mcc_kind": _check(r["kind"], KINDS, "mcc.csv") or None}
            for r in _csv_rows("mcc.csv")]
    return pl.DataFrame(rows, schema={"first": pl.Int64, "last": pl.Int64,
                                      "mcc_category": pl.String, "mcc_kind": pl.String})


@functools.cache
def mcc_codes() -> pl.DataFrame:
    """Every code 0000-9999 that a range covers, the narrowest range winning (a small table)."""
    ranges = mcc_ranges().with_columns(width=pl.col("last") - pl.col("first"))
    expanded = ranges.with_columns(code=pl.int_ranges("first", pl.col("last") + 1)).explode("code")
    return (expanded.sort("width").unique("code", keep="first")
            .select(pl.col("code").cast(pl.String).str.zfill(4).alias("mcc_key"),
                    "mcc_category", "mcc_kind"))


class Intermediary(BaseModel):
    name: str
    prefix: str



class Cleaning(BaseModel):
    intermediary: list[Intermediary]
    shop_after: str
    generic: list[str]
    boilerplate: list[str]
    noise: list[str]
    countries: list[str]
    us_states: list[str]
    cities: list[str]
    tail_words: list[str]
    legal: list[str]


class Wording(BaseModel):
    card_payment: list[str]
    savings: list[str]
    topup: list[str]
    atm: list[str]
    fee: list[str]
    interest: list[str]
    refund: list[str]
    income: list[str] = Field(default_factory=list)
    withdrawal: list[str] = Field(default_factory=list)


def _toml(name: str) -> dict[str, Any]:
    try:
        return tomllib.loads(_read(name))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"the built-in table {name} is not valid TOML ({exc})") from exc


@functools.cache
def cleaning() -> Cleaning:
    return Cleaning.model_validate(_toml("cleaning.toml"))


@functools.cache
def wording() -> Wording:
    return Wording.model_validate(_toml("kinds.toml"))
