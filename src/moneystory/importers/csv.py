"""CSV reader (to be written)."""

from __future__ import annotations

from pathlib import Path

from moneystory.errors import StatementError
from moneystory.importers.base import ImportOptions, ParsedFile


class _CsvImporter:
    name = "csv"

    def sniff(self, head: str) -> bool:
        return False

    def parse(self, path: Path, data: bytes, options: ImportOptions) -> ParsedFile:
        raise StatementError("CSV is not supported yet", path=path)


IMPORTER = _CsvImporter()


def list_profiles(user_dir: Path | None) -> list[dict[str, str]]:
    return []
