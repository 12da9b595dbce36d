"""Counts and lists in words, for every layer's sentences (layer 0: imports nothing of
moneystory)."""

from __future__ import annotations

from collections.abc import Sequence


def plural(count: int, word: str) -> str:
    """"1 merchant", "3 merchants"."""
    return f"{count} {word}" + ("" if count == 1 else "s")


def listed(names: Sequence[str], limit: int, total: int | None = None) -> str:
    """The first `limit` names joined with commas, then "and N more" for the rest of `total`
    (default: all of `names`)."""
    more = (len(names) if total is None else total) - limit
    shown = ", ".join(names[:limit])
    return f"{shown} and {more} more" if more > 0 else shown
