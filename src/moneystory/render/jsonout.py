"""One JSON document on stdout: Decimals as JSON numbers (never via float), dates as ISO."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any


def dumps(value: Any, indent: int = 2) -> str:
    return _encode(value, indent, 0)


def _encode(value: Any, indent: int, depth: int) -> str:
    if hasattr(value, "model_dump"):
        value = value.model_dump(mode="python")
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, Decimal):
        text = format(value, "f")
        return "0" if text.lstrip("-").strip("0.") == "" else text
    if isinstance(value, int | str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, float):
        return json.dumps(value)  # shares and ratios only; money is Decimal
    if isinstance(value, datetime | date):
        return json.dumps(value.isoformat())
    if isinstance(value, Enum):
        return _encode(value.value, indent, depth)
    pad, inner = " " * indent * depth, " " * indent * (depth + 1)
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [f"{inner}{json.dumps(str(k), ensure_ascii=False)}: "
                 f"{_encode(v, indent, depth + 1)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + f"\n{pad}}}"
    if isinstance(value, list | tuple | set | frozenset):
        if not value:
            return "[]"
        items = [f"{inner}{_encode(v, indent, depth + 1)}" for v in value]
        return "[\n" + ",\n".join(items) + f"\n{pad}]"
    return json.dumps(str(value), ensure_ascii=False)
