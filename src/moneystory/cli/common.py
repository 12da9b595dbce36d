"""What every command shares: the home, the consoles, JSON output and the error boundary."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

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
