"""Service: the pledge kept in the home (state/pledge.json), its lift, and what breaks it.

The file holds every pledge ever made plus an append-only history of events (pledged,
extended, lift requested, lift cancelled), rewritten atomically on each change. A pledge can
always be made stricter at once; lifting it takes its cooling-off, which cannot be shortened.
Changes are made under the store's lock, so two `optout` at once cannot lose one.

Time is passed in (`now`), never read deep inside, so tests can move it. `now_utc()` honours
$MONEYSTORY_NOW (an ISO date or datetime) — for testing only.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Concatenate, ParamSpec, TypeVar

import polars as pl
from pydantic import BaseModel, Field, ValidationError

from moneystory import analysis
from moneystory.analyzers.bnpl import BnplPlan, BnplReport, find_bnpl
from moneystory.analyzers.pledge import (
    KINDS,
    Lift,
    Pledge,
    PledgeAdherence,
    Violation,
    adherence,
    find_violations,
    legacy_plans,
)
from moneystory.errors import ConfigError, UsageProblem
from moneystory.money import format_money
from moneystory.paths import Home, atomic_write_text
from moneystory.store import Store

MAX_COOLING_OFF_DAYS = 365
DEFAULT_COOLING_OFF_DAYS = 2  # as UK banks' gambling blocks use (48 hours)
# How far before a pledge its rows are read: the legacy plans (begun before it, still running)
# must be seen from their first instalment; two years hold a 24-month plan, and reading only
# them, not the whole store, keeps `check` and the review fast on a decade of statements.
LEGACY_LOOKBACK = timedelta(days=2 * 366)


class Event(BaseModel):
    at: datetime
    event: str  # pledged | extended | lift-requested | lift-cancelled
    pledge_id: str
    detail: dict[str, str] = Field(default_factory=dict)


class PledgeBook(BaseModel):
    version: int = 1
    pledges: list[Pledge] = Field(default_factory=list)
    history: list[Event] = Field(default_factory=list)

    def in_force(self, now: datetime) -> Pledge | None:
        return next((p for p in reversed(self.pledges) if p.in_force(now)), None)


class PledgePreview(BaseModel):
    """What a pledge would flag, shown before the person confirms it."""

    since: date
    rules: list[str]
    cooling_off_days: int
    already_flagged: list[Violation]  # when --from is in the past
    legacy: list[BnplPlan]
    current: Pledge | None  # the pledge in force, which this one extends


class LiftOutcome(BaseModel):
    pledge: Pledge
    effective_at: datetime
    already_pending: bool


class PledgeStatus(BaseModel):
    pledge: Pledge | None
    state: str  # none | active | lifting | lifted
    as_of: date
    adherence: PledgeAdherence | None = None
    legacy: list[BnplPlan] = Field(default_factory=list)
    history: list[Event] = Field(default_factory=list)


class CheckReport(BaseModel):
    as_of: date
    pledges: list[Pledge]
    violations: list[Violation]


# ------------------------------------------------------------------------------------ the clock
def now_utc() -> datetime:
    """The current time; $MONEYSTORY_NOW overrides it (for testing only)."""
    forced = os.environ.get("MONEYSTORY_NOW")
    if not forced:
        return datetime.now(UTC)
    try:
        moment = (datetime.combine(date.fromisoformat(forced), time(12)) if len(forced) == 10
                  else datetime.fromisoformat(forced))
    except ValueError:
        raise UsageProblem(f"MONEYSTORY_NOW={forced!r} is not an ISO date or time",
                           hint="unset it, or write it as YYYY-MM-DD[THH:MM]") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# -------------------------------------------------------------------------------------- storage
def load(home: Home) -> PledgeBook:
    path = home.pledge_file
    if not path.exists():
        return PledgeBook()
    try:
        return PledgeBook.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, ValidationError) as exc:
        raise ConfigError(f"the pledge file {path} cannot be read ({type(exc).__name__})",
                          hint="restore it from a backup; it is never rewritten in part",
                          path=path) from exc


def _save(home: Home, book: PledgeBook) -> None:
    text = json.dumps(book.model_dump(mode="json"), indent=1, ensure_ascii=False)
    atomic_write_text(home.pledge_file, text + "\n")


P = ParamSpec("P")
R = TypeVar("R")


def _exclusive(change: Callable[Concatenate[Home, P], R]) -> Callable[Concatenate[Home, P], R]:
    """Read, change and write the pledge file under the store's lock: two `optout` at once
    must not lose one of the changes."""

    @functools.wraps(change)
    def locked(home: Home, *args: P.args, **kwargs: P.kwargs) -> R:
        with Store(home).writing(f"optout ({change.__name__})"):
            return change(home, *args, **kwargs)

    return locked


def _record(book: PledgeBook, now: datetime, event: str, pledge: Pledge,
            **detail: str) -> None:
    book.history.append(Event(at=now, event=event, pledge_id=pledge.pledge_id, detail=detail))


# ------------------------------------------------------------------------------------- pledging
def _validate(kinds: list[str], cooling_off_days: int) -> list[str]:
    unknown = sorted(set(kinds) - set(KINDS))
    if unknown:
        raise UsageProblem(f"cannot pledge against {', '.join(unknown)}",
                           hint=f"choose from {', '.join(KINDS)}")
    if not 1 <= cooling_off_days <= MAX_COOLING_OFF_DAYS:
        raise UsageProblem(f"a cooling-off of {cooling_off_days} days is not allowed",
                           hint=f"choose 1 to {MAX_COOLING_OFF_DAYS} days")
    return ["bnpl", *sorted(set(kinds) - {"bnpl"})]


def preview(home: Home, *, since: date | None, also: list[str], merchants: list[str],
            cooling_off_days: int, now: datetime) -> PledgePreview:
    kinds = _validate(also, cooling_off_days)
    book = load(home)
    current = book.in_force(now)
    candidate = _merged(current, since or now.date(), kinds, merchants, cooling_off_days, None,
                        now)
    lf, report = _bnpl(home, now, candidate.since)
    return PledgePreview(
        since=candidate.since, rules=candidate.rules(),
        cooling_off_days=candidate.cooling_off_days,
        already_flagged=find_violations(lf, candidate, report, as_of=now.date()),
        legacy=legacy_plans(candidate, report), current=current,
    )


@_exclusive
def make_pledge(home: Home, *, since: date | None, also: list[str], merchants: list[str],
                cooling_off_days: int = DEFAULT_COOLING_OFF_DAYS, reason: str | None = None,
                now: datetime) -> Pledge:
    """Pledge from `since` (default today). A pledge in force is extended, never loosened."""
    kinds = _validate(also, cooling_off_days)
    book = load(home)
    current = book.in_force(now)
    pledge = _merged(current, since or now.date(), kinds, merchants, cooling_off_days, reason,
                     now)
    if current is None:
        book.pledges.append(pledge)
        _record(book, now, "pledged", pledge, rules=", ".join(pledge.rules()),
                since=pledge.since.isoformat())
    else:
        book.pledges[book.pledges.index(current)] = pledge
        _record(book, now, "extended", pledge, rules=", ".join(pledge.rules()),
                since=pledge.since.isoformat(),
                **({"lift_cancelled": "yes"} if current.lift else {}))
    _save(home, book)
    return pledge


def _merged(current: Pledge | None, since: date, kinds: list[str], merchants: list[str],
            cooling_off_days: int, reason: str | None, now: datetime) -> Pledge:
    """The new pledge, or the one in force made stricter: earlier start, more rules, longer wait."""
    if current is None:
        pledge_id = hashlib.sha256(f"{now.isoformat()}|{since}".encode()).hexdigest()[:10]
        return Pledge(pledge_id=pledge_id, since=since, kinds=kinds,
                      merchants=sorted(set(merchants), key=str.lower),
                      cooling_off_days=cooling_off_days, reason=reason, created_at=now)
    return current.model_copy(update={
        "since": min(current.since, since),
        "kinds": ["bnpl", *sorted((set(current.kinds) | set(kinds)) - {"bnpl"})],
        "merchants": sorted(set(current.merchants) | set(merchants), key=str.lower),
        "cooling_off_days": max(current.cooling_off_days, cooling_off_days),
        "reason": reason or current.reason,
        "lift": None,  # pledging again means keeping it
    })


def _require_pledge(book: PledgeBook, now: datetime) -> Pledge:
    pledge = book.in_force(now)
    if pledge is None:
        raise UsageProblem("there is no pledge in force",
                           hint="make one with `moneystory optout`")
    return pledge


@_exclusive
def request_lift(home: Home, *, now: datetime) -> LiftOutcome:
    """Start the cooling-off. Asking again never shortens or restarts it."""
    book = load(home)
    pledge = _require_pledge(book, now)
    if pledge.lift is not None:
        return LiftOutcome(pledge=pledge, effective_at=pledge.lift.effective_at,
                           already_pending=True)
    lift = Lift(requested_at=now, effective_at=now + timedelta(days=pledge.cooling_off_days))
    lifted = pledge.model_copy(update={"lift": lift})
    book.pledges[book.pledges.index(pledge)] = lifted
    _record(book, now, "lift-requested", lifted, effective_at=lift.effective_at.isoformat())
    _save(home, book)
    return LiftOutcome(pledge=lifted, effective_at=lift.effective_at, already_pending=False)


@_exclusive
def cancel_lift(home: Home, *, now: datetime) -> Pledge:
    book = load(home)
    pledge = _require_pledge(book, now)
    if pledge.lift is None:
        raise UsageProblem("the pledge is not being lifted",
                           hint="nothing to cancel; it stays in force")
    kept = pledge.model_copy(update={"lift": None})
    book.pledges[book.pledges.index(pledge)] = kept
    _record(book, now, "lift-cancelled", kept)
    _save(home, book)
    return kept


# ------------------------------------------------------------------------------------- reading
def _enriched(home: Home, since: date, end: date | None = None) -> pl.LazyFrame:
    """The enriched rows a pledge from `since` is judged on, read and enriched once (each
    analysis below scans them again): from LEGACY_LOOKBACK before it, to see the plans that
    began before the pledge, to `end` (default: the store's end)."""
    start = since - LEGACY_LOOKBACK
    return analysis.transactions(home, start=start, end=end).collect().lazy()


def _bnpl(home: Home, now: datetime, since: date) -> tuple[pl.LazyFrame, BnplReport]:
    lf = _enriched(home, since)
    return lf, find_bnpl(lf, as_of=now.date())


def _latest(book: PledgeBook, now: datetime) -> Pledge | None:
    return book.in_force(now) or (book.pledges[-1] if book.pledges else None)


def status(home: Home, *, now: datetime) -> PledgeStatus:
    book = load(home)
    pledge = _latest(book, now)
    if pledge is None:
        return PledgeStatus(pledge=None, state="none", as_of=now.date())
    lf, report = _bnpl(home, now, pledge.since)
    violations = find_violations(lf, pledge, report, as_of=now.date())
    legacy = legacy_plans(pledge, report)
    return PledgeStatus(
        pledge=pledge, state=pledge.state(now), as_of=now.date(),
        adherence=adherence(pledge, violations, legacy, pledge.since, now.date()),
        legacy=legacy,
        history=[e for e in book.history if e.pledge_id == pledge.pledge_id],
    )


def check(home: Home, *, now: datetime) -> CheckReport:
    """Every transaction that breaks a pledge in force (cooling-off included)."""
    book = load(home)
    in_force = [p for p in book.pledges if p.in_force(now)]
    violations: list[Violation] = []
    if in_force:
        lf, report = _bnpl(home, now, min(p.since for p in in_force))
        for pledge in in_force:
            violations.extend(find_violations(lf, pledge, report, as_of=now.date()))
    return CheckReport(as_of=now.date(), pledges=in_force, violations=violations)


def import_notices(home: Home, import_ids: list[str], now: datetime | None = None) -> list[str]:
    """One prominent line when these imports brought a violation that was not there before."""
    now = now or now_utc()
    pledge = load(home).in_force(now)
    if pledge is None or not import_ids:
        return []
    lf = _enriched(home, pledge.since)
    before_lf = lf.filter(~pl.col("import_id").is_in(import_ids))
    after = find_violations(lf, pledge, find_bnpl(lf, as_of=now.date()), as_of=now.date())
    before = {v.txn_id for v in find_violations(
        before_lf, pledge, find_bnpl(before_lf, as_of=now.date()), as_of=now.date())}
    new = [v for v in after if v.txn_id not in before]
    if not new:
        return []
    first = new[0]
    what = f"{first.provider or first.merchant} {format_money(-first.amount, first.currency)}"
    more = f" and {len(new) - 1} more" if len(new) > 1 else ""
    return [f"Pledge broken: {len(new)} new violation{'s' if len(new) > 1 else ''} "
            f"({what} on {first.date}{more}) — run `moneystory check`"]


def adherence_for_year(home: Home, year: int, now: datetime | None = None
                       ) -> PledgeAdherence | None:
    """How the latest pledge that covered part of `year` was kept during that year."""
    now = now or now_utc()
    start, end = date(year, 1, 1), min(date(year, 12, 31), now.date())
    book = load(home)
    pledge = next((p for p in reversed(book.pledges) if p.since <= end and _open_after(p, start)),
                  None)
    if pledge is None:
        return None
    # the year (for its currency) and the pledge's own days up to the year's end
    lf = _enriched(home, min(start, pledge.since), end)
    report = find_bnpl(lf, as_of=end)
    violations = find_violations(lf, pledge, report, as_of=end)
    currency = _main_currency(lf, start, end)
    return adherence(pledge, violations, legacy_plans(pledge, report), start, end, currency)


def _main_currency(lf: pl.LazyFrame, start: date, end: date) -> str | None:
    """The currency most of the year's transactions are in (the review's currency)."""
    modes = (lf.filter(pl.col("date").is_between(start, end)).select(pl.col("currency").mode())
             .collect()["currency"].drop_nulls())
    return str(modes.sort()[0]) if len(modes) else None


def _open_after(pledge: Pledge, day: date) -> bool:
    ends_on = pledge.ends_on()
    return ends_on is None or ends_on > day


def remaining_by_currency(plans: list[BnplPlan]) -> dict[str, Decimal]:
    """Still owed on these plans, per currency (never summed across currencies)."""
    owed: dict[str, Decimal] = {}
    for plan in plans:
        owed[plan.currency] = owed.get(plan.currency, Decimal(0)) + plan.remaining
    return owed
