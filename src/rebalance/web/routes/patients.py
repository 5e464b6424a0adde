"""The clinician's patients: the list with the library's alerts (search, filter, 50 a page), adding and
inviting one, a patient's timeline and progress charts; and their JSON API."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from rebalance.errors import ConflictError
from rebalance.knowledge.loader import KnowledgeBase
from rebalance.programs.series import ProgressSeries
from rebalance.reports import progress_charts
from rebalance.storage.repos import assessments, check_ins, invitations, overview, patients, programs, session_logs
from rebalance.storage.schemas import InvitationCreate, PatientCreate, PatientPublic
from rebalance.web import clinician_views as views
from rebalance.web.clinician_schemas import (
    AssessmentSummary,
    PatientSummary,
    PatientTimeline,
    ProgramSummary,
    TimelineEvent,
)
from rebalance.web.clinician_views import NOTICES, Done
from rebalance.web.deps import ClinicianUser, KnowledgeDep, RecordId, SessionDep, SettingsDep, TodayDep
from rebalance.web.rendering import render
from rebalance.web.routes.invitations import invite
from rebalance.web.schemas import API_ERRORS

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api", tags=["clinician"], responses=API_ERRORS)


# the patient list


def _patients_page(
    request: Request,
    db: Session,
    kb: KnowledgeBase,
    clinician_id: int,
    today: dt.date,
    *,
    q: str = "",
    alert: views.AlertFilter = "any",
    page: int = 1,
    notice: str | None = None,
    form: Mapping[str, str] | None = None,
    problems: Mapping[str, str] | None = None,
    invitation: Any = None,
    status_code: int = 200,
) -> HTMLResponse:
    listed = views.patient_page(kb, db, clinician_id, today, query=q, alert=alert, page=page)
    context = {
        "rows": listed.rows,
        "listed": listed,
        "q": q,
        "alert": alert,
        "alert_labels": views.ALERT_LABELS,
        "notice": notice,
        "form": form or {},
        "problems": problems or {},
        "invitation": invitation,
        "sexes": ("female", "male", "other"),
    }
    return render(request, "clinician/patients.html", context, status_code=status_code)


@router.get("/patients")
def patients_page(
    request: Request,
    db: SessionDep,
    kb: KnowledgeDep,
    clinician: ClinicianUser,
    today: TodayDep,
    q: Annotated[str, Query(max_length=200)] = "",
    alert: views.AlertFilter = "any",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    done: Done | None = None,
) -> HTMLResponse:
    notice = NOTICES[done] if done else None
    return _patients_page(request, db, kb, clinician.id, today, q=q, alert=alert, page=page, notice=notice)


def _patient_create(display_name: str, external_ref: str, birth_year: str, sex: str) -> PatientCreate:
    data: dict[str, Any] = {"display_name": display_name.strip(), "external_ref": external_ref.strip() or None}
    data["birth_year"] = int(birth_year) if birth_year.strip().isdigit() else (birth_year.strip() or None)
    data["sex"] = sex or None
    return PatientCreate.model_validate(data)


@router.post("/patients")
def add_patient(
    request: Request,
    db: SessionDep,
    kb: KnowledgeDep,
    settings: SettingsDep,
    clinician: ClinicianUser,
    today: TodayDep,
    display_name: Annotated[str, Form(max_length=200)] = "",
    external_ref: Annotated[str, Form(max_length=100)] = "",
    birth_year: Annotated[str, Form(max_length=10)] = "",
    sex: Annotated[str, Form(max_length=10)] = "",
    email: Annotated[str, Form(max_length=320)] = "",
) -> Response:
    form = {"display_name": display_name, "external_ref": external_ref, "birth_year": birth_year, "sex": sex}
    form["email"] = email
    again = functools.partial(_patients_page, request, db, kb, clinician.id, today, form=form)
    try:
        data = _patient_create(display_name, external_ref, birth_year, sex)
        invitation = InvitationCreate(email=email) if email.strip() else None
    except ValidationError as exc:
        problems = {str(e["loc"][0]): e["msg"].removeprefix("Value error, ") for e in exc.errors()}
        return again(problems=problems, status_code=422)
    try:
        patient = patients.create_patient(db, clinician.id, data)
    except ConflictError as exc:
        return again(problems={"external_ref": _sentence(exc.reason)}, status_code=409)
    if invitation is None:
        return RedirectResponse(f"/patients/{patient.id}?done=created", status_code=303)
    try:
        link = invite(db, settings, clinician.id, patient.id, invitation)
    except ConflictError as exc:
        db.rollback()  # nothing stored: the patient is added with their invitation or not at all
        return again(problems={"email": _sentence(exc.reason)}, status_code=409)
    return _patients_page(request, db, kb, clinician.id, today, notice=NOTICES["created"], invitation=link)


def _sentence(reason: object) -> str:
    return str(reason).capitalize() + "."


# one patient: timeline and charts


def patient_page_response(
    request: Request,
    db: Session,
    kb: KnowledgeBase,
    clinician_id: int,
    patient_id: int,
    today: dt.date,
    *,
    notice: str | None = None,
    invitation: Any = None,
    problems: Mapping[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    patient = patients.get_patient(db, clinician_id, patient_id)
    found = assessments.patient_assessments(db, clinician_id, patient_id)
    versions = programs.program_versions(db, clinician_id, patient_id)
    sessions = session_logs.session_logs_for_patient(db, clinician_id, patient_id)
    checked = check_ins.check_ins_for_patient(db, clinician_id, patient_id)
    series = views.series_for(kb, found, sessions, versions, today)
    context = {
        "patient": patient,
        "events": views.timeline(kb, found, versions, sessions, checked),
        "charts": progress_charts.charts(kb, series, today),
        "side_charts": progress_charts.side_charts(kb, series),
        "side_table": progress_charts.side_table(series),
        "latest_program": versions[-1] if versions else None,
        "latest_assessment": found[-1] if found else None,
        "notice": notice,
        "invitation": invitation,
        "signs_in_as": invitations.activated_email(db, clinician_id, patient_id),
        "problems": problems or {},
    }
    return render(request, "clinician/patient.html", context, status_code=status_code)


@router.get("/patients/{patient_id}")
def patient_page(
    request: Request,
    db: SessionDep,
    kb: KnowledgeDep,
    clinician: ClinicianUser,
    today: TodayDep,
    patient_id: RecordId,
    done: Done | None = None,
) -> HTMLResponse:
    notice = NOTICES[done] if done else None
    return patient_page_response(request, db, kb, clinician.id, patient_id, today, notice=notice)


@router.post("/patients/{patient_id}/invitations")
def invite_page(
    request: Request,
    db: SessionDep,
    kb: KnowledgeDep,
    settings: SettingsDep,
    clinician: ClinicianUser,
    today: TodayDep,
    patient_id: RecordId,
    email: Annotated[str, Form(max_length=320)] = "",
) -> HTMLResponse:
    patients.get_patient(db, clinician.id, patient_id)  # another's patient: 403 before anything else
    again = functools.partial(patient_page_response, request, db, kb, clinician.id, patient_id, today)
    try:
        link = invite(db, settings, clinician.id, patient_id, InvitationCreate(email=email))
    except ValidationError:
        problems = {"email": "Enter an email address such as name@example.org."}
        return again(problems=problems, status_code=422)
    except ConflictError as exc:
        return again(problems={"email": _sentence(exc.reason)}, status_code=409)
    return again(invitation=link)


# the JSON API


@api.get("/patients")
def list_patients(
    db: SessionDep,
    kb: KnowledgeDep,
    clinician: ClinicianUser,
    today: TodayDep,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    limit: Annotated[int | None, Query(ge=1, le=500)] = None,
) -> list[PatientSummary]:
    """The signed-in clinician's patients by name, with their alerts: red flags, pain getting worse, sessions
    missed. ``limit`` of them from ``offset`` (default: all); only those are read beyond their names."""
    found = overview.patient_overviews(db, clinician.id, offset=offset, limit=limit)
    return [
        PatientSummary(
            **r.patient.model_dump(),
            alerts=r.alerts,
            latest_assessment_id=r.latest_assessment_id,
            published_program_id=r.program.id if r.program else None,
        )
        for r in views.patient_rows(kb, found.rows, today)
    ]


@api.post("/patients", status_code=201)
def create_patient(db: SessionDep, clinician: ClinicianUser, body: PatientCreate) -> PatientPublic:
    """Add a patient of the signed-in clinician (invite them with ``POST /api/patients/{patient_id}/invitations``)."""
    return patients.create_patient(db, clinician.id, body)


@api.get("/patients/{patient_id}")
def patient_timeline(
    db: SessionDep, kb: KnowledgeDep, clinician: ClinicianUser, patient_id: RecordId
) -> PatientTimeline:
    """The patient, their assessments, program versions, sessions and check-ins, and the timeline (newest first)."""
    patient = patients.get_patient(db, clinician.id, patient_id)
    found = assessments.patient_assessments(db, clinician.id, patient_id)
    versions = programs.program_versions(db, clinician.id, patient_id)
    sessions = session_logs.session_logs_for_patient(db, clinician.id, patient_id)
    checked = check_ins.check_ins_for_patient(db, clinician.id, patient_id)
    events = views.timeline(kb, found, versions, sessions, checked)
    return PatientTimeline(
        patient=patient,
        assessments=[AssessmentSummary.model_validate(a, from_attributes=True) for a in found],
        programs=[ProgramSummary.model_validate(p, from_attributes=True) for p in versions],
        session_logs=sessions,
        check_ins=checked,
        events=[TimelineEvent(date=e.day, kind=e.kind, title=e.title, detail=e.detail, level=e.level) for e in events],
    )


@api.get("/patients/{patient_id}/progress")
def patient_progress(
    db: SessionDep, kb: KnowledgeDep, clinician: ClinicianUser, today: TodayDep, patient_id: RecordId
) -> ProgressSeries:
    """Pain, ODI and adherence over time, and every left/right measurement at each assessment."""
    found = assessments.patient_assessments(db, clinician.id, patient_id)
    sessions = session_logs.session_logs_for_patient(db, clinician.id, patient_id)
    versions = programs.program_versions(db, clinician.id, patient_id)
    return views.series_for(kb, found, sessions, versions, today)
