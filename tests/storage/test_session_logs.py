"""Session logs: what the patient did, read back by date range."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import event
from sqlalchemy.orm import Session

from rebalance.errors import ConflictError, NotFoundError, PermissionDeniedError
from rebalance.programs.logs import ENTRY_RANGES, Entry
from rebalance.storage.repos import patients, session_logs, users
from rebalance.storage.schemas import PatientCreate, SessionEntry
from rebalance.storage.types import ProgramStatus
from tests.storage.conftest import People
from tests.storage.factories import add_assessment, add_log, add_program


@pytest.fixture
def program_id(session: Session, people: People) -> int:
    assessment = add_assessment(session, people.clinician, people.patient)
    return add_program(session, people.clinician, people.patient, assessment.id, ProgramStatus.PUBLISHED).id


def test_logs_in_a_date_range_oldest_first(session: Session, people: People, program_id: int) -> None:
    for day in ("2026-11-05", "2026-11-01", "2026-11-03", "2026-11-09"):
        add_log(session, people.patient_user, people.patient, program_id, on=day)
    session.commit()
    logs = session_logs.session_logs_for_patient(
        session, people.clinician, people.patient, dt.date(2026, 11, 3), dt.date(2026, 11, 5)
    )
    assert [log.performed_on.isoformat() for log in logs] == ["2026-11-03", "2026-11-05"]
    assert len(session_logs.session_logs_for_patient(session, people.patient_user, people.patient)) == 4
    assert (
        len(session_logs.session_logs_for_patient(session, people.admin, people.patient, start=dt.date(2026, 11, 4)))
        == 2
    )


def test_the_worst_pain_during_a_session_is_kept_with_it(session: Session, people: People, program_id: int) -> None:
    log = add_log(session, people.patient_user, people.patient, program_id, on="2026-11-01", pains=(2, None, 5, 1))
    assert log.pain_during_max == 5
    assert (
        add_log(session, people.patient_user, people.patient, program_id, "2026-11-02", (None,)).pain_during_max is None
    )
    session.commit()
    session.expunge_all()
    (first, _) = session_logs.session_logs_for_patient(session, people.clinician, people.patient)
    expected = SessionEntry(exercise_id="exercise_2", done=True, sets=2, reps=10, effort=5, pain_during=5)
    assert first.entries[2].model_dump() == expected.model_dump()


def test_an_entry_out_of_range_is_refused_before_storing() -> None:
    with pytest.raises(ValidationError, match="pain_during"):
        SessionEntry(exercise_id="bird_dog", done=True, pain_during=11)


@pytest.mark.parametrize("field", ["sets", "reps", "hold_s", "minutes"])
def test_a_dose_beyond_what_the_library_reads_is_refused_before_storing(field: str) -> None:
    """One rule for a logged session: storage refuses what ``programs.logs`` could not read back
    (20 sets, 200 repetitions, 3600 s, 600 minutes at most), naming the field."""
    low, high = ENTRY_RANGES[field]
    assert Entry.model_validate({"exercise_id": "bird_dog", "done": True, field: high}).model_dump()[field] == high
    SessionEntry.model_validate({"exercise_id": "bird_dog", "done": True, field: high})
    for beyond in (low - 1, high + 1):
        with pytest.raises(ValidationError) as refused:
            SessionEntry.model_validate({"exercise_id": "bird_dog", "done": True, field: beyond})
        assert [e["loc"] for e in refused.value.errors()] == [(field,)]
        with pytest.raises(ValidationError):
            Entry.model_validate({"exercise_id": "bird_dog", "done": True, field: beyond})


def test_only_the_patient_their_clinician_or_an_admin_log_sessions(
    session: Session, people: People, program_id: int
) -> None:
    with pytest.raises(PermissionDeniedError):
        add_log(session, people.other_clinician, people.patient, program_id, on="2026-11-01")
    other = patients.create_patient(session, people.clinician, PatientCreate(display_name="Other")).id
    with pytest.raises(PermissionDeniedError):
        add_log(session, people.patient_user, other, program_id, on="2026-11-01")
    with pytest.raises(ConflictError, match="belongs to patient"):
        add_log(session, people.clinician, other, program_id, on="2026-11-01")
    with pytest.raises(NotFoundError):
        add_log(session, people.clinician, people.patient, program_id + 1000, on="2026-11-01")
    assert session_logs.recent_session_logs(session, people.clinician, people.patient, 5, program_id=program_id) == []


def test_the_latest_sessions_of_a_program_version_oldest_first(
    session: Session, people: People, program_id: int
) -> None:
    assessment = add_assessment(session, people.clinician, people.patient, on="2026-11-21")
    newer = add_program(session, people.clinician, people.patient, assessment.id, ProgramStatus.PUBLISHED).id
    for day in ("2026-11-01", "2026-11-02", "2026-11-03"):
        add_log(session, people.patient_user, people.patient, program_id, on=day)
    for day in ("2026-11-04", "2026-11-06", "2026-11-05", "2026-11-06"):
        add_log(session, people.patient_user, people.patient, newer, on=day)
    session.commit()

    latest = session_logs.recent_session_logs(session, people.patient_user, people.patient, 3, program_id=newer)

    assert [(log.performed_on.isoformat(), log.program_id) for log in latest] == [
        ("2026-11-05", newer),
        ("2026-11-06", newer),
        ("2026-11-06", newer),
    ]
    assert latest[1].id < latest[2].id  # the same day: in the order they were stored
    assert (
        len(session_logs.recent_session_logs(session, people.patient_user, people.patient, 10, program_id=newer)) == 4
    )


def test_the_latest_sessions_before_a_day(session: Session, people: People, program_id: int) -> None:
    for day in ("2026-11-01", "2026-11-02", "2026-11-03", "2026-11-04"):
        add_log(session, people.patient_user, people.patient, program_id, on=day)
    session.commit()
    before = session_logs.recent_session_logs(session, people.clinician, people.patient, 2, before=dt.date(2026, 11, 4))
    assert [log.performed_on.isoformat() for log in before] == ["2026-11-02", "2026-11-03"]
    with pytest.raises(ValueError, match="not both"):
        session_logs.recent_session_logs(
            session, people.clinician, people.patient, 2, program_id=program_id, before=dt.date.max
        )
    with pytest.raises(PermissionDeniedError):
        session_logs.recent_session_logs(session, people.other_clinician, people.patient, 2, program_id=program_id)


def test_logging_and_reading_the_latest_sessions_check_access_as_every_other_call_does(
    session: Session, people: People, program_id: int
) -> None:
    """An inactive user, an unknown user or patient, another's patient: refused as elsewhere."""
    add_log(session, people.patient_user, people.patient, program_id, on="2026-11-01")
    latest = session_logs.recent_session_logs(session, people.patient_user, people.patient, 5, program_id=program_id)
    assert [s.performed_on.day for s in latest] == [1]
    with pytest.raises(NotFoundError):
        session_logs.recent_session_logs(session, people.clinician, people.patient + 1000, 5, program_id=program_id)
    with pytest.raises(PermissionDeniedError, match="unknown or inactive"):
        session_logs.recent_session_logs(session, 999_999, people.patient, 5, program_id=program_id)
    users.set_clinician_active(session, people.admin, people.clinician, active=False)
    session.commit()
    with pytest.raises(PermissionDeniedError, match="unknown or inactive"):
        add_log(session, people.clinician, people.patient, program_id, on="2026-11-02")
    with pytest.raises(PermissionDeniedError, match="not this user's patient"):
        session_logs.recent_session_logs(session, people.other_clinician, people.patient, 5, program_id=program_id)


def test_the_latest_sessions_are_found_down_one_index_before_the_statistics_catch_up(
    session: Session, people: People, program_id: int, backend: str
) -> None:
    """PostgreSQL plans the read of every session logged from statistics gathered when the history was
    short. With ``(program_id, performed_on, id)`` and ``(patient_id, performed_on)`` it combined both and
    sorted the whole history (1.2 ms at 1,000 sessions, growing); with ``(program_id, patient_id, ...)`` it
    walks down one index and stops at the limit (migration 0005)."""
    if backend != "postgresql":
        pytest.skip("a PostgreSQL planner question")
    session.commit()
    session.connection().exec_driver_sql("ANALYZE session_logs")  # the statistics of a short history
    values = {"patient": people.patient, "program": program_id}
    session.connection().exec_driver_sql(
        "INSERT INTO session_logs (patient_id, program_id, performed_on, entries, created_at)"
        " SELECT %(patient)s, %(program)s, DATE '2026-01-01' + (n %% 300), '[]', now()"
        " FROM generate_series(1, 3000) AS n",
        values,
    )
    statements: list[tuple[str, Any]] = []
    engine = session.get_bind()
    listener = lambda _c, _cur, sql, params, *_rest: statements.append((sql, params))  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        latest = session_logs.recent_session_logs(
            session, people.patient_user, people.patient, 14, program_id=program_id
        )
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert len(latest) == 14 and latest[-1].performed_on == dt.date(2026, 1, 1) + dt.timedelta(days=299)
    sql, params = next((sql, params) for sql, params in statements if "FROM session_logs" in sql)
    raw = session.connection().connection.driver_connection
    with raw.cursor() as cursor:  # type: ignore[union-attr]
        plan = "\n".join(row[0] for row in cursor.execute(f"EXPLAIN {sql}", params).fetchall())
    assert "Index Scan Backward using ix_session_logs_program_id_patient_id_performed_on_id" in plan, plan
    assert "Sort" not in plan, plan
