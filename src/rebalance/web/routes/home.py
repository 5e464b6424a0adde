"""The start page: where each role lands after signing in (:data:`HOME_BY_ROLE` is the one place that says it)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import RedirectResponse, Response

from rebalance.storage.types import Role
from rebalance.web.deps import CurrentUser

router = APIRouter(include_in_schema=False)

HOME_BY_ROLE: dict[Role, str] = {
    Role.ADMIN: "/admin/clinicians",
    Role.CLINICIAN: "/patients",
    Role.PATIENT: "/today",
}


@router.get("/")
def home(user: CurrentUser) -> Response:
    return RedirectResponse(HOME_BY_ROLE[user.role], status_code=303)
