"""How errors are answered: JSON under ``/api``, a friendly page elsewhere, never a stack trace.

    exception                    status  /api (JSON ``{"errors": [{"path", "message"}]}``)  pages
    NotAuthenticatedError        401/303 401                                                 303 to /login?next=...
                                                                                             (HTMX: 401 + HX-Redirect)
    CsrfError                    403     403                                                 error page
    RequestValidationError       422     each problem with its field path (body.x.y[0].z),   error page listing them
                                         in plain words (``fields.problem``)
    InvalidInputError            422     each problem with file, path and message            error page listing them
    NotFoundError                404
    PermissionDeniedError        403
    ConflictError                409     the reason
    IntegrityError (SQLAlchemy)  409     a change two requests made at once, refused by a constraint
    HTTPException (Starlette)    its own status and headers (404 for an unknown path, 405 ...)
    anything else                500     a generic message and an error id (logged with the traceback)

An HTMX request gets the error page's content alone (``_error.html``), to show in place where it asked.

The 500 answer is made by :class:`rebalance.web.middleware.UnhandledErrorMiddleware`; the rest by
the handlers that :func:`register_error_handlers` installs.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import cast
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from rebalance.errors import ConflictError, InvalidInputError, NotFoundError, PermissionDeniedError
from rebalance.fields import problem
from rebalance.web.rendering import render
from rebalance.web.schemas import ErrorItem, ErrorResponse

logger = logging.getLogger("rebalance.web")


class NotAuthenticatedError(Exception):
    """The request needs a signed-in user and has none (no cookie, or an expired or ended session)."""


class CsrfError(Exception):
    """A state-changing request without the right CSRF token."""


def is_api(request: Request) -> bool:
    path = request.url.path
    return path == "/api" or path.startswith("/api/")


def field_path(loc: Sequence[int | str]) -> str:
    """``("body", "symptoms", "locations", 0, "region")`` → ``body.symptoms.locations[0].region``."""
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc).lstrip(".")


def answer(
    request: Request,
    status: int,
    title: str,
    problems: Sequence[ErrorItem],
    *,
    headers: Mapping[str, str] | None = None,
    error_id: str | None = None,
) -> Response:
    """An error answer: JSON on ``/api``, the error page elsewhere (to HTMX, its content alone)."""
    if is_api(request):
        body = ErrorResponse(errors=list(problems), error_id=error_id)
        return JSONResponse(body.model_dump(exclude_none=True), status_code=status, headers=dict(headers or {}))
    fragment = bool(request.headers.get("HX-Request"))
    context = {"status": status, "title": title, "problems": problems, "error_id": error_id, "fragment": fragment}
    return render(request, "_error.html" if fragment else "error.html", context, status_code=status, headers=headers)


def _one(message: str) -> list[ErrorItem]:
    return [ErrorItem(path="", message=message)]


async def _not_authenticated(request: Request, exc: Exception) -> Response:
    if is_api(request):
        return answer(request, 401, "Sign in", _one("Sign in first."))
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    login = "/login" if request.method != "GET" else f"/login?next={quote(target, safe='/')}"
    if request.headers.get("HX-Request"):
        return Response(status_code=401, headers={"HX-Redirect": login})
    return RedirectResponse(login, status_code=303)


async def _csrf(request: Request, exc: Exception) -> Response:
    message = "This form has expired or came from another site. Go back, reload the page and try again."
    return answer(request, 403, "Form expired", _one(message))


async def _validation(request: Request, exc: Exception) -> Response:
    errors = cast(RequestValidationError, exc).errors()
    problems = [ErrorItem(path=field_path(e["loc"]), message=problem(e)) for e in errors]  # in plain words
    return answer(request, 422, "Some values are not valid", problems)


async def _invalid_input(request: Request, exc: Exception) -> Response:
    invalid = cast(InvalidInputError, exc)
    problems = [ErrorItem(path=p.path, message=p.message, file=p.file) for p in invalid.problems]
    return answer(request, 422, "The input is not valid", problems)


async def _not_found(request: Request, exc: Exception) -> Response:
    return answer(request, 404, "Not found", _one("There is no such record, or it is not yours to see."))


async def _denied(request: Request, exc: Exception) -> Response:
    return answer(request, 403, "Not allowed", _one("You do not have access to this."))


async def _conflict(request: Request, exc: Exception) -> Response:
    return answer(request, 409, "Not possible", _one(str(cast(ConflictError, exc).reason)))


async def _integrity(request: Request, exc: Exception) -> Response:
    logger.info("a change refused by a constraint on %s %s: %s", request.method, request.url.path, exc)
    message = "This change conflicts with a record stored meanwhile. Reload and try again."
    return answer(request, 409, "Not possible", _one(message))


async def _http(request: Request, exc: Exception) -> Response:
    http = cast(StarletteHTTPException, exc)
    title = "Not found" if http.status_code == 404 else "Error"
    return answer(request, http.status_code, title, _one(str(http.detail)), headers=http.headers)


def register_error_handlers(app: FastAPI) -> None:
    """Install the handlers of the table above (the 500 answer is the middleware's)."""
    app.add_exception_handler(NotAuthenticatedError, _not_authenticated)
    app.add_exception_handler(CsrfError, _csrf)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(InvalidInputError, _invalid_input)
    app.add_exception_handler(NotFoundError, _not_found)
    app.add_exception_handler(PermissionDeniedError, _denied)
    app.add_exception_handler(ConflictError, _conflict)
    app.add_exception_handler(IntegrityError, _integrity)
    app.add_exception_handler(StarletteHTTPException, _http)
