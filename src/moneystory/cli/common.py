"""What every command shares: the home, the consoles, JSON output and the error boundary."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from moneystory.errors import ExitCode, MoneystoryError
from moneystory.paths import Home, resolve_home


@dataclass
class State:
    home: str | None = None
    no_color: bool = False
    debug: bool = False


def state(ctx: typer.Context) -> State:
    root = ctx.find_root()
    if not isinstance(root.obj, State):
        root.obj = State()
    return root.obj


def home(ctx: typer.Context) -> Home:
    return resolve_home(state(ctx).home)


def _no_color(ctx: typer.Context | None) -> bool:
    return bool(os.environ.get("NO_COLOR")) or (ctx is not None and state(ctx).no_color)


def out(ctx: typer.Context | None = None) -> Console:
    return Console(no_color=_no_color(ctx), highlight=False, soft_wrap=False)


def err(ctx: typer.Context | None = None) -> Console:
    return Console(stderr=True, no_color=_no_color(ctx), highlight=False)


def emit_json(value: Any) -> None:
    from moneystory.render.jsonout import dumps

    sys.stdout.write(dumps(value) + "\n")


F = TypeVar("F", bound=Callable[..., Any])


def reports_errors(func: F) -> F:
    """Turn a MoneystoryError into one sentence on stderr and its exit code; no traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        ctx = next((a for a in [*args, *kwargs.values()] if isinstance(a, typer.Context)), None)
        try:
            return func(*args, **kwargs)
        except MoneystoryError as exc:
            show_error(exc, ctx)
            raise typer.Exit(exc.exit_code) from None
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except Exception as exc:
            if ctx is not None and state(ctx).debug:
                raise
            err(ctx).print(
                f"[bold red]error:[/] unexpected {type(exc).__name__}: {exc}. "
                "This is a bug in moneystory; run again with --debug for the details "
                "and report it.",
                markup=True, highlight=False,
            )
            raise typer.Exit(ExitCode.UNEXPECTED) from None

    return wrapper  # type: ignore[return-value]


def parse_date(text: str | None, option: str) -> date | None:
    """An option's YYYY-MM-DD value, or a UsageProblem naming the option."""
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        from moneystory.errors import UsageProblem

        raise UsageProblem(f"{option} {text!r} is not a date",
                           hint="write it as YYYY-MM-DD") from None


def show_error(exc: MoneystoryError, ctx: typer.Context | None = None) -> None:
    from rich.markup import escape

    # soft_wrap: one sentence stays one line when piped (rich would cut it at 80 columns)
    err(ctx).print(f"[bold red]error:[/] {escape(exc.sentence())}", highlight=False,
                   soft_wrap=True)


def write_user_file(path: Path, data: bytes | str, *, example_name: str = "report") -> Path:
    """Write a file the user named (--html, --ics): whole or not at all (temp, then rename),
    private (0600). Unlike the store's writes, the folder is never created or re-permissioned:
    it is the user's (their Desktop, the current folder)."""
    target = path.expanduser()
    if target.is_dir():
        raise MoneystoryError(f"{target} is a folder, not a file",
                              hint=f"give a file name, e.g. {target / example_name}")
    if not target.parent.is_dir():
        raise MoneystoryError(f"cannot write {target}: the folder {target.parent} does not exist",
                              hint="create it first or choose another folder")
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise MoneystoryError(f"cannot write {target} ({exc.strerror})",
                              hint="choose a folder you can write to") from exc
    return target


def known_account(ctx: typer.Context, account: str | None) -> str | None:
    """The --account value, or a UsageProblem listing the accounts the store knows.

    Without it a mistyped account silently filters everything out and looks like no data.
    """
    if account is None:
        return None
    from moneystory.errors import UsageProblem
    from moneystory.store import Store

    accounts = sorted(Store(home(ctx)).read_log().accounts)
    if account not in accounts:
        raise UsageProblem(f"no account {account!r} in the store",
                           hint=f"known accounts: {', '.join(accounts)}" if accounts else
                           "import your statements first: `moneystory import FILE`")
    return account


def command_line(ctx: typer.Context, *words: str) -> str:
    """`moneystory [--home DIR] WORDS`, quoted for a POSIX shell, to copy and run."""
    import shlex

    given = state(ctx).home
    return shlex.join(["moneystory", *(["--home", given] if given else []), *words])


def hidden_count(ctx: typer.Context) -> int:
    """How many rows `moneystory hide` keeps out of every report."""
    from moneystory import hidden

    return len(hidden.hidden_ids(home(ctx)))


def print_hidden_note(ctx: typer.Context) -> None:
    """Under a report: that hidden rows are left out of it, so that a total never silently
    differs from the bank's. Nothing when none is hidden."""
    count = hidden_count(ctx)
    if count:
        from rich.markup import escape

        rows = "transaction is" if count == 1 else "transactions are"
        out(ctx).print(f"[dim]{count} hidden {rows} left out "
                       f"(`{escape(command_line(ctx, 'hide'))}` lists them).[/]")


def flag(*names: str, help: str) -> Any:
    """A yes/no option. metavar "" keeps the help from showing a misleading `<bool>` value."""
    return typer.Option(*names, help=help, metavar="")


def account_option(help: str = "Only this account (see `moneystory accounts`).") -> Any:
    return typer.Option("--account", help=help, metavar="NAME")


# every reporting command's --json; Annotated so a command writes `as_json: JsonFlag = False`
JsonFlag = Annotated[bool, flag("--json", help="Print one JSON document (amounts as numbers).")]
