"""The weekly red-flag check-in: the library's questions and its verdict; urgent or emergency stops the program."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from rebalance import yamlio
from rebalance.api import analyse_document
from rebalance.knowledge.loader import KnowledgeBase
from rebalance.programs import pain_rule
from rebalance.reasoning.safety import check_in_questions, safety_for_flags, stop_message
from rebalance.storage.db import session_scope
from rebalance.storage.repos import assessments
from rebalance.storage.schemas import AssessmentCreate
from rebalance.storage.types import SafetyLevel
from tests.conftest import EXAMPLES
from tests.web.conftest import Cast, email, web
from tests.web.helpers import sign_in
from tests.web.patient_story import (
    MONDAY,
    Story,
    add_check_in,
    assess,
    patient,
    post_form,
    stored_check_ins,
    story,
)

__all__ = ["patient", "story"]  # the fixtures


def answers(kb: KnowledgeBase, *yes: str) -> dict[str, str]:
    return {f"answers.{q['id']}": "yes" if q["id"] in yes else "no" for q in check_in_questions(kb)}


def exercises_today(client: TestClient) -> int:
    return client.get("/today").text.count('class="card exercise"')


def test_the_check_in_asks_the_librarys_questions_in_plain_words(
    patient: TestClient, story: Story, kb: KnowledgeBase
) -> None:
    page = html.unescape(patient.get("/check-in").text)
    for question in check_in_questions(kb):
        assert question["question"] in page
        assert f'name="answers.{question["id"]}" value="yes"' in page
    assert "Please answer your first check-in" in page


def test_a_cauda_equina_answer_stops_the_program_and_says_where_to_go(
    app: FastAPI, cast: Cast, patient: TestClient, story: Story, kb: KnowledgeBase
) -> None:
    assert exercises_today(patient) == len(story.items_on("Mon")) > 0
    response = post_form(patient, "/check-in", answers(kb, "saddle_anaesthesia"))
    assert (response.status_code, response.headers["location"]) == (303, "/check-in?done=1")
    (stored,) = stored_check_ins(app, cast)
    assert (stored.checked_on, stored.answers, stored.level) == (MONDAY, ["saddle_anaesthesia"], SafetyLevel.EMERGENCY)
    expected = stop_message(kb, ["saddle_anaesthesia"])
    result = html.unescape(patient.get("/check-in?done=1").text)
    assert expected in result
    assert "emergency department" in result
    today = html.unescape(patient.get("/today").text)
    assert "Stop: no exercises for now" in today
    assert expected in today
    assert "Your clinician can see this" in today
    assert exercises_today(patient) == 0
    assert patient.get("/api/me/today").json()["status"] == "stopped"


def test_a_clear_check_in_keeps_the_program(
    app: FastAPI, cast: Cast, patient: TestClient, story: Story, kb: KnowledgeBase
) -> None:
    response = post_form(patient, "/check-in", answers(kb))
    assert response.status_code == 303
    assert stored_check_ins(app, cast)[0].level is SafetyLevel.CLEAR
    done = html.unescape(patient.get("/check-in?done=1").text)
    assert "Thank you: no warning signs" in done
    assert pain_rule.text(kb) in done  # the one pain rule, in the words of the today and log pages
    assert exercises_today(patient) == len(story.items_on("Mon")) > 0
    assert "Your weekly check-in is due" not in patient.get("/today").text


def test_a_caution_answer_keeps_the_program_and_asks_to_tell_the_clinician(
    patient: TestClient, story: Story, kb: KnowledgeBase
) -> None:
    post_form(patient, "/check-in", answers(kb, "night_pain"))
    page = html.unescape(patient.get("/check-in?done=1").text)
    assert "please tell your clinician" in page
    assert safety_for_flags(kb, ["night_pain"])["message"] in page
    assert exercises_today(patient) == len(story.items_on("Mon")) > 0


def test_every_question_must_be_answered_and_nothing_is_stored_until_then(
    app: FastAPI, cast: Cast, patient: TestClient, story: Story, kb: KnowledgeBase
) -> None:
    form = answers(kb)
    del form["answers.fever"]
    form["answers.night_pain"] = "maybe"
    response = post_form(patient, "/check-in", form)
    assert response.status_code == 422
    assert '<p id="q-fever-problem" class="field-problem">Answer yes or no.</p>' in response.text
    assert '<p id="q-night_pain-problem" class="field-problem">Answer yes or no.</p>' in response.text
    assert re.search(r'name="answers.saddle_anaesthesia" value="no"\s+checked>', response.text)  # answers stay
    assert stored_check_ins(app, cast) == []


def test_a_check_in_is_due_more_than_seven_days_after_the_last(
    app: FastAPI, cast: Cast, patient: TestClient, story: Story
) -> None:
    add_check_in(app, cast, MONDAY - dt.timedelta(days=8), [], SafetyLevel.CLEAR)
    assert "Your weekly check-in is due" in patient.get("/today").text
    assert patient.get("/api/me/check-ins").json()["due"] is True
    add_check_in(app, cast, MONDAY - dt.timedelta(days=7), [], SafetyLevel.CLEAR)
    assert "Your weekly check-in is due" not in patient.get("/today").text
    status = patient.get("/api/me/check-ins").json()
    assert (status["due"], status["due_after_days"]) == (False, 7)


def test_a_later_clear_check_in_does_not_undo_a_stop_but_a_new_assessment_does(
    app: FastAPI, cast: Cast, patient: TestClient, story: Story, kb: KnowledgeBase
) -> None:
    add_check_in(app, cast, MONDAY - dt.timedelta(days=2), ["fever"], SafetyLevel.URGENT)
    post_form(patient, "/check-in", answers(kb))
    assert exercises_today(patient) == 0
    assert "See a doctor today" in patient.get("/today").text
    assess(app, cast, on=MONDAY)  # the clinician has seen the patient again: all clear
    assert exercises_today(patient) == len(story.items_on("Mon")) > 0


@pytest.mark.parametrize("check_in_first", [True, False])
def test_a_same_day_check_in_stops_the_program_and_alerts_the_clinician_alike(
    app: FastAPI, cast: Cast, patient: TestClient, story: Story, check_in_first: bool
) -> None:
    """One rule (``safety.since_assessment``) for the patient's stop and the clinician's red flag: an
    urgent check-in on the day of a new assessment counts only if it was stored after the assessment."""
    if check_in_first:
        add_check_in(app, cast, MONDAY, ["fever"], SafetyLevel.URGENT)
        assess(app, cast, on=MONDAY)  # seen since: the assessment speaks for that day
    else:
        assess(app, cast, on=MONDAY)
        add_check_in(app, cast, MONDAY, ["fever"], SafetyLevel.URGENT)
    clinician = TestClient(app, follow_redirects=False)
    sign_in(clinician, email("anna"))
    (listed,) = [p for p in clinician.get("/api/patients").json() if p["id"] == cast.patient_a1]
    from_check_in = [a for a in listed["alerts"] if a["kind"] == "red_flag" and "check-in" in a["message"]]
    stopped = exercises_today(patient) == 0
    assert stopped is (not check_in_first)
    assert bool(from_check_in) is stopped


@pytest.mark.parametrize(("conditions", "level"), [([], SafetyLevel.CAUTION), (["osteoporosis"], SafetyLevel.URGENT)])
def test_the_check_in_weighs_the_answers_with_the_conditions_of_the_assessment(
    app: FastAPI,
    cast: Cast,
    patient: TestClient,
    story: Story,
    kb: KnowledgeBase,
    conditions: list[str],
    level: SafetyLevel,
) -> None:
    """A small fall is weighed with a known osteoporosis (a fracture risk: the program stops), as the
    assessment's safety gate weighs it; without it, the clinician is told."""
    document = yamlio.load((EXAMPLES / "piriformis_right.yaml").read_text(encoding="utf-8"))
    document["client"]["conditions"] = conditions
    with session_scope(web(app).session_factory) as db:
        data = AssessmentCreate(
            assessed_on=MONDAY - dt.timedelta(days=2), document=document, analysis=analyse_document(document, kb)
        )
        assessments.add_assessment(db, cast.anna, cast.patient_a1, data)
    assert post_form(patient, "/check-in", answers(kb, "minor_trauma")).status_code == 303
    assert stored_check_ins(app, cast)[-1].level is level
    stopped = "Stop: no exercises for now" in patient.get("/today").text
    assert stopped is (level is SafetyLevel.URGENT)


def test_a_stopped_program_says_one_thing_on_every_page(
    app: FastAPI, cast: Cast, patient: TestClient, story: Story, kb: KnowledgeBase
) -> None:
    """Worsening weakness answered yes after weeks of exercise: one sentence, the same on the check-in, today,
    progress and handout pages, the check-in's API reading and the clinician's alert: stop (not "do not
    start"), one urgency said once, one rule for who lifts the stop."""
    post_form(patient, "/check-in", answers(kb, "progressive_weakness"))
    said = stop_message(kb, ["progressive_weakness"])
    assert said.startswith("Stop the exercises. See a doctor within days")
    assert said.endswith("They stay stopped until your clinician has seen you again.")
    assert "urgent" not in said.lower() and said.count("within days") == 1
    pages = {path: html.unescape(patient.get(path).text) for path in ("/check-in", "/today", "/progress", "/handout")}
    for path, page in pages.items():
        text = re.sub(r"\s+", " ", page).split('<section class="warning-signs">')[0]  # the handout's list of every sign
        assert text.count(said) == 1, path
        assert text.count(kb.red_flags["progressive_weakness"].where_to_go) == 1, path  # said once
        for other in ("Do not start", "doctor or your clinician", "until a clinician has seen", "until a doctor"):
            assert other not in text, (path, other)
    patient.post("/logout", data={"csrf_token": patient.get("/api/me").json()["csrf_token"]})
    assert sign_in(patient, email("anna")).status_code == 303
    listed = html.unescape(patient.get("/patients").text)
    assert f"\u201c{said}\u201d" in re.sub(r"\s+", " ", listed)
    assert "Contact the patient today" not in listed
