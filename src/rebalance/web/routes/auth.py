"""Signing in and out, and a patient's invitation link.

    GET  /login            the form (signed in already: straight to the start page)
    POST /login            400 wrong email or password; 429 + Retry-After when rate limited;
                           303 to ``next`` (a path on this site) or the role's start page
    POST /logout           deletes the session; 303 to /login
    GET  /invite/{token}   the patient sets a password (404 page for a used, expired or unknown link)
    POST /invite/{token}   uses the link once, activates the patient's account and signs them in (their
                           other sessions end); 303 to their start page

The policy (hashing, sessions, limits) is :mod:`rebalance.web.security`; these routes only call it.
"""

from __future__ import annotations

import math
from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import RedirectResponse, Response

from rebalance.storage.repos import invitations
from rebalance.storage.schemas import InvitationPublic
from rebalance.storage.types import Role, utc_now
from rebalance.web import security
from rebalance.web.deps import PasswordsDep, SessionDep, SettingsDep, SignedInDep
from rebalance.web.rendering import render
from rebalance.web.routes.home import HOME_BY_ROLE

router = APIRouter(include_in_schema=False)

Email = Annotated[str, Form(max_length=320)]
Password = Annotated[str, Form(max_length=1024)]  # a bound on what Argon2 is asked to hash
Token = Annotated[str, Path(max_length=128)]


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site (never another site, never back to login), else None."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    if any(c.isspace() or not c.isprintable() for c in target):  # browsers drop tabs: "/\t/x" is "//x"
        return None
    if target.startswith(("/login", "/logout")):
        return None
    return target


@router.get("/login")
def login_page(request: Request, signed_in: SignedInDep, next: str | None = None) -> Response:
    if signed_in is not None:
        return RedirectResponse(safe_next(next) or HOME_BY_ROLE[signed_in.user.role], status_code=303)
    return render(request, "login.html", {"next": safe_next(next) or "", "email": "", "problem": None})


@router.post("/login")
def login(
    request: Request,
    db: SessionDep,
    settings: SettingsDep,
    passwords: PasswordsDep,
    email: Email = "",
    password: Password = "",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    address = security.client_address(request)
    outcome = security.log_in(db, settings, passwords, email, password, address)
    page = {"next": safe_next(next) or "", "email": email}
    if outcome.retry_after is not None:
        minutes = math.ceil(outcome.retry_after / 60)
        problem = f"Too many attempts. Try again in {minutes} minute{'s' if minutes != 1 else ''}."
        headers = {"Retry-After": str(outcome.retry_after)}
        return render(request, "login.html", {**page, "problem": problem}, status_code=429, headers=headers)
    if outcome.user_id is None:
        problem = "The email or the password is not right."
        return render(request, "login.html", {**page, "problem": problem}, status_code=400)
    response = RedirectResponse(safe_next(next) or "/", status_code=303)
    security.start_session(db, settings, request, response, outcome.user_id)
    return response


@router.post("/logout")
def logout(db: SessionDep, session: SignedInDep) -> Response:
    response = RedirectResponse("/login", status_code=303)
    security.end_session(db, response, session)
    return response


def _invitation_page(
    request: Request,
    passwords: security.Passwords,
    invitation: InvitationPublic | None,
    problem: str | None = None,
    status_code: int = 200,
) -> Response:
    context = {"invitation": invitation, "problem": problem, "min_length": passwords.min_length}
    return render(request, "invite.html", context, status_code=404 if invitation is None else status_code)


@router.get("/invite/{token}")
def invitation_page(request: Request, db: SessionDep, passwords: PasswordsDep, token: Token) -> Response:
    return _invitation_page(request, passwords, invitations.open_invitation(db, security.token_hash(token), utc_now()))


@router.post("/invite/{token}")
def accept_invitation(
    request: Request,
    db: SessionDep,
    settings: SettingsDep,
    passwords: PasswordsDep,
    token: Token,
    password: Password = "",
    password_repeat: Password = "",
) -> Response:
    hashed_token = security.token_hash(token)
    invitation = invitations.open_invitation(db, hashed_token, utc_now())
    problem = passwords.problem(password, password_repeat)
    if invitation is None or problem is not None:
        return _invitation_page(request, passwords, invitation, problem, status_code=400)
    user = invitations.accept_invitation(db, hashed_token, utc_now(), passwords.hash(password))
    response = RedirectResponse(HOME_BY_ROLE[Role.PATIENT], status_code=303)
    security.start_session(db, settings, request, response, user.id)
    return response
