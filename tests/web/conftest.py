"""Web fixtures: an app on a migrated database, a test client, and a cast of users.

- ``web_url``: the database the app runs on: a SQLite file shared by this session's web tests (emptied
  after each test). A module that must also run on PostgreSQL overrides it with ``db_url`` (imported
  from the storage fixtures: a fresh schema on the real server, never skipped).
- ``settings``: Settings on ``web_url`` with cheap Argon2 parameters (the defaults cost 0.1 s a hash).
- ``app``, ``client``: the app and a TestClient that does not follow redirects and never re-raises.
- ``cast``: an admin, clinicians Anna (A) and Ben (B), patient A1 of Anna and B1 of Ben, each patient
  with a user; everyone's password is :data:`PASSWORD`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from starlette.datastructures import State

from rebalance.config import Settings
from rebalance.storage.db import make_engine, session_scope
from rebalance.storage.migrate import upgrade
from rebalance.storage.repos import patients, users
from rebalance.storage.schemas import PatientCreate, UserCreate
from rebalance.storage.tables import Base, User, WebSession
from rebalance.storage.types import Role
from rebalance.web.app import create_app
from tests.storage.conftest import backend, db_url, postgresql_server

__all__ = ["backend", "db_url", "postgresql_server"]  # the storage fixtures, for the PostgreSQL runs

PASSWORD = "correct horse battery staple"  # noqa: S105 - a test password
FAST_HASHING = {"argon2_time_cost": 1, "argon2_memory_kib": 1024, "argon2_parallelism": 1}
PUBLIC_URL = "http://testserver"  # the TestClient's address: the invitation links start with it


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('web') / 'web.db'}"
    upgrade(url)
    return url


@pytest.fixture
def web_url(sqlite_url: str) -> str:
    return sqlite_url


@pytest.fixture
def settings(web_url: str) -> Settings:
    return Settings(database_url=web_url, public_url=PUBLIC_URL, **FAST_HASHING)


def empty_tables(url: str) -> None:
    """Delete every row (users ↔ patients first), keeping the schema."""
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(update(User).values(patient_id=None))
            for table in reversed(Base.metadata.sorted_tables):
                connection.execute(table.delete())
    finally:
        engine.dispose()


@pytest.fixture
def app(settings: Settings) -> Iterator[FastAPI]:
    app = create_app(settings)
    yield app
    app.state.engine.dispose()
    empty_tables(settings.database_url)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False, raise_server_exceptions=False) as test_client:
        yield test_client


def web(app: FastAPI) -> State:
    """What the app is made with: ``settings``, ``engine``, ``session_factory``, ``passwords``."""
    return app.state


def age_sessions(app: FastAPI, **values: dt.datetime) -> None:
    """Set every web session's times (``last_seen_at``, ...)."""
    with session_scope(web(app).session_factory) as db:
        db.execute(update(WebSession).values(**values))


def last_seen(app: FastAPI) -> dt.datetime:
    """The latest activity of any web session."""
    with session_scope(web(app).session_factory) as db:
        seen = db.scalar(select(func.max(WebSession.last_seen_at)))
        assert seen is not None
        return seen


@dataclass(frozen=True)
class Cast:
    """User ids (and the patients' record ids) of the web scenarios; emails are ``<name>@clinic.test``."""

    admin: int
    anna: int  # clinician A
    ben: int  # clinician B
    patient_a1: int  # the record
    patient_b1: int
    user_a1: int  # the patient's user
    user_b1: int


def email(name: str) -> str:
    return f"{name}@clinic.test"


@pytest.fixture
def cast(app: FastAPI, client: TestClient) -> Cast:
    """Needs ``client``: the app has started (and migrated) before anyone is created."""
    hashed = web(app).passwords.hash(PASSWORD)
    with session_scope(web(app).session_factory) as db:
        admin = users.create_user(
            db, None, UserCreate(email=email("admin"), display_name="Ada", role=Role.ADMIN, password_hash=hashed)
        ).id

        def clinician(name: str) -> int:
            data = UserCreate(email=email(name.lower()), display_name=name, role=Role.CLINICIAN, password_hash=hashed)
            return users.create_user(db, admin, data).id

        def patient(clinician_id: int, name: str) -> tuple[int, int]:
            record = patients.create_patient(db, clinician_id, PatientCreate(display_name=f"Patient {name}")).id
            data = UserCreate(
                email=email(name.lower()),
                display_name=f"Patient {name}",
                role=Role.PATIENT,
                clinician_id=clinician_id,
                patient_id=record,
                password_hash=hashed,
            )
            return record, users.create_user(db, clinician_id, data).id

        anna, ben = clinician("Anna"), clinician("Ben")
        (a1, user_a1), (b1, user_b1) = patient(anna, "A1"), patient(ben, "B1")
    return Cast(admin, anna, ben, a1, b1, user_a1, user_b1)
