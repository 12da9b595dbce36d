"""Services that read the whole store ask analysis for a date window, and answer the same.

On a decade of statements enriching everything is what made `recurring`, `card-changed`,
`check` and the review slow; on the bundled examples (two years) the window covers all the
data, so every answer must be exactly what the whole store gives.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from moneystory import analysis, cards, pledges, recurring_state
from moneystory.analyzers.recurring import find_streams
from moneystory.paths import Home, resolve_home

STATEMENTS = Path(__file__).resolve().parents[1] / "examples" / "statements"
NOW = datetime(2024, 1, 15, 12, tzinfo=UTC)


@pytest.fixture(name="home", scope="module")
def _home(tmp_path_factory: pytest.TempPathFactory) -> Home:
    """The bundled examples imported into a fresh home."""
    files = sorted(STATEMENTS.glob("*")) if STATEMENTS.is_dir() else []
    if not files:
        pytest.skip(f"no bundled examples in {STATEMENTS}; window tests skipped")
    from typer.testing import CliRunner

    from moneystory.cli import app

    home_dir = tmp_path_factory.mktemp("window-home")
    result = CliRunner().invoke(app, ["--home", str(home_dir), "import", "--currency", "USD",
                                      *map(str, files), "--json"])
    assert result.exit_code == 0, result.output
    return resolve_home(home_dir)


@pytest.fixture(name="calls")
def _calls(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The keyword arguments of every analysis.transactions call (still answered for real)."""
    seen: list[dict[str, Any]] = []
    real = analysis.transactions

    def recording(home: Home, **kwargs: Any) -> Any:
        seen.append(kwargs)
        return real(home, **kwargs)

    monkeypatch.setattr(analysis, "transactions", recording)
    return seen


def test_history_starts_three_years_back_on_the_first_of_the_month() -> None:
    assert recurring_state.history_start(date(2023, 12, 31)) == date(2020, 12, 1)
    assert recurring_state.history_start(date(2024, 2, 29)) == date(2021, 2, 1)


def test_recurring_reads_a_window_and_finds_what_the_whole_store_gives(
        home: Home, calls: list[dict[str, Any]]) -> None:
    last = recurring_state.last_date(home)
    assert last == date(2023, 12, 31)
    windowed = recurring_state.report(home, include_inactive=True)
    assert calls == [{"start": date(2020, 12, 1), "end": last}]
    whole = recurring_state.all_streams(home, analysis.transactions(home))
    assert windowed.as_of == last and windowed.streams
    assert sorted(s.model_dump_json() for s in windowed.streams) == \
        sorted(s.model_dump_json() for s in whole)


def test_recurring_as_of_reads_up_to_that_day(home: Home, calls: list[dict[str, Any]]) -> None:
    day = date(2023, 3, 15)
    windowed = recurring_state.report(home, as_of=day, include_inactive=True)
    assert calls == [{"start": date(2020, 3, 1), "end": day}]
    whole = find_streams(analysis.transactions(home), day)
    assert [s.stream_id for s in windowed.streams] and \
        {s.stream_id for s in windowed.streams} == {s.stream_id for s in whole}


def test_card_changed_reads_the_streams_window(home: Home, calls: list[dict[str, Any]]) -> None:
    card = next(iter(cards.known_cards(home, analysis.transactions(home))))
    calls.clear()
    windowed = cards.card_changed(home, card=card)
    assert len(calls) == 1 and calls[0]["start"] is not None
    lf = analysis.transactions(home)
    _, account_ids = cards.resolve(home, lf, card, None)
    judged = windowed.as_of
    whole = cards._holders(home, lf, card, account_ids, judged)  # the whole store's answer
    assert windowed.merchants and windowed.model_dump() == whole.model_dump()


def test_pledge_reads_from_the_lookback_before_it(home: Home,
                                                  calls: list[dict[str, Any]]) -> None:
    since = date(2023, 6, 1)
    pledges.make_pledge(home, since=since, also=[], merchants=[], now=NOW)
    windowed = pledges.check(home, now=NOW)
    year = pledges.adherence_for_year(home, 2023, now=NOW)
    starts = [c.get("start") for c in calls]
    assert starts == [since - pledges.LEGACY_LOOKBACK, date(2023, 1, 1) - pledges.LEGACY_LOOKBACK]
    assert calls[1]["end"] == date(2023, 12, 31)
    lf = analysis.transactions(home).collect().lazy()
    report = pledges.find_bnpl(lf, as_of=NOW.date())
    pledge = windowed.pledges[0]
    assert report.plans and year is not None  # the examples have BNPL plans to judge
    assert windowed.violations == pledges.find_violations(lf, pledge, report, as_of=NOW.date())
    end_report = pledges.find_bnpl(lf, as_of=date(2023, 12, 31))
    assert year == pledges.adherence(
        pledge, pledges.find_violations(lf, pledge, end_report, as_of=date(2023, 12, 31)),
        pledges.legacy_plans(pledge, end_report), date(2023, 1, 1), date(2023, 12, 31),
        pledges._main_currency(lf, date(2023, 1, 1), date(2023, 12, 31)))
