"""Invitations: a clinician invites their patient; the link sets a password once, within seven days."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from rebalance.storage.db import session_scope
from rebalance.storage.tables import AuditEvent, Invitation, User
from rebalance.storage.types import AuditAction, utc_now
from rebalance.web.security import token_hash
from tests.web.conftest import Cast, email, web
from tests.web.helpers import csrf_of, sign_in

NEW_PASSWORD = "a quiet walk in the park"  # noqa: S105 - a test password


def _invite(client: TestClient, patient: int, address: str) -> Any:
    token = client.get("/api/me").json()["csrf_token"]
    return client.post(f"/api/patients/{patient}/invitations", json={"email": address}, headers={"X-CSRF-Token": token})


def _link(app: FastAPI, cast: Cast, address: str = "newcomer@clinic.test") -> str:
    """An invitation link made by Anna for a new patient of hers (who has no user yet)."""
    from rebalance.storage import repo
    from rebalance.storage.schemas import PatientCreate

    with session_scope(web(app).session_factory) as db:
        patient = repo.create_patient(db, cast.anna, PatientCreate(display_name="Nia Newcomer")).id
    with TestClient(app, follow_redirects=False) as anna:
        sign_in(anna, email("anna"))
        response = _invite(anna, patient, address)
    assert response.status_code == 201, response.text
    url: str = response.json()["url"]
    return url.removeprefix("http://testserver")


def _accept(client: TestClient, link: str, password: str = NEW_PASSWORD, repeat: str | None = None) -> Any:
    page = client.get(link)
    token = csrf_of(page) if page.status_code == 200 else client.cookies["rebalance_csrf"]  # no form on a dead link
    data = {"password": password, "password_repeat": password if repeat is None else repeat}
    return client.post(link, data={**data, "csrf_token": token})


def test_a_clinician_invites_their_patient_and_gets_the_link_once(app: FastAPI, client: TestClient, cast: Cast) -> None:
    sign_in(client, email("anna"))
    response = _invite(client, cast.patient_a1, "A1.New@Clinic.test")
    assert response.status_code == 201
    body = response.json()
    assert body["email"] == "a1.new@clinic.test"
    assert body["patient_id"] == cast.patient_a1
    assert body["url"].startswith("http://testserver/invite/")
    token = body["url"].rsplit("/", 1)[1]
    with session_scope(web(app).session_factory) as db:
        stored = db.scalars(select(Invitation)).one()
        events = db.scalars(select(AuditEvent.action).where(AuditEvent.entity_type == "invitation")).all()
    assert stored.token_hash == token_hash(token)
    assert token not in stored.token_hash
    assert dt.timedelta(days=6, hours=23) < stored.expires_at - utc_now() <= dt.timedelta(days=7)
    assert events == [AuditAction.CREATE]


def test_the_patient_sets_a_password_and_is_signed_in(app: FastAPI, client: TestClient, cast: Cast) -> None:
    link = _link(app, cast)
    page = client.get(link)
    assert page.status_code == 200
    assert "newcomer@clinic.test" in page.text
    response = _accept(client, link)
    assert (response.status_code, response.headers["location"]) == (303, "/today")
    assert "Your program is on its way" in client.get("/today").text  # nothing published yet
    me = client.get("/api/me").json()
    assert (me["role"], me["email"], me["display_name"]) == ("patient", "newcomer@clinic.test", "Nia Newcomer")
    assert me["clinician_id"] == cast.anna
    client.cookies.clear()
    assert sign_in(client, "newcomer@clinic.test", NEW_PASSWORD).status_code == 303


def test_an_invitation_works_once(app: FastAPI, client: TestClient, cast: Cast) -> None:
    link = _link(app, cast)
    assert _accept(client, link).status_code == 303
    client.cookies.clear()
    again = client.get(link)
    assert again.status_code == 404
    assert "This link does not work" in again.text
    assert _accept(client, link, "another long password").status_code == 404
    client.cookies.clear()
    assert sign_in(client, "newcomer@clinic.test", "another long password").status_code == 400


def test_an_expired_invitation_does_not_work(app: FastAPI, client: TestClient, cast: Cast) -> None:
    link = _link(app, cast)
    with session_scope(web(app).session_factory) as db:
        db.execute(update(Invitation).values(expires_at=utc_now() - dt.timedelta(seconds=1)))
    assert client.get(link).status_code == 404
    assert _accept(client, link).status_code == 404


def test_a_wrong_or_overlong_token_does_not_work(app: FastAPI, client: TestClient, cast: Cast) -> None:
    link = _link(app, cast)
    assert client.get(link[:-1] + ("x" if link[-1] != "x" else "y")).status_code == 404
    assert client.get("/invite/" + "a" * 200).status_code == 422


def test_the_passwords_must_match_and_be_long_enough(app: FastAPI, client: TestClient, cast: Cast) -> None:
    link = _link(app, cast)
    mismatch = _accept(client, link, NEW_PASSWORD, "something else entirely")
    assert mismatch.status_code == 400
    assert "The two passwords are not the same." in mismatch.text
    short = _accept(client, link, "short")
    assert short.status_code == 400
    assert "at least 12 characters" in short.text
    assert _accept(client, link).status_code == 303  # not used up by the failures


def test_an_invitation_to_a_patient_with_a_user_resets_their_password(
    app: FastAPI, client: TestClient, cast: Cast
) -> None:
    sign_in(client, email("anna"))
    link = _invite(client, cast.patient_a1, email("a1")).json()["url"].removeprefix("http://testserver")
    client.cookies.clear()
    assert _accept(client, link).status_code == 303
    assert client.get("/api/me").json()["id"] == cast.user_a1
    with session_scope(web(app).session_factory) as db:
        assert db.scalar(select(User.id).where(User.email == "a1@clinic.test")) == cast.user_a1


def test_a_clinician_cannot_invite_another_clinicians_patient(client: TestClient, cast: Cast) -> None:
    sign_in(client, email("anna"))
    assert _invite(client, cast.patient_b1, "b1.new@clinic.test").status_code == 403


def test_patients_and_admins_do_not_invite(client: TestClient, cast: Cast) -> None:
    for who in ("a1", "admin"):
        client.cookies.clear()
        sign_in(client, email(who))
        assert _invite(client, cast.patient_a1, "someone@clinic.test").status_code == 403


def test_an_email_of_another_user_cannot_be_invited(client: TestClient, cast: Cast) -> None:
    sign_in(client, email("anna"))
    response = _invite(client, cast.patient_a1, email("ben"))
    assert response.status_code == 409
    assert response.json() == {"errors": [{"path": "", "message": "this email already belongs to another user"}]}


def test_an_invalid_email_is_a_422_with_its_path(client: TestClient, cast: Cast) -> None:
    sign_in(client, email("anna"))
    response = _invite(client, cast.patient_a1, "not an email")
    assert response.status_code == 422
    assert [e["path"] for e in response.json()["errors"]] == ["body.email"]
