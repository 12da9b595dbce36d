"""The money story in the terminal: rich panels, 80 columns wide at most, bars and sparklines.

Takes a `YearReview` and prints it; computes nothing that is not already in the model.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from rich import box
from rich.console import Console, Group, RenderableType
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from moneystory.analyzers.review import MerchantTotal, Recommendation, Subscription, YearReview
from moneystory.enrich.taxonomy import CATEGORY_LABELS
from moneystory.render.terminal import bar, money, plural, sparkline
from moneystory.words import listed

WIDTH = 80
MAX_ADVICE = 6  # the biggest savings first; the rest are one flag away
SUBSCRIPTION_LINES = 12
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
FEE_LABELS = {
    "late": "Late fees", "overdraft": "Overdraft", "foreign_transaction": "Foreign transaction",
    "atm": "ATM fees", "interest": "Interest", "account": "Account fees",
    "bnpl_late": "BNPL late fees",
}


# the longest category label, "Subscriptions & software", is never cut
LABEL_WIDTH = 24


def category_label(category: str) -> str:
    """The taxonomy's label without its explanation: "Services (insurance, …)" → "Services"."""
    return CATEGORY_LABELS.get(category, category.replace("_", " ").capitalize()).split(" (")[0]


def month_label(month: str) -> str:
    """"2023-12" → "Dec"."""
    return MONTHS[int(month[5:7]) - 1]


def percent(ratio: Decimal | None, *, signed: bool = False) -> str:
    if ratio is None:
        return "—"
    value = (ratio * 100).quantize(Decimal("0.1"))
    sign = "+" if signed and value > 0 else ""
    return f"{sign}{value}%"


def render(review: YearReview, console: Console) -> None:
    """Print the story, one panel per chapter; chapters without data are left out."""
    width = min(WIDTH, console.width)
    for title, body in _chapters(review):
        console.print(Panel(body, title=f"[bold]{title}[/]", title_align="left", width=width,
                            box=box.ROUNDED, padding=(0, 1)))


def _chapters(review: YearReview) -> Iterable[tuple[str, RenderableType]]:
    yield f"{review.year} · your money story ({review.currency})", _headline(review)
    if review.recommendations:
        yield "What would make a difference", _advice(review)
    yield "Month by month", _months(review)
    if review.top_categories:
        yield "Where it went", _categories(review)
    if review.top_merchants:
        yield "Where you spent", _merchants(review)
    yield "When", _when(review)
    if review.previous_year is not None:
        yield f"Compared with {review.previous_year.year}", _comparison(review)
    if review.subscriptions.items:
        yield "Recurring charges", _subscriptions(review)
    if review.fees.items:
        yield "Fees and interest", _fees(review)
    if review.bnpl.count or review.bnpl.pledge or review.bnpl.late_fees:
        yield "Buy now, pay later", _bnpl(review)
    if len(review.currencies) > 1:
        yield "Each currency on its own", _currencies(review)


def _m(review: YearReview, amount: Decimal | None, *, signed: bool = False) -> str:
    return money(amount, review.currency, signed=signed)


def _grid(*widths: int | None) -> Table:
    table = Table(box=None, show_header=False, padding=(0, 1), pad_edge=False, expand=False,
                  title_justify="left", title_style="bold")
    for width in widths:
        table.add_column(width=width, no_wrap=True, overflow="ellipsis")
    return table


def _headline(review: YearReview) -> RenderableType:
    table = _grid(None, None, None)
    table.add_row("Income", "Spending", "Net")
    table.add_row(
        Text(_m(review, review.income), style="bold green"),
        Text(_m(review, review.spending), style="bold"),
        Text(_m(review, review.net, signed=True),
             style="bold green" if review.net >= 0 else "bold red"),
    )
    lines: list[RenderableType] = [table]
    span = f"{review.start} → {review.end}" if review.start else ""
    lines.append(Text(f"Saving rate {percent(review.saving_rate)} · "
                      f"{review.transactions} transactions · {span}", style="dim"))
    previous = review.previous_year
    if previous is not None and previous.comparable:
        if previous.spending_change_material:
            word = "more" if previous.spending_change > 0 else "less"
            lines.append(Text(
                f"Spending was {_m(review, abs(previous.spending_change))} {word} than in "
                f"{previous.year} ({percent(previous.spending_change_pct, signed=True)})."))
        else:
            lines.append(Text(f"Spending was about the same as in {previous.year} "
                              f"({_m(review, previous.spending)})."))
    return Group(*lines)


def _advice(review: YearReview) -> RenderableType:
    table = Table(box=None, show_header=False, padding=(0, 1, 1, 0), pad_edge=False)
    table.add_column(width=3, no_wrap=True)
    table.add_column(ratio=1)
    shown = review.recommendations[:MAX_ADVICE]
    for number, rec in enumerate(shown, start=1):
        table.add_row(Text(f"{number}.", style="bold"), _recommendation(review, rec))
    parts: list[RenderableType] = [table]
    total = sum((r.yearly_saving for r in review.recommendations), Decimal(0))
    if total > 0:
        parts.append(Text(f"Together up to {_m(review, total)} a year.", style="bold green"))
    hidden = len(review.recommendations) - len(shown)
    if hidden:
        parts.append(Text(f"{hidden} more in --json and --html.", style="dim"))
    return Group(*parts)


def _recommendation(review: YearReview, rec: Recommendation) -> RenderableType:
    lines: list[RenderableType] = [Text(rec.message)]
    if rec.yearly_saving > 0:
        lines.append(Text(f"saves {_m(review, rec.yearly_saving)} a year", style="bold green"))
    lines.append(Text(f"→ {rec.action}", style="cyan"))
    return Group(*lines)


def _months(review: YearReview) -> RenderableType:
    values = [m.spending for m in review.by_month]
    top = max(values, default=Decimal(0))
    previous = {m.month[5:]: m.spending for m in review.previous_year.by_month} \
        if review.previous_year else {}
    table = _grid(3, 24, 14, 22)
    peak = review.peak_month.month if review.peak_month else None
    for month in review.by_month:
        last = previous.get(month.month[5:])
        table.add_row(
            month_label(month.month), Text(bar(month.spending, top, 24), style="cyan"),
            Text(_m(review, month.spending), justify="right"),
            Text("◀ peak" if month.month == peak else
                 (f"{review.year - 1}: {_m(review, last)}" if last is not None else ""),
                 style="yellow" if month.month == peak else "dim"),
        )
    line = Text(f"{sparkline(values)}  Jan → Dec", style="cyan")
    return Group(line, table)


def _categories(review: YearReview) -> RenderableType:
    rows = review.top_categories[:8]
    top = rows[0].amount if rows else Decimal(0)
    table = _grid(LABEL_WIDTH, 18, 14, 6)
    for row in rows:
        table.add_row(category_label(row.category), Text(bar(row.amount, top, 18), style="cyan"),
                      Text(_m(review, row.amount), justify="right"),
                      Text(percent(row.share), justify="right", style="dim"))
    if len(review.top_categories) > 8:
        rest = sum((c.amount for c in review.top_categories[8:]), Decimal(0))
        table.add_row("Everything else", "", Text(_m(review, rest), justify="right"), "")
    return table


def _merchant_table(review: YearReview, title: str, rows: list[MerchantTotal]) -> Table:
    table = _grid(28, 14, 10)
    table.title = title
    for row in rows[:5]:
        visits = plural(row.count, "visit")
        table.add_row(escape(row.merchant), Text(_m(review, row.amount), justify="right"),
                      Text(visits, style="dim", justify="right"))
    return table


def _merchants(review: YearReview) -> RenderableType:
    parts: list[RenderableType] = [
        _merchant_table(review, "By amount", review.top_merchants),
        _merchant_table(review, "By visits", review.top_merchants_by_visits),
    ]
    expenses = review.top_one_off_expenses or review.top_expenses
    if expenses:
        table = _grid(10, 28, 14)
        table.title = ("Biggest one-off expenses" if review.top_one_off_expenses
                       else "Biggest single expenses")
        for expense in expenses[:5]:
            table.add_row(str(expense.date), escape(expense.merchant),
                          Text(_m(review, expense.amount), justify="right"))
        parts.append(table)
    return Group(*parts)


def _when(review: YearReview) -> RenderableType:
    top = max((d.spending for d in review.by_weekday), default=Decimal(0))
    table = _grid(4, 24, 14, 8)
    for day in review.by_weekday:
        table.add_row(day.weekday[:3], Text(bar(day.spending, top, 24), style="cyan"),
                      Text(_m(review, day.spending), justify="right"),
                      Text(f"{day.count}×", style="dim", justify="right"))
    lines: list[RenderableType] = [table]
    if review.busiest_day:
        d = review.busiest_day
        lines.append(Text(f"Busiest day: {d.date:%a %d %b} — {plural(d.count, 'purchase')}, "
                          f"{_m(review, d.amount)}"))
    if review.priciest_week:
        w = review.priciest_week
        lines.append(Text(f"Most expensive 7 days: {w.start:%d %b} – {w.end:%d %b}, "
                          f"{_m(review, w.amount)}"))
    if review.longest_no_spend_streak:
        s = review.longest_no_spend_streak
        lines.append(Text(f"Longest run with no spending: {plural(s.days, 'day')}"
                          f" ({s.start:%d %b} – {s.end:%d %b})"))
    return Group(*lines)


def _comparison(review: YearReview) -> RenderableType:
    previous = review.previous_year
    assert previous is not None
    lines: list[RenderableType] = []
    if not previous.comparable:
        lines.append(Text(f"{previous.year} has {previous.days_covered} days of data, so totals "
                          "are not compared.", style="dim"))
    elif previous.categories:
        table = _grid(LABEL_WIDTH, 14, 14, 12)
        # without the years over them the two amounts do not say which is which
        table.add_row("", *(Text(str(y), style="dim", justify="right")
                            for y in (previous.year, review.year)), "")
        for change in previous.categories[:8]:
            up = change.change > 0
            table.add_row(
                category_label(change.category), Text(_m(review, change.previous), justify="right"),
                Text(_m(review, change.amount), justify="right"),
                Text(f"{'▲' if up else '▼'} {percent(change.change_pct, signed=True)}",
                     style="yellow" if up else "green"),
            )
        lines.append(Text(f"Changes of at least 10% and {_m(review, previous.material_floor)}:",
                          style="dim"))
        lines.append(table)
    else:
        lines.append(Text("No category changed materially.", style="dim"))
    for label, changes in (("New this year", review.new_merchants),
                           (f"Not seen since {previous.year}", review.dropped_merchants)):
        if changes and changes.count:
            names = listed([escape(m.merchant) for m in changes.merchants], 4, changes.count)
            lines.append(Text(f"{label}: {plural(changes.count, 'merchant')} "
                              f"({_m(review, changes.amount)}) — {names}"))
    return Group(*lines)


@dataclass(frozen=True)
class SubscriptionLine:
    """One service at one price and state, on however many cards or accounts (`plans`)."""

    merchant: str
    cadence: str
    amount: Decimal
    state: str  # "stopped", "new" or ""
    plans: int
    paid: Decimal
    charge_dates: tuple[date, ...]

    @property
    def name(self) -> str:
        return self.merchant if self.plans == 1 else f"{self.merchant} ×{self.plans}"


def subscription_lines(review: YearReview) -> list[SubscriptionLine]:
    """The year's subscriptions as they are shown: the same plan on several cards is one line
    ("Netflix ×2"), the costliest first (ties in the model's order)."""
    groups: dict[tuple[str, str, Decimal, str], list[Subscription]] = {}
    for item in review.subscriptions.items:
        state = "stopped" if item.stopped else ("new" if item.started else "")
        groups.setdefault((item.merchant, item.cadence, item.amount, state), []).append(item)
    lines = [SubscriptionLine(merchant, cadence, amount, state, len(items),
                              sum((i.paid for i in items), Decimal(0)),
                              tuple(sorted(d for i in items for d in i.charge_dates)))
             for (merchant, cadence, amount, state), items in groups.items()]
    return sorted(lines, key=lambda line: -line.paid)


def _subscriptions(review: YearReview) -> RenderableType:
    subs = review.subscriptions
    lines: list[RenderableType] = [Text(
        f"{subs.count} recurring charges this year, {_m(review, subs.paid)} paid; "
        f"{_m(review, subs.yearly_cost)} a year at today's prices.")]
    table = _grid(20, 10, 12, 14, 8)
    shown = subscription_lines(review)
    for line in shown[:SUBSCRIPTION_LINES]:
        table.add_row(escape(line.name), Text(line.cadence, style="dim"),
                      Text(_m(review, line.amount), justify="right"),
                      Text(_m(review, line.paid), justify="right"),
                      Text(line.state, style="yellow" if line.state else ""))
    lines.append(table)
    if len(shown) > SUBSCRIPTION_LINES:
        lines.append(Text(f"… and {len(shown) - SUBSCRIPTION_LINES} more (--json, --html)",
                          style="dim"))
    for rise in subs.price_rises:
        lines.append(Text(f"▲ {rise.merchant}: {_m(review, rise.old_amount)} → "
                          f"{_m(review, rise.new_amount)} on {rise.date} "
                          f"(+{_m(review, rise.yearly_extra)} a year)", style="yellow"))
    return Group(*lines)


def _fees(review: YearReview) -> RenderableType:
    table = _grid(22, 14, 10)
    for line in review.fees.items:
        table.add_row(FEE_LABELS.get(line.type, line.type),
                      Text(_m(review, line.amount), justify="right"),
                      Text(f"{line.count}×", style="dim", justify="right"))
    table.add_row(Text("Total", style="bold"),
                  Text(_m(review, review.fees.total), style="bold", justify="right"), "")
    return table


def _bnpl(review: YearReview) -> RenderableType:
    bnpl = review.bnpl
    lines: list[RenderableType] = []
    if bnpl.count:
        lines.append(Text(f"{plural(bnpl.count, 'plan')} "
                          f"({', '.join(bnpl.providers)}), {_m(review, bnpl.amount)} paid in "
                          f"instalments; {bnpl.started} started this year."))
    if bnpl.late_fees:
        lines.append(Text(f"Late fees: {_m(review, bnpl.late_fees)}", style="yellow"))
    pledge = bnpl.pledge
    if pledge:
        kept = "kept" if pledge.violations == 0 else f"{pledge.violations} new plan(s) since"
        lines.append(Text(f"Pledge since {pledge.pledged_since}: {kept}, {pledge.days_kept} days "
                          f"kept; {_m(review, pledge.legacy_remaining)} left on older plans."))
    return Group(*lines)


def _currencies(review: YearReview) -> RenderableType:
    table = Table("", "income", "spending", "net", "txns", box=None, header_style="dim",
                  padding=(0, 1), pad_edge=False)
    for cur in review.currencies:
        table.add_row(cur.currency, money(cur.income, cur.currency),
                      money(cur.spending, cur.currency),
                      money(cur.net, cur.currency, signed=True), str(cur.transactions))
    return Group(Text("Amounts in different currencies are never added together.",
                      style="dim"), table)
