"""OFX reader (to be written)."""

from __future__ import annotations

from pathlib import Path

from moneystory.errors import StatementError
from moneystory.importers.base import ImportOptions, ParsedFile


class _OfxImporter:
    name = "ofx"

    def sniff(self, head: str) -> bool:
        return False

    def parse(self, path: Path, data: bytes, options: ImportOptions) -> ParsedFile:
        raise StatementError("OFX is not supported yet", path=path)


IMPORTER = _OfxImporter()
