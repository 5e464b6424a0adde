"""HTML pages: Jinja2 templates (``web/templates/``, autoescaped) and :func:`render`.

Every template gets, besides its own context:

    user          the signed-in user (``UserPublic``) or None
    csrf_token    the token to put in every form: ``<input type="hidden" name="csrf_token" value="{{ csrf_token }}">``
                  (``base.html`` also sends it on every HTMX request, in ``hx-headers``)
    request       the request

Templates extend ``base.html`` (those printed extend ``layout``: ``print.html`` on paper, see ``reports.paper``)
and fill ``{% block title %}`` and ``{% block content %}``. Undefined variables are errors: pass all a template uses.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from rebalance.reports.paper import PAGES
from rebalance.web import security


def _page_context(request: Request) -> dict[str, Any]:
    signed_in: security.SignedIn | None = getattr(request.state, "signed_in", None)
    return {
        "user": None if signed_in is None else signed_in.user,
        "csrf_token": security.csrf_token_for(request),
    }


templates = Jinja2Templates(env=PAGES, context_processors=[_page_context])  # the pages printed use them too


def render(
    request: Request,
    name: str,
    context: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """The template ``name`` as an HTML response (sets the signed-out CSRF cookie when the page made one)."""
    response = templates.TemplateResponse(
        request, name, dict(context or {}), status_code=status_code, headers=dict(headers or {})
    )
    fresh = getattr(request.state, "new_csrf_cookie", None)
    if fresh is not None:
        settings = request.app.state.settings
        security.set_cookie(response, request, settings, security.CSRF_COOKIE, fresh, max_age=60 * 60 * 24)
    return response
