"""The printable home program (``reports/handout.py``, ``templates/handout.html``): any version for the
clinician, the published one for the patient; while the program is stopped, why and where to go instead."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from rebalance.knowledge.loader import KnowledgeBase
from rebalance.programs.stops import Stop, program_stops
from rebalance.reports.handout import Handout, handout
from rebalance.storage.repos import assessments, check_ins, patients, programs
from rebalance.storage.schemas import ProgramPublic
from rebalance.web.deps import ClinicianUser, KnowledgeDep, RecordId, SessionDep
from rebalance.web.patient_views import PatientDep, stops
from rebalance.web.rendering import render

router = APIRouter(include_in_schema=False)


def _sheet(kb: KnowledgeBase, program: ProgramPublic, name: str, stopped: list[Stop]) -> Handout:
    issued_on = (program.approved_at or program.created_at).date()
    status = program.status.value
    return handout(
        kb, program.document, name, issued_on=issued_on, version=program.version, status=status, stops=stopped
    )


@router.get("/programs/{program_id}/handout")
def program_handout(
    request: Request, db: SessionDep, kb: KnowledgeDep, clinician: ClinicianUser, program_id: RecordId
) -> HTMLResponse:
    """The version as a printable home program; while the patient's program is stopped (their latest
    assessment, or a check-in since it), why and where to go instead of the exercises."""
    program = programs.get_program(db, clinician.id, program_id)
    patient = patients.get_patient(db, clinician.id, program.patient_id)
    assessment = assessments.latest_assessment(db, clinician.id, patient.id)
    since = None if assessment is None else assessment.assessed_on  # earlier check-ins do not count
    stopped = program_stops(kb, assessment, check_ins.check_ins_for_patient(db, clinician.id, patient.id, start=since))
    sheet = _sheet(kb, program, patient.display_name, stopped)
    return render(request, "handout.html", {"h": sheet, "back": f"/programs/{program.id}"})


@router.get("/handout")
def my_handout(request: Request, me: PatientDep) -> Response:
    """The published program to print; while it is stopped, why and where to go instead of the exercises."""
    program = me.program
    if program is None:
        return RedirectResponse("/today", status_code=303)  # "your program is on its way"
    sheet = _sheet(me.kb, program, me.user.display_name, stops(me))
    return render(request, "handout.html", {"h": sheet, "back": "/today"})
