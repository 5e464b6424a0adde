"""Odd input is answered 404, 413 or 422 with a clear message, never a 500: ids too large for the tables, the
NUL character, a blank reference twice, a session dated the year 1, a body over the limit. SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import Cast, email
from tests.web.helpers import csrf_of, sign_in
from tests.web.patient_story import Story, api_post, patient, story

__all__ = ["patient", "story"]  # the fixtures

TOO_LARGE = [2**31, 2**63, 10**30]  # past PostgreSQL's integer, past SQLite's and PostgreSQL's bigint


@pytest.fixture
def web_url(db_url: str) -> str:
    """This module runs on both databases."""
    return db_url


def _as_anna(client: TestClient) -> dict[str, str]:
    sign_in(client, email("anna"))
    return {"X-CSRF-Token": client.get("/api/me").json()["csrf_token"]}


def _messages(response: Any) -> str:
    return " ".join(error["message"] for error in response.json()["errors"])


@pytest.mark.parametrize("record_id", TOO_LARGE)
def test_an_id_too_large_for_the_tables_is_a_422_naming_it(client: TestClient, cast: Cast, record_id: int) -> None:
    token = _as_anna(client)
    for method, path in (
        ("GET", f"/api/patients/{record_id}"),
        ("GET", f"/api/assessments/{record_id}"),
        ("POST", f"/api/programs/{record_id}/approve"),
        ("GET", f"/patients/{record_id}"),
    ):
        response = client.request(method, path, headers=token)
        assert response.status_code == 422, (path, response.text)
        assert "path." in response.text and "id" in response.text


def test_an_id_of_no_record_is_a_404(client: TestClient, cast: Cast) -> None:
    token = _as_anna(client)
    assert client.get(f"/api/patients/{2**31 - 1}", headers=token).status_code == 404
    assert client.post("/api/programs/999999/approve", headers=token).status_code == 404


def test_a_nul_character_is_a_422_wherever_it_is_sent(client: TestClient, cast: Cast) -> None:
    token = _as_anna(client)
    json_body = client.post("/api/patients", json={"display_name": "Nul\u0000Name"}, headers=token)
    form = client.post("/patients", data={"display_name": "Nul\x00Name", "csrf_token": token["X-CSRF-Token"]})
    query = client.get("/patients?q=a%00b")
    for response in (json_body, form, query):
        assert response.status_code == 422, response.text
        assert "NUL" in response.text
    assert client.get("/api/patients", headers=token).json() == [] or "Nul" not in client.get("/patients").text


def test_a_backslash_before_u0000_is_text_not_a_nul(client: TestClient, cast: Cast) -> None:
    token = _as_anna(client)
    response = client.post("/api/patients", json={"display_name": "C:\\u0000 folder"}, headers=token)
    assert response.status_code == 201
    assert response.json()["display_name"] == "C:\\u0000 folder"


def test_a_blank_reference_twice_is_no_reference(client: TestClient, cast: Cast) -> None:
    token = _as_anna(client)
    for name in ("First Blank", "Second Blank"):
        response = client.post("/api/patients", json={"display_name": name, "external_ref": " "}, headers=token)
        assert response.status_code == 201, response.text
        assert response.json()["external_ref"] is None
    page = client.post(
        "/patients", data={"display_name": "Third Blank", "external_ref": "", "csrf_token": token["X-CSRF-Token"]}
    )
    assert page.status_code == 303


def test_a_body_over_the_limit_is_a_413(client: TestClient, cast: Cast) -> None:
    token = _as_anna(client)
    response = client.post("/api/patients", json={"display_name": "x" * 2_000_000}, headers=token)
    assert response.status_code == 413
    assert "too large" in _messages(response)
    chunks = (b'{"display_name": "' + b"x" * 65_536 for _ in range(40))  # no Content-Length: counted as read
    streamed = client.post("/api/patients", content=chunks, headers={**token, "Content-Type": "application/json"})
    assert streamed.status_code == 413
    assert "too large" in _messages(streamed)


def test_a_session_dated_the_year_1_is_a_422(patient: TestClient, story: Story) -> None:
    entry = {"exercise_id": story.items_on("Mon")[0], "done": True, "sets": 2, "pain_during": 1}
    for day in ("0001-01-01", "1900-01-01"):
        response = api_post(patient, "/api/me/logs", {"performed_on": day, "entries": [entry]})
        assert response.status_code == 422, response.text
        assert [e["path"] for e in response.json()["errors"]] == ["body.performed_on"]
        assert "last year" in _messages(response)


def test_a_login_with_a_nul_is_refused_not_failed(client: TestClient, cast: Cast) -> None:
    token = csrf_of(client.get("/login"))
    response = client.post("/login", data={"email": "anna@clinic.test\x00", "password": "x", "csrf_token": token})
    assert response.status_code == 422
