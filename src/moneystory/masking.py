"""Card and account numbers shown as their last 4 digits only (DESIGN: "••4871").

Layer 0: plain `re`, no polars, so importers, services and renderers can all use it.
"""

from __future__ import annotations

import re
from pathlib import Path

DOTS = "••"  # what stands for the hidden digits


def mask(number: str | None) -> str:
    """A number known to be a card or account number: "••" and its last 4 ("" for none)."""
    if not number:
        return ""
    return f"{DOTS}{number[-4:]}"


def _account_number(min_digits: int, grouped: bool) -> re.Pattern[str]:
    """An IBAN (grouped in fours or not), or `min_digits`+ digits (maybe grouped by spaces or
    dashes): an account or card number. `_` separates too (file names)."""
    gap = "[ -]?" if grouped else ""
    not_a_date = r"(?!\d{4}-\d\d-\d\d(?![\d-]))"  # "opened 2023-06-12" stays readable
    return re.compile(
        r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?(?![A-Za-z0-9])"
        rf"|(?<![A-Za-z0-9]){not_a_date}\d(?:{gap}\d){{{min_digits - 1},}}(?![A-Za-z0-9])"
    )


def mask_numbers(text: str | None, min_digits: int = 5, grouped: bool = True) -> str | None:
    """Account, card and IBAN numbers in free text as their last 4 digits: "ING ••4871".
    Shorter digit runs (a year, "Visa 1234") are not numbers to hide."""
    if not text:
        return text
    return _account_number(min_digits, grouped).sub(
        lambda found: mask(re.sub(r"\D", "", found.group())), text)


def masked_path(path: Path) -> str:
    """A statement's path for the import log, numbers masked: ING names its exports after the
    IBAN. Only ungrouped runs of 9+ digits count there, so the dates banks put in file names
    (`20230101-20231231`) stay readable."""
    return mask_numbers(str(path.resolve()), min_digits=9, grouped=False) or ""
