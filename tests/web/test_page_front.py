"""The front of the page cache: a cached today page is answered before routing, with what the route
would have done; anything else goes on to the app."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from rebalance.storage.types import AuditAction, utc_now
from rebalance.web.page_front import CachedPageFront
from tests.web.conftest import Cast, age_sessions, email, last_seen, web
from tests.web.helpers import sign_in, through_front
from tests.web.patient_story import Story, patient, story
from tests.web.test_patient_load import audit_events, last_event_id

__all__ = ["patient", "story"]  # the fixtures


@pytest.fixture
def web_url(db_url: str) -> str:
    """This module runs on both databases (on PostgreSQL the front's lookups are batched: ``sign_ins.py``)."""
    return db_url


def _cookie(client: TestClient) -> str:
    return "; ".join(f"{name}={value}" for name, value in client.cookies.items())


def ask(
    app: FastAPI, cookie: str | None, method: str = "GET", path: str = "/today", query: bytes = b""
) -> dict[str, Any]:
    """One request to the front alone: what it answered (``routed`` when it went on to the app)."""
    headers = [(b"cookie", cookie.encode())] if cookie else []
    return through_front(CachedPageFront, app, method, path, headers, query=query)


def test_a_cached_today_page_is_answered_before_routing(app: FastAPI, story: Story, patient: TestClient) -> None:
    rendered = patient.get("/today")
    assert rendered.status_code == 200
    answer = ask(app, _cookie(patient))
    assert not answer["routed"]
    assert answer["status"] == 200 and answer["body"] == rendered.content
    assert answer["headers"][b"content-type"] == b"text/html; charset=utf-8"
    served = patient.get("/today")  # through the whole app: the outer middlewares' headers too
    assert served.text == rendered.text
    assert served.headers["cache-control"] == "no-store" and "content-security-policy" in served.headers


def test_it_is_audited_and_marks_the_session_seen_as_the_route_would(
    app: FastAPI, cast: Cast, story: Story, patient: TestClient
) -> None:
    patient.get("/today")
    age_sessions(app, last_seen_at=utc_now() - dt.timedelta(minutes=5))
    before = last_event_id(app)
    assert not ask(app, _cookie(patient))["routed"]
    assert last_seen(app) > utc_now() - dt.timedelta(minutes=1)
    events = [e for e in audit_events(app, before) if e.action is AuditAction.READ]
    assert [(e.entity_type, e.entity_id) for e in events] == [
        ("program", story.program.id),
        ("assessment", story.assessment.id),
        ("patient", cast.patient_a1),
    ]
    assert {(e.user_id, e.patient_id) for e in events} == {(cast.user_a1, cast.patient_a1)}


@pytest.mark.parametrize(
    ("method", "path", "query"),
    [("POST", "/today", b""), ("GET", "/log", b""), ("GET", "/today", b"x=1"), ("HEAD", "/today", b"")],
)
def test_other_requests_go_on_to_the_app(
    app: FastAPI, story: Story, patient: TestClient, method: str, path: str, query: bytes
) -> None:
    patient.get("/today")
    assert ask(app, _cookie(patient), method, path, query)["routed"]


def test_a_page_not_cached_or_anyone_but_its_patient_goes_on_to_the_app(
    app: FastAPI, story: Story, patient: TestClient
) -> None:
    patient.get("/today")
    assert not ask(app, _cookie(patient))["routed"]
    assert ask(app, None)["routed"]  # signed out
    assert ask(app, "rebalance_session=forged")["routed"]
    clinician = TestClient(app, follow_redirects=False)
    sign_in(clinician, email("anna"))
    assert ask(app, _cookie(clinician))["routed"]
    other = TestClient(app, follow_redirects=False)
    sign_in(other, email("b1"))
    assert ask(app, _cookie(other))["routed"]  # their own page is not cached yet
    age_sessions(app, last_seen_at=utc_now() - dt.timedelta(hours=9))  # idle too long: signed out
    assert ask(app, _cookie(patient))["routed"]
    web(app).pages.clear()
    assert ask(app, _cookie(patient))["routed"]
