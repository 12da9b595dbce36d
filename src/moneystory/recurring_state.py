"""Service: recurring streams with the person's own decisions applied.

Decisions (confirm, dismiss, end) live in `home.state / "recurring.json"`, keyed by stream id,
which does not change as statements are imported again or added, prices rise or the window
moves (see analyzers.recurring.assign_ids), so a dismissed stream stays dismissed: the
re-creation bug Sure had to fix (PR #3008). Each decision also keeps its stream's latest
transaction ids (`evidence`, refreshed whenever `recurring` shows today's streams), which
find the stream again whatever its id has become; and a decision stored under the old id form
(it held the window's first amount) still applies, and is re-keyed when the file is written.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
from pydantic import BaseModel, Field

from moneystory.analyzers.recurring import (
    CADENCES,
    COLUMNS,
    Stream,
    assign_ids,
    find_streams,
)
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
# `--all` also judges the history before that window, up to this many days into it, so a
# stream that ended early in the window is seen whole (the longest gap, annual, is 395 days).
OLDER_OVERLAP_DAYS = 400
EVIDENCE = 3  # latest transaction ids a decision keeps to find its stream again
ID_PRICE_FACTOR = 2  # a decision found by id alone wants a stream within 2× of its price


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
    body = {"version": 2, "streams": decisions}
    atomic_write_text(_path(home), json.dumps(body, indent=1, sort_keys=True))


def apply_decisions(streams: list[Stream], decisions: dict[str, dict[str, Any]]) -> list[Stream]:
    """Streams with user_state set; an ended stream is inactive with status `ended`."""
    chosen, _ = match_decisions(streams, decisions)
    out = []
    for index, stream in enumerate(streams):
        if index not in chosen:
            out.append(stream)
            continue
        state = chosen[index][1].get("state")
        changes: dict[str, Any] = {"user_state": state}
        if state == "ended":
            changes.update(status="ended", active=False, next_date=None)
        elif state == "dismissed":
            changes.update(active=False, next_date=None)
        out.append(stream.model_copy(update=changes))
    return out


def match_decisions(streams: list[Stream], decisions: dict[str, dict[str, Any]]
                    ) -> tuple[dict[int, tuple[str, dict[str, Any]]], set[str]]:
    """({stream index: (stored key, decision)}, keys of older decisions another one replaced).

    A decision finds its stream by its evidence (transaction ids), else by id, else by the
    stream's older id form, else (a decision stored before evidence was kept) as the one
    stream of its merchant on its account. The latest decision for a stream wins.
    """
    if not decisions:
        return {}, set()
    wanted = {txn for d in decisions.values() for txn in d.get("evidence") or []}
    by_id: dict[str, int] = {}
    by_alias: dict[str, int] = {}
    by_txn: dict[str, int] = {}
    for index, stream in enumerate(streams):
        by_id.setdefault(stream.stream_id, index)
        for alias in stream.aliases:
            by_alias.setdefault(alias, index)
        if wanted:
            by_txn.update((txn, index) for txn in wanted.intersection(stream.txn_ids))
    chosen: dict[int, tuple[str, dict[str, Any]]] = {}
    replaced: set[str] = set()
    for key, decision in sorted(decisions.items(), key=lambda item: str(item[1].get("at", ""))):
        target = _find_stream(key, decision, streams, by_id, by_alias, by_txn)
        if target is None:
            continue
        if target in chosen:
            replaced.add(chosen[target][0])
        chosen[target] = (key, decision)
    return chosen, replaced


def _find_stream(key: str, decision: dict[str, Any], streams: list[Stream],
                 by_id: dict[str, int], by_alias: dict[str, int],
                 by_txn: dict[str, int]) -> int | None:
    held = [by_txn[txn] for txn in decision.get("evidence") or [] if txn in by_txn]
    if held:
        return max(held, key=held.count)
    found = by_id.get(key, by_alias.get(key))
    if found is not None and not _same_price_range(decision, streams[found]):
        found = None  # the id passed to a sibling at another price (its own stream is gone)
    if found is not None or "evidence" in decision:
        return found
    same = [i for i, s in enumerate(streams)
            if s.merchant == decision.get("merchant") and s.account_id == decision.get(
                "account_id")]
    return same[0] if len(same) == 1 else None


def _same_price_range(decision: dict[str, Any], stream: Stream) -> bool:
    """Whether `stream` costs about what the decided stream did (within ID_PRICE_FACTOR):
    price rises keep a stream within it, a second plan at one merchant seldom is."""
    recorded = decision.get("amount")
    if recorded is None:  # decided before amounts were kept
        return True
    amount, now = Decimal(str(recorded)), abs(stream.typical_amount)
    return amount <= now * ID_PRICE_FACTOR and now <= amount * ID_PRICE_FACTOR


def _remembered(stream: Stream) -> dict[str, Any]:
    """What a decision keeps of its stream to find it again: latest charges, typical price."""
    return {"evidence": stream.txn_ids[-EVIDENCE:],
            "amount": format(abs(stream.typical_amount), "f")}


def migrated(streams: list[Stream], decisions: dict[str, dict[str, Any]]
             ) -> dict[str, dict[str, Any]]:
    """The decisions keyed by their streams' current ids, with fresh evidence; those that
    match no stream here are kept as they are (another window or day may show theirs)."""
    chosen, replaced = match_decisions(streams, decisions)
    matched = {key for key, _ in chosen.values()}
    out = {k: v for k, v in decisions.items() if k not in matched and k not in replaced}
    for index, (_, decision) in chosen.items():
        stream = streams[index]
        out[stream.stream_id] = {**decision, **_remembered(stream)}
    return out


def _refresh(home: Home, streams: list[Stream], decisions: dict[str, dict[str, Any]]) -> None:
    """Re-key the decisions to today's ids with today's evidence (a decision whose evidence
    has all left the window would have only its id to go by). Best effort: a read-only home
    only means it is done another time."""
    fresh = migrated(streams, decisions)
    if fresh != decisions:
        try:
            _save(home, fresh)
        except OSError:
            return


def last_date(home: Home) -> date | None:
    """The store's latest transaction date (a lazy max over the stored rows), None when empty."""
    return _span(home)[1]


def _span(home: Home) -> tuple[date | None, date | None]:
    """The store's first and latest transaction dates (from the batches' statistics)."""
    first, last = Store(home).scan().select(
        pl.col("date").min().alias("first"), pl.col("date").max().alias("last")).collect().row(0)
    return first, last


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


def older_streams(home: Home, current: list[Stream], judged: date) -> list[Stream]:
    """Streams of the history before the window `current` was judged from (as of `judged`,
    so they are lapsed), minus those that `current` continues; their ids come after the
    current ones' so that asking for them changes no current id."""
    return _with_older(home, current, judged)[1]


def _with_older(home: Home, current: list[Stream], judged: date
                ) -> tuple[list[Stream], list[Stream]]:
    """(`current`, each stream that began before the window seen whole: from its first
    charge; older_streams())."""
    start = history_start(judged)
    first = _span(home)[0]
    if first is None or first >= start:
        return current, []
    from moneystory import analysis

    end = min(judged, start + timedelta(days=OLDER_OVERLAP_DAYS))
    # read once in a while and possibly years long: enriched for this call only, never kept
    # in the cache (measured on 8M older rows: 4.9 s and 2.0 GB, against 14 s and 4.2 GB)
    older = find_streams(analysis.transactions(home, end=end, keep_window=False,
                                               columns=COLUMNS), judged)
    seen = {txn for s in current for txn in s.txn_ids}
    kept = [s for s in older if not seen.intersection(s.txn_ids) and not any(
        _continues(c, s) for c in current)]
    assign_ids(kept, after=current)
    left = {id(s) for s in kept}
    continued = [s for s in older if id(s) not in left]  # those a current stream carries on
    whole = []
    for stream in current:
        earlier = [s for s in continued
                   if s.first_date < stream.first_date and _continues(stream, s)]
        whole.append(_extended(stream, min(earlier, key=lambda s: s.first_date))
                     if earlier else stream)
    return whole, kept


def _extended(current: Stream, older: Stream) -> Stream:
    """`current` with the charges `older` (the same stream, judged over the years before the
    window) saw before the window: its first date, count, evidence, gaps and price changes."""
    charged = set(current.txn_ids)
    cut = next((i for i, t in enumerate(older.txn_ids) if t in charged), len(older.txn_ids))
    if cut == 0:
        return current
    last_before = older.first_date + timedelta(days=sum(older.gaps_days[:cut - 1]))
    link = (current.first_date - last_before).days
    if link <= 0:
        return current
    return current.model_copy(update={
        "first_date": older.first_date,
        "occurrences": current.occurrences + cut,
        "txn_ids": [*older.txn_ids[:cut], *current.txn_ids],
        "gaps_days": [*older.gaps_days[:cut - 1], link, *current.gaps_days],
        "price_changes": [*[c for c in older.price_changes if c.date < current.first_date],
                          *current.price_changes],
    })


def _continues(later: Stream, earlier: Stream) -> bool:
    """`later` is the same stream as `earlier`, picked up again within one period."""
    cadence = CADENCES[later.cadence]
    reach = timedelta(days=cadence.max_gap + cadence.tolerance)
    return later.identity == earlier.identity and earlier.last_date >= later.first_date - reach


def judged_streams(home: Home, *, as_of: date | None = None, whole_history: bool = False
                   ) -> tuple[list[Stream], date | None]:
    """(streams with decisions applied, day judged): those of the window before the day
    judged, plus with `whole_history` those that ended before it (`--all`)."""
    lf, judged = history(home, as_of)
    streams = find_streams(lf, as_of)
    if whole_history and judged is not None:
        streams, older = _with_older(home, streams, judged)
        streams += older
    decisions = load_decisions(home)
    if as_of is None and decisions:  # today's view: the one to remember
        _refresh(home, streams, decisions)
    return apply_decisions(streams, decisions), judged


def report(home: Home, *, account: str | None = None, as_of: date | None = None,
           include_inactive: bool = False) -> RecurringReport:
    # detect on every account, then pick: a card's history split over two account names
    # (one per yearly export) is one stream
    found, judged = judged_streams(home, as_of=as_of, whole_history=include_inactive)
    streams = [s for s in found if account in (None, s.account_id)]
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
    """Record confirm/dismiss/end for the stream whose id starts with `stream_ref` (any stream
    `recurring --all` lists: the window's first, the older history only when none matches)."""
    if action not in ACTIONS:
        raise UsageProblem(f"unknown action {action!r}", hint="use confirm, dismiss or end")
    lf, judged = history(home)
    streams = find_streams(lf)
    matches = [s for s in streams if s.stream_id.startswith(stream_ref.lower())]
    if not matches and judged is not None:
        older = older_streams(home, streams, judged)
        streams += older
        matches = [s for s in older if s.stream_id.startswith(stream_ref.lower())]
    if not matches:
        raise UsageProblem(f"no stream has an id starting with {stream_ref!r}",
                           hint="run `moneystory recurring --all` to see the ids")
    if len(matches) > 1:
        raise UsageProblem(f"{len(matches)} streams have ids starting with {stream_ref!r}",
                           hint="give more characters of the id (`moneystory recurring --all`)")
    stream = matches[0]
    decisions = migrated(streams, load_decisions(home))
    decisions[stream.stream_id] = {
        "state": ACTIONS[action], "merchant": stream.merchant, "account_id": stream.account_id,
        "at": datetime.now(UTC).isoformat(timespec="seconds"), **_remembered(stream),
    }
    _save(home, decisions)
    return apply_decisions([stream], decisions)[0]
