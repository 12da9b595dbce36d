"""Small terminal pictures and formats shared by every command's rich output."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from rich.console import Console, ConsoleOptions, RenderResult
from rich.table import Table
from rich.text import Text

from moneystory.masking import mask as mask  # re-exported: renderers use it from here
from moneystory.money import format_money
from moneystory.words import plural as plural  # re-exported: renderers use it from here

SPARKS = "▁▂▃▄▅▆▇█"


def money(amount: Decimal | None, currency: str | None, *, signed: bool = False) -> str:
    return "—" if amount is None else format_money(amount, currency, signed=signed)


def money_style(amount: Decimal | None) -> str:
    if amount is None or amount == 0:
        return "dim"
    return "green" if amount > 0 else "red"


def _exact(value: Decimal | int | float) -> Decimal:
    # pictures are drawn in Decimal too, so money never passes through a float on its way
    return abs(value if isinstance(value, Decimal) else Decimal(str(value)))


def sparkline(values: Sequence[Decimal | int | float]) -> str:
    nums = [_exact(v) for v in values]
    top = max(nums, default=Decimal(0))
    if top == 0:
        return SPARKS[0] * len(nums)
    steps = len(SPARKS) - 1
    return "".join(SPARKS[min(steps, int(v / top * steps + Decimal("0.5")))] for v in nums)


def bar(value: Decimal | int | float, top: Decimal | int | float, width: int = 24) -> str:
    """A horizontal bar in eighths of a cell."""
    if not top:
        return ""
    eighths = round(_exact(value) / _exact(top) * width * 8)
    full, part = divmod(eighths, 8)
    return "█" * full + ("▏▎▍▌▋▊▉"[part - 1] if part else "")


# ------------------------------------------------------------------------ tables that fit
@dataclass(frozen=True)
class Col:
    """One column of a table that must fit the terminal (80 columns is the case to design for).

    `drop`: 0 = always shown; when the table is too wide, the column with the highest `drop`
    goes first. `flex`: the column may be cut short (with …) instead of wrapping, down to
    `min_width`; names and descriptions are flex, amounts and dates never are.
    """

    header: str
    justify: Literal["left", "right"] = "left"
    drop: int = 0
    flex: bool = False
    min_width: int = 8
    style: str | None = None
    cut: Literal["end", "middle"] = "end"  # middle: file names, whose ends tell them apart


PAD = 2  # a box-less rich table pads each column by one cell on both sides
LAST_RESORT = 4  # the narrowest a flex column gets on a terminal too narrow for its minimum


def cell_width(cell: str) -> int:
    """Widest line of a cell, counted as the terminal shows it (markup removed)."""
    return max((Text.from_markup(line).cell_len for line in cell.split("\n")), default=0)


def fit_widths(cols: Sequence[Col], rows: Sequence[Sequence[str]], width: int) -> list[int | None]:
    """Each column's width in a table at most `width` wide, or None for a dropped column.

    Optional columns (`drop` > 0) with no content are left out; others are dropped
    (highest `drop` first) only when cutting every flex column to its
    `min_width` is not enough; then the flex columns share what is left.
    """
    content = [max((cell_width(r[i]) for r in rows), default=0) for i in range(len(cols))]
    natural = [max(cell_width(c.header), content[i]) for i, c in enumerate(cols)]
    # an optional column with nothing in it is left out whatever the width
    shown = [i for i in range(len(cols)) if content[i] or not cols[i].drop]

    def least(ids: list[int]) -> int:
        return sum(min(natural[i], cols[i].min_width) if cols[i].flex else natural[i]
                   for i in ids) + PAD * len(ids)

    while least(shown) > width and any(cols[i].drop for i in shown):
        shown.remove(max(shown, key=lambda i: (cols[i].drop, i)))
    widths: list[int | None] = [natural[i] if i in shown else None for i in range(len(cols))]
    excess = sum(natural[i] for i in shown) + PAD * len(shown) - width
    # cut the flex columns, widest first, one cell at a time, never below their minimum
    flex = [i for i in shown if cols[i].flex]
    for floor in ([c.min_width for c in cols], [LAST_RESORT] * len(cols)):
        # second pass, when nothing is left to drop: below the minimum, rather than let rich
        # cut ids and dates, which have no slack at all
        while excess > 0 and flex:
            i = max(flex, key=lambda j: (widths[j] or 0) - floor[j])
            current = widths[i] or 0
            if current <= floor[i]:
                break
            widths[i] = current - 1
            excess -= 1
    return widths


def fitted_table(cols: Sequence[Col], rows: Sequence[Sequence[str]], width: int,
                 **table_options: Any) -> Table:
    """A box-less table of the columns that fit in `width`; cells never wrap, flex ones cut."""
    widths = fit_widths(cols, rows, width)
    keep = [i for i, w in enumerate(widths) if w is not None]
    table = Table(box=None, header_style="bold", **table_options)
    for i in keep:
        col = cols[i]
        table.add_column(col.header, justify=col.justify, style=col.style, no_wrap=True,
                         overflow="ellipsis", max_width=widths[i] if col.flex else None)
    for row in rows:
        table.add_row(*(_cut_middle(row[i], widths[i] or 0) if cols[i].cut == "middle"
                        else row[i] for i in keep))
    return table


def _cut_middle(cell: str, width: int) -> str | Text:
    """'capitalone-quicksilver-2023.csv' in 20 cells: 'capitalone-…r-2023.csv'."""
    text = Text.from_markup(cell)
    if text.cell_len <= width or width < 3:
        return cell
    plain = text.plain
    tail = (width - 1) // 2
    return Text(plain[: width - 1 - tail] + "…" + plain[len(plain) - tail:])


class FittedTable:
    """A table that fits the width it is drawn in (the terminal, or a panel inside it)."""

    def __init__(self, cols: Sequence[Col], rows: Sequence[Sequence[str]],
                 **table_options: Any) -> None:
        self.cols, self.rows, self.table_options = list(cols), [list(r) for r in rows], \
            table_options

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield fitted_table(self.cols, self.rows, options.max_width, **self.table_options)


def bullets(items: Sequence[str], mark: str = "•") -> Table:
    """A list whose long items wrap under their own text, not under the bullet."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    for item in items:
        grid.add_row(f" {mark}", Text(item))
    return grid
