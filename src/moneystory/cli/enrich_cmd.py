"""`rules`, `rules test "RAW DESCRIPTOR"` and `merchants`."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

import typer

from moneystory.cli import common

if TYPE_CHECKING:
    from moneystory.enrich import Explanation, Rules
    from moneystory.enrich.summary import MerchantList

JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]

rules_app = typer.Typer(
    help="Your categorisation rules (rules.toml): list them, or test a descriptor.",
    no_args_is_help=False,
    invoke_without_command=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(rules_app, name="rules")
    app.command("merchants")(merchants)


@rules_app.callback(invoke_without_command=True)
@common.reports_errors
def rules_list(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """List your rules and where the file is (with an example when there are none)."""
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
    from rich.table import Table

    from moneystory.enrich.rules import EXAMPLE

    out = common.out(ctx)
    if not rules.rules:
        out.print(f"No rules yet. Write them in [bold]{escape(path)}[/], for example:\n")
        out.print(escape(EXAMPLE), highlight=False)
        out.print("Then check one with [bold]moneystory rules test \"RAW DESCRIPTOR\"[/].")
        return
    table = Table("#", "line", "when", "sets", box=None, header_style="bold")
    for i, rule in enumerate(rules.rules, 1):
        table.add_row(str(i), str(rule.line), escape(" and ".join(rule.conditions())),
                      escape(", ".join(rule.assignments())))
    out.print(f"[dim]{escape(path)}[/]")
    out.print(table)
    if rules.holder.names:
        out.print(f"[dim]your own names (transfers): {escape(', '.join(rules.holder.names))}[/]")


@rules_app.command("test")
@common.reports_errors
def rules_test(
    ctx: typer.Context,
    description: Annotated[str, typer.Argument(help="A raw descriptor as the bank writes it.")],
    amount: Annotated[str, typer.Option("--amount", help="Signed amount (money out < 0).")]
    = "-10",
    account: Annotated[str | None, typer.Option("--account", help="Account id.")] = None,
    counterparty: Annotated[
        str | None, typer.Option("--counterparty", help="Payee or payer name, if any.")
    ] = None,
    bank_category: Annotated[
        str | None, typer.Option("--bank-category", help="The bank's own category, if any.")
    ] = None,
    mcc: Annotated[str | None, typer.Option("--mcc", help="Merchant category code, if any.")]
    = None,
    as_json: JsonFlag = False,
) -> None:
    """Show the merchant, category and kind a descriptor becomes, and what decided each."""
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
    from rich.table import Table

    table = Table("field", "value", "decided by", box=None, header_style="bold")
    for name, decision in (("merchant", result.merchant), ("category", result.category),
                           ("kind", result.kind)):
        table.add_row(name, f"[bold]{escape(decision.value or '')}[/]", escape(decision.source))
    if result.intermediary:
        table.add_row("intermediary", escape(result.intermediary), "processor/wallet prefix")
    out = common.out(ctx)
    out.print(f"[dim]{escape(result.description)}  ({result.amount})[/]")
    out.print(table)


@common.reports_errors
def merchants(
    ctx: typer.Context,
    year: Annotated[int | None, typer.Option("--year", help="Only this year.")] = None,
    account: Annotated[str | None, typer.Option("--account", help="Only this account.")] = None,
    limit: Annotated[int, typer.Option("--limit", help="Show at most this many (0: all).")] = 30,
    variants: Annotated[int, typer.Option("--variants", help="Raw variants shown per merchant.")]
    = 3,
    as_json: JsonFlag = False,
) -> None:
    """Merchants with their spend and count, and the raw descriptors grouped under each."""
    from moneystory import analysis

    start = date(year, 1, 1) if year else None
    end = date(year, 12, 31) if year else None
    result = analysis.merchants(common.home(ctx), account=account, start=start, end=end)
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
    from rich.table import Table

    from moneystory.render.terminal import money

    rows = result.merchants[:limit] if limit > 0 else result.merchants
    table = Table("merchant", "category", "spend", "count", "raw variants", box=None,
                  header_style="bold")
    for row in rows:
        names = [f"{escape(v.description)} [dim]×{v.count}[/]" for v in row.variants[:shown]]
        more = row.variant_count - len(names)
        if more > 0:
            names.append(f"[dim]+{more} more[/]")
        table.add_row(escape(row.merchant), row.category, money(row.spend, row.currency),
                      str(row.count), "\n".join(names))
    out = common.out(ctx)
    out.print(table)
    out.print(f"[dim]{result.distinct_merchants} merchants from "
              f"{result.distinct_descriptions} distinct descriptors"
              + (f"; showing {len(rows)}" if len(rows) < len(result.merchants) else "") + "[/]")
