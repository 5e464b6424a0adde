"""The printable home program (``reports/handout.py``, ``templates/handout.html``), as a page or a PDF: any
version for the clinician, the published one for the patient; while the program is stopped, why and where to go."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from rebalance.config import Settings
from rebalance.knowledge.loader import KnowledgeBase
from rebalance.programs.stops import Stop, program_stops
from rebalance.reports.handout import Clinic, Handout, handout, handout_pdf
from rebalance.storage.repos import assessments, check_ins, patients, programs
from rebalance.storage.schemas import ProgramPublic
from rebalance.web.deps import ClinicianUser, KnowledgeDep, RecordId, SessionDep, SettingsDep, TodayDep
from rebalance.web.patient_views import PatientDep, stops
from rebalance.web.rendering import render

router = APIRouter(include_in_schema=False)


def _sheet(
    kb: KnowledgeBase, program: ProgramPublic, name: str, stopped: list[Stop], settings: Settings, today: dt.date
) -> Handout:
    issued_on = (program.approved_at or program.created_at).date()
    clinic = Clinic.of(settings.clinic_name, settings.clinic_phone)
    status, version = program.status.value, program.version
    return handout(kb, program.document, name, issued_on=issued_on, today=today, clinic=clinic, version=version,
                   status=status, stops=stopped)  # fmt: skip


def _answer(request: Request, sheet: Handout, back: str) -> Response:
    """The page, or at ``….pdf`` the same page as a PDF to download."""
    if not request.url.path.endswith(".pdf"):
        return render(request, "handout.html", {"h": sheet, "back": back, "layout": "base.html"})
    disposition = 'attachment; filename="home-program.pdf"'
    return Response(handout_pdf(sheet), media_type="application/pdf", headers={"Content-Disposition": disposition})


@router.get("/programs/{program_id}/handout")
@router.get("/programs/{program_id}/handout.pdf")
def program_handout(
    request: Request,
    db: SessionDep,
    kb: KnowledgeDep,
    settings: SettingsDep,
    today: TodayDep,
    clinician: ClinicianUser,
    program_id: RecordId,
) -> Response:
    """The version as a printable home program; while the patient's program is stopped (their latest
    assessment, or a check-in since it), why and where to go instead of the exercises."""
    program = programs.get_program(db, clinician.id, program_id)
    patient = patients.get_patient(db, clinician.id, program.patient_id)
    assessment = assessments.latest_assessment(db, clinician.id, patient.id)
    since = None if assessment is None else assessment.assessed_on  # earlier check-ins do not count
    stopped = program_stops(kb, assessment, check_ins.check_ins_for_patient(db, clinician.id, patient.id, start=since))
    sheet = _sheet(kb, program, patient.display_name, stopped, settings, today)
    return _answer(request, sheet, f"/programs/{program.id}")


@router.get("/handout")
@router.get("/handout.pdf")
def my_handout(request: Request, me: PatientDep, settings: SettingsDep) -> Response:
    """The published program to print; while it is stopped, why and where to go instead of the exercises."""
    program = me.program
    if program is None:
        return RedirectResponse("/today", status_code=303)  # "your program is on its way"
    sheet = _sheet(me.kb, program, me.user.display_name, stops(me), settings, me.day)
    return _answer(request, sheet, "/today")
