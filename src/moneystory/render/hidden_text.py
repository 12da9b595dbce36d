"""Terminal output for hidden transactions: one line per row, and under it why and when.

Not a table: each line carries two ids a person types back (the hidden row's, and the copy
kept), which a table that fits 80 columns would have to cut.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.console import Group
from rich.markup import escape
from rich.text import Text

from moneystory.hidden import HiddenEntry, HiddenRow
from moneystory.render.terminal import money


def entry_line(entry: HiddenEntry) -> str:
    """`12345678901234567890  2024-03-20  chase  -$87.12  TRADER JOE S …` (markup escaped)."""
    return (f"{entry.txn_id}  {entry.date}  {escape(entry.account_id or '')}  "
            f"{money(entry.amount, entry.currency)}  {escape(entry.description or '')}")


def hidden_list(rows: Iterable[HiddenRow]) -> Group:
    """The hidden rows, oldest decision first: the row, then why, when, and whether its
    import was undone (the row is then gone from the store, the decision kept for a
    re-import)."""
    lines: list[Text] = []
    for row in rows:
        gone = "" if row.in_store else " · [yellow]import undone[/]"
        lines.append(Text.from_markup(entry_line(row)))
        lines.append(Text.from_markup(f"  [dim]{escape(row.reason)} · hidden "
                                      f"{row.hidden_at.date()}[/]{gone}"))
    return Group(*lines)
