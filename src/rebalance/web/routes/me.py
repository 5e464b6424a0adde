"""``GET /api/me``: the signed-in user (any role), and their session's CSRF token.

Authentication is the session cookie of ``POST /login``. Every POST/PUT/PATCH/DELETE carries the
session's CSRF token in the ``X-CSRF-Token`` header: pages have it (HTMX sends it from
``hx-headers``), other clients read it from here.
"""

from __future__ import annotations

from fastapi import APIRouter

from rebalance.web.deps import SignedInDep
from rebalance.web.errors import NotAuthenticatedError
from rebalance.web.schemas import API_ERRORS, Me

api = APIRouter(prefix="/api", tags=["api"], responses=API_ERRORS)


@api.get("/me")
def me(session: SignedInDep) -> Me:
    """The signed-in user (any role), with the CSRF token their POST/PUT/PATCH/DELETE requests carry."""
    if session is None:
        raise NotAuthenticatedError
    return Me(**session.user.model_dump(), csrf_token=session.web_session.csrf_token)
