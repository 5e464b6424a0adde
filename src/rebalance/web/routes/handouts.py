"""The printable home program (``reports/handout.py``, ``templates/handout.html``), as a page or at ``….pdf`` a PDF
(a route each, sharing the helper that makes the sheet): any version for the clinician, the published one for the
patient; while the program is stopped, why and where to go. The clinician's report of an assessment as a PDF
(``reports/clinician_report.py``), charted over the patient's assessments up to its day."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from rebalance.config import Settings
from rebalance.knowledge.loader import KnowledgeBase
from rebalance.programs.stops import program_stops
from rebalance.reports.clinician_report import clinician_report, report_pdf
from rebalance.reports.handout import Clinic, Handout, handout_pdf, version_handout
from rebalance.storage.repos import assessments, check_ins, patients, programs, session_logs
from rebalance.web.clinician_views import series_for
from rebalance.web.deps import ClinicianUser, KnowledgeDep, RecordId, SessionDep, SettingsDep, TodayDep
from rebalance.web.patient_views import Me, PatientDep, stops
from rebalance.web.rendering import render

router = APIRouter(include_in_schema=False)


def _page(request: Request, sheet: Handout, back: str) -> HTMLResponse:
    return render(request, "handout.html", {"h": sheet, "back": back, "pdf": f"{request.url.path}.pdf"})


def _pdf(data: bytes, name: str) -> Response:
    return Response(data, media_type="application/pdf", headers={"Content-Disposition": f"attachment; filename={name}"})


def _version_sheet(
    db: Session, kb: KnowledgeBase, settings: Settings, today: dt.date, clinician_id: int, program_id: int
) -> Handout:
    """The version's handout; while the patient's program is stopped (``program_stops``), why and where to go."""
    program = programs.get_program(db, clinician_id, program_id)
    patient = patients.get_patient(db, clinician_id, program.patient_id)
    assessment = assessments.latest_assessment(db, clinician_id, patient.id)
    since = None if assessment is None else assessment.assessed_on  # earlier check-ins do not count
    stopped = program_stops(kb, assessment, check_ins.check_ins_for_patient(db, clinician_id, patient.id, start=since))
    return version_handout(kb, program, patient.display_name, stopped, Clinic.from_settings(settings), today)


@router.get("/programs/{program_id}/handout")
def program_handout(
    request: Request, db: SessionDep, kb: KnowledgeDep, settings: SettingsDep, today: TodayDep,
    clinician: ClinicianUser, program_id: RecordId,
) -> HTMLResponse:  # fmt: skip
    """The version to print."""
    sheet = _version_sheet(db, kb, settings, today, clinician.id, program_id)
    return _page(request, sheet, f"/programs/{program_id}")


@router.get("/programs/{program_id}/handout.pdf")
def program_handout_pdf(
    db: SessionDep, kb: KnowledgeDep, settings: SettingsDep, today: TodayDep, clinician: ClinicianUser,
    program_id: RecordId,
) -> Response:  # fmt: skip
    """The version to print, as a PDF."""
    return _pdf(handout_pdf(_version_sheet(db, kb, settings, today, clinician.id, program_id)), "home-program.pdf")


def _my_sheet(me: Me, settings: Settings) -> Handout | None:
    """The published program's handout (None: there is none yet); while it is stopped, why and where to go."""
    if me.program is None:
        return None
    return version_handout(me.kb, me.program, me.user.display_name, stops(me), Clinic.from_settings(settings), me.day)


@router.get("/handout")
def my_handout(request: Request, me: PatientDep, settings: SettingsDep) -> Response:
    """The published program to print."""
    sheet = _my_sheet(me, settings)
    if sheet is None:
        return RedirectResponse("/today", status_code=303)  # "your program is on its way"
    return _page(request, sheet, "/today")


@router.get("/handout.pdf")
def my_handout_pdf(me: PatientDep, settings: SettingsDep) -> Response:
    """The published program to print, as a PDF."""
    sheet = _my_sheet(me, settings)
    if sheet is None:
        return RedirectResponse("/today", status_code=303)
    return _pdf(handout_pdf(sheet), "home-program.pdf")


@router.get("/assessments/{assessment_id}/report.pdf")
def assessment_report(
    db: SessionDep, kb: KnowledgeDep, clinician: ClinicianUser, today: TodayDep, assessment_id: RecordId
) -> Response:
    """The clinician's report of the assessment, charted over the patient's assessments up to its day, as a PDF."""
    patient_id = (assessment := assessments.get_assessment(db, clinician.id, assessment_id)).patient_id
    upto = (assessment.assessed_on, assessment.id)  # the day it was for, not the order they were entered in
    every = assessments.patient_assessments(db, clinician.id, patient_id)  # by day, then as entered
    found = [a for a in every if (a.assessed_on, a.id) <= upto]
    sessions = session_logs.session_logs_for_patient(db, clinician.id, patient_id)
    series = series_for(kb, found, sessions, programs.program_versions(db, clinician.id, patient_id), today)
    name = patients.get_patient(db, clinician.id, patient_id).display_name
    return _pdf(report_pdf(clinician_report(kb, assessment.analysis, name, today, series)), "assessment-report.pdf")
