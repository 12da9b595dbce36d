"""`rules`, `rules test "RAW DESCRIPTOR"` and `merchants`."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

import typer

from moneystory.cli import common

if TYPE_CHECKING:
    from moneystory.enrich import Explanation, Rules
    from moneystory.enrich.summary import MerchantList

JsonFlag = common.JsonFlag

# the help is the callback's docstring (with its example), as for every other command
rules_app = typer.Typer(
    no_args_is_help=False,
    invoke_without_command=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(rules_app, name="rules")
    app.command("merchants")(merchants)


@rules_app.callback(invoke_without_command=True)
@common.reports_errors
def rules_list(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """Your categorisation rules: list them, or test a descriptor.

    Lists the rules and where the file is (with an example when there are none).

    [bold]Examples:[/]
      moneystory rules
      moneystory rules test "SQ *BLUE BOTTLE COF" --amount -4.50
    """
    if ctx.invoked_subcommand is not None:
        return
    from moneystory import enrich

    home = common.home(ctx)
    rules = enrich.load_rules(home.rules_file)
    if as_json:
        common.emit_json(_rules_json(rules, str(home.rules_file)))
        return
    _print_rules(ctx, rules, str(home.rules_file))


def _rules_json(rules: Rules, path: str) -> dict[str, Any]:
    return {
        "file": path,
        "holder": rules.holder.names,
        "rules": [{"index": i + 1, "line": r.line, "conditions": r.conditions(),
                   "sets": r.assignments(), "note": r.note} for i, r in enumerate(rules.rules)],
    }


def _print_rules(ctx: typer.Context, rules: Rules, path: str) -> None:
    from rich.markup import escape

    from moneystory.enrich.rules import EXAMPLE
    from moneystory.render.terminal import Col, FittedTable

    out = common.out(ctx)
    if not rules.rules:
        out.print(f"No rules yet. Write them in [bold]{escape(path)}[/], for example:\n")
        out.print(escape(EXAMPLE), highlight=False)
        out.print("Then check one with [bold]moneystory rules test \"RAW DESCRIPTOR\"[/].")
        return
    cols = [Col("#", justify="right"), Col("line", justify="right"),
            Col("when", flex=True, min_width=20), Col("sets", flex=True, min_width=20)]
    table = FittedTable(cols, [
        [str(i), str(rule.line), escape("\nand ".join(rule.conditions())),
         escape("\n".join(rule.assignments()))] for i, rule in enumerate(rules.rules, 1)])
    out.print(f"[dim]{escape(path)}[/]")
    out.print(table)
    if rules.holder.names:
        out.print(f"[dim]your own names (transfers): {escape(', '.join(rules.holder.names))}[/]")


@rules_app.command("test")
@common.reports_errors
def rules_test(
    ctx: typer.Context,
    description: Annotated[str, typer.Argument(help="A raw descriptor as the bank writes it.")],
    amount: Annotated[str, typer.Option("--amount", help="Signed amount (money out < 0).",
                                        metavar="AMOUNT")] = "-10",
    account: Annotated[str | None, common.account_option("As if on this account.")] = None,
    counterparty: Annotated[
        str | None, typer.Option("--counterparty", help="Payee or payer name, if any.",
                                 metavar="NAME")
    ] = None,
    bank_category: Annotated[
        str | None, typer.Option("--bank-category", help="The bank's own category, if any.",
                                 metavar="TEXT")
    ] = None,
    mcc: Annotated[str | None, typer.Option("--mcc", help="Merchant category code, if any.",
                                            metavar="CODE")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Show the merchant, category and kind a descriptor becomes, and what decided each.

    Nothing is stored: use it to try a rule before relying on it.

    [bold]Example:[/] moneystory rules test "AMZN Mktp US*2K4L1" --amount -23.99
    """
    from moneystory import enrich
    from moneystory.errors import UsageProblem
    from moneystory.money import to_decimal

    try:
        value = to_decimal(amount)
    except ValueError as exc:
        raise UsageProblem(f"--amount {amount!r} is not a number",
                           hint="write it like -12.50") from exc
    home = common.home(ctx)
    result = enrich.explain(description, enrich.load_rules(home.rules_file), amount=value,
                            account=account, counterparty=counterparty,
                            bank_category=bank_category, mcc=mcc)
    if as_json:
        common.emit_json(result)
        return
    _print_explanation(ctx, result)


def _print_explanation(ctx: typer.Context, result: Explanation) -> None:
    from rich.markup import escape

    from moneystory.render.terminal import Col, FittedTable

    rows = [[name, f"[bold]{escape(decision.value or '')}[/]", escape(decision.source)]
            for name, decision in (("merchant", result.merchant),
                                   ("category", result.category), ("kind", result.kind))]
    if result.intermediary:
        rows.append(["intermediary", escape(result.intermediary), "processor/wallet prefix"])
    cols = [Col("field"), Col("value", flex=True, min_width=16),
            Col("decided by", flex=True, min_width=16)]
    out = common.out(ctx)
    out.print(f"[dim]{escape(result.description)}  ({result.amount})[/]", soft_wrap=True)
    out.print(FittedTable(cols, rows))


@common.reports_errors
def merchants(
    ctx: typer.Context,
    year: Annotated[int | None, typer.Option("--year", help="Only this year.", metavar="YEAR")]
    = None,
    account: Annotated[str | None, common.account_option()] = None,
    limit: Annotated[int, typer.Option("--limit", help="Show at most this many (0: all).",
                                       metavar="N", min=0)] = 30,
    variants: Annotated[int, typer.Option("--variants", help="Raw variants shown per merchant.",
                                          metavar="N", min=0)] = 3,
    as_json: JsonFlag = False,
) -> None:
    """Merchants, their spend, and the raw descriptors under each.

    Spend and count per merchant, and the raw descriptors grouped under each, most spent first.

    A merchant split in two, or two merchants merged, is fixed with a rule (see [bold]rules[/]).

    [bold]Examples:[/]
      moneystory merchants --year 2023
      moneystory merchants --limit 0 --variants 10
    """
    from moneystory import analysis

    start = date(year, 1, 1) if year else None
    end = date(year, 12, 31) if year else None
    result = analysis.merchants(common.home(ctx), account=common.known_account(ctx, account),
                                start=start, end=end)
    if as_json:
        common.emit_json(_merchants_json(result))
        return
    _print_merchants(ctx, result, limit, variants)


def _merchants_json(result: MerchantList) -> dict[str, Any]:
    from moneystory.money import for_display

    doc = result.model_dump(mode="python")
    for row in doc["merchants"]:
        row["spend"] = for_display(row["spend"], row["currency"])
    return doc


def _print_merchants(ctx: typer.Context, result: MerchantList, limit: int, shown: int) -> None:
    from rich.markup import escape

    from moneystory.render.terminal import Col, FittedTable, money

    if not result.merchants:
        common.out(ctx).print("No transactions match; `moneystory accounts` shows what the "
                              "store holds.")
        return
    rows = result.merchants[:limit] if limit > 0 else result.merchants
    # at 80 columns the category goes first: the raw variants are what this command is for
    cols = [Col("merchant", flex=True, min_width=18), Col("category", drop=2),
            Col("spend", justify="right"), Col("count", justify="right"),
            Col("raw variants", flex=True, min_width=26, drop=1)]
    cells = []
    for row in rows:
        # the count goes first: a long descriptor is cut at the column's end
        names = [f"[dim]{v.count}×[/] {escape(v.description)}" for v in row.variants[:shown]]
        more = row.variant_count - len(names)
        if more > 0:
            names.append(f"[dim]+{more} more[/]")
        cells.append([escape(row.merchant), row.category, money(row.spend, row.currency),
                      str(row.count), "\n".join(names)])
    table = FittedTable(cols, cells)
    out = common.out(ctx)
    out.print(table)
    out.print(f"[dim]{result.distinct_merchants} merchants from "
              f"{result.distinct_descriptions} distinct descriptors"
              + (f"; showing {len(rows)}" if len(rows) < len(result.merchants) else "") + "[/]")
