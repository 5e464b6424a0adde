"""The JSON API, under ``/api`` (documented in ``/openapi.json``).

    GET  /api/me                                    the signed-in user, and their session's CSRF token
    POST /api/patients/{patient_id}/invitations     invite one's patient: the link, shown this once (201)

Authentication is the session cookie of ``POST /login``. Every POST/PUT/PATCH/DELETE carries the
session's CSRF token in the ``X-CSRF-Token`` header: pages have it (HTMX sends it from
``hx-headers``), other clients read it from ``GET /api/me``.

Errors are JSON: ``{"errors": [{"path": "body.symptoms.pain_now", "message": "..."}]}`` (see
:mod:`rebalance.web.errors`); 401 without a session, 403 for another's record or a missing or
wrong CSRF token, 404 for no such record, 422 for invalid input with every field path.

A JSON route, thin — the schema validates, the library computes, the repository checks and stores::

    @router.post("/patients/{patient_id}/assessments", status_code=201)
    def add_assessment(
        db: SessionDep, kb: KnowledgeDep, clinician: ClinicianUser, patient_id: int, body: AssessmentIn
    ) -> AssessmentPublic:
        analysis = analyse_document(body.document, kb, body.minutes)   # InvalidInputError → 422 with paths
        data = AssessmentCreate(assessed_on=..., document=body.document, analysis=analysis)
        return repo.add_assessment(db, clinician.id, patient_id, data)  # another's patient → 403
"""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request

from rebalance.storage import auth_repo
from rebalance.storage.auth_repo import InvitationCreate
from rebalance.storage.types import utc_now
from rebalance.web import security
from rebalance.web.deps import ClinicianUser, SessionDep, SignedInDep, UnitOfWorkRoute, WebContextDep
from rebalance.web.errors import NotAuthenticatedError
from rebalance.web.schemas import API_ERRORS, InvitationLink, Me

router = APIRouter(prefix="/api", tags=["api"], responses=API_ERRORS, route_class=UnitOfWorkRoute)


@router.get("/me")
def me(session: SignedInDep) -> Me:
    """The signed-in user (any role), with the CSRF token their POST/PUT/PATCH/DELETE requests carry."""
    if session is None:
        raise NotAuthenticatedError
    return Me(**session.user.model_dump(), csrf_token=session.web_session.csrf_token)


@router.post("/patients/{patient_id}/invitations", status_code=201)
def invite_patient(
    request: Request,
    db: SessionDep,
    web: WebContextDep,
    clinician: ClinicianUser,
    patient_id: int,
    body: InvitationCreate,
) -> InvitationLink:
    """Invite one's own patient to set a password; the link is single-use and expires (``invitation_days``)."""
    token = security.new_token()
    expires_at = utc_now() + dt.timedelta(days=web.settings.invitation_days)
    invitation = auth_repo.create_invitation(db, clinician.id, patient_id, body, security.token_hash(token), expires_at)
    url = str(request.url_for("invitation_page", token=token))
    return InvitationLink(**invitation.model_dump(), url=url)
