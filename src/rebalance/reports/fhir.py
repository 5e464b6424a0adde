"""A patient's record as a FHIR R4B ``Bundle`` (type ``collection``), for another system to import.

    patient_bundle(kb, subject, assessments, program, generated_at)  -> the bundle as JSON (a dict)
    analysis_bundle(kb, analysis, name, generated_at)               -> the same of one analysis document

What goes in, each resource checked by ``fhir.resources`` (the R4B models) before it is returned:

- ``Patient``: the record's id and the clinic's own reference as identifiers, and the name.
- For each assessment, on its day: ``Observation``s of the standard scores with their LOINC codes —
  pain now (0–10), the Oswestry Disability Index (percent, with the raw sum and the sections answered
  as components), the STarT Back total, distress subscore and risk level — and of the red-flag screen
  (its level, message and flags; no standard code, so ``code.text`` only); and a
  ``ClinicalImpression`` whose summary names the patterns *consistent with* the measurements, and whose
  findings are the tight, weak and asymmetric findings in words. Never a ``Condition``: rebalance does
  not diagnose.
- ``CarePlan``: the program version given (the published one), each exercise an activity with its dose
  in words, the pain rule and the program's warnings as notes.

Every resource has a stable ``urn:uuid`` (a UUID 5 of the record it comes from), so exporting the same
record twice gives the same identities. The ``fhir.resources`` models are imported on first use: they
take ~0.2 s to load, which a command that does not export should not pay.

Codes (LOINC, https://loinc.org/<code>): 72514-3 "Pain severity - 0-10 verbal numeric rating [Score] -
Reported"; 97909-6 "Oswestry disability index score ODI" (reported as a percent; the bands LOINC quotes
are on the raw 0–50 sum, hence both); 91351-7 "Total score [STarT Back]"; 91350-9 "Distress subscore
[STarT Back]"; 91352-5 "STarT Back Screening risk level" with its answers LA9194-7 Low, LA8982-6 Medium,
LA9193-9 High. Also in ``reference/clinical.md`` §7.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rebalance.knowledge.explain import finding_words
from rebalance.knowledge.loader import KnowledgeBase
from rebalance.programs import pain_rule
from rebalance.reports.cards import side_words
from rebalance.reports.text import dose_text

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
IDENTIFIER_SYSTEM = "urn:rebalance:patient"
"""The system of the patient's record id in this clinic's rebalance."""
REFERENCE_SYSTEM = "urn:rebalance:patient-reference"
"""The system of the clinic's own reference for the patient (``external_ref``)."""

PAIN_NOW = ("72514-3", "Pain severity - 0-10 verbal numeric rating [Score] - Reported")
ODI_SCORE = ("97909-6", "Oswestry disability index score ODI")
START_BACK_TOTAL = ("91351-7", "Total score [STarT Back]")
START_BACK_DISTRESS = ("91350-9", "Distress subscore [STarT Back]")
START_BACK_RISK = ("91352-5", "STarT Back Screening risk level")
START_BACK_RISK_ANSWERS = {
    "low": ("LA9194-7", "Low"),
    "medium": ("LA8982-6", "Medium"),
    "high": ("LA9193-9", "High"),
}

_NAMESPACE = uuid.UUID("6f1c2a57-3b0e-4d8e-9a43-5c2f7e1b9d20")
"""The namespace of the resources' UUIDs (rebalance's own; any fixed UUID would do)."""


@dataclass(frozen=True)
class Subject:
    """The patient: the record's id (an int: a stored record; else only the key of the resources' UUIDs),
    their name, the clinic's own reference, birth year and sex (if known)."""

    id: int | str
    name: str | None = None
    reference: str | None = None
    birth_year: int | None = None
    sex: str | None = None  # female, male or other: FHIR's administrative gender


@dataclass(frozen=True)
class AssessmentRecord:
    id: int | str
    assessed_on: dt.date
    analysis: dict[str, Any]


@dataclass(frozen=True)
class ProgramRecord:
    id: int | str
    version: int
    published: bool
    issued_on: dt.date
    document: dict[str, Any]


def patient_bundle(
    kb: KnowledgeBase,
    subject: Subject,
    assessments: Sequence[AssessmentRecord],
    program: ProgramRecord | None,
    generated_at: dt.datetime,
) -> dict[str, Any]:
    """The patient's record as a checked FHIR R4B collection bundle, as JSON (see the module's docstring)."""
    from fhir.resources.R4B.bundle import Bundle  # ~0.2 s to import: on first use only

    patient_url = _urn("Patient", subject.id)
    resources: list[tuple[str, dict[str, Any]]] = [(patient_url, _patient(subject))]
    for assessment in assessments:
        resources += _assessment(kb, patient_url, assessment)
    if program is not None:
        resources.append((_urn("CarePlan", program.id), _care_plan(kb, patient_url, program)))
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": generated_at.isoformat(),
        "entry": [
            {"fullUrl": url, "resource": {**resource, "id": url.removeprefix("urn:uuid:")}}
            for url, resource in resources
        ],
    }
    checked = Bundle.model_validate(bundle)
    exported: dict[str, Any] = checked.model_dump(mode="json", by_alias=True, exclude_none=True)
    return exported


def analysis_bundle(
    kb: KnowledgeBase, analysis: dict[str, Any], name: str, generated_at: dt.datetime
) -> dict[str, Any]:
    """The analysis of one assessment file (``rebalance assess --fhir``) as a bundle: the client known by the
    file's ``client.id`` (else by ``name``, the file's, only as the key of the resources' UUIDs), and the
    program built as a draft care plan: no clinician has approved it."""
    day = dt.date.fromisoformat(analysis["date"])
    client_id = analysis.get("client_id")
    key = str(client_id or name)
    subject = Subject(key, reference=str(client_id) if client_id else None)
    program = analysis.get("program")
    plan = ProgramRecord(key, 1, False, day, program) if program else None
    return patient_bundle(kb, subject, [AssessmentRecord(key, day, analysis)], plan, generated_at)


def _urn(kind: str, record_id: int | str) -> str:
    return f"urn:uuid:{uuid.uuid5(_NAMESPACE, f'{kind}/{record_id}')}"


def _patient(subject: Subject) -> dict[str, Any]:
    identifiers = [{"system": IDENTIFIER_SYSTEM, "value": str(subject.id)}] if isinstance(subject.id, int) else []
    if subject.reference:
        identifiers.append({"system": REFERENCE_SYSTEM, "value": subject.reference})
    patient: dict[str, Any] = {"resourceType": "Patient", "identifier": identifiers}
    if subject.name:
        patient["name"] = [{"text": subject.name}]
    if subject.sex in ("female", "male", "other"):
        patient["gender"] = subject.sex
    if subject.birth_year is not None:
        patient["birthDate"] = f"{subject.birth_year:04d}"  # a year alone is a FHIR date
    return patient


def _coded(code: tuple[str, str]) -> dict[str, Any]:
    return {"coding": [{"system": LOINC, "code": code[0], "display": code[1]}], "text": code[1]}


def _observation(patient_url: str, day: dt.date, code: dict[str, Any], **value: Any) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "status": "final",
        "category": [{"coding": [{"system": CATEGORY, "code": "survey", "display": "Survey"}]}],
        "code": code,
        "subject": {"reference": patient_url},
        "effectiveDateTime": day.isoformat(),
        **value,
    }


def _assessment(kb: KnowledgeBase, patient_url: str, record: AssessmentRecord) -> list[tuple[str, dict[str, Any]]]:
    analysis, day = record.analysis, record.assessed_on
    scores = analysis.get("scores") or {}
    out: list[tuple[str, dict[str, Any]]] = []

    def add(name: str, resource: dict[str, Any]) -> None:
        out.append((_urn(f"Assessment/{record.id}", name), resource))

    if scores.get("pain_now") is not None:
        add("pain_now", _observation(patient_url, day, _coded(PAIN_NOW), valueInteger=int(scores["pain_now"])))
    odi = scores.get("odi")
    if odi:
        components = [
            {"code": {"text": "Raw sum of the sections answered (0-5 each)"}, "valueInteger": int(odi["raw"])},
            {"code": {"text": "Sections answered (of 10)"}, "valueInteger": int(odi["answered"])},
        ]
        percent = {"value": odi["percent"], "unit": "%", "system": UCUM, "code": "%"}
        band = [{"text": f"{odi['band']} disability (Fairbank and Pynsent 2000 bands)"}] if odi.get("band") else None
        add(
            "odi",
            _observation(
                patient_url, day, _coded(ODI_SCORE), valueQuantity=percent, component=components, interpretation=band
            ),
        )
    start_back = scores.get("start_back")
    if start_back:
        add(
            "start_back_total",
            _observation(patient_url, day, _coded(START_BACK_TOTAL), valueInteger=start_back["total"]),
        )
        distress = _observation(patient_url, day, _coded(START_BACK_DISTRESS), valueInteger=start_back["distress"])
        add("start_back_distress", distress)
        answer_code, answer = START_BACK_RISK_ANSWERS[start_back["risk"]]
        risk = {"coding": [{"system": LOINC, "code": answer_code, "display": answer}], "text": answer}
        add("start_back_risk", _observation(patient_url, day, _coded(START_BACK_RISK), valueCodeableConcept=risk))
    safety = analysis.get("safety")
    if safety:
        flags = [{"code": {"text": _flag_name(kb, flag)}, "valueBoolean": True} for flag in safety.get("flags", [])]
        screen = _observation(
            patient_url,
            day,
            {"text": "Red-flag screen (rebalance): the level of the signs that need a doctor before exercise"},
            valueCodeableConcept={"text": str(safety["level"])},
            note=[{"text": str(safety["message"])}] if safety.get("message") else None,
            component=flags or None,
        )
        add("safety", screen)
    add("impression", _impression(kb, patient_url, record))
    return out


def _flag_name(kb: KnowledgeBase, flag: dict[str, Any]) -> str:
    known = kb.red_flags.get(str(flag.get("id")))
    return known.name if known is not None else str(flag.get("id"))


def _impression(kb: KnowledgeBase, patient_url: str, record: AssessmentRecord) -> dict[str, Any]:
    analysis = record.analysis
    patterns = [p for p in analysis.get("patterns", []) if p.get("id")]
    names = [kb.pattern[p["id"]].name if p["id"] in kb.pattern else str(p["id"]) for p in patterns]
    summary = (
        f"Patterns consistent with the measurements: {'; '.join(names)}."
        if names
        else "No pattern stood out from the measurements."
    ) + " These are patterns, not diagnoses."
    findings = [
        {"itemCodeableConcept": {"text": finding_words(kb, _finding_id(f))}, "basis": _basis(f)}
        for f in analysis.get("findings", [])
    ]
    return {
        "resourceType": "ClinicalImpression",
        "status": "completed",
        "description": "Assessment of muscle balance and movement for back pain and sciatica (rebalance)",
        "subject": {"reference": patient_url},
        "effectiveDateTime": record.assessed_on.isoformat(),
        "summary": summary,
        "finding": findings or None,
    }


def _finding_id(finding: dict[str, Any]) -> str:
    parts = [str(finding.get("kind", "")), str(finding.get("target", ""))]
    return ":".join(parts + ([str(finding["side"])] if finding.get("side") else []))


def _basis(finding: dict[str, Any]) -> str | None:
    tests = [str(e.get("test", "")).replace("_", " ") for e in finding.get("evidence", []) if e.get("test")]
    confidence = finding.get("confidence")
    said = ", ".join(dict.fromkeys(tests))
    if isinstance(confidence, int | float):
        said = f"{said} (confidence {confidence:.2f})" if said else f"confidence {confidence:.2f}"
    return said or None


def _care_plan(kb: KnowledgeBase, patient_url: str, program: ProgramRecord) -> dict[str, Any]:
    document = program.document
    activities = []
    for item in document.get("items", []):
        where = side_words(kb, item)
        activities.append(
            {
                "detail": {
                    "code": {"text": str(item.get("name", item["exercise_id"]))},
                    "status": "scheduled",
                    "description": ", ".join(p for p in (dose_text(item["dosage"]), where) if p),
                }
            }
        )
    rule = pain_rule.text(kb)
    notes = [rule, *[str(w) for w in document.get("warnings", []) if w != rule]]
    return {
        "resourceType": "CarePlan",
        "status": "active" if program.published else "draft",
        "intent": "plan",
        "title": f"Home exercise program, version {program.version}",
        "description": _plan_words(document),
        "subject": {"reference": patient_url},
        "period": {"start": program.issued_on.isoformat()},
        "activity": activities or None,
        "note": [{"text": note} for note in notes],
    }


def _plan_words(document: dict[str, Any]) -> str | None:
    """How often, how long, and when to reassess, as far as the program says."""
    per_week, minutes, reassess = (document.get(k) for k in ("sessions_per_week", "minutes_per_session", "reassess_on"))
    parts = [f"{per_week} sessions a week" if per_week else "", f"about {minutes} minutes each" if minutes else ""]
    said = ", ".join(p for p in parts if p)
    if reassess:
        said = f"{said}; reassess around {reassess}" if said else f"Reassess around {reassess}"
    return f"{said}." if said else None
