"""A clinician's patient list at scale (issue 5): target under 100 ms.

Seeds the benches' clinic (``bench/seed.py``: 10,000 patients, one clinician with 5,000 and fifty with
100 each, 20,000 assessments, 10,000 programs, 1,000,000 session logs) into a fresh SQLite file and a
fresh PostgreSQL schema. Then, for a typical and for the largest clinician, it times

- ``patients.list_patients_for_clinician``: the list alone — access check, the one query, the audit event,
  the rows as ``PatientListItem``;
- the patient list page's data (``clinician_views.patient_page``): its first page of 50 patients with
  their alerts (red flags, pain getting worse, sessions missed) — what the clinician waits for, before
  the HTML — and the same filtered to red flags, which decides who has one from the safety records of
  every patient whose records carry a level that can raise one (24 % of the seeded assessments are
  caution or worse) and then reads the page's, and to sessions missed (those with a published program
  and no session in the last 7 days).

    python -m bench.bench_patient_list [--only sqlite|postgresql] [--explain]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

from bench.seed import BIG, START, TYPICAL, postgresql_database, seed_clinic, sqlite_database
from rebalance.knowledge.loader import default
from rebalance.storage.db import make_engine
from rebalance.storage.repos import patients
from rebalance.web.clinician_views import patient_page

TARGET_MS = 100.0


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
    start = time.perf_counter()
    seed_clinic(url)
    seconds = time.perf_counter() - start
    print(f"{name}: seeded 10,000 patients, 20,000 assessments, 1,000,000 session logs in {seconds:.0f} s")
    engine = make_engine(url)
    labels = (("typical clinician (100 patients)", TYPICAL), ("largest clinician (5,000 patients)", BIG))
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
    print(f"  {label}, filtered to red flags (who has one, then the page): p50 {filtered[0]:.1f} ms")
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
