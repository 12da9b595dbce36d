"""Raw descriptor → canonical merchant, intermediary and the merchant table's category.

Works on a frame of DISTINCT texts: clean-up (clean.py), an Aho-Corasick search of the alias
table (whole words, the longest alias wins, a payment app loses to the shop it carries), then
rapidfuzz over the distinct names no table knows, so truncated variants of one shop
("BLUE BOTTLE COFFEE 123", "BLUE BOTTLE COF 456") collapse into one name.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import polars as pl

from moneystory.enrich import clean, tables

FUZZY_MIN_RATIO = 88.0  # rapidfuzz ratio (0-100) above which two unknown names are one merchant
FUZZY_MIN_PREFIX = 8  # a truncated name must keep at least this many characters
FUZZY_MAX_GROUP = 3000  # names sharing a first word; larger groups are left as they are


def _alias_matches(frame: pl.DataFrame, column: str, prefix: str) -> pl.DataFrame:
    """Per row of `frame`: the best shop alias and the best payment-app alias in `column`."""
    table = tables.merchants()
    patterns = [f" {a} " for a in table["alias"].to_list()]
    hits = (
        frame.select("_key", pl.col(column).alias("_words"))
        .with_columns(_hit=clean.padded(pl.col("_words")).str.extract_many(
            patterns, overlapping=True))
        .explode("_hit")
        .drop_nulls("_hit")
        .with_columns(alias=pl.col("_hit").str.strip_chars(),
                      _pos=clean.padded(pl.col("_words")).str.find(pl.col("_hit"), literal=True))
        .join(table, on="alias", how="inner")
        .with_columns(
            _app=(pl.col("table_category") == "transfer")
            | ((pl.col("table_category") == "loan_payments") & pl.col("table_kind").is_null()),
            _len=pl.col("alias").str.len_chars(),
        )
    )
    # Leftmost-longest, and a payment app only when no shop is named.
    ranked = hits.sort(["_key", "_app", "_pos", "_len"], descending=[False, False, False, True])
    best = ranked.group_by("_key", maintain_order=True).first().select(
        "_key",
        pl.col("name").alias(f"{prefix}name"),
        pl.col("alias").alias(f"{prefix}alias"),
        pl.col("table_category").alias(f"{prefix}category"),
        pl.col("table_kind").alias(f"{prefix}kind"),
        pl.col("_app").alias(f"{prefix}is_app"),
    )
    apps = (hits.filter("_app").sort(["_key", "_len"], descending=[False, True])
            .group_by("_key", maintain_order=True).first()
            .select("_key", pl.col("name").alias(f"{prefix}app")))
    return frame.join(best, on="_key", how="left").join(apps, on="_key", how="left")


def _keyword_matches(frame: pl.DataFrame, column: str) -> pl.DataFrame:
    table = tables.keywords()
    patterns = [f" {k} " for k in table["keyword"].to_list()]
    hits = (
        frame.select("_key", clean.padded(pl.col(column)).str.extract_many(
            patterns, overlapping=True).alias("_hit"))
        .explode("_hit").drop_nulls("_hit")
        .with_columns(keyword=pl.col("_hit").str.strip_chars())
        .join(table, on="keyword", how="inner")
        .sort(["_key", pl.col("keyword").str.len_chars()], descending=[False, True])
        .group_by("_key", maintain_order=True).first()
        .select("_key", "keyword", "keyword_category")
    )
    return frame.join(hits, on="_key", how="left")


def resolve(texts: pl.Series, known: Collection[str] = ()) -> pl.DataFrame:
    """One row per distinct text: merchant, intermediary, table category/kind and provenance.

    Columns: text, merchant, intermediary, table_category, table_kind, keyword,
    keyword_category, merchant_source (alias:…, fuzzy:…, cleaned), cleaned (the name no table
    knows, that fuzzy grouping compares). `known`: the cleaned names of texts resolved
    before, which these are grouped with as if they had been resolved together.
    """
    base = pl.DataFrame({"text": texts.cast(pl.String)}).unique().with_row_index("_key")
    plain = clean.upper_plain(pl.col("text"))
    body = clean.strip_boilerplate(plain)
    frame = base.with_columns(_body=body).with_columns(
        _prefix=clean.intermediary_prefix(pl.col("_body")),
        _after=clean.shop_after(pl.col("_body")),
    ).with_columns(
        _shop_raw=pl.when(pl.col("_after").is_not_null()).then(pl.col("_after"))
        .when(pl.col("_prefix").is_not_null()).then(clean.strip_prefix(pl.col("_body")))
        .otherwise(pl.col("_body")),
        _head_raw=pl.when(pl.col("_after").is_not_null()).then(clean.before_shop(pl.col("_body")))
        .otherwise(pl.col("_prefix")),
    ).with_columns(
        _shop=clean.strip_noise(pl.col("_shop_raw")),
        _head=clean.strip_noise(clean.upper_plain(pl.col("_head_raw"))),
        # keywords are whole words even when a bank glues digits on ("MIETE04")
        _all_words=clean.words(pl.col("_body").str.replace_all(r"\d+", " ")),
    ).with_columns(
        _shop=pl.when(clean.is_generic(pl.col("_shop"))).then(pl.lit(""))
        .otherwise(pl.col("_shop")),
    )
    frame = _alias_matches(frame, "_shop", "s_")
    frame = _alias_matches(frame, "_head", "h_")
    frame = _keyword_matches(frame, "_all_words")
    cleaned = clean.display_form(pl.col("_shop"))
    head_clean = clean.display_form(pl.col("_head"))
    has_shop = cleaned.str.len_chars() > 0
    # Payment app inside the shop text ("PAYPAL SPOTIFY"), or named by the prefix/head.
    intermediary = (
        pl.when(pl.col("s_name").is_not_null() & ~pl.col("s_is_app")
                & pl.col("s_app").is_not_null()).then(pl.col("s_app"))
        .when(has_shop | pl.col("s_name").is_not_null())
        .then(pl.coalesce(pl.col("h_name"), pl.col("_prefix")))
        .otherwise(pl.lit(None, dtype=pl.String))
    )
    merchant = (
        pl.when(pl.col("s_name").is_not_null()).then(pl.col("s_name"))
        .when(has_shop).then(cleaned.str.to_titlecase())
        .when(pl.col("h_name").is_not_null()).then(pl.col("h_name"))
        .when(pl.col("_prefix").is_not_null()).then(pl.col("_prefix"))
        .when(head_clean.str.len_chars() > 0).then(head_clean.str.to_titlecase())
        .otherwise(pl.lit(None, dtype=pl.String))
    )
    source = (
        pl.when(pl.col("s_name").is_not_null())
        .then(pl.concat_str(pl.lit("alias table: "), pl.col("s_alias")))
        .when(has_shop).then(pl.lit("cleaned descriptor"))
        .when(pl.col("h_name").is_not_null())
        .then(pl.concat_str(pl.lit("alias table: "), pl.col("h_alias")))
        .when(pl.col("_prefix").is_not_null()).then(pl.lit("intermediary prefix"))
        .otherwise(pl.lit("cleaned descriptor"))
    )
    from_table = pl.col("s_name").is_not_null() | (~has_shop & pl.col("h_name").is_not_null())
    out = frame.select(
        "text",
        merchant.alias("merchant"),
        intermediary.alias("intermediary"),
        pl.when(pl.col("s_name").is_not_null()).then(pl.col("s_category"))
        .when(from_table).then(pl.col("h_category")).alias("table_category"),
        pl.when(pl.col("s_name").is_not_null()).then(pl.col("s_kind"))
        .when(from_table).then(pl.col("h_kind")).alias("table_kind"),
        "keyword", "keyword_category",
        source.alias("merchant_source"),
        pl.when(from_table).then(pl.lit(None, dtype=pl.String)).otherwise(
            pl.when(has_shop).then(cleaned).otherwise(head_clean)).alias("cleaned"),
    )
    return collapse_variants(out, known)


def collapse_variants(frame: pl.DataFrame, known: Collection[str] = ()) -> pl.DataFrame:
    """Give unknown names that are clearly one shop the same merchant (rapidfuzz, per group),
    also across the `known` names (see resolve)."""
    names = cleaned_names(frame["cleaned"])
    mapping = fuzzy_groups(sorted({*names, *_same_groups(known, names)}))
    if not mapping:
        return frame
    table = pl.DataFrame({"cleaned": list(mapping), "_canon": list(mapping.values())})
    return (
        frame.join(table, on="cleaned", how="left")
        .with_columns(
            merchant=pl.when(pl.col("_canon").is_not_null())
            .then(pl.col("_canon").str.to_titlecase()).otherwise(pl.col("merchant")),
            merchant_source=pl.when(pl.col("_canon").is_not_null())
            .then(pl.concat_str(pl.lit("fuzzy: grouped with "), pl.col("_canon")))
            .otherwise(pl.col("merchant_source")),
        )
        .drop("_canon")
    )


def cleaned_names(column: pl.Series) -> list[str]:
    """The distinct names of a `cleaned` column that fuzzy grouping compares."""
    return column.filter(column.str.len_chars() > 0).unique().to_list()


def regroups(known: Collection[str], names: Collection[str]) -> bool:
    """Whether grouping `names` with the `known` ones (resolved before) changes the group of
    any known name: then what was resolved before is stale."""
    touched = _same_groups(known, names)
    if not touched:
        return False
    before = fuzzy_groups(touched)
    after = fuzzy_groups(sorted({*touched, *names}))
    return any(after.get(name, name) != before.get(name, name) for name in touched)


def _same_groups(known: Collection[str], names: Collection[str]) -> list[str]:
    """The known names fuzzy_groups could group with `names`: it compares within a first
    word."""
    firsts = {_first_word(name) for name in names}
    return sorted(k for k in known if _first_word(k) in firsts)


def _first_word(name: str) -> str:
    return name.split(" ", 1)[0]


def fuzzy_groups(names: list[str]) -> dict[str, str]:
    """Variant → canonical variant, for distinct unknown names (never per row).

    Names are compared only within a group sharing the first word. Two names are one shop when
    rapidfuzz's ratio reaches FUZZY_MIN_RATIO or when one is a truncation of the other (banks cut
    names at a fixed width). The canonical spelling of a group is its longest member.
    """
    from rapidfuzz import fuzz, process

    by_first: dict[str, list[str]] = {}
    for name in names:
        by_first.setdefault(_first_word(name), []).append(name)
    mapping: dict[str, str] = {}
    for group in by_first.values():
        if 2 <= len(group) <= FUZZY_MAX_GROUP:
            mapping.update(_collapse_group(sorted(group), process, fuzz))
    return mapping


def _collapse_group(group: list[str], process: Any, fuzz: Any) -> dict[str, str]:
    parent = {name: name for name in group}

    def root(name: str) -> str:
        while parent[name] != name:
            name = parent[name]
        return name

    def join(a: str, b: str) -> None:
        ra, rb = root(a), root(b)
        if ra != rb:  # the longer spelling becomes the root
            keep, drop = sorted((ra, rb), key=lambda n: (-len(n), n))
            parent[drop] = keep

    for i, name in enumerate(group):
        for other, _score, _index in process.extract(
            name, group[i + 1:], scorer=fuzz.ratio, score_cutoff=FUZZY_MIN_RATIO, limit=None
        ):
            join(name, other)
        if len(name) >= FUZZY_MIN_PREFIX:  # sorted: its extensions follow it directly
            for other in group[i + 1:]:
                if not other.startswith(name):
                    break
                join(name, other)
    return {name: root(name) for name in group if root(name) != name}
