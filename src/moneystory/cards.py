"""Service for this feature (to be written)."""

from __future__ import annotations

from typing import Any


def import_notices(home: Any, import_ids: list[str]) -> list[str]:
    """One line per change worth telling the person after an import."""
    return []
