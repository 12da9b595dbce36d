"""The user's rules (rules.toml in the config folder), hledger-style, validated with pydantic.

```toml
[holder]                      # your own names: a transfer to or from them is a transfer
names = ["Jane Doe"]

[[rules]]                     # rules are tried in order; the first that matches decides
if = "BLUE BOTTLE|PHILZ"      # regex on the raw description (case-insensitive)
merchant = "Coffee shops"     # set the merchant ...
category = "coffee"           # ... the category ...
kind = "purchase"             # ... and/or the kind

[[rules]]
if_merchant = "^Amazon$"      # regex on the merchant as enrichment found it
amount_min = -20              # amount range (money out is negative), inclusive
amount_max = 0
account = "chase-checking"    # one account id
category = "general_merchandise"
```
"""

from __future__ import annotations

import re
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from moneystory.enrich.taxonomy import CATEGORIES, KINDS
from moneystory.errors import ConfigError

EXAMPLE = '''[[rules]]
if = "BLUE BOTTLE|PHILZ"
category = "coffee"

[[rules]]
if = "TRANSFER TO JANE"
kind = "transfer"
'''


def _regex(value: str | None) -> str | None:
    """Compile with polars (the engine that will run it) so an unsupported pattern fails now."""
    if value is None:
        return None
    try:
        pl.select(pl.lit("").str.contains(value))
    except pl.exceptions.PolarsError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "invalid"
        raise ValueError(f"the pattern {value!r} is not a valid regular expression ({first})"
                         ) from None
    return value


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    if_description: str | None = Field(default=None, alias="if")
    if_merchant: str | None = None
    amount_min: Decimal | None = None
    amount_max: Decimal | None = None
    account: str | None = None
    merchant: str | None = None
    category: str | None = None
    kind: str | None = None
    note: str | None = None
    line: int = Field(default=0, exclude=True)  # where the rule starts in rules.toml

    _check_if = field_validator("if_description", "if_merchant")(_regex)

    @field_validator("category")
    @classmethod
    def _known_category(cls, value: str | None) -> str | None:
        if value is not None and value not in CATEGORIES:
            raise ValueError(f"category {value!r} is not one of: {', '.join(CATEGORIES)}")
        return value

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, value: str | None) -> str | None:
        if value is not None and value not in KINDS:
            raise ValueError(f"kind {value!r} is not one of: {', '.join(KINDS)}")
        return value

    @model_validator(mode="after")
    def _complete(self) -> Rule:
        conditions = (self.if_description, self.if_merchant, self.amount_min, self.amount_max,
                      self.account)
        if all(c is None for c in conditions):
            raise ValueError("it has no condition (if, if_merchant, amount_min, amount_max or "
                             "account)")
        if self.merchant is None and self.category is None and self.kind is None:
            raise ValueError("it sets nothing (merchant, category or kind)")
        if (self.amount_min is not None and self.amount_max is not None
                and self.amount_min > self.amount_max):
            raise ValueError(f"amount_min {self.amount_min} is above amount_max {self.amount_max}")
        return self

    def label(self, index: int, path: Path | None) -> str:
        where = f"{path.name}:{self.line}" if path is not None else f"rule {index + 1}"
        return f"rule {index + 1} ({where})" + (f": {self.note}" if self.note else "")

    def conditions(self) -> list[str]:
        parts = []
        if self.if_description is not None:
            parts.append(f"description ~ {self.if_description}")
        if self.if_merchant is not None:
            parts.append(f"merchant ~ {self.if_merchant}")
        if self.amount_min is not None and self.amount_max is not None:
            parts.append(f"amount {self.amount_min}..{self.amount_max}")
        elif self.amount_min is not None:
            parts.append(f"amount ≥ {self.amount_min}")
        elif self.amount_max is not None:
            parts.append(f"amount ≤ {self.amount_max}")
        if self.account is not None:
            parts.append(f"account = {self.account}")
        return parts

    def assignments(self) -> list[str]:
        return [f"{name} = {value}" for name, value in
                (("merchant", self.merchant), ("category", self.category), ("kind", self.kind))
                if value is not None]


class Holder(BaseModel):
    model_config = ConfigDict(extra="forbid")
    names: list[str] = Field(default_factory=list)


# enrichment packs a row's matching rules into one integer (pipeline._Combination)
MAX_RULES = 4096


class Rules(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rules: list[Rule] = Field(default_factory=list)
    holder: Holder = Field(default_factory=Holder)
    path: Path | None = Field(default=None, exclude=True)


def _rule_lines(text: str) -> list[int]:
    """1-based line of each [[rules]] header, in order."""
    return [n for n, line in enumerate(text.splitlines(), 1)
            if re.match(r"\s*\[\[\s*rules\s*\]\]", line)]


def _sentence(error: ValidationError) -> str:
    first = error.errors()[0]
    message = str(first.get("msg", "is invalid")).removeprefix("Value error, ")
    field = ".".join(str(p) for p in first.get("loc", ()) if not isinstance(p, int))
    if first.get("type") == "extra_forbidden":
        return f"it has an unknown field {field!r}"
    return f"{field}: {message}" if field and first.get("type") != "value_error" else message


def load_rules(path: Path) -> Rules:
    """The user's rules; a missing file is no rules; an invalid rule is a ConfigError at its
    file:line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Rules(path=path)
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"the rules file {path} cannot be read ({exc})", path=path) from exc
    try:
        data: dict[str, Any] = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"line (\d+)", str(exc))
        raise ConfigError(f"the rules file is not valid TOML ({exc})", path=path,
                          line=int(found.group(1)) if found else None,
                          hint="Fix the syntax, or see `moneystory rules` for an example") from exc
    lines = _rule_lines(text)
    raw_rules = data.pop("rules", [])
    if not isinstance(raw_rules, list):
        raise ConfigError("`rules` must be a list of [[rules]] tables", path=path)
    if len(raw_rules) > MAX_RULES:
        raise ConfigError(f"the rules file has {len(raw_rules)} rules; moneystory reads at most "
                          f"{MAX_RULES}", path=path,
                          hint="Merge rules that set the same thing into one regex (a|b|c)")
    rules = [_one_rule(raw, index, lines, path) for index, raw in enumerate(raw_rules)]
    try:
        return Rules.model_validate({**data, "rules": rules, "path": path})
    except ValidationError as exc:
        raise ConfigError(f"the rules file is invalid: {_sentence(exc)}", path=path) from exc


def _one_rule(raw: Any, index: int, lines: list[int], path: Path) -> Rule:
    line = lines[index] if index < len(lines) else None
    try:
        if not isinstance(raw, dict):
            raise ConfigError(f"rule {index + 1} is not a table", path=path, line=line)
        return Rule.model_validate({**raw, "line": line or 0})
    except ValidationError as exc:
        raise ConfigError(f"rule {index + 1} is invalid: {_sentence(exc)}", path=path, line=line,
                          hint="See `moneystory rules` for the fields a rule takes") from exc
