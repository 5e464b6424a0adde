"""A read on the driver's own cursor gives what SQLAlchemy's execution gives, and stands alone."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, bindparam, literal, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from rebalance.storage import auth_repo
from rebalance.storage.auth_repo import _SESSION_WITH_PAGE_STATE
from rebalance.storage.db import make_engine, reading_engine
from rebalance.storage.quick_read import QuickRead
from rebalance.storage.tables import User
from rebalance.storage.types import ProgramStatus, utc_now
from tests.storage.conftest import POSTGRESQL_URL, People
from tests.storage.factories import add_assessment, add_program

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
        found = QuickRead(_SESSION_WITH_PAGE_STATE).first(reads, {"token_hash": "a" * 64})
        assert found == expected
        assert found["s_expires_at"].tzinfo is not None and found["p_program_id"] is not None
        assert QuickRead(_SESSION_WITH_PAGE_STATE).first(reads, {"token_hash": "b" * 64}) is None
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
    quick = QuickRead(statement)
    assert quick.first(engine, {"before": utc_now() + dt.timedelta(days=1)}) is not None
    assert quick.first(engine, {"before": dt.datetime(2000, 1, 1, tzinfo=dt.UTC)}) is None


def test_a_quick_read_leaves_no_transaction_open(engine: Engine) -> None:
    QuickRead(select(literal(1).label("one"))).first(engine, {})
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
    quick = QuickRead(select(literal(1).label("one")))
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
