"""Dedup and exactness invariants, for any statement hypothesis can think of.

- importing a file twice adds nothing;
- a statement split into overlapping pieces (whole days) imported in any order equals the whole;
- identical rows within one file are all kept;
- sums are exact, to the last decimal.

Most run below the parser (ParsedFile built here) so they test the store and dedup alone; one
goes through the real CSV importer with a Chase-style file.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal
from itertools import pairwise
from pathlib import Path

import polars as pl
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from moneystory import ingest
from moneystory.importers.base import ImportOptions
from moneystory.paths import resolve_home
from moneystory.store import Store

START = date(2024, 1, 1)
SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])

descriptions = st.sampled_from([
    "STARBUCKS STORE 03446", "NETFLIX.COM", "TRADER JOE S #123", "PAYROLL ACME", "ATM WITHDRAWAL",
    "Zelle payment to MOM", "AMZN Mktp US*2K4", "Café Zürich",
])
amounts = st.one_of(
    st.integers(-500_000, 500_000).map(lambda c: Decimal(c).scaleb(-2)),
    st.integers(-10_000_000, 10_000_000).map(lambda c: Decimal(c).scaleb(-4)),
)
rows_strategy = st.lists(
    st.tuples(st.integers(0, 20), amounts, descriptions), min_size=1, max_size=40
).map(lambda rows: sorted(rows, key=lambda r: r[0]))  # a statement is in date order


def as_tuples(rows: list[tuple[int, Decimal, str]]) -> list[tuple[str, str, str]]:
    return [((START + timedelta(days=d)).isoformat(), str(a), text) for d, a, text in rows]


@contextmanager
def fresh_store() -> Iterator[Store]:
    with tempfile.TemporaryDirectory() as folder:
        yield Store(resolve_home(Path(folder) / "home"))


def _import(store: Store, make_parsed, rows) -> ingest.FileResult:  # type: ignore[no-untyped-def]
    return ingest.import_parsed(store, Path("s.csv"), b"", make_parsed(as_tuples(rows)))


def stored(store: Store) -> pl.DataFrame:
    return store.scan().select("txn_id", "date", "amount", "description").collect()


@SETTINGS
@given(rows=rows_strategy)
def test_importing_a_file_twice_adds_nothing(make_parsed, rows) -> None:  # type: ignore[no-untyped-def]
    with fresh_store() as store:
        first = _import(store, make_parsed, rows)
        before = stored(store).sort("txn_id")
        second = _import(store, make_parsed, rows)
        assert first.added == len(rows)
        assert (second.added, second.duplicates) == (0, len(rows))
        assert stored(store).sort("txn_id").equals(before)


@st.composite
def overlapping_pieces(draw):  # type: ignore[no-untyped-def]
    """A statement and pieces of it cut at day boundaries, each reaching back some whole days."""
    rows = draw(rows_strategy)
    last_day = rows[-1][0]
    cuts = sorted(draw(st.sets(st.integers(1, max(1, last_day)), max_size=4)))
    bounds = [0, *[c for c in cuts if c <= last_day], last_day + 1]
    pieces = []
    for low, high in pairwise(bounds):
        back = draw(st.integers(0, 5))  # the overlap with the piece before, in whole days
        pieces.append([r for r in rows if max(0, low - back) <= r[0] < high])
    order = draw(st.permutations(range(len(pieces))))
    return rows, [pieces[i] for i in order]


@SETTINGS
@given(case=overlapping_pieces())
def test_overlapping_pieces_in_any_order_equal_the_whole(make_parsed, case) -> None:  # type: ignore[no-untyped-def]
    rows, pieces = case
    with fresh_store() as whole, fresh_store() as pieced:
        _import(whole, make_parsed, rows)
        for piece in pieces:
            if piece:
                _import(pieced, make_parsed, piece)
        assert stored(pieced).sort("txn_id").equals(stored(whole).sort("txn_id"))
        assert stored(pieced).height == len(rows)


@SETTINGS
@given(row=st.tuples(st.integers(0, 20), amounts, descriptions), copies=st.integers(2, 6),
       others=rows_strategy)
def test_identical_rows_in_one_file_are_all_kept(make_parsed, row, copies, others) -> None:  # type: ignore[no-untyped-def]
    rows = sorted([*others, *([row] * copies)], key=lambda r: r[0])
    with fresh_store() as store:
        result = _import(store, make_parsed, rows)
        assert result.added == len(rows)
        kept = stored(store)
        same = kept.filter((pl.col("description") == row[2]) & (pl.col("amount") == row[1])
                           & (pl.col("date") == START + timedelta(days=row[0])))
        assert same.height >= copies
        assert kept["txn_id"].n_unique() == len(rows)


@SETTINGS
@given(rows=rows_strategy)
def test_sums_are_exact(make_parsed, rows) -> None:  # type: ignore[no-untyped-def]
    with fresh_store() as store:
        _import(store, make_parsed, rows)
        amounts_back = stored(store)["amount"]
        expected = sum((a for _, a, _ in rows), Decimal(0))
        assert amounts_back.sum() == expected
        assert sum(amounts_back.to_list(), Decimal(0)) == expected
        assert Counter(amounts_back.to_list()) == Counter(a for _, a, _ in rows)


# ---------------------------------------------------------------- through the CSV importer

def chase_csv(rows: list[tuple[int, Decimal, str]]) -> str:
    lines = ["Details,Posting Date,Description,Amount,Type,Balance,Check or Slip #"]
    balance = Decimal("10000.00")
    for day, amount, text in rows:
        cents = amount.quantize(Decimal("0.01"))
        balance += cents
        when = START + timedelta(days=day)
        kind = "CREDIT" if cents > 0 else "DEBIT"
        lines.append(f'{kind},{when:%m/%d/%Y},"{text}",{cents},MISC,{balance},,')
    return "\n".join(lines) + "\n"


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=overlapping_pieces())
def test_csv_pieces_through_the_importer_equal_the_whole(case) -> None:  # type: ignore[no-untyped-def]
    rows, pieces = case
    rows = [(d, a.quantize(Decimal("0.01")), t) for d, a, t in rows if a.quantize(
        Decimal("0.01")) != 0]
    if not rows:
        return
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        whole_file = base / "whole.csv"
        whole_file.write_text(chase_csv(rows))
        options = ImportOptions()  # detected by content, like a user's import
        whole, pieced = Store(resolve_home(base / "a")), Store(resolve_home(base / "b"))
        ingest.import_file(whole, whole_file, options=options)
        for i, piece in enumerate(pieces):
            piece = [(d, a.quantize(Decimal("0.01")), t) for d, a, t in piece
                     if a.quantize(Decimal("0.01")) != 0]
            if piece:
                path = base / f"piece{i}.csv"
                path.write_text(chase_csv(piece))
                ingest.import_file(pieced, path, options=options)
        assert stored(pieced).sort("txn_id").equals(stored(whole).sort("txn_id"))
        assert stored(whole).height == len(rows)
        assert stored(whole)["amount"].sum() == sum((a for _, a, _ in rows), Decimal(0))


# ------------------------------------------------------------ key facts after an import
_WORDS = ["ZORBLAT", "TAVERNA", "KREUZBERG", "QUEN", "BAKERY", "TESCO", "STORES", "SAVINGS",
          "TRANSFER", "TO", "JORDAN", "AVERY", "SEPA", "NETFLIX.COM", "SQ", "*BLUE", "BOTTLE"]
_texts = st.lists(st.sampled_from(_WORDS), min_size=1, max_size=4).map(" ".join)
_key_rows = st.lists(st.tuples(_texts, st.sampled_from([None, "JORDAN AVERY", "SAM LEE"]),
                               st.integers(0, 999), st.sampled_from([-1, 1])),
                     min_size=1, max_size=25)


def _stored_rows(items: list[tuple[str, str | None, int, int]]) -> pl.LazyFrame:
    from moneystory import schema

    frame = pl.DataFrame({
        "account_id": "a", "date": [START + timedelta(days=i) for i in range(len(items))],
        "currency": "EUR", "description": [f"{t} {n}" for t, _, n, _ in items],
        "counterparty": [c for _, c, _, _ in items],
        "amount": [Decimal(s * (n + 1)) for _, _, n, s in items],
    })
    return schema.conform(frame.with_columns(pl.col("amount").cast(schema.AMOUNT)),
                          schema.STORED).lazy()


@settings(max_examples=30, deadline=None)
@given(before=_key_rows, after=_key_rows)
def test_key_facts_after_an_import_equal_those_of_the_whole(
        before: list[tuple[str, str | None, int, int]],
        after: list[tuple[str, str | None, int, int]]) -> None:
    """Whatever a new batch holds, the facts built on the earlier ones equal facts made from
    scratch, or the function says it cannot (None) and they are made from scratch."""
    from polars.testing import assert_frame_equal

    from moneystory import keys
    from moneystory.enrich import pipeline
    from moneystory.enrich.rules import Rules

    rules = Rules()
    old = keys.distinct_keys(_stored_rows(before)).collect()
    merged = keys.merge_keys([old, keys.distinct_keys(_stored_rows(after)).collect()])
    earlier = pipeline.stored_facts(pipeline.key_facts(old, rules))
    built = pipeline.key_facts_after(merged, rules, earlier)
    event("built on the earlier facts" if built is not None else "made from scratch")
    if built is not None:
        assert_frame_equal(built, pipeline.stored_facts(pipeline.key_facts(merged, rules)))


@settings(max_examples=60, deadline=None)
@given(items=st.lists(st.tuples(st.sampled_from(["TESCO 1", "TESCO 2", "PAY", "REFUND"]),
                                st.sampled_from([None, "SAM LEE"]), st.integers(-3, 3),
                                st.integers(0, 40)), min_size=0, max_size=30))
def test_distinct_keys_and_the_kept_key_table_are_what_a_plain_loop_finds(
        items: list[tuple[str, str | None, int, int]]) -> None:
    """Whatever the order of dates and signs (zero included): each key once, in order of
    first appearance, with the first day money went out under it; and the table the store
    keeps beside a batch gives that back, with its texts or without them."""
    from polars.testing import assert_frame_equal

    from moneystory import keys, schema

    rows = schema.conform(pl.DataFrame({
        "description": [t for t, _, _, _ in items], "counterparty": [c for _, c, _, _ in items],
        "amount": [Decimal(a) for _, _, a, _ in items],
        "date": [START + timedelta(days=d) for _, _, _, d in items],
    }, schema_overrides={"amount": schema.AMOUNT, "counterparty": pl.String,
                         "description": pl.String}), schema.STORED)
    expected: dict[tuple[str, str | None, int], date | None] = {}
    for text, party, amount, day in items:  # the oracle: one key after another
        key = (text, party, (amount > 0) - (amount < 0))
        first = expected.setdefault(key, None)
        if amount < 0 and (first is None or START + timedelta(days=day) < first):
            expected[key] = START + timedelta(days=day)
    found = keys.distinct_keys(rows.lazy()).collect()
    assert found["_i"].to_list() == list(range(len(expected)))
    assert [(r["description"], r["counterparty"], r["_sign"], r["_first_charge_key"])
            for r in found.iter_rows(named=True)] == [(*k, d) for k, d in expected.items()]
    kept_under = keys.TEXTS_KEPT_UNDER
    try:
        for keys.TEXTS_KEPT_UNDER in (0.0, 2.0):  # the texts left in the batch, then kept
            table = keys.key_table(rows)
            kept = keys.TEXTS_KEPT_UNDER > 0 and len(items) > 0
            assert ("description" in table.columns) == kept
            assert_frame_equal(keys.from_key_table(table, rows.lazy()), found)
    finally:
        keys.TEXTS_KEPT_UNDER = kept_under
