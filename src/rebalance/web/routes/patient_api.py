"""The patient's JSON endpoints, under ``/api/me`` (in ``/openapi.json``): the same as their pages.

    GET  /api/me/program             the published program version (404 while there is none; never a draft)
    GET  /api/me/today               today's exercises, or why there are none (stopped, rest day, no program)
    GET  /api/me/logs                every logged session, oldest first
    POST /api/me/logs                log a session and the morning after the previous one (201), and what
                                     the pain-monitoring model says; 422 with field paths such as
                                     ``body.entries[0].pain_during``; 409 while the program is stopped
    GET  /api/me/check-ins           the questions, the latest check-in and its result, whether one is due
    POST /api/me/check-ins           answer the weekly red-flag check-in (201) and get the library's result
    GET  /api/me/progress            the numbers behind the progress charts
    GET  /api/me/learn               the patient's own patterns and findings
    GET  /api/me/learn/{topic}       one of them explained, with sources (404 outside their analysis)
    GET  /api/me/fhir                their record as a FHIR R4B bundle, as their clinician exports it
                                     (``application/fhir+json``): the published program only

For the signed-in patient only (401 signed out, 403 for other roles); the session cookie and, on POST,
the ``X-CSRF-Token`` header (``GET /api/me``). Errors are JSON (``{"errors": [{"path", "message"}]}``).
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from rebalance.errors import NotFoundError
from rebalance.storage import repo
from rebalance.storage.schemas import ProgramPublic, SessionLogPublic
from rebalance.storage.types import utc_now
from rebalance.web import exports, learn_views, patient_views, progress_views, session_views
from rebalance.web.deps import UnitOfWorkRoute
from rebalance.web.patient_schemas import (
    CheckInIn,
    CheckInResult,
    CheckInStatus,
    LearnIndex,
    LearnTopic,
    ProgressView,
    SessionIn,
    SessionSaved,
    Today,
)
from rebalance.web.patient_views import PatientDep
from rebalance.web.schemas import API_ERRORS, FHIR_JSON, FHIR_RESPONSES

router = APIRouter(prefix="/api/me", tags=["patient"], responses=API_ERRORS, route_class=UnitOfWorkRoute)


@router.get("/program")
def my_program(me: PatientDep) -> ProgramPublic:
    """The published version of the signed-in patient's program."""
    program = me.program
    if program is None:
        raise NotFoundError("program", None)
    return program


@router.get("/today")
def my_today(me: PatientDep) -> Today:
    """Today's exercises with instructions, or the stop message (``status`` says which)."""
    return patient_views.today_view(me)


@router.get("/logs")
def my_logs(me: PatientDep) -> list[SessionLogPublic]:
    """Every session the patient logged, oldest first."""
    return me.sessions


@router.post("/logs", status_code=201)
def log_session(me: PatientDep, body: SessionIn) -> SessionSaved:
    """Log a session (at least one exercise done) and/or the morning after the previous session."""
    return session_views.record_session(me, body)


@router.get("/check-ins")
def my_check_ins(me: PatientDep) -> CheckInStatus:
    """The check-in's questions, the latest answers and their result, and whether the next is due."""
    return patient_views.check_in_status(me)


@router.post("/check-ins", status_code=201)
def check_in(me: PatientDep, body: CheckInIn) -> CheckInResult:
    """Answer every question; urgent or emergency stops the program and says whom to contact and how soon."""
    return patient_views.record_check_in(me, body)


@router.get("/progress")
def my_progress(me: PatientDep) -> ProgressView:
    """Sessions with their pain during and the next morning, sessions a week, adherence, assessments."""
    return progress_views.progress_view(me)


@router.get("/learn")
def my_learn(me: PatientDep) -> LearnIndex:
    """The patient's own patterns (with why their findings fit) and the muscles and structures involved."""
    return learn_views.learn_index(me)


@router.get("/learn/{topic}")
def my_learn_topic(me: PatientDep, topic: str) -> LearnTopic:
    """One pattern, muscle or structure of the patient's own analysis, explained, with sources."""
    return learn_views.learn_topic(me, topic)


@router.get("/fhir", response_class=JSONResponse, responses=FHIR_RESPONSES)
def my_fhir(me: PatientDep) -> JSONResponse:
    """The signed-in patient's record as a FHIR R4B bundle, to take to another clinic or app: the same
    export as their clinician's (``GET /api/patients/{id}/fhir``), with the published program."""
    patient = repo.get_patient(me.db, me.user_id, me.patient_id)
    bundle = exports.fhir_export(me.kb, patient, me.assessments, me.program, utc_now())
    return JSONResponse(bundle, media_type=FHIR_JSON)
