"""THE ACCESS POLICY: for every route of the app, who may use it, on whose records.

``tests/web/test_access.py`` walks every route of ``create_app().routes`` for every actor —

    anonymous, admin, clinician_a, clinician_b, patient_a1 (Anna's patient), patient_b1 (Ben's patient)

— with each path parameter filled by a record of side A (clinician A's world: patient A1, their
assessment, program, log ...) and then of side B, and checks the answer against this table. It FAILS
for a route that is missing here (no route without an access rule) and for a rule whose route is gone.

Adding a route? Add one line to :data:`POLICY`:

    ("GET", "/patients/{patient_id}"): Rule(OWN_CLINICIAN),
    ("GET", "/me/program"): Rule(PATIENTS),
    ("POST", "/patients/{patient_id}/assessments"): Rule(OWN_CLINICIAN, ok={303}, form=an_assessment),
    ("GET", "/api/patients/{patient_id}/logs"): Rule(OWN_CLINICIAN | OWN_PATIENT),

and, for a new path parameter name, a resolver in :data:`PARAMS` (in ``world.py``): which record of
side A or B fills it.

A rule says who is allowed (``who``, combined with ``|``) and what "allowed" and "denied" look like:

    ANYONE         everyone, signed out too
    SIGNED_IN      any signed-in user
    ADMIN          admins              CLINICIANS   any clinician      PATIENTS   any patient
    OWN_CLINICIAN  the clinician whose patient the record belongs to (A's records: clinician_a)
    OWN_PATIENT    the patient the record is about (A's records: patient_a1)

    ok       statuses that mean "served" for an allowed actor (default {200})
    denied   statuses for a signed-in actor who is not allowed (default {403, 404})
    form / json   a body for the request: a function (world, side) -> dict (unique values each call)
    probe    a concrete path for a mount (``/static`` is probed at ``/static/app.css``)

A signed-out actor who is not allowed must get 303 to /login (pages) or 401 (``/api``). Every
state-changing request carries the actor's CSRF token (the CSRF tests prove the opposite case).
Besides the statuses, no response to an actor may contain the name of a patient the actor may not
see (:data:`VISIBLE_TO`).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.web.world import World

Body = Callable[["World", "str | None"], dict[str, Any]]
Who = frozenset[str]

ANYONE: Who = frozenset({"anyone"})
SIGNED_IN: Who = frozenset({"signed_in"})
ADMIN: Who = frozenset({"admin"})
CLINICIANS: Who = frozenset({"clinician"})
PATIENTS: Who = frozenset({"patient"})
OWN_CLINICIAN: Who = frozenset({"own_clinician"})
OWN_PATIENT: Who = frozenset({"own_patient"})


@dataclass(frozen=True)
class Rule:
    who: Who
    ok: frozenset[int] = frozenset({200})
    denied: frozenset[int] = frozenset({403, 404})
    form: Body | None = None
    json: Body | None = None
    probe: str | None = None

    def __post_init__(self) -> None:  # let the table say ok={303} rather than frozenset({303})
        object.__setattr__(self, "ok", frozenset(self.ok))
        object.__setattr__(self, "denied", frozenset(self.denied))


@dataclass(frozen=True)
class Actor:
    name: str
    role: str  # anonymous | admin | clinician | patient
    side: str | None = None  # A or B: whose world the actor belongs to


ACTORS = (
    Actor("anonymous", "anonymous"),
    Actor("admin", "admin"),
    Actor("clinician_a", "clinician", "A"),
    Actor("clinician_b", "clinician", "B"),
    Actor("patient_a1", "patient", "A"),
    Actor("patient_b1", "patient", "B"),
)


def allows(who: Who, actor: Actor, side: str | None) -> bool:
    """Whether the rule lets ``actor`` use the route on side ``side``'s records."""
    return (
        "anyone" in who
        or ("signed_in" in who and actor.role != "anonymous")
        or actor.role in who
        or ("own_clinician" in who and actor.role == "clinician" and side is not None and actor.side == side)
        or ("own_patient" in who and actor.role == "patient" and side is not None and actor.side == side)
    )


# the patients' names: no response may show one to an actor not listed here
VISIBLE_TO = {
    "Alpha Quokka": {"clinician_a", "patient_a1"},
    "Bravo Narwhal": {"clinician_b", "patient_b1"},
}


# request bodies

_unique = itertools.count(1)


def failed_login(world: World, side: str | None) -> dict[str, Any]:
    return {"email": f"nobody{next(_unique)}@clinic.test", "password": "not the password"}


def new_password(world: World, side: str | None) -> dict[str, Any]:
    return {"password": "a brand new password", "password_repeat": "a brand new password"}


def new_clinician(world: World, side: str | None) -> dict[str, Any]:
    n = next(_unique)
    return {"email": f"clinician{n}@clinic.test", "display_name": f"Clinician {n}", "password": "a long password"}


def new_invitation(world: World, side: str | None) -> dict[str, Any]:
    """The email of the patient's account (not activated in the world): an invitation is bound to it."""
    return {"email": f"patient.{(side or 'a').lower()}1@world.test"}


POLICY: dict[tuple[str, str], Rule] = {
    # public
    ("GET", "/static"): Rule(ANYONE, probe="/static/app.css"),
    ("GET", "/openapi.json"): Rule(ANYONE),
    ("GET", "/docs"): Rule(ANYONE),
    ("GET", "/docs/oauth2-redirect"): Rule(ANYONE),
    ("GET", "/health"): Rule(ANYONE),
    ("GET", "/login"): Rule(ANYONE, ok={200, 303}),  # signed in: straight to the start page
    ("POST", "/login"): Rule(ANYONE, ok={400}, form=failed_login),
    ("POST", "/logout"): Rule(ANYONE, ok={303}),
    ("GET", "/invite/{token}"): Rule(ANYONE),
    ("POST", "/invite/{token}"): Rule(ANYONE, ok={303}, form=new_password),
    # everyone signed in
    ("GET", "/"): Rule(SIGNED_IN, ok={200, 303}),
    ("GET", "/api/me"): Rule(SIGNED_IN),
    # the admin: clinicians' accounts
    ("GET", "/admin/clinicians"): Rule(ADMIN),
    ("POST", "/admin/clinicians"): Rule(ADMIN, ok={303}, form=new_clinician),
    ("POST", "/admin/clinicians/{user_id}/deactivate"): Rule(ADMIN, ok={303}),
    ("POST", "/admin/clinicians/{user_id}/activate"): Rule(ADMIN, ok={303}),
    # a clinician: their own patients
    ("POST", "/api/patients/{patient_id}/invitations"): Rule(OWN_CLINICIAN, ok={201}, json=new_invitation),
}

# The clinician's and the patient's routes keep their rules in their own modules (so the two can
# grow side by side); they import Rule and the roles from here, and are merged in last.
from tests.web.policy_clinician import CLINICIAN_POLICY  # noqa: E402
from tests.web.policy_patient import PATIENT_POLICY  # noqa: E402

POLICY.update(CLINICIAN_POLICY)
POLICY.update(PATIENT_POLICY)
