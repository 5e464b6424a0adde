"""A statement on the driver's own cursor gives what SQLAlchemy's execution gives: standing alone, or in
a unit of work, whose transaction it is part of."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, Integer, String, bindparam, cast, event, func, insert, literal, select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from rebalance.storage import auth_repo, repo
from rebalance.storage.auth_repo import _SESSION_WITH_PAGE_STATE
from rebalance.storage.db import make_engine, reading_engine
from rebalance.storage.quick import Quick
from rebalance.storage.tables import SessionLog, User
from rebalance.storage.types import ProgramStatus, utc_now
from tests.storage.conftest import POSTGRESQL_URL, People
from tests.storage.factories import add_assessment, add_log, add_program

NOW = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)


def _signed_in_patient(session: Session, people: People) -> None:
    assessment = add_assessment(session, people.clinician, people.patient)
    add_program(session, people.clinician, people.patient, assessment.id, ProgramStatus.PUBLISHED)
    auth_repo.create_web_session(session, people.patient_user, "a" * 64, "csrf", NOW, NOW + dt.timedelta(days=7))
    session.commit()


def test_the_sign_in_lookup_gives_the_same_values_as_sqlalchemys_execution(
    session: Session, people: People, engine: Engine
) -> None:
    """Every column, with its type's processing (timestamps come back aware UTC, roles as enums), and the
    page state's subqueries, whose LIMIT is a parameter SQLAlchemy adds."""
    _signed_in_patient(session, people)
    expected = dict(session.connection().execute(_SESSION_WITH_PAGE_STATE, {"token_hash": "a" * 64}).one()._mapping)
    reads = reading_engine(engine)
    try:
        found = Quick(_SESSION_WITH_PAGE_STATE).first(reads, {"token_hash": "a" * 64})
        assert found == expected
        assert found["s_expires_at"].tzinfo is not None and found["p_program_id"] is not None
        assert Quick(_SESSION_WITH_PAGE_STATE).first(reads, {"token_hash": "b" * 64}) is None
        by_engine = auth_repo.web_session_with_page_state(reads, "a" * 64)
        assert by_engine == auth_repo.web_session_with_page_state(session, "a" * 64)
        assert by_engine is not None and by_engine[1].id == people.patient_user
    finally:
        if reads is not engine:
            reads.dispose()


def test_a_quick_read_processes_its_parameters_as_their_types_say(
    session: Session, people: People, engine: Engine
) -> None:
    """A timestamp parameter goes through the column type's processing, as SQLAlchemy's execution does."""
    _signed_in_patient(session, people)
    statement = select(User.id).where(User.created_at < bindparam("before", type_=User.created_at.type))
    quick = Quick(statement)
    assert quick.first(engine, {"before": utc_now() + dt.timedelta(days=1)}) is not None
    assert quick.first(engine, {"before": dt.datetime(2000, 1, 1, tzinfo=dt.UTC)}) is None


def test_a_quick_read_leaves_no_transaction_open(engine: Engine) -> None:
    Quick(select(literal(1).label("one"))).first(engine, {})
    connection = engine.raw_connection()
    try:
        if engine.dialect.name == "sqlite":
            assert connection.driver_connection.in_transaction is False  # type: ignore[union-attr]
        else:  # the engine is an ordinary one: the pool rolled its implicit transaction back
            assert connection.driver_connection.info.transaction_status == 0  # type: ignore[union-attr]  # IDLE
    finally:
        connection.close()


def test_a_connection_lost_under_a_quick_read_is_thrown_out_and_the_next_read_works(
    postgresql_server: Engine,
) -> None:
    engine = reading_engine(make_engine(POSTGRESQL_URL))
    quick = Quick(select(literal(1).label("one")))
    try:
        connection = engine.raw_connection()
        backend = connection.driver_connection.info.backend_pid  # type: ignore[union-attr]
        connection.close()
        with postgresql_server.connect() as admin:
            admin.exec_driver_sql(f"SELECT pg_terminate_backend({backend})")
        with pytest.raises(DBAPIError) as raised:
            quick.first(engine, {})  # used a moment ago: not pinged first, so the read finds it dead
        assert raised.value.connection_invalidated
        assert quick.first(engine, {}) == {"one": 1}
    finally:
        engine.dispose()


def _logged(session: Session, people: People) -> int:
    assessment = add_assessment(session, people.clinician, people.patient)
    program = add_program(session, people.clinician, people.patient, assessment.id, ProgramStatus.PUBLISHED)
    for day in ("2026-11-01", "2026-11-03", "2026-11-02"):
        add_log(session, people.patient_user, people.patient, program.id, on=day, pains=(3, None))
    session.commit()
    return program.id


def _inserting(values: dict[str, object]) -> Quick:
    """An insert of a session log with the columns of ``values``, each bound as its type says."""
    return Quick(insert(SessionLog).values(**{k: bindparam(k, type_=SessionLog.__table__.c[k].type) for k in values}))


def test_in_a_unit_of_work_the_same_rows_as_sqlalchemys_execution(session: Session, people: People) -> None:
    """Every row and column with its type's processing: days as dates, entries as JSON, timestamps aware."""
    program_id = _logged(session, people)
    values = {"patient_id": people.patient, "program_id": program_id, "limit": 2}
    quick = repo._NEWEST_LOGS_OF_PROGRAM
    expected = [dict(row._mapping) for row in session.connection().execute(quick.statement, values)]
    assert quick.all_in(session, values) == expected
    assert quick.first_in(session, values) == expected[0]
    assert [row["performed_on"] for row in expected] == [dt.date(2026, 11, 3), dt.date(2026, 11, 2)]
    assert expected[0]["entries"][0]["pain_during"] == 3 and expected[0]["created_at"].tzinfo is not None
    assert quick.all_in(session, {**values, "program_id": program_id + 1000}) == []
    assert quick.first_in(session, {**values, "program_id": program_id + 1000}) is None


def test_in_a_unit_of_work_its_writes_commit_and_roll_back_with_the_unit_of_work(
    session: Session, people: People
) -> None:
    program_id = _logged(session, people)
    values = {
        "patient_id": people.patient,
        "program_id": program_id,
        "performed_on": dt.date(2026, 11, 9),
        "entries": [{"exercise_id": "bird_dog", "done": True}],
        "pain_during_max": None,
        "created_at": utc_now(),
    }
    adding = _inserting(values)
    count = select(func.count()).select_from(SessionLog)
    before = session.scalar(count) or 0
    adding.many_in(session, [values, {**values, "performed_on": dt.date(2026, 11, 10)}])
    assert session.scalar(count) == before + 2  # seen by the unit of work's own reads
    session.rollback()
    assert session.scalar(count) == before
    stored = repo._QUICK_INSERT_LOG.first_in(session, values)
    assert stored is not None and isinstance(stored["id"], int)
    session.commit()
    assert session.scalar(count) == before + 1
    log = session.get(SessionLog, stored["id"])
    assert log is not None and log.entries == [{"exercise_id": "bird_dog", "done": True}]
    assert repo._QUICK_INSERT_LOG.first_in(session, {**values, "program_id": program_id + 1000}) is None
    adding.many_in(session, [])  # nothing to write: no statement


def test_a_broken_constraint_is_sqlalchemys_error_and_the_unit_of_work_rolls_back(
    session: Session, people: People
) -> None:
    program_id = _logged(session, people)
    values = {"patient_id": people.patient, "program_id": program_id, "performed_on": dt.date(2026, 11, 9)}
    broken = {**values, "entries": [], "pain_during_max": 11, "created_at": utc_now()}  # the 0-10 check
    with pytest.raises(IntegrityError):
        repo._QUICK_INSERT_LOG.first_in(session, broken)
    session.rollback()
    assert repo._QUICK_INSERT_LOG.first_in(session, {**broken, "pain_during_max": 10}) is not None


def test_the_engines_listeners_hear_of_statements_in_a_unit_of_work(
    session: Session, people: People, engine: Engine
) -> None:
    """As they hear of SQLAlchemy's own: tests and tools that count a request's statements see these too."""
    program_id = _logged(session, people)
    heard: list[tuple[str, bool]] = []

    def before(_conn: object, _cursor: object, statement: str, _params: object, _context: object, many: bool) -> None:
        heard.append((statement.split(maxsplit=1)[0], many))

    event.listen(engine, "before_cursor_execute", before)
    try:
        values = {"patient_id": people.patient, "program_id": program_id, "limit": 2}
        repo._NEWEST_LOGS_OF_PROGRAM.all_in(session, values)
    finally:
        event.remove(engine, "before_cursor_execute", before)
    assert heard == [("SELECT", False)]


def test_a_connection_lost_in_a_unit_of_work_is_invalidated_and_the_next_one_works(
    postgresql_server: Engine,
) -> None:
    engine = make_engine(POSTGRESQL_URL)
    quick = Quick(select(literal(1).label("one")))
    try:
        with Session(engine) as session:
            backend = session.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar()
            with postgresql_server.connect() as admin:
                admin.exec_driver_sql(f"SELECT pg_terminate_backend({backend})")
            with pytest.raises(DBAPIError) as raised:
                quick.first_in(session, {})
            assert raised.value.connection_invalidated
            session.rollback()
            assert quick.first_in(session, {}) == {"one": 1}
    finally:
        engine.dispose()


def test_rows_inserted_together_are_one_statement_and_read_back_as_executemany_stores_them(
    session: Session, people: People, engine: Engine
) -> None:
    """SQLite's driver's executemany lets go of the GIL after each row, and a writer then waits for it again
    at every row while holding the write lock; PostgreSQL's pipeline costs several times one statement's
    Python: many rows are one statement. Each value is bound as the column's type says."""
    program_id = _logged(session, people)
    base = {"patient_id": people.patient, "program_id": program_id, "pain_during_max": None, "created_at": NOW}
    rows = [
        {**base, "performed_on": dt.date(2026, 10, 1) + dt.timedelta(days=i), "entries": [{"exercise_id": f"x{i}"}]}
        for i in range(3)
    ]
    adding = _inserting(rows[0])
    heard: list[tuple[str, bool]] = []

    def before(_conn: object, _cursor: object, statement: str, _params: object, _context: object, many: bool) -> None:
        heard.append((statement.split(maxsplit=1)[0], many))

    event.listen(engine, "before_cursor_execute", before)
    try:
        adding.many_in(session, rows)
    finally:
        event.remove(engine, "before_cursor_execute", before)
    assert heard == [("INSERT", False)]
    stored = session.execute(
        select(SessionLog.performed_on, SessionLog.entries, SessionLog.created_at)
        .where(SessionLog.performed_on < dt.date(2026, 11, 1))
        .order_by(SessionLog.performed_on)
    ).all()
    assert [tuple(row) for row in stored] == [(r["performed_on"], r["entries"], NOW) for r in rows]


def test_more_rows_than_one_sqlite_statement_takes_are_split_and_all_stored(
    session: Session, people: People, engine: Engine
) -> None:
    """SQLite takes 32,766 parameters a statement: 6,000 rows of 6 columns are two statements there (one on
    PostgreSQL, which takes 65,535)."""
    program_id = _logged(session, people)
    base = {"patient_id": people.patient, "program_id": program_id, "pain_during_max": 2, "created_at": NOW}
    rows = [{**base, "performed_on": dt.date(2000, 1, 1) + dt.timedelta(days=i), "entries": []} for i in range(6000)]
    adding = _inserting(rows[0])
    count = select(func.count(), func.min(SessionLog.performed_on), func.max(SessionLog.performed_on)).where(
        SessionLog.performed_on < dt.date(2026, 1, 1)
    )
    heard: list[int] = []
    listener = lambda *_args: heard.append(1)  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        adding.many_in(session, rows)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert len(heard) == (2 if engine.dialect.name == "sqlite" else 1)
    assert tuple(session.execute(count).one()) == (6000, rows[0]["performed_on"], rows[-1]["performed_on"])


def test_a_read_standing_alone_on_postgresql_is_prepared_once_a_connection_and_errors_are_sqlalchemys(
    postgresql_server: Engine,
) -> None:
    """Run by libpq itself (``_Prepared``): prepared on a connection's first use only, the values as psycopg
    sends them (a timestamp, text), and a statement the server refuses raises SQLAlchemy's error."""
    engine = reading_engine(make_engine(POSTGRESQL_URL))
    try:
        when = bindparam("when", type_=User.created_at.type)
        quick = Quick(select(when.label("when"), bindparam("text", type_=String).label("text")))
        first = quick.first(engine, {"when": NOW, "text": "é, 'quoted'"})
        assert first == {"when": NOW, "text": "é, 'quoted'"}
        assert quick.first(engine, {"when": NOW, "text": None}) == {"when": NOW, "text": None}
        plan = quick._plan(engine.dialect)
        assert plan.prepared is not None
        connection = engine.raw_connection()
        try:
            cursor = connection.cursor()
            cursor.execute(
                "SELECT count(*) FROM pg_prepared_statements WHERE name = %s", (plan.prepared.name.decode(),)
            )
            assert cursor.fetchone() == (1,)  # once, though run twice on it (the pool hands the same back)
            cursor.close()
        finally:
            connection.close()
        number = Quick(select(cast(bindparam("t", type_=String), Integer).label("n")))
        with pytest.raises(DBAPIError, match="invalid input syntax"):
            number.first(engine, {"t": "one"})
        assert number.first(engine, {"t": "2"}) == {"n": 2}  # the connection still serves
    finally:
        engine.dispose()
