"""Parse the hand-made statement fixtures the way `moneystory import` does, for importer tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from moneystory.importers import parse_file
from moneystory.importers.base import ImportOptions, ParsedFile


def fixture_parser(folder: Path) -> Callable[[str], ParsedFile]:
    """`parse_fixture(name)` for the files in `folder`: sniffed and parsed with no options."""

    def parse_fixture(name: str) -> ParsedFile:
        path = folder / name
        return parse_file(path, path.read_bytes(), ImportOptions())

    return parse_fixture


def column(parsed: ParsedFile, name: str) -> list[object]:
    """One column of the parsed rows, as a plain list to compare with."""
    return parsed.frame[name].to_list()
