"""Login attempts, for rate limiting in the database (every process sees them) and for the audit log.

    hold_login_keys        the attempts of an email and of an address, counted and taken one request at a time
    login_failures         the failures that count against an attempt now
    add_attempt            an attempt taken: counted as failed until it succeeds
    login_succeeded        ... it did (audited); the email's earlier failures stop counting
    login_failed           ... it did not (audited)
    purge_login_attempts   those out of the window

Counting an attempt and taking it happen in one transaction that holds the email's and the address's
keys: on PostgreSQL a transaction-level advisory lock on each, on SQLite the write lock every transaction
takes. So parallel attempts are counted one after another, and none gets past a limit another reached.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from sqlalchemy import CursorResult, delete, func, select, update
from sqlalchemy.orm import Session

from rebalance.storage import audit
from rebalance.storage.schemas import LoginFailures
from rebalance.storage.tables import LoginAttempt
from rebalance.storage.types import AuditAction, EntityType


def email_key(email: str) -> str:
    """How an email is counted: lower-cased, trimmed, at most the column's length."""
    return email.strip().lower()[:320]


def hold_login_keys(session: Session, email: str, ip: str) -> None:
    """Hold the email's and the address's attempts until the transaction ends (PostgreSQL: advisory locks,
    taken in one order; SQLite's transactions hold the whole database already)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for key in sorted({f"login email {email_key(email)}", f"login address {ip}"}):
        session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(key, 0))))


def login_failures(session: Session, email: str, ip: str, since: dt.datetime) -> LoginFailures:
    """The failures since ``since`` that count now: those of this email from this address after the email's
    last success (another address is not locked out by them), and every failure from this address."""
    key = email_key(email)
    last_success = session.scalar(
        select(func.max(LoginAttempt.at)).where(LoginAttempt.key == key, LoginAttempt.success.is_(True))
    )
    success = _aware(last_success)
    email_since = since if success is None else max(since, success)
    failed = (LoginAttempt.ip == ip, LoginAttempt.success.is_(False))
    by_email = session.execute(
        select(func.count(), func.min(LoginAttempt.at)).where(
            *failed, LoginAttempt.key == key, LoginAttempt.at > email_since
        )
    ).one()
    by_ip = session.execute(
        select(func.count(), func.min(LoginAttempt.at)).where(*failed, LoginAttempt.at > since)
    ).one()
    return LoginFailures(
        by_email=by_email[0], by_ip=by_ip[0], oldest_by_email=_aware(by_email[1]), oldest_by_ip=_aware(by_ip[1])
    )


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    """An aggregate bypasses the column type: SQLite gives back naive UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


def add_attempt(session: Session, email: str, ip: str, at: dt.datetime) -> int:
    """An attempt about to be checked, counted as failed until :func:`login_succeeded` says otherwise."""
    attempt = LoginAttempt(key=email_key(email), ip=ip, at=at, success=False)
    session.add(attempt)
    session.flush()
    return attempt.id


def login_succeeded(session: Session, attempt_id: int, user_id: int, ip: str) -> None:
    """The attempt was right: it counts as a success (the email's failures before it no longer count)."""
    session.execute(update(LoginAttempt).where(LoginAttempt.id == attempt_id).values(success=True))
    audit.record(session, user_id, AuditAction.LOGIN, EntityType.USER, user_id, ip=ip)


def login_failed(session: Session, email: str, ip: str, user_id: int | None) -> None:
    """The attempt was wrong (``user_id`` when the email is a user's): audited; it stays counted."""
    audit.record(session, user_id, AuditAction.LOGIN_FAILED, EntityType.USER, user_id, email=email_key(email), ip=ip)


def purge_login_attempts(session: Session, before: dt.datetime) -> int:
    """Forget attempts older than ``before`` (they no longer count); returns how many."""
    result = session.execute(delete(LoginAttempt).where(LoginAttempt.at < before))
    return int(cast(CursorResult[Any], result).rowcount)
