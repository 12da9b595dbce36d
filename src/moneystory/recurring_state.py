"""Service: recurring streams with the person's own decisions applied.

Decisions (confirm, dismiss, end) live in `home.state / "recurring.json"`, keyed by stream id,
which does not change as statements are imported again or added (see analyzers.recurring), so
a dismissed stream stays dismissed: the re-creation bug Sure had to fix (PR #3008).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
from pydantic import BaseModel, Field

from moneystory.analyzers.recurring import Stream, find_streams
from moneystory.errors import ConfigError, UsageProblem
from moneystory.paths import Home, atomic_write_text
from moneystory.store import Store

FILE_NAME = "recurring.json"
ACTIONS = {"confirm": "confirmed", "dismiss": "dismissed", "end": "ended"}
# Streams are judged from the years before the day judged, not from the whole store: three
# years see an annual charge three times and a price rise, and enriching only them is what
# keeps `recurring` fast on a decade of statements. The window starts on the 1st of a month,
# so it (and the enriched window's cache) stays put all month as statements are added.
HISTORY_YEARS = 3


class YearlyTotal(BaseModel):
    currency: str
    outgoing: Decimal  # positive: a year of the active charges at their typical amounts
    incoming: Decimal


class RecurringReport(BaseModel):
    as_of: date | None
    streams: list[Stream] = Field(default_factory=list)
    hidden: int = 0  # inactive or dismissed streams left out (shown with --all)
    totals: list[YearlyTotal] = Field(default_factory=list)


def _path(home: Home) -> Path:
    return home.state / FILE_NAME


def load_decisions(home: Home) -> dict[str, dict[str, Any]]:
    path = _path(home)
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return dict(data.get("streams", {}))
    except (OSError, ValueError, AttributeError) as exc:
        raise ConfigError(f"cannot read your recurring decisions ({exc})", path=path,
                          hint="fix or delete the file; it only holds confirm/dismiss/end "
                               "choices") from exc


def _save(home: Home, decisions: dict[str, dict[str, Any]]) -> None:
    body = {"version": 1, "streams": decisions}
    atomic_write_text(_path(home), json.dumps(body, indent=1, sort_keys=True))


def apply_decisions(streams: list[Stream], decisions: dict[str, dict[str, Any]]) -> list[Stream]:
    """Streams with user_state set; an ended stream is inactive with status `ended`."""
    out = []
    for stream in streams:
        decision = decisions.get(stream.stream_id)
        if decision is None:
            out.append(stream)
            continue
        state = decision.get("state")
        changes: dict[str, Any] = {"user_state": state}
        if state == "ended":
            changes.update(status="ended", active=False, next_date=None)
        elif state == "dismissed":
            changes.update(active=False, next_date=None)
        out.append(stream.model_copy(update=changes))
    return out


def last_date(home: Home) -> date | None:
    """The store's latest transaction date (a lazy max over the stored rows), None when empty."""
    latest: date | None = Store(home).scan().select(pl.col("date").max()).collect().item()
    return latest


def history_start(as_of: date) -> date:
    """The first day of the history that streams as of `as_of` are judged from."""
    return date(as_of.year - HISTORY_YEARS, as_of.month, 1)


def history(home: Home, as_of: date | None = None) -> tuple[pl.LazyFrame, date | None]:
    """(enriched rows streams are judged from, day judged: `as_of` or the store's last day)."""
    from moneystory import analysis

    judged = as_of or last_date(home)
    if judged is None:  # an empty store: nothing to window
        return analysis.transactions(home), None
    return analysis.transactions(home, start=history_start(judged), end=judged), judged


def all_streams(home: Home, lf: pl.LazyFrame, as_of: date | None = None) -> list[Stream]:
    """Every stream in `lf` with the person's decisions applied."""
    return apply_decisions(find_streams(lf, as_of), load_decisions(home))


def report(home: Home, *, account: str | None = None, as_of: date | None = None,
           include_inactive: bool = False) -> RecurringReport:
    # detect on every account, then pick: a card's history split over two account names
    # (one per yearly export) is one stream
    lf, judged = history(home, as_of)
    streams = [s for s in all_streams(home, lf, as_of) if account in (None, s.account_id)]
    shown = [s for s in streams if include_inactive or s.active]
    shown.sort(key=lambda s: (not s.active, s.direction != "out", s.next_date or date.max,
                              s.merchant.lower()))
    return RecurringReport(as_of=judged, streams=shown, hidden=len(streams) - len(shown),
                           totals=_totals(streams))


def _totals(streams: list[Stream]) -> list[YearlyTotal]:
    sums: dict[str, list[Decimal]] = {}
    for s in streams:
        if not s.active:
            continue
        pair = sums.setdefault(s.currency, [Decimal(0), Decimal(0)])
        pair[0 if s.direction == "out" else 1] += s.yearly_cost
    return [YearlyTotal(currency=c, outgoing=o, incoming=i) for c, (o, i) in sorted(sums.items())]


def decide(home: Home, stream_ref: str, action: str) -> Stream:
    """Record confirm/dismiss/end for the stream whose id starts with `stream_ref`."""
    if action not in ACTIONS:
        raise UsageProblem(f"unknown action {action!r}", hint="use confirm, dismiss or end")
    streams = all_streams(home, history(home)[0])
    matches = [s for s in streams if s.stream_id.startswith(stream_ref.lower())]
    if not matches:
        raise UsageProblem(f"no stream has an id starting with {stream_ref!r}",
                           hint="run `moneystory recurring --all` to see the ids")
    if len(matches) > 1:
        raise UsageProblem(f"{len(matches)} streams have ids starting with {stream_ref!r}",
                           hint="give more characters of the id (`moneystory recurring --all`)")
    stream = matches[0]
    decisions = load_decisions(home)
    decisions[stream.stream_id] = {
        "state": ACTIONS[action], "merchant": stream.merchant, "account_id": stream.account_id,
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    _save(home, decisions)
    return apply_decisions([stream], decisions)[0]
