"""Today: the published program's exercises for the weekday, with everything needed to do them; never a draft."""

from __future__ import annotations

import copy
import datetime as dt
import html
import re

from fastapi import FastAPI
from fastapi.testclient import TestClient

from rebalance.knowledge.loader import KnowledgeBase
from rebalance.programs import pain_rule
from rebalance.programs.schedule import DAYS
from rebalance.storage.types import ProgramStatus
from tests.web.conftest import Cast, email
from tests.web.helpers import sign_in
from tests.web.patient_story import MONDAY, Story, add_version, assess, patient, set_today, story

__all__ = ["patient", "story"]  # the fixtures

EXERCISE = re.compile(r'<li class="card exercise" id="(\w+)">')


def shown(page: str) -> list[str]:
    return EXERCISE.findall(page)


def test_the_patient_lands_on_today(client: TestClient, cast: Cast, story: Story) -> None:
    response = sign_in(client, email("a1"))
    assert client.get(response.headers["location"]).headers["location"] == "/today"


def test_today_shows_the_published_programs_exercises_for_the_weekday_with_instructions_and_cues(
    app: FastAPI, patient: TestClient, story: Story, kb: KnowledgeBase
) -> None:
    # a day with the right-sided piriformis stretch on it
    day = next(i for i, name in enumerate(DAYS) if "seated_piriformis_stretch" in story.items_on(name))
    set_today(app, MONDAY + dt.timedelta(days=day))
    page = patient.get("/today")
    assert page.status_code == 200
    assert shown(page.text) == story.items_on(DAYS[day])
    text = html.unescape(page.text)
    for exercise_id in story.items_on(DAYS[day]):
        exercise = kb.exercise[exercise_id]
        assert story.item(exercise_id)["name"] in text
        assert exercise.start in text
        assert all(step in text for step in exercise.steps)
        assert all(cue in text for cue in exercise.cues)
        assert all(mistake in text for mistake in exercise.mistakes)
    stretch = story.item("seated_piriformis_stretch")["dosage"]  # its dose, as the week holds it
    assert f"3 sets, hold 30 s, {stretch['days_per_week']} days a week" in text
    assert "right side" in text
    assert pain_rule.text(kb) in text  # the one pain rule (programs.pain_rule)
    assert "stop if it brings on or increases your pain" not in text  # and no second one beside it


def test_another_weekday_shows_that_days_exercises(app: FastAPI, patient: TestClient, story: Story) -> None:
    set_today(app, MONDAY + dt.timedelta(days=2))
    page = patient.get("/today").text
    assert shown(page) == story.items_on("Wed")
    assert "bird_dog" in shown(page)
    assert "Wednesday 25 November" in page


def test_each_exercise_has_a_figure_of_its_start_and_end(patient: TestClient, story: Story) -> None:
    page = patient.get("/today").text
    assert page.count('class="pose-figure"') == len(story.items_on("Mon"))
    for exercise_id in story.items_on("Mon"):
        name = story.item(exercise_id)["name"]  # a movement: start and end; a hold: one picture
        assert f"{name}: start and end positions" in page or f"{name}: the position to hold" in page


def test_a_draft_is_never_shown(app: FastAPI, cast: Cast, patient: TestClient, story: Story) -> None:
    draft = copy.deepcopy(story.document)
    draft["items"].append({**story.item("bird_dog"), "exercise_id": "dead_bug", "name": "Dead bug (draft)"})
    draft["schedule"][0]["items"].append({"exercise_id": "dead_bug", "seconds": 100})
    add_version(app, cast, story.assessment, draft, ProgramStatus.DRAFT)
    add_version(app, cast, story.assessment, draft, ProgramStatus.APPROVED)
    page = patient.get("/today").text
    assert shown(page) == story.items_on("Mon")
    assert "Dead bug" not in page
    assert patient.get("/api/me/today").json()["program_version"] == 1


def test_with_only_a_draft_there_is_nothing_to_do_yet(app: FastAPI, client: TestClient, cast: Cast) -> None:
    assessment = assess(app, cast)
    add_version(app, cast, assessment, assessment.analysis["program"], ProgramStatus.DRAFT)
    set_today(app, MONDAY)
    sign_in(client, email("a1"))
    page = client.get("/today").text
    assert "Your program is on its way" in page
    assert shown(page) == []
    assert client.get("/api/me/today").json()["status"] == "no_program"
    assert client.get("/api/me/program").status_code == 404


def test_an_urgent_assessment_stops_the_program(app: FastAPI, cast: Cast, patient: TestClient, story: Story) -> None:
    assess(app, cast, "cancer_flags_urgent", on=MONDAY - dt.timedelta(days=1))
    page = patient.get("/today").text
    assert shown(page) == []
    assert "Stop: no exercises for now" in page
    assert "See a doctor" in page or "doctor" in page
    body = patient.get("/api/me/today").json()
    assert (body["status"], body["items"], body["stops"][0]["source"]) == ("stopped", [], "assessment")
    program = patient.get("/api/me/program")  # nor handed out as a program to follow
    assert program.status_code == 409 and "stopped" in program.text and body["stops"][0]["message"] in program.text


def test_an_emergency_at_the_first_assessment_is_said_first_on_every_page_though_no_program_was_published(
    app: FastAPI, client: TestClient, cast: Cast
) -> None:
    """A new patient whose assessment found an emergency has no program (it is withheld): today, learn and
    progress say where to go before anything else, never "your program is on its way"."""
    assess(app, cast, "cauda_equina_emergency", on=MONDAY - dt.timedelta(days=1))
    set_today(app, MONDAY)
    sign_in(client, email("a1"))
    body = client.get("/api/me/today").json()
    assert (body["status"], body["items"], body["stops"][0]["source"]) == ("stopped", [], "assessment")
    message = body["stops"][0]["message"]
    assert "emergency" in message.lower()
    today = client.get("/today").text
    assert "Your program is on its way" not in today
    assert html.unescape(message) in html.unescape(today) and "Stop: no exercises for now" in today
    for path in ("/learn", "/progress"):  # the stop before the page's own heading
        page = html.unescape(client.get(path).text)
        main = page[page.index('<main id="main"') :]
        assert message in main and main.index("Stop: no exercises for now") < main.index("<h1"), path


def test_today_is_made_for_a_phone_and_the_content_security_policy(patient: TestClient, story: Story) -> None:
    response = patient.get("/today")
    page = response.text
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert '<link rel="stylesheet" href="/static/patient.css">' in page
    assert "style=" not in page
    assert "hx-on" not in page
    assert re.search(r"<script(?![^>]*\bsrc=)", page) is None  # scripts only from files
    assert '<a href="/today" aria-current="page">Today</a>' in page
    assert patient.get("/static/patient.css").status_code == 200


def test_the_check_in_reminder_shows_when_one_is_due(patient: TestClient, story: Story) -> None:
    assert "Your weekly check-in is due" in patient.get("/today").text
