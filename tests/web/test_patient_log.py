"""Logging a session: each exercise done or not, the dose, how it felt; the morning after; the model's word."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import ValidationError

from rebalance.knowledge.loader import KnowledgeBase, default
from rebalance.knowledge.words import long_date
from rebalance.programs.logs import log_fields, parse_logs
from rebalance.programs.progress import progress
from rebalance.storage.db import session_scope
from rebalance.storage.repos import audit_log, session_logs
from rebalance.storage.schemas import SessionEntry, SessionLogCreate, SessionLogPublic
from rebalance.storage.types import AuditAction, EntityType, SafetyLevel
from rebalance.web.clinician_views import timeline
from tests.web.conftest import Cast, web
from tests.web.patient_story import (
    MONDAY,
    Story,
    add_check_in,
    api_post,
    log_session,
    patient,
    post_form,
    stored_logs,
    story,
)

__all__ = ["patient", "story"]  # the fixtures

SUNDAY = MONDAY - dt.timedelta(days=1)


def session(story: Story, **changes: str) -> dict[str, str]:
    """Monday's exercises all done as asked with little pain, as the form sends them (each in its own unit)."""
    form = {}
    kb = default()
    for i, exercise_id in enumerate(story.items_on("Mon")):
        form |= {f"entries[{i}].exercise_id": exercise_id, f"entries[{i}].done": "yes"}
        for field in log_fields(kb, story.item(exercise_id)):
            if field.default is not None:
                form[f"entries[{i}].{field.name}"] = str(field.default)
        form[f"entries[{i}].pain_during"] = "1"
    return form | changes


def whole(entry: dict[str, Any]) -> dict[str, Any]:
    """A stored entry as the library reads it: holds in whole seconds."""
    return entry | ({"hold_s": round(entry["hold_s"])} if "hold_s" in entry else {})


def test_the_log_form_asks_about_todays_exercises(patient: TestClient, story: Story) -> None:
    page = patient.get("/log")
    assert page.status_code == 200
    for i, exercise_id in enumerate(story.items_on("Mon")):
        assert f'name="entries[{i}].exercise_id" value="{exercise_id}"' in page.text
        assert f'<label for="e{i}-pain_during">Pain during the exercise (0-10)</label>' in page.text
    assert 'name="csrf_token"' in page.text
    assert "The morning after your last session" not in page.text  # no earlier session yet


def test_the_log_form_asks_each_exercise_in_its_own_unit_and_prefills_nothing(
    patient: TestClient, story: Story
) -> None:
    monday = story.items_on("Mon")
    assert monday == ["bird_dog", "walking"]
    page = patient.get("/log").text
    walk = page[page.index('name="entries[1].exercise_id"') :]
    assert '<label for="e1-minutes">Minutes done</label>' in walk
    assert "e1-sets" not in page and "e1-hold_s" not in page and "Hold reached" not in page  # a walk is not a hold
    assert '<label for="e0-reps">Repetitions in the last set</label>' in page  # a bird dog: reps, and its hold
    assert '<label for="e0-hold_s">Longest hold (seconds)</label>' in page
    numbers = re.findall(r'<input id="e\d-\w+" name="[^"]+" type="number"[^>]*value="([^"]*)"', page)
    assert len(numbers) == 8 and set(numbers) == {""}  # nothing prefilled with the dose


def test_a_walk_is_logged_in_minutes(app: FastAPI, cast: Cast, patient: TestClient, story: Story) -> None:
    form = session(story, **{"entries[1].minutes": "25"})
    assert post_form(patient, "/log", form).status_code == 303
    (log,) = stored_logs(app, cast)
    walk = log.entries[1]
    assert (walk.exercise_id, walk.minutes, walk.hold_s, walk.sets) == ("walking", 25, None, None)
    refused = post_form(patient, "/log", session(story, **{"entries[1].minutes": "601"}))
    assert refused.status_code == 422
    assert '<p id="e1-minutes-problem" class="field-problem">' in refused.text


def test_a_logged_day_shows_done_and_its_edit_replaces_it(
    app: FastAPI, cast: Cast, patient: TestClient, story: Story
) -> None:
    post_form(patient, "/log", session(story, **{"entries[1].minutes": "20", "entries[0].reps": "6"}))
    today = html.unescape(patient.get("/today").text)
    assert "Done today" in today and "Brisk walking: 20 minutes, pain 1/10" in today
    assert "Log today’s session" not in today and 'href="/log?edit=1"' in today
    logged = html.unescape(patient.get("/log").text)
    assert "Done today" in logged and "Brisk walking: 20 minutes" in logged
    assert 'name="entries[0].done"' not in logged  # never a second blank form
    edit = patient.get("/log?edit=1").text
    assert re.search(r'name="entries\[1\]\.minutes"[^>]*value="20"', edit)
    assert re.search(r'name="entries\[0\]\.done" value="yes"\s+checked', edit)
    assert re.search(r'name="entries\[0\]\.reps"[^>]*value="6"', edit)
    first = stored_logs(app, cast)[0]
    changed = session(story, **{"entries[1].minutes": "30", "entries[0].done": "no"})
    assert post_form(patient, "/log?edit=1", changed).status_code == 303
    (log,) = stored_logs(app, cast)  # replaced, not a second log of the day
    assert log.id == first.id
    assert (log.entries[0].done, log.entries[0].reps, log.entries[1].minutes) == (False, None, 30)
    assert "Brisk walking: 30 minutes" in html.unescape(patient.get("/today").text)
    with session_scope(web(app).session_factory) as db:
        events = audit_log.audit_events_for(db, cast.admin, EntityType.SESSION_LOG, log.id)
    assert [(e.action, e.user_id) for e in events] == [
        (AuditAction.CREATE, cast.user_a1),
        (AuditAction.UPDATE, cast.user_a1),
    ]


def test_logging_a_session_stores_it(app: FastAPI, cast: Cast, patient: TestClient, story: Story) -> None:
    monday = story.items_on("Mon")
    assert len(monday) >= 2
    form = session(story, **{"entries[0].pain_during": "3", "entries[0].effort": "6", "entries[1].done": "no"})
    response = post_form(patient, "/log", form)
    assert (response.status_code, response.headers["location"]) == (303, "/log?saved=1")
    (log,) = stored_logs(app, cast)
    assert (log.program_id, log.performed_on, log.pain_during_max) == (story.program.id, MONDAY, 3)
    assert [e.exercise_id for e in log.entries] == monday
    first, skipped = log.entries[0], log.entries[1]
    dose = story.item(monday[0])["dosage"]
    assert (first.done, first.sets, first.hold_s, first.effort, first.pain_during) == (
        True,
        dose["sets"],
        dose.get("hold_s"),
        6,
        3,
    )
    assert (skipped.done, skipped.sets, skipped.pain_during) == (False, None, None)  # not done: no dose kept
    assert "Saved. Thank you" in patient.get("/log?saved=1").text


def test_pain_eleven_is_refused_next_to_its_field_and_nothing_is_stored(
    app: FastAPI, cast: Cast, patient: TestClient, story: Story
) -> None:
    earlier = log_session(
        app, cast, story.program, SUNDAY, [{"exercise_id": "walking", "done": True, "pain_during": 1}]
    )
    form = session(story, **{"entries[0].pain_during": "11", "entries[1].minutes": "lots", "next_morning.pain": "2"})
    del form["entries[1].done"]
    response = post_form(patient, "/log", form)
    assert response.status_code == 422
    page = response.text
    assert '<p id="e0-pain_during-problem" class="field-problem">Enter a number from 0 to 10.</p>' in page
    assert 'aria-describedby="e0-pain_during-hint e0-pain_during-problem"' in page
    assert '<p id="e1-minutes-problem" class="field-problem">Enter a whole number, such as 3.</p>' in page
    assert '<p id="e1-done-problem" class="field-problem">Choose yes or no.</p>' in page
    assert 'value="11"' in page  # what was typed stays
    assert stored_logs(app, cast) == [earlier]  # nothing saved, not even the morning after


def test_a_session_beyond_the_librarys_ranges_is_refused_naming_the_field(patient: TestClient) -> None:
    walk = {"exercise_id": "walking", "done": True, "pain_during": 1, "sets": 21}
    response = api_post(patient, "/api/me/logs", {"entries": [walk]})
    assert response.status_code == 422, response.text
    assert [e["path"] for e in response.json()["errors"]] == ["body.entries[0].sets"]
    with pytest.raises(ValidationError, match="sets"):  # nor can another client store it
        SessionEntry(exercise_id="walking", done=True, sets=21)


def old_row(app: FastAPI, cast: Cast, story: Story, on: dt.date, **dose: int) -> SessionLogPublic:
    """A session stored before storage kept to the library's ranges (written past today's check)."""
    entry = SessionEntry.model_construct(exercise_id="walking", done=True, pain_during=1, **dose)
    data = SessionLogCreate.model_construct(program_id=story.program.id, performed_on=on, entries=[entry])
    with session_scope(web(app).session_factory) as db:
        return session_logs.add_session_log(db, cast.user_a1, cast.patient_a1, data)


def test_a_stored_session_the_library_cannot_read_does_not_lock_the_patient_out(
    app: FastAPI, cast: Cast, patient: TestClient, story: Story
) -> None:
    """An older row beyond the library's ranges (50 sets; it reads 20 at most) is left out of the word and of
    adherence; the patient is told so in plain words, never a field's path, and can go on logging."""
    odd = old_row(app, cast, story, SUNDAY, sets=50)
    note = f"One earlier session ({long_date(SUNDAY)}) could not be read"
    response = api_post(
        patient, "/api/me/logs", {"entries": [{"exercise_id": "walking", "done": True, "pain_during": 1}]}
    )
    assert response.status_code == 201, response.text
    saved = response.json()
    assert saved["unreadable_note"].startswith(note) and saved["feedback"]
    assert [s.id for s in stored_logs(app, cast)] == [odd.id, saved["log"]["id"]]
    for path in ("/progress", "/log"):
        page = patient.get(path)
        assert page.status_code == 200, path
        assert html.escape(note) in page.text
        assert "entries[" not in page.text and "stored session" not in page.text
    events = timeline(default(), [], [], stored_logs(app, cast), [])  # the clinician's record says why
    (left_out,) = [e.detail for e in events if "left out" in e.detail]
    assert left_out.startswith("1 of 1 done; worst pain during 1/10; left out of the patient's feedback")
    assert "(walking, sets: input should be less than or equal to 20)" in left_out


def test_pain_during_is_needed_for_an_exercise_done(
    app: FastAPI, cast: Cast, patient: TestClient, story: Story
) -> None:
    form = session(story, **{"entries[0].pain_during": ""})
    response = post_form(patient, "/log", form)
    assert response.status_code == 422
    assert "Say how much it hurt during the exercise, from 0 (no pain) to 10." in response.text
    assert stored_logs(app, cast) == []


def test_an_exercise_not_in_the_program_is_refused(app: FastAPI, cast: Cast, patient: TestClient, story: Story) -> None:
    response = post_form(patient, "/log", session(story, **{"entries[0].exercise_id": "front_plank"}))
    assert response.status_code == 422
    assert "This exercise is not in your program." in response.text
    assert stored_logs(app, cast) == []


def test_nothing_done_and_no_morning_after_stores_nothing(
    app: FastAPI, cast: Cast, patient: TestClient, story: Story
) -> None:
    form = session(story, **{f"entries[{i}].done": "no" for i in range(len(story.items_on("Mon")))})
    response = post_form(patient, "/log", form)
    assert response.status_code == 422
    assert "Mark at least one exercise as done, or tell how the morning after felt." in response.text
    assert stored_logs(app, cast) == []


def test_the_morning_after_attaches_to_the_previous_session(
    app: FastAPI, cast: Cast, patient: TestClient, story: Story
) -> None:
    entries = [
        {"exercise_id": "walking", "done": True, "pain_during": 1},
        {"exercise_id": "seated_breathing", "done": False},
    ]
    previous = log_session(app, cast, story.program, SUNDAY, entries)
    page = patient.get("/log").text
    assert "The morning after your last session" in page
    assert "Sunday 22 November" in page
    response = post_form(patient, "/log", session(story, **{"next_morning.pain": "4", "next_morning.stiffness": "3"}))
    assert response.status_code == 303
    before, today = stored_logs(app, cast)
    assert before.id == previous.id
    walking, breathing = before.entries
    assert (walking.pain_next_morning, walking.stiffness_next_morning) == (4, 3)
    assert breathing.pain_next_morning is None  # not done: nothing to react to
    assert all(e.pain_next_morning is None for e in today.entries)


def test_only_the_morning_after_can_be_logged(app: FastAPI, cast: Cast, patient: TestClient, story: Story) -> None:
    log_session(app, cast, story.program, SUNDAY, [{"exercise_id": "walking", "done": True, "pain_during": 1}])
    nothing = {f"entries[{i}].done": "no" for i in range(len(story.items_on("Mon")))}
    form = session(story, **nothing, **{"next_morning.pain": "2"})
    assert post_form(patient, "/log", form).status_code == 303
    (only,) = stored_logs(app, cast)
    assert only.entries[0].pain_next_morning == 2


def test_after_saving_the_page_says_what_the_pain_monitoring_model_says(
    app: FastAPI, cast: Cast, patient: TestClient, story: Story, kb: KnowledgeBase
) -> None:
    post_form(patient, "/log", session(story, **{"entries[1].pain_during": "7"}))
    page = html.unescape(patient.get("/log?saved=1").text)
    logs = stored_logs(app, cast)
    sessions = [
        {"date": s.performed_on, "entries": [whole(e.model_dump(exclude_none=True)) for e in s.entries]} for s in logs
    ]
    expected = progress(
        kb,
        {**story.assessment.analysis, "program": story.document},
        parse_logs({"schema": "rebalance.logs/1", "sessions": sessions}),
    )
    stretch = next(d for d in expected["decisions"] if d["exercise_id"] == story.items_on("Mon")[1])
    assert stretch["decision"] == "regress"
    assert "That was too much: next time, do less." in page
    assert f"{stretch['reason'][:1].upper()}{stretch['reason'][1:]}." in page
    assert "Pain during the exercise reached 7/10" in page
    held = next(d for d in expected["decisions"] if d["exercise_id"] == story.items_on("Mon")[0])
    assert held["decision"] == "hold"
    assert f"{held['reason'][:1].upper()}{held['reason'][1:]}." in page
    assert 'aria-live="polite"' in page


def test_while_the_program_is_stopped_no_session_is_logged(
    app: FastAPI, cast: Cast, patient: TestClient, story: Story
) -> None:
    add_check_in(app, cast, MONDAY, ["bladder_dysfunction"], SafetyLevel.EMERGENCY)
    page = patient.get("/log").text
    assert "Stop: no exercises for now" in page
    assert "Save my session" not in page
    response = patient.post("/log", data={"csrf_token": patient.get("/api/me").json()["csrf_token"], **session(story)})
    assert response.status_code == 409
    assert stored_logs(app, cast) == []


def test_the_api_stores_minutes_and_a_day_logged_again_replaces_its_log(
    app: FastAPI, cast: Cast, patient: TestClient, story: Story
) -> None:
    walk = {"exercise_id": "walking", "done": True, "minutes": 15, "pain_during": 2}
    first = api_post(patient, "/api/me/logs", {"entries": [walk]})
    assert first.status_code == 201
    assert first.json()["log"]["entries"][0]["minutes"] == 15
    again = api_post(patient, "/api/me/logs", {"entries": [{**walk, "minutes": 22}]})
    assert again.status_code == 201
    (log,) = stored_logs(app, cast)
    assert (log.id, log.entries[0].minutes) == (first.json()["log"]["id"], 22)
    too_long = api_post(patient, "/api/me/logs", {"entries": [{**walk, "minutes": 601}]})
    assert too_long.status_code == 422
    assert too_long.json()["errors"][0]["path"] == "body.entries[0].minutes"
    assert stored_logs(app, cast)[0].entries[0].minutes == 22


def test_a_dose_that_was_too_much_shows_the_step_down_beside_it_until_a_later_session(
    app: FastAPI, cast: Cast, patient: TestClient, story: Story, kb: KnowledgeBase
) -> None:
    """Sunday's stretch at pain 7/10: on Monday the today page and the log form show, beside the program's
    dose, the step down the feedback gave (never the dose alone); once Monday's session of it is logged
    without too much pain, the dose stands alone again."""
    monday = story.items_on("Mon")
    too_much = monday[1]
    entries = []
    for exercise_id in monday:
        entry: dict[str, Any] = {
            "exercise_id": exercise_id,
            "done": True,
            "pain_during": 7 if exercise_id == too_much else 1,
        }
        entry |= {f.name: f.default for f in log_fields(kb, story.item(exercise_id)) if f.default is not None}
        entries.append(entry)
    log_session(app, cast, story.program, SUNDAY, entries)
    log = html.unescape(patient.get("/log").text)
    card = next(f for f in patient.get("/api/me/today").json()["items"] if f["exercise_id"] == too_much)
    feedback = re.search(r"Next time: [^<]*", log)
    assert feedback is not None and "stop this exercise and tell your clinician" in feedback[0]
    note = f"Last time this was too much. {feedback[0].strip()}"
    assert patient.get("/api/me/today").json()["do_less"] == {too_much: note}
    today = html.unescape(patient.get("/today").text)
    for page in (today, log):
        section = page.split(f">{card['name']}<", 1)[1]  # the exercise's card or fieldset, and what follows
        end = min(k for k in (section.find("<h2"), section.find("<legend"), len(section)) if k >= 0)
        assert section.index(card["dose"]) < section.index(note) < end  # beside the dose, in its card
        assert page.count(note) == 1
    assert patient.get("/api/me/today").json()["items"][1]["dose"] == card["dose"]  # the program keeps its dose
    post_form(patient, "/log", session(story))
    assert "Last time this was too much" not in patient.get("/today").text
    assert patient.get("/api/me/today").json()["do_less"] == {}
