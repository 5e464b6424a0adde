"""``GET /api/me``: the signed-in user and their session's CSRF token (the ``X-CSRF-Token`` header of every
POST/PUT/PATCH/DELETE)."""

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
