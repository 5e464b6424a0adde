"""Access rules for the patient pages and their JSON endpoints (merged into access_policy.POLICY).

Every route is for patients only, and only ever about the signed-in patient (no patient id in a path):
clinicians and admins get 403, the signed out 303 to /login (pages) or 401 (``/api``). The world's two
patients have the same program (``examples/piriformis_right.yaml``), so one body fits both.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from rebalance import yamlio
from rebalance.api import analyse_document
from rebalance.knowledge.loader import default
from rebalance.reasoning.safety import check_in_questions
from tests.conftest import EXAMPLES
from tests.web.access_policy import PATIENTS, Rule

if TYPE_CHECKING:
    from tests.web.world import World


@cache
def _first_exercise() -> str:
    """An exercise of the world's programs (built from the same example case as world.py's)."""
    document = yamlio.load((EXAMPLES / "piriformis_right.yaml").read_text(encoding="utf-8"))
    exercise_id: str = analyse_document(document)["program"]["items"][0]["exercise_id"]
    return exercise_id


def _all_clear() -> dict[str, bool]:
    return {q["id"]: False for q in check_in_questions(default())}


def session_form(world: World, side: str | None) -> dict[str, Any]:
    return {"entries[0].exercise_id": _first_exercise(), "entries[0].done": "yes", "entries[0].pain_during": "1"}


def session_json(world: World, side: str | None) -> dict[str, Any]:
    return {"entries": [{"exercise_id": _first_exercise(), "done": True, "pain_during": 1}]}


def check_in_form(world: World, side: str | None) -> dict[str, Any]:
    return {f"answers.{flag}": "no" for flag in _all_clear()}


def check_in_json(world: World, side: str | None) -> dict[str, Any]:
    return {"answers": _all_clear()}


PATIENT_POLICY: dict[tuple[str, str], Rule] = {
    # pages
    ("GET", "/today"): Rule(PATIENTS),
    ("GET", "/log"): Rule(PATIENTS),
    ("POST", "/log"): Rule(PATIENTS, ok={303}, form=session_form),
    ("GET", "/check-in"): Rule(PATIENTS),
    ("POST", "/check-in"): Rule(PATIENTS, ok={303}, form=check_in_form),
    ("GET", "/progress"): Rule(PATIENTS),
    ("GET", "/learn"): Rule(PATIENTS),
    ("GET", "/learn/{topic}"): Rule(PATIENTS),
    ("GET", "/handout"): Rule(PATIENTS),
    ("GET", "/handout.pdf"): Rule(PATIENTS),
    # JSON
    ("GET", "/api/me/program"): Rule(PATIENTS),
    ("GET", "/api/me/today"): Rule(PATIENTS),
    ("GET", "/api/me/logs"): Rule(PATIENTS),
    ("POST", "/api/me/logs"): Rule(PATIENTS, ok={201}, json=session_json),
    ("GET", "/api/me/check-ins"): Rule(PATIENTS),
    ("POST", "/api/me/check-ins"): Rule(PATIENTS, ok={201}, json=check_in_json),
    ("GET", "/api/me/progress"): Rule(PATIENTS),
    ("GET", "/api/me/learn"): Rule(PATIENTS),
    ("GET", "/api/me/learn/{topic}"): Rule(PATIENTS),
    ("GET", "/api/me/fhir"): Rule(PATIENTS),
}
