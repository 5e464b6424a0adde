"""The FHIR export: a checked R4B bundle whose scores carry their LOINC codes, never a diagnosis."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle

from rebalance.api import analyse_file
from rebalance.knowledge.loader import KnowledgeBase, default
from rebalance.programs import pain_rule
from rebalance.reports import fhir
from rebalance.reports.text import dose_text
from tests.conftest import EXAMPLES

PAIN_RULE = pain_rule.text(default())

NOW = dt.datetime(2026, 12, 6, 9, 30, tzinfo=dt.UTC)
ASSESSED = dt.date(2026, 11, 2)
CASES = sorted(EXAMPLES.glob("*.yaml"))


def _bundle(kb: KnowledgeBase, case: Path, *, published: bool = True) -> tuple[dict[str, Any], dict[str, Any]]:
    analysis = analyse_file(case)
    program = analysis.get("program")
    record = fhir.ProgramRecord(7, 2, published, dt.date(2026, 11, 3), program) if program else None
    subject = fhir.Subject(11, "Maria Lopez", "MRN-0042", 1979, "female")
    return fhir.patient_bundle(kb, subject, [fhir.AssessmentRecord(5, ASSESSED, analysis)], record, NOW), analysis


def _resources(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def _by_code(bundle: dict[str, Any], code: str) -> dict[str, Any]:
    (found,) = [
        o for o in _resources(bundle, "Observation") if any(c["code"] == code for c in o["code"].get("coding", []))
    ]
    return found


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_every_example_exports_a_valid_bundle_of_its_scores_and_no_diagnosis(kb: KnowledgeBase, case: Path) -> None:
    bundle, analysis = _bundle(kb, case)
    Bundle.model_validate(bundle)  # FHIR R4B, as another system reads it
    assert bundle["type"] == "collection" and bundle["timestamp"].startswith("2026-12-06T09:30:00")
    kinds = {e["resource"]["resourceType"] for e in bundle["entry"]}
    assert "Condition" not in kinds and {"Patient", "ClinicalImpression"} <= kinds
    urls = {e["fullUrl"] for e in bundle["entry"]}
    (patient,) = _resources(bundle, "Patient")
    for entry in bundle["entry"]:
        assert entry["fullUrl"] == f"urn:uuid:{entry['resource']['id']}"
        subject = entry["resource"].get("subject")
        assert subject is None or subject["reference"] == f"urn:uuid:{patient['id']}" in urls

    scores = analysis["scores"]
    pain = _by_code(bundle, "72514-3")
    assert pain["valueInteger"] == scores["pain_now"] and pain["effectiveDateTime"] == ASSESSED.isoformat()
    if scores["odi"]:
        odi = _by_code(bundle, "97909-6")
        assert odi["valueQuantity"]["value"] == pytest.approx(scores["odi"]["percent"])
        assert odi["valueQuantity"]["code"] == "%"
        assert [c["valueInteger"] for c in odi["component"]] == [scores["odi"]["raw"], scores["odi"]["answered"]]
    if scores["start_back"]:
        assert _by_code(bundle, "91351-7")["valueInteger"] == scores["start_back"]["total"]
        assert _by_code(bundle, "91350-9")["valueInteger"] == scores["start_back"]["distress"]
        risk = _by_code(bundle, "91352-5")["valueCodeableConcept"]["coding"][0]
        assert (risk["code"], risk["display"].lower()) == (
            fhir.START_BACK_RISK_ANSWERS[scores["start_back"]["risk"]][0],
            scores["start_back"]["risk"],
        )

    (impression,) = _resources(bundle, "ClinicalImpression")
    assert "not diagnoses" in impression["summary"]
    for pattern in analysis["patterns"]:
        assert kb.pattern[pattern["id"]].name in impression["summary"]
    assert len(impression.get("finding", [])) == len(analysis["findings"])

    screen = [o for o in _resources(bundle, "Observation") if o["code"].get("text", "").startswith("Red-flag screen")]
    assert [o["valueCodeableConcept"]["text"] for o in screen] == [analysis["safety"]["level"]]
    plans = _resources(bundle, "CarePlan")
    assert len(plans) == (1 if analysis.get("program") else 0)


def test_the_program_is_a_care_plan_of_its_exercises_with_their_doses(kb: KnowledgeBase) -> None:
    bundle, analysis = _bundle(kb, EXAMPLES / "piriformis_right.yaml")
    (plan,) = _resources(bundle, "CarePlan")
    items = analysis["program"]["items"]
    assert plan["status"] == "active" and plan["intent"] == "plan" and plan["period"]["start"] == "2026-11-03"
    assert [a["detail"]["code"]["text"] for a in plan["activity"]] == [i["name"] for i in items]
    assert all(
        dose_text(i["dosage"]) in a["detail"]["description"] for i, a in zip(items, plan["activity"], strict=True)
    )
    assert plan["note"][0]["text"] == PAIN_RULE
    program = analysis["program"]
    assert plan["description"] == (
        f"{program['sessions_per_week']} sessions a week, about {program['minutes_per_session']} minutes each; "
        f"reassess around {program['reassess_on']}."
    )
    draft, _ = _bundle(kb, EXAMPLES / "piriformis_right.yaml", published=False)
    assert _resources(draft, "CarePlan")[0]["status"] == "draft"


def test_a_red_flag_case_exports_its_screen_and_no_program(kb: KnowledgeBase) -> None:
    bundle, analysis = _bundle(kb, EXAMPLES / "cauda_equina_emergency.yaml")
    assert _resources(bundle, "CarePlan") == []
    (screen,) = [o for o in _resources(bundle, "Observation") if not o["code"].get("coding")]
    assert screen["valueCodeableConcept"]["text"] == "emergency"
    assert screen["note"][0]["text"] == analysis["safety"]["message"]
    names = [c["code"]["text"] for c in screen["component"]]
    assert kb.red_flags["saddle_anaesthesia"].name in names


def test_the_same_record_exports_the_same_identities_and_the_patients_details(kb: KnowledgeBase) -> None:
    first, _ = _bundle(kb, EXAMPLES / "contract_example.yaml")
    again, _ = _bundle(kb, EXAMPLES / "contract_example.yaml")
    assert [e["fullUrl"] for e in first["entry"]] == [e["fullUrl"] for e in again["entry"]]
    assert len({e["fullUrl"] for e in first["entry"]}) == len(first["entry"])
    (patient,) = _resources(first, "Patient")
    assert patient["gender"] == "female" and patient["birthDate"] == "1979"
    assert {(i["system"], i["value"]) for i in patient["identifier"]} == {
        (fhir.IDENTIFIER_SYSTEM, "11"),
        (fhir.REFERENCE_SYSTEM, "MRN-0042"),
    }


def test_the_command_line_prints_an_assessment_file_as_a_bundle(cli: Any, tmp_path: Path) -> None:
    code, out, err = cli("assess", str(EXAMPLES / "contract_example.yaml"), "--fhir")
    assert code == 0, err
    bundle = json.loads(out)
    Bundle.model_validate(bundle)
    (patient,) = _resources(bundle, "Patient")
    assert patient["identifier"] == [{"system": fhir.REFERENCE_SYSTEM, "value": "c-017"}]
    (plan,) = _resources(bundle, "CarePlan")
    assert plan["status"] == "draft"  # built, not yet approved by a clinician
    assert _by_code(bundle, "72514-3")["effectiveDateTime"] == analyse_file(EXAMPLES / "contract_example.yaml")["date"]

    code, out, err = cli("assess", str(EXAMPLES / "contract_example.yaml"), "--fhir", "--json")
    assert code == 2 and out == "" and "--json" in err and "--fhir" in err
    bad = tmp_path / "bad.yaml"
    bad.write_text((EXAMPLES / "contract_example.yaml").read_text().replace("pain_now: 6", "pain_now: 11"))
    code, out, err = cli("assess", str(bad), "--fhir")
    assert code == 2 and out == "" and "pain_now" in err
