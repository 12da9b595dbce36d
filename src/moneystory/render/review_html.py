"""The money story as one self-contained HTML page: inline CSS, inline SVG charts drawn here.

No scripts, no fonts, no images, no network: the page opens offline, prints on paper (a print
stylesheet) and reads on a phone (one column below 720px). Every text from the data is escaped.
Chart geometry is computed with Decimal like the money it draws, so no float is ever near an amount.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from html import escape

from moneystory.analyzers.review import MerchantTotal, YearReview
from moneystory.money import format_money
from moneystory.render.review_text import (
    FEE_LABELS,
    MONTHS,
    category_label,
    percent,
    subscription_lines,
)
from moneystory.render.terminal import plural

ACCENT = "#2563eb"
PREVIOUS = "#cbd5e1"
WARN = "#b45309"
GOOD = "#15803d"
NUMERIC = ' class="num"'


def render_html(review: YearReview) -> str:
    """The whole page for one review."""
    title = f"{review.year} · your money story"
    sections = "\n".join(s for s in _sections(review) if s)
    return (
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<title>{escape(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n"
        f"{sections}\n"
        "<footer>Made on this computer by moneystory from your own bank exports; "
        "nothing was sent anywhere.</footer>\n</main>\n</body>\n</html>\n"
    )


def _sections(review: YearReview) -> Iterable[str]:
    yield _header(review)
    yield _advice(review)
    yield _card("Month by month", _month_chart(review), "months",
                note=_month_note(review), wide=True)
    yield "<div class=\"grid\">"
    yield _card("Where it went", _category_chart(review), "categories")
    yield _card("Day of the week", _weekday_chart(review), "weekdays", note=_when_note(review))
    yield "</div>"
    if review.subscriptions.items:
        yield _card("Recurring charges through the year", _subscription_timeline(review),
                    "subscriptions", note=_subscription_note(review), wide=True)
    yield "<div class=\"grid\">"
    yield _card("Top merchants", _merchant_table(review, review.top_merchants), "merchants")
    yield _card("Most visited", _merchant_table(review, review.top_merchants_by_visits), "visits")
    yield _card("Biggest one-off expenses" if review.top_one_off_expenses
                else "Biggest single expenses", _expenses_table(review), "expenses")
    if review.previous_year is not None:
        yield _card(f"Compared with {review.previous_year.year}", _comparison(review),
                    "comparison")
    if review.fees.items:
        yield _card("Fees and interest", _fees_table(review), "fees")
    if review.bnpl.count or review.bnpl.pledge or review.bnpl.late_fees:
        yield _card("Buy now, pay later", _bnpl(review), "bnpl")
    if len(review.currencies) > 1:
        yield _card("Each currency on its own", _currency_table(review), "currencies")
    yield "</div>"


# ---------------------------------------------------------------------------------- pieces
def _m(review: YearReview, amount: Decimal, *, signed: bool = False) -> str:
    return escape(format_money(amount, review.currency, signed=signed))


def _card(title: str, body: str, name: str, *, note: str = "", wide: bool = False) -> str:
    classes = "card wide" if wide else "card"
    note_html = f"<p class=\"note\">{note}</p>" if note else ""
    return (f"<section class=\"{classes}\" id=\"{name}\"><h2>{escape(title)}</h2>"
            f"{body}{note_html}</section>")


def _header(review: YearReview) -> str:
    span = f"{review.start:%d %b %Y} – {review.end:%d %b %Y}" if review.start and review.end else ""
    figures = (
        ("income", "Income", _m(review, review.income), "good"),
        ("spending", "Spending", _m(review, review.spending), ""),
        ("net", "Net", _m(review, review.net, signed=True), "good" if review.net >= 0 else "bad"),
        ("saving_rate", "Saving rate", escape(percent(review.saving_rate)), ""),
    )
    tiles = "".join(
        f"<div class=\"figure {tone}\" data-figure=\"{key}\"><span>{label}</span>"
        f"<strong>{value}</strong></div>"
        for key, label, value, tone in figures
    )
    change = ""
    previous = review.previous_year
    if previous is not None and previous.comparable and previous.spending_change_material:
        word = "more" if previous.spending_change > 0 else "less"
        pct = escape(percent(previous.spending_change_pct, signed=True))
        change = (f" Spending was {_m(review, abs(previous.spending_change))} {word} than in "
                  f"{previous.year} ({pct}).")
    return (
        f"<header><p class=\"kicker\">moneystory · {escape(review.currency)}</p>"
        f"<h1>Your {review.year} in money</h1>"
        f"<p class=\"sub\">{escape(span)} · {review.transactions} transactions.{change}</p>"
        f"<div class=\"figures\">{tiles}</div></header>"
    )


def _advice(review: YearReview) -> str:
    if not review.recommendations:
        return ""
    items = []
    for rec in review.recommendations:
        saving = (f"<span class=\"saving\">saves {_m(review, rec.yearly_saving)} a year</span>"
                  if rec.yearly_saving > 0 else "")
        items.append(
            f"<li data-kind=\"{escape(rec.kind)}\"><p>{escape(rec.message)} {saving}</p>"
            f"<p class=\"action\">→ {_code(rec.action)}</p></li>"
        )
    total = sum((r.yearly_saving for r in review.recommendations), Decimal(0))
    summary = (f"<p class=\"total\">Together up to <strong>{_m(review, total)}</strong> a year."
               "</p>" if total > 0 else "")
    return (f"<section class=\"card wide advice\" id=\"advice\"><h2>What would make a "
            f"difference</h2><ol>{''.join(items)}</ol>{summary}</section>")


def _code(text: str) -> str:
    """Backticked commands in an action become <code>."""
    parts = escape(text).split("`")
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))


def _table(head: Sequence[str], rows: Iterable[Sequence[str]], numeric: set[int]) -> str:
    def cells(values: Sequence[str], tag: str) -> str:
        return "".join(
            f"<{tag}{NUMERIC if i in numeric else ''}>{v}</{tag}>" for i, v in enumerate(values)
        )

    body = "".join(f"<tr>{cells(r, 'td')}</tr>" for r in rows)
    return f"<table><thead><tr>{cells(head, 'th')}</tr></thead><tbody>{body}</tbody></table>"


def _merchant_table(review: YearReview, rows: list[MerchantTotal]) -> str:
    return _table(("Merchant", "Amount", "Visits"),
                  ((escape(r.merchant), _m(review, r.amount), str(r.count)) for r in rows[:8]),
                  {1, 2})


def _expenses_table(review: YearReview) -> str:
    return _table(("Date", "Merchant", "Amount"),
                  ((f"{e.date:%d %b}", escape(e.merchant), _m(review, e.amount))
                   for e in (review.top_one_off_expenses or review.top_expenses)[:8]), {2})


def _comparison(review: YearReview) -> str:
    previous = review.previous_year
    assert previous is not None
    if not previous.comparable:
        return (f"<p>{previous.year} has {previous.days_covered} days of data, so the totals "
                "are not compared.</p>")
    parts = []
    if previous.categories:
        parts.append(_table(
            ("Category", str(previous.year), str(review.year), "Change"),
            ((escape(category_label(c.category)), _m(review, c.previous), _m(review, c.amount),
              f"<span class=\"{'up' if c.change > 0 else 'down'}\">"
              f"{escape(percent(c.change_pct, signed=True))}</span>")
             for c in previous.categories[:8]), {1, 2, 3}))
        parts.append(f"<p class=\"note\">Shown: changes of at least 10% and "
                     f"{_m(review, previous.material_floor)}.</p>")
    else:
        parts.append("<p>No category changed materially.</p>")
    for label, changes in (("New this year", review.new_merchants),
                           (f"Not seen since {previous.year}", review.dropped_merchants)):
        if changes and changes.count:
            names = ", ".join(escape(m.merchant) for m in changes.merchants[:5])
            parts.append(f"<p><strong>{escape(label)}:</strong> "
                         f"{plural(changes.count, 'merchant')} "
                         f"({_m(review, changes.amount)}) — {names}</p>")
    return "".join(parts)


def _fees_table(review: YearReview) -> str:
    rows = [(escape(FEE_LABELS.get(f.type, f.type)), str(f.count), _m(review, f.amount))
            for f in review.fees.items]
    rows.append(("<strong>Total</strong>", str(review.fees.count),
                 f"<strong>{_m(review, review.fees.total)}</strong>"))
    return _table(("Type", "Charges", "Amount"), rows, {1, 2})


def _bnpl(review: YearReview) -> str:
    bnpl = review.bnpl
    parts = []
    if bnpl.count:
        parts.append(f"<p>{plural(bnpl.count, 'plan')} "
                     f"({escape(', '.join(bnpl.providers))}), {_m(review, bnpl.amount)} paid in "
                     f"instalments; {bnpl.started} started this year.</p>")
        parts.append(_table(
            ("Provider", "Shop", "Paid", "Left"),
            ((escape(p.provider), escape(p.merchant or "—"), _m(review, p.paid),
              _m(review, p.remaining)) for p in bnpl.plans[:10]), {2, 3}))
    if bnpl.late_fees:
        parts.append(f"<p class=\"up\">Late fees: {_m(review, bnpl.late_fees)}</p>")
    if bnpl.pledge:
        pledge = bnpl.pledge
        kept = "kept" if pledge.violations == 0 else f"{pledge.violations} new plan(s) since"
        parts.append(f"<p>Pledge since {pledge.pledged_since}: {kept}, {pledge.days_kept} days."
                     "</p>")
    return "".join(parts)


def _currency_table(review: YearReview) -> str:
    rows = ((escape(c.currency), escape(format_money(c.income, c.currency)),
             escape(format_money(c.spending, c.currency)),
             escape(format_money(c.net, c.currency, signed=True)), str(c.transactions))
            for c in review.currencies)
    return ("<p class=\"note\">Amounts in different currencies are never added together.</p>"
            + _table(("Currency", "Income", "Spending", "Net", "Transactions"), rows,
                     {1, 2, 3, 4}))


def _month_note(review: YearReview) -> str:
    legend = (f"<span class=\"key\" style=\"background:{ACCENT}\"></span>{review.year}")
    if review.previous_year is not None:
        legend += (f" <span class=\"key\" style=\"background:{PREVIOUS}\"></span>"
                   f"{review.previous_year.year}")
    if review.peak_month:
        legend += (f" · peak: {MONTHS[int(review.peak_month.month[5:]) - 1]} "
                   f"{_m(review, review.peak_month.amount)}")
    return legend


def _when_note(review: YearReview) -> str:
    notes = []
    if review.busiest_day:
        d = review.busiest_day
        notes.append(f"Busiest day: {d.date:%a %d %b} ({d.count} purchases, "
                     f"{_m(review, d.amount)}).")
    if review.priciest_week:
        w = review.priciest_week
        notes.append(f"Most expensive 7 days: {w.start:%d %b} – {w.end:%d %b}, "
                     f"{_m(review, w.amount)}.")
    if review.longest_no_spend_streak:
        s = review.longest_no_spend_streak
        notes.append(f"Longest run with no spending: {s.days} days ({s.start:%d %b} – "
                     f"{s.end:%d %b}).")
    return " ".join(notes)


def _subscription_note(review: YearReview) -> str:
    subs = review.subscriptions
    text = (f"{subs.count} recurring charges, {_m(review, subs.paid)} paid this year; "
            f"{_m(review, subs.yearly_cost)} a year at current prices.")
    if subs.started:  # each name once: one service may start on several cards
        text += f" New: {escape(', '.join(dict.fromkeys(subs.started)))}."
    if subs.stopped:
        text += f" Stopped: {escape(', '.join(dict.fromkeys(subs.stopped)))}."
    return text


# ---------------------------------------------------------------------------------- charts
def _n(value: Decimal | int) -> str:
    """An SVG coordinate with one decimal."""
    return str(Decimal(value).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _scale(value: Decimal, top: Decimal, length: Decimal | int) -> Decimal:
    if top <= 0 or value <= 0:
        return Decimal(0)
    return value / top * Decimal(length)


def _short(amount: Decimal) -> str:
    """Axis labels without the currency (the chart's title has it): "1.2M", "1.2k", "800"."""
    for unit, size in (("M", 10**6), ("k", 10**3)):
        if amount >= size:
            scaled = (amount / size).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
            return f"{scaled.normalize():f}{unit}"
    return f"{amount.quantize(Decimal(1), rounding=ROUND_HALF_UP)}"


def _svg(width: int, height: int, label: str, body: str) -> str:
    return (f"<svg class=\"chart\" viewBox=\"0 0 {width} {height}\" role=\"img\" "
            f"aria-label=\"{escape(label)}\" xmlns=\"http://www.w3.org/2000/svg\">"
            f"<title>{escape(label)}</title>{body}</svg>")


def _nice_top(value: Decimal) -> Decimal:
    """The axis maximum: 1, 2, 2.5 or 5 times a power of ten, at or above `value`."""
    if value <= 0:
        return Decimal(1)
    magnitude = Decimal(10) ** (value.adjusted())
    for step in (1, 2, 4, 5, 6, 8, 10):  # halves that read well on the axis
        if value <= magnitude * step:
            return magnitude * step
    return magnitude * 10


def _month_chart(review: YearReview) -> str:
    width, height, left, bottom, top_pad = 400, 210, 40, 22, 8
    plot_w, plot_h = width - left - 6, height - bottom - top_pad
    this = [m.spending for m in review.by_month]
    last = [m.spending for m in review.previous_year.by_month] if review.previous_year else []
    top = _nice_top(max([*this, *last, Decimal(0)]))
    group = Decimal(plot_w) / 12
    bar_w = group * Decimal("0.36") if last else group * Decimal("0.6")
    parts = _y_grid(review, top, left, width - 6, top_pad, plot_h)
    for i, value in enumerate(this):
        x0 = left + group * i + (group - (bar_w * 2 if last else bar_w)) / 2
        if last:
            parts.append(_bar(x0, top_pad + plot_h, bar_w, _scale(last[i], top, plot_h),
                              PREVIOUS, f"{MONTHS[i]} {review.year - 1}: "
                              f"{format_money(last[i], review.currency)}"))
            x0 += bar_w
        parts.append(_bar(x0, top_pad + plot_h, bar_w, _scale(value, top, plot_h), ACCENT,
                          f"{MONTHS[i]} {review.year}: {format_money(value, review.currency)}"))
        parts.append(f"<text x=\"{_n(left + group * i + group / 2)}\" y=\"{height - 6}\" "
                     f"class=\"tick\" text-anchor=\"middle\">{MONTHS[i][0]}</text>")
    label = f"Spending by month in {review.year} ({review.currency})"
    return _svg(width, height, label, "".join(parts))


def _y_grid(review: YearReview, top: Decimal, x0: int, x1: int, y0: int, h: int) -> list[str]:
    lines = []
    for share in (Decimal(0), Decimal("0.5"), Decimal(1)):
        y = y0 + h - h * share
        lines.append(f"<line x1=\"{x0}\" x2=\"{x1}\" y1=\"{_n(y)}\" y2=\"{_n(y)}\" "
                     "class=\"grid\"/>")
        lines.append(f"<text x=\"{x0 - 4}\" y=\"{_n(y + 3)}\" class=\"tick\" "
                     f"text-anchor=\"end\">{_short(top * share)}</text>")
    return lines


def _bar(x: Decimal, base: int, w: Decimal, h: Decimal, colour: str, label: str) -> str:
    height = max(h, Decimal(0))
    return (f"<rect x=\"{_n(x)}\" y=\"{_n(base - height)}\" width=\"{_n(w)}\" "
            f"height=\"{_n(height)}\" fill=\"{colour}\" rx=\"1.5\"><title>{escape(label)}</title>"
            "</rect>")


def _category_chart(review: YearReview) -> str:
    """Label and amount on one line, the bar below at full width: reads the same on a phone."""
    rows = review.top_categories[:8]
    if not rows:
        return "<p>No spending this year.</p>"
    row_h, width = 36, 360
    top = rows[0].amount
    parts = []
    for i, row in enumerate(rows):
        y = i * row_h
        label = escape(category_label(row.category))
        length = max(_scale(row.amount, top, width), Decimal(2))
        parts.append(f"<text x=\"0\" y=\"{y + 13}\" class=\"label\">{label}</text>")
        parts.append(f"<text x=\"{width}\" y=\"{y + 13}\" class=\"value\" text-anchor=\"end\">"
                     f"{_m(review, row.amount)} · {escape(percent(row.share))}</text>")
        parts.append(f"<rect x=\"0\" y=\"{y + 19}\" width=\"{width}\" height=\"9\" "
                     "class=\"track\" rx=\"4.5\"/>")
        parts.append(f"<rect x=\"0\" y=\"{y + 19}\" width=\"{_n(length)}\" height=\"9\" "
                     f"fill=\"{ACCENT}\" rx=\"4.5\"><title>{label}: "
                     f"{escape(format_money(row.amount, review.currency))}</title></rect>")
    return _svg(width, row_h * len(rows), "Spending by category", "".join(parts))


def _weekday_chart(review: YearReview) -> str:
    width, height, bottom, top_pad = 360, 170, 22, 18
    plot_h = height - bottom - top_pad
    values = [d.spending for d in review.by_weekday]
    top = max(values, default=Decimal(0))
    slot = Decimal(width) / 7
    parts = []
    for i, day in enumerate(review.by_weekday):
        h = _scale(day.spending, top, plot_h)
        x = slot * i + slot * Decimal("0.2")
        colour = ACCENT if day.spending == top and top > 0 else "#93c5fd"
        parts.append(_bar(x, top_pad + plot_h, slot * Decimal("0.6"), h, colour,
                          f"{day.weekday}: {format_money(day.spending, review.currency)}, "
                          f"{day.count} purchases"))
        middle = _n(x + slot * Decimal("0.3"))
        parts.append(f"<text x=\"{middle}\" y=\"{_n(top_pad + plot_h - h - 4)}\" "
                     f"class=\"value\" text-anchor=\"middle\">{_short(day.spending)}</text>")
        parts.append(f"<text x=\"{middle}\" y=\"{height - 6}\" "
                     f"class=\"tick\" text-anchor=\"middle\">{day.weekday[:3]}</text>")
    return _svg(width, height, "Spending by day of the week", "".join(parts))


def _subscription_timeline(review: YearReview) -> str:
    items = subscription_lines(review)[:14]
    row_h, label_w, value_w, width, head = 22, 120, 70, 400, 16
    plot_w = width - label_w - value_w
    height = head + row_h * len(items) + 4
    year_days = (date(review.year, 12, 31) - date(review.year, 1, 1)).days + 1

    def x_of(day: date) -> Decimal:
        return label_w + Decimal((day - date(review.year, 1, 1)).days) / year_days * plot_w

    parts = []
    for month in range(12):
        x = x_of(date(review.year, month + 1, 1))
        parts.append(f"<line x1=\"{_n(x)}\" x2=\"{_n(x)}\" y1=\"{head - 4}\" y2=\"{height}\" "
                     "class=\"grid\"/>")
        parts.append(f"<text x=\"{_n(x + 2)}\" y=\"10\" class=\"tick\">{MONTHS[month][0]}</text>")
    for i, item in enumerate(items):
        y = head + i * row_h + row_h // 2
        colour = {"stopped": "#94a3b8", "new": GOOD}.get(item.state, ACCENT)
        dates = item.charge_dates
        name = item.name if len(item.name) <= 15 else item.name[:14] + "…"
        parts.append(f"<text x=\"0\" y=\"{y + 4}\" class=\"label\">{escape(name)}</text>")
        if dates:
            parts.append(f"<line x1=\"{_n(x_of(dates[0]))}\" x2=\"{_n(x_of(dates[-1]))}\" "
                         f"y1=\"{y}\" y2=\"{y}\" stroke=\"{colour}\" stroke-width=\"2\"/>")
        parts.extend(
            f"<circle cx=\"{_n(x_of(d))}\" cy=\"{y}\" r=\"3\" fill=\"{colour}\">"
            f"<title>{escape(item.merchant)} {d.isoformat()}</title></circle>"
            for d in dates
        )
        parts.append(f"<text x=\"{width}\" y=\"{y + 4}\" class=\"value\" text-anchor=\"end\">"
                     f"{_m(review, item.paid)}</text>")
    return _svg(width, height, "Subscription charges through the year", "".join(parts))


CSS = """
:root{--ink:#0f172a;--muted:#64748b;--line:#e2e8f0;--bg:#f8fafc;--card:#fff;--accent:#2563eb}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);
font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1040px;margin:0 auto;padding:24px 16px 40px}
header{margin-bottom:16px}
.kicker{margin:0;color:var(--muted);font-size:13px;letter-spacing:.06em;text-transform:uppercase}
h1{margin:4px 0;font-size:32px;line-height:1.15}
h2{margin:0 0 10px;font-size:17px}
.sub{margin:0 0 14px;color:var(--muted)}
.figures{display:grid;grid-template-columns:repeat(4,1fr);gap:12px}
.figure{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:12px 14px}
.figure span{display:block;color:var(--muted);font-size:13px}
.figure strong{display:block;font-size:24px;font-variant-numeric:tabular-nums;white-space:nowrap}
.figure.good strong{color:#15803d}.figure.bad strong{color:#b91c1c}
.grid{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:16px;margin-top:16px}
.card{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:16px;
margin-top:16px}
.grid>.card{margin-top:0}
.chart{display:block;width:100%;height:auto;max-width:640px;margin:0 auto}
.chart text{font-size:11px;fill:var(--ink)}
.chart .tick{fill:var(--muted);font-size:10px}
.chart .value{fill:var(--muted)}
.chart .grid{stroke:var(--line);stroke-width:1}
.chart .track{fill:#eef2f7}
.note{color:var(--muted);font-size:14px;margin:10px 0 0}
.key{display:inline-block;width:10px;height:10px;border-radius:2px;margin:0 4px 0 2px}
.advice{border-color:#bfdbfe;background:#eff6ff}
.advice ol{margin:0;padding-left:22px}
.advice li{margin:0 0 12px}
.advice p{margin:0}
.action{color:#1e40af;font-size:15px}
.saving{display:inline-block;background:#dcfce7;color:#166534;border-radius:999px;padding:0 8px;
font-size:13px;font-weight:600;white-space:nowrap}
.total{margin:4px 0 0;font-size:15px}
code{font:13px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#dbeafe;
padding:1px 4px;border-radius:4px}
table{width:100%;border-collapse:collapse;font-size:14px;font-variant-numeric:tabular-nums}
th{color:var(--muted);font-weight:500;text-align:left;border-bottom:1px solid var(--line)}
td,th{padding:4px 6px 4px 0;vertical-align:top}
td{border-bottom:1px solid #f1f5f9;overflow-wrap:anywhere}
.num{text-align:right;white-space:nowrap}
.up{color:#b45309}.down{color:#15803d}
footer{margin-top:24px;color:var(--muted);font-size:13px;text-align:center}
@media (max-width:720px){
main{padding:16px 12px 32px}
h1{font-size:26px}
.figures{grid-template-columns:repeat(2,1fr)}
.figure strong{font-size:20px}
.grid{grid-template-columns:minmax(0,1fr)}
.chart text{font-size:13px}.chart .tick{font-size:12px}
}
@media print{
body{background:#fff;font-size:11pt}
main{max-width:none;padding:0}
.card,.figure{border-color:#cbd5e1;break-inside:avoid}
.figures{gap:8px}.figure{padding:8px 10px}.figure strong{font-size:15pt}
.advice{background:#fff;break-inside:auto}.advice li{break-inside:avoid}
.grid{grid-template-columns:repeat(2,minmax(0,1fr))}
footer{display:none}
@page{margin:14mm}
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}
}
"""
