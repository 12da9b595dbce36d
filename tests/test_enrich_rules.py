"""rules.toml: loading, validation errors at file:line, and how rules change enrichment."""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from moneystory.enrich import enrich, explain, load_rules
from moneystory.errors import ConfigError

sys.path.insert(0, str(Path(__file__).parent))
from test_enrich import stored


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_missing_file_is_no_rules(tmp_path: Path) -> None:
    rules = load_rules(tmp_path / "nope.toml")
    assert rules.rules == [] and rules.holder.names == []


def test_rules_load_with_their_lines(tmp_path: Path) -> None:
    path = write(tmp_path, '# mine\n\n[[rules]]\nif = "BLUE"\ncategory = "coffee"\n\n'
                           '[[rules]]\nif_merchant = "^Amazon$"\namount_min = -20.5\n'
                           'amount_max = 0\nkind = "purchase"\n')
    rules = load_rules(path)
    assert [r.line for r in rules.rules] == [3, 7]
    assert rules.rules[1].amount_min == Decimal("-20.5")


@pytest.mark.parametrize(("body", "line", "words"), [
    ('[[rules]]\nif = "X"\ncategory = "food"\n', 1, "category 'food' is not one of"),
    ('\n[[rules]]\nif = "X"\nkind = "shopping"\n', 2, "kind 'shopping' is not one of"),
    ('[[rules]]\nif = "X"\ncategory = "coffee"\n\n[[rules]]\nif = "("\ncategory = "coffee"\n',
     5, "not a valid regular expression"),
    ('[[rules]]\ncategory = "coffee"\n', 1, "has no condition"),
    ('[[rules]]\nif = "X"\n', 1, "sets nothing"),
    ('[[rules]]\nif = "X"\ncatgory = "coffee"\n', 1, "unknown field 'catgory'"),
    ('[[rules]]\nif = "X"\namount_min = 5\namount_max = 1\nkind = "fee"\n', 1,
     "amount_min 5 is above amount_max 1"),
])
def test_an_invalid_rule_names_its_file_and_line(tmp_path: Path, body: str, line: int,
                                                 words: str) -> None:
    path = write(tmp_path, body)
    with pytest.raises(ConfigError) as caught:
        load_rules(path)
    sentence = caught.value.sentence()
    assert f"{path}:{line}:" in sentence
    assert words in sentence
    assert sentence.count("\n") == 0


def test_toml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, '[[rules]]\nif = "X\n')
    with pytest.raises(ConfigError) as caught:
        load_rules(path)
    assert f"{path}:2" in caught.value.sentence()


def test_rules_win_over_every_other_source(tmp_path: Path) -> None:
    path = write(tmp_path, '[[rules]]\nif = "tesco"\nmerchant = "Tesco Express"\n'
                           'category = "coffee"\n\n'
                           '[[rules]]\nif_merchant = "^Tesco$"\namount_min = -5\n'
                           'kind = "fee"\n\n'
                           '[[rules]]\nif = "ZORBA"\naccount = "card"\ncategory = "travel"\n')
    rules = load_rules(path)
    rows = [
        {"description": "TESCO STORES 12", "amount": "-3", "bank_category": "Groceries"},
        {"description": "TESCO STORES 12", "amount": "-30"},
        {"description": "ZORBA TAVERNA", "amount": "-30", "account": "card"},
        {"description": "ZORBA TAVERNA", "amount": "-30"},
    ]
    out = enrich(stored(rows), rules).collect().to_dicts()
    assert [(r["merchant"], r["category"], r["kind"]) for r in out] == [
        ("Tesco Express", "coffee", "fee"),
        ("Tesco Express", "coffee", "purchase"),
        ("Zorba Taverna", "travel", "purchase"),
        ("Zorba Taverna", "restaurants", "purchase"),
    ]


def test_explain_names_the_rule(tmp_path: Path) -> None:
    path = write(tmp_path, '\n[[rules]]\nif = "netflix"\ncategory = "entertainment"\n')
    result = explain("NETFLIX.COM 866-579-7172 CA", load_rules(path))
    assert result.category.value == "entertainment"
    assert result.category.source == "rule 1 (rules.toml:2)"
    assert result.merchant.source == "alias table: NETFLIX COM"


def test_more_rules_than_enrichment_packs_is_one_clear_error(tmp_path: Path) -> None:
    from moneystory.enrich.rules import MAX_RULES

    path = write(tmp_path, '[[rules]]\nif = "X"\ncategory = "coffee"\n' * (MAX_RULES + 1))
    with pytest.raises(ConfigError, match=f"has {MAX_RULES + 1} rules; moneystory reads at "
                                          f"most {MAX_RULES}"):
        load_rules(path)
    path.write_text('[[rules]]\nif = "X"\ncategory = "coffee"\n' * MAX_RULES, encoding="utf-8")
    assert len(load_rules(path).rules) == MAX_RULES


@given(key=st.integers(0, 60_000_000), rules=st.integers(0, 4096), paired=st.booleans(),
       refund=st.booleans(), data=st.data())
def test_a_rows_combination_packs_and_unpacks_exactly(
        key: int, rules: int, paired: bool, refund: bool, data: st.DataObject) -> None:
    """pipeline._Combination: key, the rule setting each field (or none), pairing, refund."""
    import polars as pl

    from moneystory.enrich.pipeline import _Combination

    which = {f: data.draw(st.none() | st.integers(0, rules - 1)) if rules else None
             for f in _Combination.FIELDS}
    row = pl.DataFrame({"_i": [key], "_paired": [paired], "_refund": [refund],
                        **{f"_rule_{f}_i": pl.Series([v], dtype=pl.Int64)
                           for f, v in which.items()}})
    coded = _Combination(rules)
    back = row.select(_code=coded.code(pl.col("_refund"))).select(coded.parts())
    assert back.row(0, named=True) == {
        "_refund": refund, "_paired": paired, "_i": key,
        **{f"_rule_{f}_i": v for f, v in which.items()}}
