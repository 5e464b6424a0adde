"""The cached pages' sign-in lookups on PostgreSQL, awaited in the event loop: the requests arriving together
are one statement, each answered as a read of its own would answer it; a failed connection is reported
to the requests waiting and replaced by the next lookup."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Coroutine
from typing import Any, TypeVar

import psycopg
import pytest
from anyio.from_thread import start_blocking_portal
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from rebalance.config import Settings
from rebalance.storage.db import make_engine, reading_engine, session_scope
from rebalance.storage.types import Role, utc_now
from rebalance.web import security
from rebalance.web.app import create_app
from rebalance.web.page_front import CachedPageFront
from rebalance.web.security import SESSION_COOKIE, token_hash
from rebalance.web.sign_ins import SignInLookups, SignInUnavailable
from tests.web.conftest import FAST_HASHING, Cast, age_sessions, email, web
from tests.web.helpers import sign_in, through_front
from tests.web.patient_story import Story, patient, story

__all__ = ["patient", "story"]  # the fixtures

_T = TypeVar("_T")

pytestmark = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)


@pytest.fixture
def web_url(db_url: str) -> str:
    """PostgreSQL only: the lookups are batched there."""
    return db_url


def lookups(app: FastAPI) -> SignInLookups:
    found = web(app).sign_ins
    assert found is not None, "PostgreSQL's app batches its sign-in lookups"
    return found


def hash_of(client: TestClient) -> str:
    return token_hash(client.cookies[SESSION_COOKIE])


def in_a_loop(story: Coroutine[Any, Any, _T]) -> _T:
    """``story`` run in an event loop of its own, in a thread of its own (as the TestClient's)."""

    async def run() -> _T:
        return await story

    with start_blocking_portal() as portal:
        return portal.call(run)


def find_together(finder: SignInLookups, hashes: list[str]) -> list[object]:
    """Each of ``hashes`` looked up at the same moment, in one event loop (a request each); errors returned."""

    async def together() -> list[object]:  # an answer never given fails the test, not hangs it
        return await asyncio.wait_for(asyncio.gather(*(finder.find(h) for h in hashes), return_exceptions=True), 10)

    return in_a_loop(together())


def test_requests_arriving_together_are_one_statement_each_answered_as_its_own(
    app: FastAPI, cast: Cast, client: TestClient
) -> None:
    patient_a1 = TestClient(app, follow_redirects=False)
    sign_in(patient_a1, email("a1"))
    anna = TestClient(app, follow_redirects=False)
    sign_in(anna, email("anna"))
    finder = lookups(app)
    before = finder.statements
    asked = [hash_of(patient_a1), "0" * 64, hash_of(anna), hash_of(patient_a1)]
    found = find_together(finder, asked)
    assert finder.statements == before + 1
    first, unknown, clinician, again = found
    assert unknown is None
    assert first is not None and again is not None and clinician is not None
    assert first.user.id == again.user.id == cast.user_a1 and first.user.role is Role.PATIENT  # type: ignore[attr-defined]
    assert first.user.patient_id == cast.patient_a1  # type: ignore[attr-defined]
    alone = security.find_sessions(web(app).engine, web(app).settings, asked)  # a read of its own each
    assert [alone.get(h) for h in asked] == found
    assert clinician.user.id == cast.anna and clinician.user.role is Role.CLINICIAN  # type: ignore[attr-defined]
    by_itself = find_together(finder, [hash_of(anna)])  # a request alone: a statement of its own
    assert finder.statements == before + 2 and by_itself[0].user.id == cast.anna  # type: ignore[union-attr]


def test_a_session_ended_or_idle_too_long_is_not_found(app: FastAPI, cast: Cast, client: TestClient) -> None:
    sign_in(client, email("a1"))
    hashed = hash_of(client)
    finder = lookups(app)
    assert find_together(finder, [hashed])[0] is not None
    age_sessions(app, last_seen_at=utc_now() - dt.timedelta(hours=9))
    assert find_together(finder, [hashed]) == [None]
    age_sessions(app, last_seen_at=utc_now())
    assert find_together(finder, [hashed])[0] is not None
    with session_scope(web(app).session_factory) as db:  # signed out in another process, say
        db.execute(text("DELETE FROM web_sessions"))
    assert find_together(finder, [hashed]) == [None]


def test_a_connection_lost_is_reported_to_the_requests_waiting_and_replaced(
    app: FastAPI, cast: Cast, client: TestClient, db_url: str
) -> None:
    sign_in(client, email("a1"))
    hashed = hash_of(client)
    finder = lookups(app)

    async def story_of_a_lost_connection() -> list[object]:
        answers: list[object] = [await finder.find(hashed)]
        pid = finder._connection.info.backend_pid  # type: ignore[union-attr]
        server = make_engine(db_url)
        try:
            with server.begin() as connection:
                connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        finally:
            server.dispose()
        both = asyncio.gather(finder.find(hashed), finder.find(hashed), return_exceptions=True)
        answers += await asyncio.wait_for(both, 10)
        answers.append(await finder.find(hashed))  # a new connection
        await finder.close()
        return answers

    first, *lost, after = in_a_loop(story_of_a_lost_connection())
    assert first is not None and after is not None
    assert len(lost) == 2 and all(isinstance(e, SignInUnavailable) for e in lost)


@pytest.mark.usefixtures("backend")  # the module's parameter; no database is needed
def test_a_database_that_cannot_be_reached_is_reported_not_waited_for() -> None:
    engine = create_engine("postgresql+psycopg://postgres@127.0.0.1:1/nowhere")
    finder = SignInLookups(engine, Settings())
    answers = find_together(finder, ["a" * 64, "b" * 64])
    assert all(isinstance(e, SignInUnavailable) for e in answers)
    assert "127.0.0.1" in str(answers[0]) or "connect" in str(answers[0]).lower()
    engine.dispose()


def test_a_request_gone_meanwhile_leaves_the_others_answered(app: FastAPI, cast: Cast, client: TestClient) -> None:
    sign_in(client, email("a1"))
    hashed = hash_of(client)
    finder = lookups(app)

    async def one_leaves() -> tuple[bool, object]:
        leaving = asyncio.ensure_future(finder.find(hashed))
        staying = asyncio.ensure_future(finder.find(hashed))
        await asyncio.sleep(0)
        leaving.cancel()
        found = await asyncio.wait_for(staying, 10)
        await finder.close()
        return leaving.cancelled(), found

    cancelled, found = in_a_loop(one_leaves())
    assert cancelled and found is not None and found.user.id == cast.user_a1  # type: ignore[attr-defined]


def test_the_front_answers_a_cached_page_through_them(app: FastAPI, story: Story, patient: TestClient) -> None:
    rendered = patient.get("/today")
    finder = lookups(app)
    before = finder.statements
    cookie = f"{SESSION_COOKIE}={patient.cookies[SESSION_COOKIE]}"
    answer = through_front(CachedPageFront, app, "GET", "/today", [(b"cookie", cookie.encode())])
    assert not answer["routed"] and answer["body"] == rendered.content
    assert finder.statements == before + 1
    forged = through_front(CachedPageFront, app, "GET", "/today", [(b"cookie", b"rebalance_session=forged")])
    assert forged["routed"] and finder.statements == before + 2


def test_the_front_hands_the_request_to_the_app_when_the_lookup_fails(
    app: FastAPI, story: Story, patient: TestClient
) -> None:
    rendered = patient.get("/today")
    finder = lookups(app)
    nowhere = create_engine("postgresql+psycopg://postgres@127.0.0.1:1/nowhere")
    finder._engine = nowhere  # every connection it opens now fails
    finder.discard()
    cookie = f"{SESSION_COOKIE}={patient.cookies[SESSION_COOKIE]}"
    answer = through_front(CachedPageFront, app, "GET", "/today", [(b"cookie", cookie.encode())])
    assert answer["routed"]  # the app's own read answers (here: the inner app of the test)
    assert patient.get("/today").text == rendered.text  # the whole app: rendered by the route
    nowhere.dispose()


def test_only_postgresql_batches_them(sqlite_url: str, db_url: str) -> None:
    sqlite_app = create_app(Settings(database_url=sqlite_url, **FAST_HASHING))
    assert web(sqlite_app).sign_ins is None
    sqlite_app.state.web.bookkeeping.close()
    unbatched = create_app(Settings(database_url=db_url, batched_sign_ins=False, **FAST_HASHING))
    assert web(unbatched).sign_ins is None
    unbatched.state.web.bookkeeping.close()
    engine = make_engine(sqlite_url)
    with pytest.raises(ValueError, match="PostgreSQL"):
        SignInLookups(reading_engine(engine), Settings())
    engine.dispose()


def test_a_connection_that_failed_a_lookup_is_not_used_again(
    app: FastAPI, cast: Cast, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Even one still open: after an error its state is not known (a statement cut off, say)."""
    sign_in(client, email("a1"))
    hashed = hash_of(client)
    finder = lookups(app)
    real = security.find_sessions_async
    failures = iter([psycopg.OperationalError("the server went away mid-answer")])

    async def failing_once(*args: object) -> object:
        failure = next(failures, None)
        if failure is not None:
            raise failure
        return await real(*args)  # type: ignore[arg-type]

    async def story_of_a_failure() -> tuple[object, object, int, int]:
        await finder.find(hashed)
        first_pid = finder._connection.info.backend_pid  # type: ignore[union-attr]
        monkeypatch.setattr(security, "find_sessions_async", failing_once)
        failed = await asyncio.wait_for(asyncio.gather(finder.find(hashed), return_exceptions=True), 10)
        found = await asyncio.wait_for(finder.find(hashed), 10)
        second_pid = finder._connection.info.backend_pid  # type: ignore[union-attr]
        await finder.close()
        return failed[0], found, first_pid, second_pid

    failed, found, first_pid, second_pid = in_a_loop(story_of_a_failure())
    assert isinstance(failed, SignInUnavailable) and "went away" in str(failed)
    assert found is not None and second_pid != first_pid
