"""Two ASGI middlewares: security headers on every response, and a generic 500 for any unhandled error.

Security headers: a strict Content-Security-Policy (scripts, styles and forms from this site only;
no frames), ``nosniff``, no framing, ``Referrer-Policy: same-origin`` (an invitation link's token
never leaks to another site), and ``Cache-Control: no-store`` on everything but ``/static`` (health
records stay out of shared caches). ``/docs`` gets no CSP: Swagger UI loads its scripts from a CDN.
"""

from __future__ import annotations

import logging
import secrets

from fastapi import Request
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
