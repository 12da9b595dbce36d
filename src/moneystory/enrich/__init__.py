"""Enrichment: merchant, intermediary, category and kind for every transaction.

- `load_rules(path) -> Rules`: the user's rules.toml (missing file: no rules);
- `enrich(lf, rules) -> LazyFrame`: schema.STORED + schema.ENRICHED_EXTRA, vectorised, the
  string work done once per distinct descriptor;
- `explain(description, rules, ...) -> Explanation`: what one descriptor becomes, and why.
"""

from __future__ import annotations

from moneystory.enrich.explain import Decision, Explanation, explain
from moneystory.enrich.pipeline import enrich
from moneystory.enrich.rules import Rule, Rules, load_rules
from moneystory.enrich.tables import version as tables_version
from moneystory.enrich.taxonomy import CATEGORIES, CATEGORY_LABELS, KINDS

__all__ = [
    "CATEGORIES", "CATEGORY_LABELS", "KINDS", "Decision", "Explanation", "Rule", "Rules",
    "enrich", "explain", "load_rules", "tables_version",
]
