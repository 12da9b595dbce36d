"""`review YEAR`: the money story in the terminal, as JSON, or as an HTML page."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from moneystory.cli import common


def register(app: typer.Typer) -> None:
    app.command("review")(review)


@common.reports_errors
def review(
    ctx: typer.Context,
    year: Annotated[int, typer.Argument(help="The year to review, e.g. 2023.", metavar="YEAR")],
    account: Annotated[str | None, common.account_option()] = None,
    html: Annotated[
        Path | None, typer.Option("--html", help="Also write the story as one HTML page.",
                                  metavar="FILE")
    ] = None,
    as_json: common.JsonFlag = False,
    no_color: Annotated[bool, common.flag("--no-color", help="Plain output, no colours.")]
    = False,
) -> None:
    """The money story of YEAR, with advice and what it is worth.

    Where the money went, when, against the year before, and what to change.

    Every piece of advice says what it is worth a year and the step (or command) that acts on it.

    [bold]Examples:[/]
      moneystory review 2023
      moneystory review 2023 --html review-2023.html
      moneystory review 2023 --account chase --json
    """
    from moneystory import story

    if no_color:
        common.state(ctx).no_color = True
    model = story.year_review(common.home(ctx), year, account=common.known_account(ctx, account))
    if html is not None:
        from moneystory.render.review_html import render_html

        html = common.write_user_file(html, render_html(model),
                                        example_name=f"review-{year}.html")
    if as_json:
        common.emit_json(model)
        return
    from moneystory.render.review_text import render

    render(model, common.out(ctx))
    common.print_hidden_note(ctx)
    if html is not None:
        common.out(ctx).print(f"Wrote {html}")
