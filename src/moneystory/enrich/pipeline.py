"""enrich(): schema.STORED rows → + merchant, intermediary, category, kind (schema.ENRICHED_EXTRA).

All string work runs once per distinct key (description, counterparty, bank category, MCC,
sign), in fact once per "shape" of it (digits blanked), and is gathered back by index; the
per-row work is the user's rules, one as-of join for transfers and the earlier-charge test.

Category, in order of trust: the user's rules, the bank's own category column (unless the MCC,
the merchant table or a keyword names a finer category it lumps in), the MCC, the built-in
merchant table, keyword rules, else "other"; transfers, fees, cash, interest, income and BNPL
take the category their kind implies. Kind: rules, cash withdrawal, fee, BNPL provider, ATM,
transfer (card payments and settlements, wallets, savings wording, top-ups, the holder's own
name, a debit in one account matched by a credit in another), interest, income and refund
wording, money back from a known shop or from a merchant already paid, then the sign.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import timedelta

import polars as pl

from moneystory import schema
from moneystory.enrich import clean, merchants, tables
from moneystory.enrich.bnpl import bnpl_provider
from moneystory.enrich.rules import Rule, Rules
from moneystory.enrich.taxonomy import CATEGORIES, KINDS
from moneystory.frames import mixed_hash
from moneystory.keys import KEY_SEED, distinct_keys, key_hash

Reason = tuple[pl.Expr, str, str]  # condition, kind, why
TRANSFER_WINDOW = timedelta(days=5)  # a debit and its matching credit post this close together
NOT_SHOPS = ("income", "transfer", "loan_payments", "bank_fees")  # banks, wallets, lenders
# Money in from these is income, not a refund (a tax refund is income, as in Plaid).
NOT_REFUNDED = (*NOT_SHOPS, "government_taxes")
WORDINGS = ("card_payment", "savings", "topup", "atm", "fee", "interest", "refund", "income",
            "withdrawal")
_NULL = pl.lit(None, dtype=pl.String)
KIND = pl.Enum(KINDS)
CATEGORY = pl.Enum(CATEGORIES)
# The facts a row's merchant, category and kind are decided from (the *_why facts too, for
# explain(), which enriches from key_facts() itself).
ROW_FACTS = ("merchant", "intermediary", "_static_category", "_kind_a", "_kind_b", "_kind_c",
             "_card", "_unnamed", "_candidate", "_cat_transfer", "_cat_interest")


def enrich(lf: pl.LazyFrame, rules: Rules | None = None) -> pl.LazyFrame:
    """Add merchant, intermediary, category and kind to a schema.STORED LazyFrame."""
    return enrich_with_sources(lf, rules if rules is not None else Rules(), sources=False)


def enrich_with_sources(lf: pl.LazyFrame, rules: Rules, *, sources: bool) -> pl.LazyFrame:
    """enrich(); with `sources`, also merchant_source, category_source and kind_source.

    Eager inside: transfer pairing and refunds look across all rows, so every row is needed
    anyway. Everything that depends only on the text, the bank's category, the MCC and the
    sign is decided once per distinct key, found by a 64-bit hash (a collision among even a
    million distinct keys has odds of about 1e-8), and gathered back by index, which keeps the
    input's row order. What is left per row: rules, the transfer pairing and earlier charges.
    """
    frame = lf.collect()
    keys = distinct_keys(frame.lazy()).collect()
    return enrich_rows(frame, key_facts(keys, rules), rules, sources=sources)


def enrich_rows(
    frame: pl.DataFrame, facts: pl.DataFrame, rules: Rules, *, sources: bool = False
) -> pl.LazyFrame:
    """The per-row part of enrich(): `facts` (key_facts() of a key table holding every key of
    `frame`, `_i` = row position) gathered back, then rules, transfer pairs and refunds.

    Transfers pair within `frame` only; refunds see `_first_charge_key`, so a key table
    built over the whole store judges a refund against the whole history.

    Per row only what varies by row is worked out: which rules match, the transfer pairing
    and the earlier-charge test. Merchant, category and kind follow from the key and those,
    so they are decided once per distinct combination (a few per key, not millions of rows)
    and gathered back.
    """
    columns = frame.columns
    hashed = frame.select(_k=key_hash())["_k"]
    index = hashed.replace_strict(facts["_k"], facts["_i"], return_dtype=pl.UInt32)
    plan = _Plan(rules)
    per_row = [*_rule_columns(facts), "_candidate", "_static_category"]
    rows = pl.concat([frame.select("account_id", "date", "amount", "currency"),
                      facts.select(per_row)[index]], how="horizontal").with_columns(
        _i=index, _first_charge=_first_charges(facts)[index])
    ruled = plan.apply(plan.apply(plan.index(rows.lazy(), "merchant"), "category"), "kind")
    rows = _with_pairs(ruled.with_columns(_pre_category=pl.coalesce(
        pl.col("_rule_category").cast(CATEGORY), "_static_category")).collect())
    coded = _Combination(len(rules.rules))
    # lazily: polars' default engine codes the rows, and finds the distinct codes, on every core
    codes = rows.lazy().select(_code=coded.code(_earlier_charge())).collect()
    extra = list(schema.ENRICHED_EXTRA)
    combos = codes.lazy().unique().with_columns(coded.parts()).collect()
    outcome = _decide(combos.join(facts, on="_i", how="left"), plan, sources)
    if sources:
        extra += ["merchant_source", "category_source", "kind_source"]
    # a join in row order: polars gathers one column at a time, and joins in parallel
    gathered = codes.join(outcome.select("_code", *extra), on="_code", how="left",
                          maintain_order="left")
    return pl.concat([frame.select([c for c in columns if c not in extra]),
                      gathered.drop("_code")], how="horizontal").lazy()


@dataclass(frozen=True)
class _Combination:
    """What decides a row's merchant, category and kind, packed into one integer: its key, the
    rules that set each field (0 for none, else the rule's number + 1), the transfer pairing
    and the earlier-charge test. `rules`: how many there are (at most rules.MAX_RULES, so that
    even 60 million keys fit in 64 bits)."""

    rules: int
    FIELDS = ("merchant", "category", "kind")

    def code(self, refund: pl.Expr) -> pl.Expr:
        base = self.rules + 1
        code = pl.col("_i").cast(pl.UInt64)
        for field in self.FIELDS:
            code = code * base + (pl.col(f"_rule_{field}_i").fill_null(-1) + 1).cast(pl.UInt64)
        return code * 4 + pl.col("_paired").cast(pl.UInt64) * 2 + refund.cast(pl.UInt64)

    def parts(self) -> list[pl.Expr]:
        base = self.rules + 1
        code = pl.col("_code")
        parts = [(code % 2 == 1).alias("_refund"), (code // 2 % 2 == 1).alias("_paired")]
        rest = code // 4
        for field in reversed(self.FIELDS):
            rule = (rest % base).cast(pl.Int64) - 1
            parts.append(pl.when(rule >= 0).then(rule).alias(f"_rule_{field}_i"))
            rest = rest // base
        return [*parts, rest.cast(pl.UInt32).alias("_i")]


def _decide(combos: pl.DataFrame, plan: _Plan, sources: bool) -> pl.DataFrame:
    """Merchant, intermediary, category and kind (and with `sources` why) per combination of
    key facts, matching rules, transfer pairing and earlier charge."""
    out = plan.value(plan.value(plan.value(combos.lazy(), "merchant"), "category"), "kind")
    out = out.with_columns(
        merchant=pl.coalesce(pl.col("_rule_merchant"), pl.col("merchant"), pl.lit("Unknown")),
        _pre_category=pl.coalesce(pl.col("_rule_category").cast(CATEGORY), "_static_category"),
    )
    out = (out.with_columns(kind=_kind())
           .with_columns(category=_category(), merchant=_merchant_by_kind()))
    if sources:
        out = out.with_columns(
            merchant_source=pl.when(pl.col("_rule_merchant").is_not_null())
            .then(plan.label("merchant"))
            .when(pl.col("merchant").is_in(["Cash", "Card payment"]) & pl.col("_unnamed"))
            .then(pl.concat_str(pl.lit("kind "), pl.col("kind").cast(pl.String),
                                pl.lit(" with no shop named")))
            .otherwise(pl.col("merchant_source")),
            category_source=_category_source(plan),
            kind_source=_kind_source(plan),
        )
    return out.with_columns(pl.col("kind", "category").cast(pl.String)).collect()


def _bank_key() -> pl.Expr:
    return pl.col("bank_category").str.strip_chars().str.to_lowercase()


def _mcc_key() -> pl.Expr:
    return pl.col("mcc").str.strip_chars().str.zfill(4)


# ---------------------------------------------------------------- per distinct key


def key_facts(keys: pl.DataFrame, rules: Rules) -> pl.DataFrame:
    """Per distinct key (in `keys` order): merchant facts, wording flags, mapped bank category
    and MCC, the category before kind and rules, and which rules' regexes match.

    The text work runs once per SHAPE: the key with every digit of its texts written as 0 and
    every word with two or more digits (a reference such as "2K4LM3") written as #.
    "TESCO STORES 3297" and "TESCO STORES 1234" are one shape, as are two dates or two
    Amazon order codes: digits decide where the noise is, not which merchant or kind it is.
    The user's regexes may name digits, so they run on every real key.
    """
    shaped = _shaped(keys)
    shapes = _shape_facts(shaped.unique("_s", keep="first", maintain_order=True), rules)
    own = [c for c in shapes.columns if c not in keys.columns or c == "_s"]
    facts = _with_rule_matches(shaped.join(shapes.select(own), on="_s", how="left"), rules)
    assert facts.height == keys.height, "one row of facts per distinct key"
    return facts


def stored_facts(facts: pl.DataFrame) -> pl.DataFrame:
    """What of key_facts() the per-row pass reads (enrich_rows) and key_facts_after() builds
    on: a few thousand to a few hundred thousand rows, however many transactions there are."""
    return facts.select("_k", "_i", "_first_charge_key", "_s", "_learned", "_name_d",
                        "_name_c", *ROW_FACTS, *_rule_columns(facts))


def _rule_columns(facts: pl.DataFrame) -> list[str]:
    """The per-key regex matches of the user's rules (_with_rule_matches)."""
    return [c for c in facts.columns if c.startswith(("_r", "_m")) and c[2:].isdigit()]


def key_facts_after(keys: pl.DataFrame, rules: Rules,
                    earlier: pl.DataFrame) -> pl.DataFrame | None:
    """stored_facts(key_facts(keys, rules)), from `earlier`: the stored facts of the keys of
    the store before its latest imports (so the first keys of `keys`), with the same rules.

    Only the new keys' new shapes get the text work: a new key of a known shape takes that
    shape's facts, as key_facts() gives every key its shape's first key's. None when a new
    shape changes what is known across shapes, so that any key's facts may change and all
    are worked out again: it teaches a holder name (a transfer to savings under a new name),
    or its name joins a fuzzy group of earlier names and changes its spelling.
    """
    new = _shaped(keys.join(earlier.select("_k"), on="_k", how="anti", maintain_order="left"))
    known = earlier.select("_s", "_learned", "_name_d", "_name_c", *ROW_FACTS).unique(
        "_s", keep="first")
    fresh = new.join(known.select("_s"), on="_s", how="anti", maintain_order="left")
    found = known
    if fresh.height:
        names = _holder_names(earlier, rules)
        spellings = merchants.cleaned_names(pl.concat([earlier["_name_d"], earlier["_name_c"]]))
        shapes = _shape_facts(fresh.unique("_s", keep="first", maintain_order=True), rules,
                              names, spellings)
        respelled = merchants.regroups(
            spellings, merchants.cleaned_names(pl.concat([shapes["_name_d"], shapes["_name_c"]])))
        if respelled or not set(_holder_names(shapes, rules)) <= set(names):
            return None
        found = pl.concat([known, shapes.select(known.columns)])
    added = _with_rule_matches(new.join(found, on="_s", how="left"), rules)
    facts = pl.concat([earlier, stored_facts(added)], how="diagonal_relaxed")
    # each key's place and first charge as the whole store has them now
    order = keys.select("_k", "_i", "_first_charge_key")
    return stored_facts(order.join(facts.drop("_i", "_first_charge_key"), on="_k").sort("_i"))


def _shaped(keys: pl.DataFrame) -> pl.DataFrame:
    return keys.with_columns(
        _s=mixed_hash(_shape("description"), _shape("counterparty"), "bank_category", "mcc",
                      "_sign", seed=KEY_SEED))


def _with_rule_matches(facts: pl.DataFrame, rules: Rules) -> pl.DataFrame:
    """Which of the user's rules' regexes each key's description and merchant match."""
    return facts.with_columns(
        *[pl.col("description").fill_null("").str.contains(f"(?i){rule.if_description}")
          .alias(f"_r{i}") for i, rule in enumerate(rules.rules) if rule.if_description],
        *[pl.col("merchant").fill_null("").str.contains(f"(?i){rule.if_merchant}")
          .alias(f"_m{i}") for i, rule in enumerate(rules.rules) if rule.if_merchant],
    ).sort("_i")


def _shape(column: str) -> pl.Expr:
    return (pl.col(column).str.to_uppercase().str.replace_all(r"\d", "0")
            .str.replace_all(r"\b[A-Z]*0[A-Z0]*0[A-Z0]*\b", "#"))


def _shape_facts(shapes: pl.DataFrame, rules: Rules, names: list[str] | None = None,
                 known: Collection[str] = ()) -> pl.DataFrame:
    """key_facts() for one representative key per shape; the holder's names are `names`
    (default: those of the rules and of these shapes' `_learned`); `known`: the names of
    shapes resolved before (merchants.resolve)."""
    texts = pl.concat([shapes["description"], shapes["counterparty"]]).drop_nulls()
    resolved = merchants.resolve(texts, known)
    plain = clean.upper_plain(pl.col("description"))
    flags = shapes.with_columns(_plain=plain).with_columns(
        *[clean.has_wording(pl.col("_plain"), name).alias(f"w_{name}") for name in WORDINGS],
        bnpl_provider=bnpl_provider(pl.col("description")),
    )
    by_desc = resolved.rename(lambda c: c if c == "text" else f"d_{c}")
    by_party = resolved.rename(lambda c: c if c == "text" else f"c_{c}")
    joined = (flags.join(by_desc, left_on="description", right_on="text", how="left")
              .join(by_party, left_on="counterparty", right_on="text", how="left"))
    learned = joined.with_columns(_learned=_learned_name(), _name_d=pl.col("d_cleaned"),
                                  _name_c=pl.col("c_cleaned"))
    names = _holder_names(learned, rules) if names is None else names
    facts = _choose_merchant(learned).with_columns(holder=_holder_expr(names)).drop("_plain")
    return (
        facts.join(tables.bank_categories(), left_on=_bank_key(), right_on="bank_key",
                   how="left")
        .join(tables.mcc_codes(), left_on=_mcc_key(), right_on="mcc_key", how="left")
        .with_columns(_static_category=_static_category().cast(CATEGORY))
        .with_columns(_decisions())
        .drop("bank_refines")
    )


def _choose_merchant(frame: pl.DataFrame) -> pl.DataFrame:
    """The description's merchant when the table knows it (a wallet line naming the shop), else
    the counterparty's when there is one (CAMT, N26: the payee), else the description's."""
    desc_known = pl.col("d_table_category").is_not_null() & ~pl.col("d_table_category").is_in(
        ["transfer"])
    use_party = ~desc_known & pl.col("c_merchant").is_not_null()
    fields = ["merchant", "intermediary", "table_category", "table_kind", "keyword",
              "keyword_category", "merchant_source"]
    chosen = [pl.when(use_party).then(pl.col(f"c_{f}")).otherwise(pl.col(f"d_{f}")).alias(f)
              for f in fields]
    # Keywords are worth reading in the description even when the payee named the merchant.
    keyword = pl.coalesce(pl.col("c_keyword_category"), pl.col("d_keyword_category"))
    # A wallet named in the description ("JORDAN AVERY Wise transfer") still says what it is.
    facts = {f: pl.when(use_party).then(pl.coalesce(f"c_{f}", f"d_{f}")).otherwise(f"d_{f}")
             for f in ("table_category", "table_kind")}
    return frame.with_columns(*chosen).with_columns(
        keyword_category=pl.when(use_party).then(keyword).otherwise(pl.col("keyword_category")),
        **facts,
    ).drop([c for c in frame.columns if c.startswith(("d_", "c_"))])


def _learned_name() -> pl.Expr:
    """The payee of a key with own-account/savings wording: the holder's own name, maybe."""
    return (pl.when(pl.col("w_savings"))
            .then(clean.words(clean.upper_plain(pl.col("counterparty")))))


def _holder_names(frame: pl.DataFrame, rules: Rules) -> list[str]:
    """The holder's own names: from rules.toml, and the `_learned` names of `frame`."""
    learned = frame["_learned"].drop_nulls().unique().to_list()
    given = [tables.normalise_words(n) for n in rules.holder.names]
    return sorted({n for n in [*given, *learned] if len(n) >= 5 and " " in n})


def _holder_expr(names: list[str]) -> pl.Expr:
    if not names:
        return pl.lit(False)
    party = clean.words(clean.upper_plain(pl.col("counterparty")))
    text = clean.padded(clean.words(clean.upper_plain(pl.col("description"))))
    in_text = pl.any_horizontal([text.str.contains(f" {n} ", literal=True) for n in names])
    return party.is_in(names).fill_null(False) | in_text


# ---------------------------------------------------------------- user rules


@dataclass
class _Plan:
    """The user's rules as polars expressions: per field, the first matching rule that sets it.

    `if_merchant` sees the merchant enrichment found (before any rule renamed it).
    """

    rules: Rules

    def _condition(self, index: int, rule: Rule) -> pl.Expr:
        parts: list[pl.Expr] = []
        if rule.if_description:
            parts.append(pl.col(f"_r{index}").fill_null(False))
        if rule.if_merchant:  # matched against the merchant enrichment found, per key
            parts.append(pl.col(f"_m{index}").fill_null(False))
        if rule.amount_min is not None:
            parts.append(pl.col("amount") >= pl.lit(rule.amount_min, dtype=schema.AMOUNT))
        if rule.amount_max is not None:
            parts.append(pl.col("amount") <= pl.lit(rule.amount_max, dtype=schema.AMOUNT))
        if rule.account is not None:
            parts.append(pl.col("account_id") == rule.account)
        return pl.all_horizontal(parts).fill_null(False)

    def _index(self, field: str) -> pl.Expr:
        pairs = [(self._condition(i, rule), pl.lit(i)) for i, rule in enumerate(self.rules.rules)
                 if getattr(rule, field) is not None]
        return clean.when_chain(pairs, pl.lit(None, dtype=pl.UInt32)).cast(pl.Int64)

    def _by_index(self, field: str, values: list[str | None]) -> pl.Expr:
        index = pl.col(f"_rule_{field}_i")
        pairs = [(index == i, pl.lit(v)) for i, v in enumerate(values) if v is not None]
        return clean.when_chain(pairs, _NULL)

    def index(self, rows: pl.LazyFrame, field: str) -> pl.LazyFrame:
        """Add _rule_<field>_i: which rule sets `field` on the row, else null."""
        return rows.with_columns(self._index(field).alias(f"_rule_{field}_i"))

    def value(self, rows: pl.LazyFrame, field: str) -> pl.LazyFrame:
        """Add _rule_<field>: the value that rule (_rule_<field>_i) sets, else null."""
        values = [getattr(rule, field) for rule in self.rules.rules]
        return rows.with_columns(self._by_index(field, values).alias(f"_rule_{field}"))

    def apply(self, rows: pl.LazyFrame, field: str) -> pl.LazyFrame:
        """Add _rule_<field>_i (which rule) and _rule_<field> (its value, else null)."""
        return self.value(self.index(rows, field), field)

    def label(self, field: str) -> pl.Expr:
        labels = [rule.label(i, self.rules.path) if getattr(rule, field) is not None else None
                  for i, rule in enumerate(self.rules.rules)]
        return self._by_index(field, labels)


# ---------------------------------------------------------------- category and kind


def _finer() -> pl.Expr:
    """A finer category the bank's coarse one hides ("Food & Drink" → coffee), else null."""
    fine = pl.coalesce(pl.col("mcc_category"), pl.col("table_category"),
                       pl.col("keyword_category"))
    return pl.when(pl.col("bank_refines").list.contains(fine).fill_null(False)).then(fine)


def _static_category() -> pl.Expr:
    """The category before rules and kind have their say (bank > MCC > table > keywords)."""
    return pl.coalesce(_finer(), pl.col("bank_mapped"), pl.col("mcc_category"),
                       pl.col("table_category"), pl.col("keyword_category"), pl.lit("other"))


def _flag(name: str) -> pl.Expr:
    return pl.col(f"w_{name}").fill_null(False)


def _spending_merchant() -> pl.Expr:
    """A shop the merchant table knows (not a bank, wallet, lender or employer)."""
    return pl.col("table_category").is_not_null() & ~pl.col("table_category").is_in(
        list(NOT_SHOPS))


def _card_payment() -> pl.Expr:
    # "T-MOBILE AUTO PAY" is a phone bill, not a card payment: shops keep their purchases.
    issuer = (pl.col("table_kind") == "transfer") & (pl.col("table_category") == "loan_payments")
    return (_flag("card_payment") & ~_spending_merchant()) | issuer.fill_null(False)


def _kind_segments() -> tuple[list[Reason], list[Reason], list[Reason]]:
    """The kind's reasons in order of precedence, per key, in three segments: rows between
    them are decided per row (a matched transfer after the first, an earlier charge after
    the second)."""
    out, into = pl.col("_sign") < 0, pl.col("_sign") > 0
    provider = pl.col("bnpl_provider").is_not_null()
    atm = _flag("atm") | (pl.col("mcc_kind") == "atm").fill_null(False) | (
        pl.col("bank_kind") == "atm").fill_null(False)
    shop = _spending_merchant()
    refundable = shop & (pl.col("table_category") != "government_taxes")
    wallet = pl.col("table_category").is_null() | (pl.col("table_category") == "transfer")
    first: list[Reason] = [
        (atm & _flag("withdrawal") & out, "atm", "cash machine wording or MCC"),
        (_flag("fee") & out & ~shop, "fee", "fee wording"),
        (provider & out, "bnpl", "BNPL provider in the descriptor"),
        (provider & into, "refund", "money back from a BNPL provider"),
        (atm & out, "atm", "cash machine wording or MCC"),
        (_flag("interest"), "interest", "interest wording"),
        (_card_payment(), "transfer", "credit-card payment or settlement"),
        (((pl.col("bank_kind") == "transfer") | (pl.col("mcc_kind") == "transfer"))
         .fill_null(False), "transfer", "bank category or MCC of a transfer"),
        ((pl.col("table_kind") == "transfer").fill_null(False), "transfer",
         "a wallet, bank or broker account (merchant table)"),
        (_flag("savings"), "transfer", "savings / own-account wording"),
        (_flag("topup") & wallet, "transfer", "wallet top-up"),
        (pl.col("holder").fill_null(False), "transfer", "the holder's own name"),
    ]
    second: list[Reason] = [
        (into & _flag("income"), "income", "income wording"),
        (into & (_flag("refund") | _flag("fee")), "refund", "refund wording"),
        (into & refundable, "refund", "money back from a shop in the merchant table"),
    ]
    last: list[Reason] = [(into, "income", "money in"), (pl.lit(True), "purchase", "money out")]
    return first, second, last


def _decisions() -> list[pl.Expr]:
    """Per key: each kind segment's decision and reason, and what category follows a kind."""
    exprs = []
    for name, segment in zip("abc", _kind_segments(), strict=True):
        exprs.append(clean.when_chain([(c, pl.lit(k)) for c, k, _ in segment], pl.lit(None))
                     .cast(KIND).alias(f"_kind_{name}"))
        exprs.append(clean.when_chain([(c, pl.lit(why)) for c, _, why in segment], _NULL)
                     .alias(f"_why_{name}"))
    card = _card_payment()
    exprs += [
        card.alias("_card"),
        pl.col("table_category").is_null().alias("_unnamed"),
        (_static_category().is_in(["other", "transfer", "loan_payments"])
         & pl.col("bnpl_provider").is_null() & ~_flag("fee") & ~_flag("atm")
         & ~_flag("interest")).alias("_candidate"),
        pl.when(card).then(pl.lit("loan_payments")).otherwise(pl.lit("transfer"))
        .cast(CATEGORY).alias("_cat_transfer"),
        pl.when(pl.col("_sign") > 0).then(pl.lit("income")).otherwise(pl.lit("bank_fees"))
        .cast(CATEGORY).alias("_cat_interest"),
        _static_category_why().alias("_cat_why"),
    ]
    return exprs


def _earlier_charge() -> pl.Expr:
    """Money back from a merchant charged earlier (so a refund), per row."""
    return ((pl.col("amount") > 0) & (pl.col("_first_charge") <= pl.col("date")).fill_null(False)
            & ~pl.col("_pre_category").is_in(pl.Series(NOT_REFUNDED, dtype=CATEGORY).implode()))


def _merchant_by_kind() -> pl.Expr:
    """Cash and card bills have no shop: name them so they group ("Cash", "Card payment")."""
    unnamed = pl.col("_rule_merchant").is_null() & pl.col("_unnamed")
    return (pl.when(unnamed & (pl.col("kind") == "atm")).then(pl.lit("Cash"))
            .when(unnamed & (pl.col("kind") == "transfer") & pl.col("_card"))
            .then(pl.lit("Card payment"))
            .otherwise(pl.col("merchant")))


def _kind() -> pl.Expr:
    return pl.coalesce(
        pl.col("_rule_kind").cast(KIND), "_kind_a",
        pl.when(pl.col("_paired")).then(pl.lit("transfer", dtype=KIND)), "_kind_b",
        pl.when(pl.col("_refund")).then(pl.lit("refund", dtype=KIND)), "_kind_c",
    )


def _kind_source(plan: _Plan) -> pl.Expr:
    return pl.coalesce(
        plan.label("kind"), "_why_a",
        pl.when(pl.col("_paired")).then(pl.lit("matched debit and credit between your accounts")),
        "_why_b",
        pl.when(pl.col("_refund")).then(pl.lit("money back from a merchant already paid")),
        "_why_c",
    )


_BY_KIND = {"bnpl": "loan_payments", "fee": "bank_fees", "atm": "transfer", "income": "income"}


def _category() -> pl.Expr:
    kind = pl.col("kind")
    by_kind = (pl.when(kind == "transfer").then("_cat_transfer")
               .when(kind == "interest").then("_cat_interest")
               .otherwise(kind.cast(pl.String).replace_strict(_BY_KIND, default=None)
                          .cast(CATEGORY)))
    return pl.coalesce(pl.col("_rule_category").cast(CATEGORY), by_kind, "_pre_category")


def _static_category_why() -> pl.Expr:
    return clean.when_chain([
        (_finer().is_not_null(), pl.concat_str(pl.lit("bank category '"), pl.col("bank_category"),
                                                pl.lit("' refined by "), _finer_source())),
        (pl.col("bank_mapped").is_not_null(),
         pl.concat_str(pl.lit("bank category '"), pl.col("bank_category"), pl.lit("'"))),
        (pl.col("mcc_category").is_not_null(), pl.concat_str(pl.lit("MCC "), pl.col("mcc"))),
        (pl.col("table_category").is_not_null(),
         pl.concat_str(pl.lit("merchant table: "), pl.col("merchant"))),
        (pl.col("keyword_category").is_not_null(),
         pl.concat_str(pl.lit("keyword '"), pl.col("keyword"), pl.lit("'"))),
    ], pl.lit("no source matched"))


def _finer_source() -> pl.Expr:
    return (pl.when(pl.col("mcc_category").is_not_null()).then(pl.concat_str(pl.lit("MCC "),
                                                                             pl.col("mcc")))
            .when(pl.col("table_category").is_not_null())
            .then(pl.concat_str(pl.lit("merchant table: "), pl.col("merchant")))
            .otherwise(pl.concat_str(pl.lit("keyword '"), pl.col("keyword"), pl.lit("'"))))


def _category_source(plan: _Plan) -> pl.Expr:
    kind = pl.col("kind")
    by_kind = (pl.when(pl.col("_rule_category").is_null() & kind.is_in(
        ["transfer", "interest", *_BY_KIND]))
        .then(pl.concat_str(pl.lit("kind "), kind.cast(pl.String))))
    return pl.coalesce(plan.label("category"), by_kind, "_cat_why")


# ---------------------------------------------------------------- across rows


def _first_charges(facts: pl.DataFrame) -> pl.Series:
    """Per key (in facts order): the first date its merchant charged money, for refunds."""
    per_key = facts.select("_i", "merchant", first="_first_charge_key")
    by_merchant = per_key.group_by("merchant").agg(first=pl.col("first").min())
    return (per_key.drop("first").join(by_merchant, on="merchant", how="left", nulls_equal=True)
            .sort("_i")["first"])


def _with_pairs(rows: pl.DataFrame) -> pl.DataFrame:
    """Flag a debit in one account and a credit of the same amount and currency in another
    within TRANSFER_WINDOW, one to one (nearest date first), among rows no shop explains."""
    ruled = pl.col("_rule_category").is_null() | pl.col("_rule_category").is_in(
        ["other", "transfer", "loan_payments"])
    candidate = pl.col("_candidate") & pl.col("_rule_kind").is_null() & ruled
    # The few candidates first (a few thousand of 2M rows), then their columns: computing the
    # key on every row and filtering after cost 0.1 s. The key is the amount's integer.
    base = rows.lazy().with_row_index("_row").filter(candidate).select(
        "_row", "account_id", "date", "currency", "amount",
        _abs=pl.col("amount").abs().to_physical(),
    ).collect()
    debits = base.filter(pl.col("amount") < 0).drop("amount").sort("date")
    credits = (base.filter(pl.col("amount") > 0).drop("amount")
               .rename({"_row": "_row_c", "account_id": "_acct_c", "currency": "currency_c"})
               .with_columns(_date_c=pl.col("date")).sort("date"))
    # By amount only: a QIF file has no currency, and its rows still pair with a USD account.
    nearest = debits.join_asof(credits, on="date", by="_abs", strategy="nearest",
                               tolerance=TRANSFER_WINDOW, check_sortedness=False)
    same_money = ((pl.col("currency") == pl.col("currency_c")) | pl.col("currency").is_null()
                  | pl.col("currency_c").is_null())
    matched = (
        nearest.filter(pl.col("_row_c").is_not_null() & (pl.col("_acct_c") != pl.col("account_id"))
                       & same_money)
        .with_columns(_gap=(pl.col("_date_c") - pl.col("date")).abs())
        .sort("_gap", "_row")
        .unique("_row_c", keep="first")  # one credit, one debit
    )
    paired = pl.concat([matched["_row"], matched["_row_c"]])
    return rows.with_columns(
        _paired=pl.int_range(pl.len(), dtype=pl.UInt32).is_in(paired.implode()))
