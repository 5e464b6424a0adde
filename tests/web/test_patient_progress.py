"""Progress charts from the patient's own logs, and learn pages about their own patterns only."""

from __future__ import annotations

import datetime as dt
import html
import re

from fastapi import FastAPI
from fastapi.testclient import TestClient

from rebalance.knowledge.loader import KnowledgeBase
from rebalance.reports.learn import learn_pages
from tests.web.conftest import Cast
from tests.web.patient_story import MONDAY, Story, assess, log_session, patient, story

__all__ = ["patient", "story"]  # the fixtures


def points(page: str, series: str) -> list[tuple[str, str]]:
    """(date, value) of each plotted point of a series in the page's SVG charts."""
    found = re.findall(rf'data-series="{re.escape(series)}" data-date="([\d-]+)" data-value="([\d.]+)"', page)
    return [(d, v) for d, v in found]


def test_the_progress_chart_shows_each_logged_session(
    app: FastAPI, cast: Cast, patient: TestClient, story: Story
) -> None:
    first, second = MONDAY - dt.timedelta(days=9), MONDAY - dt.timedelta(days=2)
    log_session(app, cast, story.program, first, [{"exercise_id": "walking", "done": True, "pain_during": 4}])
    log_session(
        app,
        cast,
        story.program,
        second,
        [{"exercise_id": "walking", "done": True, "pain_during": 2, "pain_next_morning": 3}],
    )
    page = patient.get("/progress")
    assert page.status_code == 200
    assert page.text.count("<svg") >= 3
    assert points(page.text, "Pain during exercise") == [("2026-11-14", "4"), ("2026-11-21", "2")]
    assert points(page.text, "Pain the next morning") == [("2026-11-21", "3")]
    weeks = points(page.text, "Sessions done")
    # "Sessions each week": whole weeks only; not the part week begun on Saturday the 14th, nor this week
    assert weeks == [("2026-11-16", "1")]  # MONDAY, today, is the 23rd
    assert "Whole weeks, Monday to Sunday" in page.text
    assert 'data-reference="your plan"' in page.text
    assert points(page.text, "Pain at the assessment") == [("2026-11-16", "5")]
    assert "Silbernagel et al. 2007" in page.text
    body = patient.get("/api/me/progress").json()
    assert [s["pain_during"] for s in body["sessions"]] == [4, 2]
    assert body["weeks"] == [{"week_of": "2026-11-16", "sessions": 1}]
    assert body["adherence"]["sessions_logged"] == 2


def test_progress_without_sessions_says_so(patient: TestClient, story: Story) -> None:
    page = patient.get("/progress").text
    assert "No data yet" in page  # the session charts are empty until the first log


def test_learn_explains_the_patients_own_patterns(patient: TestClient, story: Story, kb: KnowledgeBase) -> None:
    page = html.unescape(patient.get("/learn").text)
    assert "consistent with" in page
    pages = learn_pages(kb, {**story.assessment.analysis, "program": story.document})
    assert [p.id for p in pages] == ["piriformis_syndrome", "piriformis", "gluteus_medius", "other_results"]
    for learn in pages:
        assert f'<a href="/learn/{learn.id}">{learn.title}</a>' in page
        assert learn.summary in page
    assert page.index("Piriformis pattern") < page.index("Also from your tests") < page.index("Gluteus medius")


def test_a_learn_page_is_written_to_the_patient_about_their_own_results(
    patient: TestClient, story: Story, kb: KnowledgeBase
) -> None:
    page = patient.get("/learn/piriformis")
    assert page.status_code == 200
    text = html.unescape(page.text)
    (learn,) = [
        p for p in learn_pages(kb, {**story.assessment.analysis, "program": story.document}) if p.id == "piriformis"
    ]
    for section in learn.sections:
        assert f"<h2>{section.heading}</h2>" in text
        assert all(paragraph in text for paragraph in section.paragraphs)
    assert "Your right piriformis is tight." in text
    assert "What your program does about it" in text and story.item("seated_piriformis_stretch")["name"] in text
    assert '<a href="https://doi.org/10.1002/ca.20893" rel="noopener noreferrer">Smoll 2010</a>' in text
    assert "smoll_2010" not in text  # a source by its citation, never its id


def test_learn_pages_are_only_for_topics_of_the_patients_own_analysis(patient: TestClient, story: Story) -> None:
    assert patient.get("/learn/piriformis_syndrome").status_code == 200
    assert patient.get("/learn/lower_crossed_syndrome").status_code == 404  # a pattern, but not theirs
    assert patient.get("/learn/iliopsoas").status_code == 404  # a muscle not in their findings
    assert patient.get("/learn/no_such_thing").status_code == 404
    assert patient.get("/api/me/learn/lower_crossed_syndrome").status_code == 404
    body = patient.get("/api/me/learn/piriformis").json()
    assert (body["id"], body["kind"], body["title"]) == ("piriformis", "muscle", "Piriformis")


def test_when_the_latest_assessment_shows_no_pattern_the_earlier_ones_stay(
    app: FastAPI, cast: Cast, patient: TestClient, story: Story
) -> None:
    assess(app, cast, "healthy_no_findings", on=MONDAY)
    page = patient.get("/learn").text
    assert "No imbalance pattern at your latest assessment" in page
    assert "What you have been working on" in page
    assert patient.get("/learn/piriformis_syndrome").status_code == 200
