"""The benches' clinic: 10,000 patients, 20,000 assessments, 10,000 programs and 1,000,000 session logs.

One clinician with 5,000 patients, fifty with 100 each, an admin; every patient has a user. Bulk inserts
into a fresh SQLite file or a fresh schema on the PostgreSQL server (``REBALANCE_BENCH_POSTGRESQL_URL``,
default the test database; dropped afterwards). The assessments, analyses and programs are full-size: an
example case's own (about 11 kB and 7 kB of JSON); each session logs three of the program's exercises.
Everyone's password is :data:`PASSWORD`, hashed once with the app's default Argon2id parameters.

    with sqlite_database() as url: clinic = seed_clinic(url)
"""

from __future__ import annotations

import datetime as dt
import os
import random
import tempfile
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, text
from tests.scratch import scratch_schema

from rebalance import yamlio
from rebalance.api import analyse_document
from rebalance.config import Settings
from rebalance.storage.db import make_engine
from rebalance.storage.migrate import upgrade
from rebalance.storage.tables import Assessment, Patient, Program, SessionLog, User
from rebalance.storage.types import ProgramStatus, Role, SafetyLevel
from rebalance.web.security import Passwords

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "piriformis_right.yaml"
DOCUMENT: dict[str, Any] = yamlio.load(EXAMPLE.read_text(encoding="utf-8"))
ANALYSIS = analyse_document(DOCUMENT)  # full-size documents
EXERCISES = [item["exercise_id"] for item in ANALYSIS["program"]["items"]]

POSTGRESQL_URL = os.environ.get("REBALANCE_BENCH_POSTGRESQL_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PASSWORD = "a bench password"  # noqa: S105 - the benches' users, in a database thrown away after
BIG_CLINICIAN_PATIENTS = 5_000
SMALL_CLINICIANS, SMALL_CLINICIAN_PATIENTS = 50, 100
LOGS_PER_PATIENT = 100  # 10,000 patients x 100 = 1,000,000 logs
ASSESSMENTS_PER_PATIENT = 2
BATCH = 10_000
START = dt.date(2025, 11, 1)
NOW = dt.datetime(2026, 11, 21, tzinfo=dt.UTC)
BIG, TYPICAL = 1, 2  # the clinicians' ids: the largest, and the first of the fifty
ADMIN = SMALL_CLINICIANS + 2


@contextmanager
def sqlite_database() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as folder:
        yield f"sqlite:///{Path(folder) / 'bench.db'}"


def postgresql_database() -> AbstractContextManager[str]:
    return scratch_schema(POSTGRESQL_URL, "rebalance_bench")


@dataclass(frozen=True)
class Clinic:
    """Who is in the seeded clinic: emails by role, and each clinician's patients."""

    clinicians: list[str]  # emails; the first is the largest clinician's
    patients: list[str]  # emails of patients whose program runs (latest assessment clear or caution)
    records: dict[str, list[tuple[int, int, int]]]  # clinician email -> (patient, latest assessment, program)


def seed_clinic(url: str, rng: random.Random | None = None) -> Clinic:
    """Migrate ``url``, seed the clinic into it, refresh the planner's statistics; who is in it."""
    upgrade(url)
    engine = make_engine(url)
    try:
        _seed(engine, rng or random.Random(20261121))
        return _clinic(engine)
    finally:
        engine.dispose()


def _seed(engine: Engine, rng: random.Random) -> None:
    owners = [BIG] * BIG_CLINICIAN_PATIENTS + [
        c for c in range(TYPICAL, SMALL_CLINICIANS + 2) for _ in range(SMALL_CLINICIAN_PATIENTS)
    ]
    n = len(owners)
    hashed = Passwords(Settings()).hash(PASSWORD)
    with engine.begin() as c:
        staff = [
            {"id": i, "email": f"c{i}@clinic.test", "display_name": f"Clinician {i}", "role": Role.CLINICIAN}
            for i in range(1, SMALL_CLINICIANS + 2)
        ]
        staff.append({"id": ADMIN, "email": "admin@clinic.test", "display_name": "Admin", "role": Role.ADMIN})
        bulk(c, User, ({**u, "active": True, "created_at": NOW, "password_hash": hashed} for u in staff))
        bulk(c, Patient, (patient(i, owner, rng) for i, owner in enumerate(owners, 1)))
        bulk(c, User, (patient_user(i, owner, hashed) for i, owner in enumerate(owners, 1)))
        bulk(c, Assessment, (assessment(i, rng) for i in range(1, n * ASSESSMENTS_PER_PATIENT + 1)))
        bulk(c, Program, (program(i) for i in range(1, n + 1)))
        bulk(c, SessionLog, (session_log(i, rng) for i in range(n * LOGS_PER_PATIENT)))
    # What the server's autovacuum does after a bulk load: statistics for the planner and, on PostgreSQL,
    # the visibility map, without which an index-only scan still reads every row's table page.
    maintenance = "ANALYZE" if engine.dialect.name == "sqlite" else "VACUUM (ANALYZE)"
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.execute(text(maintenance))


def bulk(connection: Connection, table: Any, rows: Iterator[dict[str, Any]]) -> int:
    count, batch = 0, []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            connection.execute(insert(table), batch)
            count, batch = count + len(batch), []
    if batch:
        connection.execute(insert(table), batch)
        count += len(batch)
    return count


def patient(i: int, owner: int, rng: random.Random) -> dict[str, Any]:
    return {
        "id": i,
        "clinician_id": owner,
        "display_name": f"{rng.choice('ABCDEFGHJKLMNPRSTW')}{rng.randrange(10**6):06d} Patient",
        "external_ref": f"c-{i}",
        "birth_year": rng.randrange(1940, 2010),
        "created_at": NOW,
        "archived": rng.random() < 0.05,
    }


def patient_user(i: int, owner: int, hashed: str) -> dict[str, Any]:
    return {
        "id": ADMIN + i,
        "email": f"p{i}@clinic.test",
        "display_name": f"Patient {i}",
        "role": Role.PATIENT,
        "clinician_id": owner,
        "patient_id": i,
        "password_hash": hashed,
        "active": True,
        "created_at": NOW,
    }


def assessment(i: int, rng: random.Random) -> dict[str, Any]:
    level = rng.choices(list(SafetyLevel), weights=(1, 3, 20, 76))[0]
    return {
        "id": i,
        "patient_id": (i - 1) // ASSESSMENTS_PER_PATIENT + 1,
        "assessed_on": START + dt.timedelta(days=rng.randrange(365)),
        "document": DOCUMENT,
        "analysis": {**ANALYSIS, "safety": {**ANALYSIS["safety"], "level": level.value}},
        "safety_level": level,
        "created_by": 1,
        "created_at": NOW,
    }


def program(i: int) -> dict[str, Any]:
    return {
        "id": i,
        "patient_id": i,
        "assessment_id": i * ASSESSMENTS_PER_PATIENT,
        "version": 1,
        "status": ProgramStatus.PUBLISHED,
        "document": ANALYSIS["program"],
        "created_by": 1,
        "created_at": NOW,
    }


def session_log(i: int, rng: random.Random) -> dict[str, Any]:
    patient_id = i // LOGS_PER_PATIENT + 1
    pains = [rng.randrange(4) for _ in range(3)]
    entries = [
        {"exercise_id": exercise, "done": True, "sets": 2, "reps": 10, "effort": 5, "pain_during": pain}
        for exercise, pain in zip(EXERCISES, pains, strict=False)
    ]
    return {
        "patient_id": patient_id,
        "program_id": patient_id,
        "performed_on": START + dt.timedelta(days=(i % LOGS_PER_PATIENT) * 3 + rng.randrange(3)),
        "entries": entries,
        "pain_during_max": max(pains),
        "created_at": NOW,
    }


def _clinic(engine: Engine) -> Clinic:
    """Each clinician's patients (with their latest assessment and program), and the patients whose
    program runs: their latest assessment does not withhold it."""
    latest = (
        select(Assessment.id)
        .where(Assessment.patient_id == Patient.id)
        .order_by(Assessment.assessed_on.desc(), Assessment.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    records: dict[str, list[tuple[int, int, int]]] = {}
    running = []
    with engine.connect() as c:
        rows = c.execute(
            select(Patient.id, Patient.clinician_id, latest, Program.id)
            .join(Program, Program.patient_id == Patient.id)
            .where(Patient.archived.is_(False))
            .order_by(Patient.id)
        ).all()
        levels = dict(c.execute(select(Assessment.id, Assessment.safety_level)).all())
    for patient_id, clinician_id, assessment_id, program_id in rows:
        records.setdefault(f"c{clinician_id}@clinic.test", []).append((patient_id, assessment_id, program_id))
        if levels[assessment_id] in (SafetyLevel.CLEAR, SafetyLevel.CAUTION):
            running.append(f"p{patient_id}@clinic.test")
    clinicians = sorted(records, key=lambda email: int(email[1:].split("@")[0]))
    return Clinic(clinicians, running, records)
