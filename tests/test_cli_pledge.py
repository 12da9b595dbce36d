"""The whole life of a pledge through the CLI, with the clock moved by MONEYSTORY_NOW."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

LEGACY = """Date,Description,Amount
2024-01-20,AFTERPAY* ULTA BEAUTY,-25.00
2024-01-22,TESCO STORES 3145,-40.10
"""
LATER = """Date,Description,Amount
2024-02-03,AFTERPAY* ULTA BEAUTY,-25.00
2024-02-10,KLARNA*ZALANDO,-60.00
2024-02-11,TESCO STORES 3145,-12.00
"""


@pytest.fixture(name="statement")
def _statement(tmp_path: Path):  # type: ignore[no-untyped-def]
    def write(name: str, text: str) -> str:
        path = tmp_path / name
        path.write_text(text)
        return str(path)

    return write


def _at(monkeypatch: pytest.MonkeyPatch, when: str) -> None:
    monkeypatch.setenv("MONEYSTORY_NOW", when)


def test_life_of_a_pledge(cli, statement, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    _at(monkeypatch, "2024-02-01T09:00")
    assert cli("import", statement("jan.csv", LEGACY), "--account", "chk").exit_code == 0

    made = cli("optout", "--reason", "saving for a flat", input="y\n")
    assert made.exit_code == 0, made.output
    assert "legacy debt" in made.output and "Afterpay" in made.output  # shown before asking
    assert "Pledged from 2024-02-01" in made.output

    status = cli("optout", "--status")
    assert "active" in status.output and "Legacy obligations" in status.output
    assert "2024-03-02" in status.output  # the legacy plan's payoff date

    kept = cli("check")
    assert kept.exit_code == 0 and "Pledge kept" in kept.output

    _at(monkeypatch, "2024-02-12T09:00")
    imported = cli("import", statement("feb.csv", LATER), "--account", "chk")
    assert imported.exit_code == 0, imported.output
    assert "Pledge broken: 1 new violation (Klarna" in imported.output

    broken = cli("check", "--json")
    assert broken.exit_code == 3
    body = json.loads(broken.stdout)
    assert len(body["pledges"]) == 1
    [violation] = body["violations"]
    assert {k: violation[k] for k in ("date", "amount", "provider", "rule", "account_id")} == {
        "date": "2024-02-10", "amount": -60, "provider": "Klarna", "rule": "bnpl",
        "account_id": "chk"}
    assert "zalando" in violation["merchant"].lower()  # the shop, however enrichment names it
    assert violation["txn_id"] and violation["plan"]["instalments_total"] == 4
    assert cli("check").exit_code == 3

    lift = cli("optout", "--lift")
    assert lift.exit_code == 0
    assert "saving for a flat" in lift.output and "2024-02-14 09:00" in lift.output

    _at(monkeypatch, "2024-02-13T09:00")
    assert cli("check").exit_code == 3  # still in force during the cooling-off
    again = cli("optout", "--lift")
    assert "cannot be shortened" in again.output and "2024-02-14 09:00" in again.output
    assert "lifting" in cli("optout", "--status").output

    assert "stays in force" in cli("optout", "--cancel-lift").output
    _at(monkeypatch, "2024-03-01T09:00")
    assert cli("check").exit_code == 3  # cancelled lift: still pledged

    assert cli("optout", "--lift").exit_code == 0
    _at(monkeypatch, "2024-03-03T09:01")
    done = cli("check")
    assert done.exit_code == 0 and "No pledge in force" in done.output
    assert "lifted" in cli("optout", "--status").output


def test_declining_the_confirmation_pledges_nothing(cli, home_dir: Path) -> None:  # type: ignore[no-untyped-def]
    result = cli("optout", input="n\n")
    assert result.exit_code != 0
    assert not (home_dir / "state" / "pledge.json").exists()


def test_json_pledge_with_options(cli, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    _at(monkeypatch, "2024-02-01")
    result = cli("optout", "--yes", "--json", "--from", "2024-01-15", "--cooling-off", "30",
                 "--also", "gambling", "--merchant", "Argos", "--reason", "debt")
    assert result.exit_code == 0, result.output
    pledge = json.loads(result.stdout)["pledge"]
    assert pledge["since"] == "2024-01-15" and pledge["cooling_off_days"] == 30
    assert pledge["kinds"] == ["bnpl", "gambling"] and pledge["merchants"] == ["Argos"]
    status = json.loads(cli("optout", "--status", "--json").stdout)
    assert status["state"] == "active" and status["adherence"]["days_kept"] == 18


@pytest.mark.parametrize("args", [
    ("optout", "--json"),  # cannot confirm
    ("optout", "--status", "--lift"),
    ("optout", "--yes", "--cooling-off", "400"),
    ("optout", "--yes", "--also", "crypto"),
    ("optout", "--yes", "--from", "yesterday"),
    ("optout", "--cancel-lift"),
])
def test_usage_problems_exit_2_without_traceback(cli, args: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
    result = cli(*args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output


def test_gambling_pledge_flags_bets(cli, statement, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    _at(monkeypatch, "2024-02-01")
    assert cli("optout", "--yes", "--also", "gambling").exit_code == 0
    bets = "Date,Description,Amount\n2024-02-05,BET365 LTD,-20.00\n2024-02-06,GEANT CASINO,-30.00\n"
    _at(monkeypatch, "2024-02-07")
    imported = cli("import", statement("bets.csv", bets), "--account", "chk")
    assert "Pledge broken" in imported.output
    _at(monkeypatch, "2024-02-10")
    body = json.loads(cli("check", "--json").stdout)
    assert [(v["date"], v["rule"]) for v in body["violations"]] == [("2024-02-05", "gambling")]
    assert "bet365" in body["violations"][0]["merchant"].lower()
