"""What a route asks for: the database session, the signed-in user by role, the knowledge base.

    SessionDep      a database session for this request: committed when the route returns (before
                    the response is sent), rolled back if it raises
    OptionalUser    the signed-in user, or None
    CurrentUser     the signed-in user (any role)
    AdminUser       ... who is an admin
    ClinicianUser   ... who is a clinician (admins are not clinicians: they manage accounts, not patients)
    PatientUser     ... who is a patient (``user.patient_id`` is their own record)
    KnowledgeDep    the knowledge base (loaded once per process)
    SettingsDep     the app's Settings
    WebContextDep   settings, session factory and password hashing together (``app.state.web``)

Without a session, a page request is redirected (303) to ``/login?next=<where it was going>``, an
HTMX request gets 401 with ``HX-Redirect``, and an ``/api/...`` request gets 401 JSON. A signed-in
user of the wrong role gets 403. These rules live in :mod:`rebalance.web.errors`.

CSRF: :func:`csrf_protect` runs on EVERY route (the app adds it once, in ``create_app``); it lets
safe methods through and checks every POST/PUT/PATCH/DELETE. Routes do not add it themselves.

Which records a user may read or change is decided by the repository (``storage/repo.py``,
``storage/auth_repo.py``), which raises ``PermissionDeniedError`` (→ 403) or ``NotFoundError`` (→ 404):
routes pass ``user.id`` as the acting user and never check ownership themselves.

Threads and units of work. A plain ``def`` dependency or route runs in a worker thread, and each trip
there and back costs more than most dependencies do: the dependencies that do no I/O are ``async``.
The user dependencies look the web session up in a worker thread, in a read of its own (no lock, no
transaction left open). Every router uses :class:`UnitOfWorkRoute`: a ``def`` route commits the
request's unit of work in its own thread as it returns, and first runs the :class:`Deferred` checks
of its dependencies there — the patient's context (``patient_views.PatientDep``) looks the session up
that way, in the route's own unit of work: one trip to a worker thread for a patient's page, and none
for a GET on SQLite, whose unit of work runs in the event loop's thread (:func:`run_db`). A unit of work
that writes takes its worker thread in turn: ``writers_per_process`` at a time (by default one on
SQLite, two on a server database); the other requests wait in the event loop.
"""

from __future__ import annotations

import abc
import functools
import inspect
from collections.abc import AsyncIterator, Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar

import anyio
import anyio.to_thread
from anyio import CapacityLimiter
from anyio.lowlevel import RunVar
from fastapi import Depends, Request
from fastapi.routing import APIRoute
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from rebalance.config import Settings
from rebalance.errors import PermissionDeniedError
from rebalance.knowledge.loader import KnowledgeBase, default
from rebalance.storage import bookkeeping
from rebalance.storage.bookkeeping import Bookkeeping
from rebalance.storage.db import make_reading_session_factory, make_session_factory, reading_engine
from rebalance.storage.quick import on_psycopg
from rebalance.storage.schemas import UserPublic
from rebalance.storage.types import Role, utc_now
from rebalance.web import security
from rebalance.web.errors import CsrfError, NotAuthenticatedError
from rebalance.web.page_cache import PageCache
from rebalance.web.security import SignedIn
from rebalance.web.sign_ins import SignInLookups


@dataclass(frozen=True)
class WebContext:
    """What the app is made with (``app.state.web``): settings, database sessions, password hashing,
    the patients' rendered pages (``page_cache``), and ``engine``, the engine of reads that stand alone
    (``db.reading_engine``: the pages answered before routing read through it, ``page_front.py``)."""

    settings: Settings
    session_factory: sessionmaker[Session]
    passwords: security.Passwords
    reading_session_factory: sessionmaker[Session]
    bookkeeping: Bookkeeping
    engine: Engine
    pages: PageCache = field(default_factory=PageCache)
    sign_ins: SignInLookups | None = None  # PostgreSQL: the cached pages' sign-in lookups, batched

    def writers(self) -> CapacityLimiter:
        """The turns of this process's units of work that write (in the running event loop)."""
        size = self.settings.writers_per_process
        if size is None:
            size = SQLITE_WRITERS if self.engine.dialect.name == "sqlite" else SERVER_WRITERS
        return writers_limiter(size)

    @property
    def reads_inline(self) -> bool:
        """Whether a GET's unit of work runs in the event loop's thread (see :meth:`on`)."""
        return self.settings.reads_in_event_loop

    @classmethod
    def on(cls, settings: Settings, engine: Engine) -> WebContext:
        """The context of an app on ``engine``.

        A GET request's unit of work runs in the event loop's thread (``reads_inline``, the setting
        ``reads_in_event_loop``): a process serves such requests one at a time, as a classic
        synchronous worker does, and ``rebalance serve --workers N`` runs one process a core. Its
        reads take microseconds on SQLite (write-ahead logging: readers and the writer never block each
        other) and a round trip on a nearby server, while a trip to a worker thread and back, with
        dozens of threads contending for the GIL at every query, costs more than the reads and makes
        the slowest requests far slower (measured: ``bench/README.md``). Its read events go to the
        bookkeeping writer. A request that writes runs in a worker thread, in its turn (:meth:`writers`).
        """
        factory = make_session_factory(engine)
        reads = reading_engine(engine)
        reading = make_reading_session_factory(reads)
        writer = Bookkeeping(factory, checkpoints=engine)
        sign_ins = SignInLookups(reads, settings) if settings.batched_sign_ins and on_psycopg(reads.dialect) else None
        return cls(settings, factory, security.Passwords(settings), reading, writer, reads, sign_ins=sign_ins)


async def web_context(request: Request) -> WebContext:
    context: WebContext = request.app.state.web
    return context


async def get_settings(request: Request) -> Settings:
    return (await web_context(request)).settings


# the unit of work

_R = TypeVar("_R")

_unit_of_work: ContextVar[Session | None] = ContextVar("rebalance_unit_of_work", default=None)


async def get_db(request: Request) -> AsyncIterator[Session]:
    """One unit of work per request: committed when the route returns, rolled back if it raises.

    Every request hands its read events and session marks to the bookkeeping writer instead of writing
    them itself (``bookkeeping.reading_session``); a change and its own audit events are written together
    as the unit of work commits. A GET (HEAD, OPTIONS) request's is a reading one besides
    (``db.make_reading_session_factory``): on SQLite it takes no write lock, and on a server database
    its statements commit on their own.

    A ``def`` route commits it in its own worker thread as it returns (:class:`UnitOfWorkRoute`);
    otherwise (an ``async def`` route) the commit happens here.
    """
    web = await web_context(request)
    if request.method in security.SAFE_METHODS:
        session = bookkeeping.reading_session(web.bookkeeping, web.reading_session_factory, {INLINE: web.reads_inline})
    else:
        session = writing_session(web)
    token = _unit_of_work.set(session)
    try:
        yield session
        if session.in_transaction():
            await run_db(session.commit)
    except BaseException:
        with anyio.CancelScope(shield=True):
            await run_db(session.rollback)
        raise
    finally:
        _unit_of_work.reset(token)
        session.close()  # no I/O: the transaction has ended


def writing_session(web: WebContext, *, in_turn: bool = True) -> Session:
    """The unit of work of a request that may write: its read events go to the bookkeeping writer, and
    its calls take a worker thread in turn (:data:`WRITERS`); not ``in_turn``, for a thread of its own
    that writes in its own turn (``log_writer.py``), outside any event loop."""
    info = {WRITERS: web.writers()} if in_turn else {}
    return bookkeeping.reading_session(web.bookkeeping, web.session_factory, info)


class Deferred(abc.ABC):
    """A dependency's value with a check to run where the route runs (:func:`run_db`), before the route
    does anything (:class:`UnitOfWorkRoute`): a check that reads the database, in the route's unit of work."""

    @abc.abstractmethod
    def check(self) -> None:
        """Raise the usual 401/403/404 when the request may not go on."""


def _committing(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(endpoint)
    def route(*args: Any, **kwargs: Any) -> Any:
        for value in kwargs.values():
            if isinstance(value, Deferred):
                value.check()
        result = endpoint(*args, **kwargs)
        session = _unit_of_work.get()
        if session is not None and session.in_transaction():
            session.commit()
        return result

    return route


def _dispatching(route: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(route)
    async def dispatch(*args: Any, **kwargs: Any) -> Any:
        return await run_db(route, *args, **kwargs)

    return dispatch


def _checking(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(endpoint)
    async def route(*args: Any, **kwargs: Any) -> Any:
        for value in kwargs.values():
            if isinstance(value, Deferred):
                await run_db(value.check)
        return await endpoint(*args, **kwargs)

    return route


INLINE = "rebalance.inline"
"""``Session.info`` key: the unit of work's database calls are made in the event loop's own thread."""
WRITERS = "rebalance.writers"
"""``Session.info`` key: the limiter a writing unit of work's calls take a worker thread under."""

SQLITE_WRITERS, SERVER_WRITERS = 1, 2
"""Units of work that write at once in a process, by default (the setting ``writers_per_process``)."""

_writers: RunVar[dict[int, CapacityLimiter]] = RunVar("rebalance_writers")


def writers_limiter(size: int) -> CapacityLimiter:
    """The process's turns for units of work that write, ``size`` at a time (``writers_per_process``): one
    limiter per event loop and size, as anyio keeps its own default one (a limiter belongs to its loop)."""
    try:
        limiters = _writers.get()
    except LookupError:
        limiters = {}
        _writers.set(limiters)
    if size not in limiters:
        limiters[size] = CapacityLimiter(size)
    return limiters[size]


async def run_db(call: Callable[..., _R], *args: Any, **kwargs: Any) -> _R:
    """``call(*args, **kwargs)``, which uses the request's unit of work: in a worker thread, or at once in
    this thread when the unit of work says so (a reading one on SQLite: see :meth:`WebContext.on`).

    A writing unit of work takes its worker thread in turn (:data:`WRITERS`, ``writers_per_process`` at a
    time): the requests waiting for a turn wait in the event loop, not as threads blocked on SQLite's
    write lock and contending for the GIL with the one that holds it (measured: ``bench/README.md``).
    """
    session = _unit_of_work.get()
    if session is not None and session.info.get(INLINE):
        return call(*args, **kwargs)
    limiter = None if session is None else session.info.get(WRITERS)
    return await anyio.to_thread.run_sync(functools.partial(call, *args, **kwargs), limiter=limiter)


class UnitOfWorkRoute(APIRoute):
    """A route that runs its dependencies' :class:`Deferred` checks first, and whose ``def`` endpoint
    commits the request's unit of work (``SessionDep``) where it runs (:func:`run_db`) as it returns.

    The commit would otherwise wait for the event loop to run the dependency's exit in another worker
    thread, with the transaction (and SQLite's write lock) held all that time. Every router uses it.
    """

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        is_async = inspect.iscoroutinefunction(endpoint)
        super().__init__(path, _checking(endpoint) if is_async else _dispatching(_committing(endpoint)), **kwargs)


async def get_kb() -> KnowledgeBase:
    return default()


WebContextDep = Annotated[WebContext, Depends(web_context)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
# scope="function": the commit happens before the response is sent, so the next request sees it.
SessionDep = Annotated[Session, Depends(get_db, scope="function")]
KnowledgeDep = Annotated[KnowledgeBase, Depends(get_kb)]


# who is signed in


async def signed_in(request: Request, web: WebContextDep, *, with_page_state: bool = False) -> SignedIn | None:
    """The request's user and web session (also kept in ``request.state.signed_in`` for the templates);
    ``with_page_state``, the patient's page state too, in the same read (:func:`look_up`).

    Looked up once a request, outside its unit of work (one read, no lock held: the route's unit of
    work has not begun) — in the event loop's thread when reads are made there (``reads_inline``), else
    in a worker thread; the session is marked seen, at most once a minute, by the bookkeeping writer.
    """
    if hasattr(request.state, "signed_in"):  # looked up already
        known: SignedIn | None = request.state.signed_in
        return known
    found = None
    if request.cookies.get(security.SESSION_COOKIE):
        found = (
            look_up(web, request, with_page_state=with_page_state)
            if web.reads_inline
            else await run_in_threadpool(functools.partial(look_up, web, request, with_page_state=with_page_state))
        )
    request.state.signed_in = found
    return found


def look_up(web: WebContext, request: Request, *, with_page_state: bool = False) -> SignedIn | None:
    """The request's web session and user (and, ``with_page_state``, the patient's page state): one
    statement on the reading engine, outside any unit of work; the session is marked seen, at most once a
    minute, by the bookkeeping writer."""
    found = security.find_session(web.engine, web.settings, request, with_page_state=with_page_state)
    seen(web, found)
    return found


def seen(web: WebContext, found: SignedIn | None) -> None:
    """Mark the session seen, at most once a minute, by the bookkeeping writer."""
    if found is not None and security.needs_touch(found):
        web.bookkeeping.touch(found.web_session.id, utc_now())


def look_up_each(web: WebContext, requests: Sequence[Request]) -> list[SignedIn | None]:
    """:func:`look_up` with the page state for each of ``requests``, which carry a session cookie: one
    statement for them all on PostgreSQL (the log writer's, for the sessions logged at one moment); each
    request's ``state.signed_in`` set, as :func:`signed_in` sets it."""
    hashes = [security.token_hash(request.cookies.get(security.SESSION_COOKIE) or "") for request in requests]
    found = security.find_sessions(web.engine, web.settings, hashes)
    answers = []
    for request, hashed in zip(requests, hashes, strict=True):
        signed = found.get(hashed)
        seen(web, signed)
        request.state.signed_in = signed
        answers.append(signed)
    return answers


def signed_in_as(role: Role, db: Session, settings: Settings, request: Request) -> UserPublic:
    """The request's user, who must have ``role``, looked up in ``db``'s unit of work (and marked seen
    there) unless the request's session was looked up already; else the usual 401 or 403."""
    found: SignedIn | None
    if hasattr(request.state, "signed_in"):
        found = request.state.signed_in
    else:
        found = security.load_session(db, settings, request)
        request.state.signed_in = found
    if found is None:
        raise NotAuthenticatedError
    return require_role(role, found.user, request)


SignedInDep = Annotated[SignedIn | None, Depends(signed_in)]


async def optional_user(session: SignedInDep) -> UserPublic | None:
    return None if session is None else session.user


async def current_user(session: SignedInDep) -> UserPublic:
    if session is None:
        raise NotAuthenticatedError
    return session.user


OptionalUser = Annotated[UserPublic | None, Depends(optional_user)]
CurrentUser = Annotated[UserPublic, Depends(current_user)]


def require_role(role: Role, user: UserPublic, request: Request) -> UserPublic:
    """``user`` if they have ``role``; else 403."""
    if user.role is not role:
        reason = f"only for {role.value}s"
        raise PermissionDeniedError(user.id, request.method.lower(), "page", request.url.path, reason)
    return user


async def admin_user(user: CurrentUser, request: Request) -> UserPublic:
    return require_role(Role.ADMIN, user, request)


async def clinician_user(user: CurrentUser, request: Request) -> UserPublic:
    return require_role(Role.CLINICIAN, user, request)


async def patient_user(user: CurrentUser, request: Request) -> UserPublic:
    return require_role(Role.PATIENT, user, request)


AdminUser = Annotated[UserPublic, Depends(admin_user)]
ClinicianUser = Annotated[UserPublic, Depends(clinician_user)]
PatientUser = Annotated[UserPublic, Depends(patient_user)]


async def csrf_protect(request: Request) -> None:
    """Refuse (403) a state-changing request without the right CSRF token.

    The token comes from the ``X-CSRF-Token`` header (HTMX, JSON) or the ``csrf_token`` form field.
    """
    if request.method in security.SAFE_METHODS:
        return
    session = await signed_in(request, await web_context(request))
    supplied = request.headers.get(security.CSRF_HEADER)
    if supplied is None and _is_form(request):
        value = (await request.form()).get(security.CSRF_FIELD)
        supplied = value if isinstance(value, str) else None
    if not security.same_token(security.expected_csrf_token(request, session), supplied):
        raise CsrfError


def _is_form(request: Request) -> bool:
    content_type = request.headers.get("content-type", "")
    return content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data"))
