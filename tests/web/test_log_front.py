"""The front of logging a session: a patient's valid ``POST /api/me/logs`` is answered before routing, as
the route answers it; anything else goes on to the app with its body."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from rebalance.storage.types import SafetyLevel
from rebalance.web import log_front
from rebalance.web.log_front import SessionLogFront
from tests.web.conftest import Cast, email
from tests.web.helpers import sign_in, through_front
from tests.web.patient_story import MONDAY, Story, add_check_in, patient, set_today, stored_logs, story

__all__ = ["patient", "story"]  # the fixtures


def post(
    app: FastAPI, client: TestClient, body: bytes, *, csrf: str | bool = True, path: str = log_front.PATH
) -> dict[str, Any]:
    """One request to the front alone, with ``client``'s cookies and a CSRF header (``csrf``: the session's
    token if True, none if False): what it answered, or (``handed``) the body the app was handed."""
    token = client.get("/api/me").json()["csrf_token"] if csrf is True else csrf
    cookie = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
    headers = [(b"content-type", b"application/json"), (b"cookie", cookie.encode())]
    headers += [(b"x-csrf-token", token.encode())] if isinstance(token, str) else []
    return through_front(SessionLogFront, app, "POST", path, headers, body)


def _body(story: Story, **entry: Any) -> bytes:
    done = {"exercise_id": story.items_on("Mon")[0], "done": True, "sets": 2, "pain_during": 2, **entry}
    return json.dumps({"entries": [done]}).encode()


def test_a_patients_session_is_logged_before_routing(
    app: FastAPI, cast: Cast, story: Story, patient: TestClient
) -> None:
    answer = post(app, patient, _body(story))
    assert answer["routed"] is False
    assert answer["status"] == 201 and answer["headers"][b"content-type"] == b"application/json"
    saved = json.loads(answer["body"])
    (stored,) = stored_logs(app, cast)
    assert saved["log"]["id"] == stored.id and saved["log"]["performed_on"] == MONDAY.isoformat()
    assert [f["exercise_id"] for f in saved["feedback"]] == [story.items_on("Mon")[0]]
    assert saved["next_morning_for"] is None


def test_it_answers_what_the_route_answers(
    app: FastAPI, story: Story, patient: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same JSON for the same session (the log's id and time of storing aside), and the same refusals,
    by the app's own handlers: an exercise not in the program (422, with its field), a stopped program (409)."""
    through_front = post(app, patient, _body(story))
    monkeypatch.setattr(log_front, "PATH", "/not-taken")  # the front passes everything on: the route answers
    through_route = patient.post("/api/me/logs", content=_body(story), headers=_headers(patient))
    assert through_route.status_code == through_front["status"] == 201
    front, route = json.loads(through_front["body"]), through_route.json()
    for saved in (front, route):
        del saved["log"]["id"], saved["log"]["created_at"]
        for said in saved["feedback"]:
            said.pop("sessions")  # the second session counts the first
    assert front == route

    refusals = [_body(story, exercise_id="not_in_the_program")]
    monkeypatch.setattr(log_front, "PATH", "/api/me/logs")
    answers = [post(app, patient, body) for body in refusals]
    monkeypatch.setattr(log_front, "PATH", "/not-taken")
    routed = [patient.post("/api/me/logs", content=body, headers=_headers(patient)) for body in refusals]
    assert [(a["status"], json.loads(a["body"])) for a in answers] == [(r.status_code, r.json()) for r in routed]
    assert answers[0]["status"] == 422
    assert json.loads(answers[0]["body"])["errors"][0]["path"] == "body.entries[0].exercise_id"


def test_a_stopped_program_is_refused_by_the_apps_handler(
    app: FastAPI, cast: Cast, story: Story, patient: TestClient
) -> None:
    add_check_in(app, cast, MONDAY, ["bladder_dysfunction"], SafetyLevel.EMERGENCY)
    answer = post(app, patient, _body(story))
    assert answer["routed"] is False and answer["status"] == 409
    assert "stopped" in json.loads(answer["body"])["errors"][0]["message"]
    assert stored_logs(app, cast) == []


def test_anything_else_goes_on_to_the_app_with_its_body(
    app: FastAPI, cast: Cast, story: Story, patient: TestClient, client: TestClient
) -> None:
    """Nothing is stored before it goes on: the app answers as it always did (401, 403, 422 naming the field)."""
    valid = _body(story)
    out_of_range = _body(story, pain_during=11)
    assert post(app, patient, out_of_range)["handed"] == out_of_range  # the app's 422 names the field
    assert post(app, patient, valid, csrf=False)["handed"] == valid  # no CSRF token: the app's 403
    assert post(app, patient, valid, csrf="not-the-sessions")["handed"] == valid
    assert post(app, patient, valid, path="/api/me/check-ins")["handed"] == valid
    assert stored_logs(app, cast) == []
    patient.cookies.clear()
    assert post(app, patient, valid, csrf=False)["handed"] == valid  # signed out: the app's 401
    assert sign_in(client, email("anna")).status_code == 303
    assert post(app, client, valid)["handed"] == valid  # a clinician: the app's 403
    assert stored_logs(app, cast) == []


def test_through_the_whole_app_its_answers_are_the_apps(story: Story, patient: TestClient) -> None:
    """The outer middlewares' headers, and the app's answers to what the front passes on."""
    logged = patient.post("/api/me/logs", content=_body(story), headers=_headers(patient))
    assert logged.status_code == 201 and logged.headers["cache-control"] == "no-store"
    assert "content-security-policy" in logged.headers
    refused = patient.post("/api/me/logs", content=_body(story, pain_during=11), headers=_headers(patient))
    assert refused.status_code == 422
    assert [e["path"] for e in refused.json()["errors"]] == ["body.entries[0].pain_during"]
    unsigned = patient.post("/api/me/logs", content=_body(story), headers={"content-type": "application/json"})
    assert unsigned.status_code == 403


def _headers(client: TestClient) -> dict[str, str]:
    return {"X-CSRF-Token": client.get("/api/me").json()["csrf_token"], "content-type": "application/json"}


def test_the_day_is_the_apps_today(app: FastAPI, cast: Cast, story: Story, patient: TestClient) -> None:
    """The ``today`` dependency, overridden by the app (as tests do), decides the session's day."""
    set_today(app, MONDAY + dt.timedelta(days=2))
    answer = post(app, patient, _body(story))
    assert answer["status"] == 201
    assert [log.performed_on for log in stored_logs(app, cast)] == [MONDAY + dt.timedelta(days=2)]
