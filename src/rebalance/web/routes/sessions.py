"""The patient's logged sessions: the log form and ``/api/me/logs``; what the pain-monitoring model says
of the last session. 422 with each field's problem (``body.entries[0].pain_during``); 409 while the program
is stopped."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from rebalance.storage.schemas import SessionLogPublic
from rebalance.web.forms import FormDep, field_problems
from rebalance.web.patient_schemas import SessionIn, SessionSaved
from rebalance.web.patient_views import PatientDep
from rebalance.web.rendering import render
from rebalance.web.schemas import API_ERRORS
from rebalance.web.session_views import edit_values, log_page, record_session

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/me", tags=["patient"], responses=API_ERRORS)

ENTRY_FIELD = re.compile(r"entries\[(\d{1,2})\]\.(\w+)")


@router.get("/log")
def log_form(
    request: Request, me: PatientDep, saved: Literal["1"] | None = None, edit: Literal["1"] | None = None
) -> HTMLResponse:
    """The log form; once today is logged, what was logged (``edit=1``: the same entries, to change)."""
    return _log_form(request, me, saved=saved is not None, edit=edit is not None)


def _log_form(
    request: Request,
    me: PatientDep,
    *,
    saved: bool = False,
    edit: bool = False,
    values: Mapping[str, str] | None = None,
    problems: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    page = log_page(me)
    editing = edit or values is not None
    filled = values if values is not None else edit_values(page) if page is not None and edit else {}
    context = {"page": page, "saved": saved, "edit": editing, "values": filled, "problems": problems or {}}
    return render(request, "patient/log.html", context, status_code=status_code)


@router.post("/log")
def log_session_form(request: Request, me: PatientDep, form: FormDep) -> Response:
    try:
        record_session(me, SessionIn.model_validate(_session_data(form)))
    except ValidationError as exc:
        return _log_form(request, me, values=form, problems=field_problems(exc.errors(), ()), status_code=422)
    except RequestValidationError as exc:
        problems = field_problems(exc.errors(), ("body",))
        return _log_form(request, me, values=form, problems=problems, status_code=422)
    return RedirectResponse("/log?saved=1", status_code=303)


def _session_data(form: Mapping[str, str]) -> dict[str, Any]:
    """The log form as ``SessionIn`` data: ``entries[0].done`` … and ``next_morning.pain``; blank is None."""
    entries: dict[int, dict[str, str | None]] = {}
    for key, value in form.items():
        match = ENTRY_FIELD.fullmatch(key)
        if match:
            entries.setdefault(int(match[1]), {})[match[2]] = value.strip() or None
    for entry in entries.values():
        if entry.get("done") == "no":  # not done: the dose boxes (filled in with the plan) say nothing
            for name in ("sets", "reps", "hold_s", "minutes", "effort", "pain_during"):
                entry.pop(name, None)
    morning = {name: (form.get(f"next_morning.{name}") or "").strip() or None for name in ("pain", "stiffness")}
    data: dict[str, Any] = {"entries": [entries[i] for i in sorted(entries)]}
    if any(morning.values()):
        data["next_morning"] = morning
    return data


@api.get("/logs")
def my_logs(me: PatientDep) -> list[SessionLogPublic]:
    """Every session the patient logged, oldest first."""
    return me.sessions


@api.post("/logs", status_code=201)
def log_session(me: PatientDep, body: SessionIn) -> SessionSaved:
    """Log a session (at least one exercise done) and/or the morning after the previous session; a day
    logged already has its log replaced (an edit, audited)."""
    return record_session(me, body)
