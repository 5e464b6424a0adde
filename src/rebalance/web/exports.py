"""A patient's record for another system: the FHIR export (``reports/fhir.py``) of stored records.

    fhir_export(kb, patient, assessments, program, now)   -> the bundle as JSON

For the clinician (``GET /api/patients/{id}/fhir``) and the patient themselves (``GET /api/me/fhir``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from rebalance.knowledge.loader import KnowledgeBase
from rebalance.programs.version import started_on
from rebalance.reports import fhir
from rebalance.storage.schemas import AssessmentPublic, PatientPublic, ProgramPublic
from rebalance.storage.types import ProgramStatus


def fhir_export(
    kb: KnowledgeBase,
    patient: PatientPublic,
    assessments: list[AssessmentPublic],
    program: ProgramPublic | None,
    now: dt.datetime,
) -> dict[str, Any]:
    """The patient's record as a FHIR bundle (``reports.fhir.patient_bundle``): their assessments, oldest
    first, and the program version given (the published one)."""
    sex = None if patient.sex is None else str(patient.sex)
    subject = fhir.Subject(patient.id, patient.display_name, patient.external_ref, patient.birth_year, sex)
    records = [fhir.AssessmentRecord(a.id, a.assessed_on, a.analysis) for a in assessments]
    plan = None
    if program is not None:
        published = program.status is ProgramStatus.PUBLISHED
        plan = fhir.ProgramRecord(program.id, program.version, published, started_on(program), program.document)
    return fhir.patient_bundle(kb, subject, records, plan, now)
