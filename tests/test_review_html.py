"""The HTML page in a real headless Chromium: what a person would see, on a desktop and a phone.

Skips, saying so, only when no Chromium binary exists on this machine.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from datetime import date
from decimal import Decimal as D
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from tests.test_review import bnpl_ledger, monthly, stream

from moneystory.analyzers.recurring import PriceChange
from moneystory.analyzers.review import YearReview, review_year
from moneystory.money import format_money
from moneystory.render.review_html import render_html

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "chrome")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-quic", "--hide-scrollbars")

# Measures what was drawn and writes it into the page, where --dump-dom can read it.
PROBE = """<script>
window.addEventListener('load', () => {
  const box = e => { const r = e.getBoundingClientRect(); return [r.width, r.height]; };
  const probe = {
    svgs: [...document.querySelectorAll('svg')].map(s => ({
      label: s.getAttribute('aria-label'), size: box(s),
      marks: [...s.querySelectorAll('rect,circle')].filter(m => {
        const [w, h] = box(m); return w > 0 && h > 0; }).length })),
    figures: Object.fromEntries([...document.querySelectorAll('[data-figure]')].map(
      f => [f.dataset.figure, f.querySelector('strong').textContent])),
    scrollWidth: document.documentElement.scrollWidth,
    viewport: window.innerWidth,
  };
  const out = document.createElement('pre'); out.id = 'probe';
  out.textContent = JSON.stringify(probe); document.body.appendChild(out);
  console.log('probe-done');
});
</script>"""


def chromium() -> str:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("no Chromium binary on this machine (apt-get install chromium); "
                "the in-browser page tests are skipped")


def run_browser(page: Path, tmp: Path, width: int, *extra: str) -> subprocess.CompletedProcess[str]:
    profile = tmp / f"profile-{width}-{len(extra)}"
    return subprocess.run(
        [chromium(), *FLAGS, f"--user-data-dir={profile}", f"--window-size={width},2000",
         "--enable-logging=stderr", "--v=0", "--virtual-time-budget=3000", *extra,
         page.as_uri()],
        capture_output=True, text=True, timeout=120, check=False,
    )


def console_messages(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "CONSOLE" in line]


def rich_review() -> YearReview:
    """A year with every chapter: subscriptions (one rising), fees, BNPL and a last year."""
    rows, report = bnpl_ledger()
    for year in (2022, 2023):
        monthly(rows, year, 2, "1800.00", "Acme Payroll", "income", "income")
        monthly(rows, year, 4, "-950.00", "Landlord", "rent_utilities")
        monthly(rows, year, 8, "-15.49", "Netflix", "subscriptions")
        monthly(rows, year, 14, "-61.30" if year == 2022 else "-96.80", "Bistro <&> Bar",
                "restaurants")
        rows.add(date(year, 12, 15), "-640.00", "Gift Shop")
    monthly(rows, 2023, 20, "-11.99", "Disney+", "subscriptions", months=range(3, 13))
    rows.add(date(2023, 8, 1), "-3.00", "Bank", "bank_fees", "fee", description="ATM FEE")
    rise = PriceChange(date=date(2023, 6, 8), old_amount=D("15.49"), new_amount=D("17.99"))
    streams = [stream(rows, "Netflix", "17.99", changes=[rise]),
               stream(rows, "Disney+", "11.99"), stream(rows, "Landlord", "950.00",
                                                        category="rent_utilities")]
    return review_year(rows.lazy(), 2023, streams=streams, bnpl=report)


@pytest.fixture(name="page", scope="module")
def _page(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, YearReview]:
    review = rich_review()
    folder = tmp_path_factory.mktemp("page")
    path = folder / "review.html"
    path.write_text(render_html(review), encoding="utf-8")
    return path, review


def probed(page: Path, tmp: Path, width: int) -> tuple[dict[str, Any], str]:
    copy = tmp / f"probed-{width}.html"
    copy.write_text(page.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"),
                    encoding="utf-8")
    result = run_browser(copy, tmp, width, "--dump-dom")
    assert result.returncode == 0, result.stderr[-2000:]
    found = re.search(r"<pre id=\"probe\">(.*?)</pre>", result.stdout, re.S)
    assert found, "the probe did not run: " + result.stderr[-2000:]
    return json.loads(unescape(found.group(1))), result.stdout


@pytest.mark.slow
@pytest.mark.parametrize("width", [1280, 390])
def test_a_person_sees_the_figures_and_the_charts(page: tuple[Path, YearReview],
                                                  tmp_path: Path, width: int) -> None:
    path, review = page
    probe, dom = probed(path, tmp_path, width)
    money = {k: format_money(getattr(review, k), review.currency, signed=k == "net")
             for k in ("income", "spending", "net")}
    for key, shown in money.items():
        assert probe["figures"][key] == shown
    labels = {s["label"]: s for s in probe["svgs"]}
    for chart in ("Spending by month in 2023 (USD)", "Spending by category",
                  "Spending by day of the week", "Subscription charges through the year"):
        drawn = labels[chart]
        assert drawn["size"][0] > 200 and drawn["size"][1] > 80, (chart, drawn)
        assert drawn["marks"] > 0, chart
    assert labels["Spending by month in 2023 (USD)"]["marks"] >= 20  # this year beside last
    assert probe["scrollWidth"] <= probe["viewport"], "the page scrolls sideways"
    if width < 720:  # headless Chromium keeps windows at least 500 wide: still the phone layout
        assert probe["viewport"] <= 720
    assert "Bistro &lt;&amp;&gt; Bar" in dom  # data is escaped, and shown
    for rec in review.recommendations:
        assert rec.kind in dom


@pytest.mark.slow
def test_no_console_errors_and_nothing_fetched(page: tuple[Path, YearReview],
                                               tmp_path: Path) -> None:
    path, _ = page
    plain = run_browser(path, tmp_path, 1024, "--dump-dom")
    assert plain.returncode == 0
    assert console_messages(plain.stderr) == []
    # the logging really captures the console: the probed page's own message comes through
    copy = tmp_path / "probed.html"
    copy.write_text(path.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"),
                    encoding="utf-8")
    probed_run = run_browser(copy, tmp_path, 1024, "--dump-dom")
    messages = console_messages(probed_run.stderr)
    assert any("probe-done" in m for m in messages), probed_run.stderr[-2000:]
    assert [m for m in messages if "probe-done" not in m] == []


@pytest.mark.slow
def test_print_to_pdf_works(page: tuple[Path, YearReview], tmp_path: Path) -> None:
    path, _ = page
    pdf = tmp_path / "review.pdf"
    result = run_browser(path, tmp_path, 1024, f"--print-to-pdf={pdf}", "--no-pdf-header-footer")
    assert result.returncode == 0, result.stderr[-2000:]
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 5000


def test_axis_labels_are_short_at_any_size() -> None:
    from moneystory.render.review_html import _short

    assert [_short(D(v)) for v in ("800", "1250", "6000", "2500000", "6000000")] == [
        "800", "1.3k", "6k", "2.5M", "6M"]


def test_the_timeline_draws_one_plan_on_several_cards_as_one_row() -> None:
    from moneystory.render.review_html import render_html

    review = rich_review()
    item = review.subscriptions.items[0]
    review.subscriptions.items = [item.model_copy(update={"txn_ids": [f"c{n}"]})
                                  for n in range(3)]
    page = render_html(review)
    assert page.count(f'class="label">{item.merchant} ×3<') == 1
    assert f'class="label">{item.merchant}<' not in page  # no row of its own per card
