"""What a route asks for: the database session, the signed-in user by role, the knowledge base.

    SessionDep      a database session for this request: committed when the route returns (before
                    the response is sent), rolled back if it raises
    OptionalUser    the signed-in user, or None
    CurrentUser     the signed-in user (any role)
    AdminUser       ... who is an admin
    ClinicianUser   ... who is a clinician (admins are not clinicians: they manage accounts, not patients)
    PatientUser     ... who is a patient (``user.patient_id`` is their own record)
    KnowledgeDep    the knowledge base (loaded once per process)
    SettingsDep     the app's Settings
    WebContextDep   settings, session factory and password hashing together (``app.state.web``)

Without a session, a page request is redirected (303) to ``/login?next=<where it was going>``, an
HTMX request gets 401 with ``HX-Redirect``, and an ``/api/...`` request gets 401 JSON. A signed-in
user of the wrong role gets 403. These rules live in :mod:`rebalance.web.errors`.

CSRF: :func:`csrf_protect` runs on EVERY route (the app adds it once, in ``create_app``); it lets
safe methods through and checks every POST/PUT/PATCH/DELETE. Routes do not add it themselves.

Which records a user may read or change is decided by the repository (``storage/repo.py``,
``storage/auth_repo.py``), which raises ``PermissionDeniedError`` (→ 403) or ``NotFoundError`` (→ 404):
routes pass ``user.id`` as the acting user and never check ownership themselves.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from rebalance.config import Settings
from rebalance.errors import PermissionDeniedError
from rebalance.knowledge.loader import KnowledgeBase, default
from rebalance.storage.db import session_scope
from rebalance.storage.schemas import UserPublic
from rebalance.storage.types import Role
from rebalance.web import security
from rebalance.web.errors import CsrfError, NotAuthenticatedError
from rebalance.web.security import SignedIn


@dataclass(frozen=True)
class WebContext:
    """What the app is made with (``app.state.web``): settings, database sessions, password hashing."""

    settings: Settings
    session_factory: sessionmaker[Session]
    passwords: security.Passwords


def web_context(request: Request) -> WebContext:
    context: WebContext = request.app.state.web
    return context


def get_settings(request: Request) -> Settings:
    return web_context(request).settings


def get_db(request: Request) -> Iterator[Session]:
    """One unit of work per request (``session_scope``): commit at the end, roll back on an error."""
    with session_scope(web_context(request).session_factory) as session:
        yield session


def get_kb() -> KnowledgeBase:
    return default()


WebContextDep = Annotated[WebContext, Depends(web_context)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
# scope="function": the commit happens before the response is sent, so the next request sees it.
SessionDep = Annotated[Session, Depends(get_db, scope="function")]
KnowledgeDep = Annotated[KnowledgeBase, Depends(get_kb)]


def signed_in(request: Request, db: SessionDep, settings: SettingsDep) -> SignedIn | None:
    """The request's user and web session (also kept in ``request.state.signed_in`` for the templates)."""
    found = security.load_session(db, settings, request)
    request.state.signed_in = found
    return found


SignedInDep = Annotated[SignedIn | None, Depends(signed_in)]


def optional_user(session: SignedInDep) -> UserPublic | None:
    return None if session is None else session.user


def current_user(session: SignedInDep) -> UserPublic:
    if session is None:
        raise NotAuthenticatedError
    return session.user


OptionalUser = Annotated[UserPublic | None, Depends(optional_user)]
CurrentUser = Annotated[UserPublic, Depends(current_user)]


def _require(role: Role, user: UserPublic, request: Request) -> UserPublic:
    if user.role is not role:
        reason = f"only for {role.value}s"
        raise PermissionDeniedError(user.id, request.method.lower(), "page", request.url.path, reason)
    return user


def admin_user(user: CurrentUser, request: Request) -> UserPublic:
    return _require(Role.ADMIN, user, request)


def clinician_user(user: CurrentUser, request: Request) -> UserPublic:
    return _require(Role.CLINICIAN, user, request)


def patient_user(user: CurrentUser, request: Request) -> UserPublic:
    return _require(Role.PATIENT, user, request)


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
    if supplied is None and _is_form(request):
        value = (await request.form()).get(security.CSRF_FIELD)
        supplied = value if isinstance(value, str) else None
    if not security.same_token(security.expected_csrf_token(request, session), supplied):
        raise CsrfError


def _is_form(request: Request) -> bool:
    content_type = request.headers.get("content-type", "")
    return content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data"))
