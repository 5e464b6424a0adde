"""The migrations build exactly the schema the tables declare, on both databases, from an installed package."""

from __future__ import annotations

import importlib.util
from importlib.resources import files

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from rebalance.storage.db import make_engine
from rebalance.storage.migrate import alembic_config, downgrade, upgrade
from rebalance.storage.tables import Base


def schema_differences(url: str) -> list[object]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return list(compare_metadata(MigrationContext.configure(connection), Base.metadata))
    finally:
        engine.dispose()


def current_revision(url: str) -> str | None:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def test_migrating_an_empty_database_yields_exactly_the_orm_schema(empty_db_url: str) -> None:
    upgrade(empty_db_url)
    assert schema_differences(empty_db_url) == []
    assert current_revision(empty_db_url) == ScriptDirectory.from_config(alembic_config()).get_current_head()


def test_the_schema_comparison_notices_a_missing_index(empty_db_url: str) -> None:
    upgrade(empty_db_url)
    engine = make_engine(empty_db_url)
    with engine.begin() as connection:
        connection.execute(text("DROP INDEX ix_session_logs_patient_id_performed_on"))
    engine.dispose()
    assert [d[0] for d in schema_differences(empty_db_url)] == ["add_index"]  # type: ignore[index]


def test_upgrading_twice_changes_nothing_and_downgrading_empties_the_database(empty_db_url: str) -> None:
    upgrade(empty_db_url)
    upgrade(empty_db_url)
    downgrade(empty_db_url)
    engine = make_engine(empty_db_url)
    assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    engine.dispose()
    upgrade(empty_db_url)
    assert schema_differences(empty_db_url) == []


def test_the_migrations_ship_inside_the_package() -> None:
    migrations = files("rebalance.storage") / "migrations"
    assert (migrations / "env.py").is_file()
    assert (migrations / "script.py.mako").is_file()
    versions = sorted(p.name for p in (migrations / "versions").iterdir() if p.name.endswith(".py"))
    assert versions == [
        "0001_initial.py",
        "0002_web.py",
        "0003_session_logs_by_program.py",
        "0004_latest_safety_from_the_index.py",
        "0005_session_logs_by_program_and_patient.py",
        "0006_audit_events_without_user_key.py",
        "0007_video_jobs.py",
        "0008_video_clip_runner_and_retention.py",
    ]
    for name in versions:  # each loads as a module, as Alembic loads it
        spec = importlib.util.spec_from_file_location(name[:-3], str(migrations / "versions" / name))
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        assert callable(module.upgrade)
        assert callable(module.downgrade)
    assert ScriptDirectory.from_config(alembic_config()).get_heads() == ["0008"]


def audit_keys(url: str) -> list[str]:
    """The tables ``audit_events`` refers to, read on a new connection (SQLite's older ones keep the old
    table's keys after it was made again)."""
    engine = make_engine(url)
    try:
        return [key["referred_table"] for key in inspect(engine).get_foreign_keys("audit_events")]
    finally:
        engine.dispose()


def test_the_audit_log_keeps_its_events_and_no_longer_needs_their_users(empty_db_url: str) -> None:
    """Migration 0006: the foreign key from ``audit_events.user_id`` is dropped (on SQLite the table is made
    again), the events already stored kept; down again, the key is back."""
    upgrade(empty_db_url, "0005")
    engine = make_engine(empty_db_url)
    try:
        event = (
            "INSERT INTO audit_events (at, user_id, action, entity_type, entity_id, patient_id, detail) "
            "VALUES ('2026-12-06 10:00:00', :user, 'read', 'patient', 1, 1, '{}')"
        )
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO users (id, email, display_name, role, password_hash, active, "
                    "created_at) VALUES (1, 'a@b.test', 'A', 'admin', 'x', true, '2026-12-06')"
                )
            )
            connection.execute(text(event), {"user": 1})
        with pytest.raises(IntegrityError), engine.begin() as connection:
            connection.execute(text(event), {"user": 999})  # no such user: refused at 0005
        upgrade(empty_db_url, "0006")
        with engine.begin() as connection:
            connection.execute(text(event), {"user": 999})  # stored now: the log names users it outlives
            users = connection.execute(text("SELECT user_id FROM audit_events ORDER BY id")).scalars().all()
        assert users == [1, 999]
        assert audit_keys(empty_db_url) == []
        with engine.begin() as connection:
            connection.execute(text("DELETE FROM audit_events WHERE user_id = 999"))
        downgrade(empty_db_url, "0005")
        assert audit_keys(empty_db_url) == ["users"]
    finally:
        engine.dispose()
