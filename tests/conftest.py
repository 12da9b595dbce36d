"""Shared fixtures: a throwaway home, a CLI runner, and the shared corpus when it is there."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
EXAMPLES = REPO / "examples"


@pytest.fixture(autouse=True)
def _quiet_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.setenv("TERM", "dumb")
    monkeypatch.setenv("MONEYSTORY_HOME", str(tmp_path / "default-home"))


@pytest.fixture(name="home_dir")
def _home_dir(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


@pytest.fixture(name="cli")
def _cli(home_dir: Path):  # type: ignore[no-untyped-def]
    """Run `moneystory --home HOME ARGS...` in process; returns the click Result."""
    from moneystory.cli import app

    runner = CliRunner()

    def run(*args: str, input: str | None = None):  # type: ignore[no-untyped-def]
        return runner.invoke(app, ["--home", str(home_dir), *args], input=input)

    return run


@pytest.fixture(name="cli_json")
def _cli_json(cli):  # type: ignore[no-untyped-def]
    """Run a command with --json and return the parsed document (asserting exit 0)."""

    def run(*args: str):  # type: ignore[no-untyped-def]
        result = cli(*args, "--json")
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    return run


@pytest.fixture(name="corpus")
def _corpus() -> Path:
    if not (CORPUS / "expected.json").exists():
        pytest.skip(f"shared corpus not found at {CORPUS}; corpus tests skipped")
    return CORPUS


@pytest.fixture(name="make_parsed")
def _make_parsed():  # type: ignore[no-untyped-def]
    """Build an importers.base.ParsedFile from (date, amount, description[, fitid]) tuples.

    For store and ingest tests that must not depend on any parser.
    """
    from datetime import date
    from decimal import Decimal

    import polars as pl

    from moneystory import schema
    from moneystory.importers.base import AccountInfo, ParsedFile, RowIssue

    def make(rows, *, account_ref=None, institution="Testbank", currency="USD",  # type: ignore[no-untyped-def]
             rejected=(), pending=(), fmt="csv", profile="testbank"):
        frame = pl.DataFrame(
            {
                "date": [date.fromisoformat(r[0]) for r in rows],
                "amount": [Decimal(r[1]) for r in rows],
                "description": [r[2] for r in rows],
                "fitid": [r[3] if len(r) > 3 else None for r in rows],
                "currency": [currency] * len(rows),
                "account_ref": [account_ref] * len(rows),
                "source_row": list(range(2, len(rows) + 2)),
                "pending": [i in pending for i in range(len(rows))],
            },
            schema_overrides={"amount": schema.AMOUNT, "fitid": pl.String,
                              "account_ref": pl.String},
        )
        return ParsedFile(
            format=fmt, profile=profile, frame=frame,
            accounts=[AccountInfo(ref=account_ref, institution=institution, currency=currency)],
            rejected=[RowIssue(line, reason) for line, reason in rejected],
        )

    return make
