"""`optout` (the pledge: make, status, lift, cancel lift) and `check` (what breaks it).

Set MONEYSTORY_NOW=YYYY-MM-DD[THH:MM] to move the clock — for testing only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from moneystory.cli import common
from moneystory.words import plural

if TYPE_CHECKING:
    from rich.console import Console

    from moneystory.analyzers.bnpl import BnplPlan
    from moneystory.analyzers.pledge import Pledge, Violation
    from moneystory.pledges import CheckReport, LiftOutcome, PledgePreview, PledgeStatus

JsonFlag = common.JsonFlag


def register(app: typer.Typer) -> None:
    app.command("optout")(optout)
    app.command("check")(check)


@common.reports_errors
def optout(
    ctx: typer.Context,
    start: Annotated[str | None, typer.Option(
        "--from", help="Pledge from this date (YYYY-MM-DD; default today).",
        metavar="DATE")] = None,
    yes: Annotated[bool, common.flag("--yes", "-y", help="Do not ask for confirmation.")]
    = False,
    cooling_off: Annotated[int, typer.Option(
        "--cooling-off", help="Days a lift takes to take effect (1-365).", metavar="DAYS")] = 2,
    also: Annotated[list[str] | None, typer.Option(
        "--also", help="Pledge against more: gambling.", metavar="KIND")] = None,
    merchant: Annotated[list[str] | None, typer.Option(
        "--merchant", help="Pledge against this merchant too (repeatable).", metavar="NAME")]
    = None,
    reason: Annotated[str | None, typer.Option(
        "--reason", help="Why: shown back to you whenever you try to lift the pledge.")] = None,
    show_status: Annotated[bool, common.flag(
        "--status", help="What is pledged, how it was kept, legacy debt.")] = False,
    lift: Annotated[bool, common.flag(
        "--lift", help="Start the cooling-off; the pledge ends when it does.")] = False,
    cancel_lift: Annotated[bool, common.flag(
        "--cancel-lift", help="Stop a lift under way: keep the pledge.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Pledge: no new buy-now-pay-later credit; breaches are flagged.

    The pledge runs from today (or --from); [bold]check[/] lists whatever breaks it.

    Instalments of plans that began before the pledge are legacy debt, not breaches.
    Lifting the pledge takes a cooling-off (default 2 days) that cannot be shortened.

    [bold]Examples:[/]
      moneystory optout --reason "saving for a flat"
      moneystory optout --status
      moneystory optout --lift
    """
    from moneystory import pledges
    from moneystory.errors import UsageProblem
    if sum((show_status, lift, cancel_lift)) > 1:
        raise UsageProblem("choose one of --status, --lift and --cancel-lift")
    home, now = common.home(ctx), pledges.now_utc()
    if show_status:
        _show_status(ctx, pledges.status(home, now=now), as_json)
    elif lift:
        _show_lift(ctx, pledges.request_lift(home, now=now), as_json)
    elif cancel_lift:
        kept = pledges.cancel_lift(home, now=now)
        if as_json:
            common.emit_json({"pledge": kept, "state": kept.state(now)})
        else:
            common.out(ctx).print("Lift cancelled: your pledge stays in force.")
    else:
        since = common.parse_date(start, "--from")
        if not yes:
            if as_json:
                raise UsageProblem("--json cannot ask for confirmation",
                                   hint="add --yes to pledge without a question")
            _show_preview(ctx, pledges.preview(
                home, since=since, also=also or [], merchants=merchant or [],
                cooling_off_days=cooling_off, now=now))
            _confirm_or_stop(ctx)
        pledge = pledges.make_pledge(home, since=since, also=also or [], merchants=merchant or [],
                                     cooling_off_days=cooling_off, reason=reason, now=now)
        legacy = pledges.status(home, now=now).legacy
        if as_json:
            common.emit_json({"pledge": pledge, "state": pledge.state(now), "legacy": legacy})
            return
        out = common.out(ctx)
        out.print(f"[bold green]Pledged[/] from {pledge.since}: {_rules(pledge)}. "
                  f"Lifting it takes {plural(pledge.cooling_off_days, 'day')}. "
                  "Run `moneystory check` any time (exit code 3 when broken).")
        if legacy:
            out.print(f"{plural(len(legacy), 'plan')} from before the pledge "
                      "(legacy debt, not breaches): see `moneystory optout --status`.")


@common.reports_errors
def check(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """The transactions that break your pledge; exit code 3 if any.

    Every transaction since the pledge that breaks a rule in force, with the plan it starts.

    [bold]Example:[/] moneystory check || notify-send "moneystory: pledge broken"
    """
    from moneystory import pledges
    from moneystory.errors import ExitCode

    report = pledges.check(common.home(ctx), now=pledges.now_utc())
    if as_json:
        common.emit_json(report)
    else:
        _show_check(ctx, report)
    if report.violations:
        raise typer.Exit(ExitCode.VIOLATIONS)


def _confirm_or_stop(ctx: typer.Context) -> None:
    """Ask; a "no" stops with exit code 1, and no answer at all (a script) says to add --yes."""
    from moneystory.errors import UsageProblem

    try:
        agreed = typer.confirm("Make this pledge?", default=False)
    except typer.Abort:  # end of input: nobody there to answer
        typer.echo()  # end the prompt's line before the error
        raise UsageProblem("no answer to \"Make this pledge?\"",
                           hint="add --yes to pledge without a question") from None
    if not agreed:
        common.out(ctx).print("Nothing pledged.")
        raise typer.Exit(1)


# ------------------------------------------------------------------------------------ rendering
def _rules(pledge: Pledge) -> str:
    return _describe(pledge.rules())


def _describe(rules: list[str]) -> str:
    """Rules as words: "no new buy-now-pay-later credit, no gambling, nothing at Argos"."""
    names = {"bnpl": "no new buy-now-pay-later credit", "gambling": "no gambling"}
    return ", ".join(names.get(r, f"nothing at {r.removeprefix('merchant:')}") for r in rules)


def _plans_table(plans: list[BnplPlan]) -> object:
    from rich.markup import escape

    from moneystory.render.terminal import Col, FittedTable, mask, money

    cols = [Col("provider", flex=True, min_width=8), Col("shop", flex=True, min_width=10),
            Col("card", drop=2), Col("paid"), Col("instalment", justify="right"),
            Col("remaining", justify="right"), Col("payoff", drop=1)]
    return FittedTable(cols, [
        [escape(p.provider), escape(p.merchant or ""), mask(p.card_last4),
         f"{p.instalments_paid} of {p.instalments_total or '?'}",
         money(p.instalment_amount, p.currency), money(p.remaining, p.currency),
         str(p.expected_payoff or "")] for p in plans])


def _violations_table(violations: list[Violation]) -> object:
    from rich.markup import escape

    from moneystory.render.terminal import Col, FittedTable, money

    cols = [Col("date"), Col("merchant", flex=True, min_width=12),
            Col("amount", justify="right"), Col("rule", drop=2),
            Col("provider", flex=True, min_width=8, drop=1), Col("plan", flex=True, drop=3)]
    rows = []
    for v in violations:
        plan = ""
        if v.plan is not None:
            plan = (f"{v.plan.instalments_total or '?'} × "
                    f"{money(v.plan.instalment_amount, v.currency)} until {v.plan.expected_payoff}")
            if v.confidence == "low":
                plan += " (possible)"
        rows.append([str(v.date), escape(v.merchant), money(v.amount, v.currency), v.rule,
                     escape(v.provider or ""), plan])
    return FittedTable(cols, rows)


def _show_preview(ctx: typer.Context, preview: PledgePreview) -> None:
    out = common.out(ctx)
    verb = "Extend your pledge" if preview.current else "Pledge"
    out.print(f"[bold]{verb}[/] from {preview.since}: {_describe(preview.rules)}; "
              f"lifting it will take {preview.cooling_off_days} days.")
    more = ", and what the other rules above name" if len(preview.rules) > 1 else ""
    out.print("Flagged from then on: the first charge of any new buy-now-pay-later plan "
              "(Klarna, Afterpay/Clearpay, Affirm, PayPal Pay Later, Zip, Sezzle, …, "
              f"and equal instalments that look like one){more}.")
    if preview.legacy:
        out.print("These plans began earlier: their instalments are legacy debt, not breaches.")
        out.print(_plans_table(preview.legacy))
    if preview.already_flagged:
        out.print(f"[yellow]{plural(len(preview.already_flagged), 'transaction')} since "
                  f"{preview.since} would already be flagged:[/]")
        out.print(_violations_table(preview.already_flagged))


def _show_status(ctx: typer.Context, status: PledgeStatus, as_json: bool) -> None:
    if as_json:
        common.emit_json(status)
        return
    from moneystory import pledges
    from moneystory.render.terminal import money

    out = common.out(ctx)
    pledge = status.pledge
    if pledge is None:
        out.print("No pledge yet. Make one with `moneystory optout`.")
        return
    out.print(f"[bold]Pledge[/] since {pledge.since}: {_rules(pledge)} — [bold]{status.state}[/]")
    if pledge.lift is not None:
        word = "ends" if status.state == "lifting" else "ended"
        out.print(f"  lift requested {pledge.lift.requested_at:%Y-%m-%d %H:%M}; it {word} "
                  f"{pledge.lift.effective_at:%Y-%m-%d %H:%M} UTC")
    if pledge.reason:
        out.print(f"  your reason: “{pledge.reason}”")
    if status.adherence is not None:
        a = status.adherence
        out.print(f"  kept {plural(a.days_kept, 'day')}; {plural(a.violations, 'violation')}"
                  + (" (run `moneystory check`)" if a.violations else ""))
    if status.legacy:
        owed = pledges.remaining_by_currency(status.legacy)
        out.print("Legacy obligations (plans from before the pledge), still owed "
                  + ", ".join(money(v, c) for c, v in owed.items()) + ":")
        out.print(_plans_table(status.legacy))


def _show_lift(ctx: typer.Context, outcome: LiftOutcome, as_json: bool) -> None:
    pledge = outcome.pledge
    if as_json:
        common.emit_json({"pledge": pledge, "effective_at": outcome.effective_at,
                          "already_pending": outcome.already_pending,
                          "reason": pledge.reason})
        return
    out = common.out(ctx)
    if pledge.reason:
        out.print(f"You made this pledge because: [bold]“{pledge.reason}”[/]")
    when = f"{outcome.effective_at:%Y-%m-%d %H:%M} UTC"
    if outcome.already_pending:
        out.print(f"A lift is already under way; the pledge ends {when}. "
                  "It cannot be shortened.")
    else:
        out.print(f"Cooling-off started: your pledge stays in force until {when} "
                  f"({pledge.cooling_off_days} days); it cannot be shortened.")
    out.print("Changed your mind? `moneystory optout --cancel-lift` keeps the pledge.")


def _show_check(ctx: typer.Context, report: CheckReport) -> None:
    out: Console = common.out(ctx)
    if not report.pledges:
        out.print("No pledge in force. Make one with `moneystory optout`.")
        return
    if not report.violations:
        out.print(f"[green]Pledge kept[/]: nothing breaks it up to {report.as_of}.")
        return
    count = len(report.violations)
    out.print(f"[bold red]{plural(count, 'transaction')} "
              f"break{'s' if count == 1 else ''} your pledge:[/]")
    out.print(_violations_table(report.violations))
