"""The clinician's JSON API: the same as the pages, in /openapi.json, errors as JSON with field paths."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from rebalance.api import analyse_document
from rebalance.storage.db import session_scope
from rebalance.storage.repos import assessments
from tests.web.clinician_story import TODAY, api, as_anna, days_ago, example, seed, set_today
from tests.web.conftest import Cast, web

CLINICIAN_PATHS = {
    "/api/patients": {"get", "post"},
    "/api/patients/{patient_id}": {"get"},
    "/api/patients/{patient_id}/progress": {"get"},
    "/api/patients/{patient_id}/assessments": {"post"},
    "/api/assessments/{assessment_id}": {"get"},
    "/api/programs/{program_id}": {"get"},
    "/api/programs/{program_id}/items/{exercise_id}/alternatives": {"get"},
    "/api/programs/{program_id}/items/{exercise_id}/swap": {"post"},
    "/api/programs/{program_id}/items/{exercise_id}/dosage": {"post"},
    "/api/programs/{program_id}/approve": {"post"},
    "/api/programs/{program_id}/publish": {"post"},
}


def paths_of(response: object) -> dict[str, str]:
    body = response.json()  # type: ignore[attr-defined]
    return {e["path"]: e["message"] for e in body["errors"]}


def test_every_endpoint_is_in_the_openapi_document_with_its_response_model(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    for path, methods in CLINICIAN_PATHS.items():
        assert methods <= set(document["paths"][path]), path
        for method in methods:
            operation = document["paths"][path][method]
            assert "clinician" in operation["tags"]
            ok = next(code for code in operation["responses"] if code.startswith("2"))
            assert "$ref" in str(operation["responses"][ok]), (path, method)
            assert "422" in operation["responses"] and "403" in operation["responses"]
    for model in ("PatientSummary", "PatientTimeline", "AssessmentCreated", "ProgressSeries", "Alert", "Alternative"):
        assert model in document["components"]["schemas"], model
    assert "/patients" not in document["paths"]  # the pages are not the API


def test_the_patient_list_carries_the_alerts(app: FastAPI, client: TestClient, cast: Cast) -> None:
    set_today(app)
    seed(app, cast.anna, "Rising Rita", pains=((5, 1), (3, 2), (1, 4)))
    seed(app, cast.ben, "Bens Bella")
    as_anna(client)
    body = client.get("/api/patients").json()
    assert [p["display_name"] for p in body] == ["Patient A1", "Rising Rita"]
    rita = body[1]
    (alert,) = rita["alerts"]
    assert alert["kind"] == "pain_worse" and alert["values"] == [1, 2, 4]
    assert alert["dates"] == [days_ago(5).isoformat(), days_ago(3).isoformat(), days_ago(1).isoformat()]
    assert rita["latest_assessment_id"] is not None and rita["published_program_id"] is not None


def test_a_patient_is_created_and_an_invalid_one_refused_with_paths(client: TestClient, cast: Cast) -> None:
    token = as_anna(client)
    created = api(client, "/api/patients", token, {"display_name": "Api Annie", "birth_year": 1975})
    assert created.status_code == 201 and created.json()["clinician_id"] == cast.anna
    refused = api(client, "/api/patients", token, {"display_name": "", "birth_year": 1800, "shoe_size": 9})
    assert refused.status_code == 422
    assert set(paths_of(refused)) == {"body.display_name", "body.birth_year", "body.shoe_size"}


def test_an_assessment_is_analysed_and_stored_with_a_draft_program(
    app: FastAPI, client: TestClient, cast: Cast
) -> None:
    token = as_anna(client)
    document = example("piriformis_right")
    response = api(client, f"/api/patients/{cast.patient_a1}/assessments?minutes=30", token, document)
    assert response.status_code == 201
    body = response.json()
    assert body["assessment"]["document"] == document
    assert body["assessment"]["analysis"] == analyse_document(example("piriformis_right"), minutes=30)
    assert (body["program"]["status"], body["program"]["version"]) == ("draft", 1)
    assert client.get(f"/api/assessments/{body['assessment']['id']}").json() == body["assessment"]
    assert client.get(f"/api/programs/{body['program']['id']}").json() == body["program"]


def test_an_invalid_assessment_is_422_with_every_field_path_and_stores_nothing(
    app: FastAPI, client: TestClient, cast: Cast
) -> None:
    token = as_anna(client)
    document = example("piriformis_right")
    document["symptoms"]["pain_now"] = 11
    document["tests"]["passive_slr"]["left"]["angle_deg"] = 400
    document["colour"] = "blue"
    response = api(client, f"/api/patients/{cast.patient_a1}/assessments", token, document)
    assert response.status_code == 422
    problems = paths_of(response)
    assert set(problems) == {"body.symptoms.pain_now", "body.tests.passive_slr.left.angle_deg", "body.colour"}
    assert "unknown key" in problems["body.colour"]
    assert "Traceback" not in response.text
    assert (
        api(
            client, f"/api/patients/{cast.patient_a1}/assessments?minutes=2", token, example("piriformis_right")
        ).status_code
        == 422
    )
    assert api(client, f"/api/patients/{cast.patient_a1}/assessments", token, [1, 2]).status_code == 422
    with session_scope(web(app).session_factory) as db:
        assert assessments.patient_assessments(db, cast.anna, cast.patient_a1) == []


def test_an_emergency_assessment_has_no_program(client: TestClient, cast: Cast) -> None:
    token = as_anna(client)
    body = api(client, f"/api/patients/{cast.patient_a1}/assessments", token, example("cauda_equina_emergency")).json()
    assert body["program"] is None and body["assessment"]["safety_level"] == "emergency"


def test_swap_dosage_approve_and_publish(app: FastAPI, client: TestClient, cast: Cast) -> None:
    token = as_anna(client)
    created = api(client, f"/api/patients/{cast.patient_a1}/assessments", token, example("piriformis_right")).json()
    program = created["program"]["id"]
    item = f"/api/programs/{program}/items/lateral_band_walk"
    offered = [a["exercise_id"] for a in client.get(f"{item}/alternatives").json()]
    assert "clamshell" in offered
    swapped = api(client, f"{item}/swap", token, {"new_exercise_id": "clamshell"})
    assert swapped.status_code == 201 and swapped.json()["version"] == 2
    v2 = swapped.json()["id"]
    dosed = api(
        client, f"/api/programs/{v2}/items/clamshell/dosage", token, {"sets": 2, "reps": 12, "days_per_week": 3}
    )
    assert dosed.status_code == 201 and dosed.json()["version"] == 3
    v3 = dosed.json()["id"]
    assert api(client, f"/api/programs/{v3}/approve", token).json()["status"] == "approved"
    assert api(client, f"/api/programs/{v3}/publish", token).json()["status"] == "published"
    assert api(client, f"/api/programs/{v3}/approve", token).status_code == 409


def test_refused_edits_are_422_at_their_path(client: TestClient, cast: Cast) -> None:
    token = as_anna(client)
    created = api(client, f"/api/patients/{cast.patient_a1}/assessments", token, example("piriformis_right")).json()
    program = created["program"]["id"]
    swap = api(
        client, f"/api/programs/{program}/items/lateral_band_walk/swap", token, {"new_exercise_id": "front_plank"}
    )
    assert swap.status_code == 422 and list(paths_of(swap)) == ["body.new_exercise_id"]
    unknown = client.get(f"/api/programs/{program}/items/front_plank/alternatives")
    assert unknown.status_code == 422 and list(paths_of(unknown)) == ["path.exercise_id"]
    dose = api(
        client, f"/api/programs/{program}/items/lateral_band_walk/dosage", token, {"sets": 9, "days_per_week": 5}
    )
    assert dose.status_code == 422
    assert set(paths_of(dose)) == {"body.sets", "body.reps", "body.days_per_week"}
    typed = api(client, f"/api/programs/{program}/items/lateral_band_walk/dosage", token, {"sets": "many"})
    assert typed.status_code == 422 and {"body.sets", "body.days_per_week"} <= set(paths_of(typed))


def test_the_timeline_and_the_progress_series(app: FastAPI, client: TestClient, cast: Cast) -> None:
    set_today(app)
    seed(app, cast.anna, "", assessed=20, pains=((18, 2), (16, 3)), patient=cast.patient_a1)
    seed(app, cast.anna, "", "followup/piriformis_right_week6", assessed=5, patient=cast.patient_a1)
    as_anna(client)
    timeline = client.get(f"/api/patients/{cast.patient_a1}").json()
    assert timeline["patient"]["display_name"] == "Patient A1"
    assert [a["assessed_on"] for a in timeline["assessments"]] == [days_ago(20).isoformat(), days_ago(5).isoformat()]
    assert len(timeline["session_logs"]) == 2 and len(timeline["programs"]) == 2
    dates = [e["date"] for e in timeline["events"]]
    assert dates == sorted(dates, reverse=True)
    progress = client.get(f"/api/patients/{cast.patient_a1}/progress").json()
    assert [p["date"] for p in progress["pain"][0]["points"]] == [days_ago(20).isoformat(), days_ago(5).isoformat()]
    assert [p["value"] for p in progress["pain"][1]["points"]] == [2, 3]
    assert progress["adherence"]["points"][-1]["date"] <= TODAY.isoformat()
    assert any(m["measure"] == "hip_internal_rotation.deg" for m in progress["sides"])
    assert client.get(f"/api/patients/{cast.patient_b1}/progress").status_code == 403
