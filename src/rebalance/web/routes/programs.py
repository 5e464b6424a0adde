"""The clinician's program versions: read, swap an exercise, change a dosage, approve, publish; and their
JSON API. Every edit is the library's (``programs.edit``: eligible alternatives only, doses within their safe
ranges) and a new version; one it refuses is 422 with its path (``body.sets``, ``path.exercise_id``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from rebalance.errors import InvalidInputError
from rebalance.knowledge.loader import KnowledgeBase
from rebalance.knowledge.words import join
from rebalance.programs import edit
from rebalance.reports import analysis_words as words
from rebalance.reports import program_view
from rebalance.storage.repos import patients, programs
from rebalance.storage.schemas import ProgramPublic
from rebalance.web.clinician_schemas import Alternative, DosageIn, SwapIn
from rebalance.web.clinician_views import NOTICES, Done, in_request
from rebalance.web.deps import ClinicianUser, KnowledgeDep, RecordId, SessionDep
from rebalance.web.rendering import render
from rebalance.web.schemas import API_ERRORS

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api", tags=["clinician"], responses=API_ERRORS)

ITEM = {"exercise_id": "path"}


def _program_page(
    request: Request,
    db: Session,
    kb: KnowledgeBase,
    clinician_id: int,
    program: ProgramPublic,
    *,
    notice: str | None = None,
    dosage_problems: Mapping[str, str] | None = None,
    open_item: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    patient = patients.get_patient(db, clinician_id, program.patient_id)
    context = {
        "patient": patient,
        "program": program,
        "doc": program.document,
        "versions": programs.program_versions(db, clinician_id, program.patient_id),
        **program_view.program_words(kb, program.document),
        "kb": kb,
        "id_label": lambda fid: words.finding_id_label(kb, fid),
        "edit_note": lambda document: program_view.edit_note(kb, document),
        "notice": notice,
        "dosage_problems": dosage_problems or {},
        "open_item": open_item,
    }
    return render(request, "clinician/program.html", context, status_code=status_code)


@router.get("/programs/{program_id}")
def program_page(
    request: Request,
    db: SessionDep,
    kb: KnowledgeDep,
    clinician: ClinicianUser,
    program_id: RecordId,
    done: Done | None = None,
) -> HTMLResponse:
    program = programs.get_program(db, clinician.id, program_id)
    return _program_page(request, db, kb, clinician.id, program, notice=NOTICES[done] if done else None)


@router.get("/programs/{program_id}/items/{exercise_id}/alternatives")
def alternatives_page(
    request: Request, db: SessionDep, kb: KnowledgeDep, clinician: ClinicianUser, program_id: RecordId, exercise_id: str
) -> HTMLResponse:
    program = programs.get_program(db, clinician.id, program_id)
    options = edit.alternatives(kb, program.document, exercise_id)
    context: dict[str, Any] = {"program": program, "exercise_id": exercise_id, "options": options, "kb": kb}
    context["equipment"] = lambda ids: join([kb.equipment[e].name.lower() if e in kb.equipment else e for e in ids])
    if request.headers.get("HX-Request"):
        return render(request, "clinician/_alternatives.html", context)
    context["patient"] = patients.get_patient(db, clinician.id, program.patient_id)
    return render(request, "clinician/alternatives.html", context)


@router.post("/programs/{program_id}/items/{exercise_id}/swap")
def swap_exercise_form(
    db: SessionDep,
    kb: KnowledgeDep,
    clinician: ClinicianUser,
    program_id: RecordId,
    exercise_id: str,
    new_exercise_id: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    program = programs.get_program(db, clinician.id, program_id)
    document = edit.swap(kb, program.document, exercise_id, new_exercise_id)
    new = programs.add_draft_of(db, clinician.id, program, document)
    return RedirectResponse(f"/programs/{new.id}?done=swapped", status_code=303)


def _whole(text: str) -> Any:
    text = text.strip()
    if not text:
        return None
    return int(text) if text.lstrip("-").isdigit() else text


@router.post("/programs/{program_id}/items/{exercise_id}/dosage")
def change_dosage_form(
    request: Request,
    db: SessionDep,
    kb: KnowledgeDep,
    clinician: ClinicianUser,
    program_id: RecordId,
    exercise_id: str,
    sets: Annotated[str, Form(max_length=10)] = "",
    reps: Annotated[str, Form(max_length=10)] = "",
    hold_s: Annotated[str, Form(max_length=10)] = "",
    days_per_week: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    program = programs.get_program(db, clinician.id, program_id)
    dose = {
        "sets": _whole(sets),
        "reps": _whole(reps),
        "hold_s": _whole(hold_s),
        "days_per_week": _whole(days_per_week),
    }
    try:
        document = edit.set_dosage(kb, program.document, exercise_id, dose)
    except InvalidInputError as exc:
        problems = {p.path.removeprefix("dosage."): p.message for p in exc.problems}
        return _program_page(
            request, db, kb, clinician.id, program, dosage_problems=problems, open_item=exercise_id, status_code=422
        )
    new = programs.add_draft_of(db, clinician.id, program, document)
    return RedirectResponse(f"/programs/{new.id}?done=dosage", status_code=303)


@router.post("/programs/{program_id}/approve")
def approve_program_form(db: SessionDep, clinician: ClinicianUser, program_id: RecordId) -> Response:
    programs.approve_program(db, clinician.id, program_id)
    return RedirectResponse(f"/programs/{program_id}?done=approved", status_code=303)


@router.post("/programs/{program_id}/publish")
def publish_program_form(db: SessionDep, clinician: ClinicianUser, program_id: RecordId) -> Response:
    programs.publish_program(db, clinician.id, program_id)
    return RedirectResponse(f"/programs/{program_id}?done=published", status_code=303)


# the JSON API


@api.get("/programs/{program_id}")
def get_program(db: SessionDep, clinician: ClinicianUser, program_id: RecordId) -> ProgramPublic:
    """One program version."""
    return programs.get_program(db, clinician.id, program_id)


@api.get("/programs/{program_id}/items/{exercise_id}/alternatives")
def program_alternatives(
    db: SessionDep, kb: KnowledgeDep, clinician: ClinicianUser, program_id: RecordId, exercise_id: str
) -> list[Alternative]:
    """What may replace the exercise: the same findings addressed, never contraindicated, only the client's kit."""
    program = programs.get_program(db, clinician.id, program_id)
    with in_request(ITEM):
        return [Alternative(**a) for a in edit.alternatives(kb, program.document, exercise_id)]


@api.post("/programs/{program_id}/items/{exercise_id}/swap", status_code=201)
def swap_exercise(
    db: SessionDep, kb: KnowledgeDep, clinician: ClinicianUser, program_id: RecordId, exercise_id: str, body: SwapIn
) -> ProgramPublic:
    """A new draft version with the exercise replaced by one of its alternatives."""
    program = programs.get_program(db, clinician.id, program_id)
    with in_request(ITEM):
        document = edit.swap(kb, program.document, exercise_id, body.new_exercise_id)
    return programs.add_draft_of(db, clinician.id, program, document)


@api.post("/programs/{program_id}/items/{exercise_id}/dosage", status_code=201)
def change_dosage(
    db: SessionDep, kb: KnowledgeDep, clinician: ClinicianUser, program_id: RecordId, exercise_id: str, body: DosageIn
) -> ProgramPublic:
    """A new draft version with the item's dosage; refused (422) beyond the ranges and caps that keep it safe."""
    program = programs.get_program(db, clinician.id, program_id)
    with in_request(ITEM):
        document = edit.set_dosage(kb, program.document, exercise_id, body.model_dump())
    return programs.add_draft_of(db, clinician.id, program, document)


@api.post("/programs/{program_id}/approve")
def approve_program(db: SessionDep, clinician: ClinicianUser, program_id: RecordId) -> ProgramPublic:
    """Approve a draft (409 for a published or superseded version)."""
    return programs.approve_program(db, clinician.id, program_id)


@api.post("/programs/{program_id}/publish")
def publish_program(db: SessionDep, clinician: ClinicianUser, program_id: RecordId) -> ProgramPublic:
    """Publish a version to the patient; the one published before is superseded (409 for an older version)."""
    return programs.publish_program(db, clinician.id, program_id)
