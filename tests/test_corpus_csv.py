"""Every CSV of ../shared/corpus imports with no options and matches expected.json.

The same check as shared/tools/corpus_score.py, in process: import into a fresh home through
the CLI, read the rows back with `transactions --json`, compare count, exact sum and date span.
Where an entry gives posted-only figures, skipping pending rows must give those figures.
Skipped, with a message, when the corpus is absent.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"


def _csv_entries() -> list[str]:
    expected = CORPUS / "expected.json"
    if not expected.exists():
        return []
    return sorted(k for k in json.loads(expected.read_text()) if k.startswith("csv/"))


def alternatives(exp: dict[str, Any]) -> list[tuple[int, Decimal]]:
    """The whole-file figure, plus the posted-only one where the entry defines it."""
    n = int(exp["n_transactions"])
    alts = [(n, Decimal(str(exp["sum"])))]
    for n_key, s_key in (("n_pending", "sum_posted_only"), ("n_vorgemerkt", "sum_gebucht_only")):
        if n_key in exp and s_key in exp:
            alts.append((n - int(exp[n_key]), Decimal(str(exp[s_key]))))
    if "n_completed" in exp and "sum_completed" in exp:
        alts.append((int(exp["n_completed"]), Decimal(str(exp["sum_completed"]))))
    return alts


def check(name: str, exp: dict[str, Any], home: Path) -> tuple[bool, str]:
    from moneystory.cli import app

    runner = CliRunner()
    imported = runner.invoke(app, ["--home", str(home), "import", str(CORPUS / name), "--json"])
    if imported.exit_code != 0:
        return False, f"import exit {imported.exit_code}: {imported.output.strip()[-200:]}"
    listed = runner.invoke(app, ["--home", str(home), "transactions", "--json"])
    rows = json.loads(listed.stdout)["transactions"]
    n = len(rows)
    total = sum((Decimal(str(r["amount"])) for r in rows), Decimal(0))
    dates = sorted(str(r["date"])[:10] for r in rows if r.get("date"))
    for want_n, want_sum in alternatives(exp):
        if (n, total) == (want_n, want_sum):
            if n and not (dates[0] in (exp["min_date"], exp.get("min_completed_date"))
                          and dates[-1] in (exp["max_date"], exp.get("max_completed_date"))):
                return False, f"dates {dates[0]}..{dates[-1]}"
            return True, f"n={n} sum={total}"
    return False, f"got n={n} sum={total}; want one of {alternatives(exp)}"


@pytest.fixture(name="expected")
def _expected(corpus: Path) -> dict[str, Any]:
    return json.loads((corpus / "expected.json").read_text())


@pytest.mark.parametrize("name", _csv_entries() or ["(corpus absent)"])
def test_corpus_csv_file(name: str, expected: dict[str, Any], tmp_path: Path) -> None:
    passed, why = check(name, expected[name], tmp_path)
    assert passed, f"{name}: {why}"


def test_corpus_csv_score(expected: dict[str, Any], tmp_path: Path,
                          capsys: pytest.CaptureFixture[str]) -> None:
    names = _csv_entries()
    results = {name: check(name, expected[name], tmp_path / str(i))
               for i, name in enumerate(names)}
    passed = sum(ok for ok, _ in results.values())
    with capsys.disabled():
        print(f"\ncorpus CSV: {passed}/{len(names)} files exact")
    failing = {n: why for n, (ok, why) in results.items() if not ok}
    assert passed == len(names), failing
