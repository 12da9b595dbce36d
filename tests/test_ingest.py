"""Ingest below the parser: identity, dedup, pending, strict, dry run, accounts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moneystory import ingest, schema
from moneystory.errors import StatementError
from moneystory.importers.base import AccountInfo, ImportOptions
from moneystory.paths import resolve_home
from moneystory.store import Store

ROWS = [
    ("2024-05-01", "-3.75", "BLUE BOTTLE COFFEE"),
    ("2024-05-01", "-3.75", "BLUE BOTTLE COFFEE"),  # a second genuine coffee, same day
    ("2024-05-02", "-60.00", "SHELL OIL 5744"),
    ("2024-05-03", "1200.00", "PAYROLL"),
]


@pytest.fixture(name="store")
def _store(home_dir: Path) -> Store:
    return Store(resolve_home(home_dir))


def _import(store: Store, parsed, **kw) -> ingest.FileResult:  # type: ignore[no-untyped-def]
    return ingest.import_parsed(store, Path("statement.csv"), b"bytes", parsed, **kw)


def _identity(parsed, account: str | None = None) -> pl.DataFrame:  # type: ignore[no-untyped-def]
    rows, _, _ = ingest.prepare(parsed, account, include_pending=False)
    return rows


# ---------------------------------------------------------------- ids

def test_ids_are_xxh3_128_and_match_the_reference_library() -> None:
    keys = pl.Series(["", "abc", "chase\x1f2024-01-01\x1f-4.5000\x1fUSD\x1fstarbucks", "ünïcödé €"])
    fast = ingest.hash_keys(keys)
    assert fast.dtype == pl.UInt128
    assert fast.to_list() == ingest.reference_hashes(keys).to_list()
    assert fast[0] == ingest.EMPTY_KEY_HASH  # the published XXH3-128 vector for b""
    assert ingest.EMPTY_KEY_HASH == 204254712233039002205064565430793619839


def test_txn_ids_are_the_last_20_digits_zero_padded() -> None:
    hashes = pl.Series([ingest.EMPTY_KEY_HASH, 7, 10**20 + 42, 2**128 - 1], dtype=pl.UInt128)
    assert ingest.txn_digits(hashes).to_list() == [
        str(ingest.EMPTY_KEY_HASH)[-20:], "00000000000000000007", "00000000000000000042",
        str(2**128 - 1)[-20:]]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(max_size=40), min_size=1, max_size=30))
def test_plugin_and_reference_agree_on_any_text(texts: list[str]) -> None:
    keys = pl.Series(texts, dtype=pl.String)
    assert ingest.hash_keys(keys).to_list() == ingest.reference_hashes(keys).to_list()


def test_the_fallback_gives_the_same_ids(make_parsed, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    fast = _identity(make_parsed(ROWS))["txn_id"].to_list()
    monkeypatch.setattr(ingest, "_plugin_works", lambda: False)
    assert _identity(make_parsed(ROWS))["txn_id"].to_list() == fast


def test_identical_rows_in_one_file_get_distinct_ids(make_parsed) -> None:  # type: ignore[no-untyped-def]
    rows = _identity(make_parsed(ROWS))
    assert rows["txn_id"].n_unique() == 4
    assert rows["content_key"].n_unique() == 4
    assert all(len(t) == ingest.TXN_ID_DIGITS for t in rows["txn_id"])


def test_ids_do_not_depend_on_the_rest_of_the_file(make_parsed) -> None:  # type: ignore[no-untyped-def]
    whole = _identity(make_parsed(ROWS))
    part = _identity(make_parsed(ROWS[2:]))
    assert set(part["txn_id"]) <= set(whole["txn_id"])
    shuffled = _identity(make_parsed([ROWS[3], ROWS[0], ROWS[2], ROWS[1]]))
    assert set(shuffled["txn_id"]) == set(whole["txn_id"])


def test_description_case_does_not_change_the_key(make_parsed) -> None:  # type: ignore[no-untyped-def]
    # whitespace is squashed by the importers (importers.base.squash), case here
    plain = _identity(make_parsed([("2024-05-01", "-3.75", "Blue Bottle Coffee")]))
    upper = _identity(make_parsed([("2024-05-01", "-3.75", "BLUE BOTTLE coffee")]))
    other = _identity(make_parsed([("2024-05-01", "-3.75", "Blue Bottle Tea")]))
    assert plain["content_key"].to_list() == upper["content_key"].to_list()
    assert plain["content_key"].to_list() != other["content_key"].to_list()


def test_amount_date_account_and_currency_are_part_of_the_key(make_parsed) -> None:  # type: ignore[no-untyped-def]
    base = _identity(make_parsed([ROWS[2]]))["txn_id"][0]
    assert _identity(make_parsed([("2024-05-02", "-60.01", "SHELL OIL 5744")]))["txn_id"][0] != base
    assert _identity(make_parsed([("2024-05-03", "-60.00", "SHELL OIL 5744")]))["txn_id"][0] != base
    assert _identity(make_parsed([ROWS[2]], currency="EUR"))["txn_id"][0] != base
    assert _identity(make_parsed([ROWS[2]]), account="other")["txn_id"][0] != base


def test_a_trusted_bank_id_decides_identity(make_parsed) -> None:  # type: ignore[no-untyped-def]
    first = _identity(make_parsed([("2024-05-01", "-3.75", "COFFEE", "FIT-1")]))
    # the bank corrected the description later: same FITID, same transaction
    fixed = _identity(make_parsed([("2024-05-01", "-3.75", "COFFEE SHOP", "FIT-1")]))
    assert first["txn_id"].to_list() == fixed["txn_id"].to_list()
    assert first["content_key"].to_list() != fixed["content_key"].to_list()


@pytest.mark.parametrize("fitids", [("0", "0"), ("NONE", "none"), ("DUP", "DUP"), ("", "  ")])
def test_placeholder_and_reused_bank_ids_are_not_trusted(make_parsed, fitids) -> None:  # type: ignore[no-untyped-def]
    rows = [("2024-05-01", "-3.75", "COFFEE", fitids[0]),
            ("2024-05-02", "-9.00", "LUNCH", fitids[1])]
    with_ids = _identity(make_parsed(rows))
    without = _identity(make_parsed([r[:3] for r in rows]))
    assert with_ids["txn_id"].to_list() == without["txn_id"].to_list()


# ---------------------------------------------------------------- importing

def test_reimporting_adds_nothing(store: Store, make_parsed) -> None:  # type: ignore[no-untyped-def]
    first = _import(store, make_parsed(ROWS))
    second = _import(store, make_parsed(ROWS))
    assert (first.added, first.duplicates) == (4, 0)
    assert (second.rows, second.added, second.duplicates) == (4, 0, 4)
    assert store.scan().collect().height == 4
    assert len(store.read_log().imports) == 2  # the no-op import is still logged
    assert store.read_log().imports[1].get("batch") is None


def test_an_overlapping_statement_adds_only_the_new_rows(store: Store, make_parsed) -> None:  # type: ignore[no-untyped-def]
    _import(store, make_parsed(ROWS[:3]))
    result = _import(store, make_parsed([*ROWS[2:], ("2024-05-04", "-8.00", "LUNCH")]))
    assert (result.added, result.duplicates) == (2, 1)
    assert store.scan().collect().height == 5


def test_a_third_identical_coffee_in_a_later_file_is_new(store: Store, make_parsed) -> None:  # type: ignore[no-untyped-def]
    _import(store, make_parsed(ROWS[:2]))
    result = _import(store, make_parsed([ROWS[0]] * 3))
    assert (result.added, result.duplicates) == (1, 2)


def test_dry_run_writes_nothing_at_all(tmp_path: Path, make_parsed) -> None:  # type: ignore[no-untyped-def]
    home = resolve_home(tmp_path / "fresh")
    result = _import(Store(home), make_parsed(ROWS), dry_run=True)
    assert (result.rows, result.added, result.import_id) == (4, 4, None)
    assert not home.data.exists()


def test_dry_run_counts_duplicates_against_the_store(store: Store, make_parsed) -> None:  # type: ignore[no-untyped-def]
    _import(store, make_parsed(ROWS[:2]))
    before = sorted(p.name for p in store.home.store.rglob("*"))
    log = store.home.import_log.read_bytes()
    result = _import(store, make_parsed(ROWS), dry_run=True)
    assert (result.added, result.duplicates) == (2, 2)
    assert sorted(p.name for p in store.home.store.rglob("*")) == before
    assert store.home.import_log.read_bytes() == log


def test_pending_rows_are_skipped_and_counted(store: Store, make_parsed) -> None:  # type: ignore[no-untyped-def]
    result = _import(store, make_parsed(ROWS, pending={3}))
    assert (result.rows, result.added, result.pending_skipped) == (3, 3, 1)
    kept = _import(store, make_parsed(ROWS, pending={3}),
                   options=ImportOptions(include_pending=True))
    assert (kept.added, kept.pending_skipped) == (1, 0)


def test_rejected_rows_are_listed_and_the_rest_imported(store: Store, make_parsed) -> None:  # type: ignore[no-untyped-def]
    parsed = make_parsed(ROWS, rejected=[(7, "unreadable date '31/31/2024'")])
    result = _import(store, parsed)
    assert result.added == 4
    assert [(i.line, i.reason) for i in result.rejected] == [(7, "unreadable date '31/31/2024'")]
    assert store.read_log().imports[0]["rejected"] == 1


def test_strict_aborts_the_file_on_a_rejected_row(store: Store, make_parsed) -> None:  # type: ignore[no-untyped-def]
    parsed = make_parsed(ROWS, rejected=[(7, "unreadable amount 'abc'")])
    with pytest.raises(StatementError) as caught:
        _import(store, parsed, options=ImportOptions(strict=True))
    assert caught.value.line == 7
    assert "statement.csv:7" in caught.value.sentence()
    assert not store.home.store.exists()


def test_accounts_get_readable_ids_with_the_last_four_only(make_parsed) -> None:  # type: ignore[no-untyped-def]
    parsed = make_parsed(ROWS, account_ref="4111111111111234", institution="Chase")
    rows, accounts, _ = ingest.prepare(parsed, None, include_pending=False)
    assert set(rows["account_id"]) == {"chase-1234"}
    assert list(accounts) == ["chase-1234"]
    assert "4111" not in "".join(accounts)
    named, _, _ = ingest.prepare(make_parsed(ROWS), "My Checking", include_pending=False)
    assert set(named["account_id"]) == {"my-checking"}


def test_several_accounts_in_one_file(make_parsed) -> None:  # type: ignore[no-untyped-def]
    one = make_parsed(ROWS[:2], account_ref="11112222")
    two = make_parsed(ROWS[2:], account_ref="33334444")
    parsed = make_parsed([])
    parsed.frame = pl.concat([one.frame, two.frame])
    parsed.accounts = [AccountInfo(ref="11112222", institution="Bank"),
                       AccountInfo(ref="33334444", institution="Bank")]
    rows, accounts, _ = ingest.prepare(parsed, None, include_pending=False)
    assert sorted(accounts) == ["bank-2222", "bank-4444"]
    assert rows.group_by("account_id").len().sort("account_id")["len"].to_list() == [2, 2]


def test_an_empty_parse_is_logged_without_a_batch(store: Store, make_parsed) -> None:  # type: ignore[no-untyped-def]
    result = _import(store, make_parsed([]))
    assert (result.rows, result.added) == (0, 0)
    assert not list(store.home.batches.iterdir())


def test_import_files_reports_a_bad_file_and_imports_the_others(
    home_dir: Path, tmp_path: Path
) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    results = ingest.import_files(resolve_home(home_dir), [empty, tmp_path / "missing.csv"])
    assert [type(r.error).__name__ for r in results] == ["StatementError", "StatementError"]
    assert "empty" in results[0].error.sentence()  # type: ignore[union-attr]
    assert "no such file" in results[1].error.sentence()  # type: ignore[union-attr]


def test_identity_scales_to_many_rows_with_repeats(make_parsed) -> None:  # type: ignore[no-untyped-def]
    """A scale check of the vectorised path (not a timing): 200k rows, many repeats."""
    rows = [(f"2024-0{i % 9 + 1}-1{i % 10}", f"-{i % 50}.00", f"SHOP {i % 300}")
            for i in range(200_000)]
    ids = _identity(make_parsed(rows))
    assert ids["txn_id"].n_unique() == 200_000


# ---------------------------------------------------------------- fuzzy suggestions

def test_a_near_duplicate_is_suggested_but_never_dropped(store: Store, make_parsed) -> None:  # type: ignore[no-untyped-def]
    _import(store, make_parsed([("2024-05-02", "-60.00", "SHELL OIL 5744 SEATTLE WA")]))
    result = _import(store, make_parsed([
        ("2024-05-05", "-60.00", "SHELL OIL 57444 SEATTLE"),  # 3 days later, similar text
        ("2024-05-05", "-60.00", "PIZZA PALACE"),  # same amount, other text
        ("2024-05-09", "-60.00", "SHELL OIL 5744 SEATTLE WA"),  # a week later: a new fill-up
    ]))
    assert result.added == 3  # nothing dropped
    (dup,) = result.possible_duplicates
    assert dup["line"] == 2 and dup["description"] == "SHELL OIL 57444 SEATTLE"
    assert str(dup["stored_date"]) == "2024-05-02"
    assert store.scan().collect().height == 4


def test_no_suggestions_on_an_empty_store_or_a_pure_reimport(store: Store, make_parsed) -> None:  # type: ignore[no-untyped-def]
    assert _import(store, make_parsed(ROWS)).possible_duplicates == []
    assert _import(store, make_parsed(ROWS)).possible_duplicates == []


def test_a_replaced_card_stays_the_same_account(make_parsed) -> None:  # type: ignore[no-untyped-def]
    old_card = make_parsed(ROWS[:2], institution="Capital One")
    old_card.accounts[0].card_last4 = "4417"
    new_card = make_parsed(ROWS[2:], institution="Capital One")  # the file names no single card
    (old_id,) = ingest.prepare(old_card, None, include_pending=False)[1]
    (new_id,) = ingest.prepare(new_card, None, include_pending=False)[1]
    assert old_id == new_id == "capital-one"


def test_ids_are_pinned() -> None:
    """The same row must get the same id on every version of moneystory, polars and Python:
    a changed value here means every existing store would re-import everything as new."""
    frame = schema.conform(pl.DataFrame({
        "date": [date(2024, 3, 18)] * 2, "amount": [Decimal("-5.45")] * 2,
        "currency": ["USD"] * 2, "description": ["STARBUCKS STORE 03446 SEATTLE WA 03/16"] * 2,
    }), schema.RAW).with_columns(account_id=pl.lit("chase"))
    assert ingest.with_identity(frame)["txn_id"].to_list() == [
        "70916487143268167273", "35270451943069663323",
    ]


# ---------------------------------------------------------------- currency for files without one

def _stored_currencies(store: Store) -> list[str | None]:
    return store.scan().select("currency").collect()["currency"].unique().to_list()


def test_currency_option_fills_rows_that_have_none(store: Store, make_parsed) -> None:  # type: ignore[no-untyped-def]
    result = _import(store, make_parsed(ROWS, currency=None, fmt="qif"), currency="usd")
    assert result.added == 4
    assert not any("currency" in w for w in result.warnings)
    assert _stored_currencies(store) == ["USD"]
    assert store.read_log().accounts[result.accounts[0]]["currency"] == "USD"


def test_the_currency_option_never_overrides_one_the_file_states(store: Store, make_parsed) -> None:  # type: ignore[no-untyped-def]
    _import(store, make_parsed(ROWS, currency="EUR"), currency="USD")
    assert _stored_currencies(store) == ["EUR"]


def test_without_the_option_the_accounts_known_currency_is_used(store: Store, make_parsed) -> None:  # type: ignore[no-untyped-def]
    _import(store, make_parsed(ROWS[:2], currency=None, fmt="qif"), currency="GBP")
    later = _import(store, make_parsed(ROWS[2:], currency=None, fmt="qif"))
    assert later.added == 2 and not later.warnings
    assert _stored_currencies(store) == ["GBP"]


def test_an_unknown_currency_is_left_null_with_a_warning(store: Store, make_parsed) -> None:  # type: ignore[no-untyped-def]
    result = _import(store, make_parsed(ROWS, currency=None, fmt="qif"))
    assert result.added == 4
    assert _stored_currencies(store) == [None]
    (warning,) = result.warnings
    assert "does not say its currency" in warning and "--currency" in warning


def test_importing_again_with_the_currency_option_adds_nothing(store: Store, make_parsed) -> None:  # type: ignore[no-untyped-def]
    """The identity uses the currency as the file states it, so --currency changes no key."""
    first = _import(store, make_parsed(ROWS, currency=None, fmt="qif"))
    again = _import(store, make_parsed(ROWS, currency=None, fmt="qif"), currency="USD")
    assert (first.added, again.added, again.duplicates) == (4, 0, 4)


@pytest.mark.parametrize("code", ["US", "usd1", "XYZ", "€", ""])
def test_a_wrong_currency_code_is_a_usage_problem(code: str) -> None:
    from moneystory.errors import UsageProblem

    with pytest.raises(UsageProblem, match="ISO 4217"):
        ingest.currency_code(code)


def test_the_import_log_keeps_no_full_iban_from_a_file_name(store: Store, make_parsed,  # type: ignore[no-untyped-def]
                                                            tmp_path: Path) -> None:
    """ING names its exports after the IBAN; dates in file names stay readable."""
    named = tmp_path / "Umsatzanzeige_DE52500105175419334871_20231231.csv"
    ingest.import_parsed(store, named, b"bytes", make_parsed(ROWS))
    (record,) = store.read_log().imports
    assert record["file"].endswith("Umsatzanzeige_••4871_20231231.csv")
    assert "5419334871" not in (store.home.import_log).read_text()
    assert ingest.masked_path(Path("/x/transactions_20230101-20231231.csv")).endswith(
        "transactions_20230101-20231231.csv")


@pytest.mark.parametrize(("name", "expected"), [
    ("Société Générale", "societe-generale"), ("Crédit Agricole 8901", "credit-agricole-8901"),
    ("ING ••4871", "ing-4871"), ("???", "account"),
])
def test_account_slugs_fold_accents(name: str, expected: str) -> None:
    assert ingest.slug(name) == expected
