"""The world the access matrix walks: two clinicians' worlds, A and B, and a session for every actor.

Side A: clinician Anna, her patient "Alpha Quokka" (patient_a1) with a user, an assessment analysed by
the library (``examples/piriformis_right.yaml``), its published program, a session log, a check-in and
an invitation. Side B: the same for clinician Ben and "Bravo Narwhal" (patient_b1).

Each signed-in actor has a web session made directly (no password hashing); the signed-out actor has
a CSRF cookie. :meth:`World.restore` undoes what a request may have done to the cast (a logout, a
deactivation, a login that replaced the session) so the next request starts from the same world.
Extend it when a new route changes the cast in another way (e.g. archives a patient).

:data:`PARAMS` says which record of side A or B fills each path parameter; add one for a new name.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from rebalance import yamlio
from rebalance.api import analyse_document
from rebalance.storage.db import session_scope
from rebalance.storage.repos import (
    assessments,
    check_ins,
    invitations,
    patients,
    programs,
    session_logs,
    users,
    video_jobs,
    web_sessions,
)
from rebalance.storage.schemas import (
    AssessmentCreate,
    CheckInCreate,
    InvitationCreate,
    PatientCreate,
    ProgramCreate,
    SessionEntry,
    SessionLogCreate,
    UserCreate,
    VideoJobCreate,
)
from rebalance.storage.tables import User, WebSession
from rebalance.storage.types import ProgramStatus, Role, SafetyLevel, utc_now
from rebalance.web import security
from tests.conftest import EXAMPLES
from tests.web.access_policy import ACTORS, Actor

PATIENT_NAMES = {"A": "Alpha Quokka", "B": "Bravo Narwhal"}
CLINICIAN_NAMES = {"A": "Anna", "B": "Ben"}


@dataclass(frozen=True)
class Records:
    """One side's records (ids)."""

    clinician: int
    patient: int
    patient_user: int
    assessment: int
    program: int
    session_log: int
    check_in: int
    invitation: int
    video_job: int  # analysed: its measures can fill the assessment form


PARAMS: dict[str, Callable[[World, str], str]] = {
    "patient_id": lambda world, side: str(world.sides[side].patient),
    "user_id": lambda world, side: str(world.sides[side].clinician),
    "clinician_id": lambda world, side: str(world.sides[side].clinician),
    "assessment_id": lambda world, side: str(world.sides[side].assessment),
    "program_id": lambda world, side: str(world.sides[side].program),
    "log_id": lambda world, side: str(world.sides[side].session_log),
    "session_log_id": lambda world, side: str(world.sides[side].session_log),
    "check_in_id": lambda world, side: str(world.sides[side].check_in),
    "invitation_id": lambda world, side: str(world.sides[side].invitation),
    "job_id": lambda world, side: str(world.sides[side].video_job),
    "token": lambda world, side: world.fresh_invitation(side),  # a new, valid invitation link each time
    "exercise_id": lambda world, side: example_program()["items"][0]["exercise_id"],  # in both sides' program
    "test_id": lambda world, side: "mmt",  # a per-muscle test of the knowledge base (the assessment form)
    "topic": lambda world, side: "piriformis_syndrome",  # a pattern of both sides' analysis (the patient's learn pages)
}


@functools.cache
def example_program() -> dict[str, Any]:
    """The program both sides' assessment gets (``examples/piriformis_right.yaml``, analysed by the library)."""
    program: dict[str, Any] = analyse_document(example_document())["program"]
    return program


def example_document() -> dict[str, Any]:
    """Both sides' assessment document (a fresh copy)."""
    document: dict[str, Any] = yamlio.load((EXAMPLES / "piriformis_right.yaml").read_text(encoding="utf-8"))
    return document


@dataclass(frozen=True)
class _Session:
    user_id: int | None
    token: str | None
    csrf: str


class World:
    def __init__(self, app: FastAPI) -> None:
        self.factory = app.state.session_factory
        with session_scope(self.factory) as db:
            self.admin = users.create_user(
                db, None, UserCreate(email="admin@world.test", display_name="Ada", role=Role.ADMIN)
            ).id
            self.sides = {side: self._side(db, side) for side in ("A", "B")}
        self.sessions = {actor.name: self._session(actor) for actor in ACTORS}

    def _side(self, db: Session, side: str) -> Records:
        name = CLINICIAN_NAMES[side]
        clinician = users.create_user(
            db, self.admin, UserCreate(email=f"{name.lower()}@world.test", display_name=name, role=Role.CLINICIAN)
        ).id
        patient = patients.create_patient(db, clinician, PatientCreate(display_name=PATIENT_NAMES[side])).id
        patient_user = users.create_user(
            db,
            clinician,
            UserCreate(
                email=f"patient.{side.lower()}1@world.test",
                display_name=PATIENT_NAMES[side],
                role=Role.PATIENT,
                clinician_id=clinician,
                patient_id=patient,
            ),
        ).id
        document = yamlio.load((EXAMPLES / "piriformis_right.yaml").read_text(encoding="utf-8"))
        analysis = analyse_document(document)
        assessment = assessments.add_assessment(
            db,
            clinician,
            patient,
            AssessmentCreate(assessed_on=dt.date(2026, 4, 14), document=document, analysis=analysis),
        ).id
        program = programs.add_program_version(
            db,
            clinician,
            patient,
            ProgramCreate(assessment_id=assessment, document=analysis["program"], status=ProgramStatus.PUBLISHED),
        ).id
        entry = SessionEntry(exercise_id=analysis["program"]["items"][0]["exercise_id"], done=True, pain_during=2)
        log = session_logs.add_session_log(
            db,
            patient_user,
            patient,
            SessionLogCreate(program_id=program, performed_on=dt.date(2026, 4, 15), entries=[entry]),
        ).id
        check_in = check_ins.add_check_in(
            db,
            patient_user,
            patient,
            CheckInCreate(checked_on=dt.date(2026, 4, 20), answers=[], level=SafetyLevel.CLEAR),
        ).id
        invitation = invitations.create_invitation(
            db,
            clinician,
            patient,
            InvitationCreate(email=f"patient.{side.lower()}1@world.test"),
            security.token_hash(security.new_token()),
            utc_now() + dt.timedelta(days=7),
        ).id
        clip = VideoJobCreate(filename="stance.mp4", path="/nowhere/stance.mp4", movement="single_leg_stance")
        video_job = video_jobs.add_job(db, clinician, patient, clip).id
        video_jobs.finish(db, video_job, {"status": "ok", "tests": {"trendelenburg": {"left": {"positive": False}}}})
        return Records(clinician, patient, patient_user, assessment, program, log, check_in, invitation, video_job)

    def user_of(self, actor: Actor) -> int | None:
        if actor.role == "admin":
            return self.admin
        if actor.side is None:
            return None
        records = self.sides[actor.side]
        return records.clinician if actor.role == "clinician" else records.patient_user

    def _session(self, actor: Actor) -> _Session:
        user_id = self.user_of(actor)
        if user_id is None:
            return _Session(None, None, security.new_token())
        token = security.new_token()
        session = _Session(user_id, token, security.new_token())
        self._store(session)
        return session

    def _store(self, session: _Session) -> None:
        assert session.user_id is not None and session.token is not None
        now = utc_now()
        with session_scope(self.factory) as db:
            web_sessions.create_web_session(
                db, session.user_id, security.token_hash(session.token), session.csrf, now, now + dt.timedelta(days=7)
            )

    def headers(self, actor: Actor) -> dict[str, str]:
        """The actor's cookie and CSRF header."""
        session = self.sessions[actor.name]
        if session.token is None:
            cookie = f"{security.CSRF_COOKIE}={session.csrf}"
        else:
            cookie = f"{security.SESSION_COOKIE}={session.token}"
        return {"Cookie": cookie, security.CSRF_HEADER: session.csrf}

    def fresh_invitation(self, side: str) -> str:
        token = security.new_token()
        records = self.sides[side]
        with session_scope(self.factory) as db:
            invitations.create_invitation(
                db,
                records.clinician,
                records.patient,
                InvitationCreate(email=f"patient.{side.lower()}1@world.test"),
                security.token_hash(token),
                utc_now() + dt.timedelta(days=7),
            )
        return token

    def restore(self) -> None:
        """Every cast member active again, the patients' accounts not activated (an invitation may activate
        them), every actor's session back (after a logout, a login, a deactivation, an activation)."""
        cast = [self.admin] + [r.clinician for r in self.sides.values()] + [r.patient_user for r in self.sides.values()]
        patient_users = [r.patient_user for r in self.sides.values()]
        with session_scope(self.factory) as db:
            db.execute(update(User).where(User.id.in_(cast)).values(active=True))
            db.execute(update(User).where(User.id.in_(patient_users)).values(password_hash=None))
            stored = set(db.scalars(select(WebSession.token_hash)))
        for session in self.sessions.values():
            if session.token is not None and security.token_hash(session.token) not in stored:
                self._store(session)
