"""The layered enrichment cache: per-batch keys, the store's key facts, windowed reads."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from moneystory import analysis, batchkeys, enrich, ingest, keys, schema
from moneystory.enrich import pipeline
from moneystory.paths import Home, resolve_home
from moneystory.store import Store

sys.path.insert(0, str(Path(__file__).parent))

from store_helpers import write_batch


@pytest.fixture(name="examples_home")
def _examples_home(home_dir: Path) -> Home:
    from moneystory.demo import example_files

    home = resolve_home(home_dir)
    ingest.import_files(home, example_files())
    return home


def _whole_store_enriched(home: Home) -> pl.DataFrame:
    """The reference: enrich() over every stored row at once, no cache involved."""
    return enrich.enrich(Store(home).scan(), enrich.load_rules(home.rules_file)).collect()


def _clear_cache(home: Home) -> None:
    for path in home.cache.glob("*.parquet"):
        path.unlink()


def test_a_window_equals_the_whole_store_filtered(examples_home: Home) -> None:
    _clear_cache(examples_home)
    start, end = date(2023, 1, 1), date(2023, 12, 31)
    window = analysis.transactions(examples_home, start=start, end=end).collect()
    names = {p.name.split("-")[0] for p in examples_home.cache.glob("*.parquet")}
    assert names == {"batchkeys", "keys", "enriched"}, "windowed read: no whole-store cache"
    reference = _whole_store_enriched(examples_home).filter(
        pl.col("date").is_between(start, end))
    assert window.height > 100
    assert_frame_equal(window, reference)
    # read again: from the window's cache, same rows
    assert_frame_equal(analysis.transactions(examples_home, start=start, end=end).collect(),
                       reference)


def test_the_whole_store_from_key_facts_equals_enrich(examples_home: Home) -> None:
    _clear_cache(examples_home)
    assert_frame_equal(analysis.transactions(examples_home).collect(),
                       _whole_store_enriched(examples_home))


def test_merged_batch_keys_equal_the_keys_of_all_rows(examples_home: Home) -> None:
    paths = Store(examples_home).batch_paths()
    assert len(paths) > 1
    parts = [batchkeys.batch_keys(examples_home, p) for p in paths]
    merged = keys.merge_keys(parts)
    at_once = keys.distinct_keys(Store(examples_home).scan()).collect()
    assert merged.height < sum(p.height for p in parts), "some keys recur across batches"
    assert_frame_equal(merged.select(at_once.columns), at_once)


def _made_from_rows(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The batches whose keys a report makes from their rows (not from a key table)."""
    made: list[str] = []
    real = keys.distinct_keys

    def counted(lf: pl.LazyFrame) -> pl.LazyFrame:
        made.append("rows")
        return real(lf)

    monkeypatch.setattr(keys, "distinct_keys", counted)
    return made


def test_an_import_keeps_its_batchs_key_table_and_reports_read_it(
        home_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from moneystory.demo import example_files

    home = resolve_home(home_dir)
    files = example_files()
    ingest.import_files(home, files[:-1])
    store = Store(home)
    for path in store.batch_paths():  # written by the import, equal to the batch's own keys
        kept = pl.read_parquet(store.derived_path(path, keys.KEY_TABLE))
        assert_frame_equal(keys.from_key_table(kept, pl.scan_parquet(path)),
                           keys.distinct_keys(pl.scan_parquet(path)).collect())
    made = _made_from_rows(monkeypatch)
    analysis.transactions(home).collect()  # a report: reads them, hashes no batch's rows
    assert made == []
    cached = {p.name: p.stat().st_mtime_ns for p in home.cache.glob("batchkeys-*.parquet")}
    assert len(cached) == len(files) - 1, "and keeps them in the cache for the next report"
    ingest.import_files(home, files[-1:])
    analysis.transactions(home).collect()
    assert made == []
    after = {p.name: p.stat().st_mtime_ns for p in home.cache.glob("batchkeys-*.parquet")}
    assert len(after) == len(files)
    assert all(after[name] == stamp for name, stamp in cached.items()), "read, not made again"
    assert len(list(home.cache.glob("keys-*.parquet"))) == 2  # current and the one before
    start = date(2022, 6, 1)
    assert_frame_equal(analysis.transactions(home, start=start).collect(),
                       _whole_store_enriched(home).filter(pl.col("date") >= start))


def test_batches_without_a_usable_key_table_get_theirs_made_and_cached(
        examples_home: Home, monkeypatch: pytest.MonkeyPatch) -> None:
    """A store of an older moneystory (no key tables) or a damaged table: the same rows."""
    store = Store(examples_home)
    paths = store.batch_paths()
    store.derived_path(paths[0], keys.KEY_TABLE).unlink()
    store.derived_path(paths[1], keys.KEY_TABLE).write_bytes(b"PAR1 damaged")
    _clear_cache(examples_home)
    start = date(2022, 6, 1)
    made = _made_from_rows(monkeypatch)
    window = analysis.transactions(examples_home, start=start).collect()
    assert made == ["rows", "rows"], "only the two without a usable table"
    monkeypatch.undo()
    assert_frame_equal(window,
                       _whole_store_enriched(examples_home).filter(pl.col("date") >= start))
    first = batchkeys.batch_keys(examples_home, paths[0])  # from the cache now: the same
    assert_frame_equal(first, keys.distinct_keys(pl.scan_parquet(paths[0])).collect())


def test_the_key_table_version_names_what_distinct_keys_gives() -> None:
    """Key tables outlive the code that wrote them: if this fails, distinct_keys() gives other
    rows than the tables stores hold, so bump keys.KEY_TABLE_VERSION, then this table."""
    rows = pl.DataFrame({
        "description": ["TESCO 12", "TESCO 12", "REFUND TESCO 12", "PAY", "TESCO 12"],
        "counterparty": [None, None, None, "ACME", None],
        "bank_category": [None, None, None, None, "Groceries"],
        "mcc": [None, None, None, None, "5411"],
        "date": [date(2023, 1, d) for d in (3, 2, 5, 1, 9)],
        "amount": [-4, -5, 4, 900, -1],
    }, schema_overrides={"amount": schema.AMOUNT})
    assert keys.KEY_TABLE == "keys1"
    table = keys.key_table(rows)
    assert table.rows() == [(0, -1, date(2023, 1, 2)), (2, 1, None), (3, 1, None),
                            (4, -1, date(2023, 1, 9))]
    assert "description" not in table.columns, "4 keys in 5 rows: their texts stay in the batch"
    many = pl.concat([rows.head(2)] * 8)  # 16 rows, 1 key: its texts are kept in the table
    assert keys.key_table(many).rows() == [(0, -1, date(2023, 1, 2), "TESCO 12", None, None,
                                            None)]
    assert keys.from_key_table(table, rows.lazy()).drop("_k").rows() == [
        (0, "TESCO 12", None, None, None, -1, date(2023, 1, 2)),
        (1, "REFUND TESCO 12", None, None, None, 1, None),
        (2, "PAY", "ACME", None, None, 1, None),
        (3, "TESCO 12", None, "Groceries", "5411", -1, date(2023, 1, 9)),
    ]


def test_a_changed_rule_changes_a_cached_window(examples_home: Home) -> None:
    start = date(2023, 1, 1)
    before = analysis.transactions(examples_home, start=start).collect()
    merchant = before.filter(pl.col("kind") == "purchase")["merchant"][0]
    examples_home.rules_file.parent.mkdir(parents=True, exist_ok=True)
    examples_home.rules_file.write_text(
        f'[[rules]]\nif_merchant = "^{merchant}$"\ncategory = "medical"\n', encoding="utf-8")
    after = analysis.transactions(examples_home, start=start).collect()
    assert set(after.filter(pl.col("merchant") == merchant)["category"]) == {"medical"}
    assert set(before.filter(pl.col("merchant") == merchant)["category"]) != {"medical"}


def test_a_repeated_review_is_read_back_and_a_rule_change_recomputes_it(
        examples_home: Home) -> None:
    from moneystory import story

    today = date(2024, 3, 1)
    first = story.year_review(examples_home, 2023, today=today)
    assert len(list(examples_home.cache.glob("report-*.json"))) == 1
    again = story.year_review(examples_home, 2023, today=today)
    assert again.model_dump_json() == first.model_dump_json()
    assert again == first
    story.year_review(examples_home, 2022, today=today)  # another year: its own entry
    assert len(list(examples_home.cache.glob("report-*.json"))) == 2
    examples_home.rules_file.parent.mkdir(parents=True, exist_ok=True)
    examples_home.rules_file.write_text(
        '[[rules]]\nif = "."\namount_max = 0\ncategory = "medical"\n', encoding="utf-8")
    changed = story.year_review(examples_home, 2023, today=today)
    assert [c.category for c in changed.top_categories] == ["medical"]
    assert [c.category for c in first.top_categories] != ["medical"]


def test_a_window_not_kept_reads_only_the_columns_asked_for(examples_home: Home) -> None:
    from moneystory import story

    _clear_cache(examples_home)
    start, end = date(2022, 1, 1), date(2023, 12, 31)
    window = analysis.transactions(examples_home, start=start, end=end, keep_window=False,
                                   columns=story.WINDOW_COLUMNS).collect()
    assert not list(examples_home.cache.glob("enriched-*.parquet")), "not kept"
    assert window.columns == list(story.WINDOW_COLUMNS)
    reference = _whole_store_enriched(examples_home).filter(
        pl.col("date").is_between(start, end)).select(story.WINDOW_COLUMNS)
    assert_frame_equal(window, reference)


def _counting(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Counts of the key facts made from scratch and after an import."""
    calls = {"scratch": 0, "after": 0, "after gave up": 0}
    scratch, after = pipeline.key_facts, pipeline.key_facts_after

    def counted_scratch(*args: object) -> pl.DataFrame:
        calls["scratch"] += 1
        return scratch(*args)  # type: ignore[arg-type]

    def counted_after(*args: object) -> pl.DataFrame | None:
        found = after(*args)  # type: ignore[arg-type]
        calls["after" if found is not None else "after gave up"] += 1
        return found

    monkeypatch.setattr(pipeline, "key_facts", counted_scratch)
    monkeypatch.setattr(pipeline, "key_facts_after", counted_after)
    return calls


def _facts_from_scratch(home: Home) -> pl.DataFrame:
    distinct = keys.distinct_keys(Store(home).scan()).collect()
    return pipeline.stored_facts(pipeline.key_facts(distinct,
                                                    enrich.load_rules(home.rules_file)))


def test_key_facts_after_each_import_equal_those_made_from_scratch(
        home_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from moneystory.demo import example_files

    home = resolve_home(home_dir)
    calls = _counting(monkeypatch)
    for number, path in enumerate(example_files(), start=1):
        ingest.import_files(home, [path])
        facts = analysis.key_facts(home, Store(home).batch_paths(),
                                   enrich.load_rules(home.rules_file),
                                   analysis.fingerprint(home, Store(home).batch_paths(),
                                                        with_hidden=False))
        made = calls["scratch"]
        assert_frame_equal(facts, _facts_from_scratch(home), check_row_order=True)
        calls["scratch"] = made  # the reference's own call is not the cache's
        assert calls["scratch"] + calls["after"] == number
    assert calls["scratch"] == 1 and calls["after"] == len(example_files()) - 1
    assert_frame_equal(analysis.transactions(home).collect(), _whole_store_enriched(home))


def _rows(*items: tuple[str, str, str | None]) -> pl.DataFrame:
    """STORED rows of (description, amount, counterparty), one a day from 1 March 2023."""
    frame = pl.DataFrame(
        {"account_id": "current", "date": [date(2023, 3, d) for d in range(1, len(items) + 1)],
         "amount": [a for _, a, _ in items], "currency": "EUR",
         "description": [d for d, _, _ in items], "counterparty": [c for _, _, c in items]},
    ).with_columns(pl.col("amount").str.to_decimal(scale=4))
    return schema.conform(frame, schema.STORED)


def test_a_new_holder_name_makes_every_key_fact_again(
        home_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = _rows
    home = resolve_home(home_dir)
    calls = _counting(monkeypatch)
    write_batch(home_dir, rows(("SEPA transfer", "-100", "JORDAN AVERY"),
                               ("REWE MARKT 0412", "-23.40", None)), "march.csv")
    first = analysis.transactions(home).collect()
    assert first["kind"].to_list() == ["purchase", "purchase"]
    # a move to savings names the holder: the earlier transfer to that name is one too
    write_batch(home_dir, rows(("TRANSFER TO SAVINGS", "-50", "JORDAN AVERY"),
                               ("REWE MARKT 0977", "-12.10", None)), "april.csv")
    second = analysis.transactions(home).collect().sort("date", "description")
    assert calls == {"scratch": 2, "after": 0, "after gave up": 1}
    assert second.filter(pl.col("counterparty") == "JORDAN AVERY")["kind"].to_list() == [
        "transfer", "transfer"]
    assert_frame_equal(second, _whole_store_enriched(home).sort("date", "description"))
    # a third import that teaches nothing new builds on the second's facts
    before = dict(calls)  # (the reference above made its facts from scratch too)
    write_batch(home_dir, rows(("REWE MARKT 0101", "-8.00", None)), "may.csv")
    analysis.transactions(home).collect()
    assert calls == {**before, "after": 1}


def test_a_new_spelling_of_an_earlier_shop_makes_every_key_fact_again(
        home_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Banks cut names: "ZORBLAT TAVERNA" was "ZORBLAT TAVERNA KREUZBERG" all along, and the
    longer spelling names both, the earlier rows too."""
    home = resolve_home(home_dir)
    calls = _counting(monkeypatch)
    write_batch(home_dir, _rows(("ZORBLAT TAVERNA", "-31.50", None),
                                ("QUENDOLIN BAKERY", "-4.20", None)), "march.csv")
    assert analysis.transactions(home).collect()["merchant"].to_list() == [
        "Zorblat Taverna", "Quendolin Bakery"]
    write_batch(home_dir, _rows(("ZORBLAT TAVERNA KREUZBERG", "-12.00", None),
                                ("QUENDOLIN BAKERY", "-3.80", None)), "april.csv")
    after = analysis.transactions(home).collect()
    assert calls == {"scratch": 2, "after": 0, "after gave up": 1}
    assert set(after.filter(pl.col("description").str.starts_with("ZORBLAT"))["merchant"]) == {
        "Zorblat Taverna Kreuzberg"}
    assert_frame_equal(after, _whole_store_enriched(home))
