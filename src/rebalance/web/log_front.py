"""A patient's session log (``POST /api/me/logs``) answered before routing: the busiest write, without
FastAPI's routing and dependency solving around it.

Logging a session is the busiest write under load, and FastAPI's share of it (routing, solving the
route's dependencies, reading and checking the body, checking the response) was 0.3–0.4 ms of the
request's 1.9–2.8 ms of CPU, measured in-process: without it the event loop's thread spends 0.36–0.74 ms
a request instead of 0.73–1.08 (``bench/README.md``). This ASGI middleware does the same request with the same parts:

- the same sign-in lookup, with the patient's page state, made by the log writer for all the sessions
  waiting at once (``deps.look_up_each``: one statement on PostgreSQL; the session marked seen by the
  bookkeeping writer), and the same role and CSRF checks (``security.same_token`` on the ``X-CSRF-Token``
  header);
- the same body model (``SessionIn``), the same day (the app's ``today`` dependency, overrides included);
- the same view in steps (``session_views.store_sessions``, then ``saved_session`` after the commit), in
  a unit of work shared with the other sessions logged at the same moment (``log_writer.py``: one
  transaction for them all, each answered as it would be alone);
- the same answers: ``SessionSaved`` as JSON with 201, and what the view refuses (a stopped program, a
  field's problem, no program) answered by the app's own exception handlers.

Anything it does not take goes on to the app, untouched (the body it read is handed on): no session, not
a patient, no or a wrong CSRF token, a body that is not a valid ``SessionIn`` (the app's answer names the
fields), any other path or method. Nothing is stored before that point, so the app's answer is the one a
request always had.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response
from pydantic import TypeAdapter, ValidationError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rebalance.web import patient_views, security
from rebalance.web.log_writer import LogWriter, NotTaken
from rebalance.web.patient_schemas import SessionIn, SessionSaved

PATH = "/api/me/logs"
_SAVED = TypeAdapter(SessionSaved)


class SessionLogFront:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.writer = LogWriter()  # this app's: the sessions logged at the same moment, written together

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != PATH:
            await self.app(scope, receive, send)
            return
        body = await _body(receive)
        request = Request(scope)
        data = _readable(request, body)
        response = None if data is None else await self._log(request, data)
        if response is None:  # not taken: the app answers it
            await self.app(scope, _replay(body, receive), send)
            return
        await response(scope, receive, send)

    async def _log(self, request: Request, data: SessionIn) -> Response | None:
        app: FastAPI = request.app
        day = await patient_views.today_of(app)
        try:
            saved = await self.writer.submit(request, day, data)
        except NotTaken:
            return None
        except Exception as error:
            handler = _handler(app, error)
            if handler is None:
                raise  # to the unhandled-error middleware (500), as from the route
            answer = handler(request, error)
            response: Response = await answer if inspect.isawaitable(answer) else answer
            return response
        return Response(_SAVED.dump_json(saved), status_code=201, media_type="application/json")


async def _body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """The request's body again, then what the client sends next (a disconnect)."""
    sent = False

    async def again() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return again


def _readable(request: Request, body: bytes) -> SessionIn | None:
    """The body, when the request may be a signed-in patient's (a session cookie, a CSRF token, a valid
    ``SessionIn`` as JSON); else None. Who is signed in, and whether the token is the session's, the log
    writer looks up for all the sessions waiting at once (``log_writer.NotTaken`` where it is not a
    patient's with the session's token)."""
    if not request.cookies.get(security.SESSION_COOKIE) or "json" not in request.headers.get("content-type", ""):
        return None
    if not request.headers.get(security.CSRF_HEADER):
        return None
    try:
        return SessionIn.model_validate_json(body)
    except ValidationError:
        return None


def _handler(app: FastAPI, error: Exception) -> Callable[[Request, Exception], Any] | None:
    """The app's handler for ``error`` (by its class, then its bases), as Starlette looks it up."""
    for kind in type(error).__mro__:
        if kind in app.exception_handlers:
            handler: Callable[[Request, Exception], Any] = app.exception_handlers[kind]
            return handler
    return None
