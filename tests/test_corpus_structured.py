"""Every OFX/QFX, QIF and CAMT file of ../shared/corpus read in-process against expected.json.

expected.json was computed independently (ofxtools/ofxparse, ElementTree, a manual QIF parser):
the count, the exact sum, the date span, the account ids, per-account figures where given.
Rows the importer marks pending are left out, as `moneystory import` does by default.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from moneystory.importers import parse_file
from moneystory.importers.base import ImportOptions, ParsedFile

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
FOLDERS = ("ofx", "qfx", "qif", "camt")
KIND_OF_STATEMENT = {"STMTRS": {"checking", "savings", "credit_card"},
                     "CCSTMTRS": {"credit_card"}, "INVSTMTRS": {"investment"}}


def _expected() -> dict[str, dict[str, Any]]:
    path = CORPUS / "expected.json"
    if not path.exists():
        return {}
    entries: dict[str, dict[str, Any]] = json.loads(path.read_text())
    return {name: e for name, e in sorted(entries.items()) if name.split("/")[0] in FOLDERS}


EXPECTED = _expected()


def _posted(parsed: ParsedFile) -> pl.DataFrame:
    return parsed.frame.filter(~pl.col("pending").fill_null(False))


def _problems(corpus: Path, name: str, want: dict[str, Any]) -> list[str]:
    path = corpus / name
    parsed = parse_file(path, path.read_bytes(), ImportOptions())
    rows = _posted(parsed)
    problems = []
    total = Decimal(rows["amount"].sum()) if rows.height else Decimal(0)
    if rows.height != want["n_transactions"]:
        problems.append(f"n={rows.height}, want {want['n_transactions']}")
    if total != Decimal(want["sum"]):
        problems.append(f"sum={total}, want {want['sum']}")
    if rows.height:
        span = (str(rows["date"].min()), str(rows["date"].max()))
        if span != (want["min_date"], want["max_date"]):
            problems.append(f"dates {span}, want {want['min_date']}..{want['max_date']}")
    refs = sorted(a.ref for a in parsed.accounts if a.ref is not None)
    if refs != sorted(want.get("account_ids") or []):
        problems.append(f"accounts {refs}, want {want.get('account_ids')}")
    for kind, account in zip(want.get("statement_kinds") or [], parsed.accounts, strict=False):
        if account.kind not in KIND_OF_STATEMENT[kind]:
            problems.append(f"account kind {account.kind} for a {kind}")
    for per in want.get("per_account") or []:
        mine = rows.filter(pl.col("account_ref") == per["acctid"])
        mine_sum = Decimal(mine["amount"].sum()) if mine.height else Decimal(0)
        if (mine.height, mine_sum) != (per["n"], Decimal(per["sum"])):
            problems.append(f"{per['acctid']}: n={mine.height} sum={mine_sum}, want {per}")
    if rows.height and want.get("currency"):
        currencies = sorted(set(rows["currency"].drop_nulls().to_list()))
        if currencies != sorted(want["currency"]):
            problems.append(f"currency {currencies}, want {want['currency']}")
    return problems


@pytest.mark.parametrize("name", list(EXPECTED) or ["(corpus absent)"])
def test_corpus_file_matches_expected(corpus: Path, name: str) -> None:
    assert not _problems(corpus, name, EXPECTED[name]), name


def test_corpus_structured_score(corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    failing = {name: p for name, want in EXPECTED.items() if (p := _problems(corpus, name, want))}
    with capsys.disabled():
        print(f"\nstructured corpus (ofx/qfx/qif/camt): {len(EXPECTED) - len(failing)}/"
              f"{len(EXPECTED)} files exact")
    assert not failing, failing
