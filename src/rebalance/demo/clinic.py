"""A demo clinic for ``rebalance serve --demo``: seeded into an EMPTY database only.

    admin       Ada Admin                 manages the clinicians' accounts
    clinician   Clara Reyes               five patients, each with a few weeks of history:
      Maria Lopez     piriformis, right         5 weeks; progressed to version 2 after two weeks;
                                                a follow-up assessment 3 days ago with a revised
                                                version 3 waiting as a draft for the clinician
      Tom Becker      lower crossed, desk job   4 weeks; pain rising over the last week
      Daniel Okafor   L5-S1 nerve root          gentle program (caution); stopped logging 16 days ago,
                                                so his weekly check-in is due
      James Holt      golfer, lateral asymmetry 3 weeks; progressed to version 2 a week ago
      Aisha Khan      sacroiliac, postpartum    2 weeks

Every patient can sign in. The assessments are the realistic cases of ``examples/`` (read where
:func:`rebalance.demo.cases.examples_dir` finds them) with their dates moved into the past few weeks;
the analyses, programs and progressions come from the library (``analyse_document``, ``progress``,
``revise``). Dates are relative to today (so "last session 16 days ago" stays true); everything else is deterministic.
Every record, and its audit event, is dated on the day of the story it tells (:func:`_dated`): the first
assessment weeks ago, each program version on the day it was made, each session on the day it was done,
the follow-up later; nothing carries the time the demo was seeded. Each patient answered the weekly
red-flag check-in (all no: clear, as the library reads it) once a week, counting back from the last logged
session: the check-in is due only for a patient who stopped logging more than a week ago.
The passwords are public (:data:`DEMO_PASSWORDS`): a demo is never a real clinic.
"""

from __future__ import annotations

import copy
import datetime as dt
import random
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from rebalance.api import analyse_document
from rebalance.config import Settings
from rebalance.demo.cases import example_case
from rebalance.errors import ConflictError
from rebalance.knowledge.loader import KnowledgeBase
from rebalance.programs.logs import Logs, parse_logs
from rebalance.programs.progress import progress
from rebalance.programs.revise import revise
from rebalance.programs.schedule import DAYS
from rebalance.programs.stops import CHECK_IN_EVERY_DAYS, check_in_safety
from rebalance.storage.db import analyze, session_scope
from rebalance.storage.repos import assessments, check_ins, patients, programs, session_logs, users
from rebalance.storage.schemas import (
    AssessmentCreate,
    CheckInCreate,
    PatientCreate,
    ProgramCreate,
    SessionEntry,
    SessionLogCreate,
    UserCreate,
)
from rebalance.storage.tables import Assessment, AuditEvent, CheckIn, Patient, Program, SessionLog, User
from rebalance.storage.types import EntityType, ProgramStatus, Role, SafetyLevel, Sex
from rebalance.web.security import Passwords

SEED = 20261121
DOMAIN = "rebalance.test"  # a reserved top-level domain: no real mailbox
DEMO_PASSWORDS = {
    Role.ADMIN: "demo-admin-password",
    Role.CLINICIAN: "demo-clinician-password",
    Role.PATIENT: "demo-patient-password",
}


@dataclass(frozen=True)
class DemoLogin:
    """A login of the demo clinic, as printed at start-up."""

    role: Role
    name: str
    email: str
    password: str


@dataclass(frozen=True)
class DemoPatient:
    """One demo patient's story: the case, when it started, how the pain went, what happened."""

    name: str
    case: str  # an example case (a file of examples/, without .yaml)
    started_days_ago: int
    last_log_days_ago: int  # the last logged session
    pain: tuple[int, ...]  # pain during exercise, from the first session to the last (interpolated)
    progressed_days_ago: int | None = None  # a second version from the library's progression
    follow_up: tuple[str, int] | None = None  # (case, days ago): a re-assessment and a revised draft

    @property
    def email(self) -> str:
        return f"{self.name.lower().replace(' ', '.')}@{DOMAIN}"


PATIENTS = (
    DemoPatient("Maria Lopez", "piriformis_right", 35, 4, (4, 3, 2, 1, 1), 21, ("piriformis_right_week6", 3)),
    DemoPatient("Tom Becker", "lower_crossed_desk_worker", 28, 1, (2, 2, 2, 3, 6)),
    DemoPatient("Daniel Okafor", "nerve_root_l5_s1", 30, 16, (3, 3, 2)),
    DemoPatient("James Holt", "golfer_lateral_asymmetry", 21, 1, (2, 2, 1), 7),
    DemoPatient("Aisha Khan", "sacroiliac_postpartum", 14, 2, (3, 2, 2)),
)
HOURS = {EntityType.USER: 8, EntityType.PATIENT: 8, EntityType.ASSESSMENT: 9, EntityType.PROGRAM: 10}
"""The hour of the day each kind of record is made in the demo's story (sessions: :data:`SESSION_HOUR`)."""
SESSION_HOUR = 18
MISSED = 0.1
"""How often a planned session is missed in the demo's story (the last one never is)."""
OPENED_DAYS_AGO = 60  # the clinic's accounts: before any patient's story
ADMIN = ("Ada Admin", f"admin@{DOMAIN}")
CLINICIAN = ("Clara Reyes", f"clara.reyes@{DOMAIN}")


def is_empty(session_factory: sessionmaker[Session]) -> bool:
    """No users and no patients: the only database the demo is seeded into."""
    with session_scope(session_factory) as session:
        users = session.scalar(select(func.count()).select_from(User)) or 0
        patients = session.scalar(select(func.count()).select_from(Patient)) or 0
    return users == 0 and patients == 0


def is_demo(session_factory: sessionmaker[Session]) -> bool:
    """The database holds the demo clinic (its admin exists)."""
    with session_scope(session_factory) as session:
        return session.scalar(select(User.id).where(User.email == ADMIN[1])) is not None


def demo_logins() -> list[DemoLogin]:
    """The demo's logins (the same every time)."""
    logins = [
        DemoLogin(Role.ADMIN, ADMIN[0], ADMIN[1], DEMO_PASSWORDS[Role.ADMIN]),
        DemoLogin(Role.CLINICIAN, CLINICIAN[0], CLINICIAN[1], DEMO_PASSWORDS[Role.CLINICIAN]),
    ]
    logins += [DemoLogin(Role.PATIENT, p.name, p.email, DEMO_PASSWORDS[Role.PATIENT]) for p in PATIENTS]
    return logins


def seed_demo(
    session_factory: sessionmaker[Session],
    kb: KnowledgeBase,
    *,
    passwords: Passwords | None = None,
    today: dt.date | None = None,
) -> list[DemoLogin]:
    """Seed the demo clinic into an empty database (else ``ConflictError``); return its logins."""
    if not is_empty(session_factory):
        raise ConflictError("database", None, "is not empty: the demo is seeded only into an empty database")
    passwords = passwords or Passwords(Settings())
    today = today or dt.date.today()
    with session_scope(session_factory) as session:
        admin = _user(session, None, passwords, Role.ADMIN, *ADMIN)
        clinician = _user(session, admin, passwords, Role.CLINICIAN, *CLINICIAN)
        for user in (admin, clinician):
            _dated(session, User, EntityType.USER, user, today - dt.timedelta(days=OPENED_DAYS_AGO))
        for index, story in enumerate(PATIENTS):
            rng = random.Random(SEED + index)  # noqa: S311 - demo data, not a secret
            _seed_patient(session, kb, passwords, clinician, story, today, rng)
    analyze(session.get_bind().engine)  # the planner's statistics of what was just loaded (committed)
    return demo_logins()


def _user(
    session: Session,
    actor: int | None,
    passwords: Passwords,
    role: Role,
    name: str,
    email: str,
    patient: int | None = None,
    clinician: int | None = None,
) -> int:
    data = UserCreate(
        email=email,
        display_name=name,
        role=role,
        password_hash=passwords.hash(DEMO_PASSWORDS[role]),
        patient_id=patient,
        clinician_id=clinician,
    )
    return users.create_user(session, actor, data).id


def _case(name: str, on: dt.date) -> dict[str, Any]:
    data = example_case(name)
    data["date"] = on.isoformat()
    return data


def _seed_patient(
    session: Session,
    kb: KnowledgeBase,
    passwords: Passwords,
    clinician: int,
    story: DemoPatient,
    today: dt.date,
    rng: random.Random,
) -> None:
    started = today - dt.timedelta(days=story.started_days_ago)
    document = _case(story.case, started)
    client = document["client"]
    patient = patients.create_patient(
        session,
        clinician,
        PatientCreate(
            display_name=story.name,
            external_ref=client["id"],
            birth_year=started.year - int(client["age"]),
            sex=Sex(client["sex"]) if client.get("sex") else None,
        ),
    ).id
    user = _user(session, clinician, passwords, Role.PATIENT, story.name, story.email, patient, clinician)
    analysis = analyse_document(copy.deepcopy(document), kb)
    data = AssessmentCreate(assessed_on=started, document=document, analysis=analysis)
    assessment = assessments.add_assessment(session, clinician, patient, data).id
    _dated(session, Patient, EntityType.PATIENT, patient, started)
    _dated(session, User, EntityType.USER, user, started)
    _dated(session, Assessment, EntityType.ASSESSMENT, assessment, started)
    _History(session, kb, clinician, (patient, user), story, today, rng).run(assessment, analysis)


class _History:
    """A patient's weeks: published versions, logged sessions, a progression, a follow-up."""

    def __init__(
        self,
        session: Session,
        kb: KnowledgeBase,
        clinician: int,
        patient: tuple[int, int],
        story: DemoPatient,
        today: dt.date,
        rng: random.Random,
    ) -> None:
        self.session, self.kb, self.clinician = session, kb, clinician
        self.patient, self.patient_user = patient
        self.story, self.today, self.rng = story, today, rng
        self.days = _session_days(today - dt.timedelta(days=story.started_days_ago), story, today)
        self.logged: list[dict[str, Any]] = []  # the sessions as rebalance.logs/1, for the library
        self.logged_on: list[dt.date] = []  # every logged session's day

    def run(self, assessment: int, analysis: dict[str, Any]) -> None:
        program = analysis["program"]
        if program is None:  # safety withheld it: nothing to log
            return
        program_id = self._publish(assessment, program, self.today - dt.timedelta(days=self.story.started_days_ago))
        progress_on = self._days_ago(self.story.progressed_days_ago)
        for n, day in enumerate(self.days):
            if progress_on is not None and day >= progress_on:
                program = progress(self.kb, {**analysis, "program": program}, self._logs())["program"]
                program_id = self._publish(assessment, program, day)
                self.logged, progress_on = [], None
            planned = _planned(program, day)
            if planned and (day == self.days[-1] or self.rng.random() > MISSED):
                self._log(program_id, program, day, self._pain(n), planned)
        self._check_ins()
        if self.story.follow_up is not None:
            self._follow_up({**analysis, "program": program}, *self.story.follow_up)

    def _days_ago(self, days: int | None) -> dt.date | None:
        return None if days is None else self.today - dt.timedelta(days=days)

    def _publish(self, assessment: int, program: dict[str, Any], on: dt.date) -> int:
        data = ProgramCreate(assessment_id=assessment, document=program, status=ProgramStatus.PUBLISHED)
        since = self.session.scalar(select(func.max(AuditEvent.id))) or 0
        made = programs.add_program_version(self.session, self.clinician, self.patient, data).id
        stored = _dated(self.session, Program, EntityType.PROGRAM, made, on)
        superseding = update(AuditEvent).where(AuditEvent.id > since)  # the version it supersedes, too
        self.session.execute(superseding.values(at=stored.created_at))
        stored.approved_by, stored.approved_at = self.clinician, stored.created_at  # published as it was made
        return made

    def _pain(self, n: int) -> int:
        anchors = self.story.pain
        position = n * (len(anchors) - 1) / max(1, len(self.days) - 1)
        low = int(position)
        high = min(low + 1, len(anchors) - 1)
        value = anchors[low] + (anchors[high] - anchors[low]) * (position - low)
        return max(0, min(10, round(value + self.rng.choice((-0.4, 0, 0, 0.4)))))

    def _log(self, program_id: int, program: dict[str, Any], day: dt.date, pain: int, planned: set[str]) -> None:
        entries = [_entry(item, pain, self.rng) for item in program["items"] if item["exercise_id"] in planned]
        self.logged.append({"date": day, "entries": entries})
        self.logged_on.append(day)
        data = SessionLogCreate(program_id=program_id, performed_on=day, entries=[SessionEntry(**e) for e in entries])
        log = session_logs.add_session_log(self.session, self.patient_user, self.patient, data)  # the patient's own
        _dated(self.session, SessionLog, EntityType.SESSION_LOG, log.id, day, SESSION_HOUR)

    def _check_ins(self) -> None:
        """A clear weekly check-in on the last logged session's day and every week before it, after the assessment."""
        level = SafetyLevel(check_in_safety(self.kb, [], [])["level"])
        assessed = self.today - dt.timedelta(days=self.story.started_days_ago)
        last = self.logged_on[-1] if self.logged_on else assessed
        day, answered = last, []  # the last logged session's day
        while day > assessed:
            answered.append(day)
            day -= dt.timedelta(days=CHECK_IN_EVERY_DAYS)
        for on in reversed(answered):
            data = CheckInCreate(checked_on=on, answers=[], level=level)
            made = check_ins.add_check_in(self.session, self.patient_user, self.patient, data).id
            _dated(self.session, CheckIn, check_ins.CHECK_IN, made, on, SESSION_HOUR)

    def _logs(self) -> Logs:
        return parse_logs({"schema": "rebalance.logs/1", "sessions": self.logged}, "demo")

    def _follow_up(self, current: dict[str, Any], case: str, days_ago: int) -> None:
        on = self.today - dt.timedelta(days=days_ago)
        document = _case(case, on)
        analysis = analyse_document(copy.deepcopy(document), self.kb)
        new = AssessmentCreate(assessed_on=on, document=document, analysis=analysis)
        assessment = assessments.add_assessment(self.session, self.clinician, self.patient, new).id
        _dated(self.session, Assessment, EntityType.ASSESSMENT, assessment, on)
        revised = revise(self.kb, current, self._logs(), analysis)["analysis"]["program"]
        if revised is not None:  # a draft for the clinician to review and publish
            draft = ProgramCreate(assessment_id=assessment, document=revised, status=ProgramStatus.DRAFT)
            made = programs.add_program_version(self.session, self.clinician, self.patient, draft).id
            _dated(self.session, Program, EntityType.PROGRAM, made, on)


_Dated = TypeVar("_Dated", User, Patient, Assessment, Program, SessionLog, CheckIn)


def _dated(session: Session, table: type[_Dated], entity: str, record_id: int, day: dt.date, hour: int = 0) -> _Dated:
    """Date a record just made, and its audit events, on the story's day (at the hour of its kind)."""
    when = dt.datetime.combine(day, dt.time(hour or HOURS[EntityType(entity)]), tzinfo=dt.UTC)
    record = session.get_one(table, record_id)
    record.created_at = when
    events = update(AuditEvent).where(AuditEvent.entity_type == entity, AuditEvent.entity_id == record_id)
    session.execute(events.values(at=when))
    session.flush()
    return record


def _session_days(started: dt.date, story: DemoPatient, today: dt.date) -> list[dt.date]:
    """Every day from the day after the assessment to the last log: the patient trains on those of them
    their program's week plans (:func:`_planned`), missing one now and then (:data:`MISSED`)."""
    last = today - dt.timedelta(days=story.last_log_days_ago)
    return [started + dt.timedelta(days=n) for n in range(1, (last - started).days + 1)]


def _planned(program: dict[str, Any], day: dt.date) -> set[str]:
    """The exercises the program's week plans for ``day``'s weekday."""
    weekday = DAYS[day.weekday()]
    return {e["exercise_id"] for d in program.get("schedule", []) if d["day"] == weekday for e in d["items"]}


def _entry(item: dict[str, Any], pain: int, rng: random.Random) -> dict[str, Any]:
    """One exercise of a logged session: the prescribed dose (2 reps over it when pain is low), rarely skipped."""
    dose = item["dosage"]
    done = rng.random() > 0.08
    reps = dose.get("reps")
    return {
        "exercise_id": item["exercise_id"],
        "done": done,
        "sets": None if dose.get("minutes") else int(dose["sets"]) if done else 0,
        "minutes": int(dose["minutes"]) if dose.get("minutes") and done else None,
        "reps": (int(reps) + (2 if pain <= 2 else 0)) if reps and done else None,
        "hold_s": int(dose["hold_s"]) if dose.get("hold_s") and done else None,
        "effort": 5 if done else None,
        "pain_during": pain if done else None,
        "pain_next_morning": min(10, pain + (1 if pain >= 5 else 0)) if done else None,
    }
