"""enrich(): schema.STORED rows → + merchant, intermediary, category, kind (schema.ENRICHED_EXTRA).

All string work runs once per DISTINCT (description, counterparty) pair and is joined back; the
per-row work is joins with small tables, comparisons and one as-of join for transfers.

Category, in order of trust: the user's rules, the bank's own category column, the MCC, the
built-in merchant table, keyword rules, else "other". Kind: rules, BNPL provider, fee, ATM,
transfer (card payments, savings wording, wallet top-ups, the holder's own name, a debit in one
account matched by a credit in another), interest, then income/refund by the sign.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import polars as pl

from moneystory import schema
from moneystory.enrich import clean, merchants, tables
from moneystory.enrich.bnpl import bnpl_provider
from moneystory.enrich.rules import Rule, Rules

TRANSFER_WINDOW = timedelta(days=5)  # a debit and its matching credit post this close together
NOT_SHOPS = ("income", "transfer", "loan_payments")  # merchant categories never "refunded"
WORDINGS = ("card_payment", "savings", "topup", "atm", "fee", "interest", "refund", "income")
_NULL = pl.lit(None, dtype=pl.String)


def enrich(lf: pl.LazyFrame, rules: Rules | None = None) -> pl.LazyFrame:
    """Add merchant, intermediary, category and kind to a schema.STORED LazyFrame."""
    return enrich_with_sources(lf, rules or Rules(), sources=False)


def enrich_with_sources(lf: pl.LazyFrame, rules: Rules, *, sources: bool) -> pl.LazyFrame:
    """enrich(); with `sources`, also merchant_source, category_source and kind_source."""
    columns = list(lf.collect_schema().names())
    pairs = pair_table(lf, rules)
    rows = (
        lf.join(pairs.lazy(), on=["description", "counterparty"], how="left", nulls_equal=True)
        .join(tables.bank_categories().lazy(), left_on=_bank_key(), right_on="bank_key",
              how="left")
        .join(tables.mcc_codes().lazy(), left_on=_mcc_key(), right_on="mcc_key", how="left")
    )
    plan = _Plan(rules)
    rows = plan.apply(rows, "merchant").with_columns(
        merchant=pl.coalesce(pl.col("_rule_merchant"), pl.col("merchant"), pl.lit("Unknown")),
    )
    rows = plan.apply(plan.apply(rows, "category"), "kind")
    rows = rows.with_columns(_pre_category=_pre_category(plan))
    rows = _with_pairs(rows)
    rows = _with_first_charge(rows)
    rows = rows.with_columns(kind=_kind(plan))
    rows = rows.with_columns(category=_category(plan))
    extra = list(schema.ENRICHED_EXTRA)
    if sources:
        rows = rows.with_columns(
            merchant_source=pl.when(pl.col("_rule_merchant").is_not_null())
            .then(plan.label("merchant")).otherwise(pl.col("merchant_source")),
            category_source=_category_source(plan),
            kind_source=_kind_source(plan),
        )
        extra += ["merchant_source", "category_source", "kind_source"]
    return rows.select(*[c for c in columns if c not in extra], *extra)


def _bank_key() -> pl.Expr:
    return pl.col("bank_category").str.strip_chars().str.to_lowercase()


def _mcc_key() -> pl.Expr:
    return pl.col("mcc").str.strip_chars().str.zfill(4)


# ---------------------------------------------------------------- per distinct pair


def pair_table(lf: pl.LazyFrame, rules: Rules) -> pl.DataFrame:
    """Per distinct (description, counterparty): merchant facts, wording flags, rule matches."""
    pairs = lf.select("description", "counterparty").unique().collect()
    texts = pl.concat([pairs["description"], pairs["counterparty"]]).drop_nulls()
    resolved = merchants.resolve(texts)
    plain = clean.upper_plain(pl.col("description"))
    flags = pairs.with_columns(_plain=plain).with_columns(
        *[clean.has_wording(pl.col("_plain"), name).alias(f"w_{name}") for name in WORDINGS],
        bnpl_provider=bnpl_provider(pl.col("description")),
        *[pl.col("description").fill_null("").str.contains(f"(?i){rule.if_description}")
          .alias(f"_r{i}") for i, rule in enumerate(rules.rules) if rule.if_description],
    )
    by_desc = resolved.rename(lambda c: c if c == "text" else f"d_{c}")
    by_party = resolved.rename(lambda c: c if c == "text" else f"c_{c}")
    joined = (flags.join(by_desc, left_on="description", right_on="text", how="left")
              .join(by_party, left_on="counterparty", right_on="text", how="left"))
    return _choose_merchant(joined).with_columns(
        holder=_holder_expr(_holder_names(joined, rules))).drop("_plain")


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
    return frame.with_columns(*chosen).with_columns(
        keyword_category=pl.when(use_party).then(keyword).otherwise(pl.col("keyword_category")),
    ).drop([c for c in frame.columns if c.startswith(("d_", "c_"))])


def _holder_names(frame: pl.DataFrame, rules: Rules) -> list[str]:
    """The holder's own names: from rules.toml, and payees of own-account/savings wording."""
    learned = (frame.filter(pl.col("w_savings") & pl.col("counterparty").is_not_null())
               .select(clean.words(clean.upper_plain(pl.col("counterparty"))).alias("n"))
               .unique()["n"].to_list())
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

    Merchant rules see the merchant enrichment found; category and kind rules see the final one.
    """

    rules: Rules

    def _condition(self, index: int, rule: Rule) -> pl.Expr:
        parts: list[pl.Expr] = []
        if rule.if_description:
            parts.append(pl.col(f"_r{index}").fill_null(False))
        if rule.if_merchant:
            parts.append(pl.col("merchant").fill_null("").str.contains(f"(?i){rule.if_merchant}"))
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
        return _chain(pairs, pl.lit(None, dtype=pl.UInt32)).cast(pl.Int64)

    def _by_index(self, field: str, values: list[str | None]) -> pl.Expr:
        index = pl.col(f"_rule_{field}_i")
        pairs = [(index == i, pl.lit(v)) for i, v in enumerate(values) if v is not None]
        return _chain(pairs, _NULL)

    def apply(self, rows: pl.LazyFrame, field: str) -> pl.LazyFrame:
        """Add _rule_<field>_i (which rule) and _rule_<field> (its value, else null)."""
        values = [getattr(rule, field) for rule in self.rules.rules]
        rows = rows.with_columns(self._index(field).alias(f"_rule_{field}_i"))
        return rows.with_columns(self._by_index(field, values).alias(f"_rule_{field}"))

    def label(self, field: str) -> pl.Expr:
        labels = [rule.label(i, self.rules.path) if getattr(rule, field) is not None else None
                  for i, rule in enumerate(self.rules.rules)]
        return self._by_index(field, labels)


# ---------------------------------------------------------------- category and kind


def _pre_category(plan: _Plan) -> pl.Expr:
    """The category before the kind has its say (rules > bank > MCC > table > keywords)."""
    return pl.coalesce(pl.col("_rule_category"), pl.col("bank_mapped"), pl.col("mcc_category"),
                       pl.col("table_category"), pl.col("keyword_category"), pl.lit("other"))


def _flag(name: str) -> pl.Expr:
    return pl.col(f"w_{name}").fill_null(False)


def _card_payment() -> pl.Expr:
    return (_flag("card_payment") | (pl.col("table_kind") == "transfer").fill_null(False))


def _transfer_reasons() -> list[tuple[pl.Expr, str]]:
    wallet = pl.col("table_category").is_null() | (pl.col("table_category") == "transfer")
    return [
        (_card_payment(), "credit-card payment or settlement"),
        ((pl.col("bank_kind") == "transfer") | (pl.col("mcc_kind") == "transfer"),
         "bank category or MCC of a transfer"),
        (_flag("savings"), "savings / own-account wording"),
        (_flag("topup") & wallet, "wallet top-up"),
        (pl.col("holder").fill_null(False), "the holder's own name"),
        (pl.col("_paired").fill_null(False), "matched debit and credit between your accounts"),
    ]


def _kind_reasons() -> list[tuple[pl.Expr, str, str]]:
    out, into = pl.col("amount") < 0, pl.col("amount") > 0
    provider = pl.col("bnpl_provider").is_not_null()
    atm = _flag("atm") | (pl.col("mcc_kind") == "atm").fill_null(False) | (
        pl.col("bank_kind") == "atm").fill_null(False)
    spending_merchant = pl.col("table_category").is_not_null() & ~pl.col("table_category").is_in(
        list(NOT_SHOPS))
    earlier = (pl.col("_first_charge") <= pl.col("date")).fill_null(False) & ~pl.col(
        "_pre_category").is_in(list(NOT_SHOPS))
    reasons: list[tuple[pl.Expr, str, str]] = [
        (provider & out, "bnpl", "BNPL provider in the descriptor"),
        (provider & into, "refund", "money back from a BNPL provider"),
        (_flag("fee") & out, "fee", "fee wording"),
        (atm & out, "atm", "cash machine wording or MCC"),
    ]
    reasons += [(cond, "transfer", why) for cond, why in _transfer_reasons()]
    reasons += [
        (_flag("interest"), "interest", "interest wording"),
        (into & _flag("income"), "income", "income wording"),
        (into & (_flag("refund") | _flag("fee")), "refund", "refund wording"),
        (into & spending_merchant, "refund", "money back from a shop in the merchant table"),
        (into & earlier, "refund", "money back from a merchant already paid"),
        (into, "income", "money in"),
    ]
    return reasons


def _chain(pairs: list[tuple[pl.Expr, pl.Expr]], default: pl.Expr) -> pl.Expr:
    expr = None
    for cond, value in pairs:
        expr = (pl.when(cond) if expr is None else expr.when(cond)).then(value)
    return default if expr is None else expr.otherwise(default)


def _kind(plan: _Plan) -> pl.Expr:
    found = _chain([(c, pl.lit(k)) for c, k, _ in _kind_reasons()], pl.lit("purchase"))
    return pl.coalesce(pl.col("_rule_kind"), found)


def _kind_source(plan: _Plan) -> pl.Expr:
    found = _chain([(c, pl.lit(why)) for c, _, why in _kind_reasons()], pl.lit("money out"))
    return pl.when(pl.col("_rule_kind").is_not_null()).then(plan.label("kind")).otherwise(found)


def _category_by_kind() -> list[tuple[pl.Expr, pl.Expr, str]]:
    kind = pl.col("kind")
    return [
        ((kind == "transfer") & _card_payment(), pl.lit("loan_payments"), "kind transfer (card)"),
        (kind == "transfer", pl.lit("transfer"), "kind transfer"),
        (kind == "bnpl", pl.lit("loan_payments"), "kind bnpl"),
        (kind == "fee", pl.lit("bank_fees"), "kind fee"),
        (kind == "atm", pl.lit("transfer"), "kind atm (cash)"),
        ((kind == "interest") & (pl.col("amount") > 0), pl.lit("income"), "kind interest"),
        (kind == "interest", pl.lit("bank_fees"), "kind interest (charged)"),
        (kind == "income", pl.lit("income"), "kind income"),
    ]


def _category(plan: _Plan) -> pl.Expr:
    by_kind = _chain([(c, v) for c, v, _ in _category_by_kind()], pl.col("_pre_category"))
    return pl.coalesce(pl.col("_rule_category"), by_kind)


def _category_source(plan: _Plan) -> pl.Expr:
    pre = _chain([
        (pl.col("bank_mapped").is_not_null(),
         pl.concat_str(pl.lit("bank category '"), pl.col("bank_category"), pl.lit("'"))),
        (pl.col("mcc_category").is_not_null(), pl.concat_str(pl.lit("MCC "), pl.col("mcc"))),
        (pl.col("table_category").is_not_null(),
         pl.concat_str(pl.lit("merchant table: "), pl.col("merchant"))),
        (pl.col("keyword_category").is_not_null(),
         pl.concat_str(pl.lit("keyword '"), pl.col("keyword"), pl.lit("'"))),
    ], pl.lit("no source matched"))
    by_kind = _chain([(c, pl.lit(why)) for c, _, why in _category_by_kind()], pre)
    return pl.when(pl.col("_rule_category").is_not_null()).then(plan.label("category")).otherwise(
        by_kind)


# ---------------------------------------------------------------- across rows


def _with_first_charge(rows: pl.LazyFrame) -> pl.LazyFrame:
    """The first date each merchant charged money, to recognise money back as a refund."""
    first = (rows.filter(pl.col("amount") < 0).group_by("merchant")
             .agg(_first_charge=pl.col("date").min()))
    return rows.join(first, on="merchant", how="left")


def _with_pairs(rows: pl.LazyFrame) -> pl.LazyFrame:
    """Flag a debit in one account and a credit of the same amount and currency in another
    within TRANSFER_WINDOW, one to one (nearest date first), among rows no shop explains."""
    candidate = (pl.col("_pre_category").is_in(["other", "transfer", "loan_payments"])
                 & pl.col("bnpl_provider").is_null() & pl.col("_rule_kind").is_null()
                 & ~_flag("fee") & ~_flag("atm") & ~_flag("interest"))
    rows = rows.with_row_index("_row")
    base = rows.filter(candidate).select(
        "_row", "account_id", "date", "currency", "amount",
        _abs=pl.col("amount").abs().cast(pl.String))
    debits = base.filter(pl.col("amount") < 0).drop("amount").sort("date")
    credits = (base.filter(pl.col("amount") > 0).drop("amount")
               .rename({"_row": "_row_c", "account_id": "_acct_c"})
               .with_columns(_date_c=pl.col("date")).sort("date"))
    nearest = debits.join_asof(credits, on="date", by=["_abs", "currency"], strategy="nearest",
                               tolerance=TRANSFER_WINDOW, check_sortedness=False)
    matched = (
        nearest.filter(pl.col("_row_c").is_not_null() & (pl.col("_acct_c") != pl.col("account_id")))
        .with_columns(_gap=(pl.col("_date_c") - pl.col("date")).abs())
        .sort("_gap", "_row")
        .unique("_row_c", keep="first")  # one credit, one debit
    )
    flagged = pl.concat([matched.select(pl.col("_row")),
                         matched.select(pl.col("_row_c").alias("_row"))]).unique()
    return (rows.join(flagged.with_columns(_paired=pl.lit(True)), on="_row", how="left")
            .drop("_row"))
