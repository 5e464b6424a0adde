"""Invitations: a clinician invites their patient; the link activates the patient's account once, within seven
days, for the invited email; a newer link ends the older ones; an activated account is never invited again."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from rebalance.storage.db import session_scope
from rebalance.storage.repos import patients, users
from rebalance.storage.schemas import PatientCreate, UserCreate
from rebalance.storage.tables import AuditEvent, Invitation
from rebalance.storage.types import AuditAction, Role, utc_now
from rebalance.web.security import token_hash
from tests.web.conftest import Cast, email, web
from tests.web.helpers import csrf_of, sign_in

NEW_PASSWORD = "a quiet walk in the park"  # noqa: S105 - a test password


def _invite(client: TestClient, patient: int, address: str) -> Any:
    token = client.get("/api/me").json()["csrf_token"]
    return client.post(f"/api/patients/{patient}/invitations", json={"email": address}, headers={"X-CSRF-Token": token})


def _newcomer(app: FastAPI, cast: Cast) -> int:
    """A new patient of Anna's, who has no account yet."""
    with session_scope(web(app).session_factory) as db:
        return patients.create_patient(db, cast.anna, PatientCreate(display_name="Nia Newcomer")).id


def _link(app: FastAPI, cast: Cast, address: str = "newcomer@clinic.test", patient: int | None = None) -> str:
    """An invitation link made by Anna for a new patient of hers (who has no user yet), or for ``patient``."""
    patient = _newcomer(app, cast) if patient is None else patient
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
    newcomer = _newcomer(app, cast)
    sign_in(client, email("anna"))
    response = _invite(client, newcomer, "Nia@Clinic.test")
    assert response.status_code == 201
    body = response.json()
    assert body["email"] == "nia@clinic.test"
    assert body["patient_id"] == newcomer
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


def test_a_patient_who_activated_their_account_is_never_invited_again(
    app: FastAPI, client: TestClient, cast: Cast
) -> None:
    """A new link for an activated patient, sent to any address, would let whoever opens it set their
    password and sign in as them."""
    sign_in(client, email("anna"))
    for address in (email("a1"), "stranger@elsewhere.test"):
        refused = _invite(client, cast.patient_a1, address)
        assert refused.status_code == 409
        assert "url" not in refused.json()
    client.cookies.clear()
    assert sign_in(client, email("a1")).status_code == 303  # their own password still works


def test_the_patient_page_offers_an_invitation_only_to_a_patient_without_an_account(
    app: FastAPI, client: TestClient, cast: Cast
) -> None:
    """A1 signs in already: their page says as whom, and offers no link; a newcomer's page offers one."""
    newcomer = _newcomer(app, cast)
    sign_in(client, email("anna"))
    active = client.get(f"/patients/{cast.patient_a1}").text
    assert f"signs in to the app as {email('a1')}" in active and "Make an invitation link" not in active
    fresh = client.get(f"/patients/{newcomer}").text
    assert "Make an invitation link" in fresh and "signs in to the app as" not in fresh


def test_an_account_made_without_a_password_is_activated_only_for_its_own_email(
    app: FastAPI, client: TestClient, cast: Cast
) -> None:
    newcomer = _newcomer(app, cast)
    with session_scope(web(app).session_factory) as db:
        data = UserCreate(
            email="nia@clinic.test", display_name="Nia", role=Role.PATIENT, clinician_id=cast.anna, patient_id=newcomer
        )
        account = users.create_user(db, cast.anna, data).id
    sign_in(client, email("anna"))
    elsewhere = _invite(client, newcomer, "someone.else@clinic.test")
    assert elsewhere.status_code == 409 and "nia@clinic.test" in elsewhere.text
    client.cookies.clear()
    link = _link(app, cast, "nia@clinic.test", patient=newcomer)
    assert _accept(client, link).status_code == 303
    assert client.get("/api/me").json()["id"] == account


def test_a_newer_invitation_ends_the_older_links(app: FastAPI, client: TestClient, cast: Cast) -> None:
    newcomer = _newcomer(app, cast)
    older = _link(app, cast, "nia@clinic.test", patient=newcomer)
    newer = _link(app, cast, "nia@clinic.test", patient=newcomer)
    assert client.get(older).status_code == 404
    assert _accept(client, older).status_code == 404
    assert _accept(client, newer).status_code == 303


def test_the_link_is_made_from_the_public_address_never_the_host_header(
    app: FastAPI, client: TestClient, cast: Cast
) -> None:
    newcomer = _newcomer(app, cast)
    sign_in(client, email("anna"))
    token = client.get("/api/me").json()["csrf_token"]
    response = client.post(
        f"/api/patients/{newcomer}/invitations",
        json={"email": "nia@clinic.test"},
        headers={"X-CSRF-Token": token, "Host": "attacker.example", "X-Forwarded-Host": "attacker.example"},
    )
    assert response.status_code == 201
    assert response.json()["url"].startswith(f"{web(app).settings.public_url}/invite/")
    assert "attacker" not in response.text


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
