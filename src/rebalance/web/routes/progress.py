"""The patient's progress: sessions done week by week, pain after each, adherence, assessments (charts and JSON)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from rebalance.web.patient_schemas import ProgressView
from rebalance.web.patient_views import PatientDep, stops
from rebalance.web.progress_views import progress_charts, progress_view
from rebalance.web.rendering import render
from rebalance.web.schemas import API_ERRORS

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/me", tags=["patient"], responses=API_ERRORS)


@router.get("/progress")
def progress_page(request: Request, me: PatientDep) -> HTMLResponse:
    view = progress_view(me)
    charts = {name: Markup(svg) for name, svg in progress_charts(view).items()}  # noqa: S704 - our own SVG
    context = {"view": view, "charts": charts, "stop_first": stops(me)}  # a stop is said before anything else
    return render(request, "patient/progress.html", context)


@api.get("/progress")
def my_progress(me: PatientDep) -> ProgressView:
    """Sessions with their pain during and the next morning, sessions a week, adherence, assessments."""
    return progress_view(me)
