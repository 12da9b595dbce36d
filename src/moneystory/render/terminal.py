"""Small terminal pictures and formats shared by every command's rich output."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from moneystory.money import format_money

SPARKS = "▁▂▃▄▅▆▇█"


def money(amount: Decimal | None, currency: str | None, *, signed: bool = False) -> str:
    return "—" if amount is None else format_money(amount, currency, signed=signed)


def money_style(amount: Decimal | None) -> str:
    if amount is None or amount == 0:
        return "dim"
    return "green" if amount > 0 else "red"


def sparkline(values: Sequence[Decimal | int | float]) -> str:
    nums = [abs(float(v)) for v in values]
    top = max(nums, default=0.0)
    if top == 0:
        return SPARKS[0] * len(nums)
    return "".join(SPARKS[min(len(SPARKS) - 1, int(v / top * (len(SPARKS) - 1) + 0.5))]
                   for v in nums)


def bar(value: Decimal | int | float, top: Decimal | int | float, width: int = 24) -> str:
    """A horizontal bar in eighths of a cell."""
    if not top:
        return ""
    cells = abs(float(value)) / abs(float(top)) * width
    full, part = int(cells), int((cells - int(cells)) * 8)
    return "█" * full + ("▏▎▍▌▋▊▉"[part - 1] if part else "")


def mask(number: str | None) -> str:
    """Card and account numbers: last 4 only."""
    if not number:
        return ""
    tail = number[-4:]
    return f"••{tail}"
