"""The patient scenarios: patient A1 (of Anna) with an assessment analysed by the library and a published program.

``story`` (a fixture): A1's assessment of ``examples/piriformis_right.yaml`` on 16 November 2026, its program
published as version 1, and the app's "today" set to Monday 23 November 2026. ``patient``: the test
client signed in as A1. Helpers add assessments, program versions, sessions and check-ins as the
clinician or the patient would, through the repository.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from rebalance import yamlio
from rebalance.api import analyse_document
from rebalance.storage.db import session_scope
from rebalance.storage.repos import assessments, check_ins, programs, session_logs
from rebalance.storage.schemas import (
    AssessmentCreate,
    AssessmentPublic,
    CheckInCreate,
    CheckInPublic,
    ProgramCreate,
    ProgramPublic,
    SessionEntry,
    SessionLogCreate,
    SessionLogPublic,
)
from rebalance.storage.types import ProgramStatus, SafetyLevel
from rebalance.web import deps
from tests.conftest import EXAMPLES
from tests.web.conftest import Cast, email, web
from tests.web.helpers import csrf_of, sign_in

MONDAY = dt.date(2026, 11, 23)
ASSESSED = dt.date(2026, 11, 16)


@dataclass(frozen=True)
class Story:
    assessment: AssessmentPublic
    program: ProgramPublic

    @property
    def document(self) -> dict[str, Any]:
        return self.program.document

    def items_on(self, weekday: str) -> list[str]:
        """The exercise ids the program schedules on ``weekday`` (Mon … Sun)."""
        day = next(d for d in self.document["schedule"] if d["day"] == weekday)
        return [entry["exercise_id"] for entry in day["items"]]

    def item(self, exercise_id: str) -> dict[str, Any]:
        item: dict[str, Any] = next(i for i in self.document["items"] if i["exercise_id"] == exercise_id)
        return item


def set_today(app: FastAPI, day: dt.date) -> None:
    app.dependency_overrides[deps.today] = lambda: day


def assess(app: FastAPI, cast: Cast, case: str = "piriformis_right", on: dt.date = ASSESSED) -> AssessmentPublic:
    """Anna assesses A1 with an example case (its analysis from the library)."""
    document = yamlio.load((EXAMPLES / f"{case}.yaml").read_text(encoding="utf-8"))
    analysis = analyse_document(document)
    with session_scope(web(app).session_factory) as db:
        data = AssessmentCreate(assessed_on=on, document=document, analysis=analysis)
        return assessments.add_assessment(db, cast.anna, cast.patient_a1, data)


def add_version(
    app: FastAPI,
    cast: Cast,
    assessment: AssessmentPublic,
    document: dict[str, Any],
    status: ProgramStatus = ProgramStatus.PUBLISHED,
) -> ProgramPublic:
    with session_scope(web(app).session_factory) as db:
        data = ProgramCreate(assessment_id=assessment.id, document=document, status=status)
        return programs.add_program_version(db, cast.anna, cast.patient_a1, data)


def log_session(
    app: FastAPI, cast: Cast, program: ProgramPublic, on: dt.date, entries: list[dict[str, Any]]
) -> SessionLogPublic:
    """A1 logs a session through the repository."""
    with session_scope(web(app).session_factory) as db:
        data = SessionLogCreate(program_id=program.id, performed_on=on, entries=[SessionEntry(**e) for e in entries])
        return session_logs.add_session_log(db, cast.user_a1, cast.patient_a1, data)


def add_check_in(app: FastAPI, cast: Cast, on: dt.date, answers: list[str], level: SafetyLevel) -> CheckInPublic:
    with session_scope(web(app).session_factory) as db:
        data = CheckInCreate(checked_on=on, answers=answers, level=level)
        return check_ins.add_check_in(db, cast.user_a1, cast.patient_a1, data)


def stored_logs(app: FastAPI, cast: Cast) -> list[SessionLogPublic]:
    with session_scope(web(app).session_factory) as db:
        return session_logs.session_logs_for_patient(db, cast.anna, cast.patient_a1)


def stored_check_ins(app: FastAPI, cast: Cast) -> list[CheckInPublic]:
    with session_scope(web(app).session_factory) as db:
        return check_ins.check_ins_for_patient(db, cast.anna, cast.patient_a1)


def post_form(client: TestClient, path: str, data: dict[str, str]) -> Any:
    """Open the page, then post the form with the page's CSRF token."""
    token = csrf_of(client.get(path))
    return client.post(path, data={"csrf_token": token, **data})


def api_post(client: TestClient, path: str, body: dict[str, Any]) -> Any:
    token = client.get("/api/me").json()["csrf_token"]
    return client.post(path, json=body, headers={"X-CSRF-Token": token})


@pytest.fixture
def story(app: FastAPI, client: TestClient, cast: Cast) -> Iterator[Story]:
    assessment = assess(app, cast)
    program = add_version(app, cast, assessment, assessment.analysis["program"])
    set_today(app, MONDAY)
    yield Story(assessment, program)
    app.dependency_overrides.clear()


@pytest.fixture
def patient(client: TestClient, cast: Cast, story: Story) -> TestClient:
    """The client, signed in as patient A1."""
    assert sign_in(client, email("a1")).status_code == 303
    return client
