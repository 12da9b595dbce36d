"""Importers: detect a file's format by its content, never its extension, and parse it.

Order matters: the formats with a signature (OFX, CAMT, QIF) are asked first; any other text
goes to the CSV reader, which finds its bank profile or maps the columns itself.
"""

from __future__ import annotations

from pathlib import Path

from moneystory.errors import DetectionError, StatementError
from moneystory.importers.base import Importer, ImportOptions, ParsedFile, decode

FORMATS = ("ofx", "camt", "qif", "csv")


def all_importers() -> list[Importer]:
    from moneystory.importers import camt, csv, ofx, qif

    return [ofx.IMPORTER, camt.IMPORTER, qif.IMPORTER, csv.IMPORTER]


def refuse_non_statements(path: Path, data: bytes) -> None:
    """Empty, binary and HTML files get one clear sentence before any parser sees them."""
    if not data or data.isspace():  # not data.strip(): that copies a big file to test it
        raise StatementError(
            "the file is empty", path=path,
            hint="download the statement again; the bank may have sent no rows for that period",
        )
    head = data[:4096]
    if head.startswith((b"PK\x03\x04", b"%PDF", b"\xd0\xcf\x11\xe0")):
        kind = {b"P": "a ZIP/XLSX workbook", b"%": "a PDF", b"\xd0": "an old Excel workbook"}
        raise StatementError(
            f"this is {kind[head[:1]]}, not a statement export", path=path,
            hint="export the statement as CSV, OFX, QFX, QIF or CAMT.053 from your bank",
        )
    text = decode(head).text
    if "\x00" in text or sum(ch < " " and ch not in "\t\n\r\x0c" for ch in text) > len(text) / 20:
        raise StatementError(
            "this is a binary file, not a statement export", path=path,
            hint="export the statement as CSV, OFX, QFX, QIF or CAMT.053 from your bank",
        )
    lowered = text.lstrip().lower()
    if lowered.startswith(("<!doctype html", "<html")) or "<body" in lowered[:2000]:
        raise StatementError(
            "this is a web page (HTML), not a statement: the download probably failed "
            "or needed a login", path=path,
            hint="download the export again from your bank and import the new file",
        )


def parse_file(path: Path, data: bytes, options: ImportOptions) -> ParsedFile:
    refuse_non_statements(path, data)
    importers = all_importers()
    if options.profile in FORMATS:
        chosen = next(imp for imp in importers if imp.name == options.profile)
        return chosen.parse(path, data, options)
    head = decode(data[:16384]).text
    for importer in importers:
        if importer.sniff(head):
            return importer.parse(path, data, options)
    raise DetectionError(
        "not a format moneystory reads (CSV, OFX/QFX, QIF, CAMT.053)", path=path,
        hint="export the statement as CSV, OFX, QFX, QIF or CAMT.053 from your bank",
    )
