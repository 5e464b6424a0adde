"""A patient's record as a FHIR R4B bundle for another system (``reports/fhir.py``, ``application/fhir+json``):
for their clinician and for the patient themselves, the same bundle."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from rebalance.storage.repos import assessments, patients, programs
from rebalance.storage.types import utc_now
from rebalance.web import exports
from rebalance.web.deps import ClinicianUser, KnowledgeDep, RecordId, SessionDep
from rebalance.web.patient_views import PatientDep
from rebalance.web.schemas import API_ERRORS, FHIR_JSON, FHIR_RESPONSES

api = APIRouter(prefix="/api", responses=API_ERRORS)


@api.get("/patients/{patient_id}/fhir", tags=["clinician"], response_class=JSONResponse, responses=FHIR_RESPONSES)
def patient_fhir(db: SessionDep, kb: KnowledgeDep, clinician: ClinicianUser, patient_id: RecordId) -> JSONResponse:
    """The patient's record as a FHIR R4B bundle for another system: the patient, each assessment's scores
    (LOINC: pain, ODI, STarT Back), red-flag screen and the patterns consistent with it
    (``ClinicalImpression``, never a diagnosis), and the published program (``CarePlan``)."""
    patient = patients.get_patient(db, clinician.id, patient_id)
    found = assessments.patient_assessments(db, clinician.id, patient_id)
    program = programs.latest_program(db, clinician.id, patient_id, published_only=True)
    return JSONResponse(exports.fhir_export(kb, patient, found, program, utc_now()), media_type=FHIR_JSON)


@api.get("/me/fhir", tags=["patient"], response_class=JSONResponse, responses=FHIR_RESPONSES)
def my_fhir(me: PatientDep) -> JSONResponse:
    """The signed-in patient's record as a FHIR R4B bundle, to take to another clinic or app: the same
    export as their clinician's (``GET /api/patients/{id}/fhir``), with the published program."""
    patient = patients.get_patient(me.db, me.user_id, me.patient_id)
    bundle = exports.fhir_export(me.kb, patient, me.assessments, me.program, utc_now())
    return JSONResponse(bundle, media_type=FHIR_JSON)
