"""BNPL detection and the pledge on the bundled examples (examples/, two years, three accounts)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from moneystory import analysis, schema
from moneystory.analyzers.bnpl import find_bnpl
from moneystory.analyzers.pledge import Pledge, find_violations, legacy_plans
from moneystory.enrich import bnpl
from moneystory.paths import resolve_home

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
KEY = ["date", "amount", "description"]


@pytest.fixture(name="examples_lf", scope="module")
def _examples_lf(tmp_path_factory: pytest.TempPathFactory) -> pl.LazyFrame:
    statements = sorted((EXAMPLES / "statements").glob("*"))
    if not statements or not (EXAMPLES / "labels.csv").exists():
        pytest.skip(f"bundled examples not found in {EXAMPLES}; examples tests skipped")
    from typer.testing import CliRunner

    from moneystory.cli import app

    home = tmp_path_factory.mktemp("examples-home")
    result = CliRunner().invoke(app, ["--home", str(home), "import", *map(str, statements)])
    assert result.exit_code == 0, result.output
    return analysis.transactions(resolve_home(home))


def _expected() -> dict[str, object]:
    return json.loads((EXAMPLES / "expected.json").read_text())["bnpl"]  # type: ignore[no-any-return]


def test_precision_and_recall_on_the_examples(examples_lf: pl.LazyFrame) -> None:
    labels = pl.read_csv(EXAMPLES / "labels.csv", schema_overrides={
        "amount": schema.AMOUNT, "bnpl_provider": pl.String, "description": pl.String,
        "date": pl.Date})
    truth = labels.filter(pl.col("bnpl_provider").is_not_null()).select(KEY).unique()
    found = (examples_lf.filter(bnpl.is_bnpl_charge(pl.col("description"), pl.col("amount")))
             .select(KEY).collect())
    tp = found.join(truth, on=KEY, how="semi").height
    precision, recall = tp / max(1, found.height), tp / max(1, truth.height)
    print(f"\nBNPL on examples: {labels.height} rows, {truth.height} BNPL, "
          f"precision {precision:.3f}, recall {recall:.3f}")
    assert precision >= 0.98 and recall >= 0.95


def test_plans_and_late_fees_match_the_examples(examples_lf: pl.LazyFrame) -> None:
    report = find_bnpl(examples_lf, as_of=date(2023, 12, 31))
    expected = _expected()
    found = {(p.provider, p.first_date): p for p in report.plans if p.confidence == "high"}
    for plan in expected["plans"]:  # type: ignore[attr-defined]
        dates = [date.fromisoformat(i["date"]) for i in plan["instalments"]]
        match = found[(plan["provider"], dates[0])]
        assert match.instalments_total == len(dates)
        assert str(match.total) == plan["total"]
    assert len(found) == len(expected["plans"])  # type: ignore[arg-type]
    low = [p for p in report.plans if p.confidence == "low"]
    print(f"\nschedule-only plans on examples: {len(low)}")
    assert low == []
    fees = [-Decimal(f["amount"]) for f in expected["late_fees"]]  # type: ignore[attr-defined]
    assert report.late_fees == sum(fees, Decimal(0))


def test_pledge_on_the_examples_flags_the_new_plan_only(examples_lf: pl.LazyFrame) -> None:
    since = date.fromisoformat(_expected()["suggested_pledge_date"])  # type: ignore[arg-type]
    pledge = Pledge(pledge_id="demo", since=since, created_at=datetime(2023, 7, 1, tzinfo=UTC))
    report = find_bnpl(examples_lf, as_of=date(2023, 12, 31))
    violations = find_violations(examples_lf, pledge, report)
    new_plans = [p for p in _expected()["plans"] if not p["before_pledge_date"]]  # type: ignore[attr-defined]
    assert [(v.provider, v.date.isoformat()) for v in violations] == [
        (p["provider"], p["instalments"][0]["date"]) for p in new_plans]
    before = find_bnpl(examples_lf, as_of=since - timedelta(days=1))
    legacy = {p.provider: str(p.remaining) for p in legacy_plans(pledge, before)}
    assert legacy == {p["provider"]: p["legacy_after_pledge"]  # type: ignore[index]
                      for p in _expected()["plans"]  # type: ignore[attr-defined]
                      if p["before_pledge_date"] and p["legacy_after_pledge"] != "0.00"}
