"""Enrichment measured on the bundled examples (against their labels) and on the shared corpus."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from moneystory import analysis, ingest
from moneystory.enrich import CATEGORIES
from moneystory.enrich.summary import spending_amount
from moneystory.paths import Home, resolve_home
from moneystory.store import Store

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _imported(home_dir: Path, files: list[Path]) -> Home:
    home = resolve_home(home_dir)
    ingest.import_files(home, files)
    return home


def _other_share(frame: pl.DataFrame) -> Decimal:
    spending = frame.with_columns(s=spending_amount()).filter(pl.col("s") != 0)
    other = spending.filter(pl.col("category") == "other")["s"].sum()
    return Decimal(other) / Decimal(spending["s"].sum())


@pytest.fixture(name="examples_home")
def _examples_home(home_dir: Path) -> Home:
    from moneystory.demo import example_files

    return _imported(home_dir, example_files())


def test_examples_leave_under_5_percent_of_spending_uncategorised(examples_home: Home) -> None:
    frame = analysis.transactions(examples_home).collect()
    share = _other_share(frame)
    merchants, descriptions = frame["merchant"].n_unique(), frame["description"].n_unique()
    print(f"\nexamples: {share:.2%} of spending in 'other'; {descriptions} distinct descriptions "
          f"→ {merchants} merchants")
    assert share < Decimal("0.05")
    assert merchants < descriptions / 2


def test_examples_kinds_and_categories_match_their_labels(examples_home: Home) -> None:
    frame = analysis.transactions(examples_home).collect()
    files = {r["import_id"]: Path(r["file"]).name for r in Store(examples_home).read_log().live()}
    labels = pl.read_csv(EXAMPLES / "labels.csv", infer_schema=False).with_columns(
        pl.col("line").cast(pl.Int64))
    joined = frame.with_columns(file=pl.col("import_id").replace_strict(files)).join(
        labels, left_on=["file", "source_row"], right_on=["file", "line"], suffix="_label")
    assert joined.height == labels.height
    accuracy = {f: (joined[f] == joined[f"{f}_label"]).mean() for f in ("kind", "category")}
    print(f"\nexamples vs labels: kind {accuracy['kind']:.1%}, "
          f"category {accuracy['category']:.1%}")
    assert accuracy["kind"] >= 0.99
    assert accuracy["category"] >= 0.93
    # transfers between the person's own accounts are never spending or income
    own = joined.filter(pl.col("kind_label") == "transfer")
    assert own["kind"].to_list() == ["transfer"] * own.height


def test_corpus_merchants_and_uncategorised_share(home_dir: Path, corpus: Path) -> None:
    files = sorted(p for p in corpus.rglob("*") if p.is_file()
                   and p.suffix.lower() in {".csv", ".ofx", ".qfx", ".qif", ".xml"})
    home = _imported(home_dir, files)
    frame = analysis.transactions(home).collect()
    share = _other_share(frame)
    merchants, descriptions = frame["merchant"].n_unique(), frame["description"].n_unique()
    print(f"\ncorpus: {frame.height} rows, {share:.1%} of spending in 'other' (mostly "
          f"placeholder text and payments to people); {descriptions} distinct descriptions "
          f"→ {merchants} merchants")
    assert frame.height > 400
    assert merchants < descriptions
    assert set(frame["category"]) <= set(CATEGORIES)
