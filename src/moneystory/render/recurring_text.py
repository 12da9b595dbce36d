"""Renderers for `recurring` and `card-changed`: JSON bodies, rich tables, Markdown, CSV, ICS."""

from __future__ import annotations

import csv
import io
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.markup import escape
from rich.text import Text

from moneystory.analyzers.card_holders import CardChangeStatus, CardHolder, CardHolderReport
from moneystory.analyzers.recurring import Stream
from moneystory.money import for_display
from moneystory.recurring_state import RecurringReport
from moneystory.render.terminal import (
    Col,
    FittedTable,
    bullets,
    cell_width,
    fit_widths,
    fitted_table,
    mask,
    money,
)

REASON_LABELS = {
    "subscription": "subscription", "bill": "bill", "bnpl": "BNPL instalments",
    "card_on_file": "card on file",
}
STATE_STYLES = {"updated": "green", "pending": "yellow", "overdue": "bold red", "stopped": "dim"}


def _amount(value: Decimal | None, currency: str | None) -> Decimal | None:
    return None if value is None else for_display(value, currency)


# ----------------------------------------------------------------------------------- JSON
def stream_json(s: Stream) -> dict[str, Any]:
    return {
        "stream_id": s.stream_id, "merchant": s.merchant, "account_id": s.account_id,
        "card_last4": s.card_last4, "direction": s.direction, "cadence": s.cadence,
        "typical_amount": _amount(s.typical_amount, s.currency),
        "last_amount": _amount(s.last_amount, s.currency), "currency": s.currency,
        "first_date": s.first_date, "last_date": s.last_date, "next_date": s.next_date,
        "occurrences": s.occurrences, "active": s.active, "status": s.status,
        "user_state": s.user_state, "category": s.category,
        "yearly_cost": _amount(s.yearly_cost, s.currency),
        "price_changes": [
            {"date": c.date, "old_amount": _amount(c.old_amount, s.currency),
             "new_amount": _amount(c.new_amount, s.currency)} for c in s.price_changes],
        "txn_ids": s.txn_ids, "gaps_days": s.gaps_days,
    }


def recurring_json(report: RecurringReport) -> dict[str, Any]:
    return {
        "as_of": report.as_of,
        "streams": [stream_json(s) for s in report.streams],
        "hidden": report.hidden,
        "yearly_totals": [
            {"currency": t.currency, "outgoing": _amount(t.outgoing, t.currency),
             "incoming": _amount(t.incoming, t.currency)} for t in report.totals],
    }


def holder_json(h: CardHolder, *, with_state: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {
        "merchant": h.merchant, "reason": h.reason, "cadence": h.cadence,
        "last_date": h.last_date, "last_amount": _amount(h.last_amount, h.currency),
        "next_date": h.next_date, "currency": h.currency, "stream_id": h.stream_id,
        "charges_12m": h.charges_12m or None,
    }
    if with_state or h.state:  # the list marks subscriptions that stopped already
        body.update(state=h.state, note=h.note)
    return body


def holders_json(report: CardHolderReport) -> dict[str, Any]:
    return {"card": report.card, "account_id": report.account_id, "as_of": report.as_of,
            "merchants": [holder_json(h) for h in report.merchants]}


def status_json(status: CardChangeStatus) -> dict[str, Any]:
    return {
        "card": status.old_card, "new_card": status.new_card, "account_id": status.account_id,
        "changed_on": status.changed_on, "as_of": status.as_of,
        "progress": {"updated": status.updated, "total": status.total},
        "merchants": [holder_json(h, with_state=True) for h in status.merchants],
        "next_steps": status.next_steps,
    }


# ------------------------------------------------------------------------------- terminal
def recurring_view(report: RecurringReport) -> Group:
    """The streams table: the merchant always shows; account, last amount, status and the
    yearly cost give way (in that order) when the terminal is narrow."""
    several_accounts = len({s.account_id for s in report.streams}) > 1
    # with --all the status (lapsed, ended) is the point; otherwise it is nearly always "mature"
    inactive_shown = any(not s.active or s.user_state == "dismissed" for s in report.streams)
    cols = [
        Col("id", style="dim"),
        Col("merchant", flex=True, min_width=14),
        *([Col("account", drop=5, flex=True, min_width=8)] if several_accounts else []),
        Col("cadence"),
        Col("amount", justify="right"),
        Col("last", justify="right", drop=4),
        Col("next"),
        Col("status", drop=1 if inactive_shown else 3),
        Col("a year", justify="right", drop=3 if inactive_shown else 2),
    ]
    rows = []
    for s in report.streams:
        status = s.user_state if s.user_state in ("confirmed", "dismissed") else s.status
        # income shows with a plus sign, so the merchant column needs no "(income)" tag
        amount = (money(s.typical_amount, s.currency, signed=s.direction == "in")
                  + (" ↑" if s.price_changes else ""))
        last = "" if s.last_amount == s.typical_amount else money(s.last_amount, s.currency)
        name = escape(s.merchant)
        rows.append([s.stream_id, name, *([escape(s.account_id)] if several_accounts else []),
                     s.cadence, amount, last, _next_cell(s), status,
                     # a lapsed or ended stream costs nothing a year any more (JSON keeps it)
                     money(s.yearly_cost if s.active else None, s.currency)])
    parts: list[Any] = [FittedTable(cols, rows) if rows else
                        Text("No active recurring payments.")]
    for t in report.totals:
        sums = []
        if t.outgoing:
            sums.append(f"[bold]recurring charges {money(t.outgoing, t.currency)} a year[/]")
        if t.incoming:
            sums.append(f"recurring income {money(t.incoming, t.currency)} a year")
        label = f"{t.currency or 'no currency'}: " if len(report.totals) > 1 else ""
        parts.append(Text.from_markup(label + "  ·  ".join(sums)))
    changes = [(s, c) for s in report.streams for c in s.price_changes]
    if changes:
        parts.append(Text("Price changes (↑):", style="bold"))
    for s, c in changes:
        yearly = (c.new_amount - c.old_amount) * _per_year(s)
        parts.append(Text(f"  {s.merchant}: {money(c.old_amount, s.currency)} → "
                          f"{money(c.new_amount, s.currency)} on {c.date} "
                          f"({money(yearly, s.currency, signed=True)} a year)"))
    note = f"as of {report.as_of}" if report.as_of else ""
    if report.hidden:
        note += f" · {report.hidden} inactive or dismissed hidden (--all shows them)"
    parts.append(Text(note.strip(" ·"), style="dim"))
    parts.append(Text("`moneystory recurring confirm|dismiss|end ID` records your decision.",
                      style="dim"))
    return Group(*parts)


def _next_cell(s: Stream) -> str:
    """The next charge; for a stream that stopped, when it last charged (its end)."""
    if s.next_date is not None:
        return str(s.next_date)
    return "—" if s.active else f"last {s.last_date}"


def _per_year(s: Stream) -> int:
    from moneystory.analyzers.recurring import CADENCES

    return CADENCES[s.cadence].per_year


def _card_title(card: str | None, account_id: str | None) -> str:
    return f"card {mask(card)}" if card else f"account {account_id}"


def holders_view(report: CardHolderReport) -> Group:
    parts: list[Any] = [Text.from_markup(
        f"[bold]Merchants holding {escape(_card_title(report.card, report.account_id))}[/] "
        f"[dim](as of {report.as_of})[/]")]
    scheduled = [h for h in report.merchants if h.reason != "card_on_file" and not _stopped(h)]
    shops = [h for h in report.merchants if h.reason == "card_on_file"]
    stopped = [h for h in report.merchants if _stopped(h)]
    if scheduled:
        parts.append(Text("Subscriptions, bills and instalments", style="bold"))
        cols = [Col("next charge"), Col("merchant", flex=True, min_width=14), Col("what"),
                Col("amount", justify="right"), Col("last", drop=1)]
        parts.append(FittedTable(cols, [
            [str(h.next_date or "—"), escape(h.merchant),
             REASON_LABELS["bnpl"] if h.reason == "bnpl" else h.cadence or REASON_LABELS[h.reason],
             money(h.last_amount, h.currency), str(h.last_date or "")] for h in scheduled]))
    if shops:
        parts.append(Text("Card on file (no schedule)", style="bold"))
        cols = [Col("merchant", flex=True, min_width=14),
                Col("charges (12 months)", justify="right"), Col("last"),
                Col("amount", justify="right")]
        parts.append(FittedTable(cols, [
            [escape(h.merchant), str(h.charges_12m), str(h.last_date),
             money(h.last_amount, h.currency)] for h in shops]))
    if stopped:
        parts.append(Text("Stopped already (nothing due)", style="bold"))
        cols = [Col("merchant", flex=True, min_width=14), Col("what"), Col("last charge"),
                Col("amount", justify="right")]
        parts.append(FittedTable(cols, [
            [escape(h.merchant), h.cadence or REASON_LABELS[h.reason], str(h.last_date),
             money(h.last_amount, h.currency)] for h in stopped]))
    if not report.merchants:
        parts.append(Text(f"No merchant seems to hold "
                          f"{_card_title(report.card, report.account_id)}."))
    return Group(*parts)


def _stopped(h: CardHolder) -> bool:
    """A subscription listed as having stopped before the list's day (see card_holders)."""
    return h.state == "stopped" and h.reason != "card_on_file"


def status_view(status: CardChangeStatus) -> Group:
    parts: list[Any] = [Text.from_markup(
        f"[bold]{escape(_card_title(status.old_card, status.account_id))} → card "
        f"{mask(status.new_card)}[/] since {status.changed_on}: "
        f"[bold]{status.updated} of {status.total} updated[/] [dim](as of {status.as_of})[/]"),
        _StatusTable(status)]
    if status.next_steps:
        parts.append(Text("What to do next:", style="bold"))
        parts.append(bullets(status.next_steps))
    parts.append(Text("'updated' means a charge was seen on the new card; card networks' "
                      "account updaters move some merchants silently.", style="dim"))
    return Group(*parts)


class _StatusTable:
    """The status table, one line per merchant: a note too long for its column is printed
    below the table (unless "What to do next" already names the merchant) instead of wrapping."""

    # 32 cells hold the short notes ("charged to ••8823 on 2023-06-19") at 80 columns
    COLS = (Col(""), Col("merchant", flex=True, min_width=14), Col("state"), Col("what"),
            Col("note", flex=True, min_width=32))

    def __init__(self, status: CardChangeStatus) -> None:
        self.status = status

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        rows = [self._row(h) for h in self.status.merchants]
        note_width = fit_widths(self.COLS, rows, options.max_width)[-1] or 0
        below: list[str] = []
        for row, h in zip(rows, self.status.merchants, strict=True):
            if cell_width(row[-1]) > note_width:
                row[-1] = "[dim]see below[/]"
                if not any(h.merchant in step for step in self.status.next_steps):
                    below.append(f"{h.merchant}: {h.note}")
        yield fitted_table(self.COLS, rows, options.max_width)
        if below:
            yield bullets(below, mark=" ")

    @staticmethod
    def _row(h: CardHolder) -> list[str]:
        style = STATE_STYLES.get(h.state or "", "")
        tick = "☑" if h.state == "updated" else "☐"
        return [tick, escape(h.merchant), f"[{style}]{h.state}[/]",
                h.cadence or REASON_LABELS[h.reason], escape(h.note or "")]


# ---------------------------------------------------------------------------- file exports
def holders_markdown(report: CardHolderReport, status: CardChangeStatus | None = None) -> str:
    merchants = status.merchants if status else report.merchants
    title = _card_title(report.card, report.account_id)
    lines = [f"# Merchants holding {title}", "", f"As of {report.as_of}.", ""]
    # before a replacement, stopped subscriptions go last; after it every state has a line
    held_back = [] if status else [h for h in merchants if _stopped(h)]
    groups = [
        ("Subscriptions, bills and instalments", [h for h in merchants if h.reason !=
                                                  "card_on_file" and h not in held_back]),
        ("Card on file", [h for h in merchants if h.reason == "card_on_file"]),
        ("Stopped already (nothing due)", held_back),
    ]
    for heading, items in groups:
        if not items:
            continue
        lines += [f"## {heading}", ""]
        for h in items:
            # nothing to tick for what stopped already: a plain bullet
            box = "" if h in held_back else "[x] " if h.state == "updated" else "[ ] "
            when = f"next charge {h.next_date}" if h.next_date else f"last {h.last_date}"
            amount = money(h.last_amount, h.currency)
            state = f" — {h.state}" if h.state else ""
            lines.append(f"- {box}**{h.merchant}** ({h.cadence or REASON_LABELS[h.reason]}, "
                         f"{amount}, {when}){state}")
        lines.append("")
    return "\n".join(lines)


CSV_FIELDS = ["merchant", "reason", "cadence", "last_date", "last_amount", "next_date",
              "currency", "state"]


def holders_csv(report: CardHolderReport, status: CardChangeStatus | None = None) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for h in status.merchants if status else report.merchants:
        writer.writerow({
            "merchant": h.merchant, "reason": h.reason, "cadence": h.cadence or "",
            "last_date": h.last_date or "", "next_date": h.next_date or "",
            "last_amount": _amount(h.last_amount, h.currency) or "",
            "currency": h.currency or "", "state": h.state or "",
        })
    return buffer.getvalue()


def holders_ics(report: CardHolderReport, *, remind_days: int = 3) -> bytes:
    """One all-day event per merchant with a next expected charge, with a reminder before."""
    from icalendar import Alarm, Calendar, Event

    cal = Calendar()
    cal.add("prodid", "-//moneystory//card-changed//EN")
    cal.add("version", "2.0")
    title = _card_title(report.card, report.account_id)
    stamp = datetime.combine(report.as_of, time(0, 0))
    for h in report.merchants:
        if h.next_date is None:
            continue
        event = Event()
        event.add("uid", f"{h.stream_id or h.merchant_key}-{h.next_date}@moneystory")
        event.add("dtstamp", stamp)
        event.add("summary", f"Update {title} at {h.merchant}")
        event.add("dtstart", h.next_date)
        event.add("dtend", h.next_date + timedelta(days=1))
        event.add("description", f"{h.merchant} is expected to charge "
                                 f"{money(h.last_amount, h.currency)} around {h.next_date}.")
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", f"Update your card at {h.merchant}")
        alarm.add("trigger", timedelta(days=-remind_days))
        event.add_component(alarm)
        cal.add_component(event)
    return bytes(cal.to_ical())
