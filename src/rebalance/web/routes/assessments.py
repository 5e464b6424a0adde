"""The clinician's assessments: the form (the whole contract, validated inline by the parser the command
line uses: each problem next to its input), storing it with its analysis and a draft program, the result
page; and the JSON API (an invalid document is 422 with every problem at its path, nothing stored).

A clip uploaded with the form (``/assessments/video``) is stored and analysed in the background
(:mod:`rebalance.video.uploads`); ``/videos/{id}`` is its progress, polled; once done, its measures fill
the form's tests (``/assessments/video/{id}``) for the clinician to review and save. The form's upload
button posts with HTMX and gets the clip's status alone (the form stays as filled in); without JavaScript
the upload is answered 303 to the new form showing the clip (``?video={id}``): a refresh sends no clip again."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Body, File, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from rebalance.api import analyse_case
from rebalance.assessment import form as af
from rebalance.assessment.models import Case
from rebalance.assessment.parse import parse_document
from rebalance.errors import InvalidAssessmentError, NotFoundError, Problem
from rebalance.knowledge.loader import KnowledgeBase
from rebalance.knowledge.words import habit_phrase
from rebalance.programs.minutes import DEFAULT_MINUTES, MINUTES_RANGE, minutes_problem
from rebalance.reports import analysis_words as words
from rebalance.reports import assessment_view
from rebalance.storage.repos import assessments, patients, programs, video_jobs
from rebalance.storage.schemas import AssessmentCreate, AssessmentPublic, PatientPublic, VideoJobCreate, VideoJobPublic
from rebalance.storage.types import EntityType
from rebalance.video import EXTRA_HINT, review, uploads
from rebalance.web.clinician_schemas import AssessmentCreated
from rebalance.web.clinician_views import NOTICES, Done, in_request
from rebalance.web.deps import MAX_ID, ClinicianUser, KnowledgeDep, RecordId, SessionDep, SettingsDep, TodayDep
from rebalance.web.forms import FormValues, FormValuesDep
from rebalance.web.rendering import render
from rebalance.web.schemas import API_ERRORS

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api", tags=["clinician"], responses=API_ERRORS)

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


# the form


def _defaults(kb: KnowledgeBase, patient: PatientPublic, latest: dict[str, Any] | None, today: dt.date) -> FormValues:
    """A new form: today, 20 minutes, what the patient record says, and the last assessment's client and lifestyle."""
    values: FormValues = {"date": [today.isoformat()], af.MINUTES: [str(DEFAULT_MINUTES)]}
    if latest is not None:
        previous = af.form_values(kb, {k: latest[k] for k in ("client", "lifestyle") if k in latest})
        values.update({k: v for k, v in previous.items() if k.startswith(("client.", "lifestyle."))})
    values.setdefault("client.id", [patient.external_ref or ""])
    if patient.birth_year and not values.get("client.age", [""])[0]:
        values["client.age"] = [str(today.year - patient.birth_year)]
    if patient.sex and not values.get("client.sex", [""])[0]:
        values["client.sex"] = [patient.sex.value]
    return values


def _form_page(
    request: Request,
    kb: KnowledgeBase,
    patient: PatientPublic,
    values: FormValues,
    problems: Mapping[str, list[str]] | None = None,
    status_code: int = 200,
    **video: Any,
) -> HTMLResponse:
    """The form; ``video``: the clip's ``job`` and whether it ``filled`` the tests, or a ``video_problem``."""
    form = af.build_form(kb, values)
    problems = problems or {}
    context = {"patient": patient, "form": form, "values": values, "problems": problems, "slot_id": af.slot_id}
    context["open_tests"] = {".".join(slot.split(".")[:2]) for slot in problems if slot.startswith("tests.")}
    measured = any(k.endswith(".quality") for k in values)  # the records of the values still as measured:
    tests = af.to_document(kb, values).document.get("tests", {}) if measured else {}
    context |= _video_context(kb, video.get("job"), notes=review.quality_notes(kb, tests))
    context |= {"video_ready": request.app.state.video is not None, "patient_id": patient.id, **video}
    return render(request, "clinician/assessment_form.html", context, status_code=status_code)


def _video_context(kb: KnowledgeBase, job: VideoJobPublic | None, **more: Any) -> dict[str, Any]:
    """What the clip's card and status draw: the job, the tests it measured by name, the choices offered."""
    measured = [kb.test[t].name for t in ((job.result or {}).get("tests", {}) if job else {}) if t in kb.test]
    context = {"job": job, "measured": measured, "filled": False, "video_problem": None}
    return context | {"movements": uploads.MOVEMENTS, "views": uploads.VIEWS, **more}


def _validated(kb: KnowledgeBase, values: FormValues) -> tuple[af.Submitted, Case | None, list[Problem]]:
    submitted = af.to_document(kb, values)
    problems: list[Problem] = []
    case = None
    try:
        case = parse_document(submitted.document, kb, source="form")
    except InvalidAssessmentError as exc:
        problems = list(exc.problems)
    minutes = minutes_problem(submitted.minutes)
    if minutes:
        problems.append(Problem("form", af.MINUTES, minutes))
    return submitted, case, problems


@router.get("/patients/{patient_id}/assessments/new")
def new_assessment(
    request: Request,
    db: SessionDep,
    kb: KnowledgeDep,
    clinician: ClinicianUser,
    today: TodayDep,
    patient_id: RecordId,
    video: Annotated[int | None, Query(ge=1, le=MAX_ID, description="a clip uploaded without JavaScript")] = None,
) -> HTMLResponse:
    patient = patients.get_patient(db, clinician.id, patient_id)
    latest = assessments.patient_assessments(db, clinician.id, patient_id)
    job = _patients_job(db, clinician.id, patient.id, video) if video else None
    values = _defaults(kb, patient, latest[-1].document if latest else None, today)
    return _form_page(request, kb, patient, values, job=job)


def _patients_job(db: Session, clinician_id: int, patient_id: int, job_id: int) -> VideoJobPublic:
    """The clip's job, if it is this patient's (another clinician's, or another patient's: not found)."""
    job = video_jobs.get_job(db, clinician_id, job_id)
    if job.patient_id != patient_id:
        raise NotFoundError(EntityType.VIDEO_JOB, job_id)
    return job


@router.post("/patients/{patient_id}/assessments/validate")
def validate_assessment(
    request: Request,
    db: SessionDep,
    kb: KnowledgeDep,
    clinician: ClinicianUser,
    patient_id: RecordId,
    values: FormValuesDep,
) -> HTMLResponse:
    patients.get_patient(db, clinician.id, patient_id)
    submitted, _, problems = _validated(kb, values)
    form = af.build_form(kb, values)
    context = {"form": form, "problems": af.place(problems, form, submitted), "slot_id": af.slot_id}
    return render(request, "clinician/_validation.html", context)


@router.post("/patients/{patient_id}/assessments")
def add_assessment(
    request: Request,
    db: SessionDep,
    kb: KnowledgeDep,
    clinician: ClinicianUser,
    patient_id: RecordId,
    values: FormValuesDep,
) -> Response:
    patient = patients.get_patient(db, clinician.id, patient_id)
    submitted, case, problems = _validated(kb, values)
    if problems or case is None:
        placed = af.place(problems, af.build_form(kb, values), submitted)
        return _form_page(request, kb, patient, values, placed, status_code=422)
    analysis = analyse_case(case, kb, int(submitted.minutes)).document
    data = AssessmentCreate(assessed_on=case.assessment.date, document=submitted.document, analysis=analysis)
    assessment, _ = assessments.add_assessment_with_draft(db, clinician.id, patient_id, data)
    return RedirectResponse(f"/assessments/{assessment.id}?done=saved", status_code=303)


@router.post("/patients/{patient_id}/assessments/video")
def upload_video(
    request: Request,
    db: SessionDep,
    kb: KnowledgeDep,
    settings: SettingsDep,
    clinician: ClinicianUser,
    patient_id: RecordId,
    values: FormValuesDep,
    background: BackgroundTasks,
    video_file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Store a clip and queue its analysis. HTMX (the form's button) gets the clip's status, or why it was
    refused (422), in place; a plain post is answered 303 to the new form showing the clip, or the form as
    posted with the reason (422: nothing was stored, so a refresh stores nothing)."""
    hx = bool(request.headers.get("HX-Request"))
    patient = patients.get_patient(db, clinician.id, patient_id)
    runner, head = request.app.state.video, video_file.file.read(12) if video_file else b""
    movement, view = values.get("video_movement", [""])[0], values.get("video_view", [""])[0]
    name = video_file.filename.replace("\0", "") if video_file and video_file.filename else None
    problem = EXTRA_HINT if runner is None else uploads.upload_problem(name, head, movement, view)
    if problem or video_file is None or name is None:
        if hx:
            refused = _video_context(kb, None, video_problem=problem, patient_id=patient.id)
            return render(request, "clinician/_video_problem.html", refused, status_code=422)
        return _form_page(request, kb, patient, values, status_code=422, video_problem=problem)
    kind = str(uploads.video_kind(head))
    path = uploads.store(video_file.file, Path(settings.data_dir) / "videos", kind)
    try:
        data = VideoJobCreate(filename=name[:255], path=str(path), movement=movement, view=view or None)
        job = video_jobs.add_job(db, clinician.id, patient.id, data, runner.task_id(), runner.analysed_by())
        runner.remove_clips(db)  # the clips kept past their days, whenever a clip comes in
    except BaseException:  # no job row will name the clip: it goes with the request
        path.unlink(missing_ok=True)
        raise
    background.add_task(runner.start, job)  # after the response: the job's row is committed by then
    if hx:
        return render(request, "clinician/_video_status.html", _video_context(kb, job, patient_id=patient.id))
    return RedirectResponse(f"/patients/{patient.id}/assessments/new?video={job.id}", status_code=303)


@router.get("/videos/{job_id}")
def video_status(
    request: Request, db: SessionDep, kb: KnowledgeDep, clinician: ClinicianUser, job_id: RecordId
) -> HTMLResponse:
    """A clip's progress (polled while it waits or is analysed), its measures, or why it was refused."""
    job = video_jobs.get_job(db, clinician.id, job_id)
    job = request.app.state.video.refresh(db, job) if request.app.state.video else job
    return render(request, "clinician/_video_status.html", _video_context(kb, job, patient_id=job.patient_id))


@router.post("/patients/{patient_id}/assessments/video/{job_id}")
def fill_from_video(
    request: Request,
    db: SessionDep,
    kb: KnowledgeDep,
    clinician: ClinicianUser,
    patient_id: RecordId,
    job_id: RecordId,
    values: FormValuesDep,
) -> HTMLResponse:
    """The form as posted, with the clip's measured tests (and their quality) in place: nothing is saved."""
    patient = patients.get_patient(db, clinician.id, patient_id)
    job = video_jobs.get_job(db, clinician.id, job_id)
    if job.patient_id != patient.id or job.result is None:
        raise NotFoundError(EntityType.VIDEO_JOB, job_id)
    return _form_page(request, kb, patient, af.with_measures(kb, values, job.result["tests"]), job=job, filled=True)


@router.get("/assessment-form/location-row")
def location_row(
    request: Request, kb: KnowledgeDep, clinician: ClinicianUser, index: Annotated[int, Query(ge=0, le=50)] = 0
) -> HTMLResponse:
    context = {"row": af.location_row(kb, index), "values": {}, "problems": {}, "slot_id": af.slot_id, "oob": True}
    return render(request, "clinician/_location_row.html", context)


@router.get("/assessment-form/tests/{test_id}/muscle-row")
def muscle_row(
    request: Request,
    kb: KnowledgeDep,
    clinician: ClinicianUser,
    test_id: str,
    muscle: Annotated[str, Query(max_length=100)] = "",
) -> HTMLResponse:
    test = kb.test.get(test_id)
    if test is None or test.layout != "per_muscle":
        raise NotFoundError("test", test_id)
    row = af.muscle_row(kb, test, muscle) if muscle in kb.muscle else None
    context: dict[str, Any] = {"row": row, "values": {}, "problems": {}, "slot_id": af.slot_id}
    return render(request, "clinician/_muscle_row.html", context)


# the result


@router.get("/assessments/{assessment_id}")
def assessment_page(
    request: Request,
    db: SessionDep,
    kb: KnowledgeDep,
    clinician: ClinicianUser,
    assessment_id: RecordId,
    done: Done | None = None,
) -> HTMLResponse:
    assessment = assessments.get_assessment(db, clinician.id, assessment_id)
    patient = patients.get_patient(db, clinician.id, assessment.patient_id)
    versions = [p for p in programs.program_versions(db, clinician.id, patient.id) if p.assessment_id == assessment.id]
    analysis = assessment.analysis
    context = {
        "patient": patient,
        "assessment": assessment,
        "analysis": analysis,
        "program": versions[-1] if versions else None,
        "stop": assessment_view.stops(analysis),
        "view": assessment_view.assessment_view(kb, analysis),
        "confirm_below": assessment_view.CONFIRM_BELOW,
        "body_map": words.body_map_svg(kb, analysis),
        "kb": kb,
        "id_label": lambda fid: words.finding_id_label(kb, fid),
        "flags": assessment_view.flags(kb, analysis),
        "habit": lambda lf: habit_phrase(kb, lf["id"], lf.get("side")),
        "notice": NOTICES[done] if done else None,
    }
    return render(request, "clinician/assessment.html", context)


# the JSON API


@api.post("/patients/{patient_id}/assessments", status_code=201)
def create_assessment(
    db: SessionDep,
    kb: KnowledgeDep,
    clinician: ClinicianUser,
    patient_id: RecordId,
    document: AssessmentDocument,
    minutes: Minutes = DEFAULT_MINUTES,
) -> AssessmentCreated:
    """Validate and analyse an assessment; store it, its analysis and the program as a draft version.

    An invalid document is 422 with every problem at its path (``body.symptoms.pain_now``); nothing is stored.
    """
    patients.get_patient(db, clinician.id, patient_id)  # another's patient: 403 before the body is looked at
    with in_request():
        case = parse_document(copy.deepcopy(document), kb, source="body")
    analysis = analyse_case(case, kb, minutes).document
    data = AssessmentCreate(assessed_on=case.assessment.date, document=document, analysis=analysis)
    assessment, program = assessments.add_assessment_with_draft(db, clinician.id, patient_id, data)
    return AssessmentCreated(assessment=assessment, program=program)


@api.get("/assessments/{assessment_id}")
def get_assessment(db: SessionDep, clinician: ClinicianUser, assessment_id: RecordId) -> AssessmentPublic:
    """An assessment: the document as entered and its analysis (contract ``rebalance.analysis/1``)."""
    return assessments.get_assessment(db, clinician.id, assessment_id)
