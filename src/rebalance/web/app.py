"""The app factory: ``create_app(settings) -> FastAPI``.

>>> app = create_app()                       # the Settings' database (REBALANCE_DATABASE_URL)
>>> uvicorn.run(app, host="127.0.0.1", port=8000)

``rebalance serve`` runs it that way in one process, or with ``--workers N`` in N processes, each
making its own app with :func:`serving_app` (uvicorn's factory) and sharing the listening socket.

On startup the database is migrated to the newest schema. The app serves ``web/static/`` at
``/static``, renders ``web/templates/``, includes the routers of :mod:`rebalance.web.routes`, checks
the CSRF token of every state-changing request (:func:`rebalance.web.deps.csrf_protect`), answers
errors as :mod:`rebalance.web.errors` says, and adds security headers to every response.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError, version

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from rebalance.config import Settings
from rebalance.knowledge.loader import default
from rebalance.storage.db import make_engine
from rebalance.storage.migrate import upgrade
from rebalance.web.deps import WebContext, csrf_protect
from rebalance.web.errors import register_error_handlers
from rebalance.web.log_front import SessionLogFront
from rebalance.web.middleware import SecurityHeadersMiddleware, UnhandledErrorMiddleware
from rebalance.web.page_front import CachedPageFront
from rebalance.web.rendering import STATIC_DIR
from rebalance.web.routes import ROUTERS

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
    engine = make_engine(settings.database_url, background_checkpoints=True)  # by the bookkeeping writer

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(upgrade, settings.database_url)
        yield
        await run_in_threadpool(context.bookkeeping.close)  # the read events still waiting
        if context.sign_ins is not None:
            await context.sign_ins.close()
        engine.dispose()
        context.engine.dispose()  # the reading engine (the same one on SQLite)

    app = FastAPI(
        title="rebalance",
        version=_version(),
        description=DESCRIPTION,
        lifespan=lifespan,
        dependencies=[Depends(csrf_protect)],
        redoc_url=None,
    )
    app.state.web = context = WebContext.on(settings, engine)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for router in ROUTERS:
        app.include_router(router)
    register_error_handlers(app)
    app.add_middleware(SessionLogFront)  # innermost of these: its answers get the same headers
    app.add_middleware(CachedPageFront)
    app.add_middleware(UnhandledErrorMiddleware)
    app.add_middleware(SecurityHeadersMiddleware)  # added last: outermost, so a 500 gets the headers too
    return app


SWITCH_INTERVAL_S = 0.0005
"""How long a thread may keep the GIL while another waits for it (Python's default is 5 ms)."""


def tune_for_serving() -> None:
    """Two process-wide settings for a process that serves the app (made by ``rebalance serve``, not by
    :func:`create_app`: tests make many apps in one process).

    - The objects made at start-up (the knowledge base, loaded now, and the app) are frozen out of the
      garbage collector's full passes (``gc.freeze``): a full pass over them stalls every request.
    - The GIL switch interval is 0.5 ms: the event loop gets the GIL back from a worker thread (a page
      rendered there, the bookkeeping writer) sooner, which shortens the slowest requests' wait.
    """
    default()  # loaded now, so that it is among the start-up objects frozen
    gc.collect()
    gc.freeze()
    sys.setswitchinterval(SWITCH_INTERVAL_S)


def serving_app() -> FastAPI:
    """The app of one worker process of ``rebalance serve --workers N`` (uvicorn's app factory): on the
    database of ``REBALANCE_DATABASE_URL``, which the command has migrated (and seeded) before the
    workers start; each worker is a process of its own, with its own connections and caches."""
    app = create_app()
    tune_for_serving()
    return app
