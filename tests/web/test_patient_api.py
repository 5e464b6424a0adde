"""The patient's JSON API (/api/me/...): the same as the pages, errors as JSON with field paths."""

from __future__ import annotations

import datetime as dt

from fastapi import FastAPI
from fastapi.testclient import TestClient

from rebalance.knowledge.loader import KnowledgeBase
from rebalance.reasoning.safety import check_in_questions, safety_for_flags, stop_message
from rebalance.storage.types import ProgramStatus, SafetyLevel
from tests.web.conftest import Cast, email
from tests.web.helpers import sign_in
from tests.web.patient_story import (
    MONDAY,
    Story,
    add_version,
    api_post,
    log_session,
    patient,
    stored_check_ins,
    stored_logs,
    story,
)

__all__ = ["patient", "story"]  # the fixtures


def all_no(kb: KnowledgeBase) -> dict[str, bool]:
    return {q["id"]: False for q in check_in_questions(kb)}


def test_the_program_is_the_published_version_never_a_draft(
    app: FastAPI, cast: Cast, patient: TestClient, story: Story
) -> None:
    add_version(app, cast, story.assessment, {**story.document, "note": "draft"}, ProgramStatus.DRAFT)
    body = patient.get("/api/me/program").json()
    assert (body["id"], body["version"], body["status"]) == (story.program.id, 1, "published")
    assert body["document"] == story.document


def test_today_as_json(patient: TestClient, story: Story) -> None:
    body = patient.get("/api/me/today").json()
    assert (body["date"], body["weekday"], body["status"]) == ("2026-11-23", "Mon", "exercises")
    assert [i["exercise_id"] for i in body["items"]] == story.items_on("Mon")
    first = body["items"][0]
    assert first["steps"] and first["cues"] and first["mistakes"] and first["start"]
    assert body["check_in_due"] is True


def test_logging_a_session_as_json(app: FastAPI, cast: Cast, patient: TestClient, story: Story) -> None:
    previous = log_session(
        app,
        cast,
        story.program,
        MONDAY - dt.timedelta(days=1),
        [{"exercise_id": "walking", "done": True, "pain_during": 2}],
    )
    body = {
        "entries": [
            {"exercise_id": "walking", "done": True, "sets": 1, "hold_s": 1200, "pain_during": 2, "effort": 4},
            {"exercise_id": "bird_dog", "done": False},
        ],
        "next_morning": {"pain": 3, "stiffness": 2},
    }
    response = api_post(patient, "/api/me/logs", body)
    assert response.status_code == 201, response.text
    saved = response.json()
    assert saved["log"]["performed_on"] == "2026-11-23"
    assert saved["next_morning_for"]["id"] == previous.id
    assert [f["exercise_id"] for f in saved["feedback"]] == ["walking"]
    assert saved["feedback"][0]["decision"] in ("progress", "hold", "regress")
    logs = patient.get("/api/me/logs").json()
    assert [log["performed_on"] for log in logs] == ["2026-11-22", "2026-11-23"]
    assert logs[0]["entries"][0]["pain_next_morning"] == 3


def test_an_invalid_log_is_422_with_every_field_path_and_stores_nothing(
    app: FastAPI, cast: Cast, patient: TestClient, story: Story
) -> None:
    body = {
        "entries": [
            {"exercise_id": "walking", "done": True, "pain_during": 11},
            {"exercise_id": "walking", "done": True, "sets": -1, "pain_during": 1},
            {"exercise_id": "walking", "done": True},
        ]
    }
    response = api_post(patient, "/api/me/logs", body)
    assert response.status_code == 422
    paths = {e["path"] for e in response.json()["errors"]}
    assert paths == {"body.entries[0].pain_during", "body.entries[1].sets", "body.entries[2].pain_during"}
    assert "Traceback" not in response.text
    assert stored_logs(app, cast) == []


def test_a_log_that_breaks_the_programs_rules_is_422_with_its_path(
    app: FastAPI, cast: Cast, patient: TestClient, story: Story
) -> None:
    future = (MONDAY + dt.timedelta(days=1)).isoformat()
    body = {
        "performed_on": future,
        "entries": [{"exercise_id": "front_plank", "done": True, "pain_during": 1}],
        "next_morning": {"pain": 2},
    }
    errors = api_post(patient, "/api/me/logs", body).json()["errors"]
    assert {e["path"] for e in errors} == {"body.performed_on", "body.entries[0].exercise_id", "body.next_morning"}
    assert stored_logs(app, cast) == []


def test_a_check_in_as_json(app: FastAPI, cast: Cast, patient: TestClient, story: Story, kb: KnowledgeBase) -> None:
    status = patient.get("/api/me/check-ins").json()
    assert [q["id"] for q in status["questions"]] == [q["id"] for q in check_in_questions(kb)]
    response = api_post(patient, "/api/me/check-ins", {"answers": all_no(kb) | {"bowel_dysfunction": True}})
    assert response.status_code == 201
    result = response.json()
    expected = safety_for_flags(kb, ["bowel_dysfunction"])
    assert result["result"]["level"] == expected["level"] == "emergency"
    assert result["result"]["message"] == stop_message(kb, ["bowel_dysfunction"])  # as every page says the stop
    assert result["result"]["stops_program"] is True
    assert stored_check_ins(app, cast)[0].level is SafetyLevel.EMERGENCY
    today = patient.get("/api/me/today").json()
    assert (today["status"], today["items"], today["stops"][0]["source"]) == ("stopped", [], "check_in")
    assert (
        api_post(
            patient, "/api/me/logs", {"entries": [{"exercise_id": "walking", "done": True, "pain_during": 1}]}
        ).status_code
        == 409
    )


def test_a_check_in_must_answer_every_question(
    app: FastAPI, cast: Cast, patient: TestClient, story: Story, kb: KnowledgeBase
) -> None:
    answers = all_no(kb)
    del answers["fever"]
    response = api_post(patient, "/api/me/check-ins", {"answers": answers | {"headache": True}})
    assert response.status_code == 422
    paths = {e["path"] for e in response.json()["errors"]}
    assert paths == {"body.answers.fever", "body.answers.headache"}
    assert stored_check_ins(app, cast) == []


def test_signed_out_the_api_answers_401_and_other_roles_403(client: TestClient, cast: Cast, story: Story) -> None:
    for path in ("/api/me/program", "/api/me/today", "/api/me/logs", "/api/me/progress", "/api/me/learn"):
        response = client.get(path)
        assert response.status_code == 401
        assert response.json()["errors"][0]["message"] == "Sign in first."
    sign_in(client, email("anna"))
    assert client.get("/api/me/today").status_code == 403
    assert client.get("/today").status_code == 403


def test_the_openapi_document_describes_the_patients_endpoints(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/api/me/program", "/api/me/today", "/api/me/logs", "/api/me/check-ins", "/api/me/progress"):
        assert path in paths
    post = paths["/api/me/logs"]["post"]
    assert post["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/SessionIn")
    assert post["responses"]["201"]["content"]["application/json"]["schema"]["$ref"].endswith("/SessionSaved")
    assert post["responses"]["422"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorResponse")
    assert "/today" not in paths and "/log" not in paths  # pages stay out of the API document
