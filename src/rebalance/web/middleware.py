"""Three ASGI middlewares: security headers on every response, a generic 500 for any unhandled error, and
the limits of what a request may carry.

Security headers: a strict Content-Security-Policy (scripts, styles and forms from this site only;
no frames), ``nosniff``, no framing, ``Referrer-Policy: same-origin`` (an invitation link's token
never leaks to another site), and ``Cache-Control: no-store`` on everything but ``/static`` (health
records stay out of shared caches). ``/docs`` gets no CSP: Swagger UI loads its scripts from a CDN.

Request limits: a body over ``Settings.max_body_bytes`` is refused with 413 (as declared, or as read); a
clip uploaded on the assessment form may reach ``video_max_bytes``, and its binary body is not searched
for NUL (that route keeps no text of it but a movement and a view from a list, and the clip's name, cleaned);
a path, query, form or JSON body that carries the NUL character (``\\0``, ``%00``, ``\\u0000``) with 422,
before any route sees it. No text the app takes has a use for NUL, and PostgreSQL cannot store it (a
stored name, or a JSON document, would fail there and nowhere else). Both answers are the app's usual
error answers (JSON under ``/api``, a page elsewhere).
"""

from __future__ import annotations

import logging
import re
import secrets

from fastapi import HTTPException, Request
from fastapi.responses import PlainTextResponse, Response
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rebalance.web.errors import answer
from rebalance.web.schemas import ErrorItem

logger = logging.getLogger("rebalance.web")

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
NO_CSP_PATHS = ("/docs",)


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("X-Frame-Options", "DENY")
                headers.setdefault("Referrer-Policy", "same-origin")
                if not path.startswith(NO_CSP_PATHS):
                    headers.setdefault("Content-Security-Policy", CSP)
                if not path.startswith("/static/"):
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_headers)


class UnhandledErrorMiddleware:
    """Answer any exception no handler took with 500, a generic message and an error id; log the traceback."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception as exc:
            error_id = secrets.token_hex(6)
            logger.error("error %s on %s %s", error_id, scope.get("method"), scope.get("path"), exc_info=exc)
            if started:  # too late to answer: let the server close the connection
                raise
            await server_error(Request(scope), error_id)(scope, receive, send)


def server_error(request: Request, error_id: str) -> Response:
    message = f"Something went wrong on our side. If it happens again, quote error id {error_id}."
    try:
        return answer(request, 500, "Something went wrong", [ErrorItem(path="", message=message)], error_id=error_id)
    except Exception:  # the error page itself failed: plain text, still no details
        logger.exception("the error page failed for error %s", error_id)
        return PlainTextResponse(message, status_code=500)


UPLOAD_PATH_END = "/assessments/video"  # POST /patients/{id}/assessments/video: a clip and the form
NUL_MESSAGE = "Text may not contain the NUL character (\\0)."
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")  # \u0000 not itself escaped (\\u0000 is text)


def has_nul(data: bytes, content_type: str = "") -> bool:
    """Whether ``data`` (a query string, or a body of ``content_type``) carries the NUL character."""
    if b"\x00" in data:
        return True
    if "json" not in content_type and b"%00" in data:  # a query string, a form
        return True
    return _JSON_NUL.search(data) is not None  # JSON (also sent without its content type)


class RequestLimitsMiddleware:
    """Refuse a body over ``max_body_bytes`` (413), and a path, query or body with the NUL character (422)."""

    def __init__(self, app: ASGIApp, max_body_bytes: int, upload_bytes: int) -> None:
        self.app = app
        self.max_body_bytes, self.upload_bytes = max_body_bytes, upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        declared = request.headers.get("content-length", "")
        upload = scope["path"].endswith(UPLOAD_PATH_END)  # a clip is binary: NUL bytes are its content
        limit = self.upload_bytes if upload else self.max_body_bytes
        if declared.isdigit() and int(declared) > limit:
            await _refuse(request, 413, _too_large(limit))(scope, receive, send)
            return
        if "\x00" in scope["path"] or has_nul(scope.get("query_string", b"")):
            await _refuse(request, 422, NUL_MESSAGE)(scope, receive, send)
            return
        content_type = request.headers.get("content-type", "")
        size, tail = 0, b""  # the end of the previous chunk: an escape may be split between two

        async def checked() -> Message:
            nonlocal size, tail
            message = await receive()
            if message["type"] == "http.request":
                body = message.get("body", b"")
                size += len(body)
                if size > limit:
                    raise HTTPException(413, _too_large(limit))
                if not upload and has_nul(tail + body, content_type):
                    raise HTTPException(422, NUL_MESSAGE)
                tail = (tail + body)[-8:]
            return message

        await self.app(scope, checked, send)


def _too_large(limit: int) -> str:
    return f"The request is too large: at most {limit:,} bytes."


def _refuse(request: Request, status: int, message: str) -> Response:
    title = "Too large" if status == 413 else "Not valid"
    return answer(request, status, title, [ErrorItem(path="", message=message)])
