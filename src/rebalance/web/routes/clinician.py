"""The clinician's pages: patient list, timeline and charts, assessment form, result, program.

    GET  /patients                                        the patients with their alerts; search and filter
    POST /patients                                        add a patient (and invite them, given an email)
    GET  /patients/{patient_id}                           timeline and progress charts
    POST /patients/{patient_id}/invitations               invite the patient: the link, shown once
    GET  /patients/{patient_id}/assessments/new           the assessment form (the whole contract)
    POST /patients/{patient_id}/assessments/validate      HTMX: the form's problems at their inputs; stores nothing
    POST /patients/{patient_id}/assessments               store the assessment, its analysis and a draft program
    GET  /assessment-form/location-row                    HTMX: one more symptom location row
    GET  /assessment-form/tests/{test_id}/muscle-row      HTMX: one more muscle for a per-muscle test
    GET  /assessments/{assessment_id}                     the result: safety, body map, findings, patterns, tests
    GET  /programs/{program_id}                           a program version, its actions and the version history
    GET  /programs/{program_id}/items/{exercise_id}/alternatives   HTMX (or a page): what may replace an exercise
    POST /programs/{program_id}/items/{exercise_id}/swap           a new version with the alternative
    POST /programs/{program_id}/items/{exercise_id}/dosage         a new version with the dosage
    POST /programs/{program_id}/approve | /publish                 approve a draft; publish to the patient
    GET  /programs/{program_id}/handout                   the version as a printable home program (``web/handout.py``)

The analysis, the program and every edit come from the library (``analyse_case``, ``programs.edit``);
the repository checks that the patient is the clinician's own and writes the audit log.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from rebalance.api import analyse_case
from rebalance.assessment.models import Case
from rebalance.assessment.parse import parse_document
from rebalance.errors import ConflictError, InvalidAssessmentError, InvalidInputError, NotFoundError, Problem
from rebalance.knowledge.loader import KnowledgeBase
from rebalance.programs import edit
from rebalance.storage import auth_repo, repo
from rebalance.storage.auth_repo import InvitationCreate
from rebalance.storage.schemas import AssessmentCreate, PatientCreate, PatientPublic, ProgramPublic
from rebalance.web import assessment_form as af
from rebalance.web import clinician_views as views
from rebalance.web import patient_views
from rebalance.web.clinician_views import TodayDep
from rebalance.web.deps import ClinicianUser, KnowledgeDep, SessionDep, UnitOfWorkRoute, WebContextDep
from rebalance.web.handout import handout
from rebalance.web.rendering import render
from rebalance.web.routes.api import invite_patient

router = APIRouter(include_in_schema=False, route_class=UnitOfWorkRoute)

NOTICES = {
    "created": "The patient was added.",
    "saved": "The assessment was saved with its analysis; its program is a draft for you to review.",
    "swapped": "The exercise was swapped: this is a new draft version.",
    "dosage": "The dosage was changed: this is a new draft version.",
    "approved": "This version is approved. Publish it to show it to the patient.",
    "published": "This version is published: the patient sees it now.",
}
Done = Literal["created", "saved", "swapped", "dosage", "approved", "published"]
FormValues = dict[str, list[str]]


async def _form_values(request: Request) -> FormValues:
    form = await request.form()
    return {k: [v for v in form.getlist(k) if isinstance(v, str)] for k in form if k != "csrf_token"}


FormValuesDep = Annotated[FormValues, Depends(_form_values)]


# the patient list


def _patients_page(
    request: Request,
    db: SessionDep,
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
    web: WebContextDep,
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
    try:
        data = _patient_create(display_name, external_ref, birth_year, sex)
        invite = InvitationCreate(email=email) if email.strip() else None
    except ValidationError as exc:
        problems = {str(e["loc"][0]): e["msg"].removeprefix("Value error, ") for e in exc.errors()}
        return _patients_page(request, db, kb, clinician.id, today, form=form, problems=problems, status_code=422)
    try:
        patient = repo.create_patient(db, clinician.id, data)
    except ConflictError as exc:
        problems = {"external_ref": str(exc.reason).capitalize() + "."}
        return _patients_page(request, db, kb, clinician.id, today, form=form, problems=problems, status_code=409)
    if invite is None:
        return RedirectResponse(f"/patients/{patient.id}?done=created", status_code=303)
    try:
        link = invite_patient(request, db, web, clinician, patient.id, invite)
    except ConflictError as exc:
        db.rollback()  # nothing stored: the patient is added with their invitation or not at all
        problems = {"email": str(exc.reason).capitalize() + "."}
        return _patients_page(request, db, kb, clinician.id, today, form=form, problems=problems, status_code=409)
    return _patients_page(request, db, kb, clinician.id, today, notice=NOTICES["created"], invitation=link)


# one patient: timeline and charts


def _patient_page(
    request: Request,
    db: SessionDep,
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
    patient = repo.get_patient(db, clinician_id, patient_id)
    assessments = repo.patient_assessments(db, clinician_id, patient_id)
    programs = repo.program_versions(db, clinician_id, patient_id)
    sessions = repo.session_logs_for_patient(db, clinician_id, patient_id)
    check_ins = auth_repo.check_ins_for_patient(db, clinician_id, patient_id)
    series = views.series_for(kb, assessments, sessions, programs, today)
    context = {
        "patient": patient,
        "events": views.timeline(kb, assessments, programs, sessions, check_ins),
        "charts": views.charts(kb, series),
        "side_charts": views.side_charts(series),
        "side_table": views.side_table(series),
        "latest_program": programs[-1] if programs else None,
        "latest_assessment": assessments[-1] if assessments else None,
        "notice": notice,
        "invitation": invitation,
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
    patient_id: int,
    done: Done | None = None,
) -> HTMLResponse:
    notice = NOTICES[done] if done else None
    return _patient_page(request, db, kb, clinician.id, patient_id, today, notice=notice)


@router.post("/patients/{patient_id}/invitations")
def invite_page(
    request: Request,
    db: SessionDep,
    kb: KnowledgeDep,
    web: WebContextDep,
    clinician: ClinicianUser,
    today: TodayDep,
    patient_id: int,
    email: Annotated[str, Form(max_length=320)] = "",
) -> HTMLResponse:
    repo.get_patient(db, clinician.id, patient_id)  # another's patient: 403 before anything else
    try:
        link = invite_patient(request, db, web, clinician, patient_id, InvitationCreate(email=email))
    except ValidationError:
        problems = {"email": "Enter an email address such as name@example.org."}
        return _patient_page(request, db, kb, clinician.id, patient_id, today, problems=problems, status_code=422)
    except ConflictError as exc:
        problems = {"email": str(exc.reason).capitalize() + "."}
        return _patient_page(request, db, kb, clinician.id, patient_id, today, problems=problems, status_code=409)
    return _patient_page(request, db, kb, clinician.id, patient_id, today, invitation=link)


# the assessment form


def _defaults(kb: KnowledgeBase, patient: PatientPublic, latest: dict[str, Any] | None, today: dt.date) -> FormValues:
    """A new form: today, 20 minutes, what the patient record says, and the last assessment's client and lifestyle."""
    values: FormValues = {"date": [today.isoformat()], af.MINUTES: ["20"]}
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
) -> HTMLResponse:
    form = af.build_form(kb, values)
    problems = problems or {}
    context = {"patient": patient, "form": form, "values": values, "problems": problems, "slot_id": af.slot_id}
    context["open_tests"] = {".".join(slot.split(".")[:2]) for slot in problems if slot.startswith("tests.")}
    return render(request, "clinician/assessment_form.html", context, status_code=status_code)


def _validated(kb: KnowledgeBase, values: FormValues) -> tuple[af.Submitted, Case | None, list[Problem]]:
    submitted = af.to_document(kb, values)
    problems: list[Problem] = []
    case = None
    try:
        case = parse_document(submitted.document, kb, source="form")
    except InvalidAssessmentError as exc:
        problems = list(exc.problems)
    minutes = af.minutes_problem(submitted.minutes)
    if minutes:
        problems.append(Problem("form", af.MINUTES, minutes))
    return submitted, case, problems


@router.get("/patients/{patient_id}/assessments/new")
def new_assessment(
    request: Request, db: SessionDep, kb: KnowledgeDep, clinician: ClinicianUser, today: TodayDep, patient_id: int
) -> HTMLResponse:
    patient = repo.get_patient(db, clinician.id, patient_id)
    latest = repo.patient_assessments(db, clinician.id, patient_id)
    return _form_page(request, kb, patient, _defaults(kb, patient, latest[-1].document if latest else None, today))


@router.post("/patients/{patient_id}/assessments/validate")
def validate_assessment(
    request: Request, db: SessionDep, kb: KnowledgeDep, clinician: ClinicianUser, patient_id: int, values: FormValuesDep
) -> HTMLResponse:
    repo.get_patient(db, clinician.id, patient_id)
    submitted, _, problems = _validated(kb, values)
    form = af.build_form(kb, values)
    context = {"form": form, "problems": af.place(problems, form, submitted), "slot_id": af.slot_id}
    return render(request, "clinician/_validation.html", context)


@router.post("/patients/{patient_id}/assessments")
def add_assessment(
    request: Request, db: SessionDep, kb: KnowledgeDep, clinician: ClinicianUser, patient_id: int, values: FormValuesDep
) -> Response:
    patient = repo.get_patient(db, clinician.id, patient_id)
    submitted, case, problems = _validated(kb, values)
    if problems or case is None:
        placed = af.place(problems, af.build_form(kb, values), submitted)
        return _form_page(request, kb, patient, values, placed, status_code=422)
    analysis = analyse_case(case, kb, int(submitted.minutes)).document
    data = AssessmentCreate(assessed_on=case.assessment.date, document=submitted.document, analysis=analysis)
    assessment, _ = repo.add_assessment_with_draft(db, clinician.id, patient_id, data)
    return RedirectResponse(f"/assessments/{assessment.id}?done=saved", status_code=303)


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
    assessment_id: int,
    done: Done | None = None,
) -> HTMLResponse:
    assessment = repo.get_assessment(db, clinician.id, assessment_id)
    patient = repo.get_patient(db, clinician.id, assessment.patient_id)
    versions = [p for p in repo.program_versions(db, clinician.id, patient.id) if p.assessment_id == assessment.id]
    analysis = assessment.analysis
    context = {
        "patient": patient,
        "assessment": assessment,
        "analysis": analysis,
        "program": versions[-1] if versions else None,
        "body_map": views.body_map_svg(kb, analysis),
        "kb": kb,
        "label": lambda f: views.finding_label(kb, f),
        "id_label": lambda fid: views.finding_id_label(kb, fid),
        "cite": lambda sid: views.citation(kb, sid),
        "notice": NOTICES[done] if done else None,
    }
    return render(request, "clinician/assessment.html", context)


# the program


def _program_page(
    request: Request,
    db: SessionDep,
    kb: KnowledgeBase,
    clinician_id: int,
    program: ProgramPublic,
    *,
    notice: str | None = None,
    dosage_problems: Mapping[str, str] | None = None,
    open_item: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    patient = repo.get_patient(db, clinician_id, program.patient_id)
    context = {
        "patient": patient,
        "program": program,
        "doc": program.document,
        "versions": repo.program_versions(db, clinician_id, program.patient_id),
        "kb": kb,
        "id_label": lambda fid: views.finding_id_label(kb, fid),
        "edit_note": lambda document: views.edit_note(kb, document),
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
    program_id: int,
    done: Done | None = None,
) -> HTMLResponse:
    program = repo.get_program(db, clinician.id, program_id)
    return _program_page(request, db, kb, clinician.id, program, notice=NOTICES[done] if done else None)


@router.get("/programs/{program_id}/items/{exercise_id}/alternatives")
def alternatives(
    request: Request, db: SessionDep, kb: KnowledgeDep, clinician: ClinicianUser, program_id: int, exercise_id: str
) -> HTMLResponse:
    program = repo.get_program(db, clinician.id, program_id)
    options = edit.alternatives(kb, program.document, exercise_id)
    context: dict[str, Any] = {"program": program, "exercise_id": exercise_id, "options": options, "kb": kb}
    context["id_label"] = lambda fid: views.finding_id_label(kb, fid)
    if request.headers.get("HX-Request"):
        return render(request, "clinician/_alternatives.html", context)
    context["patient"] = repo.get_patient(db, clinician.id, program.patient_id)
    return render(request, "clinician/alternatives.html", context)


@router.post("/programs/{program_id}/items/{exercise_id}/swap")
def swap_exercise(
    db: SessionDep,
    kb: KnowledgeDep,
    clinician: ClinicianUser,
    program_id: int,
    exercise_id: str,
    new_exercise_id: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    program = repo.get_program(db, clinician.id, program_id)
    new = repo.add_draft_of(db, clinician.id, program, edit.swap(kb, program.document, exercise_id, new_exercise_id))
    return RedirectResponse(f"/programs/{new.id}?done=swapped", status_code=303)


def _whole(text: str) -> Any:
    text = text.strip()
    if not text:
        return None
    return int(text) if text.lstrip("-").isdigit() else text


@router.post("/programs/{program_id}/items/{exercise_id}/dosage")
def change_dosage(
    request: Request,
    db: SessionDep,
    kb: KnowledgeDep,
    clinician: ClinicianUser,
    program_id: int,
    exercise_id: str,
    sets: Annotated[str, Form(max_length=10)] = "",
    reps: Annotated[str, Form(max_length=10)] = "",
    hold_s: Annotated[str, Form(max_length=10)] = "",
    days_per_week: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    program = repo.get_program(db, clinician.id, program_id)
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
    new = repo.add_draft_of(db, clinician.id, program, document)
    return RedirectResponse(f"/programs/{new.id}?done=dosage", status_code=303)


@router.post("/programs/{program_id}/approve")
def approve_program(db: SessionDep, clinician: ClinicianUser, program_id: int) -> Response:
    repo.approve_program(db, clinician.id, program_id)
    return RedirectResponse(f"/programs/{program_id}?done=approved", status_code=303)


@router.post("/programs/{program_id}/publish")
def publish_program(db: SessionDep, clinician: ClinicianUser, program_id: int) -> Response:
    repo.publish_program(db, clinician.id, program_id)
    return RedirectResponse(f"/programs/{program_id}?done=published", status_code=303)


@router.get("/programs/{program_id}/handout")
def program_handout(
    request: Request, db: SessionDep, kb: KnowledgeDep, clinician: ClinicianUser, program_id: int
) -> HTMLResponse:
    """The version as a printable home program; while the patient's program is stopped (their latest
    assessment, or a check-in since it), why and where to go instead of the exercises."""
    program = repo.get_program(db, clinician.id, program_id)
    patient = repo.get_patient(db, clinician.id, program.patient_id)
    assessment = repo.latest_assessment(db, clinician.id, patient.id)
    since = None if assessment is None else assessment.assessed_on  # earlier check-ins do not count
    check_ins = auth_repo.check_ins_for_patient(db, clinician.id, patient.id, start=since)
    sheet = handout(kb, program, patient.display_name, patient_views.stops_of(kb, assessment, check_ins))
    return render(request, "handout.html", {"h": sheet, "back": f"/programs/{program.id}"})
