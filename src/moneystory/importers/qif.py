"""QIF reader (to be written)."""

from __future__ import annotations

from pathlib import Path

from moneystory.errors import StatementError
from moneystory.importers.base import ImportOptions, ParsedFile


class _QifImporter:
    name = "qif"

    def sniff(self, head: str) -> bool:
        return False

    def parse(self, path: Path, data: bytes, options: ImportOptions) -> ParsedFile:
        raise StatementError("QIF is not supported yet", path=path)


IMPORTER = _QifImporter()
