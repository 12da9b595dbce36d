"""Advice that acts: recommendations computed from a year's facts, each with its saving.

Pure: a `YearReview` (without recommendations) and its `Evidence` in, a list out. Every
recommendation rests on transactions (txn_ids) and says the command or the step that acts on it;
none is made when the data does not support it. Wording is plain and neutral: it states what
happened and what would change it, never how the person should feel about it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import ROUND_CEILING, Decimal

from moneystory.analyzers.review import (
    EVIDENCE_LIMIT,
    FULL_YEAR_DAYS,
    Evidence,
    Recommendation,
    Subscription,
    YearReview,
    round_money,
)
from moneystory.money import format_money, minor_units
from moneystory.words import listed

# Services people often hold twice without meaning to; matched on the merchant's words.
SERVICE_KINDS: dict[str, tuple[str, ...]] = {
    "streaming": ("netflix", "disney", "hulu", "hbo", "max", "prime video", "paramount",
                  "apple tv", "peacock", "now tv", "crunchyroll", "dazn", "britbox", "mubi"),
    "music": ("spotify", "apple music", "youtube music", "tidal", "deezer", "amazon music",
              "soundcloud", "pandora", "qobuz"),
    "cloud storage": ("icloud", "google one", "google storage", "dropbox", "onedrive", "box.com",
                      "pcloud", "backblaze", "mega.nz", "sync.com"),
}

# Categories a person can steer month by month; the rest (rent, tax, health) are not capped.
CAPPABLE = frozenset({
    "entertainment", "groceries", "restaurants", "coffee", "food_delivery", "general_merchandise",
    "home", "personal_care", "services", "transportation", "travel",
})  # subscriptions are advised one by one (price rises, duplicates); "other" is no category
MAX_CATEGORY_ADVICE = 3
LISTED = 5  # names or prices a message lists before "and N more"
# Recurring bills that are negotiated or switched rather than cancelled.
BILLS = frozenset({"rent_utilities", "services", "medical", "personal_care"})

FEE_STEPS: dict[str, tuple[str, str]] = {
    "foreign_transaction": ("foreign-transaction fees",
                            "pay abroad with a card that charges no foreign-transaction fee"),
    "atm": ("ATM fees",
            "withdraw at your own bank's cash machines, or less often and more at once"),
    "overdraft": ("overdraft charges",
                  "set a low-balance alert and keep a small buffer, or move money in before "
                  "bills go out"),
    "late": ("late fees", "set up a direct debit or autopay for at least the minimum payment"),
}

# A peak month is a season worth planning for when it is this much above a typical month.
PEAK_OVER_TYPICAL = Decimal("1.25")
PEAK_MIN_SHARE_OF_YEAR = Decimal("0.01")


def recommend(review: YearReview, evidence: Evidence) -> list[Recommendation]:
    """Every recommendation the data supports, the largest yearly saving first."""
    found: list[Recommendation] = []
    rules: tuple[Callable[[YearReview, Evidence], list[Recommendation]], ...] = (
        _price_rises, _duplicate_services, _avoidable_fees, _card_interest, _bnpl,
        _category_growth, _peak_season,
    )
    for rule in rules:
        found.extend(rule(review, evidence))
    return sorted(found, key=lambda r: (-r.yearly_saving, r.kind, r.message))


def _make(
    kind: str, message: str, saving: Decimal, action: str, ids: list[str],
    *, amount: Decimal | None = None, count: int | None = None,
) -> Recommendation:
    return Recommendation(
        kind=kind, message=message, yearly_saving=saving, action=action, amount=amount,
        txn_ids=ids[:EVIDENCE_LIMIT], txn_count=len(ids) if count is None else count,
    )


def _money(review: YearReview, amount: Decimal) -> str:
    return format_money(amount, review.currency)


def _price_rises(review: YearReview, _: Evidence) -> list[Recommendation]:
    found = []
    for rise in review.subscriptions.price_rises:
        if rise.yearly_extra <= 0:
            continue
        message = (
            f"{rise.merchant} went up from {_money(review, rise.old_amount)} to "
            f"{_money(review, rise.new_amount)} ({rise.cadence}) on {rise.date.isoformat()}: "
            f"{_money(review, rise.yearly_extra)} more a year."
        )
        found.append(_make("price_rise", message, rise.yearly_extra,
                           _price_rise_step(rise.merchant, rise.category), rise.txn_ids))
    return found


def _price_rise_step(merchant: str, category: str | None) -> str:
    if category in BILLS:
        return (f"Ask {merchant} for a better rate or a cheaper plan, or compare other "
                "providers before the next renewal.")
    return (f"Check {merchant}'s plans (a cheaper tier, yearly billing) or cancel it; "
            "`moneystory recurring` lists every subscription with its last price.")


def service_kind(merchant: str) -> str | None:
    """streaming, music or cloud storage when the merchant's name says so, else None."""
    name = merchant.lower()
    for kind, words in SERVICE_KINDS.items():
        if any(re.search(rf"(?<![a-z0-9]){re.escape(word)}(?![a-z0-9])", name) for word in words):
            return kind
    return None


def _duplicate_services(review: YearReview, _: Evidence) -> list[Recommendation]:
    """Two services of one kind (streaming, music, cloud storage) both active at the end of
    the year, and one service charged as several subscriptions (on two cards, or a family
    plan beside an own one)."""
    groups: dict[str, dict[str, list[Subscription]]] = {}
    for item in review.subscriptions.items:
        kind = service_kind(item.merchant)
        if kind and item.active:
            groups.setdefault(kind, {}).setdefault(item.merchant, []).append(item)
    found = []
    for kind, by_merchant in sorted(groups.items()):
        found += [_one_service_twice(review, merchant, items)
                  for merchant, items in sorted(by_merchant.items()) if len(items) > 1]
        if len(by_merchant) > 1:
            found.append(_services_of_one_kind(review, kind, by_merchant))
    return found


def _dearest_first(items: list[Subscription]) -> list[Subscription]:
    return sorted(items, key=lambda i: (-i.yearly_cost, i.merchant, i.first_date))


def _services_of_one_kind(review: YearReview, kind: str,
                          by_merchant: dict[str, list[Subscription]]) -> Recommendation:
    # one plan per service: the extra plans of one service are _one_service_twice's
    plans = _dearest_first([_dearest_first(items)[0] for items in by_merchant.values()])
    saving = sum((i.yearly_cost for i in plans[1:]), Decimal(0))  # keep the dearest one
    names = listed([f"{i.merchant} ({_money(review, i.yearly_cost)} a year)" for i in plans],
                   LISTED)
    message = (
        f"{len(plans)} {kind} services were active at the end of {review.year}: {names}. "
        f"Keeping only one saves up to {_money(review, saving)} a year."
    )
    action = (
        "Cancel the ones you use least in each service's account settings; "
        "`moneystory recurring` shows when each next charges."
    )
    ids = [t for i in plans for t in i.txn_ids]
    return _make("duplicate_subscriptions", message, saving, action, ids)


def _one_service_twice(review: YearReview, merchant: str,
                       items: list[Subscription]) -> Recommendation:
    items = _dearest_first(items)
    saving = sum((i.yearly_cost for i in items[1:]), Decimal(0))
    costs: dict[Decimal, int] = {}
    for item in items:
        costs[item.yearly_cost] = costs.get(item.yearly_cost, 0) + 1
    prices = [f"{n} × {_money(review, cost)}" if n > 1 else _money(review, cost)
              for cost, n in list(costs.items())[:LISTED]]
    message = (
        f"{merchant} was charged as {len(items)} separate subscriptions at the end of "
        f"{review.year} ({', '.join(prices)}{' …' if len(costs) > LISTED else ''} a year). "
        f"If any is left over from another card or account, cancelling it saves up to "
        f"{_money(review, saving)} a year."
    )
    action = (f"Check which card or account each {merchant} charge lands on "
              "(`moneystory recurring` lists them) and cancel the ones you do not use.")
    ids = [t for i in items for t in i.txn_ids]
    return _make("duplicate_subscriptions", message, saving, action, ids)


def _avoidable_fees(review: YearReview, _: Evidence) -> list[Recommendation]:
    lines = [line for line in review.fees.items if line.type in FEE_STEPS]
    if not lines:
        return []
    total = sum((line.amount for line in lines), Decimal(0))
    parts = ", ".join(
        f"{FEE_STEPS[line.type][0]} {_money(review, line.amount)} ({line.count})" for line in lines
    )
    message = f"{_money(review, total)} went on fees that can usually be avoided: {parts}."
    action = "; ".join(FEE_STEPS[line.type][1] for line in lines).capitalize() + "."
    ids = [t for line in lines for t in line.txn_ids]
    count = sum(line.count for line in lines)
    return [_make("avoidable_fees", message, total, action, ids, count=count)]


def _card_interest(review: YearReview, _: Evidence) -> list[Recommendation]:
    interest = next((line for line in review.fees.items if line.type == "interest"), None)
    if interest is None or interest.amount <= 0:
        return []
    message = (
        f"{_money(review, interest.amount)} was charged in interest "
        f"({interest.count} charge{'s' if interest.count != 1 else ''})."
    )
    action = (
        "Pay the card's full statement balance each month (autopay for the full balance); "
        "if a balance must be carried, a 0% balance transfer stops the interest."
    )
    return [_make("card_interest", message, interest.amount, action, interest.txn_ids,
                  count=interest.count)]


def _bnpl(review: YearReview, _: Evidence) -> list[Recommendation]:
    bnpl = review.bnpl
    pledge = bnpl.pledge
    if pledge is not None:
        if pledge.violations == 0:
            return []
        plans = f"plan{'s' if pledge.violations != 1 else ''}"
        message = (
            f"{pledge.violations} new buy-now-pay-later {plans} began after the pledge of "
            f"{pledge.pledged_since.isoformat()} ({_money(review, pledge.violation_amount)})."
        )
        ids = [t for plan in bnpl.plans for t in plan.txn_ids] + bnpl.late_fee_txn_ids
        return [_make("bnpl", message, bnpl.late_fees,
                      "`moneystory check` lists each one, with the account it came from.", ids)]
    if bnpl.count == 0 and bnpl.late_fees <= 0:
        return []
    if bnpl.count:
        message = (
            f"{bnpl.count} buy-now-pay-later plan{'s' if bnpl.count != 1 else ''} "
            f"({', '.join(bnpl.providers)}) took {_money(review, bnpl.amount)} in instalments "
            "this year"
        )
        if bnpl.late_fees > 0:
            message += f", plus {_money(review, bnpl.late_fees)} in late fees"
        message += "."
    else:
        message = f"{_money(review, bnpl.late_fees)} went on buy-now-pay-later late fees."
    action = (
        "`moneystory optout` records a pledge to use no buy-now-pay-later from today; "
        "every later instalment plan is flagged at import and by `moneystory check`."
    )
    ids = [t for plan in bnpl.plans for t in plan.txn_ids] + bnpl.late_fee_txn_ids
    return [_make("bnpl", message, bnpl.late_fees, action, ids)]


def _category_growth(review: YearReview, evidence: Evidence) -> list[Recommendation]:
    previous = review.previous_year
    if previous is None or not previous.comparable:
        return []
    grown = [c for c in previous.categories if c.change > 0 and c.category in CAPPABLE
             and c.previous > 0]
    found = []
    for change in grown[:MAX_CATEGORY_ADVICE]:
        cap = _per_month(change.previous, 12, review.currency)
        label = change.category.replace("_", " ")
        message = (
            f"{label.capitalize()}: {_money(review, change.amount)} in {review.year} against "
            f"{_money(review, change.previous)} in {previous.year} "
            f"(+{_percent(change.change_pct)}). A monthly cap of {_money(review, cap)} would "
            f"bring it back to {previous.year}'s level."
        )
        action = f"Set a monthly budget of {_money(review, cap)} for {label}."
        ids, count = evidence.ids("category", change.category)
        found.append(_make("category_growth", message, change.change, action, ids, amount=cap,
                           count=count))
    return found


def _peak_season(review: YearReview, evidence: Evidence) -> list[Recommendation]:
    peak = review.peak_month
    if peak is None or review.start is None or review.end is None:
        return []
    if (review.end - review.start).days + 1 < FULL_YEAR_DAYS:
        return []  # a season needs a whole year to be seen
    amounts = sorted(m.spending for m in review.by_month)
    typical = (amounts[5] + amounts[6]) / 2  # the median month
    excess = peak.amount - typical
    if typical <= 0 or peak.amount < typical * PEAK_OVER_TYPICAL:
        return []
    if excess < review.spending * PEAK_MIN_SHARE_OF_YEAR:
        return []
    set_aside = _per_month(excess, 11, review.currency)
    name = _month_name(peak.month)
    again = ""
    if review.previous_year is not None:
        last_peak = max(review.previous_year.by_month, key=lambda m: m.spending)
        if last_peak.month[5:] == peak.month[5:] and last_peak.spending > 0:
            again = f", as in {review.previous_year.year}"
    message = (
        f"{name} was the most expensive month{again}: {_money(review, peak.amount)} against a "
        f"typical {_money(review, round_money(typical, review.currency))}. Setting aside "
        f"{_money(review, set_aside)} in each of the other 11 months covers the extra "
        f"{_money(review, round_money(excess, review.currency))} without a squeeze in {name}."
    )
    action = (
        f"Set up a monthly transfer of {_money(review, set_aside)} to a savings pot, "
        f"used in {name}."
    )
    ids, count = evidence.ids("month", peak.month)
    return [_make("peak_season", message, Decimal(0), action, ids, amount=set_aside,
                  count=count)]


def _per_month(amount: Decimal, months: int, currency: str) -> Decimal:
    """amount / months, rounded up to the currency's smallest unit (so it covers the amount)."""
    quantum = Decimal(1).scaleb(-minor_units(currency))
    return (amount / months).quantize(quantum, rounding=ROUND_CEILING)


def _percent(ratio: Decimal) -> str:
    return f"{(ratio * 100).quantize(Decimal(1))}%"


def _month_name(month: str) -> str:
    names = ("January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December")
    return names[int(month[5:7]) - 1]
