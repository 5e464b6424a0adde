"""The clinician's JSON API, under ``/api`` (in ``/openapi.json``, tag ``clinician``).

    GET  /api/patients                                              the clinician's patients, with their alerts
    POST /api/patients                                              add a patient (201)
    GET  /api/patients/{patient_id}                                 the patient and their timeline
    GET  /api/patients/{patient_id}/progress                        pain, ODI, adherence, left/right series
    GET  /api/patients/{patient_id}/fhir                            the record as a FHIR R4B bundle
                                                                    (``application/fhir+json``: ``reports/fhir.py``)
    POST /api/patients/{patient_id}/assessments?minutes=N           body: an assessment document (contract
                                                                    ``rebalance.assessment/1``); stores it, its
                                                                    analysis and a draft program (201)
    GET  /api/assessments/{assessment_id}                           an assessment and its analysis
    GET  /api/programs/{program_id}                                 a program version
    GET  /api/programs/{program_id}/items/{exercise_id}/alternatives
    POST /api/programs/{program_id}/items/{exercise_id}/swap        a new draft version (201)
    POST /api/programs/{program_id}/items/{exercise_id}/dosage      a new draft version (201)
    POST /api/programs/{program_id}/approve | /publish

Errors as every ``/api`` route's (``rebalance.web.errors``): an invalid assessment is 422 with each problem's
path in the request (``body.symptoms.pain_now``), and so is an edit the library refuses
(``body.new_exercise_id``, ``body.sets``, ``path.exercise_id``).
"""

from __future__ import annotations

import copy
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from fastapi.responses import JSONResponse

from rebalance.api import analyse_case
from rebalance.assessment.parse import parse_document
from rebalance.cli import MINUTES_RANGE
from rebalance.errors import InvalidAssessmentError, InvalidInputError, Problem
from rebalance.programs import edit
from rebalance.programs.series import ProgressSeries
from rebalance.storage import auth_repo, overview, repo
from rebalance.storage.schemas import (
    AssessmentCreate,
    AssessmentPublic,
    PatientCreate,
    PatientPublic,
    ProgramPublic,
)
from rebalance.storage.types import utc_now
from rebalance.web import clinician_views as views
from rebalance.web import exports
from rebalance.web.clinician_schemas import (
    Alternative,
    AssessmentCreated,
    AssessmentSummary,
    DosageIn,
    PatientSummary,
    PatientTimeline,
    ProgramSummary,
    SwapIn,
    TimelineEvent,
)
from rebalance.web.clinician_views import TodayDep
from rebalance.web.deps import ClinicianUser, KnowledgeDep, SessionDep, UnitOfWorkRoute
from rebalance.web.schemas import API_ERRORS, FHIR_JSON, FHIR_RESPONSES

router = APIRouter(prefix="/api", tags=["clinician"], responses=API_ERRORS, route_class=UnitOfWorkRoute)

EXAMPLE = {
    "schema": "rebalance.assessment/1",
    "date": "2026-11-20",
    "client": {"id": "c-017", "age": 42, "sex": "female"},
    "symptoms": {"pain_now": 6, "duration_weeks": 6, "locations": [{"region": "buttock", "side": "right"}]},
    "tests": {"fair": {"right": {"positive": True}}},
}
AssessmentDocument = Annotated[
    dict[str, Any],
    Body(description="an assessment document, contract rebalance.assessment/1", examples=[EXAMPLE]),
]
Minutes = Annotated[int, Query(ge=MINUTES_RANGE[0], le=MINUTES_RANGE[1], description="minutes a home session")]


def _in_request(exc: InvalidInputError, where: dict[str, str]) -> InvalidInputError:
    """The library's problems with their paths in the request: ``symptoms.pain_now`` → ``body.symptoms.pain_now``.

    ``where`` says where a problem's first key lives (``{"exercise_id": "path"}``); anything else is in the body.
    A dosage's fields are the body's own (``dosage.sets`` → ``body.sets``).
    """
    problems = []
    for p in exc.problems:
        path = p.path.removeprefix("dosage.")
        head = path.split(".")[0].split("[")[0]
        prefix = where.get(head, "body")
        problems.append(Problem(p.file, f"{prefix}.{path}" if path else prefix, p.message))
    return InvalidInputError(problems)


# patients


@router.get("/patients")
def list_patients(
    db: SessionDep,
    kb: KnowledgeDep,
    clinician: ClinicianUser,
    today: TodayDep,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int | None, Query(ge=1, le=500)] = None,
) -> list[PatientSummary]:
    """The signed-in clinician's patients by name, with their alerts: red flags, pain getting worse, sessions
    missed. ``limit`` of them from ``offset`` (default: all); only those are read beyond their names."""
    found = overview.patient_overviews(db, clinician.id, offset=offset, limit=limit)
    rows = views.patient_rows(kb, found.rows, today)
    return [
        PatientSummary(
            **r.patient.model_dump(),
            alerts=r.alerts,
            latest_assessment_id=r.latest_assessment_id,
            published_program_id=r.program.id if r.program else None,
        )
        for r in rows
    ]


@router.post("/patients", status_code=201)
def create_patient(db: SessionDep, clinician: ClinicianUser, body: PatientCreate) -> PatientPublic:
    """Add a patient of the signed-in clinician (invite them with ``POST /api/patients/{patient_id}/invitations``)."""
    return repo.create_patient(db, clinician.id, body)


@router.get("/patients/{patient_id}")
def patient_timeline(db: SessionDep, kb: KnowledgeDep, clinician: ClinicianUser, patient_id: int) -> PatientTimeline:
    """The patient, their assessments, program versions, sessions and check-ins, and the timeline (newest first)."""
    patient = repo.get_patient(db, clinician.id, patient_id)
    assessments = repo.patient_assessments(db, clinician.id, patient_id)
    programs = repo.program_versions(db, clinician.id, patient_id)
    sessions = repo.session_logs_for_patient(db, clinician.id, patient_id)
    check_ins = auth_repo.check_ins_for_patient(db, clinician.id, patient_id)
    events = views.timeline(kb, assessments, programs, sessions, check_ins)
    return PatientTimeline(
        patient=patient,
        assessments=[AssessmentSummary.model_validate(a, from_attributes=True) for a in assessments],
        programs=[ProgramSummary.model_validate(p, from_attributes=True) for p in programs],
        session_logs=sessions,
        check_ins=check_ins,
        events=[TimelineEvent(date=e.day, kind=e.kind, title=e.title, detail=e.detail, level=e.level) for e in events],
    )


@router.get("/patients/{patient_id}/progress")
def patient_progress(
    db: SessionDep, kb: KnowledgeDep, clinician: ClinicianUser, today: TodayDep, patient_id: int
) -> ProgressSeries:
    """Pain, ODI and adherence over time, and every left/right measurement at each assessment."""
    assessments = repo.patient_assessments(db, clinician.id, patient_id)
    sessions = repo.session_logs_for_patient(db, clinician.id, patient_id)
    programs = repo.program_versions(db, clinician.id, patient_id)
    return views.series_for(kb, assessments, sessions, programs, today)


@router.get(
    "/patients/{patient_id}/fhir",
    response_class=JSONResponse,
    responses=FHIR_RESPONSES,
)
def patient_fhir(db: SessionDep, kb: KnowledgeDep, clinician: ClinicianUser, patient_id: int) -> JSONResponse:
    """The patient's record as a FHIR R4B bundle for another system: the patient, each assessment's scores
    (LOINC: pain, ODI, STarT Back), red-flag screen and the patterns consistent with it
    (``ClinicalImpression``, never a diagnosis), and the published program (``CarePlan``)."""
    patient = repo.get_patient(db, clinician.id, patient_id)
    assessments = repo.patient_assessments(db, clinician.id, patient_id)
    program = repo.latest_program(db, clinician.id, patient_id, published_only=True)
    bundle = exports.fhir_export(kb, patient, assessments, program, utc_now())
    return JSONResponse(bundle, media_type=FHIR_JSON)


# assessments


@router.post("/patients/{patient_id}/assessments", status_code=201)
def create_assessment(
    db: SessionDep,
    kb: KnowledgeDep,
    clinician: ClinicianUser,
    patient_id: int,
    document: AssessmentDocument,
    minutes: Minutes = 20,
) -> AssessmentCreated:
    """Validate and analyse an assessment; store it, its analysis and the program as a draft version.

    An invalid document is 422 with every problem at its path (``body.symptoms.pain_now``); nothing is stored.
    """
    repo.get_patient(db, clinician.id, patient_id)  # another's patient: 403 before the body is looked at
    try:
        case = parse_document(copy.deepcopy(document), kb, source="body")
    except InvalidAssessmentError as exc:
        raise _in_request(exc, {}) from None
    analysis = analyse_case(case, kb, minutes).document
    data = AssessmentCreate(assessed_on=case.assessment.date, document=document, analysis=analysis)
    assessment, program = repo.add_assessment_with_draft(db, clinician.id, patient_id, data)
    return AssessmentCreated(assessment=assessment, program=program)


@router.get("/assessments/{assessment_id}")
def get_assessment(db: SessionDep, clinician: ClinicianUser, assessment_id: int) -> AssessmentPublic:
    """An assessment: the document as entered and its analysis (contract ``rebalance.analysis/1``)."""
    return repo.get_assessment(db, clinician.id, assessment_id)


# programs


@router.get("/programs/{program_id}")
def get_program(db: SessionDep, clinician: ClinicianUser, program_id: int) -> ProgramPublic:
    """One program version."""
    return repo.get_program(db, clinician.id, program_id)


ITEM = {"exercise_id": "path"}


@router.get("/programs/{program_id}/items/{exercise_id}/alternatives")
def program_alternatives(
    db: SessionDep, kb: KnowledgeDep, clinician: ClinicianUser, program_id: int, exercise_id: str
) -> list[Alternative]:
    """What may replace the exercise: the same findings addressed, nothing their conditions rule out, only their kit."""
    program = repo.get_program(db, clinician.id, program_id)
    try:
        return [Alternative(**a) for a in edit.alternatives(kb, program.document, exercise_id)]
    except InvalidInputError as exc:
        raise _in_request(exc, ITEM) from None


@router.post("/programs/{program_id}/items/{exercise_id}/swap", status_code=201)
def swap_exercise(
    db: SessionDep, kb: KnowledgeDep, clinician: ClinicianUser, program_id: int, exercise_id: str, body: SwapIn
) -> ProgramPublic:
    """A new draft version with the exercise replaced by one of its alternatives."""
    program = repo.get_program(db, clinician.id, program_id)
    try:
        document = edit.swap(kb, program.document, exercise_id, body.new_exercise_id)
    except InvalidInputError as exc:
        raise _in_request(exc, ITEM) from None
    return repo.add_draft_of(db, clinician.id, program, document)


@router.post("/programs/{program_id}/items/{exercise_id}/dosage", status_code=201)
def change_dosage(
    db: SessionDep, kb: KnowledgeDep, clinician: ClinicianUser, program_id: int, exercise_id: str, body: DosageIn
) -> ProgramPublic:
    """A new draft version with the item's dosage; refused (422) beyond the ranges and caps that keep it safe."""
    program = repo.get_program(db, clinician.id, program_id)
    try:
        document = edit.set_dosage(kb, program.document, exercise_id, body.model_dump())
    except InvalidInputError as exc:
        raise _in_request(exc, ITEM) from None
    return repo.add_draft_of(db, clinician.id, program, document)


@router.post("/programs/{program_id}/approve")
def approve_program(db: SessionDep, clinician: ClinicianUser, program_id: int) -> ProgramPublic:
    """Approve a draft (409 for a published or superseded version)."""
    return repo.approve_program(db, clinician.id, program_id)


@router.post("/programs/{program_id}/publish")
def publish_program(db: SessionDep, clinician: ClinicianUser, program_id: int) -> ProgramPublic:
    """Publish a version to the patient; the one published before is superseded (409 for an older version)."""
    return repo.publish_program(db, clinician.id, program_id)
