"""pledges.py: storage with history, stricter-only changes, cooling-off, import notices."""

from __future__ import annotations

import json
import stat
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from moneystory import ingest, pledges
from moneystory.errors import ConfigError, UsageProblem
from moneystory.paths import Home, resolve_home
from moneystory.store import Store

NOW = datetime(2024, 3, 1, 10, tzinfo=UTC)


@pytest.fixture(name="home")
def _home(home_dir: Path) -> Home:
    return resolve_home(home_dir)


@pytest.fixture(name="add_rows")
def _add_rows(home: Home, make_parsed, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Import (date, amount, description) rows as one batch; returns the import id."""

    def add(rows: list[tuple[str, str, str]]) -> str:
        path = tmp_path / f"batch{len(list(tmp_path.iterdir()))}.csv"
        path.write_text("x")
        result = ingest.import_parsed(Store(home), path, b"x" + path.name.encode(),
                                      make_parsed(rows, currency="GBP"), account="chk")
        assert result.import_id
        return result.import_id

    return add


def test_pledge_is_stored_privately_with_its_history(home: Home) -> None:
    pledge = pledges.make_pledge(home, since=None, also=[], merchants=[], reason="house",
                                 now=NOW)
    path = home.state / "pledge.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    body = json.loads(path.read_text())
    assert body["pledges"][0]["since"] == "2024-03-01"
    assert [e["event"] for e in body["history"]] == ["pledged"]
    assert pledges.load(home).pledges[0] == pledge


def test_pledging_again_only_makes_it_stricter(home: Home) -> None:
    pledges.make_pledge(home, since=date(2024, 3, 1), also=[], merchants=[],
                        cooling_off_days=10, now=NOW)
    later = NOW + timedelta(days=1)
    pledge = pledges.make_pledge(home, since=date(2024, 3, 5), also=["gambling"],
                                 merchants=["Argos"], cooling_off_days=2, now=later)
    assert pledge.since == date(2024, 3, 1)  # not moved later
    assert pledge.cooling_off_days == 10  # not shortened
    assert pledge.kinds == ["bnpl", "gambling"] and pledge.merchants == ["Argos"]
    book = pledges.load(home)
    assert len(book.pledges) == 1
    assert [e.event for e in book.history] == ["pledged", "extended"]


@pytest.mark.parametrize(("also", "days"), [(["crypto"], 2), ([], 0), ([], 366)])
def test_bad_options_are_usage_problems(home: Home, also: list[str], days: int) -> None:
    with pytest.raises(UsageProblem):
        pledges.make_pledge(home, since=None, also=also, merchants=[], cooling_off_days=days,
                            now=NOW)


def test_lift_waits_out_the_cooling_off_and_cannot_be_shortened(home: Home) -> None:
    pledges.make_pledge(home, since=None, also=[], merchants=[], cooling_off_days=3, now=NOW)
    first = pledges.request_lift(home, now=NOW)
    assert first.effective_at == NOW + timedelta(days=3) and not first.already_pending
    again = pledges.request_lift(home, now=NOW + timedelta(days=2))
    assert again.already_pending and again.effective_at == first.effective_at
    assert pledges.status(home, now=NOW + timedelta(days=2)).state == "lifting"
    assert pledges.status(home, now=NOW + timedelta(days=3)).state == "lifted"
    assert pledges.check(home, now=NOW + timedelta(days=3)).pledges == []


def test_cancel_lift_keeps_the_pledge(home: Home) -> None:
    pledges.make_pledge(home, since=None, also=[], merchants=[], now=NOW)
    with pytest.raises(UsageProblem):
        pledges.cancel_lift(home, now=NOW)
    pledges.request_lift(home, now=NOW)
    kept = pledges.cancel_lift(home, now=NOW + timedelta(hours=1))
    assert kept.lift is None
    assert pledges.status(home, now=NOW + timedelta(days=30)).state == "active"
    assert [e.event for e in pledges.load(home).history] == [
        "pledged", "lift-requested", "lift-cancelled"]


def test_lift_without_a_pledge_says_what_to_do(home: Home) -> None:
    with pytest.raises(UsageProblem, match="no pledge"):
        pledges.request_lift(home, now=NOW)


def test_a_damaged_pledge_file_is_a_clear_error(home: Home) -> None:
    home.state.mkdir(parents=True)
    (home.state / "pledge.json").write_text("{not json")
    with pytest.raises(ConfigError, match="pledge file"):
        pledges.load(home)


def test_import_notice_only_for_new_violations(home: Home, add_rows) -> None:  # type: ignore[no-untyped-def]
    pledges.make_pledge(home, since=date(2024, 2, 1), also=[], merchants=[], now=NOW)
    legacy = add_rows([("2024-01-20", "-25.00", "AFTERPAY* ULTA"),
                       ("2024-02-03", "-25.00", "AFTERPAY* ULTA")])
    assert pledges.import_notices(home, [legacy], now=NOW) == []
    new = add_rows([("2024-02-10", "-60.00", "KLARNA*ZALANDO"),
                    ("2024-02-12", "-9.00", "TESCO")])
    notices = pledges.import_notices(home, [new], now=NOW)
    assert len(notices) == 1 and "Klarna" in notices[0] and "moneystory check" in notices[0]
    again = add_rows([("2024-02-24", "-60.00", "KLARNA*ZALANDO")])  # same plan, instalment 2
    assert pledges.import_notices(home, [again], now=NOW) == []


def test_adherence_for_year(home: Home, add_rows) -> None:  # type: ignore[no-untyped-def]
    assert pledges.adherence_for_year(home, 2024, now=NOW) is None
    pledges.make_pledge(home, since=date(2024, 2, 1), also=[], merchants=[], now=NOW)
    add_rows([("2024-01-20", "-25.00", "AFTERPAY* ULTA"),
              ("2024-02-10", "-60.00", "KLARNA*ZALANDO")])
    kept = pledges.adherence_for_year(home, 2024, now=NOW)
    assert kept is not None
    assert kept.pledged_since == date(2024, 2, 1)
    assert (kept.violations, kept.days_kept) == (1, 29 + 1 - 1)  # Feb 1..Mar 1, one bad day
    assert kept.legacy_remaining > 0
    assert pledges.adherence_for_year(home, 2023, now=NOW) is None


def test_clock_can_be_set_for_tests(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MONEYSTORY_NOW", "2024-05-06")
    assert pledges.now_utc() == datetime(2024, 5, 6, 12, tzinfo=UTC)
    monkeypatch.setenv("MONEYSTORY_NOW", "soon")
    with pytest.raises(UsageProblem):
        pledges.now_utc()
