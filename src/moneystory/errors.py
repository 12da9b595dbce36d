"""The one error type library code raises; the CLI turns it into one sentence on stderr.

Layer 0: imports nothing of moneystory.
"""

from __future__ import annotations

from enum import IntEnum
from pathlib import Path


class ExitCode(IntEnum):
    OK = 0
    DATA_ERROR = 1
    USAGE = 2
    VIOLATIONS = 3  # `check` found pledge violations (for cron)
    UNEXPECTED = 4
    INTERRUPTED = 130


class MoneystoryError(Exception):
    """A problem the user can act on: what went wrong, where, and what to do.

    `message` says what and where (file:line when there is one); `hint` says what to do.
    """

    code = "error"
    exit_code: int = ExitCode.DATA_ERROR

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        path: Path | str | None = None,
        line: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.path = Path(path) if path is not None else None
        self.line = line

    @property
    def where(self) -> str | None:
        if self.path is None:
            return None
        return f"{self.path}:{self.line}" if self.line else str(self.path)

    def sentence(self) -> str:
        """The whole error as the user reads it: where, what, what to do."""
        text = self.message.rstrip(".")
        if self.where and self.where not in text:
            text = f"{self.where}: {text}"
        if self.hint:
            hint = self.hint.rstrip(".")
            text = f"{text}. {hint[:1].upper()}{hint[1:]}."
        else:
            text += "."
        return text


class UsageProblem(MoneystoryError):
    code = "usage"
    exit_code = ExitCode.USAGE


class StatementError(MoneystoryError):
    """A file that cannot be read as a statement (empty, binary, truncated, unknown layout)."""

    code = "statement"


class DetectionError(StatementError):
    code = "detection"


class ConfigError(MoneystoryError):
    """A user file (rules.toml, a profile) that does not validate."""

    code = "config"


class StoreError(MoneystoryError):
    code = "store"


class StoreLocked(StoreError):
    code = "store-locked"
