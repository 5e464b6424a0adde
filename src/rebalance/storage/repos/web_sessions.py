"""Web sessions: a signed-in browser, found by the hash of its cookie's token (the token is never stored).

create_web_session   after a password was checked
find_web_session     the session of a token hash and its user (active or not: the caller decides)
touch_web_session    activity, which keeps it from idling out
end_web_session      logout (audited), rotation at login
purge_web_sessions   those past their end or idle too long
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from sqlalchemy import CursorResult, delete, or_, select, update
from sqlalchemy.orm import Session

from rebalance.storage import audit
from rebalance.storage.repos import access
from rebalance.storage.schemas import UserPublic, WebSessionPublic
from rebalance.storage.tables import User, WebSession
from rebalance.storage.types import AuditAction

WEB_SESSION = "web_session"
"""The audit log's name for a web session (``audit_events.entity_type`` is plain text)."""


def create_web_session(
    session: Session, user_id: int, token_hash: str, csrf_token: str, now: dt.datetime, expires_at: dt.datetime
) -> WebSessionPublic:
    """Start a web session for a user (after their password was checked)."""
    row = WebSession(
        user_id=user_id,
        token_hash=token_hash,
        csrf_token=csrf_token,
        created_at=now,
        last_seen_at=now,
        expires_at=expires_at,
    )
    session.add(row)
    session.flush()
    return WebSessionPublic.model_validate(row)


def find_web_session(session: Session, token_hash: str) -> tuple[WebSessionPublic, UserPublic] | None:
    """The web session with this token hash and its user, or None: one query."""
    row = session.execute(
        select(WebSession, User).join(User, User.id == WebSession.user_id).where(WebSession.token_hash == token_hash)
    ).one_or_none()
    if row is None:
        return None
    web_session, user = row
    access.keep(session, user)  # the request's acting user: its calls need not read it again
    return WebSessionPublic.model_validate(web_session), UserPublic.model_validate(user)


def touch_web_session(session: Session, session_id: int, now: dt.datetime) -> None:
    """Record activity on a web session (it keeps it from idling out); a session ended meanwhile (a sign-out
    in another tab) matches no row."""
    session.execute(update(WebSession).where(WebSession.id == session_id).values(last_seen_at=now))


def end_web_session(session: Session, session_id: int, user_id: int | None = None) -> None:
    """Delete a web session (logout, rotation); audited when ``user_id`` ends it (logout)."""
    session.execute(delete(WebSession).where(WebSession.id == session_id))
    if user_id is not None:
        audit.record(session, user_id, AuditAction.DELETE, WEB_SESSION, session_id, reason="logout")


def purge_web_sessions(session: Session, now: dt.datetime, idle_since: dt.datetime) -> int:
    """Delete sessions past their absolute expiry or not seen since ``idle_since``; returns how many."""
    expired = or_(WebSession.expires_at <= now, WebSession.last_seen_at < idle_since)
    result = session.execute(delete(WebSession).where(expired))
    return int(cast(CursorResult[Any], result).rowcount)
