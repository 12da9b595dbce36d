"""Recurring streams: one merchant charging (or paying) one account on a cadence.

How a stream is found, in one lazy polars plan (no Python loop per transaction):
1. Candidate rows: every non-transfer, non-refund money movement with a merchant, keyed by
   (account, merchant, direction, currency).
2. Amount bands: within a key, the distinct amounts sorted and chained while each is within
   `BAND_RATIO` of the previous one, so 10.99 → 12.99 (a price rise) and a utility bill that
   varies stay together while two Apple plans at 0.99 and 9.99 are two bands.
3. Each band's gaps (days between charges) are classified by their median into a cadence, and
   the band is a stream when (nearly) every gap fits that cadence's window: weekend and holiday
   shifts, month-end clamping and posting delays all land inside the windows. Only bands that
   their count and date span leave possible get this per-row work (`_could_recur`): a
   merchant's everyday purchases fall into one crowded band, dropped at once.
4. Bands that fail (a monthly Prime fee hidden among random Amazon orders) are tried again per
   exact amount, on the rows no stream has claimed.
Then, per stream (a loop over streams, not rows): next expected date, status and an id from
what the stream is (`identity`: payer, merchant, direction, currency, cadence family), so
neither a price rise nor a later window changes it.
"""

from __future__ import annotations

import calendar
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, TypeVar

import polars as pl
from pydantic import BaseModel, Field

from moneystory.frames import mixed_hash
from moneystory.money import AMOUNT_SCALE


class PriceChange(BaseModel):
    date: date
    old_amount: Decimal  # positive magnitudes
    new_amount: Decimal


class Stream(BaseModel):
    stream_id: str  # stable across re-imports, price changes and windows: see assign_ids
    merchant: str
    account_id: str
    card_last4: str | None = None
    category: str | None = None
    direction: str = "out"  # out (a charge) or in (salary, rent received)
    cadence: str  # weekly, biweekly, semimonthly, monthly, quarterly, semiannual, annual
    typical_amount: Decimal  # signed like the transactions (charges negative); median since
    #                          the last price change
    last_amount: Decimal
    currency: str
    first_date: date
    last_date: date
    next_date: date | None = None  # None once the stream is lapsed or ended
    occurrences: int
    active: bool
    status: str  # early, mature, lapsed, ended
    yearly_cost: Decimal  # positive magnitude of a year's worth at the typical amount
    price_changes: list[PriceChange] = Field(default_factory=list)
    txn_ids: list[str] = Field(default_factory=list)
    gaps_days: list[int] = Field(default_factory=list)
    user_state: str | None = None  # confirmed, dismissed, ended (from the user's decisions)
    merchant_key: str = ""  # lower-cased merchant: what matches this stream to other rows
    tolerance_days: int = 0  # how late a charge may be before the stream counts as lapsed
    identity: str = ""  # payer, merchant key, direction, currency, cadence family (see identity)
    aliases: list[str] = Field(default_factory=list)  # older ids of this stream (legacy form)


@dataclass(frozen=True)
class Cadence:
    name: str
    min_gap: int  # a gap between two charges fits this cadence when min_gap <= gap <= max_gap
    max_gap: int
    tolerance: int  # days after the expected date before the stream is lapsed
    per_year: int
    months: int = 0  # calendar step for month-based cadences, 0 for day-based ones
    days: int = 0


# Windows follow monetr's per-cadence fuzz (±2/3/5/7/14 days) widened for month lengths and
# Sure's seasonal windows (91±10, 182±15, 365±25); see ../shared/research/product-anchors.md §1.2.
CADENCES: dict[str, Cadence] = {c.name: c for c in (
    Cadence("weekly", 5, 9, 3, 52, days=7),
    Cadence("biweekly", 11, 17, 4, 26, days=14),
    Cadence("semimonthly", 11, 19, 5, 24),
    Cadence("monthly", 25, 36, 7, 12, months=1),
    Cadence("quarterly", 80, 102, 14, 4, months=3),
    Cadence("semiannual", 165, 200, 21, 2, months=6),
    Cadence("annual", 335, 395, 30, 1, months=12),
)}

# Cadences that more history can swap (a fortnightly pay on the 1st and 15th) share a family.
CADENCE_FAMILY = {name: name for name in CADENCES} | {"semimonthly": "biweekly"}
MIN_GAP = min(c.min_gap for c in CADENCES.values())  # days: the weekly window's start
EXACT_MIN = 4  # charges at one exact price, among irregular ones, before they count
BAND_RATIO = (13, 10)  # next distinct amount ≤ 1.3 × the previous one stays in the band
AMOUNT_SPREAD = 4  # a band whose largest charge is over 4× its smallest is not a bill
PRICE_STEP_LIMIT = 2  # a stream that follows another at up to twice (or half) its price
#                       continues it (_join_price_steps); a bigger step is another plan
ANNUAL_WORDS = r"(?i)\b(annual|yearly|jährlich|jahresabo\w*|jahresbeitrag|annuel(le)?|per year)\b"
# Bought often, never billed on a schedule: two charges here are a coincidence, not a start.
# (Shops too: two Black Fridays a year apart at similar amounts are not an annual plan.)
EVERYDAY_CATEGORIES = [
    "restaurants", "groceries", "coffee", "transportation", "general_merchandise",
]
EXCLUDED_KINDS = ["transfer", "refund", "atm", "bnpl"]  # BNPL plans belong to analyzers.bnpl
# Grouped on the merchant as enrichment wrote it (already canonical): lower-casing a million
# strings would cost more than the whole grouping. `payer` is the account, or one name for
# accounts that share a card (one export per year may name the same card's account twice).
KEYS = ["payer", "merchant", "direction", "currency"]
# The ENRICHED columns find_streams reads (a caller may read only these).
COLUMNS = ("txn_id", "account_id", "card_last4", "date", "amount", "currency", "description",
           "merchant", "category", "kind")
GROUP_KEYS = ["payer", "merchant", "out", "currency"]  # the same, with direction as a boolean


def find_streams(lf: pl.LazyFrame, as_of: date | None = None) -> list[Stream]:
    """Every recurring stream in `lf` (an ENRICHED LazyFrame), judged as of `as_of`.

    Only transactions on or before `as_of` count; without it, the latest transaction's date.
    """
    rows = _candidate_rows(lf, as_of).collect()
    if rows.is_empty():
        return []
    rows = _with_payer(rows)
    members, facts = _detect(rows)
    if members.is_empty():
        return []
    charges = _charges(members, rows)
    found = _stream_lists(charges).join(facts, on="sub").join(
        _amount_facts(charges), on="sub", how="left")
    latest: date = rows["date"].max()  # type: ignore[assignment]
    return _build_streams(found, as_of or latest)


def _detect(rows: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(member rows, facts) of the streams: first per amount band, then per exact price.

    `sub` numbers a stream: its band, or -1 - its price group for an exact-price stream.
    All rows are sorted once, by amount within their key, into bands and price groups; then
    only groups that cheap counts leave possible (`_could_recur`) get the per-row work (date
    order, gaps, cadence): on a year of card spending that is a few percent of the rows.
    Materialised at each step, because several branches read each and polars 2.1 plans a
    shared lazy input once per branch.
    """
    ordered = _by_amount(rows)
    banded = _with_row_facts(ordered.filter(pl.col("band").is_in(_possible_bands(ordered))),
                             rows)
    band_groups = _classify(banded.lazy(), "band").filter(pl.col("is_stream")).collect()
    stream_bands = band_groups["band"].implode()
    # among a merchant's irregular charges, a repeated price needs EXACT_MIN charges to count
    leftover = _with_row_facts(ordered.filter(
        (pl.col("price_n") >= EXACT_MIN) & ~pl.col("band").is_in(stream_bands)), rows)
    price_groups = _classify(leftover.lazy(), "price").filter(pl.col("is_stream")).collect()
    members = pl.concat([
        banded.filter(pl.col("band").is_in(stream_bands))
        .select("rid", "date", sub=pl.col("band")),
        leftover.filter(pl.col("price").is_in(price_groups["price"].implode()))
        .select("rid", "date", sub=-1 - pl.col("price")),
    ])
    fact_columns = ["sub", "cadence", "n"]
    facts = pl.concat([
        band_groups.with_columns(sub=pl.col("band")).select(fact_columns),
        price_groups.with_columns(sub=-1 - pl.col("price")).select(fact_columns),
    ])
    return members, facts


# ---------------------------------------------------------------------------- the lazy plan
def _candidate_rows(lf: pl.LazyFrame, as_of: date | None) -> pl.LazyFrame:
    if as_of is not None:
        lf = lf.filter(pl.col("date") <= as_of)
    return (
        lf.filter(
            ~pl.col("kind").fill_null("").is_in(EXCLUDED_KINDS)
            & (pl.col("amount") != 0)
            & pl.col("merchant").is_not_null()
        )
        .select(
            "txn_id", "account_id", "card_last4", "date", "amount", "merchant", "category",
            "description",
            currency=pl.col("currency").fill_null(""),
            out=pl.col("amount") < 0,
            # whole cents, for banding and exact-amount grouping (integers, not floats)
            cents=(pl.col("amount").abs() * 100).cast(pl.Int64),
        )
        .filter(pl.col("merchant").str.len_bytes() > 0)
    )


def _with_payer(rows: pl.DataFrame) -> pl.DataFrame:
    """Add `payer` (accounts linked by a shared card become one), the integer `key` and `rid`.

    A union-find over the distinct (account, card) pairs: a handful, not one per row.
    """
    # (a group-by finds the distinct pairs in half the time `unique` takes on 2M rows)
    pairs = (rows.group_by("account_id", "card_last4").len().drop_nulls("card_last4")
             .select("account_id", "card_last4").sort("account_id", "card_last4"))
    parent: dict[str, str] = {}

    def root(name: str) -> str:
        while parent.get(name, name) != name:
            name = parent[name]
        return name

    first_account: dict[str, str] = {}
    for account, card in pairs.iter_rows():
        seen = first_account.setdefault(card, account)
        a, b = sorted((root(account), root(seen)))
        parent[b] = a
    mapping = {account: root(account) for account in parent if root(account) != account}
    payer = pl.col("account_id")
    if mapping:
        payer = payer.replace(mapping)
    hashed = rows.with_columns(payer=payer).with_columns(
        # one integer per (payer, merchant, direction, currency): sorting and grouping on it
        # is several times faster than on the four strings
        key=mixed_hash(*GROUP_KEYS)
    )
    return hashed.with_columns(key=_dense(hashed["key"])).with_row_index("rid")


def _dense(values: pl.Series) -> pl.Series:
    """0, 1, 2 … for the distinct values (in no particular order): small enough to pack."""
    distinct = values.unique()
    return values.replace_strict(distinct, pl.int_range(0, len(distinct), eager=True),
                                 return_dtype=pl.Int64)


def _by_amount(rows: pl.DataFrame) -> pl.DataFrame:
    """(rid, key, cents, date) in (key, cents) order, numbered into amount bands (a new band
    where an amount jumps by more than BAND_RATIO) and exact-price groups (`price`, with its
    size `price_n`), both unique over all keys, so later steps group and sort on one integer."""
    order = _amount_order(rows)
    new_key = (pl.col("key") != pl.col("key").shift(1)).fill_null(True)
    jump = (pl.col("cents") * BAND_RATIO[1] > pl.col("cents").shift(1) * BAND_RATIO[0])
    new_price = new_key | (pl.col("cents") != pl.col("cents").shift(1)).fill_null(True)
    ordered = order.with_columns(
        # cumulative sums of flags: ascending, which lets polars group on them as runs
        band=(new_key | jump.fill_null(True)).cast(pl.Int64).cum_sum().set_sorted(),
        price=new_price.cast(pl.Int64).cum_sum().set_sorted(),
        date=rows["date"].gather(order["rid"]),
    )
    # price groups are runs in this order: their sizes without a group-by over every row
    sizes = ordered["price"].rle().struct.field("len")
    return ordered.with_columns(price_n=sizes.gather(ordered["price"] - 1))


def _amount_order(rows: pl.DataFrame) -> pl.DataFrame:
    """(rid, key, cents) sorted by key, cents and rid: as one packed integer when the three fit
    in 63 bits (sorting one integer column is about twice as fast as a three-column sort)."""
    narrow = rows.select("rid", "key", "cents")
    rid_bits = max(rows.height - 1, 1).bit_length()
    cents_bits = max(int(narrow["cents"].max()), 1).bit_length()  # type: ignore[arg-type]
    key_bits = max(int(narrow["key"].max()), 1).bit_length()  # type: ignore[arg-type]
    if rid_bits + cents_bits + key_bits > 63:
        return narrow.sort("key", "cents", "rid")
    low, high = 2**rid_bits, 2 ** (rid_bits + cents_bits)
    packed = narrow.select(
        (pl.col("key") * high + pl.col("cents") * low + pl.col("rid").cast(pl.Int64)).sort()
    ).to_series()
    return pl.DataFrame({
        "rid": (packed % low).cast(pl.UInt32),
        "key": packed // high,
        "cents": (packed // low) % (high // low),
    })


def _possible_bands(ordered: pl.DataFrame) -> pl.Series:
    """Bands that counts alone do not rule out (see `_could_recur`)."""
    stats = ordered.group_by("band").agg(
        n=pl.len(), span=(pl.col("date").max() - pl.col("date").min()).dt.total_days())
    return stats.filter(_could_recur(pl.col("n"), pl.col("span")))["band"].implode()


def _could_recur(n: pl.Expr, span_days: pl.Expr) -> pl.Expr:
    """What any stream of n charges over span_days satisfies: every gap that fits a cadence is
    at least MIN_GAP days, and 4 gaps in 5 must fit (`_is_stream_expr`), so n charges span at
    least 4/5 × MIN_GAP × (n - 1) days. A lone charge may be an annual plan named so."""
    return (n == 1) | (span_days * 5 >= MIN_GAP * 4 * (n - 1))


def _with_row_facts(frame: pl.DataFrame, rows: pl.DataFrame) -> pl.DataFrame:
    """`frame` plus what judging a group needs of its rows, fetched from `rows` by position
    for these rows only: the day, the month's length, annual wording, everyday category."""
    picked = rows.select("date", "description", "category")[frame["rid"]]
    facts = picked.select(
        day=pl.col("date").dt.day(),
        days_in_month=pl.col("date").dt.days_in_month(),
        annual_word=pl.col("description").fill_null("").str.contains(ANNUAL_WORDS),
        everyday=pl.col("category").is_in(EVERYDAY_CATEGORIES).fill_null(False),
    )
    return pl.concat([frame, facts], how="horizontal")


def _gap_fits(cadence: Cadence) -> pl.Expr:
    return pl.col("gap").is_between(cadence.min_gap, cadence.max_gap).sum().alias(
        f"fit_{cadence.name}"
    )


def _with_gaps(rows: pl.LazyFrame, sub: str) -> pl.LazyFrame:
    """Rows in (key, sub, date) order with the days since the group's previous charge."""
    # one integer to sort on: group, then day (days since 1833, so always positive); stable,
    # so same-day charges keep the (cents) order they arrive in
    order = pl.col(sub) * 200_000 + pl.col("date").cast(pl.Int32).cast(pl.Int64) + 50_000
    ordered = rows.sort(order, maintain_order=True)
    same_group = pl.col(sub) == pl.col(sub).shift(1)
    return ordered.with_columns(
        gap=pl.when(same_group).then((pl.col("date") - pl.col("date").shift(1)).dt.total_days())
    )


def _classify(rows: pl.LazyFrame, sub: str) -> pl.LazyFrame:
    """One row per (key, sub) group with its cadence (or null) and whether it is a stream.

    Only counts and medians here; the member lists are gathered for streams alone.
    """
    day = pl.col("day")
    to_month_end = pl.col("days_in_month") - day
    groups = _with_gaps(rows, sub).group_by(sub).agg(
        *[_gap_fits(c) for c in CADENCES.values()],
        n=pl.len(),
        median_gap=pl.col("gap").median(),
        fortnight_gaps=pl.col("gap").is_between(13, 15).sum(),
        # semi-monthly charges sit near the 1st, the 15th or the month's last day
        anchored=((day <= 3) | ((day - 15).abs() <= 3) | (to_month_end <= 3)).all(),
        annual_words=pl.col("annual_word").first(),
        everyday=pl.col("everyday").first(),
        min_cents=pl.col("cents").min(),
        max_cents=pl.col("cents").max(),
    )
    return groups.with_columns(cadence=_cadence_expr()).with_columns(
        is_stream=_is_stream_expr()
    )


def _charges(members: pl.DataFrame, rows: pl.DataFrame) -> pl.DataFrame:
    """The streams' charges in (stream, date) order, with gaps and the columns shown."""
    ordered = _with_gaps(members.lazy(), "sub").collect()
    # rid is the row's position in `rows`: a gather, not a join
    details = rows.select("payer", "merchant", "out", "currency", "account_id", "txn_id", "amount",
                          "card_last4", "category")[ordered["rid"]].select(
        pl.exclude("out"), direction=pl.when(pl.col("out")).then(pl.lit("out")).otherwise(
            pl.lit("in")))
    return pl.concat([ordered, details], how="horizontal")


def _stream_lists(charges: pl.DataFrame) -> pl.DataFrame:
    """The evidence of each stream: its transactions and gaps, oldest first, plus its ends."""
    return (
        charges.lazy()
        .group_by("sub")
        .agg(
            *[pl.col(k).first() for k in KEYS],
            account_id=pl.col("account_id").last(),
            txn_ids=pl.col("txn_id"),
            gaps=pl.col("gap").drop_nulls(),
            first_date=pl.col("date").first(),
            # the anchor day of month-based cadences (computed for stream charges only)
            median_dom=pl.col("date").dt.day().median(),
            month_end_share=(pl.col("date").dt.days_in_month() - pl.col("date").dt.day() <= 3)
            .mean(),
            last_date=pl.col("date").last(),
            first_amount=pl.col("amount").first(),
            last_amount=pl.col("amount").last(),
            card_last4=pl.col("card_last4").drop_nulls().last(),
            category=pl.col("category").drop_nulls().last(),
        )
        .collect()
    )


def _cadence_expr() -> pl.Expr:
    gap = pl.col("median_gap")
    fortnightly = pl.col("fortnight_gaps") == pl.col("n") - 1
    return (
        pl.when((pl.col("n") == 1) & pl.col("annual_words")).then(pl.lit("annual"))
        .when(gap.is_between(5, 9)).then(pl.lit("weekly"))
        .when(gap.is_between(11, 19) & pl.col("anchored") & ~fortnightly)
        .then(pl.lit("semimonthly"))
        .when(gap.is_between(11, 17)).then(pl.lit("biweekly"))
        .when(gap.is_between(25, 36)).then(pl.lit("monthly"))
        .when(gap.is_between(80, 102)).then(pl.lit("quarterly"))
        .when(gap.is_between(165, 200)).then(pl.lit("semiannual"))
        .when(gap.is_between(335, 395)).then(pl.lit("annual"))
    )


def _is_stream_expr() -> pl.Expr:
    fits = pl.lit(0)
    for cadence in CADENCES.values():
        fits = pl.when(pl.col("cadence") == cadence.name).then(
            pl.col(f"fit_{cadence.name}")).otherwise(fits)
    gaps = pl.col("n") - 1
    misses = gaps - fits
    # a skipped month or a one-off charge at the same price may break one gap in five
    regular = (misses == 0) | ((gaps >= 5) & (misses * 5 <= gaps))
    # two charges prove little: ask for the very same amount, as subscriptions charge, or
    # within 10 % a year or half a year apart (a domain or an insurance going up a little)
    same_amount = (pl.col("max_cents") == pl.col("min_cents")) | (
        pl.col("cadence").is_in(["annual", "semiannual"])
        & (pl.col("max_cents") * 10 <= pl.col("min_cents") * 11))
    spread_ok = pl.col("max_cents") <= pl.col("min_cents") * AMOUNT_SPREAD
    return (
        pl.when(pl.col("cadence").is_null()).then(False)
        .when(pl.col("n") == 1).then(True)  # annual, named so in the description
        .when(pl.col("n") == 2).then(regular & same_amount & ~pl.col("everyday"))
        .otherwise(regular & spread_ok)
    )


# ------------------------------------------------------------------- amounts per stream
def _amount_facts(charges: pl.DataFrame) -> pl.DataFrame:
    """Price changes and typical amount per stream, vectorised over the streams' charges.

    A price change (Sure's rule) is two consecutive charges agreeing on a new amount that
    differs from the previously settled amount; a varying bill settles nowhere and so has none.
    """
    charges = charges.select("sub", "date", "amount")
    same_stream = pl.col("sub") == pl.col("sub").shift(1)
    run_start = ~same_stream.fill_null(False) | (pl.col("amount") != pl.col("amount").shift(1))
    charges = charges.with_columns(run=run_start.cast(pl.Int64).cum_sum())
    runs = charges.group_by("run", maintain_order=True).agg(
        pl.col("sub").first(), pl.col("date").first(),
        pl.col("amount").first(), length=pl.len(),
    )
    # a stream's latest charge at a new price right after a settled run also counts, so an
    # annual plan's rise shows at once instead of a year later
    is_last_run = ~same_stream.shift(-1).fill_null(False)
    follows_settled = (pl.col("length").shift(1) >= 2) & same_stream
    settled = runs.filter(
        (pl.col("length") >= 2) | (is_last_run & follows_settled.fill_null(False))
    )
    changes = settled.with_columns(
        old_amount=pl.when(same_stream).then(pl.col("amount").shift(1))
    ).filter(pl.col("old_amount").is_not_null() & (pl.col("old_amount") != pl.col("amount")))
    last_change = changes.group_by("sub").agg(since=pl.col("date").max())
    typical = (
        charges.join(last_change, on="sub", how="left")
        .filter(pl.col("since").is_null() | (pl.col("date") >= pl.col("since")))
        .group_by("sub")
        .agg(typical=pl.col("amount").sort().gather(pl.len() // 2).first())
    )
    change_lists = changes.group_by("sub").agg(
        change_dates=pl.col("date"), change_old=pl.col("old_amount"),
        change_new=pl.col("amount"),
    )
    return typical.join(change_lists, on="sub", how="left")


# -------------------------------------------------------------------- per-stream facts
def _build_streams(found: pl.DataFrame, as_of: date) -> list[Stream]:
    rows = _join_price_steps(found.sort(*KEYS, "first_date", "sub").iter_rows(named=True))
    legacy_seen: set[str] = set()
    streams = [_stream_from_row(row, as_of, legacy_seen) for row in rows]  # one per stream
    assign_ids(streams)
    return streams


def _join_price_steps(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Streams (rows of `found`, in KEYS and date order) with each price step joined up.

    A change too big for one amount band (Disney+ 7.99 → 13.99) leaves two streams of one
    merchant, the second starting one interval after the first stopped: one stream, whose
    price changed then. Streams that overlap in time are two plans and stay two.
    """
    joined: list[dict[str, Any]] = []
    group: list[int] = []  # positions in `joined` of the rows of the current key
    for row in rows:
        if not joined or any(joined[group[0]][k] != row[k] for k in KEYS):
            group = []
        before = [i for i in group if _continues(joined[i], row)]
        if before:
            latest = max(before, key=lambda i: joined[i]["last_date"])
            joined[latest] = _joined(joined[latest], row)
            continue
        group.append(len(joined))
        joined.append(row)
    return joined


def _continues(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """Whether stream `new` carries on stream `old` at another price (see _join_price_steps)."""
    cadence = CADENCES[str(new["cadence"])]
    gap = (new["first_date"] - old["last_date"]).days
    before, after = abs(old["last_amount"]), abs(new["first_amount"])
    return (CADENCE_FAMILY[str(old["cadence"])] == CADENCE_FAMILY[cadence.name]
            and cadence.min_gap <= gap <= cadence.max_gap and before != after
            and after <= before * PRICE_STEP_LIMIT and before <= after * PRICE_STEP_LIMIT)


def _joined(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """One stream of `old` and the `new` it continues at its new price."""
    return {
        **new,
        "sub": old["sub"], "first_date": old["first_date"], "first_amount": old["first_amount"],
        "txn_ids": [*old["txn_ids"], *new["txn_ids"]],
        "gaps": [*old["gaps"], (new["first_date"] - old["last_date"]).days, *new["gaps"]],
        "n": old["n"] + new["n"],
        "card_last4": new["card_last4"] or old["card_last4"],
        "category": new["category"] or old["category"],
        **{f"change_{part}": [*(old[f"change_{part}"] or []), step, *(new[f"change_{part}"] or [])]
           for part, step in (("dates", new["first_date"]), ("old", old["last_amount"]),
                              ("new", new["first_amount"]))},
    }


def _legacy_alias(row: dict[str, object], seen: set[str]) -> str:
    """The id the previous version gave this stream (streams come in its order)."""
    legacy = legacy_stream_id(str(row["payer"]), key_of(str(row["merchant"])),
                              str(row["direction"]), str(row["currency"]),
                              _money(row["first_amount"]))
    while legacy in seen:  # as the first-amount ids told two such streams apart
        legacy = _short_hash(legacy)
    seen.add(legacy)
    return legacy


def _stream_from_row(row: dict[str, object], as_of: date, legacy_seen: set[str]) -> Stream:
    cadence = CADENCES[str(row["cadence"])]
    first_date: date = row["first_date"]  # type: ignore[assignment]
    last_date: date = row["last_date"]  # type: ignore[assignment]
    n = int(row["n"])  # type: ignore[call-overload]
    last_amount = _money(row["last_amount"])
    # two charges have no meaningful median: the latest is the better guess of the next
    typical = _money(row["typical"]) if row["typical"] is not None and n > 2 else last_amount
    expected = next_expected(cadence, last_date, row["median_dom"],  # type: ignore[arg-type]
                             row["month_end_share"] or 0.0)  # type: ignore[arg-type]
    mature_at = 2 if cadence.name == "annual" else 3
    lapsed = as_of > expected + timedelta(days=cadence.tolerance)
    status = "lapsed" if lapsed else ("mature" if n >= mature_at else "early")
    changes = [
        PriceChange.model_construct(date=d, old_amount=abs(_money(o)),
                                    new_amount=abs(_money(c)))
        for d, o, c in zip(row["change_dates"] or [], row["change_old"] or [],  # type: ignore[call-overload]
                           row["change_new"] or [], strict=True)
    ]
    return _trusted(
        Stream,
        stream_id="",  # assign_ids, once every stream is known
        identity=identity(str(row["payer"]), key_of(str(row["merchant"])),
                          str(row["direction"]), str(row["currency"]), cadence.name),
        aliases=[_legacy_alias(row, legacy_seen)],
        merchant=str(row["merchant"]),
        merchant_key=key_of(str(row["merchant"])),
        account_id=str(row["account_id"]),
        card_last4=row["card_last4"],
        category=row["category"],
        direction=str(row["direction"]),
        cadence=cadence.name,
        typical_amount=typical,
        last_amount=last_amount,
        currency=str(row["currency"]),
        first_date=first_date,
        last_date=last_date,
        next_date=None if lapsed else expected,
        occurrences=n,
        active=not lapsed,
        status=status,
        yearly_cost=abs(typical) * cadence.per_year,
        price_changes=changes,
        txn_ids=row["txn_ids"],
        gaps_days=row["gaps"],
        tolerance_days=cadence.tolerance,
        user_state=None,
    )


M = TypeVar("M", bound=BaseModel)


def _trusted(model: type[M], **values: Any) -> M:
    """`model.model_construct(**values)` minus its per-field alias search (a third of the
    whole detection at 1M rows): every field is given, typed by polars, so nothing is checked.
    """
    instance = model.__new__(model)
    object.__setattr__(instance, "__dict__", values)
    object.__setattr__(instance, "__pydantic_fields_set__", set(values))
    object.__setattr__(instance, "__pydantic_extra__", None)
    object.__setattr__(instance, "__pydantic_private__", None)
    return instance


def _money(value: object) -> Decimal:
    """A stored amount (Decimal(38, 4)) without the padding zeros: -10.9900 → -10.99."""
    amount = value if isinstance(value, Decimal) else Decimal(str(value))
    cents = amount.quantize(Decimal("0.01"))
    return cents if cents == amount else amount.quantize(Decimal(1).scaleb(-AMOUNT_SCALE))


def key_of(merchant: str) -> str:
    """How merchants are matched across rows and cards: case and edge spaces ignored."""
    return merchant.lower().strip()


def identity(payer: str, merchant_key: str, direction: str, currency: str,
             cadence: str) -> str:
    """What a stream is, whatever its prices and whichever window it was found in: who pays
    whom, which way, in which currency, how often (biweekly and semimonthly are one family,
    as more history may move a stream between them)."""
    return "\x1f".join([payer, merchant_key, direction, currency, CADENCE_FAMILY[cadence]])


def assign_ids(streams: list[Stream], after: list[Stream] | None = None) -> None:
    """Set each stream's `stream_id` from its identity. Several streams of one identity (two
    Apple plans on one card) are told apart by their typical amounts, cheapest first, which
    price rises seldom reorder. Streams in `after` (judged elsewhere) keep their ids and these
    rank after them."""
    taken: dict[str, int] = {}
    used: set[str] = set()
    for other in after or []:
        taken[other.identity] = taken.get(other.identity, 0) + 1
        used.add(other.stream_id)
    siblings: dict[str, list[Stream]] = {}
    for stream in streams:
        siblings.setdefault(stream.identity, []).append(stream)
    for key, group in siblings.items():
        group.sort(key=lambda s: (abs(s.typical_amount), s.first_date))
        for rank, stream in enumerate(group, start=taken.get(key, 0)):
            sid = _short_hash(key if rank == 0 else f"{key}\x1f{rank}")
            while sid in used:  # two identities, one 32-bit hash: rare, settled in order
                sid = _short_hash(sid)
            used.add(sid)
            # straight into the field (no validation to run): pydantic's __setattr__ costs
            # more than the hash on thousands of streams
            vars(stream)["stream_id"] = sid


def legacy_stream_id(account_id: str, merchant_key: str, direction: str, currency: str,
                     first_amount: Decimal) -> str:
    """The id streams had before `identity` (it held the first amount in the window, so a
    price rise or a later window changed it): kept to find decisions stored under it."""
    text = "\x1f".join([account_id, merchant_key, direction, currency, format(first_amount, "f")])
    return _short_hash(text)


def _short_hash(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=4).hexdigest()


# ------------------------------------------------------------------------ calendar maths
def add_months(year: int, month: int, months: int, day: int) -> date:
    """The `day` of the month `months` after (year, month), clamped to the month's end."""
    index = year * 12 + (month - 1) + months
    y, m = divmod(index, 12)
    return date(y, m + 1, min(day, calendar.monthrange(y, m + 1)[1]))


def month_end(d: date) -> date:
    return d.replace(day=calendar.monthrange(d.year, d.month)[1])


def next_expected(cadence: Cadence, last: date, median_dom: float | None,
                  month_end_share: float = 0.0) -> date:
    """The next charge's calendar date (not shifted for weekends: a reminder date)."""
    if cadence.days:
        return last + timedelta(days=cadence.days)
    if cadence.name == "semimonthly":
        return _next_semimonthly(last, late_pair=month_end_share >= 0.3)
    anchor = 31 if month_end_share >= 0.5 else round(median_dom or last.day)
    year, month = last.year, last.month
    if anchor >= 25 and last.day <= 6:  # the month-end charge posted early next month
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    elif anchor <= 6 and last.day >= 25:  # the 1st's charge shifted back before a weekend
        year, month = (year, month + 1) if month < 12 else (year + 1, 1)
    return add_months(year, month, cadence.months, anchor)


def _next_semimonthly(last: date, *, late_pair: bool) -> date:
    """1st & 15th, or 15th & last day: the anchor after the one `last` was charged for."""
    candidates: list[date] = []
    for step in (-1, 0, 1, 2):
        base = add_months(last.year, last.month, step, 1)
        candidates.append(month_end(base) if late_pair else base)
        candidates.append(base.replace(day=15))
    candidates.sort()
    nearest = min(candidates, key=lambda d: abs((d - last).days))
    return next(d for d in candidates if d > nearest)
