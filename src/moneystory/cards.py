"""Service: the card-change list, the replacement record, and its progress after imports.

Which card: `card_last4` where the export has it (OFX credit-card accounts, "Card No." columns,
card digits in descriptors), else the account. The replacement lives in
`home.state / "cards.json"` (written atomically) with the last state shown per merchant, so
each import can say in one line what changed ("Netflix moved to card ••4242 (3 of 7 updated)").
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from moneystory import analysis, recurring_state
from moneystory.analyzers.card_holders import (
    CardChangeStatus,
    CardHolderReport,
    card_holders,
    track_replacement,
)
from moneystory.errors import ConfigError, MoneystoryError, UsageProblem
from moneystory.masking import mask
from moneystory.paths import Home, atomic_write_text
from moneystory.store import Store
from moneystory.words import listed


def _digits(text: str, option: str) -> str:
    digits = re.sub(r"\D", "", text)
    if len(digits) < 4:
        raise UsageProblem(f"{option} {text!r} is not a card number",
                           hint="give the card's last 4 digits, e.g. 4242")
    return digits[-4:]


# ------------------------------------------------------------------------------ which card
def known_cards(home: Home, lf: pl.LazyFrame) -> dict[str, list[str]]:
    """Card last-4 → the accounts it pays from (rows' digits and accounts' own cards)."""
    found = (
        lf.filter(pl.col("card_last4").is_not_null())
        .group_by("card_last4").agg(pl.col("account_id").unique().sort())
        .collect()
    )
    cards: dict[str, set[str]] = {
        r["card_last4"]: set(r["account_id"]) for r in found.iter_rows(named=True)}
    for account_id, info in Store(home).read_log().accounts.items():
        if info.get("card_last4"):
            cards.setdefault(str(info["card_last4"])[-4:], set()).add(account_id)
    return {card: sorted(ids) for card, ids in sorted(cards.items())}


def resolve(home: Home, lf: pl.LazyFrame, card: str | None, account: str | None,
            option: str = "--card") -> tuple[str | None, list[str]]:
    """(card, account ids) the person means; asks (UsageProblem) when it is ambiguous."""
    cards = known_cards(home, lf)
    if card:
        last4 = _digits(card, option)
        if last4 not in cards:
            raise UsageProblem(f"no card ending {last4} in your transactions",
                               hint=_choices(cards, lf, option))
        return last4, cards[last4]
    accounts = lf.select(pl.col("account_id").unique().sort()).collect().to_series().to_list()
    if account:
        if account not in accounts:
            raise UsageProblem(f"no account {account!r} in the store",
                               hint=f"known accounts: {', '.join(accounts) or 'none'}")
        return None, [account]
    if len(cards) == 1:
        only = next(iter(cards))
        return only, cards[only]
    if not cards and len(accounts) == 1:
        return None, accounts
    if not accounts:
        raise MoneystoryError("there are no transactions yet",
                              hint="Import your bank exports first: `moneystory import FILE...`")
    raise UsageProblem("you have several cards and did not say which one",
                       hint=_choices(cards, lf, option))


def _choices(cards: dict[str, list[str]], lf: pl.LazyFrame, option: str) -> str:
    if cards:
        return f"pass {option} LAST4, one of: " + listed(
            [f"{mask(c)} ({', '.join(ids)})" for c, ids in cards.items()], CHOICES_LISTED)
    accounts = lf.select(pl.col("account_id").unique().sort()).collect().to_series().to_list()
    return f"pass --account NAME, one of: {listed(accounts, CHOICES_LISTED)}"


CHOICES_LISTED = 8  # a hint names this many choices, then says how many more there are


def _latest(lf: pl.LazyFrame, account_ids: list[str] | None = None) -> date:
    if account_ids is not None:
        lf = lf.filter(pl.col("account_id").is_in(account_ids))
    latest = lf.select(pl.col("date").max()).collect().item()
    return latest or date.today()


# ------------------------------------------------------------------------------ the list
def card_changed(home: Home, *, card: str | None = None, account: str | None = None,
                 as_of: date | None = None) -> CardHolderReport:
    """Every merchant likely holding the card, most urgent first."""
    # which card and which day need no enrichment: the stored rows answer them
    stored = Store(home).scan()
    chosen, account_ids = resolve(home, stored, card, account)
    judged = as_of or _latest(stored, account_ids)
    # the same window as `recurring` as of that day, so each reuses the other's cache
    return _holders(home, _history(home, judged, judged), chosen, account_ids, judged)


def _history(home: Home, holders_on: date, end: date | None = None) -> pl.LazyFrame:
    """Enriched rows enough for the holders as of `holders_on`: the streams' history (years,
    so it covers the card-on-file year too), then everything up to `end` (default: all)."""
    return analysis.transactions(home, start=recurring_state.history_start(holders_on), end=end)


def _holders(home: Home, lf: pl.LazyFrame, card: str | None, account_ids: list[str],
             as_of: date) -> CardHolderReport:
    streams = recurring_state.all_streams(home, lf, as_of)
    return card_holders(lf.filter(pl.col("date") <= as_of), card=card, account_ids=account_ids,
                        as_of=as_of, streams=streams)


# ------------------------------------------------------------------------ the replacement
def _path(home: Home) -> Path:
    return home.card_change_file


def _load(home: Home) -> dict[str, Any]:
    path = _path(home)
    if not path.exists():
        return {"version": 1, "replacements": []}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        data.setdefault("replacements", [])
        return dict(data)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read the card replacement record ({exc})", path=path,
                          hint="fix the file, or record the replacement again with "
                               "`moneystory card-changed --new LAST4`") from exc


def _save(home: Home, data: dict[str, Any]) -> None:
    atomic_write_text(_path(home), json.dumps(data, indent=1, sort_keys=True, default=str))


def record_replacement(home: Home, *, new: str, old: str | None = None,
                       account: str | None = None, on: date | None = None) -> CardChangeStatus:
    """Start tracking: card `old` (or the account's) was replaced by `new` on `on`."""
    new_card = _digits(new, "--new")
    old_card, account_ids = resolve(home, Store(home).scan(), old, account, option="--old")
    if old_card == new_card:
        raise UsageProblem(f"the old and the new card both end in {new_card}",
                           hint="a renewal with the same digits needs no tracking; the "
                                "merchants keep charging it")
    record: dict[str, Any] = {
        "old": old_card, "new": new_card, "account_ids": account_ids,
        "on": (on or date.today()).isoformat(),
        "recorded_at": datetime.now(UTC).isoformat(timespec="seconds"), "states": {},
    }
    status = _status_for(home, record, None)
    record["states"] = {h.merchant_key: h.state for h in status.merchants}
    data = _load(home)
    data["replacements"].append(record)
    _save(home, data)
    return status


def status(home: Home, *, as_of: date | None = None) -> CardChangeStatus:
    """Progress of the latest recorded replacement."""
    record = _latest_record(home)
    return _status_for(home, record, as_of)


def _latest_record(home: Home) -> dict[str, Any]:
    replacements = _load(home)["replacements"]
    if not replacements:
        raise UsageProblem("no card replacement recorded yet",
                           hint="record it with `moneystory card-changed --new LAST4 "
                                "[--old LAST4] [--on DATE]`")
    return dict(replacements[-1])


def _status_for(home: Home, record: dict[str, Any], as_of: date | None) -> CardChangeStatus:
    on = date.fromisoformat(record["on"])
    old_ids: list[str] = list(record["account_ids"])
    lf = _history(home, on - timedelta(days=1))
    holders = _holders(home, lf, record["old"], old_ids, on - timedelta(days=1))
    stored = Store(home).scan()
    new_ids = sorted(set(known_cards(home, stored).get(record["new"], [])) | set(old_ids))
    judged = as_of or _latest(stored)
    return track_replacement(lf, holders, new_card=record["new"], new_account_ids=new_ids,
                             changed_on=on, as_of=max(judged, on))


# ---------------------------------------------------------------------------- after import
def import_notices(home: Home, import_ids: list[str]) -> list[str]:
    """One line per merchant whose state changed with this import (nothing when untracked)."""
    data = _load(home) if _path(home).exists() else {"replacements": []}
    if not data["replacements"] or not import_ids:
        return []
    record = data["replacements"][-1]
    try:
        current = _status_for(home, record, None)
    except MoneystoryError as exc:
        return [f"card-change tracking could not be updated: {exc.sentence()}"]
    before: dict[str, str] = record.get("states", {})
    lines = []
    progress = f"({current.updated} of {current.total} updated)"
    for holder in current.merchants:
        previous = before.get(holder.merchant_key, "pending")
        if holder.state == previous:
            continue
        if holder.state == "updated":
            lines.append(f"{holder.merchant} moved to card {mask(current.new_card)} {progress}")
        elif holder.state == "overdue":
            lines.append(f"{holder.merchant} is overdue on card {mask(current.new_card)}: "
                         f"{holder.note}")
        elif holder.state == "stopped":
            lines.append(f"{holder.merchant} seems to have stopped: {holder.note}")
    record["states"] = {h.merchant_key: h.state for h in current.merchants}
    _save(home, data)
    return lines
