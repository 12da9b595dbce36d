"""Golden file: `review 2023 --json` for the bundled examples, every figure checked independently.

The golden JSON (tests/golden/review-2023.json) pins the whole report so any change shows up as
a diff. Transaction ids are hashes the import owns, so the golden names each cited transaction
by what it is ("2023-06-19 -8.00 AFTERPAY LATE FEE") instead: a new id scheme changes nothing,
citing another transaction does. It is rewritten, not compared, when MONEYSTORY_UPDATE_GOLDEN=1:

    MONEYSTORY_UPDATE_GOLDEN=1 pytest tests/test_review_golden.py

Independently of the golden file, each figure is recomputed here by plain Python loops over the
rows the store holds (`transactions --json`), and the headline figures are compared with the
ledger the examples were generated from (examples/expected.json).
"""

from __future__ import annotations

import json
import os
from collections import Counter, defaultdict
from datetime import date
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
STATEMENTS = REPO / "examples" / "statements"
EXPECTED = REPO / "examples" / "expected.json"
GOLDEN = Path(__file__).with_name("golden") / "review-2023.json"
UPDATE = os.environ.get("MONEYSTORY_UPDATE_GOLDEN") == "1"
YEAR = 2023


def parse(text: str) -> Any:
    return json.loads(text, parse_float=D)


@pytest.fixture(name="examples", scope="module")
def _examples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The examples imported into a fresh home; the review and the stored rows as JSON."""
    files = sorted(STATEMENTS.glob("*")) if STATEMENTS.is_dir() else []
    if not files:
        pytest.skip(f"no bundled examples in {STATEMENTS}; golden review tests skipped")
    from typer.testing import CliRunner

    from moneystory.cli import app

    home = tmp_path_factory.mktemp("examples-home")
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(app, ["--home", str(home), *args])
        assert result.exit_code == 0, result.output
        return result.stdout

    run("import", "--currency", "USD", *map(str, files), "--json")  # QIF states no currency
    review_text = run("review", str(YEAR), "--json")
    rows = parse(run("transactions", "--json"))["transactions"]
    return {"review": parse(review_text), "rows": rows}


ID_KEYS = ("txn_id", "txn_ids", "late_fee_txn_ids")


def _named(value: Any, names: dict[str, str]) -> Any:
    """The review with every txn_id replaced by "date amount description" of its row."""
    if isinstance(value, dict):
        return {k: ([names[t] for t in v] if k in ID_KEYS and isinstance(v, list)
                    else names[v] if k in ID_KEYS else _named(v, names))
                for k, v in value.items()}
    if isinstance(value, list):
        return [_named(v, names) for v in value]
    return value


def _golden_view(examples: dict[str, Any]) -> Any:
    names = {r["txn_id"]: f"{r['date']} {r['amount']} {r['description']}"
             for r in examples["rows"]}
    return _named(examples["review"], names)


def _rows(examples: dict[str, Any], year: int) -> list[dict[str, Any]]:
    currency = examples["review"]["currency"]
    return [r for r in examples["rows"]
            if r["date"].startswith(str(year)) and r["currency"] == currency]


def _is_income(row: dict[str, Any]) -> bool:
    return row["kind"] == "income" or (row["kind"] == "interest" and row["amount"] > 0)


def _spend(row: dict[str, Any]) -> D:
    """What one row adds to spending (refunds subtract); 0 for transfers and income."""
    if row["kind"] == "transfer" or _is_income(row):
        return D(0)
    return -D(row["amount"])


def _is_outflow(row: dict[str, Any]) -> bool:
    return row["kind"] != "transfer" and not _is_income(row) and row["amount"] < 0


def test_golden_file(examples: dict[str, Any]) -> None:
    from moneystory.render.jsonout import dumps

    view = _golden_view(examples)
    if UPDATE:
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(dumps(view) + "\n", encoding="utf-8")
        pytest.skip(f"golden file rewritten: {GOLDEN} (review the diff before committing)")
    assert GOLDEN.exists(), (f"{GOLDEN} is missing; create it with "
                             "MONEYSTORY_UPDATE_GOLDEN=1 pytest tests/test_review_golden.py")
    expected = parse(GOLDEN.read_text(encoding="utf-8"))
    differences = _diff(expected, view)
    assert not differences, (
        "review 2023 differs from the golden file (first differences below). If the change is "
        "intended, rewrite it with MONEYSTORY_UPDATE_GOLDEN=1 and review the diff:\n"
        + "\n".join(differences[:20]))


def _diff(old: Any, new: Any, path: str = "$") -> list[str]:
    if isinstance(old, dict) and isinstance(new, dict):
        found = []
        for key in sorted(set(old) | set(new)):
            if key not in old or key not in new:
                found.append(f"{path}.{key}: only in {'golden' if key in old else 'new'}")
            else:
                found.extend(_diff(old[key], new[key], f"{path}.{key}"))
        return found
    if isinstance(old, list) and isinstance(new, list):
        if len(old) != len(new):
            return [f"{path}: {len(old)} items in golden, {len(new)} now"]
        return [d for i, (a, b) in enumerate(zip(old, new, strict=True))
                for d in _diff(a, b, f"{path}[{i}]")]
    return [] if old == new else [f"{path}: golden {old!r}, now {new!r}"]


def test_headline_figures_by_plain_loops(examples: dict[str, Any]) -> None:
    review, rows = examples["review"], _rows(examples, YEAR)
    income = sum((D(r["amount"]) for r in rows if _is_income(r)), D(0))
    spending = sum((_spend(r) for r in rows), D(0))
    assert review["transactions"] == len(rows)
    assert review["income"] == income
    assert review["spending"] == spending
    assert review["net"] == income - spending
    previous = _rows(examples, YEAR - 1)
    if previous:
        assert review["previous_year"]["spending"] == sum((_spend(r) for r in previous), D(0))
        assert review["previous_year"]["transactions"] == len(previous)


def test_months_weekdays_categories_by_plain_loops(examples: dict[str, Any]) -> None:
    review, rows = examples["review"], _rows(examples, YEAR)
    months: dict[str, D] = defaultdict(D)
    weekdays: dict[int, D] = defaultdict(D)
    visits: Counter[int] = Counter()
    categories: dict[str, D] = defaultdict(D)
    for row in rows:
        day = date.fromisoformat(row["date"])
        months[row["date"][:7]] += _spend(row)
        weekdays[day.weekday()] += _spend(row)
        visits[day.weekday()] += _is_outflow(row)
        if _spend(row):
            categories[row["category"] or "other"] += _spend(row)
    assert {m["month"]: m["spending"] for m in review["by_month"]} == {
        f"{YEAR}-{m:02d}": months.get(f"{YEAR}-{m:02d}", D(0)) for m in range(1, 13)}
    assert [d["spending"] for d in review["by_weekday"]] == [weekdays[i] for i in range(7)]
    assert [d["count"] for d in review["by_weekday"]] == [visits[i] for i in range(7)]
    peak = max(months.items(), key=lambda kv: (kv[1], kv[0]))
    assert review["peak_month"] == {"month": peak[0], "amount": peak[1]}
    positive = {c: a for c, a in categories.items() if a > 0}
    assert {c["category"]: c["amount"] for c in review["top_categories"]} == positive
    total = review["spending"]
    for cat in review["top_categories"]:
        assert abs(cat["share"] - cat["amount"] / total) < D("0.0001")


def test_merchants_and_expenses_by_plain_loops(examples: dict[str, Any]) -> None:
    review, rows = examples["review"], _rows(examples, YEAR)
    amounts: dict[str, D] = defaultdict(D)
    counts: Counter[str] = Counter()
    for row in rows:
        if row["kind"] == "transfer" or _is_income(row):
            continue
        name = row["merchant"] or row["description"]
        amounts[name] += _spend(row)
        counts[name] += _is_outflow(row)
    for merchant in review["top_merchants"] + review["top_merchants_by_visits"]:
        assert merchant["amount"] == amounts[merchant["merchant"]]
        assert merchant["count"] == counts[merchant["merchant"]]
    biggest = sorted((_spend(r) for r in rows if _is_outflow(r)), reverse=True)
    assert [e["amount"] for e in review["top_expenses"]] == biggest[:len(review["top_expenses"])]
    top_by_amount = max((a for m, a in amounts.items() if counts[m]), default=None)
    assert review["top_merchants"][0]["amount"] == top_by_amount


def test_findings_rest_on_stored_transactions(examples: dict[str, Any]) -> None:
    review = examples["review"]
    by_id = {r["txn_id"]: r for r in examples["rows"]}
    for item in review["subscriptions"]["items"]:
        charged = [by_id[t] for t in item["txn_ids"]]
        assert all(r["date"].startswith(str(YEAR)) for r in charged)
        assert item["paid"] == sum((_spend(r) for r in charged), D(0))
        assert item["charges"] == len(charged)
    for rise in review["subscriptions"]["price_rises"]:
        from moneystory.analyzers.review import CHARGES_PER_YEAR

        per_year = CHARGES_PER_YEAR[rise["cadence"]]
        assert rise["yearly_extra"] == (rise["new_amount"] - rise["old_amount"]) * per_year
    fee_total = D(0)
    for line in review["fees"]["items"]:
        assert all(t in by_id for t in line["txn_ids"])
        fee_total += line["amount"]
    assert review["fees"]["total"] == fee_total
    plans_paid = sum((sum((_spend(by_id[t]) for t in p["txn_ids"]), D(0))
                      for p in review["bnpl"]["plans"]), D(0))
    assert review["bnpl"]["amount"] == plans_paid
    for rec in review["recommendations"]:
        assert rec["message"] and rec["action"]
        assert rec["txn_ids"], f"{rec['kind']} rests on no transaction"
        assert all(t in by_id for t in rec["txn_ids"])
        assert rec["yearly_saving"] >= 0


def test_headline_matches_the_generators_ledger(examples: dict[str, Any]) -> None:
    """The whole pipeline (import, enrichment, review) against the examples' own ledger."""
    if not EXPECTED.exists():
        pytest.skip("examples/expected.json not found")
    truth = json.loads(EXPECTED.read_text(encoding="utf-8"))["years"][str(YEAR)]
    review = examples["review"]
    currencies = {c["currency"]: c for c in review["currencies"]}
    for code, figures in truth.items():  # spending does not depend on the currency gap below
        assert D(str(currencies[code]["spending"])) == D(str(figures["spending"])), code
    assert "XXX" not in currencies, "rows without a currency: --currency did not reach them"
    for code, figures in truth.items():
        assert code in currencies, f"no {code} section in the review"
        found = currencies[code]
        for key in ("transactions", "income", "spending", "net"):
            assert D(str(found[key])) == D(str(figures[key])), (code, key)
