"""The patient's weekly red-flag check-in: its questions, the latest result, answering it (urgent or
emergency stops the program and says whom to contact and how soon)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from rebalance.web.forms import FormDep, field_problems
from rebalance.web.patient_schemas import CheckInIn, CheckInResult, CheckInStatus
from rebalance.web.patient_views import PatientDep, check_in_status, record_check_in
from rebalance.web.rendering import render
from rebalance.web.schemas import API_ERRORS

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/me", tags=["patient"], responses=API_ERRORS)

ANSWER_FIELD = re.compile(r"answers\.(\w+)")


@router.get("/check-in")
def check_in_page(request: Request, me: PatientDep, done: Literal["1"] | None = None) -> HTMLResponse:
    return _check_in_form(request, me, done=done is not None)


def _check_in_form(
    request: Request,
    me: PatientDep,
    *,
    done: bool = False,
    values: Mapping[str, str] | None = None,
    problems: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    context = {"status": check_in_status(me), "done": done, "values": values or {}, "problems": problems or {}}
    return render(request, "patient/check_in.html", context, status_code=status_code)


@router.post("/check-in")
def check_in_form(request: Request, me: PatientDep, form: FormDep) -> Response:
    answers = {
        m[1]: value == "yes"
        for key, value in form.items()
        if (m := ANSWER_FIELD.fullmatch(key)) and value in ("yes", "no")  # anything else: not answered
    }
    try:
        record_check_in(me, CheckInIn(answers=answers))
    except RequestValidationError as exc:
        problems = field_problems(exc.errors(), ("body",))
        return _check_in_form(request, me, values=form, problems=problems, status_code=422)
    return RedirectResponse("/check-in?done=1", status_code=303)


@api.get("/check-ins")
def my_check_ins(me: PatientDep) -> CheckInStatus:
    """The check-in's questions, the latest answers and their result, and whether the next is due."""
    return check_in_status(me)


@api.post("/check-ins", status_code=201)
def check_in(me: PatientDep, body: CheckInIn) -> CheckInResult:
    """Answer every question; urgent or emergency stops the program and says whom to contact and how soon."""
    return record_check_in(me, body)
