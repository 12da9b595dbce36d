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


def test_one_plan_on_several_cards_is_one_line_and_the_rest_is_counted() -> None:
    review = rich_review()
    item = review.subscriptions.items[0]
    copies = [item.model_copy(update={"txn_ids": [f"copy{n}"]}) for n in range(3)]
    others = [item.model_copy(update={"merchant": f"Plan {n}", "paid": item.paid / 10})
              for n in range(15)]
    review.subscriptions.items = [*copies, *others]
    buffer = io.StringIO()
    render(review, Console(file=buffer, width=80, no_color=True, highlight=False))
    lines = buffer.getvalue().split("Recurring charges")[1].splitlines()
    mine = [line for line in lines if f"{item.merchant} ×3" in line]
    assert len(mine) == 1 and format_money(item.paid * 3, "USD") in mine[0]
    assert not any(f"{item.merchant} " in line and "×" not in line for line in lines[:15])
    assert any("… and 4 more (--json, --html)" in line for line in lines)  # 16 lines, 12 shown


def test_one_new_merchant_is_said_in_the_singular() -> None:
    review = rich_review()
    assert review.new_merchants is not None
    review.new_merchants.count = 1
    review.new_merchants.merchants = review.new_merchants.merchants[:1]
    buffer = io.StringIO()
    render(review, Console(file=buffer, width=80, no_color=True, highlight=False))
    assert "New this year: 1 merchant (" in buffer.getvalue()
