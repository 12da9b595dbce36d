"""Who holds a card, and (after a replacement) who has moved to the new one.

Pure functions from an ENRICHED LazyFrame (plus the streams already found) to report models.
Three kinds of holder (../shared/research/product-anchors.md §2, idea 6-8):
- subscriptions and bills: active outgoing streams on the card, soonest next charge first;
- BNPL providers with instalments still due on the card (a failed instalment costs a fee);
- card-on-file shops: online-looking merchants charged twice or more in the last 12 months
  without a cadence (marketplaces, rides, delivery, app stores, PayPal funding);
- last, subscriptions that stopped charging within those 12 months: nothing is due, so
  nothing is urgent, but the merchant still has the card (state "stopped").
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import polars as pl
from pydantic import BaseModel, Field

from moneystory.analyzers.bnpl import BnplPlan, BnplReport, find_bnpl
from moneystory.analyzers.recurring import CADENCES, Stream, add_months

# Categories whose streams do not live on a card (bank charges, card and loan repayments).
NOT_CARD_HOLDERS = {"bank_fees", "loan_payments", "transfer", "income"}
BILL_CATEGORIES = {"rent_utilities", "home", "medical", "services", "government_taxes"}
ONLINE_CATEGORIES = ["food_delivery", "subscriptions"]
# Merchants that keep a card on file: marketplaces, rides, delivery, app stores, wallets.
ONLINE_HINTS = (
    r"(?i)amazon|amzn|ebay|etsy|aliexpress|temu|shein|zalando|asos|uber|lyft|\bbolt\b|"
    r"deliveroo|doordash|grubhub|just ?eat|instacart|postmates|wolt|glovo|lieferando|"
    r"apple\.com|itunes|app ?store|\bapple\b|google ?play|google \*|\bsteam\b|playstation|xbox|"
    r"microsoft|paypal|\bpp \*|patreon|audible|kindle|\.com\b|www\.|\bonline\b"
)
# Wallets that keep the card to fund payments; point-of-sale processors (Square, Toast) do not.
WALLET_INTERMEDIARIES = ["PayPal", "Google", "Apple", "Venmo", "Amazon Pay", "Stripe", "Link"]
# Bought in person: a café behind Square is not a card on file.
IN_PERSON_CATEGORIES = ["coffee", "restaurants", "groceries"]
BNPL_TOLERANCE_DAYS = 7
CARD_ON_FILE_WINDOW_DAYS = 365


class CardHolder(BaseModel):
    merchant: str
    reason: str  # subscription, bill, bnpl, card_on_file
    cadence: str | None = None
    last_date: date | None = None
    last_amount: Decimal | None = None  # signed like the transactions
    next_date: date | None = None
    currency: str | None = None
    merchant_key: str = ""
    stream_id: str | None = None
    charges_12m: int = 0
    state: str | None = None  # after a replacement: updated, pending, overdue, stopped;
    #                           before one, "stopped" marks a subscription that stopped already
    note: str | None = None


class CardHolderReport(BaseModel):
    card: str | None  # last 4 digits, None when the account stands for the card
    account_id: str | None
    as_of: date
    merchants: list[CardHolder] = Field(default_factory=list)


class CardChangeStatus(BaseModel):
    old_card: str | None
    new_card: str
    account_id: str | None
    changed_on: date
    as_of: date
    merchants: list[CardHolder] = Field(default_factory=list)
    updated: int = 0
    total: int = 0
    next_steps: list[str] = Field(default_factory=list)


def merchant_key(expr: pl.Expr) -> pl.Expr:
    return expr.str.to_lowercase().str.strip_chars()


def on_card(card: str | None, account_ids: list[str]) -> pl.Expr:
    """Rows paid with this card: its digits, or its account's rows that carry no digits."""
    by_account = pl.col("account_id").is_in(account_ids)
    if card is None:
        return by_account
    return (pl.col("card_last4") == card).fill_null(False) | (
        pl.col("card_last4").is_null() & by_account)


def _stream_on_card(stream: Stream, card: str | None, account_ids: list[str]) -> bool:
    if card is not None and stream.card_last4 is not None:
        return stream.card_last4 == card
    return stream.account_id in account_ids


def card_holders(
    lf: pl.LazyFrame,
    *,
    card: str | None,
    account_ids: list[str],
    as_of: date,
    streams: list[Stream],
    bnpl: BnplReport | None = None,
) -> CardHolderReport:
    """Every merchant likely holding the card, most urgent first."""
    listed = [
        s for s in streams
        if s.direction == "out" and s.active and s.user_state not in ("ended", "dismissed")
        and (s.category or "") not in NOT_CARD_HOLDERS and _stream_on_card(s, card, account_ids)
    ]
    scheduled = [_from_stream(s) for s in listed]
    report = bnpl if bnpl is not None else find_bnpl(lf, as_of)
    scheduled += [_from_plan(p) for p in report.plans
                  if (p.remaining > 0 or p.next_due is not None)
                  and (p.card_last4 == card if card and p.card_last4 else
                       p.account_id in account_ids)]
    scheduled.sort(key=lambda h: (h.next_date or date.max, h.merchant.lower()))
    live = {h.merchant_key for h in scheduled}
    stopped = _stopped(streams, card, account_ids, as_of, live)
    skip = live | {h.merchant_key for h in stopped} | {
        s.merchant_key for s in streams if s.user_state == "ended"}
    shops = _card_on_file(lf, card, account_ids, as_of, skip)
    # a card seen under two account names (one per yearly export) reports the first
    return CardHolderReport(card=card, account_id=account_ids[0] if account_ids else None,
                            as_of=as_of, merchants=scheduled + shops + stopped)


def _stopped(streams: list[Stream], card: str | None, account_ids: list[str], as_of: date,
             live: set[str]) -> list[CardHolder]:
    """Subscriptions on the card that stopped charging within the card-on-file year: the
    merchant still has the card, but nothing is due, so they come last, marked stopped
    (not as card-on-file shops, which they are not: they charged on a schedule)."""
    since = as_of - timedelta(days=CARD_ON_FILE_WINDOW_DAYS)
    found = [
        s for s in streams
        if s.direction == "out" and s.status == "lapsed"
        and s.user_state not in ("ended", "dismissed")
        and s.last_date > since and s.merchant_key not in live
        and (s.category or "") not in NOT_CARD_HOLDERS and _stream_on_card(s, card, account_ids)
    ]
    found.sort(key=lambda s: (s.last_date, s.merchant.lower()), reverse=True)
    holders: dict[str, CardHolder] = {}  # one line per merchant: its latest stream
    for s in found:
        holder = _from_stream(s)
        holder.state = "stopped"
        holder.note = f"stopped: last charged {s.last_date}, nothing expected"
        holders.setdefault(s.merchant_key, holder)
    return list(holders.values())


def _from_stream(stream: Stream) -> CardHolder:
    return CardHolder(
        merchant=stream.merchant, merchant_key=stream.merchant_key,
        reason="bill" if (stream.category or "") in BILL_CATEGORIES else "subscription",
        cadence=stream.cadence, last_date=stream.last_date, last_amount=stream.last_amount,
        next_date=stream.next_date, currency=stream.currency, stream_id=stream.stream_id,
    )


def _from_plan(plan: BnplPlan) -> CardHolder:
    name = plan.provider + (f" ({plan.merchant})" if plan.merchant else "")
    return CardHolder(
        merchant=name, merchant_key=plan.provider.lower(), reason="bnpl",
        last_date=plan.last_date, last_amount=-plan.instalment_amount,
        next_date=plan.next_due, currency=plan.currency, stream_id=plan.plan_id,
        note=f"{plan.instalments_paid} of {plan.instalments_total or '?'} instalments paid",
    )


def _card_on_file(lf: pl.LazyFrame, card: str | None, account_ids: list[str], as_of: date,
                  skip: set[str]) -> list[CardHolder]:
    since = as_of - timedelta(days=CARD_ON_FILE_WINDOW_DAYS)
    text = pl.concat_str([pl.col("merchant").fill_null(""), pl.col("description").fill_null("")],
                         separator=" ")
    online = (
        pl.col("category").is_in(ONLINE_CATEGORIES).fill_null(False)
        | pl.col("intermediary").is_in(WALLET_INTERMEDIARIES).fill_null(False)
        | (text.str.contains(ONLINE_HINTS)
           & ~pl.col("category").is_in(IN_PERSON_CATEGORIES).fill_null(False))
    )
    shops = (
        lf.filter(
            on_card(card, account_ids) & (pl.col("date") > since) & (pl.col("date") <= as_of)
            & (pl.col("amount") < 0) & pl.col("kind").fill_null("purchase").is_in(["purchase"])
            & pl.col("merchant").is_not_null()
        )
        .with_columns(merchant_key=merchant_key(pl.col("merchant")))
        .filter(~pl.col("merchant_key").is_in(sorted(skip)) & online)
        .sort("date")
        .group_by("merchant_key")
        .agg(pl.col("merchant").last(), pl.col("date").last(), pl.col("amount").last(),
             pl.col("currency").last(), count=pl.len())
        .filter(pl.col("count") >= 2)
        .sort(["date", "merchant_key"], descending=[True, False])
        .collect()
    )
    return [
        CardHolder(merchant=r["merchant"], merchant_key=r["merchant_key"], reason="card_on_file",
                   last_date=r["date"], last_amount=r["amount"], currency=r["currency"],
                   charges_12m=r["count"])
        for r in shops.iter_rows(named=True)
    ]


# ----------------------------------------------------------------------- replacement tracking
def following(cadence: str, d: date) -> date:
    """The expected date one period after `d`."""
    spec = CADENCES[cadence]
    if spec.days:
        return d + timedelta(days=spec.days)
    if spec.months:
        return add_months(d.year, d.month, spec.months, d.day)
    return d + timedelta(days=15)  # semimonthly


def track_replacement(
    lf: pl.LazyFrame,
    holders: CardHolderReport,
    *,
    new_card: str,
    new_account_ids: list[str],
    changed_on: date,
    as_of: date,
) -> CardChangeStatus:
    """Each holder's state since the change: updated, pending, overdue or stopped.

    `updated` is observed (a charge on the new card), never assumed: card networks' account
    updaters move some merchants silently, and an export cannot tell a same-number renewal.
    """
    keys = sorted({h.merchant_key for h in holders.merchants})
    after = (
        lf.filter((pl.col("date") >= changed_on) & (pl.col("date") <= as_of)
                  & (pl.col("amount") < 0))
        .with_columns(merchant_key=merchant_key(pl.col("merchant")),
                      on_new=on_card(new_card, new_account_ids))
        .filter(pl.col("merchant_key").is_in(keys))
        .group_by("merchant_key")
        .agg(first_new=pl.col("date").filter(pl.col("on_new")).min(),
             last_other=pl.col("date").filter(~pl.col("on_new")).max(),
             last_any=pl.col("date").max())
        .collect()
    )
    seen = {r["merchant_key"]: r for r in after.iter_rows(named=True)}
    old = holders.card
    tracked = [
        _judge(h, seen.get(h.merchant_key), new_card, old, as_of) for h in holders.merchants
    ]
    updated = sum(1 for h in tracked if h.state == "updated")
    # what had stopped before the change needs no new card: it does not count until it moves
    total = sum(1 for before, h in zip(holders.merchants, tracked, strict=True)
                if before.state != "stopped" or h.state == "updated")
    return CardChangeStatus(
        old_card=old, new_card=new_card, account_id=holders.account_id, changed_on=changed_on,
        as_of=as_of, merchants=tracked, updated=updated, total=total,
        next_steps=_next_steps(tracked, new_card),
    )


def _judge(holder: CardHolder, seen: dict[str, date | None] | None, new_card: str,
           old_card: str | None, as_of: date) -> CardHolder:
    h = holder.model_copy()
    first_new = seen["first_new"] if seen else None
    last_other = seen["last_other"] if seen else None
    last_any = seen["last_any"] if seen else None
    if first_new is not None:
        h.state, h.note = "updated", f"charged to ••{new_card} on {first_new}"
        return h
    if h.state == "stopped":  # listed as stopped already: its last charge was before
        h.note = f"stopped before the change (last charged {h.last_date}): nothing to update"
        return h
    if h.reason == "card_on_file" or h.next_date is None:
        h.state = "pending"
        h.note = "no schedule: update or remove the old card there"
        return h
    tolerance = (CADENCES[h.cadence].tolerance if h.cadence in CADENCES
                 else BNPL_TOLERANCE_DAYS)
    first_due = h.next_date
    second_due = following(h.cadence, first_due) if h.cadence in CADENCES else None
    if second_due and last_any is None and as_of > second_due + timedelta(days=tolerance):
        h.state = "stopped"
        h.note = (f"no charge on any card since {first_due} and {second_due} were expected: "
                  "cancelled, or failing; check with the merchant")
    elif as_of > first_due + timedelta(days=tolerance):
        h.state = "overdue"
        if last_other is not None and old_card:
            h.note = f"still charged to ••{old_card} on {last_other}: update the card there"
        else:
            h.note = (f"expected around {first_due}, no charge on ••{new_card} yet: the payment "
                      "may have failed, or the card network's account updater moved it "
                      "silently; check your account with the merchant")
    else:
        h.state = "pending"
        h.note = f"next charge around {first_due}"
    if h.reason == "bnpl" and h.state == "overdue":
        h.note = (h.note or "") + "; a failed instalment costs a late fee"
    return h


def _next_steps(tracked: list[CardHolder], new_card: str) -> list[str]:
    steps = [f"{h.merchant}: {h.note}" for h in tracked if h.state == "overdue"]
    pending = sorted((h for h in tracked if h.state == "pending" and h.next_date),
                     key=lambda h: h.next_date or date.max)
    steps += [f"{h.merchant}: give it card ••{new_card} before {h.next_date}"
              for h in pending[:3]]
    shops = [h.merchant for h in tracked if h.state == "pending" and h.next_date is None]
    if shops:
        steps.append("update or remove the old card at " + ", ".join(shops))
    stopped = [h.merchant for h in tracked if h.state == "stopped"]
    if stopped:
        steps.append("confirm you meant to stop " + ", ".join(stopped)
                     + " (`moneystory recurring end ID` keeps them off the list)")
    return steps
