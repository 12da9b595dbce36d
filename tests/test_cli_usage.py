"""Usage errors from the argument parser read like every other error: one sentence, exit 2."""

from __future__ import annotations

import subprocess
import sys

import pytest


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "moneystory", *args], capture_output=True,
                          text=True, env={"NO_COLOR": "1", "COLUMNS": "80", "PATH": ""})


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("review", "abc"), "Run `moneystory review --help`"),
        (("reviw",), "Did you mean 'review'?"),
        (("import", "--bogus", "x"), "No such option: --bogus"),
    ],
)
def test_a_usage_error_is_one_sentence(args: tuple[str, ...], says: str) -> None:
    result = _run(*args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert says in lines[0]
    assert "╭" not in result.stderr and "Traceback" not in result.stderr


def test_no_command_shows_the_help() -> None:
    result = _run()
    assert "Usage: moneystory" in result.stdout + result.stderr
    assert "error:" not in result.stderr


def test_the_help_flag_is_not_shown_as_taking_a_value() -> None:
    """typer 0.29 prints `--help -h <bool>`; the command gives it no metavar."""
    for args in (["--help"], ["import", "--help"], ["imports", "undo", "--help"]):
        help_line = next(line for line in _run(*args).stdout.splitlines()
                         if "Show this message" in line)
        assert "--help" in help_line and "<bool>" not in help_line, help_line
