"""Sessions logged at the same moment are written together (``log_writer.py``), each answered as alone."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from anyio.from_thread import start_blocking_portal
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from rebalance.storage import repo
from rebalance.web import deps, log_front, log_writer
from rebalance.web.log_front import SessionLogFront
from tests.web.conftest import Cast, email, web
from tests.web.helpers import http_scope, sign_in
from tests.web.patient_story import MONDAY, Story, patient, stored_logs, story

__all__ = ["patient", "story"]  # the fixtures


def _request(client: TestClient, body: dict[str, Any]) -> tuple[list[tuple[bytes, bytes]], bytes]:
    token = client.get("/api/me").json()["csrf_token"]
    cookie = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
    headers = [(b"content-type", b"application/json"), (b"cookie", cookie.encode()), (b"x-csrf-token", token.encode())]
    return headers, json.dumps(body).encode()


def _entry(story: Story, **given: Any) -> dict[str, Any]:
    return {"entries": [{"exercise_id": story.items_on("Mon")[0], "done": True, "sets": 2, **given}]}


def at_once(app: FastAPI, requests: list[tuple[list[tuple[bytes, bytes]], bytes]]) -> tuple[list[Any], list[int]]:
    """The requests sent to one front at the same moment, its writer held until every one is waiting: what
    each was answered (status and JSON, or the exception raised), and the writer's units of work."""
    front = SessionLogFront(_not_taken)
    writer = front.writer
    run = writer._run

    def held() -> None:
        deadline = time.monotonic() + 10
        while writer._jobs.qsize() < len(requests) and time.monotonic() < deadline:
            time.sleep(0.001)
        run()

    writer._run = held  # type: ignore[method-assign]

    async def one(headers: list[tuple[bytes, bytes]], body: bytes) -> Any:
        answer: dict[str, Any] = {"body": b""}

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
            else:
                answer["body"] += message.get("body", b"")

        scope = _scope(app, headers)
        await front(scope, receive, send)
        return answer["status"], json.loads(answer["body"])

    async def together() -> list[Any]:  # a request never answered fails the test, not hangs it
        answers = asyncio.gather(*(one(h, b) for h, b in requests), return_exceptions=True)
        return list(await asyncio.wait_for(answers, timeout=30))

    with start_blocking_portal() as portal:
        answers = portal.call(together)
    return answers, list(writer.batches)


async def _not_taken(_scope: Any, _receive: Any, _send: Any) -> None:
    raise AssertionError("the front passed a request on")


def _scope(app: FastAPI, headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    return http_scope(app, "POST", log_front.PATH, headers)


@pytest.fixture
def web_url(db_url: str) -> str:
    """This module runs on both databases."""
    return db_url


@pytest.fixture
def commits(app: FastAPI) -> Iterator[list[str]]:
    """The commits of the writer's units of work that write (not its reading one, nor the bookkeeping
    writer's, nor the test's own)."""
    seen: list[str] = []
    writing = web(app).session_factory

    def record(_session: Session) -> None:
        if threading.current_thread().name == "rebalance-log-writer":
            seen.append("COMMIT")

    event.listen(writing, "after_commit", record)
    yield seen
    event.remove(writing, "after_commit", record)


def test_sessions_logged_at_the_same_moment_are_written_in_one_unit_of_work(
    app: FastAPI, cast: Cast, story: Story, patient: TestClient, commits: list[str]
) -> None:
    requests = [_request(patient, _entry(story, pain_during=pain)) for pain in (1, 2, 3, 4)]
    answers, batches = at_once(app, requests)
    assert [status for status, _ in answers] == [201] * 4
    assert batches == [4] and commits == ["COMMIT"]
    stored = stored_logs(app, cast)
    assert [log.entries[0].pain_during for log in stored] == [1, 2, 3, 4]  # in the order they arrived
    assert sorted(saved["log"]["id"] for _, saved in answers) == [log.id for log in stored]
    for _, saved in answers:  # the latest sessions are read after the commit: each counts all four
        assert [f["sessions"] for f in saved["feedback"]] == [4]


def test_a_refused_session_gets_its_own_answer_and_the_others_are_stored(
    app: FastAPI, cast: Cast, story: Story, patient: TestClient, commits: list[str]
) -> None:
    """An exercise not in the program (422, naming the field) and a patient with no program (409), between
    sessions that are stored: each request is answered as it would be alone."""
    other = TestClient(app, follow_redirects=False)
    assert sign_in(other, email("b1")).status_code == 303
    requests = [
        _request(patient, _entry(story, pain_during=1)),
        _request(patient, _entry(story, exercise_id="not_in_the_program", pain_during=0)),
        _request(other, _entry(story, pain_during=2)),
        _request(patient, _entry(story, pain_during=3)),
    ]
    answers, batches = at_once(app, requests)
    assert [status for status, _ in answers] == [201, 422, 409, 201]
    assert answers[1][1]["errors"][0]["path"] == "body.entries[0].exercise_id"
    assert "no published program" in answers[2][1]["errors"][0]["message"]
    assert [log.entries[0].pain_during for log in stored_logs(app, cast)] == [1, 3]
    assert batches == [2] and commits == ["COMMIT"]  # the two refused, the two others stored together


def test_when_the_commit_fails_each_session_is_written_alone(
    app: FastAPI, cast: Cast, story: Story, patient: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = Session.commit
    failures = iter([True])

    def commit(session: Session) -> None:
        if threading.current_thread().name == "rebalance-log-writer" and next(failures, False):
            raise OperationalError("COMMIT", {}, Exception("disk I/O error"))
        real(session)

    monkeypatch.setattr(Session, "commit", commit)
    answers, batches = at_once(app, [_request(patient, _entry(story, pain_during=p)) for p in (1, 2, 3)])
    assert [status for status, _ in answers] == [201] * 3
    assert batches == [1, 1, 1]
    assert [log.entries[0].pain_during for log in stored_logs(app, cast)] == [1, 2, 3]


def test_a_session_that_fails_alone_gets_the_error_and_nothing_of_it_is_stored(
    app: FastAPI, cast: Cast, story: Story, patient: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = Session.commit

    def commit(session: Session) -> None:
        if threading.current_thread().name == "rebalance-log-writer":
            raise OperationalError("COMMIT", {}, Exception("disk I/O error"))
        real(session)

    monkeypatch.setattr(Session, "commit", commit)
    answers, batches = at_once(app, [_request(patient, _entry(story, pain_during=p)) for p in (1, 2)])
    assert all(isinstance(answer, OperationalError) for answer in answers)  # to the app's 500, as from the route
    assert batches == [] and stored_logs(app, cast) == []


def test_a_failing_feedback_leaves_its_session_stored_and_answers_the_error(
    app: FastAPI, cast: Cast, story: Story, patient: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = log_writer.saved_session

    def saved_session(me: Any, stored: Any, latest: Any) -> Any:
        if stored.log.entries[0].pain_during == 2:
            raise RuntimeError("the model failed")
        return real(me, stored, latest)

    monkeypatch.setattr(log_writer, "saved_session", saved_session)
    answers, batches = at_once(app, [_request(patient, _entry(story, pain_during=p)) for p in (1, 2, 3)])
    assert answers[0][0] == answers[2][0] == 201 and isinstance(answers[1], RuntimeError)
    assert batches == [3] and len(stored_logs(app, cast)) == 3


def test_the_writers_thread_ends_when_idle_and_starts_again(
    app: FastAPI, cast: Cast, story: Story, patient: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(log_writer, "IDLE_S", 0.05)
    front = SessionLogFront(_not_taken)
    for pain in (1, 2):
        headers, body = _request(patient, _entry(story, pain_during=pain))

        async def once(headers: list[tuple[bytes, bytes]] = headers, body: bytes = body) -> None:
            async def receive() -> dict[str, Any]:
                return {"type": "http.request", "body": body, "more_body": False}

            async def send(_message: dict[str, Any]) -> None:
                pass

            await asyncio.wait_for(front(_scope(app, headers), receive, send), timeout=30)

        with start_blocking_portal() as portal:
            portal.call(once)
        deadline = time.monotonic() + 5
        while front.writer._running and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not front.writer._running
        thread = front.writer._thread
        assert thread is not None
        thread.join(timeout=5)
        assert not thread.is_alive()
    assert [log.performed_on for log in stored_logs(app, cast)] == [MONDAY, MONDAY]


def test_the_latest_sessions_of_every_session_stored_are_read_together(
    app: FastAPI, cast: Cast, story: Story, patient: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One read for the batch (one round trip on PostgreSQL), not one a session, each answered the same."""
    calls = _calls(monkeypatch, log_writer, "latest_sessions_each")
    monkeypatch.setattr(log_writer, "latest_sessions", _never)
    answers, batches = at_once(app, [_request(patient, _entry(story, pain_during=p)) for p in (1, 2, 3)])
    assert [status for status, _ in answers] == [201] * 3 and batches == [3] and calls == [3]
    assert [[f["sessions"] for f in saved["feedback"]] for _, saved in answers] == [[3]] * 3


def test_when_reading_the_latest_sessions_together_fails_each_is_read_alone(
    app: FastAPI, cast: Cast, story: Story, patient: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the session whose own read fails gets the error; the others are answered as ever."""
    real = log_writer.latest_sessions
    alone: list[int] = []

    def latest_sessions(me: Any, program: Any) -> Any:
        alone.append(me.patient_id)
        if len(alone) == 2:
            raise OperationalError("SELECT", {}, Exception("server closed the connection"))
        return real(me, program)

    monkeypatch.setattr(log_writer, "latest_sessions_each", _failing)
    monkeypatch.setattr(log_writer, "latest_sessions", latest_sessions)
    answers, batches = at_once(app, [_request(patient, _entry(story, pain_during=p)) for p in (1, 2, 3)])
    assert answers[0][0] == answers[2][0] == 201 and isinstance(answers[1], OperationalError)
    assert [[f["sessions"] for f in answers[i][1]["feedback"]] for i in (0, 2)] == [[3], [3]]
    assert batches == [3] and len(stored_logs(app, cast)) == 3 and alone == [cast.patient_a1] * 3


def _never(*_args: Any) -> Any:
    raise AssertionError("read alone")


def _failing(*_args: Any) -> Any:
    raise OperationalError("SELECT", {}, Exception("server closed the connection"))


def test_the_sessions_of_a_batch_are_stored_together_and_a_morning_after_sees_those_before_it(
    app: FastAPI, cast: Cast, story: Story, patient: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sessions checked are stored in one call (one round trip on PostgreSQL), but those before a
    morning-after answer are stored first: its check reads them, as it would after their own requests."""
    stores = _calls(monkeypatch, repo, "add_session_logs")
    sunday = (MONDAY - dt.timedelta(days=1)).isoformat()
    morning = {**_entry(story, pain_during=3), "next_morning": {"pain": 4}}
    requests = [
        _request(patient, {**_entry(story, pain_during=1), "performed_on": sunday}),
        _request(patient, _entry(story, pain_during=2)),
        _request(patient, morning),
        _request(patient, _entry(story, pain_during=5)),
    ]
    answers, batches = at_once(app, requests)
    assert [status for status, _ in answers] == [201] * 4 and batches == [4]
    assert stores == [2, 2]  # the two before the morning-after answer, then it and the last
    assert answers[2][1]["next_morning_for"]["id"] == answers[0][1]["log"]["id"]  # the latest earlier day's
    stored = stored_logs(app, cast)
    assert [log.entries[0].pain_during for log in stored] == [1, 2, 3, 5]
    assert stored[0].entries[0].pain_next_morning == 4


def test_the_sign_ins_of_a_batch_are_looked_up_together_and_the_requests_not_taken_go_to_the_app(
    app: FastAPI, cast: Cast, story: Story, patient: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One lookup for the batch (one statement on PostgreSQL); a wrong CSRF token, a signed-out cookie and
    a clinician are handed back to the app (here, a stand-in that fails the request), nothing stored."""
    lookups = _calls(monkeypatch, deps, "look_up_each")
    good = _request(patient, _entry(story, pain_during=1))
    wrong_token = ([(k, b"not-the-token" if k == b"x-csrf-token" else v) for k, v in good[0]], good[1])
    signed_out = ([(k, b"rebalance_session=gone" if k == b"cookie" else v) for k, v in good[0]], good[1])
    clinician = TestClient(app, follow_redirects=False)
    assert sign_in(clinician, email("anna")).status_code == 303
    by_clinician = _request(clinician, _entry(story, pain_during=2))
    answers, batches = at_once(app, [good, wrong_token, signed_out, by_clinician, good])
    assert [a[0] if isinstance(a, tuple) else type(a).__name__ for a in answers] == [
        201,
        "AssertionError",  # the front passed it on to the app
        "AssertionError",
        "AssertionError",
        201,
    ]
    assert lookups == [5] and batches == [2]
    assert [log.entries[0].pain_during for log in stored_logs(app, cast)] == [1, 1]


def _calls(monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> list[int]:
    """The calls of ``module.name`` from now on, each as the length of its last argument (what it was given
    for the batch)."""
    calls: list[int] = []
    real = getattr(module, name)

    def counted(*args: Any) -> Any:
        calls.append(len(args[-1]))
        return real(*args)

    monkeypatch.setattr(module, name, counted)
    return calls
