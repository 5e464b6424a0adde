"""The admin manages clinicians: lists, creates, deactivates (who then cannot sign in) and reactivates them."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from rebalance.storage.db import session_scope
from rebalance.storage.tables import AuditEvent
from rebalance.storage.types import AuditAction
from tests.web.conftest import PASSWORD, Cast, email, web
from tests.web.helpers import csrf_of, sign_in

FIRST_PASSWORD = "a long first password"  # noqa: S105 - a test password
SHORT_PASSWORD = "short"  # noqa: S105


def _post(client: TestClient, path: str, **data: str) -> Any:
    token = csrf_of(client.get("/admin/clinicians"))
    return client.post(path, data={**data, "csrf_token": token})


def test_the_admin_sees_every_clinician_with_their_patient_count(client: TestClient, cast: Cast) -> None:
    sign_in(client, email("admin"))
    page = client.get("/admin/clinicians")
    assert page.status_code == 200
    assert "anna@clinic.test" in page.text
    assert "ben@clinic.test" in page.text
    assert "<td>1</td>" in page.text  # each has one patient
    assert "Patient A1" not in page.text  # an admin manages accounts, not patients


def test_the_admin_creates_a_clinician_who_can_sign_in(client: TestClient, cast: Cast) -> None:
    sign_in(client, email("admin"))
    response = _post(
        client, "/admin/clinicians", email="Cleo@Clinic.test", display_name="Cleo", password=FIRST_PASSWORD
    )
    assert (response.status_code, response.headers["location"]) == (303, "/admin/clinicians?done=created")
    page = client.get(response.headers["location"])
    assert "The clinician was created." in page.text
    assert "cleo@clinic.test" in page.text
    client.cookies.clear()
    assert sign_in(client, "cleo@clinic.test", FIRST_PASSWORD).status_code == 303
    assert client.get("/api/me").json()["role"] == "clinician"


def test_a_new_clinician_needs_a_valid_email_a_name_and_a_long_password(client: TestClient, cast: Cast) -> None:
    sign_in(client, email("admin"))
    response = _post(client, "/admin/clinicians", email="not-an-email", display_name="", password=SHORT_PASSWORD)
    assert response.status_code == 422
    assert "Enter an email address such as name@clinic.org." in response.text
    assert "Choose a password of at least 12 characters." in response.text
    assert 'aria-invalid="true"' in response.text
    assert 'value="not-an-email"' in response.text  # what was typed stays (never the password)
    assert 'value="short"' not in response.text


def test_a_taken_email_is_refused(client: TestClient, cast: Cast) -> None:
    sign_in(client, email("admin"))
    response = _post(client, "/admin/clinicians", email=email("anna"), display_name="Anna 2", password=PASSWORD)
    assert response.status_code == 409
    assert "A user with this email already exists." in response.text


def test_a_deactivated_clinician_cannot_sign_in_and_their_sessions_end(
    app: FastAPI, client: TestClient, cast: Cast
) -> None:
    with TestClient(app, follow_redirects=False) as anna:
        sign_in(anna, email("anna"))
        sign_in(client, email("admin"))
        response = _post(client, f"/admin/clinicians/{cast.anna}/deactivate")
        assert (response.status_code, response.headers["location"]) == (303, "/admin/clinicians?done=deactivated")
        assert anna.get("/api/me").status_code == 401  # her open session ended
        anna.cookies.clear()
        assert sign_in(anna, email("anna")).status_code == 400
        _post(client, f"/admin/clinicians/{cast.anna}/activate")
        assert sign_in(anna, email("anna")).status_code == 303
    with session_scope(web(app).session_factory) as db:
        changes = db.execute(
            select(AuditEvent.detail).where(AuditEvent.entity_id == cast.anna, AuditEvent.action == AuditAction.UPDATE)
        ).all()
    assert [detail for (detail,) in changes] == [{"active": False}, {"active": True}]


def test_only_clinicians_are_deactivated_here(client: TestClient, cast: Cast) -> None:
    sign_in(client, email("admin"))
    for user in (cast.user_a1, cast.admin, 999_999):
        assert _post(client, f"/admin/clinicians/{user}/deactivate").status_code == 404


def test_a_clinician_cannot_manage_clinicians(client: TestClient, cast: Cast) -> None:
    sign_in(client, email("anna"))
    token = client.get("/api/me").json()["csrf_token"]
    assert client.get("/admin/clinicians").status_code == 403
    assert client.post(f"/admin/clinicians/{cast.ben}/deactivate", data={"csrf_token": token}).status_code == 403


def test_names_are_escaped_in_pages(client: TestClient, cast: Cast) -> None:
    sign_in(client, email("admin"))
    _post(
        client, "/admin/clinicians", email="x@clinic.test", display_name="<script>alert(1)</script>", password=PASSWORD
    )
    page = client.get("/admin/clinicians")
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
