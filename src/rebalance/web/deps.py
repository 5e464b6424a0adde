"""What a route asks for: the database session, the signed-in user by role, the knowledge base, today.

    SessionDep      the request's unit of work: committed when the route returns, before the response
                    is sent; rolled back at once if anything raises (then the error is answered)
    SignedInDep     the signed-in user and their web session, or None (one query, in that unit of work)
    CurrentUser     the signed-in user (any role)
    AdminUser       ... who is an admin
    ClinicianUser   ... who is a clinician (admins are not clinicians: they manage accounts, not patients)
    PatientUser     ... who is a patient (``user.patient_id`` is their own record)
    KnowledgeDep    the knowledge base (loaded once per process)
    SettingsDep     the app's Settings;  PasswordsDep  password hashing with them
    TodayDep        today, on the server's calendar (tests put another day in its place)
    RecordId        a record's id in a path: 1 to 2**31 - 1 (the ids the tables hold), else 422

Without a session, a page request is redirected (303) to ``/login?next=<where it was going>``, an
HTMX request gets 401 with ``HX-Redirect``, and an ``/api/...`` request gets 401 JSON. A signed-in
user of the wrong role gets 403. These rules live in :mod:`rebalance.web.errors`.

CSRF: :func:`csrf_protect` runs on EVERY route (the app adds it once, in ``create_app``); it lets
safe methods through and checks every POST/PUT/PATCH/DELETE. Routes do not add it themselves.

Which records a user may read or change is decided by the repository (``storage/repos``), which raises
``PermissionDeniedError`` (→ 403) or ``NotFoundError`` (→ 404): routes pass ``user.id`` as the acting
user and never check ownership themselves.

The dependencies that do no I/O are ``async``: FastAPI runs a plain ``def`` in a worker thread, a trip
that costs more than they do. The session and the sign-in lookup (I/O) are plain ``def``s, and so are the
routes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Path, Request
from sqlalchemy.orm import Session

from rebalance.config import Settings
from rebalance.errors import PermissionDeniedError
from rebalance.knowledge.loader import KnowledgeBase, default
from rebalance.storage.db import session_scope
from rebalance.storage.schemas import UserPublic
from rebalance.storage.types import Role
from rebalance.web import security
from rebalance.web.errors import CsrfError, NotAuthenticatedError


def get_db(request: Request) -> Iterator[Session]:
    """One unit of work a request (``app.state.session_factory``); a GET's reads first
    (``app.state.reads_session_factory``, ``storage.db``: on SQLite it takes the write lock only to write)."""
    state = request.app.state
    factory = state.reads_session_factory if request.method in security.SAFE_METHODS else state.session_factory
    with session_scope(factory) as session:
        yield session


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_passwords(request: Request) -> security.Passwords:
    passwords: security.Passwords = request.app.state.passwords
    return passwords


async def get_kb() -> KnowledgeBase:
    return default()


async def today() -> dt.date:
    """Today, on the server's calendar (a dependency: tests put another day in its place)."""
    return dt.date.today()


# scope="function": the unit of work ends as the route returns, before the response is sent.
SessionDep = Annotated[Session, Depends(get_db, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings)]
PasswordsDep = Annotated[security.Passwords, Depends(get_passwords)]
KnowledgeDep = Annotated[KnowledgeBase, Depends(get_kb)]
TodayDep = Annotated[dt.date, Depends(today)]
MAX_ID = 2**31 - 1
RecordId = Annotated[int, Path(ge=1, le=MAX_ID, description="a record's id")]


def signed_in(request: Request, db: SessionDep, settings: SettingsDep) -> security.SignedIn | None:
    """The request's user and web session, looked up once a request (also kept in
    ``request.state.signed_in`` for the templates)."""
    found = security.find_session(db, settings, request)
    request.state.signed_in = found
    return found


SignedInDep = Annotated[security.SignedIn | None, Depends(signed_in)]


async def current_user(session: SignedInDep) -> UserPublic:
    if session is None:
        raise NotAuthenticatedError
    return session.user


CurrentUser = Annotated[UserPublic, Depends(current_user)]


def require_role(role: Role, user: UserPublic, request: Request) -> UserPublic:
    """``user`` if they have ``role``; else 403."""
    if user.role is not role:
        reason = f"only for {role.value}s"
        raise PermissionDeniedError(user.id, request.method.lower(), "page", request.url.path, reason)
    return user


async def admin_user(user: CurrentUser, request: Request) -> UserPublic:
    return require_role(Role.ADMIN, user, request)


async def clinician_user(user: CurrentUser, request: Request) -> UserPublic:
    return require_role(Role.CLINICIAN, user, request)


async def patient_user(user: CurrentUser, request: Request) -> UserPublic:
    return require_role(Role.PATIENT, user, request)


AdminUser = Annotated[UserPublic, Depends(admin_user)]
ClinicianUser = Annotated[UserPublic, Depends(clinician_user)]
PatientUser = Annotated[UserPublic, Depends(patient_user)]


async def csrf_protect(request: Request, session: SignedInDep) -> None:
    """Refuse (403) a state-changing request without the right CSRF token.

    The token comes from the ``X-CSRF-Token`` header (HTMX, JSON) or the ``csrf_token`` form field.
    """
    if request.method in security.SAFE_METHODS:
        return
    supplied = request.headers.get(security.CSRF_HEADER)
    content_type = request.headers.get("content-type", "")
    if supplied is None and content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        value = (await request.form()).get(security.CSRF_FIELD)
        supplied = value if isinstance(value, str) else None
    if not security.same_token(security.expected_csrf_token(request, session), supplied):
        raise CsrfError
