"""What the patient's busiest requests cost the database (``bench/bench_web_load.py`` drives them under load).

The today page and logging a session read a fixed number of records whatever the history (a year of
sessions and check-ins costs no more statements than a week), audit every read, and write the audit
events of a request in one statement. What is said after a session looks at the program version's
latest sessions — and gives the library's own answer over the whole history.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from types import MappingProxyType, SimpleNamespace
from typing import Any, TypeVar

import anyio.to_thread
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, func, select

from rebalance.knowledge.loader import KnowledgeBase
from rebalance.programs.logs import parse_logs
from rebalance.programs.progress import progress
from rebalance.storage import repo
from rebalance.storage.db import read_connection, session_scope
from rebalance.storage.quick import Quick
from rebalance.storage.schemas import SessionEntry, StoredEntries
from rebalance.storage.tables import AuditEvent, SessionLog
from rebalance.storage.types import AuditAction, SafetyLevel, utc_now
from rebalance.web import deps, log_front, patient_views, session_views
from rebalance.web.deps import UnitOfWorkRoute
from rebalance.web.patient_schemas import FEEDBACK_LOOKS_AT
from tests.web.conftest import Cast, age_sessions, email, last_seen, web
from tests.web.helpers import sign_in
from tests.web.patient_story import MONDAY, Story, add_check_in, api_post, assess, log_session, patient, story

__all__ = ["patient", "story"]  # the fixtures

_T = TypeVar("_T")

TODAY_STATEMENTS = 5  # signed-in session with the page state, user and patient, program, assessment, check-ins
TODAY_AGAIN_STATEMENTS = 1  # the signed-in session with the page state, one statement (page_cache.py)
LOG_STATEMENTS = 4
"""The session with the page state (the CSRF check; the access check of the patient's own record, taken
from the same row by the unit of work: ``repo.known_own_access``), the new session (with its program's
owner checked), the latest sessions, the audit events: the program and whether it stops are remembered
(page_cache.py)."""


def engine_of(app: FastAPI) -> Engine:
    bind = web(app).session_factory.kw["bind"]
    assert isinstance(bind, Engine)
    return bind


@pytest.fixture
def statements(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The SQL statements the app runs during the test (BEGIN and COMMIT are not statements here), those
    run on the driver's own cursor (``quick.py``: the sign-in lookup) included."""
    seen: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if statement != "BEGIN" and threading.current_thread().name != "rebalance-bookkeeping":  # the requests'
            seen.append(statement)

    quick_first = Quick.first

    def quick(read: Quick, engine: Engine, params: Any) -> Any:
        seen.append(read._plan(engine.dialect).sql)
        return quick_first(read, engine, params)

    monkeypatch.setattr(Quick, "first", quick)
    engine = engine_of(app)
    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


def a_long_history(app: FastAPI, cast: Cast, story: Story, sessions: int) -> None:
    """``sessions`` days of sessions before Monday, a weekly check-in over them, two more assessments."""
    exercise = story.items_on("Mon")[0]
    for n in range(sessions, 0, -1):
        log_session(app, cast, story.program, MONDAY - dt.timedelta(days=n), [_done(exercise, pain=1)])
    for week in range(sessions // 7, 0, -1):
        add_check_in(app, cast, MONDAY - dt.timedelta(days=7 * week), [], SafetyLevel.CLEAR)
    assess(app, cast, on=MONDAY - dt.timedelta(days=sessions + 30))
    assess(app, cast, on=MONDAY - dt.timedelta(days=sessions + 60))


def _done(exercise_id: str, pain: int, **more: Any) -> dict[str, Any]:
    return {"exercise_id": exercise_id, "done": True, "sets": 2, "pain_during": pain, **more}


def audit_events(app: FastAPI, after: int) -> list[AuditEvent]:
    web(app).bookkeeping.flush()  # the read events handed over and not yet stored
    with session_scope(web(app).session_factory) as db:
        events = db.scalars(select(AuditEvent).where(AuditEvent.id > after).order_by(AuditEvent.id)).all()
        db.expunge_all()
        return list(events)


def last_event_id(app: FastAPI) -> int:
    web(app).bookkeeping.flush()
    with session_scope(web(app).session_factory) as db:
        return db.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1)) or 0


@pytest.mark.parametrize("history", [0, 60])
def test_the_today_page_reads_a_fixed_number_of_records_whatever_the_history(
    app: FastAPI, cast: Cast, story: Story, patient: TestClient, statements: list[str], history: int
) -> None:
    a_long_history(app, cast, story, history)
    web(app).pages.clear()
    statements.clear()
    assert patient.get("/today").status_code == 200  # rendered
    assert len(statements) <= TODAY_STATEMENTS, statements
    assert not any(s.startswith(("INSERT", "UPDATE")) for s in statements)  # the bookkeeping writer's
    statements.clear()
    assert patient.get("/today").status_code == 200  # served again: what it is made of, checked
    assert len(statements) <= TODAY_AGAIN_STATEMENTS, statements


def test_every_read_of_the_today_page_is_audited(app: FastAPI, cast: Cast, story: Story, patient: TestClient) -> None:
    before = last_event_id(app)
    first, again = patient.get("/today"), patient.get("/today")  # rendered, then served again
    assert first.text == again.text
    events = [e for e in audit_events(app, before) if e.action is AuditAction.READ]
    assert {(e.user_id, e.patient_id) for e in events} == {(cast.user_a1, cast.patient_a1)}
    reads = [
        ("program", story.program.id, {"version": 1}),
        ("assessment", story.assessment.id, {}),
        ("patient", cast.patient_a1, {"read": "check_ins"}),
    ]
    assert [(e.entity_type, e.entity_id, e.detail) for e in events] == reads + reads
    assert events[3].at > events[2].at  # stamped when read


def test_logging_a_session_reads_a_fixed_number_of_records_whatever_the_history(
    app: FastAPI, cast: Cast, story: Story, patient: TestClient, statements: list[str]
) -> None:
    a_long_history(app, cast, story, 2 * FEEDBACK_LOOKS_AT)
    body = {"entries": [_done(story.items_on("Mon")[0], pain=1)]}
    token = {"X-CSRF-Token": patient.get("/api/me").json()["csrf_token"]}
    patient.post("/api/me/logs", json=body, headers=token)
    statements.clear()
    response = patient.post("/api/me/logs", json=body, headers=token)
    assert response.status_code == 201, response.text
    assert len(statements) <= LOG_STATEMENTS, "\n".join(s[:90] for s in statements)
    assert sum(s.startswith("INSERT INTO audit_events") for s in statements) == 1


def test_logging_a_session_stores_its_change_with_it_and_hands_its_reads_to_the_writer(
    app: FastAPI, cast: Cast, story: Story, patient: TestClient
) -> None:
    before = last_event_id(app)
    token = {"X-CSRF-Token": patient.get("/api/me").json()["csrf_token"]}
    body = {"entries": [_done(story.items_on("Mon")[0], pain=1)]}
    saved = patient.post("/api/me/logs", json=body, headers=token)
    assert saved.status_code == 201, saved.text
    with session_scope(web(app).session_factory) as db:  # no flush: what the unit of work wrote itself
        written = db.execute(select(AuditEvent.action, AuditEvent.entity_type).where(AuditEvent.id > before)).all()
    assert ("create", "session_log") in [(str(a), t) for a, t in written]
    events = audit_events(app, before)  # and, once the writer has stored them, its reads
    assert {(e.user_id, e.patient_id) for e in events} == {(cast.user_a1, cast.patient_a1)}
    read = {(e.entity_type, e.entity_id) for e in events if e.action is AuditAction.READ}
    assert {("program", story.program.id), ("assessment", story.assessment.id)} <= read
    created = [e for e in events if e.action is AuditAction.CREATE]
    assert [(e.entity_type, e.entity_id) for e in created] == [("session_log", saved.json()["log"]["id"])]


def _expected(app: FastAPI, cast: Cast, story: Story, kb: KnowledgeBase) -> dict[str, dict[str, Any]]:
    """The library's decisions over the program version's whole history, by exercise."""
    with session_scope(web(app).session_factory) as db:
        logs = [
            s for s in repo.session_logs_for_patient(db, cast.anna, cast.patient_a1) if s.program_id == story.program.id
        ]
    sessions = [{"date": s.performed_on, "entries": [e.model_dump(exclude_none=True) for e in s.entries]} for s in logs]
    document = {**story.assessment.analysis, "program": story.document}
    result = progress(kb, document, parse_logs({"schema": "rebalance.logs/1", "sessions": sessions}))
    return {d["exercise_id"]: d for d in result["decisions"]}


def test_what_is_said_after_a_session_is_the_librarys_word_over_the_whole_history(
    app: FastAPI, cast: Cast, story: Story, patient: TestClient, kb: KnowledgeBase
) -> None:
    first, second = story.items_on("Mon")[:2]
    for n in range(FEEDBACK_LOOKS_AT + 10, 0, -1):
        entries = [_done(first, pain=1), _done(second, pain=1 + n % 3)]
        log_session(app, cast, story.program, MONDAY - dt.timedelta(days=n), entries)
    response = api_post(patient, "/api/me/logs", {"entries": [_done(first, pain=2), _done(second, pain=7)]})
    assert response.status_code == 201, response.text
    expected = _expected(app, cast, story, kb)
    said = {f["exercise_id"]: f for f in response.json()["feedback"]}
    assert said.keys() == {first, second}
    for exercise_id, feedback in said.items():
        assert (feedback["decision"], feedback["reason"]) == (
            expected[exercise_id]["decision"],
            expected[exercise_id]["reason"],
        )
        assert feedback["sessions"] == FEEDBACK_LOOKS_AT  # counted among the latest
    assert expected[second]["decision"] == "regress"


def test_an_answer_that_needs_an_older_morning_after_reads_the_whole_history(
    app: FastAPI, cast: Cast, story: Story, patient: TestClient, kb: KnowledgeBase
) -> None:
    """Only the oldest session says how the morning after felt (pain 1): the latest session's morning
    (pain 3) is worse than that — not than the assessment's pain, as the latest sessions alone would say."""
    exercise = story.items_on("Mon")[0]
    oldest = FEEDBACK_LOOKS_AT + 5
    for n in range(oldest, 0, -1):
        more = {"pain_next_morning": 1} if n == oldest else {}
        log_session(app, cast, story.program, MONDAY - dt.timedelta(days=n), [_done(exercise, pain=1, **more)])
    response = api_post(patient, "/api/me/logs", {"entries": [], "next_morning": {"pain": 3}})
    assert response.status_code == 201, response.text
    (feedback,) = response.json()["feedback"]
    expected = _expected(app, cast, story, kb)[exercise]
    assert "worse the next morning" in expected["reason"]
    assert (feedback["decision"], feedback["reason"]) == (expected["decision"], expected["reason"])


def test_a_route_commits_its_unit_of_work_as_it_returns_in_its_own_thread(app: FastAPI, cast: Cast) -> None:
    """Not later, in another trip to a worker thread: the unit of work (and SQLite's write lock) ends with
    the work. A route that raises leaves the rollback to ``SessionDep``."""
    session = web(app).session_factory()
    token = deps._unit_of_work.set(session)
    try:
        session.execute(select(AuditEvent.id).limit(1))
        assert session.in_transaction()
        route = UnitOfWorkRoute("/x", lambda: "done")
        assert route.endpoint.__wrapped__() == "done"  # what runs in the worker thread
        assert not session.in_transaction()

        def failing() -> str:
            raise ValueError("no")

        session.execute(select(AuditEvent.id).limit(1))
        with pytest.raises(ValueError, match="no"):
            UnitOfWorkRoute("/y", failing).endpoint.__wrapped__()
        assert session.in_transaction()
        session.rollback()
    finally:
        deps._unit_of_work.reset(token)
        session.close()


@pytest.fixture
def trips(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What the app runs in worker threads during the test, by name."""
    seen: list[str] = []
    run_sync = anyio.to_thread.run_sync

    async def counting(func: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(getattr(getattr(func, "func", func), "__name__", "?"))
        return await run_sync(func, *args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counting)
    return seen


@pytest.mark.parametrize("in_event_loop", [True, False])
def test_a_patients_page_is_no_trip_to_a_worker_thread_or_one_when_reads_are_not_in_the_event_loop(
    app: FastAPI, patient: TestClient, trips: list[str], in_event_loop: bool
) -> None:
    """Who is signed in is looked up in the route's own unit of work. A GET's reads are made in the event
    loop's thread (``WebContext.reads_inline``, the setting ``reads_in_event_loop``), or else in one
    trip to a worker thread; a POST's unit of work always runs in a worker thread."""
    assert web(app).reads_inline is True  # the default
    settings = web(app).settings.model_copy(update={"reads_in_event_loop": in_event_loop})
    app.state.web = dataclasses.replace(web(app), settings=settings)
    assert patient.get("/today").status_code == 200
    assert patient.get("/api/me/program").status_code == 200
    app_trips = [name for name in trips if name not in ("<lambda>", "validate")]  # the tests' "today"; the API's
    assert app_trips == ([] if web(app).reads_inline else ["_serve", "today_page", "my_program"])  # (page_front)
    trips.clear()
    token = {"X-CSRF-Token": patient.get("/api/me").json()["csrf_token"]}
    trips.clear()
    patient.post("/api/me/check-ins", json={"answers": {}}, headers=token)  # (422: what matters is where)
    assert "check_in" in trips


def test_the_patient_is_checked_before_the_route_reads_anything(
    app: FastAPI, cast: Cast, story: Story, patient: TestClient
) -> None:
    age_sessions(app, last_seen_at=utc_now() - dt.timedelta(minutes=5))
    before = last_event_id(app)
    assert patient.get("/today").status_code == 200
    assert last_seen(app) > utc_now() - dt.timedelta(minutes=1)  # marked seen (by the bookkeeping writer)
    age_sessions(app, last_seen_at=utc_now() - dt.timedelta(hours=9))  # idle too long: signed out
    assert patient.get("/today").headers["location"] == "/login?next=/today"
    assert patient.get("/api/me/today").status_code == 401
    as_clinician = TestClient(app, follow_redirects=False)
    sign_in(as_clinician, email("anna"))
    assert as_clinician.get("/today").status_code == 403
    assert as_clinician.get("/api/me/learn").status_code == 403
    read_by_others = [
        e for e in audit_events(app, before) if e.user_id != cast.user_a1 and e.action is AuditAction.READ
    ]
    assert read_by_others == []


def test_a_session_is_committed_before_what_is_said_about_it_is_worked_out(
    app: FastAPI, cast: Cast, story: Story, patient: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The feedback's reads and reasoning run after the commit, what more it reads in a reading unit of
    work: SQLite's write lock is not held for them. They see the session just stored."""
    seen: list[tuple[int, bool]] = []
    real = session_views.feedback

    def looking(kb: Any, program: Any, recent: Any, reading: session_views.Reading[Any]) -> Any:
        with read_connection(web(app).engine) as other:  # another connection: only what is committed
            stored = other.scalar(select(func.count()).where(SessionLog.program_id == program.id))
        seen.append((stored, reading(lambda me: me.db.info.get(deps.WRITERS) is None)))
        return real(kb, program, recent, reading)

    monkeypatch.setattr(session_views, "feedback", looking)
    response = api_post(patient, "/api/me/logs", {"entries": [_done(story.items_on("Mon")[0], pain=2)]})
    assert response.status_code == 201, response.text
    assert seen == [(1, True)]  # stored and committed; worked out in a unit of work that does not write
    assert [f["sessions"] for f in response.json()["feedback"]] == [1]


def in_a_new_event_loop(func: Callable[..., Awaitable[_T]], *args: Any) -> _T:
    """``anyio.run`` in a thread of its own (the browser tests leave an event loop running in this one)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(anyio.run, func, *args).result()


def test_the_units_of_work_that_write_take_their_turns_in_the_event_loop(app: FastAPI) -> None:
    """``writers_per_process`` of them at a time in worker threads; the others wait without a thread."""

    async def run(size: int) -> int:
        running, most = 0, 0

        def work() -> None:
            nonlocal running, most
            running += 1
            most = max(most, running)
            time.sleep(0.02)
            running -= 1

        session = web(app).session_factory(info={deps.WRITERS: deps.writers_limiter(size)})
        token = deps._unit_of_work.set(session)
        try:
            async with anyio.create_task_group() as group:
                for _ in range(6):
                    group.start_soon(deps.run_db, work)
        finally:
            deps._unit_of_work.reset(token)
            session.close()
        return most

    assert in_a_new_event_loop(run, 1) == 1
    assert in_a_new_event_loop(run, 3) == 3  # a new event loop, a new limiter


def test_a_request_that_writes_takes_the_apps_turns(app: FastAPI, patient: TestClient, story: Story) -> None:
    """``writers_per_process``; by default one on SQLite (one writer at a time anyway), two on a server."""

    async def default_size() -> float:
        return web(app).writers().total_tokens

    sqlite = engine_of(app).dialect.name == "sqlite"
    assert web(app).settings.writers_per_process is None
    expected = deps.SQLITE_WRITERS if sqlite else deps.SERVER_WRITERS
    assert in_a_new_event_loop(default_size) == expected == (1 if sqlite else 2)
    seen: list[object] = []
    real = session_views.record_session

    def recording(me: patient_views.Me, data: Any) -> Any:
        seen.append(me.db.info.get(deps.WRITERS))
        return real(me, data)

    settings = web(app).settings.model_copy(update={"writers_per_process": 2})
    app.state.web = dataclasses.replace(web(app), settings=settings)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(session_views, "record_session", recording)
        patch.setattr(log_front, "PATH", "/not-taken")  # the route, not the front's writer (log_writer.py)
        api_post(patient, "/api/me/logs", {"entries": [_done(story.items_on("Mon")[0], pain=2)]})
    (limiter,) = seen
    assert isinstance(limiter, anyio.CapacityLimiter) and limiter.total_tokens == 2


def test_the_patients_forms_write_in_a_worker_thread_in_their_turn(
    app: FastAPI, patient: TestClient, story: Story, trips: list[str]
) -> None:
    """The log and check-in forms are read in the event loop; what they store is stored in a worker thread
    (``deps.run_db``), never in the event loop, where SQLite's write lock would stall every request."""
    token = patient.get("/api/me").json()["csrf_token"]
    trips.clear()
    exercise = story.items_on("Mon")[0]
    dose = {"sets": str(story.item(exercise)["dosage"]["sets"]), "pain_during": "1"}
    dose |= {"hold_s": str(hold)} if (hold := story.item(exercise)["dosage"].get("hold_s")) else {}
    entry = {"exercise_id": exercise, "done": "yes", **dose}
    form = {"csrf_token": token, **{f"entries[0].{key}": value for key, value in entry.items()}}
    assert patient.post("/log", data=form).status_code == 303
    assert patient.post("/check-in", data={"csrf_token": token}).status_code in (303, 422)
    assert {"log_session", "check_in"} <= set(trips)


def test_what_is_said_reads_the_analysis_only_for_a_program_without_its_baseline_pain(
    story: Story, kb: KnowledgeBase
) -> None:
    """A program built by the library carries its baseline pain: nothing more is read, and no unit of work
    is opened for it. Without it, the analysis the program was built from is read once, to the same word."""
    exercise = story.items_on("Mon")[0]
    entry = {**dict.fromkeys(SessionEntry.model_fields), **_done(exercise, pain=6)}
    recent = [StoredEntries(MONDAY - dt.timedelta(days=1), [entry])]
    asked: list[object] = []

    def reading(read: Callable[[Any], _T]) -> _T:
        asked.append(read)
        return read(SimpleNamespace(latest_assessment=story.assessment, assessments=[story.assessment]))

    carried = session_views.feedback(kb, story.program, recent, reading)
    assert asked == [] and [f.exercise_id for f in carried] == [exercise]
    client = {k: v for k, v in story.document["client"].items() if k != "baseline_pain"}
    bare = story.program.model_copy(update={"document": {**story.document, "client": client}})
    assert session_views.feedback(kb, bare, recent, reading) == carried
    assert len(asked) == 1


def test_a_stored_session_is_checked_by_the_library_once_a_process_and_text(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Every session logged reads the version's latest sessions again: each read as its stored text is
    checked by the library once (``session_views._library_session_of``), to the same logs; another text
    (a next-morning answer added) is checked afresh, a session refused is refused every time."""
    session_views._library_session_of.cache_clear()
    checked: list[object] = []
    real = session_views.parse_session

    def counting(data: Any, source: str) -> Any:
        checked.append(data["date"])
        return real(data, source)

    monkeypatch.setattr(session_views, "parse_session", counting)

    def stored(day: dt.date, **values: Any) -> StoredEntries:
        entry = {**dict.fromkeys(SessionEntry.model_fields), "exercise_id": "glute_bridge", "done": True, **values}
        text = json.dumps([entry])
        return StoredEntries(day, tuple(MappingProxyType(e) for e in json.loads(text)), text)

    monday, tuesday = MONDAY, MONDAY + dt.timedelta(days=1)
    older, newer = stored(monday, sets=2, reps=10), stored(tuesday, sets=2, reps=12, pain_during=3)
    first = session_views.library_logs([older, newer])
    assert first is not None and checked == [monday, tuesday]
    assert session_views.library_logs([older, newer]) == first and checked == [monday, tuesday]
    unkept = [StoredEntries(s.performed_on, s.entries) for s in (older, newer)]  # no text: checked each time
    assert session_views.library_logs(unkept) == first and checked == [monday, tuesday] * 2

    answered = stored(tuesday, sets=2, reps=12, pain_during=3, pain_next_morning=4)
    later = session_views.library_logs([older, answered])
    assert later is not None and later.sessions[1].entries[0].pain_next_morning == 4
    assert checked == [monday, tuesday] * 2 + [tuesday]

    beyond = stored(tuesday, sets=2, reps=500)  # stored by another client beyond the library's ranges
    with caplog.at_level(logging.WARNING, logger="rebalance.web"):
        assert session_views.library_logs([older, beyond]) is None
        assert session_views.library_logs([older, beyond]) is None
    assert checked[-2:] == [tuesday, tuesday]
    assert "entries[0].reps" in caplog.text
