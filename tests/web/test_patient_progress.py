"""Progress charts from the patient's own logs, and learn pages about their own patterns only."""

from __future__ import annotations

import datetime as dt
import html
import re

from fastapi import FastAPI
from fastapi.testclient import TestClient

from rebalance.knowledge.explain import explain_records
from rebalance.knowledge.loader import KnowledgeBase
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
    assert weeks == [("2026-11-09", "1"), ("2026-11-16", "1"), ("2026-11-23", "0")]
    assert 'data-reference="your plan"' in page.text
    assert points(page.text, "Pain at the assessment") == [("2026-11-16", "5")]
    assert "Silbernagel et al. 2007" in page.text
    body = patient.get("/api/me/progress").json()
    assert [s["pain_during"] for s in body["sessions"]] == [4, 2]
    assert body["adherence"]["sessions_logged"] == 2


def test_progress_without_sessions_says_so(patient: TestClient, story: Story) -> None:
    page = patient.get("/progress").text
    assert "No data yet" in page  # the session charts are empty until the first log


def test_learn_explains_the_patients_own_patterns(patient: TestClient, story: Story) -> None:
    page = html.unescape(patient.get("/learn").text)
    (pattern,) = story.assessment.analysis["patterns"]
    assert pattern["explanation"] in page
    assert "consistent with" in page
    assert '<a href="/learn/piriformis_syndrome">Piriformis pattern</a>' in page
    assert '<a href="/learn/piriformis">Piriformis</a>' in page
    assert '<a href="/learn/gluteus_medius">Gluteus medius</a>' in page
    assert "Tight or overactive: Piriformis (right)" in page


def test_a_learn_page_renders_explains_sections_and_sources(
    patient: TestClient, story: Story, kb: KnowledgeBase
) -> None:
    page = patient.get("/learn/piriformis")
    assert page.status_code == 200
    text = html.unescape(page.text)
    (block,) = explain_records(kb, "piriformis")
    for heading, lines in block.sections:
        assert f"<h2>{heading}</h2>" in text
        assert lines[0] in text
    assert "<h2>Sources</h2>" in text
    for source in block.sources:
        assert source.citation is not None and source.citation in text
    assert "smoll_2010" in text  # sources keep their ids as anchors


def test_learn_pages_are_only_for_topics_of_the_patients_own_analysis(patient: TestClient, story: Story) -> None:
    assert patient.get("/learn/piriformis_syndrome").status_code == 200
    assert patient.get("/learn/lower_crossed_syndrome").status_code == 404  # a pattern, but not theirs
    assert patient.get("/learn/iliopsoas").status_code == 404  # a muscle not in their findings
    assert patient.get("/learn/no_such_thing").status_code == 404
    assert patient.get("/api/me/learn/lower_crossed_syndrome").status_code == 404
    assert patient.get("/api/me/learn/piriformis").json()["topic"] == {
        "id": "piriformis",
        "name": "Piriformis",
        "kind": "muscle",
    }


def test_when_the_latest_assessment_shows_no_pattern_the_earlier_ones_stay(
    app: FastAPI, cast: Cast, patient: TestClient, story: Story
) -> None:
    assess(app, cast, "healthy_no_findings", on=MONDAY)
    page = patient.get("/learn").text
    assert "No imbalance pattern at your latest assessment" in page
    assert "What you have been working on" in page
    assert patient.get("/learn/piriformis_syndrome").status_code == 200
