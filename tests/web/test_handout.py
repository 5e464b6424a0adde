"""The printable home program: the clinician's of any version, the patient's of their published one.

It holds the whole program (the week, every exercise with its dose and the dose's source, the pain rule
and its source, the phases and habits) and the warning signs with where to go; a version that is not the
published one says so; while the program is stopped, the stop and no exercise.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from rebalance.knowledge.loader import KnowledgeBase, default
from rebalance.knowledge.words import citation
from rebalance.programs import pain_rule
from rebalance.programs.schedule import DAYS
from rebalance.reasoning.safety import RANK, check_in_questions
from rebalance.reports.text import dose_text
from rebalance.storage.schemas import AssessmentPublic
from rebalance.storage.types import ProgramStatus, SafetyLevel
from rebalance.web.routes import handouts
from tests.pdftools import id_tokens, needs_poppler
from tests.pdftools import text as pdf_text
from tests.web.conftest import Cast, email
from tests.web.helpers import sign_in
from tests.web.patient_story import ASSESSED, MONDAY, Story, add_check_in, add_version, assess, story

PAIN_RULE = pain_rule.text(default())

__all__ = ["story"]  # the fixture


def _text(html: str) -> str:
    """The page's words, tags dropped and entities of quotes undone (what a reader sees)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#39;", "'").replace("&amp;", "&")


def test_the_clinicians_handout_holds_the_whole_program(
    client: TestClient, cast: Cast, story: Story, kb: KnowledgeBase
) -> None:
    assert sign_in(client, email("anna")).status_code == 303
    page = client.get(f"/programs/{story.program.id}/handout")
    assert page.status_code == 200
    text = _text(page.text)
    assert "Home exercise program" in text and "Patient A1" in text
    assert f"version {story.program.version}" in text
    assert "Draft" not in text  # the published version: nothing to warn of
    for item in story.document["items"]:
        exercise = kb.exercise[item["exercise_id"]]
        assert item["name"] in text and dose_text(item["dosage"]) in text
        assert all(step in text for step in exercise.steps)
        source = item["dosage"].get("source")
        if source:
            assert f"dose: {citation(kb, source)}" in text
    assert PAIN_RULE in text
    guide = kb.criterion["pain_monitoring_acceptable"]
    assert citation(kb, str(guide.source)) in text
    rows = re.findall(r"<tr><th scope=\"row\"><a href=\"#([a-z_]+)\">", page.text)
    assert rows == [item["exercise_id"] for item in story.document["items"]]
    monday = set(story.items_on("Mon"))
    for item in story.document["items"]:  # the week: a mark on each day the schedule has the exercise
        row = re.search(rf'href="#{item["exercise_id"]}">.*?</tr>', page.text, re.S)
        assert row is not None
        marks = re.findall(r'<td class="(on|off)">', row.group(0))
        assert len(marks) == len(DAYS)
        assert (marks[0] == "on") == (item["exercise_id"] in monday)
    assert all(phase["goal"] in text for phase in story.document["phases"])
    assert all(habit["advice"] in text for habit in story.document["habits"])
    saddle = kb.red_flags["saddle_anaesthesia"]
    assert saddle.name in text and saddle.where_to_go in text
    levels = re.findall(r'<li class="level-(\w+)">', page.text)
    assert len(levels) == len(check_in_questions(kb))  # every warning sign a person can notice themselves
    assert levels == sorted(levels, key=lambda level: -RANK[level]) and levels[0] == "emergency"
    assert f'href="/programs/{story.program.id}/handout"' in client.get(f"/programs/{story.program.id}").text


def test_a_version_not_published_says_so(app: FastAPI, client: TestClient, cast: Cast, story: Story) -> None:
    draft = add_version(app, cast, story.assessment, story.document, status=ProgramStatus.DRAFT)
    assert sign_in(client, email("anna")).status_code == 303
    assert "Draft: not approved yet. Do not hand this version out." in _text(
        client.get(f"/programs/{draft.id}/handout").text
    )


def test_the_patients_handout_is_their_published_version(
    app: FastAPI, client: TestClient, cast: Cast, story: Story, kb: KnowledgeBase
) -> None:
    document = {**story.document, "items": story.document["items"][:1]}
    add_version(app, cast, story.assessment, document, status=ProgramStatus.DRAFT)  # a newer draft, unseen
    assert sign_in(client, email("a1")).status_code == 303
    page = client.get("/handout")
    assert page.status_code == 200
    text = _text(page.text)
    assert all(item["name"] in text for item in story.document["items"])
    assert "Draft" not in text and f"version {story.program.version}" in text
    assert 'href="/handout"' in client.get("/today").text


def test_a_stopped_program_prints_the_stop_and_no_exercise(
    app: FastAPI, client: TestClient, cast: Cast, story: Story, kb: KnowledgeBase
) -> None:
    add_check_in(app, cast, MONDAY, ["saddle_anaesthesia"], SafetyLevel.EMERGENCY)
    for who, path in (("a1", "/handout"), ("anna", f"/programs/{story.program.id}/handout")):
        assert sign_in(client, email(who)).status_code == 303
        page = client.get(path)
        assert page.status_code == 200
        text = _text(page.text)
        assert "Your program is stopped" in text, who
        assert kb.red_flags["saddle_anaesthesia"].where_to_go in text
        assert all(item["name"] not in text for item in story.document["items"]), who
        assert PAIN_RULE not in text
        client.cookies.clear()


def test_a_patient_without_a_published_program_is_sent_to_today(client: TestClient, cast: Cast) -> None:
    assert sign_in(client, email("a1")).status_code == 303
    page = client.get("/handout", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/today"


def _pdf_words(data: bytes, tmp_path: Path) -> str:
    assert data.startswith(b"%PDF-")
    pdf = tmp_path / "page.pdf"
    pdf.write_bytes(data)
    return pdf_text(pdf)


def _with_clinic(app: FastAPI) -> None:
    app.state.settings = app.state.settings.model_copy(
        update={"clinic_name": "Northside Physio", "clinic_phone": "0161 496 0000"}
    )


@needs_poppler
def test_the_handout_downloads_as_a_pdf_with_the_clinic_to_call(
    app: FastAPI, client: TestClient, cast: Cast, story: Story, tmp_path: Path
) -> None:
    _with_clinic(app)
    for who, path in (("anna", f"/programs/{story.program.id}/handout"), ("a1", "/handout")):
        assert sign_in(client, email(who)).status_code == 303
        assert f'href="{path}.pdf"' in client.get(path).text  # the page offers it
        answer = client.get(f"{path}.pdf")
        assert answer.status_code == 200 and answer.headers["content-type"] == "application/pdf"
        assert answer.headers["content-disposition"] == "attachment; filename=home-program.pdf"
        words = _pdf_words(answer.content, tmp_path)
        assert "Northside Physio" in words and "0161 496 0000" in words and "Patient A1" in words
        assert all(item["name"] in words for item in story.document["items"]), who
        assert id_tokens(words) == [], who
        client.cookies.clear()


@needs_poppler
def test_the_clinicians_report_downloads_as_a_pdf(
    client: TestClient, cast: Cast, story: Story, kb: KnowledgeBase, tmp_path: Path
) -> None:
    assert sign_in(client, email("anna")).status_code == 303
    path = f"/assessments/{story.assessment.id}/report.pdf"
    assert f'href="{path}"' in client.get(f"/assessments/{story.assessment.id}").text
    answer = client.get(path)
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/pdf"
    words = _pdf_words(answer.content, tmp_path)
    assert "Assessment report" in words and "Patient A1" in words and id_tokens(words) == []
    assert all(item["name"] in words for item in story.document["items"])
    client.cookies.clear()
    assert sign_in(client, email("ben")).status_code == 303  # another clinician
    assert client.get(path).status_code in (403, 404)


def test_the_clinicians_report_charts_the_assessments_up_to_its_day_whatever_order_they_were_entered_in(
    app: FastAPI, client: TestClient, cast: Cast, story: Story, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An assessment entered late for an earlier day is charted in the later day's report, not in its own
    report with the later one (ids order entries, not days)."""
    later = assess(app, cast, on=ASSESSED + dt.timedelta(days=60))
    between = assess(app, cast, on=ASSESSED + dt.timedelta(days=30))  # entered after ``later``
    charted: list[list[int]] = []
    real = handouts.series_for

    def spy(kb: KnowledgeBase, found: list[AssessmentPublic], *rest: Any) -> Any:
        charted.append([a.id for a in found])
        return real(kb, found, *rest)

    monkeypatch.setattr(handouts, "series_for", spy)
    assert sign_in(client, email("anna")).status_code == 303
    for assessment in (between, later, story.assessment):
        assert client.get(f"/assessments/{assessment.id}/report.pdf").status_code == 200
    assert charted == [
        [story.assessment.id, between.id],
        [story.assessment.id, between.id, later.id],
        [story.assessment.id],
    ]


OLD_PHASES = [  # as programs were stored before the phases ended at the reassessment (a full program)
    {"name": "Release and activate", "weeks": "1-2", "goal": "Ease the tight muscles, wake up the weak ones."},
    {"name": "Strengthen", "weeks": "3-4", "goal": "Build strength and endurance."},
    {"name": "Integrate", "weeks": "5-6", "goal": "Carry the new control into daily movement; reassess and adjust."},
]


def test_a_program_stored_before_the_phases_ended_at_the_reassessment_shows_them_as_they_are_now(
    app: FastAPI, client: TestClient, cast: Cast, story: Story
) -> None:
    from rebalance.programs.build import phases

    stored = add_version(app, cast, story.assessment, {**story.document, "mode": "full", "phases": OLD_PHASES})
    assert stored.document["phases"] == OLD_PHASES  # the stored version is not rewritten
    weeks = stored.document["reassess_after_weeks"]
    now = phases("full", weeks)
    assert sign_in(client, email("anna")).status_code == 303
    for url in (f"/programs/{stored.id}", f"/programs/{stored.id}/handout"):
        text = _text(client.get(url).text)
        assert all(f"{p['name']} (weeks {p['weeks']}): {p['goal']}" in text for p in now), url
        assert "weeks 5-6" not in text and "Integrate (weeks" not in text, url
        assert f"At the end of week {weeks} your clinician reassesses you" in text, url
