"""The FHIR export of a patient's record: the clinician's (``GET /api/patients/{id}/fhir``) and the patient's
own (``GET /api/me/fhir``), the same bundle: the stored record, the published program (not a newer draft),
as ``application/fhir+json``; the reads audited."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from fhir.resources.R4B.bundle import Bundle
from sqlalchemy import select

from rebalance.storage.db import session_scope
from rebalance.storage.tables import AuditEvent
from rebalance.storage.types import AuditAction, ProgramStatus
from tests.web.conftest import Cast, email, web
from tests.web.helpers import sign_in
from tests.web.patient_story import Story, add_version, story

__all__ = ["story"]  # the fixture


def test_the_export_is_the_patients_record_and_published_program(
    app: FastAPI, client: TestClient, cast: Cast, story: Story
) -> None:
    add_version(app, cast, story.assessment, story.document, status=ProgramStatus.DRAFT)  # newer, not out yet
    assert sign_in(client, email("anna")).status_code == 303
    assert f'href="/api/patients/{cast.patient_a1}/fhir"' in client.get(f"/patients/{cast.patient_a1}").text
    answer = client.get(f"/api/patients/{cast.patient_a1}/fhir")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/fhir+json")
    bundle = answer.json()
    Bundle.model_validate(bundle)
    kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert kinds.count("Patient") == 1 and kinds.count("ClinicalImpression") == 1 and "Condition" not in kinds
    (plan,) = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "CarePlan"]
    assert plan["title"] == f"Home exercise program, version {story.program.version}" and plan["status"] == "active"
    pain = [
        e["resource"]
        for e in bundle["entry"]
        if any(c.get("code") == "72514-3" for c in e["resource"].get("code", {}).get("coding", []))
    ]
    assert [p["valueInteger"] for p in pain] == [story.assessment.analysis["scores"]["pain_now"]]
    assert [p["effectiveDateTime"] for p in pain] == [story.assessment.assessed_on.isoformat()]

    with session_scope(web(app).session_factory) as db:
        reads = db.scalars(
            select(AuditEvent.entity_type).where(
                AuditEvent.user_id == cast.anna,
                AuditEvent.action == AuditAction.READ,
                AuditEvent.patient_id == cast.patient_a1,
            )
        ).all()
    assert {"patient", "program"} <= {str(getattr(r, "value", r)) for r in reads}  # the assessments: as the patient


def test_a_patient_without_records_exports_just_the_patient(client: TestClient, cast: Cast) -> None:
    assert sign_in(client, email("anna")).status_code == 303
    bundle = client.get(f"/api/patients/{cast.patient_a1}/fhir").json()
    assert [e["resource"]["resourceType"] for e in bundle["entry"]] == ["Patient"]


def test_the_patient_exports_the_same_record_as_their_clinician(
    app: FastAPI, client: TestClient, cast: Cast, story: Story
) -> None:
    add_version(app, cast, story.assessment, story.document, status=ProgramStatus.DRAFT)

    def export(who: str, path: str) -> dict[str, Any]:
        client.cookies.clear()
        assert sign_in(client, email(who)).status_code == 303
        answer = client.get(path)
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/fhir+json")
        bundle: dict[str, Any] = answer.json()
        return bundle

    theirs = export("anna", f"/api/patients/{cast.patient_a1}/fhir")
    mine = export("a1", "/api/me/fhir")
    assert [e["resource"] for e in mine["entry"]] == [e["resource"] for e in theirs["entry"]]
