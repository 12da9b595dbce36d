"""The command line: parse options, call one service, render its result. Nothing else.

Heavy modules (polars, the services) are imported inside command bodies so `--help` is fast.
"""

from __future__ import annotations

import os
from typing import Annotated, Any

from moneystory.cli.lazy_rich import defer_unused_rich_modules

defer_unused_rich_modules()  # before typer, which imports them to draw `--help`
# No pydantic plugins in this process: a plugin (an observability one) could send what the
# models hold off the machine, and looking for plugins scans every installed package's
# metadata (25 ms of each command). Read by pydantic when it builds the first model.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

import typer  # noqa: E402  (after the stand-ins: typer may import rich's modules)

from moneystory import __version__  # noqa: E402
from moneystory.cli import common  # noqa: E402

app = typer.Typer(
    name="moneystory",
    help="Your bank exports, your money story: private, local, in the terminal.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"moneystory {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    home: Annotated[
        str | None,
        typer.Option("--home", help="Store folder (default: $MONEYSTORY_HOME, else your data dir).",
                     metavar="DIR"),
    ] = None,
    no_color: Annotated[bool, common.flag("--no-color", help="Plain output, no colours.")] = False,
    debug: Annotated[bool, common.flag("--debug", help="Show tracebacks of unexpected errors.")]
    = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, metavar="",
                           help="Show the version.")
    ] = False,
) -> None:
    ctx.obj = common.State(home=home, no_color=no_color, debug=debug)


def _register() -> None:
    from moneystory.cli import (
        demo_cmd,
        enrich_cmd,
        import_cmd,
        pledge_cmd,
        recurring_cmd,
        review_cmd,
    )

    for module in (import_cmd, enrich_cmd, review_cmd, recurring_cmd, pledge_cmd, demo_cmd):
        module.register(app)


_register()


def main() -> None:
    """The console script: like `app()`, but a usage error is one sentence, not a panel."""
    import sys

    command = typer.main.get_command(app)
    _help_flag_without_metavar(command)
    try:
        code = command.main(prog_name="moneystory", standalone_mode=False)
    except typer.Abort:
        sys.stderr.write("Aborted.\n")
        sys.exit(1)
    except typer.TyperException as exc:  # the argument parser's own errors (exit code 2)
        if type(exc).__name__ == "NoArgsIsHelpError":  # bare `moneystory`: show the help
            exc.show()  # type: ignore[attr-defined]  # a click UsageError
            sys.exit(exc.exit_code)
        ctx = getattr(exc, "ctx", None)
        where = ctx.command_path if ctx is not None else "moneystory"
        message = exc.format_message().strip()
        if not message.endswith((".", "?", "!")):
            message += "."
        sys.stderr.write(f"error: {message} Run `{where} --help` for the options.\n")
        sys.exit(exc.exit_code)
    sys.exit(code if isinstance(code, int) else 0)


def _help_flag_without_metavar(command: Any) -> None:
    """typer 0.29 lists `--help -h <bool>`, as if the flag took a value: every command's help
    option gets an empty metavar, as our own flags have (common.flag)."""
    make = command.get_help_option

    def quiet(ctx: Any) -> Any:
        option = make(ctx)
        if option is not None:
            option.metavar = ""
        return option

    command.get_help_option = quiet
    for sub in getattr(command, "commands", {}).values():
        _help_flag_without_metavar(sub)
