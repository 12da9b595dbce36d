"""`demo`: import the bundled examples into a throwaway home and run the real commands on them.

Each step runs the actual command in-process (the same code a person would run), so the demo
shows exactly what those commands print.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from moneystory.cli import common

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
            _run(ctx, home.path, step.args)
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


def _run(ctx: typer.Context, home: Path, args: tuple[str, ...]) -> None:
    """Invoke `moneystory --home HOME ARGS` in this process; say when it exits non-zero."""
    from moneystory.cli import app

    command = typer.main.get_command(app)
    root = ["--home", str(home)] + (["--no-color"] if common.state(ctx).no_color else [])
    # standalone_mode=False: a command's exit code comes back instead of ending the demo
    code = command.main(args=[*root, *args], prog_name="moneystory", standalone_mode=False)
    out = common.out(ctx)
    if code == 3 and args[0] == "check":
        out.print("[dim](exit code 3: a pledge is broken, as the story has it)[/]")
    elif isinstance(code, int) and code not in (0, 3):
        out.print(f"[dim](`moneystory {args[0]}` ended with exit code {code})[/]")
