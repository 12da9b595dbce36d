"""Exact money: Decimal helpers and currency minor units. Never a float.

The store keeps amounts as polars Decimal(38, 4) (see schema.AMOUNT): four decimals hold every
real export we have seen, including investment cash legs such as -1778.3952, and sums of a
Decimal column are exact.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

AMOUNT_SCALE = 4

# ISO 4217 minor units that are not 2; everything else shows two decimals.
_MINOR_UNITS: dict[str, int] = {
    "JPY": 0, "KRW": 0, "HUF": 2, "ISK": 0, "CLP": 0, "VND": 0, "XOF": 0, "XAF": 0,
    "PYG": 0, "UGX": 0, "BHD": 3, "KWD": 3, "OMR": 3, "JOD": 3, "TND": 3, "IQD": 3,
}

_SYMBOLS: dict[str, str] = {
    "USD": "$", "GBP": "£", "EUR": "€", "JPY": "¥", "CHF": "CHF ", "CAD": "CA$", "AUD": "A$",
}


def minor_units(currency: str | None) -> int:
    return _MINOR_UNITS.get((currency or "").upper(), 2)


def to_decimal(value: object) -> Decimal:
    """Any exact input (str, int, Decimal) as a Decimal; floats are refused."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        raise TypeError("money is never a float")
    try:
        return Decimal(str(value))
    except InvalidOperation as exc:
        raise ValueError(f"not an amount: {value!r}") from exc


def for_display(amount: Decimal, currency: str | None) -> Decimal:
    """The amount with the currency's decimals, keeping any extra non-zero digits exact."""
    places = minor_units(currency)
    quantum = Decimal(1).scaleb(-places)
    shown = amount.quantize(quantum)
    return shown if shown == amount else amount.normalize()


def format_money(amount: Decimal, currency: str | None, *, signed: bool = False) -> str:
    """"$1,234.56", "-€12.00", "1,000 JPY": for people, not for machines."""
    value = for_display(amount, currency)
    places = max(minor_units(currency), -value.as_tuple().exponent)  # type: ignore[operator]
    body = f"{abs(value):,.{places}f}"
    code = (currency or "").upper()
    symbol = _SYMBOLS.get(code)
    text = f"{symbol}{body}" if symbol else f"{body} {code}".rstrip()
    if value < 0:
        return f"-{text}"
    return f"+{text}" if signed and value > 0 else text


def json_number(amount: Decimal, currency: str | None) -> str:
    """The JSON number literal for an amount: the currency's decimals, never a float."""
    value = for_display(amount, currency)
    text = format(value, "f")
    return "0" if text in ("-0", "-0.00") else text
