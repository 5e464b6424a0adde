"""The database is configured by one typed Settings object; a session_scope is one unit of work."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from rebalance.config import Settings
from rebalance.storage.db import make_engine, session_scope
from rebalance.storage.tables import User
from rebalance.storage.types import Role


def test_the_default_database_is_a_sqlite_file_in_the_working_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REBALANCE_DATABASE_URL", raising=False)
    assert Settings().database_url == "sqlite:///./rebalance.db"


def test_the_database_url_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'other.db'}"
    monkeypatch.setenv("REBALANCE_DATABASE_URL", url)
    assert Settings().database_url == url
    engine = make_engine()
    assert engine.url.database == str(tmp_path / "other.db")
    engine.dispose()


@pytest.mark.parametrize(
    ("name", "value"),
    [("PUBLIC_URL", "clinic.example.org"), ("PUBLIC_URL", "ftp://clinic.example.org"), ("MAX_BODY_BYTES", "10")],
)
def test_a_setting_out_of_its_range_is_refused_naming_it(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(f"REBALANCE_{name}", value)
    with pytest.raises(ValidationError, match=name.lower()):
        Settings()


def test_the_trusted_proxies_come_from_the_environment_as_a_list(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().trusted_proxies == []  # none by default: no forwarded header is believed
    monkeypatch.setenv("REBALANCE_TRUSTED_PROXIES", '["127.0.0.1", "10.0.0.2"]')
    assert Settings().trusted_proxies == ["127.0.0.1", "10.0.0.2"]


def test_every_setting_is_described() -> None:
    assert all(field.description for field in Settings.model_fields.values())


def test_a_session_scope_commits_at_the_end_and_rolls_back_on_error(session_factory: sessionmaker[Session]) -> None:
    with session_scope(session_factory) as session:
        session.add(User(email="kept@clinic.test", display_name="Kept", role=Role.ADMIN))
    with pytest.raises(RuntimeError), session_scope(session_factory) as session:
        session.add(User(email="lost@clinic.test", display_name="Lost", role=Role.ADMIN))
        session.flush()
        raise RuntimeError("the request failed")
    with session_scope(session_factory) as session:
        assert session.scalars(select(User.email)).all() == ["kept@clinic.test"]
        assert session.scalar(select(func.count()).select_from(User)) == 1
