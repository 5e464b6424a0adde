"""Inviting a patient to activate their account: a single-use link shown once, made from the public address
(``Settings.public_url``, never the Host header). A newer link ends the older ones; a patient whose account
is activated is not invited again (409)."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter
from sqlalchemy.orm import Session

from rebalance.config import Settings
from rebalance.storage.repos import invitations
from rebalance.storage.schemas import InvitationCreate
from rebalance.storage.types import utc_now
from rebalance.web import security
from rebalance.web.deps import ClinicianUser, RecordId, SessionDep, SettingsDep
from rebalance.web.schemas import API_ERRORS, InvitationLink

api = APIRouter(prefix="/api", tags=["api"], responses=API_ERRORS)


def invite(
    db: Session, settings: Settings, clinician_id: int, patient_id: int, data: InvitationCreate
) -> InvitationLink:
    """Invite the patient: the link, made from the public address (``Settings.public_url``)."""
    token = security.new_token()
    expires_at = utc_now() + dt.timedelta(days=settings.invitation_days)
    hashed = security.token_hash(token)
    invitation = invitations.create_invitation(db, clinician_id, patient_id, data, hashed, expires_at)
    return InvitationLink(**invitation.model_dump(), url=f"{settings.public_url.rstrip('/')}/invite/{token}")


@api.post("/patients/{patient_id}/invitations", status_code=201)
def invite_patient(
    db: SessionDep, settings: SettingsDep, clinician: ClinicianUser, patient_id: RecordId, body: InvitationCreate
) -> InvitationLink:
    """Invite one's own patient to set a password; the link is single-use and expires (``invitation_days``)."""
    return invite(db, settings, clinician.id, patient_id, body)
