"""Bank CSV dialects as data: a pydantic model of a profile TOML and the loader.

Built-in profiles live in importers/profiles/*.toml; the user's own in the config folder
(`ImportOptions.user_profiles_dir`) take precedence over a built-in with the same id. A column
is named by its header text (case and surrounding spaces ignored; `Währung#2` is the second
column of that name) or by its 1-based position (files without a header, unnamed columns).
"""

from __future__ import annotations

import re
import tomllib
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from moneystory.errors import ConfigError

Column = str | int
ACCOUNT_KINDS = ("checking", "savings", "credit_card", "investment", "wallet", "loan")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Detect(_Strict):
    """How to recognise the file. With a header: `header` cells (a subset) and/or a regex over
    the header line. Without one: the field count plus a regex per column that every data row
    matches. `preamble` must match some line before the header when given."""

    header: list[str] = Field(default_factory=list)
    header_regex: str | None = None
    preamble: str | None = None
    no_header: bool = False
    fields: int | None = None
    cells: dict[int, str] = Field(default_factory=dict)

    @field_validator("header_regex", "preamble")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            re.compile(value)
        return value

    @field_validator("cells")
    @classmethod
    def _cells_compile(cls, value: dict[int, str]) -> dict[int, str]:
        for pattern in value.values():
            re.compile(pattern)
        return value


class Columns(_Strict):
    date: Column
    date_fallback: Column | None = None  # used where `date` is empty (Revolut pending rows)
    value_date: Column | None = None
    description: list[Column] = Field(default_factory=list)
    amount: Column | None = None
    debit: Column | None = None
    credit: Column | None = None
    direction: Column | None = None
    currency: Column | None = None
    card: Column | None = None
    category: Column | None = None
    counterparty: list[Column] = Field(default_factory=list)
    memo: list[Column] = Field(default_factory=list)
    id: Column | None = None
    balance: Column | None = None
    status: Column | None = None
    account: Column | None = None

    @model_validator(mode="after")
    def _has_money(self) -> Columns:
        if self.amount is None and self.debit is None and self.credit is None:
            raise ValueError("name an `amount` column, or `debit` and/or `credit` columns")
        if self.direction is not None and self.amount is None:
            raise ValueError("a `direction` column needs an `amount` column")
        return self


class Direction(_Strict):
    """Values of the direction column; anything else is a row error, never a default."""

    money_in: list[str] = Field(default_factory=list, alias="in")
    money_out: list[str] = Field(default_factory=list, alias="out")


class Pending(_Strict):
    column: Column
    regex: str


class Profile(_Strict):
    id: str
    name: str
    institution: str
    country: str
    kind: Literal["checking", "savings", "credit_card", "investment", "wallet", "loan"] = (
        "checking"
    )
    currency: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    decimal: Literal[".", ","] | None = None
    date_format: str | None = None
    invert: bool = False  # card exports where purchases are positive
    # Unnamed fields past the header (rows longer than it) belong to the description.
    spill_into_description: bool = False
    # A row whose date and amount are empty continues the previous row's description.
    continuation_lines: bool = True
    card_from_description: str | None = None  # regex with one group: the card digits
    account_from_preamble: str | None = None  # regex with one group over the preamble lines
    # The current balance the preamble states (ING DE `Saldo;150,00;EUR`), checked against
    # the running balance of the newest row.
    balance_from_preamble: str | None = None
    skip: dict[str, str] = Field(default_factory=dict)  # column → regex: rows to drop
    detect: Detect
    columns: Columns
    direction: Direction | None = None
    pending: Pending | None = None
    source: Literal["built-in", "user"] = "built-in"
    path: str | None = None

    @field_validator("card_from_description", "account_from_preamble", "balance_from_preamble")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        if value is not None and re.compile(value).groups < 1:
            raise ValueError("needs one (group) around the part to keep")
        return value

    @property
    def specificity(self) -> int:
        d = self.detect
        return len(d.header) + len(d.cells) + (d.fields is not None) + bool(d.header_regex) + (
            bool(d.preamble)
        )


def _load(path: Path, source: Literal["built-in", "user"]) -> Profile:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"profile {path.name} is not valid TOML: {exc}", path=path,
                          hint="Fix the file or remove it") from exc
    data.setdefault("id", path.stem)
    try:
        return Profile.model_validate({**data, "source": source, "path": str(path)})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(top level)"
        raise ConfigError(
            f"profile {path.name}: field `{where}`: {first['msg']}", path=path,
            hint="Fix that field (`moneystory profiles` lists built-in profiles to copy from)",
        ) from exc


def builtin_paths() -> list[Path]:
    folder = resources.files("moneystory.importers") / "profiles"
    return sorted(Path(str(p)) for p in folder.iterdir() if p.name.endswith(".toml"))


_BUILTIN_CACHE: list[Profile] | None = None


def builtin_profiles() -> list[Profile]:
    global _BUILTIN_CACHE
    if _BUILTIN_CACHE is None:
        _BUILTIN_CACHE = [_load(path, "built-in") for path in builtin_paths()]
    return _BUILTIN_CACHE


def load_profiles(user_dir: Path | None) -> list[Profile]:
    """Built-ins plus the user's own; a user profile replaces a built-in with the same id."""
    profiles = {p.id: p for p in builtin_profiles()}
    if user_dir is not None and user_dir.is_dir():
        for path in sorted(user_dir.glob("*.toml")):
            profile = _load(path, "user")
            profiles[profile.id] = profile
    return list(profiles.values())
