"""A patient's cached pages answered before routing: ``GET /today`` costs one read when nothing changed.

The page cache (``page_cache.py``) spares a page its rendering, but a request for it still went through
FastAPI's routing, its dependencies and the unit of work — more than the page's one read costs. This
ASGI middleware answers a request for a cached page itself, with exactly what the route would have
done on a cache hit:

- the same sign-in check (``deps.look_up``: the session, its user and the page state in one
  statement on the reading engine, ``storage/quick.py``; on PostgreSQL awaited, one statement for the
  requests arriving together, ``sign_ins.py``), and the session marked seen by the bookkeeping writer;
- the same key (``page_cache.page_key``: the session, the user's name, the day — the app's ``today``
  dependency, overrides included — and the page state);
- the same audit events, recorded again and stamped now (handed to the bookkeeping writer, as a reading
  unit of work hands them);
- the same response (``HTMLResponse``; the outer middlewares add the security headers).

Anything else goes on to the app, which answers as it always did: no session cookie or no valid
session, a user who is not a patient, a page not in the cache, a query string, any other method or path.
When the session was looked up here, the app is handed what was found (``request.state.signed_in``, as
``deps.signed_in`` keeps it): a page rendered afresh costs no second lookup.
"""

from __future__ import annotations

import datetime as dt

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from rebalance.storage import audit
from rebalance.storage.types import Role
from rebalance.web import patient_views, security
from rebalance.web.deps import WebContext, look_up, seen
from rebalance.web.page_cache import page_key
from rebalance.web.security import SignedIn
from rebalance.web.sign_ins import SignInUnavailable

PAGES = {"/today": "today"}
"""The paths answered here, and their page names in the cache."""


class CachedPageFront:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        page = PAGES.get(scope["path"]) if scope["type"] == "http" and scope["method"] == "GET" else None
        if page is not None and not scope["query_string"]:
            body = await _cached(scope, page)
            if body is not None:
                await HTMLResponse(body)(scope, receive, send)
                return
        await self.app(scope, receive, send)


async def _cached(scope: Scope, page: str) -> bytes | None:
    request = Request(scope)
    if not request.cookies.get(security.SESSION_COOKIE):
        return None
    app: FastAPI = scope["app"]
    web: WebContext = app.state.web
    day = await patient_views.today_of(app)
    if web.sign_ins is not None:
        try:
            found = await web.sign_ins.find(security.token_hash(request.cookies[security.SESSION_COOKIE]))
        except SignInUnavailable:
            return None  # the app's own read answers, or reports the trouble
        seen(web, found)
        request.state.signed_in = found  # for the app, if the page is not answered here
        return _answer(web, found, page, day)
    if web.reads_inline:
        return _serve(web, request, page, day)
    return await run_in_threadpool(_serve, web, request, page, day)


def _serve(web: WebContext, request: Request, page: str, day: dt.date) -> bytes | None:
    found = look_up(web, request, with_page_state=True)
    request.state.signed_in = found  # for the app, if the page is not answered here
    return _answer(web, found, page, day)


def _answer(web: WebContext, found: SignedIn | None, page: str, day: dt.date) -> bytes | None:
    """The cached page of ``found``'s patient, its reads audited again; None if not theirs to have here."""
    if found is None or found.user.role is not Role.PATIENT or found.page_state is None:
        return None
    entry = web.pages.get(page_key(page, found, day, found.page_state))
    if entry is None:
        return None
    web.bookkeeping.add_events(audit.stamped_now(entry.reads))
    body: bytes = entry.value
    return body
