"""Invitations: a single-use link that lets a patient activate their account by setting a password.

    create_invitation   invite a patient (their clinician or an admin); older unused links stop working
    open_invitation     the invitation of a link, while it is unused and unexpired
    accept_invitation   use it once: the patient's account, for the invited email, with this password
    activated_email     the email of the patient's activated account, if they have one (no invitation then)

An invitation only activates an account not yet activated: a patient who has set a password is never
invited again (their password cannot be reset through a link), and the account it activates is the
invited email's. Only the hash of a link's token is stored.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from rebalance.errors import ConflictError, NotFoundError
from rebalance.storage import audit
from rebalance.storage.repos import access, users
from rebalance.storage.schemas import InvitationCreate, InvitationPublic, UserPublic
from rebalance.storage.tables import Invitation, Patient, User
from rebalance.storage.types import AuditAction, EntityType, Role, utc_now

INVITATION = "invitation"
"""The audit log's name for an invitation (``audit_events.entity_type`` is plain text)."""


def create_invitation(
    session: Session,
    actor_id: int,
    patient_id: int,
    data: InvitationCreate,
    token_hash: str,
    expires_at: dt.datetime,
) -> InvitationPublic:
    """Invite a patient to activate their account with ``data.email`` (the patient's clinician or an admin).

    Refused (409) when the email is another user's, when the patient's account is activated already, or
    when their account (made without a password) is for another email. The patient's older unused
    invitations stop working.
    """
    actor, patient = access.patient_for(session, actor_id, patient_id, AuditAction.CREATE)
    holder = session.scalar(select(User).where(User.email == data.email))
    if holder is not None and holder.patient_id != patient.id:
        raise ConflictError(INVITATION, None, "this email already belongs to another user")
    account = session.scalar(select(User).where(User.patient_id == patient.id))
    if account is not None and account.password_hash is not None:
        raise ConflictError(INVITATION, None, "this patient has activated their account already")
    if account is not None and account.email != data.email:
        raise ConflictError(INVITATION, None, f"this patient's account is for {account.email}: invite that email")
    now = utc_now()
    revoked = session.execute(
        update(Invitation)
        .where(Invitation.patient_id == patient.id, Invitation.used_at.is_(None), Invitation.expires_at > now)
        .values(expires_at=now)
    )
    invitation = Invitation(
        token_hash=token_hash, patient_id=patient.id, email=data.email, created_by=actor.id, expires_at=expires_at
    )
    session.add(invitation)
    session.flush()
    detail = {"email": data.email, "revoked_older": int(cast(CursorResult[Any], revoked).rowcount)}
    audit.record(session, actor.id, AuditAction.CREATE, INVITATION, invitation.id, patient.id, **detail)
    return InvitationPublic.model_validate(invitation)


def activated_email(session: Session, actor_id: int, patient_id: int) -> str | None:
    """The email the patient signs in with, once they have activated their account (the patient's clinician
    or an admin); None while there is none to sign in with: an invitation is what they need."""
    access.patient_for(session, actor_id, patient_id, AuditAction.READ)
    account = session.scalar(select(User).where(User.patient_id == patient_id, User.password_hash.is_not(None)))
    return None if account is None else account.email


def open_invitation(session: Session, token_hash: str, now: dt.datetime) -> InvitationPublic | None:
    """The invitation with this token hash if it is unused and unexpired, else None."""
    invitation = session.scalar(select(Invitation).where(Invitation.token_hash == token_hash))
    if invitation is None or invitation.used_at is not None or invitation.expires_at <= now:
        return None
    return InvitationPublic.model_validate(invitation)


def accept_invitation(session: Session, token_hash: str, now: dt.datetime, password_hash: str) -> UserPublic:
    """Use an invitation once: the patient's account for the invited email, activated with this password
    (made now if the patient had none). Every other web session of the account ends.

    Single use holds across concurrent requests: the invitation is claimed by a conditional update.
    ``NotFoundError`` for a link unknown, used, expired, or whose account is activated or another email's.
    """
    claimed = session.execute(
        update(Invitation)
        .where(Invitation.token_hash == token_hash, Invitation.used_at.is_(None), Invitation.expires_at > now)
        .values(used_at=now)
    )
    invitation = session.scalar(select(Invitation).where(Invitation.token_hash == token_hash))
    if invitation is None or cast(CursorResult[Any], claimed).rowcount != 1:
        raise NotFoundError(INVITATION, None)
    account = session.scalar(select(User).where(User.patient_id == invitation.patient_id))
    if account is None:
        account = _new_patient_user(session, invitation)
    elif account.password_hash is not None or account.email != invitation.email:
        raise NotFoundError(INVITATION, invitation.id)
    users.set_password(session, account.id, password_hash)
    audit.record(session, account.id, AuditAction.UPDATE, INVITATION, invitation.id, invitation.patient_id, used=True)
    session.flush()
    return UserPublic.model_validate(account)


def _new_patient_user(session: Session, invitation: Invitation) -> User:
    if session.scalar(select(User.id).where(User.email == invitation.email)) is not None:
        raise ConflictError(EntityType.USER, invitation.email, "a user with this email already exists")
    patient = session.get(Patient, invitation.patient_id)
    if patient is None:
        raise NotFoundError(EntityType.PATIENT, invitation.patient_id)
    user = User(
        email=invitation.email,
        display_name=patient.display_name,
        role=Role.PATIENT,
        clinician_id=patient.clinician_id,
        patient_id=patient.id,
    )
    session.add(user)
    session.flush()
    audit.record(
        session, user.id, AuditAction.CREATE, EntityType.USER, user.id, patient.id, role="patient", via="invitation"
    )
    return user
