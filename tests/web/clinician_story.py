"""The clinician scenarios: Anna's patients with assessments, programs, sessions and check-ins.

``today`` is fixed at Monday 30 November 2026 (``set_today``). Helpers store records as the app would
— the analyses and programs from the library, through the repository — and sign Anna in.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from rebalance import yamlio
from rebalance.api import analyse_document
from rebalance.storage.db import session_scope
from rebalance.storage.repos import assessments, patients, programs, session_logs
from rebalance.storage.repos import check_ins as check_in_records
from rebalance.storage.schemas import (
    AssessmentCreate,
    AssessmentPublic,
    CheckInCreate,
    PatientCreate,
    ProgramCreate,
    ProgramPublic,
    SessionEntry,
    SessionLogCreate,
)
from rebalance.storage.types import ProgramStatus, SafetyLevel
from rebalance.web import deps
from tests.conftest import EXAMPLES
from tests.web.conftest import email, web
from tests.web.helpers import sign_in

TODAY = dt.date(2026, 11, 30)


def set_today(app: FastAPI, day: dt.date = TODAY) -> None:
    app.dependency_overrides[deps.today] = lambda: day


def days_ago(n: int) -> dt.date:
    return TODAY - dt.timedelta(days=n)


def example(case: str, on: dt.date | None = None) -> dict[str, Any]:
    document: dict[str, Any] = yamlio.load((EXAMPLES / f"{case}.yaml").read_text(encoding="utf-8"))
    if on is not None:
        document["date"] = on.isoformat()
    return document


@dataclass(frozen=True)
class Seeded:
    patient: int
    assessment: AssessmentPublic
    program: ProgramPublic | None


def seed(
    app: FastAPI,
    clinician: int,
    name: str,
    case: str = "piriformis_right",
    *,
    assessed: int = 21,
    status: ProgramStatus = ProgramStatus.PUBLISHED,
    pains: tuple[tuple[int, int], ...] = (),
    check_ins: tuple[tuple[int, SafetyLevel, tuple[str, ...]], ...] = (),
    patient: int | None = None,
) -> Seeded:
    """A patient (new unless given) assessed ``assessed`` days ago with an example case; its program stored
    with ``status``; sessions as (days ago, pain during); check-ins as (days ago, level, answers)."""
    document = example(case, days_ago(assessed))
    analysis = analyse_document(document)
    with session_scope(web(app).session_factory) as db:
        if patient is None:
            patient = patients.create_patient(db, clinician, PatientCreate(display_name=name)).id
        data = AssessmentCreate(assessed_on=days_ago(assessed), document=document, analysis=analysis)
        assessment = assessments.add_assessment(db, clinician, patient, data)
        program = None
        if analysis["program"] is not None:
            version = ProgramCreate(assessment_id=assessment.id, document=analysis["program"], status=status)
            program = programs.add_program_version(db, clinician, patient, version)
            first = analysis["program"]["items"][0]["exercise_id"]
            for ago, pain in pains:
                entry = SessionEntry(exercise_id=first, done=True, pain_during=pain)
                log = SessionLogCreate(program_id=program.id, performed_on=days_ago(ago), entries=[entry])
                session_logs.add_session_log(db, clinician, patient, log)
        for ago, level, answers in check_ins:
            check_in = CheckInCreate(checked_on=days_ago(ago), answers=list(answers), level=level)
            check_in_records.add_check_in(db, clinician, patient, check_in)
    return Seeded(patient, assessment, program)


def as_anna(client: TestClient) -> str:
    """Sign Anna in; her session's CSRF token."""
    sign_in(client, email("anna"))
    token: str = client.get("/api/me").json()["csrf_token"]
    return token


def post(client: TestClient, path: str, token: str, data: dict[str, Any] | None = None) -> Any:
    return client.post(path, data={**(data or {}), "csrf_token": token})


def api(client: TestClient, path: str, token: str, json: Any = None) -> Any:
    return client.post(path, json=json, headers={"X-CSRF-Token": token})
