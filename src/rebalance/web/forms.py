"""Posted forms: their values, and validation problems next to the fields they belong to.

FormDep             the posted form's text fields (one value a name)
FormValuesDep       ... every value of each name (the clinician's assessment form repeats names)
field_problems      validation errors by form field name (``entries[0].pain_during``), in plain words
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from pydantic_core import ErrorDetails

from rebalance.web.errors import field_path
from rebalance.web.patient_schemas import LIMITS

FormValues = dict[str, list[str]]
Loc = tuple[int | str, ...]


async def _form(request: Request) -> dict[str, str]:
    return {key: value for key, value in (await request.form()).items() if isinstance(value, str)}


async def _form_values(request: Request) -> FormValues:
    form = await request.form()
    return {k: [v for v in form.getlist(k) if isinstance(v, str)] for k in form if k != "csrf_token"}


FormDep = Annotated[dict[str, str], Depends(_form)]
FormValuesDep = Annotated[FormValues, Depends(_form_values)]


def field_problems(errors: Any, prefix: Loc) -> dict[str, str]:
    """Validation errors by form field name (``entries[0].pain_during``), each in plain words; the first wins."""
    problems: dict[str, str] = {}
    for error in errors:
        loc = tuple(error["loc"])[len(prefix) :]
        problems.setdefault(field_path(loc), _plain(error))
    return problems


def _plain(error: ErrorDetails | dict[str, Any]) -> str:
    kind, loc = error["type"], error["loc"]
    field = str(loc[-1]) if loc else ""
    if kind in ("less_than_equal", "greater_than_equal", "less_than", "greater_than") and field in LIMITS:
        low, high = LIMITS[field]
        return f"Enter a number from {low} to {high}."
    if kind in ("int_parsing", "int_from_float", "int_type"):
        return "Enter a whole number, such as 3."
    if field == "done" or kind in ("bool_parsing", "bool_type"):
        return "Choose yes or no."
    message = str(error["msg"]).removeprefix("Value error, ")
    return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")
