"""Counts and lists in words (moneystory.words)."""

from __future__ import annotations

from moneystory.words import listed, plural


def test_plural_says_one_without_an_s() -> None:
    assert plural(1, "row") == "1 row"
    assert [plural(n, "row") for n in (0, 2)] == ["0 rows", "2 rows"]


def test_listed_names_the_first_then_counts_the_rest() -> None:
    assert listed(["a", "b"], 3) == "a, b"
    assert listed(["a", "b", "c", "d"], 2) == "a, b and 2 more"
    assert listed(["a", "b", "c"], 2, total=10) == "a, b and 8 more"  # the rest not even listed
