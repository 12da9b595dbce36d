"""`recurring` (streams, confirm/dismiss/end) and `card-changed` (list, --new, status)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from moneystory.cli import common

if TYPE_CHECKING:
    from moneystory.analyzers.card_holders import CardChangeStatus

JsonFlag = common.JsonFlag
AsOf = Annotated[str | None, typer.Option("--as-of", help="Judge as of this date (YYYY-MM-DD); "
                                          "default: your latest transaction.", metavar="DATE")]

# the help is the callbacks' docstrings (with their examples), as for every other command
recurring_app = typer.Typer()
card_app = typer.Typer()


def register(app: typer.Typer) -> None:
    app.add_typer(recurring_app, name="recurring")
    app.add_typer(card_app, name="card-changed")


# ------------------------------------------------------------------------------ recurring
@recurring_app.callback(invoke_without_command=True)
@common.reports_errors
def recurring(
    ctx: typer.Context,
    account: Annotated[str | None, common.account_option()] = None,
    show_all: Annotated[bool, common.flag(
        "--all", help="Also lapsed, ended and dismissed, from your whole history.")] = False,
    as_of: AsOf = None,
    as_json: JsonFlag = False,
) -> None:
    """Recurring payments and income: subscriptions, bills, salary.

    Each stream with its cadence, typical amount, next date, status and yearly cost.
    [bold]recurring confirm|dismiss|end ID[/] records your decision; it survives re-imports
    and price rises.

    [bold]Examples:[/]
      moneystory recurring --all
      moneystory recurring end 49ecb603
    """
    if ctx.invoked_subcommand:
        return
    from moneystory import recurring_state
    from moneystory.render import recurring_text

    report = recurring_state.report(common.home(ctx), account=common.known_account(ctx, account),
                                    as_of=common.parse_date(as_of, "--as-of"),
                                    include_inactive=show_all)
    if as_json:
        common.emit_json(recurring_text.recurring_json(report))
        return
    if not report.streams and not report.hidden:
        common.out(ctx).print("No recurring payments found yet.\nThey show after a few months "
                              "of statements: `moneystory import FILE`.")
        return
    common.out(ctx).print(recurring_text.recurring_view(report))


def _decide(ctx: typer.Context, stream_id: str, action: str) -> None:
    from rich.markup import escape

    from moneystory import recurring_state

    stream = recurring_state.decide(common.home(ctx), stream_id, action)
    common.out(ctx).print(f"{escape(stream.merchant)} ({stream.cadence}, {stream.stream_id}): "
                          f"{stream.user_state}.")


StreamId = Annotated[str, typer.Argument(help="Stream id (or its first characters), from "
                                           "`moneystory recurring`.", metavar="ID")]


@recurring_app.command("confirm")
@common.reports_errors
def confirm(ctx: typer.Context, stream_id: StreamId) -> None:
    """Mark a stream as a real recurring payment.

    [bold]Example:[/] moneystory recurring confirm 49ecb603
    """
    _decide(ctx, stream_id, "confirm")


@recurring_app.command("dismiss")
@common.reports_errors
def dismiss(ctx: typer.Context, stream_id: StreamId) -> None:
    """Not recurring: hide it from lists and the card-change list.

    [bold]Example:[/] moneystory recurring dismiss 49ecb603
    """
    _decide(ctx, stream_id, "dismiss")


@recurring_app.command("end")
@common.reports_errors
def end(ctx: typer.Context, stream_id: StreamId) -> None:
    """You cancelled it: mark it ended (it leaves the list and the card-change list).

    [bold]Example:[/] moneystory recurring end 49ecb603
    """
    _decide(ctx, stream_id, "end")


# ---------------------------------------------------------------------------- card-changed
@card_app.callback(invoke_without_command=True)
@common.reports_errors
def card_changed(
    ctx: typer.Context,
    card: Annotated[str | None, typer.Option("--card", help="The card's last 4 digits.",
                                             metavar="LAST4")] = None,
    account: Annotated[str | None, common.account_option(
        "Or an account (for cards the export does not number).")] = None,
    as_of: AsOf = None,
    new: Annotated[str | None, typer.Option("--new", metavar="LAST4",
                                            help="Record the replacement card and track it.")]
    = None,
    old: Annotated[str | None, typer.Option("--old", metavar="LAST4",
                                            help="The card it replaces (with --new).")] = None,
    on: Annotated[str | None, typer.Option("--on", metavar="DATE",
                                           help="When the new card took over (default today).")]
    = None,
    markdown: Annotated[bool, common.flag("--markdown", help="Print a Markdown checklist.")]
    = False,
    as_csv: Annotated[bool, common.flag("--csv", help="Print CSV.")] = False,
    ics: Annotated[Path | None, typer.Option("--ics", metavar="FILE",
                                             help="Write reminders on each next charge date.")]
    = None,
    as_json: JsonFlag = False,
) -> None:
    """Which merchants hold a card, and which moved to the new one.

    Without options: the merchants holding the card, most urgent first.
    [bold]--new LAST4[/] records the replacement; [bold]status[/] then shows which merchants moved.

    [bold]Examples:[/]
      moneystory card-changed --card 4417 --ics reminders.ics
      moneystory card-changed --new 8823 --old 4417 --on 2023-06-12
      moneystory card-changed status
    """
    if ctx.invoked_subcommand:
        return
    from moneystory import cards
    from moneystory.render import recurring_text

    _one_format(as_json=as_json, markdown=markdown, as_csv=as_csv)
    home = common.home(ctx)
    if new:
        status = cards.record_replacement(home, new=new, old=old or card, account=account,
                                          on=common.parse_date(on, "--on"))
        _show_status(ctx, status, as_json=as_json, markdown=markdown, as_csv=as_csv,
                     recorded=True)
        return
    report = cards.card_changed(home, card=card, account=account,
                                as_of=common.parse_date(as_of, "--as-of"))
    if ics:
        written = common.write_user_file(ics, recurring_text.holders_ics(report),
                                          example_name="card-reminders.ics")
        common.err(ctx).print(f"Wrote reminders to {written}", soft_wrap=True)
    if as_json:
        common.emit_json(recurring_text.holders_json(report))
    elif markdown:
        sys.stdout.write(recurring_text.holders_markdown(report))
    elif as_csv:
        sys.stdout.write(recurring_text.holders_csv(report))
    elif not ics:
        common.out(ctx).print(recurring_text.holders_view(report))


@card_app.command("status")
@common.reports_errors
def card_status(
    ctx: typer.Context,
    as_of: AsOf = None,
    markdown: Annotated[bool, common.flag("--markdown", help="Print a Markdown checklist.")]
    = False,
    as_csv: Annotated[bool, common.flag("--csv", help="Print CSV.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Which merchants have moved to the new card: updated, pending, overdue, stopped.

    [bold]Examples:[/]
      moneystory card-changed status
      moneystory card-changed status --markdown > checklist.md
    """
    from moneystory import cards

    _one_format(as_json=as_json, markdown=markdown, as_csv=as_csv)
    status = cards.status(common.home(ctx), as_of=common.parse_date(as_of, "--as-of"))
    _show_status(ctx, status, as_json=as_json, markdown=markdown, as_csv=as_csv)


def _one_format(**chosen: bool) -> None:
    """--json, --markdown and --csv each print the whole list: two at once is a mistake."""
    from moneystory.errors import UsageProblem

    names = [f"--{name.removeprefix('as_')}" for name, on in chosen.items() if on]
    if len(names) > 1:
        raise UsageProblem(f"{' and '.join(names)} cannot be combined",
                           hint="choose one output format (--ics can go with any)")


def _show_status(ctx: typer.Context, status: CardChangeStatus, *, as_json: bool,
                 markdown: bool, as_csv: bool, recorded: bool = False) -> None:
    from moneystory.analyzers.card_holders import CardHolderReport
    from moneystory.render import recurring_text

    if as_json:
        common.emit_json(recurring_text.status_json(status))
        return
    report = CardHolderReport(card=status.old_card, account_id=status.account_id,
                              as_of=status.as_of, merchants=status.merchants)
    if markdown:
        sys.stdout.write(recurring_text.holders_markdown(report, status))
    elif as_csv:
        sys.stdout.write(recurring_text.holders_csv(report, status))
    else:
        if recorded:
            common.out(ctx).print("Recorded the replacement; each import will now say which "
                                  "merchants moved.")
        common.out(ctx).print(recurring_text.status_view(status))
