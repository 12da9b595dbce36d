"""`import`, `imports`, `accounts`, `transactions`, `profiles`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from moneystory.cli import common
from moneystory.words import plural

if TYPE_CHECKING:
    from moneystory.ingest import FileResult

JsonFlag = common.JsonFlag


def register(app: typer.Typer) -> None:
    app.command("import")(import_)
    app.add_typer(imports_app, name="imports")
    app.command("accounts")(accounts)
    app.command("transactions")(transactions)
    app.command("hide")(hide)
    app.command("unhide")(unhide)
    app.command("profiles")(profiles)


@common.reports_errors
def import_(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(help="Statement files: CSV, OFX/QFX, QIF, CAMT.")],
    account: Annotated[str | None, typer.Option("--account", help="Name the account.")] = None,
    profile: Annotated[
        str | None, typer.Option("--profile", help="Force a bank profile (see `profiles`).")
    ] = None,
    dry_run: Annotated[bool, common.flag("--dry-run", help="Show what would be imported; write "
                                         "nothing.")] = False,
    strict: Annotated[bool, common.flag("--strict", help="Abort a file on any bad row.")] = False,
    include_pending: Annotated[
        bool, common.flag("--include-pending", help="Keep pending rows instead of skipping them.")
    ] = False,
    currency: Annotated[
        str | None,
        typer.Option("--currency", metavar="CODE",
                     help="ISO 4217 code (e.g. USD) for files that state none, such as QIF."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Import bank exports; each file's format and bank are detected from its content.

    Re-importing is always safe: rows already in the store are recognised and skipped.
    Rows that cannot be read are listed with their line and reason; the rest go in.

    Examples:

      moneystory import ~/Downloads/*.csv ~/Downloads/*.ofx

      moneystory import savings.qif --currency USD --dry-run
    """
    from moneystory import ingest

    currency = ingest.currency_code(currency)  # a wrong code stops before any file is read
    home = common.home(ctx)
    console = common.err(ctx)
    show_progress = not as_json and sys.stderr.isatty()
    if show_progress:
        from rich.progress import Progress, SpinnerColumn, TextColumn

        bar = Progress(SpinnerColumn(), TextColumn("{task.description}"), console=console,
                       transient=True)
        task = bar.add_task("reading", total=None)
        bar.start()

        def progress(name: str, stage: str) -> None:
            bar.update(task, description=f"{stage} {Path(name).name}")
    try:
        results = ingest.import_files(
            home, files, account=account, profile=profile, dry_run=dry_run, strict=strict,
            include_pending=include_pending, currency=currency,
            progress=progress if show_progress else None,
        )
    finally:
        if show_progress:
            bar.stop()
    notices = [] if dry_run else _after_import_notices(home, results)
    if as_json:
        common.emit_json({"imports": [_result_json(ctx, r) for r in results],
                          "notices": notices})
    else:
        _print_results(ctx, results, notices)
    failed = [r for r in results if r.error]
    if failed:
        raise typer.Exit(max(r.error.exit_code for r in failed if r.error))


def _after_import_notices(home: Any, results: list[FileResult]) -> list[str]:
    """One-line notices from features that watch imports (card change, pledge)."""
    ids = [r.import_id for r in results if r.import_id]
    if not ids or not (home.card_change_file.exists() or home.pledge_file.exists()):
        return []  # nothing watches imports: not even worth loading those services
    notices: list[str] = []
    from moneystory import cards, pledges

    for provider in (cards.import_notices, pledges.import_notices):
        notices.extend(provider(home, ids))
    return notices


def _result_json(ctx: typer.Context, r: FileResult) -> dict[str, Any]:
    body: dict[str, Any] = {
        "file": r.file, "format": r.format, "profile": r.profile, "accounts": r.accounts,
        "rows": r.rows, "added": r.added, "duplicates": r.duplicates,
        "pending_skipped": r.pending_skipped,
        "rejected": [{"line": i.line, "reason": i.reason} for i in r.rejected],
        "warnings": r.warnings, "import_id": r.import_id, "dry_run": r.dry_run,
        "possible_duplicates": [_amount_shown(p) | {"hide_command": _hide_command(ctx, r, p)}
                                for p in r.possible_duplicates],
        "first_date": r.first_date, "last_date": r.last_date,
    }
    if r.error:
        body["error"] = r.error.sentence()
    return body


def _hide_command(ctx: typer.Context, r: FileResult, dup: dict[str, Any]) -> str | None:
    """The command that hides the new row of a possible duplicate (none in a dry run: the
    row is not stored), with the --home this run was given."""
    if r.dry_run or not dup.get("txn_id"):
        return None
    return common.command_line(ctx, "hide", dup["txn_id"], "--duplicate-of", dup["stored_txn_id"])


def _amount_shown(dup: dict[str, Any]) -> dict[str, Any]:
    from moneystory.money import for_display

    return {**dup, "amount": for_display(dup["amount"], None)}


def _print_results(ctx: typer.Context, results: list[FileResult], notices: list[str]) -> None:
    from rich.markup import escape

    out = common.out(ctx)
    for r in results:
        name = escape(Path(r.file).name)
        if r.error:
            common.show_error(r.error, ctx)
            continue
        verb = "would add" if r.dry_run else "added"
        source = r.format.upper() if r.format else "?"
        if r.profile:
            source += f" · {escape(r.profile)}"
        span = f", {r.first_date} → {r.last_date}" if r.first_date else ""
        out.print(f"[bold]{name}[/]  [dim]{source}[/]  → "
                  f"{escape(', '.join(r.accounts) or '—')}", soft_wrap=True)
        out.print(
            f"  {plural(r.rows, 'row')}{span}: [green]{verb} {r.added}[/], "
            f"{r.duplicates} already in the store"
            + (f", {r.pending_skipped} pending skipped" if r.pending_skipped else "")
            + (f", [yellow]{len(r.rejected)} rejected[/]" if r.rejected else "")
            + (f"  [dim](import {r.import_id})[/]" if r.import_id else "")
            + ("  [dim](dry run: nothing written)[/]" if r.dry_run else ""),
            soft_wrap=True,
        )
        for issue in r.rejected[:20]:
            out.print(f"  [yellow]line {issue.line}[/]: {escape(issue.reason)}", soft_wrap=True)
        if len(r.rejected) > 20:
            out.print(f"  … and {len(r.rejected) - 20} more (see --json)")
        if r.possible_duplicates:
            out.print(f"  [yellow]{plural(len(r.possible_duplicates), 'possible duplicate')}[/],"
                      " kept "
                      "(same amount, a few days apart, similar text"
                      + ("" if r.dry_run else "; the command under each hides it") + "):",
                      soft_wrap=True)
        for dup in r.possible_duplicates[:10]:
            out.print(f"  [yellow]line {dup['line']}[/]: {dup['date']} "
                      f"{escape(dup['description'] or '')} ≈ stored {dup['stored_date']} "
                      f"{escape(dup['stored_description'] or '')}", soft_wrap=True)
            command = _hide_command(ctx, r, dup)
            if command:
                out.print(f"    {escape(command)}", soft_wrap=True)
        if len(r.possible_duplicates) > 10:
            out.print(f"  … and {len(r.possible_duplicates) - 10} more (see --json)")
        for warning in r.warnings:
            out.print(f"  [yellow]warning:[/] {escape(warning)}", soft_wrap=True)
    for notice in notices:
        out.print(f"[bold yellow]▶ {escape(notice)}[/]", soft_wrap=True)


imports_app = typer.Typer(help="List imports, or undo one.", no_args_is_help=False)


@imports_app.callback(invoke_without_command=True)
@common.reports_errors
def imports(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """List imports, oldest first; `imports undo ID` removes one.

    Examples:

      moneystory imports

      moneystory imports undo 5d8fcb1d
    """
    if ctx.invoked_subcommand:
        return
    from moneystory.store import Store

    log = Store(common.home(ctx)).read_log()
    if as_json:
        common.emit_json({"imports": log.imports})
        return
    if not log.imports:
        common.out(ctx).print("No imports yet. Try `moneystory import FILE`.")
        return
    from moneystory.render.store_text import imports_table

    common.out(ctx).print(imports_table(log.imports))


@imports_app.command("undo")
@common.reports_errors
def undo(
    ctx: typer.Context,
    import_id: Annotated[str, typer.Argument(help="Import id (a unique prefix is enough).")],
    as_json: JsonFlag = False,
) -> None:
    """Remove the rows one import added (the file can be imported again later)."""
    from moneystory.store import Store

    store = Store(common.home(ctx))
    with store.writing(f"imports undo {import_id}"):
        record = store.undo(import_id)
    if as_json:
        common.emit_json({"undone": record})
        return
    common.out(ctx).print(
        f"Undone import {record['import_id']} ({Path(record['file']).name}): "
        f"{record.get('added', 0)} transactions removed. The file can be imported again.",
        soft_wrap=True,
    )


@common.reports_errors
def accounts(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """Accounts in the store with their transaction counts and date spans.

    Examples:

      moneystory accounts

      moneystory accounts --json
    """
    from moneystory import reports

    rows = reports.accounts(common.home(ctx))
    if as_json:
        common.emit_json({"accounts": rows})
        return
    if not rows:
        common.out(ctx).print("No accounts yet. Try `moneystory import FILE`.")
        return
    from moneystory.render.store_text import accounts_table

    common.out(ctx).print(accounts_table(rows))
    common.print_hidden_note(ctx)


@common.reports_errors
def transactions(
    ctx: typer.Context,
    year: Annotated[int | None, typer.Option("--year", help="Only this year.")] = None,
    start: Annotated[str | None, typer.Option("--from", help="From this date (YYYY-MM-DD).")]
    = None,
    end: Annotated[str | None, typer.Option("--to", help="To this date (YYYY-MM-DD).")] = None,
    account: Annotated[str | None, common.account_option()] = None,
    merchant: Annotated[str | None, typer.Option("--merchant", help="Merchant contains.")] = None,
    category: Annotated[str | None, typer.Option("--category", help="Only this category.")]
    = None,
    as_csv: Annotated[bool, common.flag("--csv", help="Print CSV.")] = False,
    show_hidden: Annotated[
        bool, common.flag("--show-hidden", help="Include hidden transactions, marked (see "
                          "`hide`); implies --ids.")
    ] = False,
    ids: Annotated[bool, common.flag("--ids", help="Show each row's id (for `hide`).")] = False,
    as_json: JsonFlag = False,
) -> None:
    """The transactions, oldest first, with merchant, category and kind.

    Hidden transactions (`moneystory hide`) are left out, as in every report, unless
    --show-hidden.

    Examples:

      moneystory transactions --year 2023 --category restaurants

      moneystory transactions --merchant netflix --csv > netflix.csv

      moneystory transactions --from 2024-03-01 --ids
    """
    from moneystory import reports

    if as_csv and as_json:
        from moneystory.errors import UsageProblem

        raise UsageProblem("--csv and --json cannot be used together", hint="choose one")
    account = common.known_account(ctx, account)
    frame = reports.transactions(
        common.home(ctx), year=year, start=common.parse_date(start, "--from"),
        end=common.parse_date(end, "--to"),
        account=account, merchant=merchant, category=category, show_hidden=show_hidden,
    )
    if as_json:
        common.emit_json({"transactions": reports.transaction_dicts(frame)})
        return
    if as_csv:
        sys.stdout.write(reports.transactions_csv(frame))
        return
    out = common.out(ctx)
    if frame.height == 0:
        out.print("No transactions match." if common.home(ctx).import_log.exists()
                  else "No transactions yet. Try `moneystory import FILE`.")
        return
    from moneystory.render.store_text import transactions_table

    out.print(transactions_table(frame.iter_rows(named=True), ids=ids or show_hidden))
    out.print(f"[dim]{frame.height} transactions{_hidden_note(ctx, frame, show_hidden)}[/]")


def _hidden_note(ctx: typer.Context, frame: Any, shown: bool) -> str:
    """What the count line says of hidden rows, so that a total never silently differs."""
    if shown:
        return f", {frame['hidden'].sum()} of them hidden"
    count = common.hidden_count(ctx)
    from rich.markup import escape

    return (f" (and {count} hidden in the store: `{escape(common.command_line(ctx, 'hide'))}` "
            "lists them)" if count else "")


@common.reports_errors
def profiles(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """Bank profiles: built-in ones and your own (which take precedence).

    Examples:

      moneystory profiles

      moneystory import statement.csv --profile ing-de
    """
    from moneystory.importers.csv import list_profiles

    rows = list_profiles(common.home(ctx).profiles_dir)
    if as_json:
        common.emit_json({"profiles": rows})
        return
    from rich.table import Table

    table = Table("profile", "bank", "country", "source", box=None, header_style="bold")
    for row in rows:
        table.add_row(row["id"], row.get("name") or "", row.get("country") or "",
                      row.get("source") or "")
    common.out(ctx).print(table)
    common.out(ctx).print(f"[dim]{len(rows)} profiles. Your own go in "
                          f"{common.home(ctx).profiles_dir}/NAME.toml[/]")


@common.reports_errors
def hide(
    ctx: typer.Context,
    txn_ids: Annotated[
        list[str] | None,
        typer.Argument(help="Transaction ids (a unique prefix is enough); none: list the "
                       "hidden ones.", metavar="ID", show_default=False),
    ] = None,
    duplicate_of: Annotated[
        str | None, typer.Option("--duplicate-of", metavar="ID",
                                 help="The copy to keep: the hidden row is a duplicate of it.")
    ] = None,
    reason: Annotated[
        str | None, typer.Option("--reason", metavar="TEXT", help="Why, in your words.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Hide transactions (a duplicate, say) from every report, or list them.

    Nothing is deleted: the rows stay in the store (a re-import still recognises them and
    keeps them hidden), and `unhide` brings them back. The ids are in the possible
    duplicates `import` lists and in `transactions --ids`.

    Examples:

      moneystory hide 48213377 --duplicate-of 90412265

      moneystory hide

      moneystory unhide 48213377
    """
    from moneystory import hidden

    home = common.home(ctx)
    if not txn_ids:
        if duplicate_of or reason:
            from moneystory.errors import UsageProblem

            raise UsageProblem("--duplicate-of and --reason need the id of the row to hide",
                               hint="e.g. `moneystory hide ID --duplicate-of ID`")
        _list_hidden(ctx, hidden.listing(home), as_json)
        return
    outcome = hidden.hide(home, txn_ids, duplicate_of=duplicate_of, reason=reason)
    if as_json:
        common.emit_json({"hidden": [_entry_json(e) for e in outcome.hidden],
                          "already_hidden": [_entry_json(e) for e in outcome.already],
                          "notes": outcome.notes})
        return
    from rich.markup import escape

    from moneystory.render.hidden_text import entry_line

    out = common.out(ctx)
    for entry in outcome.hidden:
        out.print(f"Hidden {entry_line(entry)} ({escape(entry.reason)}).", soft_wrap=True)
    for entry in outcome.already:
        out.print(f"Already hidden since {entry.hidden_at.date()}: {entry_line(entry)} "
                  f"({escape(entry.reason)}).", soft_wrap=True)
    for note in outcome.notes:
        out.print(f"[yellow]note:[/] {escape(note)}.", soft_wrap=True)
    if outcome.hidden:
        them = "it" if len(outcome.hidden) == 1 else "them"
        unhide = common.command_line(ctx, "unhide", *(e.txn_id for e in outcome.hidden))
        out.print(f"Every report leaves {them} out; `{escape(unhide)}` shows {them} again.",
                  soft_wrap=True)


def _list_hidden(ctx: typer.Context, rows: list[Any], as_json: bool) -> None:
    if as_json:
        common.emit_json({"hidden": [_entry_json(row) for row in rows]})
        return
    out = common.out(ctx)
    if not rows:
        out.print("No hidden transactions. `moneystory hide ID` hides one from every report.")
        return
    from rich.markup import escape

    from moneystory.render.hidden_text import hidden_list

    out.print(hidden_list(rows), soft_wrap=True)
    unhide = escape(common.command_line(ctx, "unhide", "ID"))
    out.print(f"[dim]{len(rows)} hidden; `{unhide}` shows one again[/]")


def _entry_json(entry: Any) -> dict[str, Any]:
    """A hidden entry as JSON: the amount with its currency's decimals."""
    from moneystory.money import for_display

    body: dict[str, Any] = entry.model_dump(mode="python")
    if body.get("amount") is not None:
        body["amount"] = for_display(body["amount"], body.get("currency"))
    return body


@common.reports_errors
def unhide(
    ctx: typer.Context,
    txn_ids: Annotated[list[str], typer.Argument(
        help="Ids of hidden transactions (a unique prefix is enough).", metavar="ID")],
    as_json: JsonFlag = False,
) -> None:
    """Show hidden transactions again in every report.

    Examples:

      moneystory unhide 48213377
    """
    from moneystory import hidden

    entries = hidden.unhide(common.home(ctx), txn_ids)
    if as_json:
        common.emit_json({"unhidden": [_entry_json(e) for e in entries]})
        return
    from moneystory.render.hidden_text import entry_line

    for entry in entries:
        common.out(ctx).print(f"Shown again: {entry_line(entry)}.", soft_wrap=True)
