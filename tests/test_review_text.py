"""The terminal story: every chapter, 80 columns, plain when there is no colour."""

from __future__ import annotations

import io

import pytest
from rich.console import Console
from tests.test_review_html import rich_review

from moneystory.money import format_money
from moneystory.render.review_text import category_label, render


def story(width: int = 80, *, color: bool = False) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, no_color=not color, force_terminal=color,
                      color_system="standard" if color else None, highlight=False)
    render(rich_review(), console)
    return buffer.getvalue()


def test_every_chapter_is_told_in_80_columns() -> None:
    text = story()
    for title in ("2023 · your money story (USD)", "What would make a difference",
                  "Month by month", "Where it went", "Where you spent", "When",
                  "Compared with 2022", "Recurring charges", "Fees and interest",
                  "Buy now, pay later"):
        assert title in text, title
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "\x1b[" not in text


def test_the_figures_and_the_advice_are_shown() -> None:
    review, text = rich_review(), story()
    for amount in (review.income, review.spending):
        assert format_money(amount, "USD") in text
    assert "▲ Netflix: $15.49 → $17.99" in text  # the price rise
    assert "moneystory optout" in text  # BNPL advice names the command
    assert "Bistro <&> Bar" in text  # data shown as it is, not as markup
    assert any(ch in text for ch in "▁▂▃▄▅▆▇█")  # sparkline and bars


def test_colour_only_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert "\x1b[" in story(color=True)


def test_category_labels_are_short() -> None:
    assert category_label("services") == "Services"
    assert category_label("rent_utilities") == "Rent & utilities"
    assert category_label("not_a_category") == "Not a category"
