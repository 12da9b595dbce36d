"""One JSON document on stdout: Decimals as JSON numbers (never via float), dates as ISO."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any


def dumps(value: Any, indent: int = 2) -> str:
    return _encode(value, indent, 0)


# The C string escaper behind json.dumps(..., ensure_ascii=False), without its per-call setup:
# a review has thousands of strings.
_string = json.encoder.encode_basestring


def _encode(value: Any, indent: int, depth: int) -> str:
    if isinstance(value, str):
        return str(_string(value))
    if isinstance(value, Decimal):
        text = format(value, "f")
        return "0" if text.lstrip("-").strip("0.") == "" else text
    if isinstance(value, bool) or value is None:
        return "true" if value is True else "false" if value is False else "null"
    if isinstance(value, int):
        return str(value)
    if hasattr(value, "model_dump"):
        return _encode(value.model_dump(mode="python"), indent, depth)
    if isinstance(value, float):
        return json.dumps(value)  # shares and ratios only; money is Decimal
    if isinstance(value, datetime | date):
        return f'"{value.isoformat()}"'
    if isinstance(value, Enum):
        return _encode(value.value, indent, depth)
    pad, inner = " " * indent * depth, " " * indent * (depth + 1)
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [f"{inner}{_string(str(k))}: {_encode(v, indent, depth + 1)}"
                 for k, v in value.items()]
        return "{\n" + ",\n".join(items) + f"\n{pad}}}"
    if isinstance(value, list | tuple | set | frozenset):
        if not value:
            return "[]"
        items = [f"{inner}{_encode(v, indent, depth + 1)}" for v in value]
        return "[\n" + ",\n".join(items) + f"\n{pad}]"
    return str(_string(str(value)))
