"""A clinician's patient list at scale (issue 5): target under 100 ms.

Seeds 10,000 patients (one clinician with 5,000, fifty with 100 each), 20,000 assessments, 10,000
programs and 1,000,000 session logs with bulk inserts, into a fresh SQLite file and a fresh schema
on the PostgreSQL server (``REBALANCE_BENCH_POSTGRESQL_URL``, default the test database; the schema
is dropped afterwards). The analyses and programs are full-size: an example case's own (about 11 kB
and 7 kB of JSON). Then, for a typical and for the largest clinician, it times

- ``patients.list_patients_for_clinician``: the list alone — access check, the one query, the audit event,
  the rows as ``PatientListItem``;
- the patient list page's data (``clinician_views.patient_page``): its first page of 50 patients with
  their alerts (red flags, pain getting worse, sessions missed) — what the clinician waits for, before
  the HTML — and the same filtered to red flags, which works out the alerts of every patient whose
  records carry a level that can raise one (24 % of the seeded assessments are caution or worse), and
  to sessions missed (those with a published program and no session in the last 7 days).

    python bench/bench_patient_list.py [--only sqlite|postgresql] [--explain]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, event, insert, text
from sqlalchemy.orm import Session
from tests.scratch import scratch_schema

from rebalance import yamlio
from rebalance.api import analyse_document
from rebalance.knowledge.loader import default
from rebalance.storage.db import make_engine
from rebalance.storage.migrate import upgrade
from rebalance.storage.repos import patients
from rebalance.storage.tables import Assessment, Patient, Program, SessionLog, User
from rebalance.storage.types import ProgramStatus, Role, SafetyLevel
from rebalance.web.app import tune_for_serving
from rebalance.web.clinician_views import patient_page

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "piriformis_right.yaml"
ANALYSIS = analyse_document(yamlio.load(EXAMPLE.read_text(encoding="utf-8")))  # full-size documents

POSTGRESQL_URL = os.environ.get("REBALANCE_BENCH_POSTGRESQL_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
TARGET_MS = 100.0
BIG_CLINICIAN_PATIENTS = 5_000
SMALL_CLINICIANS, SMALL_CLINICIAN_PATIENTS = 50, 100
LOGS_PER_PATIENT = 100  # 10,000 patients x 100 = 1,000,000 logs
ASSESSMENTS_PER_PATIENT = 2
BATCH = 10_000
START = dt.date(2025, 11, 1)
NOW = dt.datetime(2026, 11, 21, tzinfo=dt.UTC)


@contextmanager
def sqlite_database() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as folder:
        yield f"sqlite:///{Path(folder) / 'bench.db'}"


def postgresql_database() -> AbstractContextManager[str]:
    return scratch_schema(POSTGRESQL_URL, "rebalance_bench")


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


def seed(engine: Engine, rng: random.Random) -> tuple[int, int]:
    """Return the ids of the largest clinician and a typical one."""
    owners = [1] * BIG_CLINICIAN_PATIENTS + [
        c for c in range(2, SMALL_CLINICIANS + 2) for _ in range(SMALL_CLINICIAN_PATIENTS)
    ]
    n = len(owners)
    admin = SMALL_CLINICIANS + 2
    with engine.begin() as c:
        users = [
            {"id": i, "email": f"c{i}@clinic.test", "display_name": f"Clinician {i}", "role": Role.CLINICIAN}
            for i in range(1, SMALL_CLINICIANS + 2)
        ]
        users.append({"id": admin, "email": "admin@clinic.test", "display_name": "Admin", "role": Role.ADMIN})
        bulk(c, User, ({**u, "active": True, "created_at": NOW} for u in users))
        bulk(c, Patient, (patient(i, owner, rng) for i, owner in enumerate(owners, 1)))
        bulk(c, Assessment, (assessment(i, rng) for i in range(1, n * ASSESSMENTS_PER_PATIENT + 1)))
        bulk(c, Program, (program(i) for i in range(1, n + 1)))
        bulk(c, SessionLog, (session_log(i, rng) for i in range(n * LOGS_PER_PATIENT)))
    # What the server's autovacuum does after a bulk load: statistics for the planner and, on PostgreSQL,
    # the visibility map, without which an index-only scan still reads every row's table page.
    maintenance = "ANALYZE" if engine.dialect.name == "sqlite" else "VACUUM (ANALYZE)"
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.execute(text(maintenance))
    return 1, 2


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


def assessment(i: int, rng: random.Random) -> dict[str, Any]:
    level = rng.choices(list(SafetyLevel), weights=(1, 3, 20, 76))[0]
    return {
        "id": i,
        "patient_id": (i - 1) // ASSESSMENTS_PER_PATIENT + 1,
        "assessed_on": START + dt.timedelta(days=rng.randrange(365)),
        "document": {"schema": "rebalance.assessment/1", "client": {"age": 40}},
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
        {"exercise_id": f"exercise_{k}", "done": True, "sets": 2, "reps": 10, "effort": 5, "pain_during": pain}
        for k, pain in enumerate(pains)
    ]
    return {
        "patient_id": patient_id,
        "program_id": patient_id,
        "performed_on": START + dt.timedelta(days=(i % LOGS_PER_PATIENT) * 3 + rng.randrange(3)),
        "entries": entries,
        "pain_during_max": max(pains),
        "created_at": NOW,
    }


def percentiles(fn: Callable[[], object], runs: int) -> tuple[float, float]:
    fn()  # warm
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]


def run(name: str, url: str, explain: bool) -> None:
    upgrade(url)
    engine = make_engine(url)
    start = time.perf_counter()
    big, typical = seed(engine, random.Random(20261121))
    seconds = time.perf_counter() - start
    print(f"{name}: seeded 10,000 patients, 20,000 assessments, 1,000,000 session logs in {seconds:.0f} s")
    tune_for_serving()  # as `rebalance serve` does: start-up objects frozen out of the collector's full passes
    labels = (("typical clinician (100 patients)", typical), ("largest clinician (5,000 patients)", big))
    for label, clinician in labels:
        time_list(engine, label, clinician, explain)
    engine.dispose()


def in_a_unit_of_work(engine: Engine, read: Callable[[Session], object]) -> Callable[[], object]:
    """``read`` in a unit of work of its own, as a request makes it (rolled back: the timing runs' audit
    events are not kept)."""

    def run() -> object:
        with Session(engine) as session:
            result = read(session)
            session.rollback()
            return result

    return run


def time_list(engine: Engine, label: str, clinician: int, explain: bool) -> None:
    with capture_sql(engine, "FROM patients") as statements:
        rows = in_a_unit_of_work(engine, lambda s: patients.list_patients_for_clinician(s, clinician))()
    sql, params = statements[0]
    assert isinstance(rows, list)
    p50, p95 = percentiles(in_a_unit_of_work(engine, lambda s: patients.list_patients_for_clinician(s, clinician)), 30)
    q50, _ = percentiles(in_a_unit_of_work(engine, lambda s: s.connection().exec_driver_sql(sql, params).all()), 30)
    print(
        f"  {label}: {len(rows)} rows  p50 {p50:.1f} ms  p95 {p95:.1f} ms  "
        f"ratio to {TARGET_MS:.0f} ms target: {p50 / TARGET_MS:.2f}  (the SQL alone: p50 {q50:.1f} ms)"
    )
    kb, today = default(), START + dt.timedelta(days=300)  # the last sessions are a few days old
    page = percentiles(in_a_unit_of_work(engine, lambda s: patient_page(kb, s, clinician, today)), 30)
    print(
        f"  {label}, the list page (first 50, with alerts): p50 {page[0]:.1f} ms  p95 {page[1]:.1f} ms  "
        f"ratio to {TARGET_MS:.0f} ms target: {page[0] / TARGET_MS:.2f}"
    )
    red_flags = in_a_unit_of_work(engine, lambda s: patient_page(kb, s, clinician, today, alert="red_flag"))
    filtered = percentiles(red_flags, 5)
    print(f"  {label}, filtered to red flags (the alerts of those who may have one): p50 {filtered[0]:.1f} ms")
    missed = in_a_unit_of_work(engine, lambda s: patient_page(kb, s, clinician, today, alert="sessions_missed"))
    print(f"  {label}, filtered to sessions missed (the same): p50 {percentiles(missed, 5)[0]:.1f} ms")
    if explain:
        plan = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
        with engine.connect() as connection:
            for row in connection.exec_driver_sql(plan + sql, params):
                print("     ", row[-1])


@contextmanager
def capture_sql(engine: Engine, marker: str) -> Iterator[list[tuple[str, Any]]]:
    """The statements (with their parameters) sent while inside the block that contain ``marker``."""
    seen: list[tuple[str, Any]] = []

    def grab(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        if marker in statement:
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", grab)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", grab)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument("--explain", action="store_true", help="print the query plan of the largest list")
    args = parser.parse_args()
    if args.only in (None, "sqlite"):
        with sqlite_database() as url:
            run("SQLite", url, args.explain)
    if args.only in (None, "postgresql"):
        with postgresql_database() as url:
            run("PostgreSQL", url, args.explain)


if __name__ == "__main__":
    main()
