"""Field types shared by the input models (assessment files, session logs), and what a field's problem says."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from contextlib import suppress
from typing import Annotated, Any

from pydantic import BeforeValidator


def _iso_date(value: Any) -> Any:
    """Accept a date, a datetime (its date) or an ISO ``YYYY-MM-DD`` string, with a precise reason."""
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError as exc:
            why = str(exc) if "out of range" in str(exc) else "expected YYYY-MM-DD"
            raise ValueError(f"{value} is not a date ({why})") from None
    if isinstance(value, dt.datetime):
        return value.date()
    return value


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]


# what a field's problem says, in plain words

MESSAGES = {  # pydantic's error types, in the words rebalance uses
    "model_type": "expected a mapping",
    "dict_type": "expected a mapping",
    "model_attributes_type": "expected a mapping",
    "list_type": "expected a list",
    "int_from_float": "expected a whole number, got {input}",
    "int_type": "expected a whole number, got {input!r}",
    "int_parsing": "expected a whole number, got {input!r}",
    "float_type": "expected a number, got {input!r}",
    "float_parsing": "expected a number, got {input!r}",
    "finite_number": "expected a number, got {input}",
    "bool_type": "expected true or false, got {input!r}",
    "bool_parsing": "expected true or false, got {input!r}",
    "string_type": "expected text, got {input!r}",
    "too_short": "expected {min_length} items, got {actual_length}",
    "too_long": "expected {max_length} items, got {actual_length}",
    "less_than_equal": "must be {le:g} or less, got {input:g}",
    "greater_than_equal": "must be {ge:g} or more, got {input:g}",
    "less_than": "must be under {lt:g}, got {input:g}",
    "greater_than": "must be over {gt:g}, got {input:g}",
    "literal_error": "expected {expected}, got {input!r}",
    "enum": "expected {expected}, got {input!r}",
    "date_type": "expected a date such as 2026-11-20, got {input!r}",
    "date_parsing": "expected a date such as 2026-11-20, got {input!r}",
    "date_from_datetime_parsing": "expected a date such as 2026-11-20, got {input!r}",
    "date_from_datetime_inexact": "expected a date such as 2026-11-20, got {input!r}",
}


def problem(error: Mapping[str, Any]) -> str:
    """One pydantic error (``ValidationError.errors()``'s, or a request's) in plain words: "required",
    "must be 10 or less, got 11", "expected a date such as 2026-11-20, got '20/11'"; any other kind
    its own message, without pydantic's "Value error, " prefix."""
    kind = error["type"]
    if kind == "missing":
        return "required"
    if kind in MESSAGES:
        ctx = error.get("ctx", {})
        if kind in ("too_short", "too_long") and "min_length" in ctx and ctx.get("max_length") is None:
            ctx = {**ctx, "max_length": ctx["min_length"]}
        with suppress(ValueError, TypeError, KeyError):  # else an input the words cannot show (text for "{:g}")
            return MESSAGES[kind].format(input=error.get("input"), **ctx)
    message: str = error["msg"]
    return message.removeprefix("Value error, ")
