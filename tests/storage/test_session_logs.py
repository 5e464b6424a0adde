"""Session logs: what the patient did, read back by date range."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session

from rebalance.errors import ConflictError, NotFoundError, PermissionDeniedError
from rebalance.storage import auth_repo, page_state, repo
from rebalance.storage.schemas import PatientCreate, SessionEntry, SessionLogCreate, StoredEntries, UserPublic
from rebalance.storage.tables import AuditEvent, User
from rebalance.storage.types import AuditAction, ProgramStatus
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
    logs = repo.session_logs_for_patient(
        session, people.clinician, people.patient, dt.date(2026, 11, 3), dt.date(2026, 11, 5)
    )
    assert [log.performed_on.isoformat() for log in logs] == ["2026-11-03", "2026-11-05"]
    assert len(repo.session_logs_for_patient(session, people.patient_user, people.patient)) == 4
    assert len(repo.session_logs_for_patient(session, people.admin, people.patient, start=dt.date(2026, 11, 4))) == 2


def test_the_worst_pain_during_a_session_is_kept_with_it(session: Session, people: People, program_id: int) -> None:
    log = add_log(session, people.patient_user, people.patient, program_id, on="2026-11-01", pains=(2, None, 5, 1))
    assert log.pain_during_max == 5
    assert (
        add_log(session, people.patient_user, people.patient, program_id, "2026-11-02", (None,)).pain_during_max is None
    )
    session.commit()
    session.expunge_all()
    (first, _) = repo.session_logs_for_patient(session, people.clinician, people.patient)
    assert first.entries[2] == SessionEntry(
        exercise_id="exercise_2", done=True, sets=2, reps=10, effort=5, pain_during=5
    )


def test_an_entry_out_of_range_is_refused_before_storing() -> None:
    with pytest.raises(ValidationError, match="pain_during"):
        SessionEntry(exercise_id="bird_dog", done=True, pain_during=11)


def test_only_the_patient_their_clinician_or_an_admin_log_sessions(
    session: Session, people: People, program_id: int
) -> None:
    with pytest.raises(PermissionDeniedError):
        add_log(session, people.other_clinician, people.patient, program_id, on="2026-11-01")
    other = repo.create_patient(session, people.clinician, PatientCreate(display_name="Other")).id
    with pytest.raises(PermissionDeniedError):
        add_log(session, people.patient_user, other, program_id, on="2026-11-01")
    with pytest.raises(ConflictError, match="belongs to patient"):
        add_log(session, people.clinician, other, program_id, on="2026-11-01")
    with pytest.raises(NotFoundError):
        add_log(session, people.clinician, people.patient, program_id + 1000, on="2026-11-01")
    assert repo.recent_session_logs(session, people.clinician, people.patient, 5, program_id=program_id) == []


def test_sessions_stored_together_are_each_as_stored_alone_and_a_refused_one_is_named(
    session: Session, people: People, program_id: int, engine: Engine
) -> None:
    """``add_session_logs`` (the log writer's): one insert for them all (one round trip on PostgreSQL), each
    row, record and CREATE event as ``add_session_log`` makes them; the one that cannot be stored is named
    with why, as ``add_session_log`` would have said it."""
    other = repo.create_patient(session, people.clinician, PatientCreate(display_name="Other")).id
    entry = SessionEntry(exercise_id="bird_dog", done=True, pain_during=3)
    day = dt.date(2026, 11, 2)
    log = SessionLogCreate(program_id=program_id, performed_on=day, entries=[entry])
    asks = [(people.patient_user, people.patient, log), (people.clinician, people.patient, log)]

    inserts: list[str] = []
    listener = lambda _c, _cur, sql, *_rest: inserts.append(sql) if "INTO session_logs" in sql else None  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        stored = repo.add_session_logs(session, asks)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    session.flush()
    assert len(inserts) == (1 if engine.dialect.name == "postgresql" else 2)  # one statement for them all
    events = session.execute(select(AuditEvent.user_id, AuditEvent.entity_id).order_by(AuditEvent.id.desc()).limit(2))

    assert [s.id for s in stored] == sorted({s.id for s in stored})  # two rows, in the order given
    assert [(s.patient_id, s.program_id, s.performed_on, s.entries) for s in stored] == [
        (people.patient, program_id, day, [entry])
    ] * 2
    assert [tuple(e) for e in events][::-1] == [(people.patient_user, stored[0].id), (people.clinician, stored[1].id)]
    assert repo.recent_session_logs(session, people.clinician, people.patient, 5, program_id=program_id) == stored
    with pytest.raises(repo.NotStored) as refused:
        repo.add_session_logs(session, [asks[1], (people.clinician, other, log), asks[1]])
    assert refused.value.at == 1 and isinstance(refused.value.why, ConflictError)
    assert "belongs to patient" in str(refused.value.why)
    assert repo.add_session_logs(session, []) == []


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

    latest = repo.recent_session_logs(session, people.patient_user, people.patient, 3, program_id=newer)

    assert [(log.performed_on.isoformat(), log.program_id) for log in latest] == [
        ("2026-11-05", newer),
        ("2026-11-06", newer),
        ("2026-11-06", newer),
    ]
    assert latest[1].id < latest[2].id  # the same day: in the order they were stored
    assert len(repo.recent_session_logs(session, people.patient_user, people.patient, 10, program_id=newer)) == 4


def test_the_latest_sessions_entries_as_stored_are_the_same_read(
    session: Session, people: People, program_id: int
) -> None:
    """What the pain-monitoring model reads after every session logged: each session's day and entries as
    stored, the same sessions as :func:`repo.recent_session_logs`, checked and audited as that read is."""
    for day, pains in (("2026-11-01", (3,)), ("2026-11-03", (None, 1)), ("2026-11-02", (2,))):
        add_log(session, people.patient_user, people.patient, program_id, on=day, pains=pains)
    session.commit()

    entries = repo.recent_session_entries(session, people.patient_user, people.patient, 2, program_id)
    logs = repo.recent_session_logs(session, people.patient_user, people.patient, 2, program_id=program_id)

    assert [e[:2] for e in entries] == [StoredEntries.of(log)[:2] for log in logs]
    assert all(e.text is not None and json.loads(e.text) == [dict(x) for x in e.entries] for e in entries)
    assert [e.performed_on.isoformat() for e in entries] == ["2026-11-02", "2026-11-03"]
    assert entries[1].entries[0] == {
        **dict.fromkeys(SessionEntry.model_fields),
        **{"exercise_id": "exercise_0", "done": True, "sets": 2, "reps": 10, "effort": 5},
    }
    session.flush()
    reads = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(2)).all()
    assert [event.detail for event in reads] == [
        {"read": "session_logs", "latest": 2, "program_id": program_id, "before": None, "count": 2}
    ] * 2
    with pytest.raises(PermissionDeniedError):
        repo.recent_session_entries(session, people.other_clinician, people.patient, 2, program_id)
    assert repo.recent_session_entries(session, people.clinician, people.patient, 2, program_id + 1000) == []


def test_the_latest_sessions_of_several_reads_together_are_each_as_read_alone(
    session: Session, people: People, program_id: int, engine: Engine
) -> None:
    """What the log writer reads for the sessions it stored at once: each read checked and audited as alone,
    one statement for them all on PostgreSQL (one round trip)."""
    assessment = add_assessment(session, people.clinician, people.patient, on="2026-11-21")
    newer = add_program(session, people.clinician, people.patient, assessment.id, ProgramStatus.PUBLISHED).id
    for day, version in (("2026-11-01", program_id), ("2026-11-02", program_id), ("2026-11-04", newer)):
        add_log(session, people.patient_user, people.patient, version, on=day, pains=(2,))
    session.commit()
    asks = [(people.patient_user, people.patient, program_id), (people.clinician, people.patient, newer)]
    asks.append((people.patient_user, people.patient, newer + 1000))
    events = select(AuditEvent.user_id, AuditEvent.detail).order_by(AuditEvent.id.desc()).limit(3)

    selects: list[str] = []
    listener = lambda _c, _cur, sql, *_rest: selects.append(sql) if "FROM session_logs" in sql else None  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        together = repo.recent_session_entries_each(session, 5, asks)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    session.flush()
    assert len(selects) == (1 if engine.dialect.name == "postgresql" else 3)
    audited = session.execute(events).all()[::-1]
    alone = [repo.recent_session_entries(session, actor, patient, 5, version) for actor, patient, version in asks]

    assert together == alone
    assert [[e.performed_on.day for e in entries] for entries in together] == [[1, 2], [4], []]
    assert [(user, detail["program_id"], detail["count"]) for user, detail in audited] == [
        (people.patient_user, program_id, 2),
        (people.clinician, newer, 1),
        (people.patient_user, newer + 1000, 0),
    ]
    assert repo.recent_session_entries_each(session, 5, []) == []
    with pytest.raises(PermissionDeniedError):
        repo.recent_session_entries_each(session, 5, [asks[0], (people.other_clinician, people.patient, newer)])


def test_the_latest_sessions_before_a_day(session: Session, people: People, program_id: int) -> None:
    for day in ("2026-11-01", "2026-11-02", "2026-11-03", "2026-11-04"):
        add_log(session, people.patient_user, people.patient, program_id, on=day)
    session.commit()
    before = repo.recent_session_logs(session, people.clinician, people.patient, 2, before=dt.date(2026, 11, 4))
    assert [log.performed_on.isoformat() for log in before] == ["2026-11-02", "2026-11-03"]
    with pytest.raises(ValueError, match="not both"):
        repo.recent_session_logs(
            session, people.clinician, people.patient, 2, program_id=program_id, before=dt.date.max
        )
    with pytest.raises(PermissionDeniedError):
        repo.recent_session_logs(session, people.other_clinician, people.patient, 2, program_id=program_id)


def test_the_busiest_calls_check_access_as_every_other_does(session: Session, people: People, program_id: int) -> None:
    """Logging and reading the latest sessions check access on a few columns (``repo._may``), by the same
    rule as every other call: an inactive user, an unknown user or patient are refused as elsewhere."""
    add_log(session, people.patient_user, people.patient, program_id, on="2026-11-01")
    latest = repo.recent_session_logs(session, people.patient_user, people.patient, 5, program_id=program_id)
    assert [s.performed_on.day for s in latest] == [1]
    with pytest.raises(NotFoundError):
        repo.recent_session_logs(session, people.clinician, people.patient + 1000, 5, program_id=program_id)
    with pytest.raises(PermissionDeniedError, match="unknown or inactive"):
        repo.recent_session_logs(session, 999_999, people.patient, 5, program_id=program_id)
    auth_repo.set_clinician_active(session, people.admin, people.clinician, active=False)
    session.commit()
    with pytest.raises(PermissionDeniedError, match="unknown or inactive"):
        add_log(session, people.clinician, people.patient, program_id, on="2026-11-02")
    with pytest.raises(PermissionDeniedError, match="not this user's patient"):
        repo.recent_session_logs(session, people.other_clinician, people.patient, 5, program_id=program_id)


def test_the_page_state_is_read_with_the_access_check_in_one_statement(
    session: Session, people: People, program_id: int
) -> None:
    """``repo.checked_page_state``: the page state ``page_state.page_state`` reads, for whoever may read the
    patient's record, refused as every call refuses; the unit of work then knows the access check, so
    logging a session asks the database nothing more about access."""
    session.commit()
    expected = page_state.page_state(session, people.patient)
    for actor in (people.patient_user, people.clinician, people.admin):
        assert repo.checked_page_state(session, actor, people.patient) == expected
    with pytest.raises(PermissionDeniedError, match="not this user's patient"):
        repo.checked_page_state(session, people.other_clinician, people.patient)
    with pytest.raises(PermissionDeniedError, match="unknown or inactive"):
        repo.checked_page_state(session, 999_999, people.patient)
    with pytest.raises(NotFoundError):
        repo.checked_page_state(session, people.clinician, people.patient + 1000)

    session.rollback()  # (its read ends: a unit of work of its own next)
    fresh = Session(session.get_bind())
    seen: list[str] = []
    listen = event.listens_for(fresh.get_bind(), "before_cursor_execute")
    record = listen(lambda *args: seen.append(args[2]))
    try:
        repo.checked_page_state(fresh, people.patient_user, people.patient)
        seen.clear()
        add_log(fresh, people.patient_user, people.patient, program_id, on="2026-11-01")
        assert [s.split()[0] for s in seen] == ["INSERT"]  # the new session: no access read
    finally:
        event.remove(fresh.get_bind(), "before_cursor_execute", record)
        fresh.rollback()
        fresh.close()


def test_the_sign_in_lookups_row_is_the_access_check_of_a_patients_own_record(
    session: Session, people: People, program_id: int
) -> None:
    """``repo.known_own_access``: the user as the sign-in lookup read them serves as the unit of work's access
    check of the patient's own record (nothing more is read), decided by the same rule: no other patient's
    record, nothing a patient may not do; for anyone but a patient it knows nothing."""
    session.commit()
    user = UserPublic.model_validate(session.get(User, people.patient_user))
    seen: list[str] = []
    listen = event.listens_for(session.get_bind(), "before_cursor_execute")
    record = listen(lambda *args: seen.append(args[2].split(maxsplit=1)[0]))
    try:
        repo.known_own_access(session, user)
        add_log(session, people.patient_user, people.patient, program_id, on="2026-11-01")
        assert seen == ["INSERT"]  # the new session: no access read
        other = repo.create_patient(session, people.clinician, PatientCreate(display_name="Other"))
        seen.clear()
        with pytest.raises(PermissionDeniedError, match="not this user's patient"):
            repo.recent_session_logs(session, people.patient_user, other.id, 5, program_id=program_id)
        with pytest.raises(PermissionDeniedError, match="may not do this to their record"):
            repo._may(session, people.patient_user, people.patient, AuditAction.UPDATE)
        session.rollback()

        seen.clear()
        repo.known_own_access(session, UserPublic.model_validate(session.get(User, people.clinician)))
        seen.clear()
        add_log(session, people.clinician, people.patient, program_id, on="2026-11-02")
        assert seen[0] == "SELECT"  # a clinician's access is read in the unit of work, as always
    finally:
        event.remove(session.get_bind(), "before_cursor_execute", record)


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
    statement: Any = repo._NEWEST_ENTRIES_OF_PROGRAM.statement
    sql = str(statement.compile(session.get_bind()))
    params = {"patient_id": people.patient, "program_id": program_id, "limit": 14, "param_1": 0}
    plan = "\n".join(row[0] for row in session.connection().exec_driver_sql(f"EXPLAIN {sql}", params))
    assert "Index Scan Backward using ix_session_logs_program_id_patient_id_performed_on_id" in plan, plan
    assert "Sort" not in plan, plan
    entries = repo.recent_session_entries(session, people.patient_user, people.patient, 14, program_id)
    assert len(entries) == 14 and entries[-1].performed_on == dt.date(2026, 1, 1) + dt.timedelta(days=299)


def test_the_latest_sessions_entries_are_decoded_once_and_shared_read_only(
    session: Session, people: People, program_id: int
) -> None:
    """``repo._entries_in``: every session logged reads the latest sessions again; the same stored text is
    decoded once a process and shared, so it cannot be changed; a change to a session (a next-morning
    answer) is a new text, read as it now is."""
    log = add_log(session, people.patient_user, people.patient, program_id, on="2026-11-01", pains=(3, 1))
    session.commit()
    first = repo.recent_session_entries(session, people.patient_user, people.patient, 5, program_id)
    again = repo.recent_session_entries(session, people.patient_user, people.patient, 5, program_id)
    assert first == again and first[0].entries is again[0].entries  # decoded once
    assert first[0].entries[0]["pain_during"] == 3
    with pytest.raises(TypeError):
        first[0].entries[0]["pain_during"] = 9  # type: ignore[index]
    repo.set_next_morning(session, people.patient_user, log.id, 4, None)
    session.commit()
    (changed,) = repo.recent_session_entries(session, people.patient_user, people.patient, 5, program_id)
    assert changed.entries[0]["pain_next_morning"] == 4 and changed.entries is not first[0].entries
