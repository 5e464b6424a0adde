"""CSRF: every state-changing route of the app refuses a request without the right token (403).

The routes are enumerated from ``app.routes``: a route added later is covered without touching this file.
"""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from rebalance.config import Settings
from rebalance.web.app import create_app
from rebalance.web.security import SAFE_METHODS
from tests.web.conftest import FAST_HASHING, Cast, email
from tests.web.helpers import csrf_of, route_keys, sign_in

UNSAFE = [
    key
    for key in route_keys(create_app(Settings(database_url="sqlite://", **FAST_HASHING)))
    if key[0] not in SAFE_METHODS
]
IDS = [f"{method} {path}" for method, path in UNSAFE]


def _concrete(path: str) -> str:
    return re.sub(r"{\w+(?::\w+)?}", "1", path)  # the token is checked before anything else


def test_there_are_state_changing_routes_to_check() -> None:
    assert ("POST", "/login") in UNSAFE
    assert ("POST", "/admin/clinicians") in UNSAFE


@pytest.mark.parametrize(("method", "path"), UNSAFE, ids=IDS)
def test_a_signed_in_request_without_the_token_is_refused(
    client: TestClient, cast: Cast, method: str, path: str
) -> None:
    sign_in(client, email("admin"))
    for body in ({"data": {}}, {"json": {}}):
        response = client.request(method, _concrete(path), **body)
        assert response.status_code == 403, (method, path, response.status_code)


@pytest.mark.parametrize(("method", "path"), UNSAFE, ids=IDS)
def test_a_signed_in_request_with_a_wrong_token_is_refused(
    client: TestClient, cast: Cast, method: str, path: str
) -> None:
    sign_in(client, email("anna"))
    right = client.get("/api/me").json()["csrf_token"]
    wrong = right[:-1] + ("A" if right[-1] != "A" else "B")
    assert client.request(method, _concrete(path), data={"csrf_token": wrong}).status_code == 403
    assert client.request(method, _concrete(path), headers={"X-CSRF-Token": wrong}, json={}).status_code == 403


@pytest.mark.parametrize(("method", "path"), UNSAFE, ids=IDS)
def test_a_signed_out_request_without_the_token_is_refused(client: TestClient, method: str, path: str) -> None:
    client.get("/login")  # has the signed-out CSRF cookie, but does not send the token
    assert client.request(method, _concrete(path), data={}).status_code == 403


def test_the_refusal_is_a_page_for_a_form_and_json_for_the_api(client: TestClient, cast: Cast) -> None:
    sign_in(client, email("anna"))
    page = client.post("/logout")
    assert page.headers["content-type"].startswith("text/html")
    assert "This form has expired or came from another site." in page.text
    api = client.post("/api/patients/1/invitations", json={"email": "x@clinic.test"})
    assert api.json()["errors"][0]["message"].startswith("This form has expired")


def test_another_sessions_token_is_refused(app: FastAPI, client: TestClient, cast: Cast) -> None:
    with TestClient(app, follow_redirects=False) as other:
        sign_in(other, email("ben"))
        bens_token = other.get("/api/me").json()["csrf_token"]
    sign_in(client, email("anna"))
    assert client.post("/logout", data={"csrf_token": bens_token}).status_code == 403


def test_the_right_token_passes_in_a_form_or_a_header(client: TestClient, cast: Cast) -> None:
    sign_in(client, email("anna"))
    token = client.get("/api/me").json()["csrf_token"]
    added = client.post("/api/patients", json={"display_name": "Ada Added"}, headers={"X-CSRF-Token": token})
    assert added.status_code == 201
    assert client.post("/logout", data={"csrf_token": token}).status_code == 303


def test_signed_out_forms_use_a_double_submit_cookie(client: TestClient, cast: Cast) -> None:
    page = client.get("/login")
    cookie = client.cookies["rebalance_csrf"]
    assert csrf_of(page) == cookie
    assert "httponly" in page.headers["set-cookie"].lower()
    assert "samesite=lax" in page.headers["set-cookie"].lower()
    credentials = {"email": email("anna"), "password": "wrong"}
    assert client.post("/login", data={**credentials, "csrf_token": "forged"}).status_code == 403
    assert client.post("/login", data={**credentials, "csrf_token": cookie}).status_code == 400
    client.cookies.clear()  # a form posted from another site carries no cookie (SameSite)
    assert client.post("/login", data={**credentials, "csrf_token": cookie}).status_code == 403


def test_every_page_sends_the_token_with_htmx_and_in_the_logout_form(client: TestClient, cast: Cast) -> None:
    sign_in(client, email("admin"))
    token = client.get("/api/me").json()["csrf_token"]
    page = client.get("/admin/clinicians")
    assert f'hx-headers=\'{{"X-CSRF-Token": "{token}"}}\'' in page.text
    assert f'<input type="hidden" name="csrf_token" value="{token}">' in page.text
    assert page.text.count(f'value="{token}"') >= 4  # logout, new clinician, and each clinician's button
