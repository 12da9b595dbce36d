"""Buy-now-pay-later plans found in the transactions, by provider name and by schedule.

Two ways in:
- by name (confidence high): a descriptor names a provider (enrich.bnpl's catalogue); the
  charges of one provider, account, shop and amount are chained into plans by the provider's
  known schedules (4 × 14 days, 3 × 30 days, 6 × 7 days ...);
- by schedule (confidence low): equal charges to one payee, exactly 4 at ~14 days (pay in 4),
  6 at ~7 days (Laybuy) or 3 at ~monthly (pay in 3, only when a purchase at the same payee is
  near the first one), and no more: a longer run is a subscription. This catches plans that
  carry the retailer's name (Splitit, issuer plans via a wallet).

Input: an ENRICHED LazyFrame. The provider is computed here from `description`, so this
works whatever the enrichment did with `kind` and `merchant`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, cast

import polars as pl
from pydantic import BaseModel, Field

from moneystory.enrich.bnpl import DISTINCT_SEED, Schedule, bnpl_columns, catalogue
from moneystory.frames import mixed_hash
from moneystory.money import for_display

POSSIBLE = "possible instalment plan"

# Kinds that never form a schedule-detected plan (money between own accounts, bank charges).
_NOT_PLAN_KINDS = ["transfer", "fee", "interest", "atm", "income", "refund"]


class BnplPlan(BaseModel):
    plan_id: str
    provider: str  # "Klarna", "Afterpay", ... or "possible instalment plan"
    merchant: str | None = None  # the shop, when the descriptor names it
    account_id: str
    card_last4: str | None = None
    currency: str
    confidence: str  # high (named provider) or low (schedule only)
    first_date: date
    last_date: date
    instalments_paid: int
    instalments_total: int | None = None
    instalment_amount: Decimal  # positive magnitude
    paid: Decimal  # positive
    remaining: Decimal  # positive, 0 when paid off or unknown
    expected_payoff: date | None = None
    next_due: date | None = None
    txn_ids: list[str] = Field(default_factory=list)  # the charges we hold, oldest first
    rule: str = "provider descriptor"  # or "schedule: 4 × 14 days" ...
    total: Decimal | None = None  # instalment_amount × instalments_total, when known
    purchase_txn_id: str | None = None  # the purchase a schedule plan started near
    interval_days: int | None = None  # days between instalments
    # True when the plan probably began before the first statement we hold: its first charge
    # says "instalment 2 of 4", or comes within one interval of the account's first row.
    began_before_data: bool = False

    def instalment_number(self, txn_id: str) -> int | None:
        """n in "instalment n of m" (counting instalments paid before the data, if any)."""
        if txn_id not in self.txn_ids:
            return None
        return self.instalments_paid - len(self.txn_ids) + self.txn_ids.index(txn_id) + 1


class BnplReport(BaseModel):
    plans: list[BnplPlan] = Field(default_factory=list)
    late_fees: Decimal = Decimal(0)
    late_fee_txn_ids: list[str] = Field(default_factory=list)

    def plan_of(self, txn_id: str) -> BnplPlan | None:
        return next((p for p in self.plans if txn_id in p.txn_ids), None)


@dataclass(frozen=True)
class _Charge:
    txn_id: str
    day: date
    amount: Decimal  # positive magnitude


# Schedule-only shapes: (instalments, days between, tolerance in days, needs a purchase nearby).
_SHAPES: tuple[tuple[int, int, int, bool], ...] = ((4, 14, 2, False), (6, 7, 1, False),
                                                   (3, 30, 3, True))
_PURCHASE_WINDOW = 3  # days before the first instalment a purchase counts as "near"


def find_bnpl(lf: pl.LazyFrame, as_of: date | None = None) -> BnplReport:
    """BNPL transactions grouped into plans, from an ENRICHED LazyFrame."""
    rows, texts, wide = _outflows(lf, as_of)
    if rows.is_empty():
        return BnplReport()
    as_of = as_of or cast(date, rows["date"].max())  # default: the last day in the data
    provider = pl.col("bnpl_provider")
    named = _with_wide(
        _rows_of(rows, texts, provider.is_not_null() & ~pl.col("bnpl_refund_text")), wide)
    fees = named.filter(pl.col("bnpl_late_fee"))
    unnamed = _rows_of(rows, texts, provider.is_null() & pl.col("payee_id").is_not_null(),
                       ["payee_id"], row=~pl.col("kind").fill_null("").is_in(_NOT_PLAN_KINDS))
    plans = [*_named_plans(named.filter(~pl.col("bnpl_late_fee")), as_of),
             *_schedule_plans(unnamed, wide, as_of)]
    _mark_plans_older_than_the_data(
        plans, lf if as_of is None else lf.filter(pl.col("date") <= as_of))
    plans.sort(key=lambda p: (p.first_date, p.account_id, p.plan_id))
    return BnplReport(
        plans=plans,
        late_fees=for_display(-sum(fees["amount"].to_list(), Decimal(0)), _currency(fees)),
        late_fee_txn_ids=fees["txn_id"].to_list(),
    )


def _mark_plans_older_than_the_data(plans: list[BnplPlan], lf: pl.LazyFrame) -> None:
    """An unfinished plan whose previous instalment would fall before the account's first row
    may have begun before our statements: we cannot tell it is new."""
    unfinished = [p for p in plans if p.instalments_total and
                  p.instalments_paid < p.instalments_total and p.interval_days]
    if not unfinished:
        return
    starts = dict(lf.group_by("account_id").agg(pl.col("date").min()).collect().iter_rows())
    for plan in unfinished:
        start = starts.get(plan.account_id)
        if start and plan.first_date - timedelta(days=plan.interval_days or 0) < start:
            plan.began_before_data = True


def _currency(frame: pl.DataFrame) -> str | None:
    """The currency most of these rows are in (the late fees': a few rows)."""
    modes = frame["currency"].drop_nulls().mode()
    return str(modes[0]) if len(modes) else None


# The columns every outflow is read with, and those read only for the few rows a plan may
# hold (by `_row`): a copy of 2M rows' texts took more memory than the rest of the analyzer.
_NARROW = ["txn_id", "account_id", "date", "amount", "currency", "kind"]
_WIDE = ["card_last4", "description", "merchant"]
COLUMNS = (*_NARROW, *_WIDE)  # the ENRICHED columns find_bnpl reads (a caller may read only these)


def _outflows(lf: pl.LazyFrame, as_of: date | None
              ) -> tuple[pl.DataFrame, pl.DataFrame, pl.LazyFrame]:
    """The money going out by `as_of` (the _NARROW columns), each row with `_row` (its row in
    the third frame, which gives its _WIDE columns: `_with_wide`) and `_t`: its row in the
    second frame, which holds the text facts of each distinct (description, payee) —
    provider, late fee, refund text, shop, "Rate 3 von 4" markers and `payee_id` (null for
    no payee).

    The text work runs once per distinct text (a few thousand, not millions), and only a
    UInt32 goes back to every row: gathering the text columns themselves onto 2M rows cost
    more than everything else here."""
    present = lf.collect_schema().names()
    lf = lf.with_columns([pl.lit(None, dtype=pl.String).alias(c)
                          for c in ("merchant", "kind", "card_last4") if c not in present])
    # numbered before any filter, so that a lookup by `_row` copies only the rows it finds
    wide = lf.select(*_NARROW, *_WIDE).with_row_index("_row")
    out = pl.col("amount") < 0
    if as_of is not None:
        out &= pl.col("date") <= as_of  # as it stood that day
    payee = pl.coalesce("merchant", "description")
    rows = wide.filter(out).select(
        "_row", *_NARROW, _h=mixed_hash("description", payee, seed=DISTINCT_SEED)).collect()
    firsts = rows.select("_h", "_row").unique("_h", keep="first", maintain_order=True)
    texts = (
        _with_wide(firsts, wide).select("_h", "description", _p=payee)
        .with_columns(**bnpl_columns("description"), payee=_payee_key(pl.col("_p")),
                      _t=pl.int_range(pl.len(), dtype=pl.UInt32))
        .with_columns(payee_id=pl.when(pl.col("payee") != "")
                      .then(pl.col("payee").rank("dense").cast(pl.UInt32)))
        .drop("_p")
    )
    # the shop and "Rate 3 von 4" only matter on a provider's lines: the regexes run on those
    description = pl.col("description")
    named = texts.filter(pl.col("bnpl_provider").is_not_null()).select(
        "_t", shop=_shop(description), marker_n=_marker(description, "n"),
        marker_total=_marker(description, "total"))
    texts = texts.join(named, on="_t", how="left").sort("_t")
    index = rows["_h"].replace_strict(texts["_h"], texts["_t"], return_dtype=pl.UInt32)
    return rows.drop("_h").with_columns(_t=index), texts.drop("_h"), wide


def _with_wide(rows: pl.DataFrame, wide: pl.LazyFrame) -> pl.DataFrame:
    """`rows` (with `_row`, in any order) with their _WIDE columns, looked up in `wide`.

    By position (`_row` is the row's place in `wide`): a gather of these rows alone, where a
    filter on `_row` tested all 2M rows and a join put them back in order."""
    found = wide.select(pl.col(*_WIDE).gather(pl.lit(rows["_row"]))).collect()
    return pl.concat([rows, found], how="horizontal")


def _rows_of(rows: pl.DataFrame, texts: pl.DataFrame, which: pl.Expr,
             facts: list[str] | None = None, *, row: pl.Expr | None = None) -> pl.DataFrame:
    """The rows whose text satisfies `which` (and that satisfy `row`), with their text's
    `facts` (default: all).

    Both by the text's index (`_t` is its row in `texts`): a join of millions of rows, even
    on a UInt32, cost ten times more than these gathers."""
    facts = facts or [c for c in texts.columns if c not in ("_t", "description")]
    keep = texts.select(which.fill_null(False)).to_series().gather(rows["_t"])
    kept = rows.filter(keep if row is None else keep & row)
    return kept.with_columns([texts[c].gather(kept["_t"]) for c in facts]).drop("_t")


# Words after which a descriptor stops naming the shop ("KLARNA*ZALANDO Rate 3 von 4 ...").
_SHOP_END = (r"(?i)\s+(RATE|RATA|INSTAL\w*|PAYMENT|PMT|REF|ORDER|BESTELL\w*|NR|NO|ECHEANCE"
             r"|ÉCHÉANCE|PLAN)\b.*$")
# "Rate 3 von 4", "instalment 2/4", "1 of 4", "2 sur 3": the plan's length, when the bank says.
_MARKER = (r"(?i)(?:\b(?:RATE|RATA|INSTAL+MENT|INST|PAYMENT|PMT|TEILZAHLUNG|ECHEANCE|ÉCHÉANCE)"
           r"\s*(\d{1,2})\s*(?:/|OF|VON|SUR|DI|DE)\s*|\b(\d{1,2})\s+(?:OF|VON|SUR)\s+)"
           r"(\d{1,2})\b")


def _shop(description: pl.Expr) -> pl.Expr:
    """The shop after a provider's star ("AFTERPAY*ULTA BEAUTY" -> "ULTA BEAUTY"), else null."""
    shop = (description.str.extract(r"\*\s*([^*]+)$", 1)
            .str.replace(_SHOP_END, "")
            .str.replace(r"\s+[\d#].*$", "")
            .str.replace(r"(?i)\.(COM|CO\.UK|DE|FR|NET|IT|ES|NL)$", "")
            .str.strip_chars(" -.,"))
    product = r"(?i)^(INSTAL\w*|PAY\s*-?\s*IN\s*-?\d|PAY\s*LATER|PAYMENTS?|PURCHASE|LOAN|PMT)$"
    return pl.when(shop.str.contains(r"[A-Za-z]{2}") & ~shop.str.contains(product)).then(shop)


def _marker(description: pl.Expr, which: str) -> pl.Expr:
    """From "Rate 3 von 4": which="n" gives 3, which="total" gives 4; else null."""
    def group(i: int) -> pl.Expr:
        return description.str.extract(_MARKER, i).cast(pl.Int32, strict=False)

    n, total = pl.coalesce(group(1), group(2)), group(3)
    valid = total.is_between(2, 36) & n.is_between(1, 36) & (n <= total)
    return pl.when(valid).then(n if which == "n" else total)


def _payee_key(text: pl.Expr) -> pl.Expr:
    """A payee as the same shop writes it each time: letters only, store numbers and refs gone."""
    return (text.fill_null("").str.to_uppercase()
            .str.replace_all(r"[^A-Z ]+", " ").str.replace_all(r"\s+", " ").str.strip_chars())


def _plan_id(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:12]


# ----------------------------------------------------------------------------- by provider name
def _named_plans(frame: pl.DataFrame, as_of: date) -> Iterator[BnplPlan]:
    keys = ["account_id", "currency", "bnpl_provider", "shop_key", "amount"]
    frame = frame.with_columns(shop_key=_payee_key(pl.col("shop"))).sort("date", "txn_id")
    for first, charges in _groups(frame, keys):
        provider = catalogue().by_name(first["bnpl_provider"])
        schedules = provider.schedules if provider else [Schedule(count=4, days=14)]
        if first["marker_total"]:  # the bank says how many instalments: trust it
            schedules = [Schedule(count=first["marker_total"], days=s.days) for s in schedules]
        earlier = (first["marker_n"] or 1) - 1  # "Rate 3 von 4" first: two were paid before
        for chain, schedule in _chain(charges, schedules, earlier, as_of):
            yield _plan(first, chain, schedule, as_of, provider=first["bnpl_provider"],
                        confidence="high", rule="provider descriptor",
                        merchant=(first["shop"] or None) and str(first["shop"]).title(),
                        earlier=earlier if chain[0] is charges[0] else 0)


def _groups(frame: pl.DataFrame, keys: list[str],
            min_rows: int = 1) -> Iterator[tuple[dict[str, Any], list[_Charge]]]:
    """Charges grouped by `keys` (which include the amount), oldest first.

    One aggregation, then plain lists: per-group DataFrame calls cost ~1 ms each.
    """
    optional = [pl.col("shop").first(), pl.col("marker_total").max(),
                pl.col("marker_n").first()] if "shop" in frame.columns else []
    grouped = (
        frame.group_by(keys, maintain_order=True)
        .agg(pl.col("txn_id"), pl.col("date"),
             pl.col("card_last4").drop_nulls().last(), pl.col("merchant").first(),
             pl.col("description").first(), *optional)
        .filter(pl.col("txn_id").list.len() >= min_rows)
    )
    for row in grouped.iter_rows(named=True):
        amount = -row["amount"]  # one amount per group: it is a key
        yield row, [_Charge(t, d, amount) for t, d in zip(row["txn_id"], row["date"],
                                                            strict=True)]


def _fits(gap: int, schedule: Schedule) -> bool:
    return abs(gap - schedule.days) <= max(2, schedule.days // 8)


def _chain(charges: list[_Charge], schedules: list[Schedule], earlier: int = 0,
           as_of: date | None = None) -> Iterator[tuple[list[_Charge], Schedule]]:
    """Split equal charges into plans: consecutive gaps that fit one schedule, at most its count
    (less `earlier` instalments paid before the first charge we hold, for the first plan).

    A lone charge whose next instalment would long be due by `as_of` (none came) is a single
    payment ("pay in 30 days") when the provider sells one, not the first of an unpaid four."""
    single = next((s for s in schedules if s.count == 1), None)
    i = 0
    while i < len(charges):
        chain = [charges[i]]
        schedule = schedules[0]
        if i + 1 < len(charges):
            gap = (charges[i + 1].day - charges[i].day).days
            schedule = next((s for s in schedules if s.count > 1 and _fits(gap, s)), schedule)
        limit = schedule.count - (earlier if i == 0 else 0)
        while (len(chain) < limit and i + len(chain) < len(charges)
               and _fits((charges[i + len(chain)].day - chain[-1].day).days, schedule)):
            chain.append(charges[i + len(chain)])
        if len(chain) == 1 and not earlier and single and as_of and _overdue(chain[0], schedule,
                                                                              as_of):
            schedule = single
        yield chain, schedule
        i += len(chain)


def _overdue(charge: _Charge, schedule: Schedule, as_of: date) -> bool:
    """Whether the instalment after `charge` would be more than one interval late by as_of."""
    return charge.day + timedelta(days=2 * schedule.days + max(2, schedule.days // 8)) < as_of


def _plan(row: dict[str, object], chain: list[_Charge], schedule: Schedule, as_of: date, *,
          provider: str, confidence: str, rule: str, merchant: str | None,
          purchase_txn_id: str | None = None, earlier: int = 0) -> BnplPlan:
    currency = str(row["currency"] or "")
    amount = chain[0].amount
    paid_count = earlier + len(chain)
    payoff = chain[0].day + timedelta(days=schedule.days * (schedule.count - 1 - earlier))
    open_plan = payoff > as_of and paid_count < schedule.count
    remaining = amount * (schedule.count - paid_count) if open_plan else Decimal(0)
    return BnplPlan(
        plan_id=_plan_id(str(row["account_id"]), provider, chain[0].txn_id),
        provider=provider, merchant=merchant, account_id=str(row["account_id"]),
        card_last4=str(row["card_last4"]) if row.get("card_last4") else None,
        currency=currency, confidence=confidence,
        first_date=chain[0].day, last_date=chain[-1].day,
        instalments_paid=paid_count, instalments_total=schedule.count,
        instalment_amount=for_display(amount, currency),
        paid=for_display(amount * paid_count, currency),
        remaining=for_display(remaining, currency), expected_payoff=payoff,
        next_due=chain[-1].day + timedelta(days=schedule.days) if open_plan else None,
        txn_ids=[c.txn_id for c in chain], rule=rule,
        total=for_display(amount * schedule.count, currency),
        purchase_txn_id=purchase_txn_id, interval_days=schedule.days,
        began_before_data=earlier > 0,
    )


# ---------------------------------------------------------------------------------- by schedule
def _schedule_plans(frame: pl.DataFrame, wide: pl.LazyFrame, as_of: date
                    ) -> Iterator[BnplPlan]:
    """Plans of no named provider: equal charges to one payee on a plan's schedule (`frame`:
    charges of no provider's text, of no kind that is never a plan; `wide`: _outflows')."""
    keys = ["account_id", "currency", "payee_id", "amount"]
    # Vectorised sieve before any Python: a group needs 3+ charges and enough gaps of one
    # shape to hold a run.
    repeated = _repeated(frame, keys, min(s[0] for s in _SHAPES))
    candidates = repeated.sort("date", "txn_id").join(
        _regular(repeated, keys), on=keys, how="semi", nulls_equal=True, maintain_order="left")
    candidates = _with_wide(candidates, wide)
    runs = [(first, chain, shape) for first, charges in _groups(candidates, keys, min_rows=3)
            for chain, shape in _exact_runs(charges)]
    purchases = _purchases_near(frame, [(first, chain[0]) for first, chain, _ in runs])
    for number, (first, chain, (count, days, _, needs_purchase)) in enumerate(runs):
        purchase = purchases.get(number)
        if needs_purchase and purchase is None:
            continue
        yield _plan(first, chain, Schedule(count=count, days=days), as_of,
                    provider=POSSIBLE, confidence="low",
                    rule=f"schedule: {count} × {days} days",
                    merchant=first["merchant"] or first["description"],
                    purchase_txn_id=purchase)


def _regular(frame: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """The `keys` of the groups with enough gaps of one shape to hold a run.

    Gaps are taken in one sort by keys and date, cut where the key changes: six window
    expressions over the keys cost seven times more."""
    ordered = frame.sort(*keys, "date", "txn_id")
    same = pl.all_horizontal([pl.col(k).eq_missing(pl.col(k).shift(1)) for k in keys])
    gap = pl.when(same).then(pl.col("date").diff().dt.total_days())
    fits = ordered.with_columns([((gap - days).abs() <= tolerance).fill_null(False).alias(f"_s{i}")
                                 for i, (_, days, tolerance, _) in enumerate(_SHAPES)])
    return (
        fits.group_by(keys)
        .agg([pl.col(f"_s{i}").sum() >= count - 1 for i, (count, *_) in enumerate(_SHAPES)])
        .filter(pl.any_horizontal(pl.exclude(keys)))
        .select(keys)
    )


def _repeated(frame: pl.DataFrame, keys: list[str], times: int) -> pl.DataFrame:
    """The rows whose `keys` occur at least `times` times.

    Sieved on a 64-bit mix of the keys' hashes, sorted: a value equal to the one `times - 1`
    places before it occurs that often (3x faster than a count over the keys). A collision
    only lets a few more rows through: the groups are formed on the keys themselves."""
    mixed = frame.select(mixed_hash(*[pl.col(c).to_physical() if c == "amount" else c
                                      for c in keys]))
    ordered = mixed.to_series().sort()
    often = ordered.filter(ordered == ordered.shift(times - 1)).unique()
    return frame.filter(mixed.to_series().is_in(often.implode()))


def _purchases_near(frame: pl.DataFrame, starts: list[tuple[dict[str, Any], _Charge]]
                    ) -> dict[int, str]:
    """For each (group, first instalment): the earliest charge of a different amount at the
    same account and payee, on or up to _PURCHASE_WINDOW days before it (by position)."""
    if not starts:
        return {}
    wanted = pl.DataFrame({
        "_run": list(range(len(starts))),
        "account_id": [group["account_id"] for group, _ in starts],
        "payee_id": [group["payee_id"] for group, _ in starts],
        "_start": [charge.day for _, charge in starts],
        "_amount": [group["amount"] for group, _ in starts],
    }, schema_overrides={"payee_id": pl.UInt32, "_amount": frame.schema["amount"]})
    # Only the days a purchase may fall on, and only those payees, before a join on a string:
    # a common payee alone let a third of 2M rows through.
    days = pl.concat([wanted["_start"] - timedelta(days=back)
                      for back in range(_PURCHASE_WINDOW + 1)]).unique()
    near = (
        frame.select("account_id", "payee_id", "date", "amount", "txn_id")
        .filter(pl.col("date").is_in(days.implode())
                & pl.col("payee_id").is_in(wanted["payee_id"].implode()))
        .join(wanted, on=["account_id", "payee_id"])
        .filter(pl.col("date").is_between(
            pl.col("_start") - pl.duration(days=_PURCHASE_WINDOW), pl.col("_start"))
            & (pl.col("amount") != pl.col("_amount")))
        .sort("date", "txn_id")
        .group_by("_run", maintain_order=True).first()
    )
    return dict(zip(near["_run"].to_list(), near["txn_id"].to_list(), strict=True))


def _exact_runs(
    charges: list[_Charge],
) -> Iterator[tuple[list[_Charge], tuple[int, int, int, bool]]]:
    """Maximal runs of one regular gap whose length is exactly a plan's instalment count."""
    for shape in _SHAPES:
        count, days, tolerance, _ = shape
        run: list[_Charge] = []
        for charge in [*charges, None]:
            if charge is not None and run and abs((charge.day - run[-1].day).days - days) \
                    <= tolerance:
                run.append(charge)
                continue
            if len(run) == count:
                yield run, shape
            run = [charge] if charge is not None else []
