"""Storage fixtures: every storage test runs on SQLite and on the real PostgreSQL server.

- ``backend``: ``sqlite`` or ``postgresql`` (the parameter).
- ``db_url``: a database of its own for this test session, migrated to the newest schema, dropped
  afterwards. SQLite: a temporary file. PostgreSQL: a fresh schema in the ``test`` database
  (``REBALANCE_TEST_POSTGRESQL_URL`` to use another), so nothing else on the server is touched.
  An unreachable PostgreSQL fails the tests: it never skips them.
- ``empty_db_url``: a fresh, unmigrated database for one test (the migration tests).
- ``session``: a session on ``db_url``; every table is emptied after each test.
- ``people``: an admin, two clinicians, a patient of the first and that patient's user.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from rebalance.storage.db import make_engine, make_session_factory
from rebalance.storage.migrate import upgrade
from rebalance.storage.repos import patients, users
from rebalance.storage.schemas import PatientCreate, UserCreate
from rebalance.storage.tables import Base, User
from rebalance.storage.types import Role, Sex
from tests.scratch import scratch_schema

POSTGRESQL_URL = os.environ.get("REBALANCE_TEST_POSTGRESQL_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture(scope="session")
def postgresql_server() -> Iterator[Engine]:
    """An engine on the server's test database (for creating and dropping schemas), or a clear failure."""
    engine = create_engine(POSTGRESQL_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})
    problem = None
    try:
        with engine.connect():
            pass
    except OperationalError as exc:
        problem = str(exc.orig).strip()
    if problem is not None:
        engine.dispose()
        pytest.fail(
            f"PostgreSQL is not reachable at {POSTGRESQL_URL}: {problem}\n"
            "The storage tests need it: start it with `make services` "
            "(or point REBALANCE_TEST_POSTGRESQL_URL at another server).",
            pytrace=False,
        )
    yield engine
    engine.dispose()


@contextmanager
def _fresh_database(backend: str, request: pytest.FixtureRequest, folder: Path) -> Iterator[str]:
    """Yield the URL of a new empty database; drop it afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'rebalance.db'}"
        return
    request.getfixturevalue("postgresql_server")  # reachable, or the tests say how to start it
    with scratch_schema(POSTGRESQL_URL, f"rebalance_test_{os.getpid()}") as url:
        yield url


@pytest.fixture(scope="session")
def db_url(backend: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """This session's database on ``backend``, migrated to the newest schema."""
    with _fresh_database(backend, request, tmp_path_factory.mktemp(backend)) as url:
        upgrade(url)
        yield url


@pytest.fixture
def empty_db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A new empty database for this test alone."""
    with _fresh_database(backend, request, tmp_path) as url:
        yield url


@pytest.fixture(scope="session")
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()  # before the schema is dropped: no connection may hold a lock on it


@pytest.fixture
def session_factory(engine: Engine) -> Iterator[sessionmaker[Session]]:
    """Sessions on this session's database; every table is emptied after the test."""
    yield make_session_factory(engine)
    with engine.begin() as connection:
        connection.execute(update(User).values(patient_id=None))  # break the users ↔ patients cycle
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    with session_factory() as session:
        yield session
        session.rollback()


@dataclass(frozen=True)
class People:
    """The cast of the storage scenarios (user ids, and the patient's record id)."""

    admin: int
    clinician: int
    other_clinician: int
    patient: int  # the patient record, of ``clinician``
    patient_user: int  # the user linked to ``patient``


@pytest.fixture
def people(session: Session) -> People:
    admin = users.create_user(session, None, UserCreate(email="admin@clinic.test", display_name="Ada", role=Role.ADMIN))

    def clinician(name: str) -> int:
        data = UserCreate(email=f"{name.lower()}@clinic.test", display_name=name, role=Role.CLINICIAN)
        return users.create_user(session, admin.id, data).id

    anna, ben = clinician("Anna"), clinician("Ben")
    patient = patients.create_patient(
        session, anna, PatientCreate(display_name="Pat Example", external_ref="c-017", birth_year=1984, sex=Sex.FEMALE)
    )
    patient_user = users.create_user(
        session,
        anna,
        UserCreate(
            email="pat@example.test", display_name="Pat", role=Role.PATIENT, clinician_id=anna, patient_id=patient.id
        ),
    )
    session.commit()
    return People(admin.id, anna, ben, patient.id, patient_user.id)
