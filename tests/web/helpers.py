"""Helpers of the web tests: every route of the app, a page's CSRF token, signing in."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from anyio.from_thread import start_blocking_portal
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp

from tests.web.conftest import PASSWORD

Response = Any  # the TestClient's response (httpx2's, or httpx's on an older Starlette)

try:  # FastAPI >= 0.16x keeps included routers lazily in app.routes; this flattens them
    from fastapi.routing import iter_route_contexts
except ImportError:  # pragma: no cover - older FastAPI: app.routes is already flat

    def iter_route_contexts(routes: Iterable[BaseRoute]) -> Iterator[Any]:  # type: ignore[misc]
        return iter(routes)


def route_keys(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path) of every route of ``app.routes``, included routers flattened; a mount is ("GET", its path)."""
    keys = []
    for context in iter_route_contexts(app.routes):
        route = getattr(context, "original_route", context)
        if isinstance(route, Mount):
            keys.append(("GET", context.path))
        elif isinstance(route, APIRoute | Route):
            keys += [(method, context.path) for method in sorted((context.methods or set()) - {"HEAD"})]
        else:
            raise AssertionError(f"a route of a kind the tests do not walk: {route!r}")
    return keys


_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(page: Response) -> str:
    """The CSRF token a page put in its forms."""
    found = _CSRF.search(page.text)
    assert found, f"no csrf_token in the page: {page.text[:300]}"
    return found.group(1)


def sign_in(client: TestClient, email: str, password: str = PASSWORD, **extra: str) -> Response:
    """Open the login form and post it (with its CSRF token); the response to the POST.

    Signed in already, the form redirects: the token is then the session's (``GET /api/me``).
    """
    form = client.get("/login")
    token = csrf_of(form) if form.status_code == 200 else client.get("/api/me").json()["csrf_token"]
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token, **extra})


def session_cookie(response: Response) -> str | None:
    """The rebalance_session cookie a response sets, as its Set-Cookie header."""
    return next((h for h in response.headers.get_list("set-cookie") if h.startswith("rebalance_session=")), None)


def through_front(
    front: Callable[[ASGIApp], ASGIApp],
    app: FastAPI,
    method: str,
    path: str,
    headers: list[tuple[bytes, bytes]],
    body: bytes = b"",
    query: bytes = b"",
) -> dict[str, Any]:
    """One request to an ASGI front of the app alone (``front(inner)``, the app itself in the request's
    scope): what it answered (``status``, ``headers``, ``body``), or whether it went on to the inner app
    (``routed``) and with which body (``handed``)."""
    answer: dict[str, Any] = {"routed": False, "handed": None, "body": b""}

    async def inner(_scope: Any, receive: Any, _send: Any) -> None:
        answer["routed"], answer["handed"] = True, (await receive())["body"]

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            answer["status"], answer["headers"] = message["status"], dict(message["headers"])
        else:
            answer["body"] += message.get("body", b"")

    scope = http_scope(app, method, path, headers, query)
    with start_blocking_portal() as portal:  # an event loop of its own, as the TestClient's
        portal.call(front(inner), scope, receive, send)
    return answer


def http_scope(
    app: FastAPI, method: str, path: str, headers: list[tuple[bytes, bytes]], query: bytes = b""
) -> dict[str, Any]:
    """The ASGI scope of a request to ``app`` (the app itself in it, as Starlette puts it there)."""
    return {
        "type": "http",
        "method": method,
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "headers": [(b"host", b"testserver"), *headers],
        "app": app,
        "scheme": "http",
        "server": ("testserver", 80),
        "client": ("127.0.0.1", 1),
        "root_path": "",
        "http_version": "1.1",
    }
