"""Errors: JSON with field paths under /api, friendly pages elsewhere, 500 with an error id and never a stack trace.

A few probe routes are added to the app here, to raise each kind of error the way a route would.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from rebalance.api import analyse_document
from rebalance.config import Settings
from rebalance.errors import InvalidInputError, NotFoundError, Problem
from rebalance.web.app import create_app
from tests.web.conftest import empty_tables

SECRET = "secret detail: the database password is hunter2"  # noqa: S105 - must never be shown


class Location(BaseModel):
    region: str


class Symptoms(BaseModel):
    pain_now: int = Field(ge=0, le=10)
    locations: list[Location]


class Report(BaseModel):
    symptoms: Symptoms


def _probes(app: FastAPI) -> None:
    def symptoms(body: Report) -> dict[str, str]:
        return {"ok": "yes"}

    def assess(body: dict[str, Any]) -> dict[str, Any]:
        return analyse_document(body)

    def boom() -> None:
        raise RuntimeError(SECRET)

    def missing() -> None:
        raise NotFoundError("patient", 42)

    def invalid_page() -> None:
        raise InvalidInputError([Problem("case.yaml", "symptoms.pain_now", "expected 0 to 10, got 11")])

    app.add_api_route("/api/probe/symptoms", symptoms, methods=["POST"])
    app.add_api_route("/api/probe/assess", assess, methods=["POST"])
    app.add_api_route("/api/probe/boom", boom)
    app.add_api_route("/probe/boom", boom)
    app.add_api_route("/api/probe/missing", missing)
    app.add_api_route("/probe/invalid", invalid_page)


@pytest.fixture
def app(settings: Settings) -> Iterator[FastAPI]:
    app = create_app(settings)
    _probes(app)
    yield app
    app.state.engine.dispose()
    empty_tables(settings.database_url)


def _csrf(client: TestClient) -> dict[str, str]:
    client.get("/login")  # the signed-out CSRF cookie
    return {"X-CSRF-Token": client.cookies["rebalance_csrf"]}


def test_invalid_json_fields_are_422_with_their_field_paths(client: TestClient) -> None:
    body = {"symptoms": {"pain_now": 11, "locations": [{"region": 5}]}}
    response = client.post("/api/probe/symptoms", json=body, headers=_csrf(client))
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert [e["path"] for e in errors] == ["body.symptoms.pain_now", "body.symptoms.locations[0].region"]
    assert errors[0]["message"] == "must be 10 or less, got 11"  # in plain words, as the CLI's and the forms'
    assert all(e["message"] for e in errors)
    assert set(response.json()) == {"errors"}


def test_malformed_json_is_a_422_too(client: TestClient) -> None:
    headers = {**_csrf(client), "content-type": "application/json"}
    response = client.post("/api/probe/symptoms", content=b'{"symptoms": ', headers=headers)
    assert response.status_code == 422
    assert response.json()["errors"][0]["path"].startswith("body")


def test_an_invalid_assessment_is_a_422_with_file_path_and_message_for_every_problem(client: TestClient) -> None:
    case = {"schema": "rebalance.assessment/1", "date": "2026-02-30", "client": {"age": 400}, "symptoms": {}}
    response = client.post("/api/probe/assess", json=case, headers=_csrf(client))
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert len(errors) > 1  # every problem at once
    assert all(set(e) == {"file", "path", "message"} for e in errors)
    assert {"date", "client.age"} <= {e["path"] for e in errors}


def test_an_invalid_input_on_a_page_lists_the_problems(client: TestClient) -> None:
    response = client.get("/probe/invalid")
    assert response.status_code == 422
    assert "<code>symptoms.pain_now</code>: expected 0 to 10, got 11" in response.text


def test_a_missing_record_is_a_404_in_json(client: TestClient) -> None:
    response = client.get("/api/probe/missing")
    assert response.status_code == 404
    assert response.json() == {
        "errors": [{"path": "", "message": "There is no such record, or it is not yours to see."}]
    }


def test_an_unknown_path_is_a_404_json_under_api_and_a_page_elsewhere(client: TestClient) -> None:
    assert client.get("/api/nothing/here").json() == {"errors": [{"path": "", "message": "Not Found"}]}
    page = client.get("/nothing/here")
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "<h1>Not found</h1>" in page.text


def test_a_wrong_method_is_a_405_with_allow(client: TestClient) -> None:
    response = client.delete("/api/me", headers=_csrf(client))
    assert response.status_code == 405
    assert response.headers["allow"] == "GET"
    assert response.json()["errors"][0]["message"] == "Method Not Allowed"


def test_an_unexpected_error_is_a_500_with_an_error_id_and_no_stack_trace(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="rebalance.web"):
        response = client.get("/api/probe/boom")
    assert response.status_code == 500
    body = response.json()
    error_id = body["error_id"]
    assert body["errors"] == [
        {
            "path": "",
            "message": f"Something went wrong on our side. If it happens again, quote error id {error_id}.",
        }
    ]
    assert SECRET not in response.text
    assert "Traceback" not in response.text
    logged = [r for r in caplog.records if error_id in r.getMessage()]
    assert logged
    assert logged[0].exc_info is not None  # the traceback goes to the log, with the id
    assert SECRET in str(logged[0].exc_info[1])


def test_an_unexpected_error_on_a_page_is_a_friendly_500_page(client: TestClient) -> None:
    response = client.get("/probe/boom")
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("text/html")
    assert "Something went wrong" in response.text
    assert "Error id:" in response.text
    assert SECRET not in response.text
    assert "Traceback" not in response.text
    assert response.headers["x-content-type-options"] == "nosniff"  # the error answer has the headers too


def test_every_answer_carries_the_security_headers(client: TestClient) -> None:
    page = client.get("/login")
    assert page.headers["content-security-policy"].startswith("default-src 'self'; script-src 'self'")
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["referrer-policy"] == "same-origin"
    assert page.headers["cache-control"] == "no-store"
    static = client.get("/static/app.css")
    assert static.status_code == 200
    assert "cache-control" not in static.headers or "no-store" not in static.headers["cache-control"]


def test_a_failed_commit_is_a_500_never_a_success(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """The unit of work commits before the answer is sent (SessionDep's scope="function")."""

    def refuse(self: Session) -> None:
        raise OperationalError("COMMIT", {}, Exception("disk full"))

    monkeypatch.setattr(Session, "commit", refuse)
    response = client.get("/health")  # reads in the request's unit of work (the signed-out login page reads nothing)
    assert response.status_code == 500
    assert "disk full" not in response.text
