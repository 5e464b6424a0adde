"""Field types shared by the input models (assessment files, session logs)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import BeforeValidator


def _iso_date(value: Any) -> Any:
    """Accept a date, a datetime (its date) or an ISO ``YYYY-MM-DD`` string, with a precise reason."""
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError as exc:
            raise ValueError(str(exc) if "out of range" in str(exc) else "expected a date as YYYY-MM-DD") from None
    if isinstance(value, dt.datetime):
        return value.date()
    return value


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]
