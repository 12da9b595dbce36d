"""`demo`: import the bundled examples into a throwaway home and run the real commands on them.

Each step runs the actual command in-process (the same code a person would run), so the demo
shows exactly what those commands print; a command this version does not have yet is skipped.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from moneystory.cli import common

if TYPE_CHECKING:
    from moneystory.demo import Step

DEFAULT_HTML = Path("moneystory-review-2023.html")


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


@common.reports_errors
def demo(
    ctx: typer.Context,
    keep: Annotated[
        Path | None,
        typer.Option("--keep", metavar="DIR",
                     help="Keep the demo store in DIR (default: a temporary folder, deleted)."),
    ] = None,
    html: Annotated[
        Path, typer.Option("--html", metavar="FILE", help="Where to write the 2023 HTML review.")
    ] = DEFAULT_HTML,
    no_html: Annotated[bool, common.flag("--no-html", help="Do not write the HTML page.")]
    = False,
) -> None:
    """Import made-up statements (two years, five accounts) and show what moneystory does.

    Nothing of yours is read or changed: the demo uses its own temporary store (--home is
    not used), deleted afterwards unless you pass --keep DIR.

    Examples:

      moneystory demo

      moneystory demo --keep ~/demo-home --html review.html
    """
    import time

    from rich.markup import escape

    from moneystory import demo as service

    out = common.out(ctx)
    page = None if no_html else html.expanduser().resolve()
    started = time.time()
    home = service.open_home(keep)
    try:
        out.rule("[bold]moneystory demo[/]")
        out.print(
            "Jordan Avery is made up, and so are the numbers: 2022 and 2023 of a checking "
            "account (OFX), a savings account (QIF), a Chase card and a Capital One card (CSV) "
            "and a German ING account (CSV with decimal commas)."
        )
        out.print(f"[dim]Demo store: {escape(str(home.path))}[/]")
        _section(ctx, "Import", None)
        # QIF states no currency; --currency fills only rows whose file gives none
        _run(ctx, home.path, ("import", "--currency", "USD", *map(str, home.files)))
        for step in service.steps(page):
            _section(ctx, step.title, step.note)
            _run_step(ctx, home.path, step)
        if page is not None and page.exists() and page.stat().st_mtime >= started - 1:
            out.print(f"\n[bold]The 2023 review as a page:[/] {escape(str(page))}")
        if home.keep:
            kept = escape(str(home.path))
            out.print(f"[dim]The demo store is kept in {kept}: "
                      f"moneystory --home {kept} review 2023[/]")
    finally:
        home.close()


def _section(ctx: typer.Context, title: str, note: str | None) -> None:
    out = common.out(ctx)
    out.print()
    out.rule(f"[bold]{title}[/]", align="left")
    if note:
        out.print(f"[dim]{note}[/]")


def _run_step(ctx: typer.Context, home: Path, step: Step) -> None:
    """Run a step; when this version lacks an option, try the step's simpler forms."""
    candidates = (step.args, *step.fallbacks)
    for number, args in enumerate(candidates, start=1):
        if _run(ctx, home, args, quiet_usage=number < len(candidates)) != "usage":
            return


def _run(ctx: typer.Context, home: Path, args: tuple[str, ...], *,
         quiet_usage: bool = False) -> str:
    """Invoke `moneystory --home HOME ARGS` in this process; report skips and exit codes."""
    from moneystory.cli import app

    command = typer.main.get_command(app)
    out = common.out(ctx)
    known = getattr(command, "commands", {})
    if args[0] not in known:
        out.print(f"[dim](skipped: `moneystory {args[0]}` is not in this version yet)[/]")
        return "missing"
    root = ["--home", str(home)] + (["--no-color"] if common.state(ctx).no_color else [])
    try:
        code = command.main(args=[*root, *args], prog_name="moneystory", standalone_mode=False)
    except typer.TyperException as exc:  # a usage error: this version lacks an option
        if exc.exit_code == 2 and quiet_usage:
            return "usage"
        out.print(f"[dim](skipped `moneystory {' '.join(args[:2])}`: "
                  f"{exc.format_message()})[/]")
        return "usage"
    except typer.Abort:
        out.print("[dim](skipped: the command asked a question the demo cannot answer)[/]")
        return "aborted"
    if code == 3 and args[0] == "check":
        out.print("[dim](exit code 3: a pledge is broken, as the story has it)[/]")
    elif isinstance(code, int) and code not in (0, 3):
        out.print(f"[dim](`moneystory {args[0]}` ended with exit code {code})[/]")
    return "ok"
