"""`review YEAR`: the money story in the terminal, as JSON, or as an HTML page."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from moneystory.cli import common


def register(app: typer.Typer) -> None:
    app.command("review")(review)


@common.reports_errors
def review(
    ctx: typer.Context,
    year: Annotated[int, typer.Argument(help="The year to review, e.g. 2023.")],
    account: Annotated[str | None, typer.Option("--account", help="Only this account.")] = None,
    html: Annotated[
        Path | None, typer.Option("--html", help="Also write the story as one HTML page.",
                                  metavar="FILE")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
    no_color: Annotated[bool, typer.Option("--no-color", help="Plain output, no colours.")]
    = False,
) -> None:
    """The money story of YEAR: where it went, when, against last year, and what to change.

    Every piece of advice says what it is worth a year and the step (or command) that acts on it.
    """
    from moneystory import story

    if no_color:
        common.state(ctx).no_color = True
    model = story.year_review(common.home(ctx), year, account=account)
    if html is not None:
        from moneystory.render.review_html import render_html

        _write_page(html, render_html(model))
    if as_json:
        common.emit_json(model)
        return
    from moneystory.render.review_text import render

    render(model, common.out(ctx))
    if html is not None:
        common.out(ctx).print(f"Wrote {html}")


def _write_page(path: Path, page: str) -> None:
    """Write the page whole or not at all (temp, then rename); private, like the store."""
    from moneystory.errors import MoneystoryError

    target = path.expanduser()
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(page)
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise MoneystoryError(
            f"cannot write {target} ({exc.strerror})",
            hint="choose a folder you can write to", path=target,
        ) from exc
