"""The today page, served again from the page cache, and the values remembered there (the published
program, whether it stops): never stale, never another patient's, audited each time as when first read.

Every change below is made through the repository in a unit of work of its own — as another process
of the app would make it — so the cache cannot have been told: the page must notice by itself.
"""

from __future__ import annotations

import datetime as dt

from fastapi import FastAPI
from fastapi.testclient import TestClient

from rebalance.storage.types import AuditAction, SafetyLevel
from rebalance.web.page_cache import PageCache, _Entry
from tests.web.conftest import Cast, email, web
from tests.web.helpers import sign_in
from tests.web.patient_story import (
    MONDAY,
    Story,
    add_check_in,
    add_version,
    api_post,
    patient,
    set_today,
    story,
)
from tests.web.test_patient_load import audit_events, last_event_id

__all__ = ["patient", "story"]  # the fixtures


def test_the_page_is_served_again_until_what_it_is_made_of_changes(
    app: FastAPI, cast: Cast, story: Story, patient: TestClient
) -> None:
    first = patient.get("/today")
    assert first.status_code == 200 and "Stop: no exercises" not in first.text
    assert web(app).pages.count("today") == 1
    assert patient.get("/today").text == first.text  # served again
    add_check_in(app, cast, MONDAY, ["bladder_dysfunction"], SafetyLevel.EMERGENCY)
    stopped = patient.get("/today")
    assert "Stop: no exercises" in stopped.text  # at once: the red flag stops the program
    assert web(app).pages.count("today") == 2


def test_a_new_published_version_and_a_new_day_are_new_pages(
    app: FastAPI, cast: Cast, story: Story, patient: TestClient
) -> None:
    before = patient.get("/today").text
    dropped = story.items_on("Mon")[0]
    items = [item for item in story.program.document["items"] if item["exercise_id"] != dropped]
    assert f'id="{dropped}"' in before
    add_version(app, cast, story.assessment, {**story.program.document, "items": items})
    after = patient.get("/today").text
    assert f'id="{dropped}"' not in after  # version 2, without it
    set_today(app, MONDAY + dt.timedelta(days=1))
    tuesday = patient.get("/today").text
    assert "Tuesday" in tuesday and "Tuesday" not in after


def test_a_page_is_never_served_to_another_patient(app: FastAPI, cast: Cast, story: Story, patient: TestClient) -> None:
    mine = patient.get("/today").text
    other = TestClient(app, follow_redirects=False)
    sign_in(other, email("b1"))
    theirs = other.get("/today")
    assert theirs.status_code == 200
    assert theirs.text != mine
    assert "Your program is on its way" in theirs.text  # B1 has no program


def test_signing_in_again_is_a_new_page_its_forms_carry_the_new_sessions_token(
    app: FastAPI, cast: Cast, story: Story, patient: TestClient
) -> None:
    old_token = patient.get("/api/me").json()["csrf_token"]
    assert old_token in patient.get("/today").text
    patient.cookies.clear()
    sign_in(patient, email("a1"))
    new_token = patient.get("/api/me").json()["csrf_token"]
    page = patient.get("/today").text
    assert new_token in page and old_token not in page


def test_the_cache_is_bounded_least_recently_used_out_first() -> None:
    cache = PageCache(max_pages=2)
    page = _Entry(b"<p>x</p>", [])
    cache.put("a", page)
    cache.put("b", page)
    assert cache.get("a") is page  # "a" is now the most recently used
    cache.put("c", page)
    assert cache.get("b") is None and cache.get("a") is page and cache.get("c") is page
    assert len(cache) == 2


def test_logging_a_session_remembers_the_program_and_its_stop_until_another_process_changes_them(
    app: FastAPI, cast: Cast, story: Story, patient: TestClient
) -> None:
    body = {"entries": [{"exercise_id": story.items_on("Mon")[0], "done": True, "sets": 2, "pain_during": 1}]}
    first = api_post(patient, "/api/me/logs", body)
    assert first.status_code == 201, first.text
    pages = web(app).pages
    assert (pages.count("program"), pages.count("stops")) == (1, 1)
    again = api_post(patient, "/api/me/logs", body)
    assert again.json()["log"]["program_id"] == story.program.id
    assert (pages.count("program"), pages.count("stops")) == (1, 1)  # remembered, not read again
    version_2 = add_version(app, cast, story.assessment, story.document)  # as another process would
    assert api_post(patient, "/api/me/logs", body).json()["log"]["program_id"] == version_2.id
    add_check_in(app, cast, MONDAY, ["bladder_dysfunction"], SafetyLevel.EMERGENCY)
    stopped = api_post(patient, "/api/me/logs", body)
    assert stopped.status_code == 409 and "stopped" in stopped.text


def test_a_remembered_value_is_audited_as_when_it_was_read(
    app: FastAPI, cast: Cast, story: Story, patient: TestClient
) -> None:
    body = {"entries": [{"exercise_id": story.items_on("Mon")[0], "done": True, "sets": 2, "pain_during": 1}]}
    reads = []
    for _ in range(2):  # read, then remembered
        before = last_event_id(app)
        assert api_post(patient, "/api/me/logs", body).status_code == 201
        events = [e for e in audit_events(app, before) if e.action is AuditAction.READ]
        remembered = [e for e in events if e.detail.get("read") != "session_logs"]  # the feedback's: read each time
        reads.append(sorted((e.entity_type, e.entity_id, str(e.detail)) for e in remembered))
        assert {(e.user_id, e.patient_id) for e in events} == {(cast.user_a1, cast.patient_a1)}
    assert reads[0] == reads[1]
    assert ("program", story.program.id) in {(kind, ident) for kind, ident, _ in reads[0]}
    assert ("assessment", story.assessment.id) in {(kind, ident) for kind, ident, _ in reads[0]}
    assert ("patient", cast.patient_a1) in {(kind, ident) for kind, ident, _ in reads[0]}  # the check-ins
