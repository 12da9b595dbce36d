"""Descriptor clean-up as polars expressions, driven by data/cleaning.toml.

Every function here maps an expression to an expression; callers apply them to a frame of
DISTINCT descriptors, never to every transaction.
"""

from __future__ import annotations

import functools
from typing import Any

import polars as pl

from moneystory.enrich import tables


def _any(patterns: list[str]) -> str:
    return "(?:" + "|".join(f"(?:{p})" for p in patterns) + ")"


def upper_plain(text: pl.Expr) -> pl.Expr:
    """Upper case, accents dropped, whitespace collapsed; punctuation kept."""
    return (text.fill_null("").str.to_uppercase().str.normalize("NFKD")
            .str.replace_all(r"\p{M}", "").str.replace_all(r"\s+", " ").str.strip_chars())


def words(text: pl.Expr) -> pl.Expr:
    """Letters, digits and & only, single-spaced (the form aliases and keywords are kept in)."""
    return (text.str.replace_all(r"['’]", "").str.replace_all(r"[^\p{L}\p{N}&]+", " ")
            .str.strip_chars())


def padded(text: pl.Expr) -> pl.Expr:
    """" WORDS " so that a whole-word search is a plain substring search for " ALIAS "."""
    return pl.concat_str(pl.lit(" "), text, pl.lit(" "))


@functools.cache
def _boilerplate_regex() -> str:
    return r"(^|[\s/])" + _any(tables.cleaning().boilerplate) + r"([\s:/.,]|$)"


def strip_boilerplate(text: pl.Expr) -> pl.Expr:
    # Three passes: one match consumes the space the next one would start with.
    pattern = _boilerplate_regex()
    for _ in range(3):
        text = text.str.replace_all(pattern, " ")
    return text.str.replace_all(r"\s+", " ").str.strip_chars(" -*/:.,")


def strip_noise(text: pl.Expr) -> pl.Expr:
    """Dates, times, phone and card numbers, amounts, references; then the word-level form."""
    text = text.str.replace_all(_any(tables.cleaning().noise), " ")
    # A code glued after a star ("AMZN MKTP US*2K4LM3") is a reference, not a name.
    text = text.str.replace_all(r"\*\s?[A-Z0-9]*\d[A-Z0-9]*", " ")
    return words(text)


@functools.cache
def _tail_regex() -> str:
    conf = tables.cleaning()
    places = sorted({*conf.countries, *conf.us_states, *conf.cities, *conf.tail_words,
                     *conf.legal},
                    key=len, reverse=True)
    return r"\s(?:" + "|".join(places) + r")$"


def display_form(text: pl.Expr) -> pl.Expr:
    """What remains of an unknown merchant: no words with digits, no trailing places/suffixes."""
    # Store numbers and references; a short code such as "CB2" or "O2" may be the name.
    text = text.str.replace_all(r"\b(?:\S*\d{3,}\S*|\d+)\b", " ").str.replace_all(r"\s+", " ")
    text = text.str.strip_chars()
    tail = _tail_regex()
    for _ in range(3):  # "BLUE BOTTLE COF OAKLAND CA US": peel one place per pass
        text = text.str.replace(tail, "")
    return text.str.strip_chars()


@functools.cache
def _prefix_regex() -> str:
    return r"^" + _any([i.prefix for i in tables.cleaning().intermediary]) + r"\s*"


def when_chain(pairs: list[tuple[pl.Expr, pl.Expr]], default: pl.Expr) -> pl.Expr:
    """when(c1).then(v1).when(c2).then(v2)...otherwise(default): the first true condition wins."""
    expr: Any = None
    for cond, value in pairs:
        expr = (pl.when(cond) if expr is None else expr.when(cond)).then(value)
    return default if expr is None else expr.otherwise(default)


def intermediary_prefix(text: pl.Expr) -> pl.Expr:
    """The processor or wallet named by a prefix ("SQ *", "PAYPAL *"), else null."""
    return when_chain([(text.str.contains(r"^(?:" + item.prefix + ")"), pl.lit(item.name))
                       for item in tables.cleaning().intermediary],
                      pl.lit(None, dtype=pl.String))


def strip_prefix(text: pl.Expr) -> pl.Expr:
    return text.str.replace(_prefix_regex(), "")


def shop_after(text: pl.Expr) -> pl.Expr:
    """The shop named after wallet wording ("... Ihr Einkauf bei SPOTIFY"), else null."""
    pattern = tables.cleaning().shop_after
    return text.str.extract(pattern + r"(.+)$", 1)


def before_shop(text: pl.Expr) -> pl.Expr:
    pattern = tables.cleaning().shop_after
    return text.str.extract(r"^(.*?)" + pattern, 1)


def is_generic(text: pl.Expr) -> pl.Expr:
    generic = [tables.normalise_words(g) for g in tables.cleaning().generic]
    return text.is_in(generic) | (text.str.len_chars() < 2)


@functools.cache
def wording_regex(name: str) -> str:
    patterns: list[str] = getattr(tables.wording(), name)
    return r"(?:^|[^\p{L}\p{N}])" + _any(patterns) + r"(?:[^\p{L}\p{N}]|$)"


def has_wording(text: pl.Expr, name: str) -> pl.Expr:
    """Whole-word match of one kinds.toml list on an upper_plain() text."""
    return text.str.contains(wording_regex(name))
