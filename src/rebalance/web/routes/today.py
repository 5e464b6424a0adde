"""The patient's today: the published program's exercises for today, or why there are none (``status``)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from rebalance.errors import ConflictError, NotFoundError
from rebalance.reports.cards import exercise_figures
from rebalance.storage.schemas import ProgramPublic
from rebalance.web.patient_schemas import Today
from rebalance.web.patient_views import PatientDep, stops, today_view
from rebalance.web.rendering import render
from rebalance.web.schemas import API_ERRORS

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/me", tags=["patient"], responses=API_ERRORS)


@router.get("/today")
def today_page(request: Request, me: PatientDep) -> HTMLResponse:
    today = today_view(me)
    return render(request, "patient/today.html", {"today": today, "figures": exercise_figures(me.kb, today.items)})


@api.get("/today")
def my_today(me: PatientDep) -> Today:
    """Today's exercises with instructions, or the stop message (``status`` says which)."""
    return today_view(me)


@api.get("/program")
def my_program(me: PatientDep) -> ProgramPublic:
    """The published version of the signed-in patient's program; 409 while it is stopped (``/api/me/today``
    says why and where to go): a stopped program's exercises are not handed out."""
    program = me.program
    if program is None:
        raise NotFoundError("program", None)
    if stopped := stops(me):
        raise ConflictError("program", program.id, f"the program is stopped: {stopped[0].message}")
    return program
