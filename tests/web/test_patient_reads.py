"""What the patient's busiest requests read and audit, and what is said after a session.

The today page and logging a session read a fixed number of records whatever the history (a year of
sessions and check-ins costs no more statements than a week), and audit every read in the request's own
transaction. What is said after a session looks at the program version's latest sessions — and gives
the library's own answer over the whole history.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event, select

from rebalance.knowledge.loader import KnowledgeBase
from rebalance.programs.feedback import LOOKS_AT as FEEDBACK_LOOKS_AT
from rebalance.programs.logs import parse_logs
from rebalance.programs.progress import progress
from rebalance.storage.db import session_scope
from rebalance.storage.repos import session_logs
from rebalance.storage.tables import AuditEvent
from rebalance.storage.types import AuditAction, SafetyLevel
from tests.web.conftest import Cast, web
from tests.web.patient_story import MONDAY, Story, add_check_in, api_post, assess, log_session, patient, story

__all__ = ["patient", "story"]  # the fixtures


@pytest.fixture
def statements(app: FastAPI) -> Iterator[list[str]]:
    """The SQL statements the app runs during the test (BEGIN and COMMIT aside)."""
    seen: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if not statement.startswith("BEGIN"):
            seen.append(statement)

    engine = web(app).engine
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
    with session_scope(web(app).session_factory) as db:
        events = db.scalars(select(AuditEvent).where(AuditEvent.id > after).order_by(AuditEvent.id)).all()
        db.expunge_all()
        return list(events)


def last_event_id(app: FastAPI) -> int:
    with session_scope(web(app).session_factory) as db:
        return db.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1)) or 0


def test_the_today_page_reads_a_fixed_number_of_records_whatever_the_history(
    app: FastAPI, cast: Cast, story: Story, patient: TestClient, statements: list[str]
) -> None:
    counts = []
    for history in (0, 60):
        a_long_history(app, cast, story, history)
        statements.clear()
        assert patient.get("/today").status_code == 200
        counts.append(len([s for s in statements if not s.startswith("INSERT INTO audit_events")]))
    assert counts[0] == counts[1], statements


def test_every_read_of_the_today_page_is_audited_in_its_own_transaction(
    app: FastAPI, cast: Cast, story: Story, patient: TestClient
) -> None:
    before = last_event_id(app)
    first, again = patient.get("/today"), patient.get("/today")
    assert first.text == again.text
    events = [e for e in audit_events(app, before) if e.action is AuditAction.READ]  # stored before the answer
    assert {(e.user_id, e.patient_id) for e in events} == {(cast.user_a1, cast.patient_a1)}
    reads = [
        ("program", story.program.id, {"version": 1}),
        ("assessment", story.assessment.id, {}),
        ("patient", cast.patient_a1, {"read": "check_ins"}),
        ("patient", cast.patient_a1, {"read": "session_logs", "from": "2026-11-23", "to": "2026-11-23", "count": 0}),
        # the version's latest sessions: was the last session of any of today's exercises too much?
        (
            "patient",
            cast.patient_a1,
            {"read": "session_logs", "latest": 14, "program_id": 1, "before": None, "count": 0},
        ),
    ]
    assert [(e.entity_type, e.entity_id, e.detail) for e in events] == reads + reads  # today's log: done yet?
    assert events[5].at > events[4].at  # stamped when read


def test_logging_a_session_reads_a_fixed_number_of_records_whatever_the_history(
    app: FastAPI, cast: Cast, story: Story, patient: TestClient, statements: list[str]
) -> None:
    body = {"entries": [_done(story.items_on("Mon")[0], pain=1)]}
    counts = []
    for history in (0, 2 * FEEDBACK_LOOKS_AT):
        a_long_history(app, cast, story, history)
        statements.clear()
        assert api_post(patient, "/api/me/logs", body).status_code == 201
        counts.append(len([s for s in statements if "audit_events" not in s and not s.startswith("SELECT web")]))
    assert counts[0] == counts[1], statements


def test_logging_a_session_stores_it_with_its_audit_events(
    app: FastAPI, cast: Cast, story: Story, patient: TestClient
) -> None:
    before = last_event_id(app)
    saved = api_post(patient, "/api/me/logs", {"entries": [_done(story.items_on("Mon")[0], pain=1)]})
    assert saved.status_code == 201, saved.text
    events = audit_events(app, before)
    assert {(e.user_id, e.patient_id) for e in events} == {(cast.user_a1, cast.patient_a1)}
    read = {(e.entity_type, e.entity_id) for e in events if e.action is AuditAction.READ}
    assert {("program", story.program.id), ("assessment", story.assessment.id)} <= read
    created = [e for e in events if e.action is AuditAction.CREATE]
    assert [(e.entity_type, e.entity_id) for e in created] == [("session_log", saved.json()["log"]["id"])]


def _expected(app: FastAPI, cast: Cast, story: Story, kb: KnowledgeBase) -> dict[str, dict[str, Any]]:
    """The library's decisions over the program version's whole history, by exercise."""
    with session_scope(web(app).session_factory) as db:
        logs = session_logs.session_logs_for_patient(db, cast.anna, cast.patient_a1)
    sessions = [
        {"date": s.performed_on, "entries": [e.model_dump(exclude_none=True) for e in s.entries]}
        for s in logs
        if s.program_id == story.program.id
    ]
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
        decided = expected[exercise_id]
        assert (feedback["decision"], feedback["reason"]) == (decided["decision"], decided["reason"])
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
