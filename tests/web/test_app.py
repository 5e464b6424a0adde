"""The app: health, the OpenAPI document, migrations on startup, the page layout and the static files."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import inspect

from rebalance.config import Settings
from rebalance.storage.db import make_engine
from rebalance.web.app import create_app
from tests.web.conftest import FAST_HASHING, Cast, email, web
from tests.web.helpers import sign_in


def test_health_answers_ok_once_the_database_answers(client: TestClient) -> None:
    response = client.get("/health")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_health_answers_503_when_the_database_does_not(tmp_path: Path) -> None:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'no' / 'such' / 'dir.db'}", **FAST_HASHING))
    response = TestClient(app).get("/health")  # no startup: the database cannot be opened
    assert (response.status_code, response.json()) == (503, {"status": "unavailable"})


def test_startup_migrates_a_new_database_to_the_newest_schema(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    with TestClient(create_app(Settings(database_url=url, **FAST_HASHING))) as client:
        assert client.get("/health").status_code == 200
    engine = make_engine(url)
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert {"users", "patients", "web_sessions", "invitations", "login_attempts", "check_ins"} <= tables


def test_the_app_reads_its_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'env.db'}"
    monkeypatch.setenv("REBALANCE_DATABASE_URL", url)
    monkeypatch.setenv("REBALANCE_ARGON2_MEMORY_KIB", "1024")
    monkeypatch.setenv("REBALANCE_ARGON2_TIME_COST", "1")
    app = create_app()
    assert web(app).settings.database_url == url


def test_the_openapi_document_lists_the_api_and_its_error_format(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    paths = document["paths"]
    assert {"/health", "/api/me", "/api/patients/{patient_id}/invitations"} <= paths.keys()
    assert not any(p in paths for p in ("/", "/login", "/logout", "/admin/clinicians"))  # pages are not the API
    assert "ErrorResponse" in document["components"]["schemas"]
    me = paths["/api/me"]["get"]["responses"]
    assert me["401"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorResponse")
    invite = paths["/api/patients/{patient_id}/invitations"]["post"]["responses"]
    assert invite["422"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorResponse")
    assert "HTTPValidationError" not in document["components"]["schemas"]  # FastAPI's own format is not used


def test_the_layout_is_accessible_and_says_it_is_not_a_diagnosis(client: TestClient) -> None:
    page = client.get("/login").text
    assert '<html lang="en">' in page
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert '<main id="main"' in page
    assert 'href="#main"' in page  # skip link
    assert "consistent with" in page
    assert "It is not a diagnosis" in page
    assert '<label for="email">Email</label>' in page
    assert 'autocomplete="current-password"' in page


def test_the_header_shows_the_signed_in_user_their_role_and_a_logout_button(client: TestClient, cast: Cast) -> None:
    sign_in(client, email("anna"))
    page = client.get("/patients").text
    assert '<span class="who-name">Anna</span>' in page
    assert '<span class="role role-clinician">clinician</span>' in page
    assert '<form method="post" action="/logout"' in page


def test_the_static_files_are_served_with_the_htmx_licence(client: TestClient) -> None:
    htmx = client.get("/static/htmx.min.js")
    assert htmx.status_code == 200
    assert "javascript" in htmx.headers["content-type"]
    assert htmx.text.startswith("var htmx=")
    licence = client.get("/static/LICENSE-htmx.txt").text
    assert "Zero-Clause BSD" in licence
    assert "htmx.org@2" in licence
    assert client.get("/static/app.css").text.startswith("/* rebalance")
