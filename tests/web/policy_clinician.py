"""Access rules for the clinician pages and their JSON endpoints (merged into access_policy.POLICY).

Pages answer a signed-out actor with 303 to /login, the API with 401; another clinician's patient,
assessment or program is 403 (the repository refuses), a patient or an admin is 403 (not a clinician).
Both sides' program is published (``world.py``): approving it is a conflict (409) for its own clinician,
which still proves they got past the access checks.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

from rebalance.assessment.form import form_values
from rebalance.knowledge.loader import default
from rebalance.programs.edit import alternatives
from tests.web.access_policy import CLINICIANS, OWN_CLINICIAN, Rule

if TYPE_CHECKING:
    from tests.web.world import World

_unique = itertools.count(1)


def _example() -> tuple[dict[str, Any], dict[str, Any]]:
    from tests.web.world import example_document, example_program  # world imports the policy: import late

    return example_document(), example_program()


def new_patient(world: World, side: str | None) -> dict[str, Any]:
    return {"display_name": f"Charlie Newpatient {next(_unique)}"}


def new_invitation(world: World, side: str | None) -> dict[str, Any]:
    """The email of the patient's account (not activated in the world): an invitation is bound to it."""
    return {"email": f"patient.{(side or 'a').lower()}1@world.test"}


def assessment_form(world: World, side: str | None) -> dict[str, Any]:
    """Both sides' assessment, as the assessment form posts it."""
    document, _ = _example()
    return {**form_values(default(), document), "minutes": "20"}


def assessment_document(world: World, side: str | None) -> dict[str, Any]:
    document, _ = _example()
    return document


def _first_item() -> dict[str, Any]:
    _, program = _example()
    item: dict[str, Any] = program["items"][0]
    return item


def swap_form(world: World, side: str | None) -> dict[str, Any]:
    _, program = _example()
    return {"new_exercise_id": alternatives(default(), program, _first_item()["exercise_id"])[0]["exercise_id"]}


def same_dosage(world: World, side: str | None) -> dict[str, Any]:
    dose = _first_item()["dosage"]
    return {k: dose[k] for k in ("sets", "reps", "hold_s", "days_per_week") if dose.get(k) is not None}


PROGRAM = "/programs/{program_id}"
ITEM = "/programs/{program_id}/items/{exercise_id}"
API_ITEM = "/api/programs/{program_id}/items/{exercise_id}"

CLINICIAN_POLICY: dict[tuple[str, str], Rule] = {
    # pages
    ("GET", "/patients"): Rule(CLINICIANS),
    ("POST", "/patients"): Rule(CLINICIANS, ok={303}, form=new_patient),
    ("GET", "/patients/{patient_id}"): Rule(OWN_CLINICIAN),
    ("POST", "/patients/{patient_id}/invitations"): Rule(OWN_CLINICIAN, form=new_invitation),
    ("GET", "/patients/{patient_id}/assessments/new"): Rule(OWN_CLINICIAN),
    ("POST", "/patients/{patient_id}/assessments/validate"): Rule(OWN_CLINICIAN, form=assessment_form),
    ("POST", "/patients/{patient_id}/assessments"): Rule(OWN_CLINICIAN, ok={303}, form=assessment_form),
    # no file uploaded: 422 (past the access checks)
    ("POST", "/patients/{patient_id}/assessments/video"): Rule(OWN_CLINICIAN, ok={422}, form=assessment_form),
    ("GET", "/videos/{job_id}"): Rule(OWN_CLINICIAN),
    ("POST", "/patients/{patient_id}/assessments/video/{job_id}"): Rule(OWN_CLINICIAN, form=assessment_form),
    ("GET", "/assessment-form/location-row"): Rule(CLINICIANS),
    ("GET", "/assessment-form/tests/{test_id}/muscle-row"): Rule(CLINICIANS),
    ("GET", "/assessments/{assessment_id}"): Rule(OWN_CLINICIAN),
    ("GET", PROGRAM): Rule(OWN_CLINICIAN),
    ("GET", f"{ITEM}/alternatives"): Rule(OWN_CLINICIAN),
    ("POST", f"{ITEM}/swap"): Rule(OWN_CLINICIAN, ok={303}, form=swap_form),
    ("POST", f"{ITEM}/dosage"): Rule(OWN_CLINICIAN, ok={303}, form=same_dosage),
    ("POST", f"{PROGRAM}/approve"): Rule(OWN_CLINICIAN, ok={303, 409}),
    ("POST", f"{PROGRAM}/publish"): Rule(OWN_CLINICIAN, ok={303}),
    ("GET", f"{PROGRAM}/handout"): Rule(OWN_CLINICIAN),
    ("GET", f"{PROGRAM}/handout.pdf"): Rule(OWN_CLINICIAN),
    ("GET", "/assessments/{assessment_id}/report.pdf"): Rule(OWN_CLINICIAN),
    # the JSON API
    ("GET", "/api/patients"): Rule(CLINICIANS),
    ("POST", "/api/patients"): Rule(CLINICIANS, ok={201}, json=new_patient),
    ("GET", "/api/patients/{patient_id}"): Rule(OWN_CLINICIAN),
    ("GET", "/api/patients/{patient_id}/progress"): Rule(OWN_CLINICIAN),
    ("GET", "/api/patients/{patient_id}/fhir"): Rule(OWN_CLINICIAN),
    ("POST", "/api/patients/{patient_id}/assessments"): Rule(OWN_CLINICIAN, ok={201}, json=assessment_document),
    ("GET", "/api/assessments/{assessment_id}"): Rule(OWN_CLINICIAN),
    ("GET", f"/api{PROGRAM}"): Rule(OWN_CLINICIAN),
    ("GET", f"{API_ITEM}/alternatives"): Rule(OWN_CLINICIAN),
    ("POST", f"{API_ITEM}/swap"): Rule(OWN_CLINICIAN, ok={201}, json=swap_form),
    ("POST", f"{API_ITEM}/dosage"): Rule(OWN_CLINICIAN, ok={201}, json=same_dosage),
    ("POST", f"/api{PROGRAM}/approve"): Rule(OWN_CLINICIAN, ok={200, 409}),
    ("POST", f"/api{PROGRAM}/publish"): Rule(OWN_CLINICIAN),
}
