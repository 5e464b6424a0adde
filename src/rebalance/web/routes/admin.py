"""The admin's pages: list, create, deactivate and reactivate clinicians.

    GET  /admin/clinicians                       the list and the form for a new clinician
    POST /admin/clinicians                       create (422 with the form's problems; 409 for a taken email)
    POST /admin/clinicians/{user_id}/deactivate  the clinician can no longer sign in; their sessions end
    POST /admin/clinicians/{user_id}/activate    and back

A page route, thin — validate, call the repository as the acting user, render (or redirect)::

    @router.get("/clinicians")
    def clinicians_page(request: Request, db: SessionDep, admin: AdminUser) -> HTMLResponse:
        return render(request, "admin/clinicians.html", {"clinicians": users.list_clinicians(db, admin.id)})
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from rebalance.errors import ConflictError
from rebalance.storage.repos import users
from rebalance.storage.schemas import UserCreate
from rebalance.storage.types import Role
from rebalance.web.deps import AdminUser, PasswordsDep, RecordId, SessionDep
from rebalance.web.rendering import render

router = APIRouter(prefix="/admin", include_in_schema=False)

NOTICES = {
    "created": "The clinician was created. Give them their email and password.",
    "deactivated": "The clinician was deactivated: they can no longer sign in.",
    "activated": "The clinician was activated again.",
}
Done = Literal["created", "deactivated", "activated"]


def _page(
    request: Request,
    db: Session,
    admin_id: int,
    *,
    notice: str | None = None,
    form: dict[str, str] | None = None,
    problems: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    context = {
        "clinicians": users.list_clinicians(db, admin_id),
        "notice": notice,
        "form": form or {"email": "", "display_name": ""},
        "problems": problems or {},
    }
    return render(request, "admin/clinicians.html", context, status_code=status_code)


@router.get("/clinicians")
def clinicians_page(request: Request, db: SessionDep, admin: AdminUser, done: Done | None = None) -> HTMLResponse:
    return _page(request, db, admin.id, notice=NOTICES[done] if done else None)


@router.post("/clinicians")
def create_clinician(
    request: Request,
    db: SessionDep,
    passwords: PasswordsDep,
    admin: AdminUser,
    email: Annotated[str, Form(max_length=320)] = "",
    display_name: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    form = {"email": email, "display_name": display_name}
    problems: dict[str, str] = {}
    try:
        data = UserCreate(email=email, display_name=display_name, role=Role.CLINICIAN)
    except ValidationError as exc:
        problems = {str(e["loc"][0]): _plain(e["msg"]) for e in exc.errors()}
    password_problem = passwords.problem(password, password)
    if password_problem:
        problems["password"] = password_problem
    if problems:
        return _page(request, db, admin.id, form=form, problems=problems, status_code=422)
    try:
        users.create_user(db, admin.id, data.model_copy(update={"password_hash": passwords.hash(password)}))
    except ConflictError:
        problems = {"email": "A user with this email already exists."}
        return _page(request, db, admin.id, form=form, problems=problems, status_code=409)
    return RedirectResponse("/admin/clinicians?done=created", status_code=303)


def _plain(message: str) -> str:
    if message.startswith("String should match pattern"):
        return "Enter an email address such as name@clinic.org."
    return message.removeprefix("Value error, ")


@router.post("/clinicians/{user_id}/deactivate")
def deactivate_clinician(db: SessionDep, admin: AdminUser, user_id: RecordId) -> Response:
    users.set_clinician_active(db, admin.id, user_id, active=False)
    return RedirectResponse("/admin/clinicians?done=deactivated", status_code=303)


@router.post("/clinicians/{user_id}/activate")
def activate_clinician(db: SessionDep, admin: AdminUser, user_id: RecordId) -> Response:
    users.set_clinician_active(db, admin.id, user_id, active=True)
    return RedirectResponse("/admin/clinicians?done=activated", status_code=303)
