"""The app factory: ``create_app(settings) -> FastAPI``.

>>> app = create_app()                       # the Settings' database (REBALANCE_DATABASE_URL)
>>> uvicorn.run(app, host="127.0.0.1", port=8000)

``rebalance serve`` runs it that way in one process, or with ``--workers N`` in N processes, each
making its own app with :func:`serving_app` (uvicorn's factory) and sharing the listening socket.

On startup the database is migrated to the newest schema. The app serves ``web/static/`` at
``/static``, renders ``web/templates/``, includes the routers of :mod:`rebalance.web.routes`, checks
the CSRF token of every state-changing request (:func:`rebalance.web.deps.csrf_protect`), refuses a
request body over ``max_body_bytes`` (413) and text with a NUL character (422), answers errors as
:mod:`rebalance.web.errors` says, and adds security headers to every response. Behind a reverse proxy
listed in ``trusted_proxies`` (none by default), the client address and scheme it forwards are used.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError, version

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from rebalance.config import Settings
from rebalance.knowledge.loader import default
from rebalance.reports.paper import STATIC_DIR
from rebalance.storage.db import make_engine, make_session_factory
from rebalance.storage.migrate import upgrade
from rebalance.video import uploads
from rebalance.web.deps import csrf_protect
from rebalance.web.errors import register_error_handlers
from rebalance.web.middleware import RequestLimitsMiddleware, SecurityHeadersMiddleware, UnhandledErrorMiddleware
from rebalance.web.routes import ROUTERS
from rebalance.web.security import Passwords

DESCRIPTION = """The rebalance clinic: clinicians' patients, assessments and programs; patients' own programs and logs.

Sign in with `POST /login` (a form); the session cookie authenticates every request. Every
POST/PUT/PATCH/DELETE carries the session's CSRF token in the `X-CSRF-Token` header (`GET /api/me`).
Errors are `{"errors": [{"path": "...", "message": "..."}]}`, never a stack trace.

rebalance describes patterns *consistent with* measurements; it is not a diagnosis."""


def _version() -> str:
    try:
        return version("rebalance")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0"


def create_app(settings: Settings | None = None) -> FastAPI:
    """The web app on ``settings`` (default: ``Settings()`` from the environment)."""
    settings = settings or Settings()
    engine = make_engine(settings.database_url)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(upgrade, settings.database_url)
        if _app.state.video is not None:  # jobs a stopped app left unfinished fail; old clips go
            await run_in_threadpool(_app.state.video.recover)
        yield
        if _app.state.video is not None:
            _app.state.video.close()
        engine.dispose()

    app = FastAPI(
        title="rebalance",
        version=_version(),
        description=DESCRIPTION,
        lifespan=lifespan,
        dependencies=[Depends(csrf_protect)],
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = make_session_factory(engine)
    app.state.reads_session_factory = make_session_factory(engine, reads_first=True)  # GET requests
    app.state.passwords = Passwords(settings)
    app.state.video = uploads.Runner(settings) if uploads.installed() else None  # clips on the assessment form
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for router in ROUTERS:
        app.include_router(router)
    register_error_handlers(app)
    app.add_middleware(
        RequestLimitsMiddleware, max_body_bytes=settings.max_body_bytes, upload_bytes=settings.video_max_bytes
    )
    app.add_middleware(UnhandledErrorMiddleware)
    app.add_middleware(SecurityHeadersMiddleware)  # outermost but one: a 500 gets the headers too
    if settings.trusted_proxies:  # outermost: every other part sees the client the proxy forwards
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
    return app


def serving_app() -> FastAPI:
    """The app of one worker process of ``rebalance serve --workers N`` (uvicorn's app factory): on the
    database of ``REBALANCE_DATABASE_URL``, which the command has migrated (and seeded) before the
    workers start; each worker is a process of its own, with its own connections."""
    app = create_app()
    freeze_start_up()
    return app


def freeze_start_up() -> None:
    """Load the knowledge base, and keep what a serving process holds from start-up (the knowledge base,
    the app, the libraries) out of the garbage collector's full passes (``gc.freeze``), for a process that
    serves (``rebalance serve``; not ``create_app``: tests make many apps in one process). Measured with the
    clinic-day bench (``bench/README.md``): a full pass over them took 100–210 ms, several a minute,
    every request waiting meanwhile."""
    default()
    gc.collect()
    gc.freeze()
