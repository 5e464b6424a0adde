"""Signing in and out: Argon2id, the session cookie, rotation, expiry, rate limits. SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from rebalance.config import Settings
from rebalance.storage.db import session_scope
from rebalance.storage.tables import AuditEvent, LoginAttempt, User, WebSession
from rebalance.storage.types import AuditAction, utc_now
from rebalance.web.security import Passwords
from tests.web.conftest import PASSWORD, Cast, age_sessions, email, web
from tests.web.helpers import csrf_of, session_cookie, sign_in


@pytest.fixture
def web_url(db_url: str) -> str:
    """This module runs on both databases."""
    return db_url


def _rows(app: FastAPI, query):  # type: ignore[no-untyped-def]
    with session_scope(web(app).session_factory) as db:
        return db.execute(query).all()


def _age_attempts(app: FastAPI, by: dt.timedelta) -> None:
    with session_scope(web(app).session_factory) as db:
        for attempt in db.scalars(select(LoginAttempt)):
            attempt.at = attempt.at - by


# signing in


def test_a_clinician_signs_in_and_lands_on_their_start_page(client: TestClient, cast: Cast) -> None:
    response = sign_in(client, email("anna"))
    assert (response.status_code, response.headers["location"]) == (303, "/")
    assert client.get("/").headers["location"] == "/patients"
    page = client.get("/patients")
    assert page.status_code == 200
    assert "Anna" in page.text
    assert "clinician" in page.text
    assert client.get("/api/me").json()["role"] == "clinician"


def test_an_admin_lands_on_the_clinicians_page(client: TestClient, cast: Cast) -> None:
    sign_in(client, email("admin"))
    assert client.get("/").headers["location"] == "/admin/clinicians"


def test_a_wrong_password_and_an_unknown_email_are_refused_alike(app: FastAPI, client: TestClient, cast: Cast) -> None:
    wrong = sign_in(client, email("anna"), "not the password")
    unknown = sign_in(client, "nobody@clinic.test", PASSWORD)
    assert wrong.status_code == unknown.status_code == 400
    assert "The email or the password is not right." in wrong.text
    assert "The email or the password is not right." in unknown.text
    assert session_cookie(wrong) is None
    events = _rows(app, select(AuditEvent.user_id, AuditEvent.action).order_by(AuditEvent.id))
    assert (cast.anna, AuditAction.LOGIN_FAILED) in events
    assert (None, AuditAction.LOGIN_FAILED) in events


def test_an_unknown_email_costs_a_password_check_too(
    app: FastAPI, client: TestClient, cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Spy:
        def __init__(self, inner: Any) -> None:
            self.inner, self.checked = inner, []

        def verify(self, hash: str, password: str) -> bool:
            self.checked.append(hash)
            return bool(self.inner.verify(hash, password))

    spy = Spy(web(app).passwords.hasher)
    monkeypatch.setattr(web(app).passwords, "hasher", spy)
    sign_in(client, "nobody@clinic.test", PASSWORD)
    assert len(spy.checked) == 1  # a dummy hash, checked like a real one
    assert spy.checked[0].startswith("$argon2id$")


def test_a_successful_login_is_audited(app: FastAPI, client: TestClient, cast: Cast) -> None:
    sign_in(client, email("ben"))
    assert (cast.ben, AuditAction.LOGIN) in _rows(app, select(AuditEvent.user_id, AuditEvent.action))


def test_the_next_page_is_followed_only_within_the_site(client: TestClient, cast: Cast) -> None:
    assert sign_in(client, email("admin"), next="/admin/clinicians").headers["location"] == "/admin/clinicians"
    for elsewhere in ("//evil.example/", "https://evil.example/", "/\\evil.example", "/\t/evil.example", "/login"):
        client.cookies.clear()
        assert sign_in(client, email("admin"), next=elsewhere).headers["location"] == "/"


# passwords


def test_passwords_are_hashed_with_argon2id_and_rfc_9106_parameters_by_default() -> None:
    passwords = Passwords(Settings())
    hashed = passwords.hash("a password")
    assert hashed.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert passwords.verify(hashed, "a password")
    assert not passwords.verify(hashed, "another password")
    assert not passwords.verify(None, "a password")
    assert not passwords.verify("not a hash", "a password")


def test_stored_passwords_are_argon2id_hashes(app: FastAPI, cast: Cast) -> None:
    hashes = [h for (h,) in _rows(app, select(User.password_hash))]
    assert hashes
    assert all(h.startswith("$argon2id$") for h in hashes)
    assert PASSWORD not in str(hashes)


def test_a_hash_made_with_other_parameters_is_replaced_at_login(app: FastAPI, client: TestClient, cast: Cast) -> None:
    old = Passwords(Settings(argon2_time_cost=2, argon2_memory_kib=512, argon2_parallelism=1)).hash(PASSWORD)
    with session_scope(web(app).session_factory) as db:
        db.execute(update(User).where(User.id == cast.anna).values(password_hash=old))
    assert sign_in(client, email("anna")).status_code == 303
    [(new,)] = _rows(app, select(User.password_hash).where(User.id == cast.anna))
    assert new != old
    assert not web(app).passwords.needs_rehash(new)


# the session cookie


def test_the_session_cookie_is_httponly_samesite_lax_path_root(client: TestClient, cast: Cast) -> None:
    cookie = session_cookie(sign_in(client, email("anna")))
    assert cookie is not None
    attributes = [part.strip().lower() for part in cookie.split(";")]
    assert "httponly" in attributes
    assert "samesite=lax" in attributes
    assert "path=/" in attributes
    assert "secure" not in attributes  # plain http in the test
    assert f"max-age={7 * 24 * 3600}" in attributes


def test_the_session_cookie_is_secure_over_https(app: FastAPI, cast: Cast) -> None:
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as https:
        cookie = session_cookie(sign_in(https, email("anna")))
    assert cookie is not None
    assert "secure" in [part.strip().lower() for part in cookie.split(";")]


def test_the_database_keeps_only_the_hash_of_the_session_token(app: FastAPI, client: TestClient, cast: Cast) -> None:
    sign_in(client, email("anna"))
    token = client.cookies["rebalance_session"]
    [(stored,)] = _rows(app, select(WebSession.token_hash))
    assert stored == hashlib.sha256(token.encode()).hexdigest()
    assert token not in stored


def test_signing_in_again_rotates_the_session(app: FastAPI, client: TestClient, cast: Cast) -> None:
    sign_in(client, email("anna"))
    first = client.cookies["rebalance_session"]
    sign_in(client, email("anna"))  # signed in already: a new token, the old one deleted
    second = client.cookies["rebalance_session"]
    assert second != first
    assert len(_rows(app, select(WebSession.id))) == 1
    client.cookies.clear()
    client.cookies.set("rebalance_session", first)
    assert client.get("/api/me").status_code == 401


def test_logout_ends_the_session(app: FastAPI, client: TestClient, cast: Cast) -> None:
    sign_in(client, email("anna"))
    token = client.cookies["rebalance_session"]
    page = client.get("/patients")
    response = client.post("/logout", data={"csrf_token": csrf_of(page)})
    assert (response.status_code, response.headers["location"]) == (303, "/login")
    assert 'rebalance_session=""' in response.headers["set-cookie"]
    assert _rows(app, select(WebSession.id)) == []
    client.cookies.clear()
    client.cookies.set("rebalance_session", token)  # a copy of the old cookie is worth nothing
    assert client.get("/api/me").status_code == 401


def test_an_idle_session_expires_after_eight_hours(app: FastAPI, client: TestClient, cast: Cast) -> None:
    sign_in(client, email("anna"))
    age_sessions(app, last_seen_at=utc_now() - dt.timedelta(hours=7, minutes=59))
    assert client.get("/api/me").status_code == 200  # and it is marked seen now
    age_sessions(app, last_seen_at=utc_now() - dt.timedelta(hours=8, minutes=1))
    assert client.get("/api/me").status_code == 401
    sign_in(TestClient(app), email("ben"))  # any login purges expired sessions
    assert [user for (user,) in _rows(app, select(WebSession.user_id))] == [cast.ben]


def test_a_session_ends_seven_days_after_login_however_active(app: FastAPI, client: TestClient, cast: Cast) -> None:
    sign_in(client, email("anna"))
    [(expires_at,)] = _rows(app, select(WebSession.expires_at))
    assert dt.timedelta(days=6, hours=23) < expires_at - utc_now() <= dt.timedelta(days=7)
    age_sessions(app, expires_at=utc_now() - dt.timedelta(seconds=1))
    assert client.get("/api/me").status_code == 401


def test_a_deactivated_users_session_ends(app: FastAPI, client: TestClient, cast: Cast) -> None:
    sign_in(client, email("a1"))
    with session_scope(web(app).session_factory) as db:
        db.execute(update(User).where(User.id == cast.user_a1).values(active=False))
    assert client.get("/api/me").status_code == 401


# signed out, or the wrong role


def test_a_signed_out_page_request_goes_to_login_and_comes_back(client: TestClient, cast: Cast) -> None:
    response = client.get("/admin/clinicians?done=created")
    assert (response.status_code, response.headers["location"]) == (
        303,
        "/login?next=/admin/clinicians%3Fdone%3Dcreated",
    )
    login = client.get(response.headers["location"])
    assert 'name="next" value="/admin/clinicians?done=created"' in login.text


def test_a_signed_out_api_request_gets_401_json(client: TestClient) -> None:
    response = client.get("/api/me")
    assert response.status_code == 401
    assert response.json() == {"errors": [{"path": "", "message": "Sign in first."}]}


def test_a_signed_out_htmx_request_is_told_where_to_sign_in(client: TestClient) -> None:
    response = client.get("/admin/clinicians", headers={"HX-Request": "true"})
    assert (response.status_code, response.headers["hx-redirect"]) == (401, "/login?next=/admin/clinicians")


def test_a_patient_on_an_admin_page_gets_a_friendly_403(client: TestClient, cast: Cast) -> None:
    sign_in(client, email("a1"))
    response = client.get("/admin/clinicians")
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("text/html")
    assert "You do not have access to this." in response.text
    assert "Patient A1" in response.text  # the header still shows who is signed in
    assert "Traceback" not in response.text


# rate limits


def test_five_failures_for_one_email_block_it_with_429_and_retry_after(client: TestClient, cast: Cast) -> None:
    for _ in range(5):
        assert sign_in(client, email("anna"), "wrong password").status_code == 400
    blocked = sign_in(client, email("anna"))  # even the right password, while blocked
    assert blocked.status_code == 429
    assert 14 * 60 < int(blocked.headers["retry-after"]) <= 15 * 60
    assert "Too many attempts. Try again in 15 minutes." in blocked.text
    assert sign_in(client, email("ben")).status_code == 303  # another email is not blocked


def test_the_block_lifts_when_the_failures_leave_the_window(app: FastAPI, client: TestClient, cast: Cast) -> None:
    for _ in range(5):
        sign_in(client, email("anna"), "wrong password")
    assert sign_in(client, email("anna")).status_code == 429
    _age_attempts(app, dt.timedelta(minutes=15, seconds=1))
    assert sign_in(client, email("anna")).status_code == 303


def test_a_successful_login_resets_the_email_count(client: TestClient, cast: Cast) -> None:
    for _ in range(4):
        sign_in(client, email("anna"), "wrong password")
    assert sign_in(client, email("anna")).status_code == 303
    for _ in range(4):
        assert sign_in(client, email("anna"), "wrong password").status_code == 400
    assert sign_in(client, email("anna")).status_code == 303


def test_twenty_failures_from_one_address_block_it(client: TestClient, cast: Cast) -> None:
    for n in range(20):
        assert sign_in(client, f"guess{n}@clinic.test", "wrong password").status_code == 400
    blocked = sign_in(client, email("anna"))
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) > 0


def test_the_limits_count_in_the_database_so_every_process_sees_them(settings: Settings, cast: Cast) -> None:
    from rebalance.web.app import create_app

    first, second = create_app(settings), create_app(settings)  # two processes' worth of app
    with TestClient(first, follow_redirects=False) as one, TestClient(second, follow_redirects=False) as two:
        for n in range(5):
            assert sign_in(one if n % 2 else two, email("anna"), "wrong password").status_code == 400
        assert sign_in(one, email("anna")).status_code == 429
        assert sign_in(two, email("anna")).status_code == 429


def test_a_locked_email_still_signs_in_from_an_address_that_has_not_failed(settings: Settings, cast: Cast) -> None:
    """A stranger's guesses lock the email for the stranger's address only: the real user is not locked out.
    (Behind a trusted proxy: the client's address is the one it forwards.)"""
    from rebalance.web.app import create_app

    app = create_app(settings.model_copy(update={"trusted_proxies": ["testclient"]}))
    with TestClient(app, follow_redirects=False) as client:
        stranger, owner = {"X-Forwarded-For": "203.0.113.7"}, {"X-Forwarded-For": "198.51.100.20"}
        client.headers.update(stranger)
        for _ in range(5):
            assert sign_in(client, email("anna"), "wrong password").status_code == 400
        assert sign_in(client, email("anna")).status_code == 429
        client.cookies.clear()
        client.headers.update(owner)
        assert sign_in(client, email("anna")).status_code == 303


def test_a_forwarded_address_is_not_believed_from_a_client_that_is_no_trusted_proxy(
    client: TestClient, cast: Cast
) -> None:
    """By default no proxy is trusted: rotating X-Forwarded-For does not get around the limits."""
    for n in range(5):
        client.headers["X-Forwarded-For"] = f"203.0.113.{n}"
        assert sign_in(client, email("anna"), "wrong password").status_code == 400
    client.headers["X-Forwarded-For"] = "198.51.100.99"
    assert sign_in(client, email("anna")).status_code == 429


def test_parallel_attempts_never_get_past_the_limit(app: FastAPI, cast: Cast) -> None:
    """Twelve wrong passwords for one email at the same moment: five are checked, seven refused (429)."""
    clients = [TestClient(app, follow_redirects=False) for _ in range(12)]
    forms = []
    for client in clients:
        client.__enter__()
        forms.append(
            {"email": email("anna"), "password": "wrong password", "csrf_token": csrf_of(client.get("/login"))}
        )
    start = threading.Barrier(len(clients))

    def attempt(n: int) -> int:
        start.wait()
        return int(clients[n].post("/login", data=forms[n]).status_code)

    try:
        with ThreadPoolExecutor(len(clients)) as pool:
            statuses = sorted(pool.map(attempt, range(len(clients))))
    finally:
        for client in clients:
            client.__exit__(None, None, None)
    assert statuses == [400] * 5 + [429] * 7
    assert len(_rows(app, select(LoginAttempt.id))) == 5
