"""The clinic end to end, in real headless Chromium against the real server (``rebalance serve --demo``).

One story, as its people see it. The clinician (desktop, 1280×900) signs in, adds a patient with an
invitation, enters the assessment of ``examples/piriformis_right.yaml`` (a wrong pain score first, caught
next to its field before anything is saved), reads the result, swaps an exercise, approves and publishes
the program, and signs out. The patient (a phone, 390×844) follows the invitation, sets a password, sees
today's exercises, logs a session and sees the new point on the progress chart. Every page is saved under
``test-output/browser/``. A second, short test: a cauda equina answer in the weekly check-in stops the program.

What each page shows is checked against the library run here on the same case (``analyse_document``,
``progress``, ``safety_for_flags``), not against the web app's own code.

The story does not depend on the weekday: the patient's today page is checked against the published
program's week (the clinician's program page) for the weekday the page itself names — its exercises, or
the rest-day card; the log form offers today's exercises, or on a rest day every exercise of the program.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from rebalance.api import analyse_document
from rebalance.knowledge.loader import KnowledgeBase
from rebalance.knowledge.words import citation, sentence
from rebalance.programs.logs import parse_logs
from rebalance.programs.progress import progress
from rebalance.reasoning.safety import check_in_questions, safety_for_flags, stop_message
from tests.browser.conftest import Server, Shot

try:
    from playwright.sync_api import Locator, Page, expect
except ImportError:  # pragma: no cover - the browser fixture then skips (or fails in CI) and says why
    Locator = Page = Any  # type: ignore[misc,assignment]

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
CLINICIAN = ("clara.reyes@rebalance.test", "demo-clinician-password")
DEMO_PATIENT = ("aisha.khan@rebalance.test", "demo-patient-password")
PATIENT_NAME = "Rosa Martín"
PATIENT_EMAIL = "rosa.martin@example.org"
PATIENT_PASSWORD = "river stones and a slow morning walk"  # noqa: S105 - a test password
REFERENCE = "pir-r-11"  # the demo clinic has pir-r-02 (Maria Lopez)
PAIN_DURING = 2
EFFORT = 4

# The assessment of examples/piriformis_right.yaml as the clinician types it, by field (the inputs are
# named by their path in the assessment document). Age, sex and the client id come from the patient record.
SYMPTOMS = {
    "symptoms.pain_worst_week": "7",
    "symptoms.duration_weeks": "10",
    "symptoms.locations[0].region": "buttock",
    "symptoms.locations[0].side": "right",
    "symptoms.locations[1].region": "posterior_thigh",
    "symptoms.locations[1].side": "right",
}
TICKED = {
    "symptoms.aggravated_by": ["sitting", "driving", "crossing_legs"],
    "symptoms.eased_by": ["walking", "movement"],
}
LIFESTYLE = {
    "client.activity_level": "moderate",
    "client.sports": "running",
    "lifestyle.sitting_hours_per_day": "8",
    "lifestyle.sits_with_feet_turned_out": "false",
    "lifestyle.sits_on_back_pocket_wallet": "false",
    "lifestyle.stands_on_one_leg": "no",
    "lifestyle.carries_bag_on": "no",
    "lifestyle.lifting": "none",
    "lifestyle.exercise_sessions_per_week": "3",
    "lifestyle.sleep_position": "side_left",
    "lifestyle.mattress": "medium",
    "lifestyle.stress_level": "4",
}
EQUIPMENT = ["mat", "band", "massage_ball"]
ODI = [1, 0, 1, 1, 3, 1, 1, 0, 1, 1]
START_BACK = [0, 0, 0, 0, 0, 0, 1, 0, 2]
TESTS: dict[str, dict[str, str]] = {  # test id → its fields
    "passive_slr": {
        "left.angle_deg": "78",
        "left.reproduces_leg_pain_below_knee": "false",
        "right.angle_deg": "74",
        "right.reproduces_leg_pain_below_knee": "false",
    },
    "slump": {"left.positive": "false", "right.positive": "false"},
    "hip_internal_rotation": {"left.deg": "38", "right.deg": "27"},
    "hip_external_rotation": {"left.deg": "46", "right.deg": "48"},
    "fair": {"left.positive": "false", "right.positive": "true"},
    "seated_piriformis_stretch": {"left.positive": "false", "right.positive": "true"},
    "freiberg": {"right.positive": "true"},
    "pace": {"right.positive": "false"},
    "sij_provocation": {"positive_count": "0"},
    "mmt": {
        "gluteus_maximus.left": "5",
        "gluteus_maximus.right": "5",
        "gluteus_medius.left": "5",
        "gluteus_medius.right": "4",
    },
}
SWAP = ("lateral_band_walk", "clamshell")  # the clinician prefers clamshells for this runner


# --- helpers ---------------------------------------------------------------------------------------


def text(locator: Locator) -> str:
    """A locator's visible text, whitespace collapsed."""
    return " ".join(locator.inner_text().split())


def sign_in(page: Page, email: str, password: str) -> None:
    page.goto("/login")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def nav(page: Page, name: str) -> Locator:
    """A link of the site's main navigation."""
    return page.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True)


def field(page: Page, name: str) -> Locator:
    return page.locator(f'[name="{name}"]')


def enter(page: Page, name: str, value: str) -> None:
    """Type or choose ``value`` in the form's input named ``name``."""
    control = field(page, name)
    if control.evaluate("e => e.tagName") == "SELECT":
        control.select_option(value)
    else:
        control.fill(value)


def problem_of(page: Page, name: str) -> Locator:
    """The problem slot next to an input (its id is the input's id plus ``-problem``)."""
    return page.locator(f"#{field(page, name).get_attribute('id')}-problem")


def points(page: Page) -> dict[str, list[tuple[str, str]]]:
    """The points plotted on the page's charts, by series: (date, value) each."""
    plotted: dict[str, list[tuple[str, str]]] = {}
    for circle in page.locator("svg circle[data-series]").all():
        series, date, value = (circle.get_attribute(a) for a in ("data-series", "data-date", "data-value"))
        plotted.setdefault(str(series), []).append((str(date), str(value)))
    return plotted


def week_table(page: Page) -> dict[str, list[str]]:
    """The program page's week: day (Mon … Sun) → the exercises' names (none on a rest day)."""
    week = {}
    for row in page.locator("table.week tbody tr").all():
        day = text(row.locator("th"))
        names = text(row.locator("td").nth(1))
        week[day] = [] if names == "rest" else names.split("; ")
    return week


def expected_analysis(kb: KnowledgeBase, day: dt.date) -> dict[str, Any]:
    """The library's analysis of the example case, dated as the form dates it (today)."""
    case = yaml.safe_load((ROOT / "examples" / "piriformis_right.yaml").read_text(encoding="utf-8"))
    return analyse_document({**case, "date": day.isoformat()}, kb)


# --- the story -------------------------------------------------------------------------------------


@dataclass
class Story:
    """What the story's steps learn and hand on."""

    kb: KnowledgeBase
    today: dt.date
    expected: dict[str, Any]  # the library's analysis of the case
    link: str = ""  # the patient's invitation
    assessment_id: str = ""
    analysis: dict[str, Any] = dataclasses.field(default_factory=dict)  # as stored by the server
    week: dict[str, list[str]] = dataclasses.field(default_factory=dict)  # the published program's week
    items: list[str] = dataclasses.field(default_factory=list)  # the published program's exercises
    todays: list[str] = dataclasses.field(default_factory=list)  # today's exercises (none on a rest day)


def test_a_clinician_assesses_and_publishes_and_the_patient_logs_a_session(
    desktop: Page, phone: Page, server: Server, shot: Shot, kb: KnowledgeBase
) -> None:
    today = dt.date.today()
    story = Story(kb, today, expected_analysis(kb, today))
    the_clinician_signs_in(desktop, shot)
    she_adds_a_patient_with_an_invitation(desktop, shot, story, server)
    she_enters_the_assessment_catching_a_wrong_pain_score(desktop, shot, story)
    she_reads_the_result(desktop, shot, story)
    she_swaps_an_exercise_approves_and_publishes(desktop, shot, story)
    she_signs_out(desktop, shot)
    the_patient_joins_and_sees_today(phone, shot, story)
    before = the_progress_page(phone, shot, "before")
    she_logs_a_session(phone, shot, story)
    after = the_progress_page(phone, shot, "after")
    the_chart_has_the_new_points(story, before, after)


def the_clinician_signs_in(desktop: Page, shot: Shot) -> None:
    """1. The login page, then her patient list (the demo clinic's five patients)."""
    desktop.goto("/")
    expect(desktop).to_have_url(re.compile(r"/login\b"))
    shot(desktop, "login")
    sign_in(desktop, *CLINICIAN)
    expect(desktop).to_have_url(re.compile(r"/patients$"))
    expect(desktop.get_by_role("heading", name="Patients", exact=True)).to_be_visible()
    expect(desktop.locator(".who-name")).to_have_text("Clara Reyes")
    expect(desktop.locator("ul.patient-list > li")).to_have_count(5)
    shot(desktop, "clinician-patients")


def she_adds_a_patient_with_an_invitation(desktop: Page, shot: Shot, story: Story, server: Server) -> None:
    """2. The patient is added and the invitation link is shown, once."""
    desktop.get_by_role("link", name="Add a patient").click()
    form = desktop.locator("#add-patient")
    form.get_by_label("Name", exact=True).fill(PATIENT_NAME)
    form.get_by_label("Reference (optional)").fill(REFERENCE)
    form.get_by_label("Year of birth (optional)").fill(str(story.today.year - 45))
    form.get_by_label("Email, to invite them (optional)").fill(PATIENT_EMAIL)
    form.get_by_label("Sex (optional)").select_option("female")
    shot(desktop, "add-patient-filled")
    form.get_by_role("button", name="Add patient").click()
    expect(desktop.locator(".notice")).to_have_text("The patient was added.")
    invitation = desktop.locator("section.invitation")
    expect(invitation.get_by_role("heading")).to_have_text(f"Invitation for {PATIENT_EMAIL}")
    story.link = text(invitation.locator(".link-box code"))
    assert re.fullmatch(rf"{re.escape(server.url)}/invite/[\w-]{{20,}}", story.link), story.link
    expect(desktop.locator("ul.patient-list > li")).to_have_count(6)
    new_patient = desktop.locator("ul.patient-list > li", has_text=PATIENT_NAME)
    expect(new_patient).to_contain_text("none yet")  # no assessment
    expect(new_patient).to_contain_text("none published")
    shot(desktop, "patient-added-with-invitation")
    new_patient.get_by_role("link", name=PATIENT_NAME).click()
    expect(desktop.get_by_role("heading", name=PATIENT_NAME)).to_be_visible()
    expect(desktop.get_by_text("Nothing yet. Start with an assessment.")).to_be_visible()
    shot(desktop, "patient-page-empty")


def she_enters_the_assessment_catching_a_wrong_pain_score(desktop: Page, shot: Shot, story: Story) -> None:
    """3. The form starts from the patient record; a pain of 11 is caught next to its field, unsaved."""
    desktop.get_by_role("link", name="New assessment").click()
    expect(desktop.get_by_role("heading", name=re.compile(r"^New assessment"))).to_be_visible()
    form_url = desktop.url
    expect(field(desktop, "date")).to_have_value(story.today.isoformat())
    expect(field(desktop, "client.age")).to_have_value("45")
    expect(field(desktop, "client.sex")).to_have_value("female")
    expect(field(desktop, "client.id")).to_have_value(REFERENCE)

    for name, value in SYMPTOMS.items():
        enter(desktop, name, value)
    pain = desktop.get_by_label(re.compile(r"^Pain now"))
    pain.fill("11")
    pain.press("Tab")  # leaving the field checks the form (HTMX), and stores nothing
    expect(problem_of(desktop, "symptoms.pain_now")).to_have_text("must be 10 or less, got 11")
    expect(pain).to_have_css("border-top-width", "2px")  # marked as wrong, too
    expect(desktop.locator("#validation-summary")).to_contain_text("1 problem to fix")
    expect(desktop.locator("#validation-summary")).to_contain_text("Pain now")
    assert desktop.url == form_url
    shot(desktop, "assessment-form-pain-11")

    pain.fill("5")
    pain.press("Tab")
    expect(problem_of(desktop, "symptoms.pain_now")).to_have_text("")
    expect(pain).to_have_css("border-top-width", "1px")
    for name, value in LIFESTYLE.items():
        enter(desktop, name, value)
    for name, values in TICKED.items():
        for value in values:
            desktop.locator(f'input[name="{name}"][value="{value}"]').check()
    for equipment in EQUIPMENT:
        desktop.locator(f'input[name="client.equipment"][value="{equipment}"]').check()
    for i, answer in enumerate(ODI):
        enter(desktop, f"questionnaires.odi[{i}]", str(answer))
    for i, answer in enumerate(START_BACK):
        enter(desktop, f"questionnaires.start_back[{i}]", str(answer))
    for test_id, values in TESTS.items():
        block = desktop.locator(f'details[data-test="{test_id}"]')
        block.locator("summary").click()  # open the test, as the clinician does
        expect(block).to_have_attribute("open", "")
        for path, value in values.items():
            enter(desktop, f"tests.{test_id}.{path}", value)
    field(desktop, "tests.mmt.gluteus_medius.right").press("Tab")
    expect(desktop.locator("#validation-summary")).to_have_text("No problems so far: the assessment can be saved.")
    shot(desktop, "assessment-form-filled")
    desktop.get_by_role("button", name="Save and analyse").click()


def she_reads_the_result(desktop: Page, shot: Shot, story: Story) -> None:
    """4. Safety first, the body map, the findings with their evidence and sources, the pattern."""
    kb, expected = story.kb, story.expected
    expect(desktop).to_have_url(re.compile(r"/assessments/\d+\?done=saved$"))
    story.assessment_id = desktop.url.split("/assessments/")[1].split("?")[0]
    expect(desktop.locator(".notice")).to_contain_text("The assessment was saved with its analysis")
    safety = desktop.locator("section.safety")
    expect(safety).to_have_class(re.compile(r"\bsafety-clear\b"))
    expect(safety.get_by_role("heading")).to_have_text("Safety: clear")
    expect(safety.locator(".safety-message")).to_have_text(expected["safety"]["message"])
    expect(desktop.locator(".score-list")).to_contain_text("5/10")

    body_map = desktop.locator("section.body-map svg")
    expect(body_map).to_be_visible()
    tight = next(f for f in expected["findings"] if f["id"] == "tight:piriformis:right")
    right_piriformis = body_map.locator('path[data-muscle="piriformis"][data-side="right"]')
    expect(right_piriformis.first).to_be_attached()
    for region in right_piriformis.all():
        expect(region).to_have_attribute("data-state", "tight")
        expect(region).to_have_attribute("data-tight", tight["severity"])
    for region in body_map.locator('path[data-muscle="piriformis"][data-side="left"]').all():
        expect(region).to_have_attribute("data-state", "none")
    for region in body_map.locator('path[data-muscle="gluteus_medius"][data-side="right"]').all():
        expect(region).to_have_attribute("data-state", "weak")

    # every finding one line, grouped (or folded under "To confirm"); its evidence folded until opened
    expect(desktop.locator("ul.findings > li.finding")).to_have_count(len(expected["findings"]))
    piriformis = desktop.locator("li.finding", has=desktop.locator(".finding-title", has_text="Right piriformis"))
    expect(piriformis.locator(".badge")).to_have_text(tight["severity"])
    rows = piriformis.locator("ul.evidence > li")
    expect(rows.first).to_be_hidden()
    piriformis.locator("summary").click()
    expect(rows).to_have_count(len(tight["evidence"]))
    for row, evidence in zip(rows.all(), tight["evidence"], strict=True):
        expect(row).to_be_visible()
        expect(row).to_contain_text(sentence(evidence["reason"]))
        expect(row.locator(".source")).to_contain_text(citation(kb, evidence["source"]))  # author-year
        source = kb.sources[evidence["source"]]
        if source.url or source.doi:
            expect(row.locator(".source a")).to_have_attribute("href", source.url or f"https://doi.org/{source.doi}")

    pattern = next(p for p in expected["patterns"] if p["id"] == "piriformis_syndrome")
    article = desktop.locator("article.pattern").first  # the leading pattern
    expect(article.get_by_role("heading")).to_contain_text(kb.pattern["piriformis_syndrome"].name)
    expect(article).to_contain_text(f"{round(pattern['confidence'] * 100)} %")
    article.locator("summary").click()
    expect(article.get_by_text(pattern["explanation"])).to_be_visible()
    shot(desktop, "assessment-result")
    story.analysis = desktop.request.get(f"/api/assessments/{story.assessment_id}").json()["analysis"]
    assert story.analysis["safety"] == expected["safety"]
    assert [f["id"] for f in story.analysis["findings"]] == [f["id"] for f in expected["findings"]]


def she_swaps_an_exercise_approves_and_publishes(desktop: Page, shot: Shot, story: Story) -> None:
    """5. The draft program; one exercise swapped for an alternative (a new draft); approved; published."""
    old, new = SWAP
    desktop.get_by_role("link", name="Program version 1").first.click()
    expect(desktop.get_by_role("heading", level=1)).to_have_text(re.compile(r"Program version 1\s+draft"))
    expect(desktop.locator(f"#item-{old}")).to_be_visible()
    shot(desktop, "program-v1-draft")
    desktop.locator(f"#item-{old}").get_by_role("link", name="Swap for an alternative").click()
    alternatives = desktop.locator(f"#alternatives-{old}")
    expect(alternatives.get_by_role("group", name="Replace with")).to_be_visible()  # loaded in place (HTMX)
    alternatives.get_by_role("radio", name=re.compile(story.kb.exercise[new].name)).check()
    shot(desktop, "program-alternatives")
    alternatives.get_by_role("button", name="Swap (new version)").click()

    notice = desktop.locator(".notice").first
    heading = desktop.get_by_role("heading", level=1)
    expect(notice).to_have_text("The exercise was swapped: this is a new draft version.")
    expect(heading).to_have_text(re.compile(r"Program version 2\s+draft"))
    expect(desktop.locator(f"#item-{new}")).to_be_visible()
    expect(desktop.locator(f"#item-{old}")).to_have_count(0)
    versions = desktop.locator("section", has=desktop.get_by_role("heading", name="Versions")).locator("tbody tr")
    expect(versions).to_have_count(2)
    names = story.kb.exercise[old].name, story.kb.exercise[new].name
    expect(versions.first).to_contain_text(f"{names[0]} swapped for {names[1]}")  # names, not ids
    desktop.get_by_role("button", name="Approve").click()
    expect(notice).to_have_text("This version is approved. Publish it to show it to the patient.")
    expect(heading).to_have_text(re.compile(r"Program version 2\s+approved"))
    desktop.get_by_role("button", name="Publish to the patient").click()
    expect(notice).to_have_text("This version is published: the patient sees it now.")
    expect(heading).to_have_text(re.compile(r"Program version 2\s+published"))
    expect(desktop.get_by_role("button", name="Publish to the patient")).to_have_count(0)
    expect(versions.last).to_contain_text("superseded")  # version 1, never published: it cannot go out now
    story.week = week_table(desktop)
    assert list(story.week) == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    story.items = [text(h) for h in desktop.locator("ol.items > li.item h3").all()]
    shot(desktop, "program-v2-published")

    desktop.get_by_role("link", name="Printable handout").click()  # the home program on paper
    expect(desktop.get_by_role("heading", name="Home exercise program")).to_be_visible()
    expect(desktop.locator("section.exercise h3")).to_have_count(len(story.items))
    expect(desktop.get_by_role("heading", name="Stop the exercises and get help")).to_be_visible()
    _the_page_downloads_as_a_pdf(desktop)
    shot(desktop, "program-handout")
    desktop.emulate_media(media="print")  # as printed: the site's header and the hints gone
    expect(desktop.locator(".site-header")).to_be_hidden()
    expect(desktop.locator(".screen-only")).to_be_hidden()
    shot(desktop, "program-handout-print")
    desktop.emulate_media(media="screen")
    desktop.go_back()

    nav(desktop, "Patients").click()  # the list shows the published version
    row = desktop.locator("ul.patient-list > li", has_text=PATIENT_NAME)
    expect(row).to_contain_text("version 2")
    expect(row.locator(".badge")).to_have_text("clear")


def _the_page_downloads_as_a_pdf(page: Page) -> None:
    link = page.get_by_role("link", name="download it as a PDF")  # the same page as a PDF
    answer = page.request.get(str(link.get_attribute("href")))
    assert answer.ok and answer.headers["content-type"] == "application/pdf" and answer.body().startswith(b"%PDF-")


def she_signs_out(desktop: Page, shot: Shot) -> None:
    desktop.get_by_role("button", name="Sign out").click()
    expect(desktop).to_have_url(re.compile(r"/login$"))
    expect(desktop.get_by_role("heading", name="Sign in")).to_be_visible()
    shot(desktop, "signed-out")


def the_patient_joins_and_sees_today(phone: Page, shot: Shot, story: Story) -> None:
    """6. On her phone: the invitation, a password of her own, and today's exercises from her week."""
    phone.goto(story.link)
    expect(phone.get_by_role("heading", name="Set your password")).to_be_visible()
    expect(phone.locator("main")).to_contain_text(PATIENT_EMAIL)
    phone.get_by_label("New password").fill(PATIENT_PASSWORD)
    phone.get_by_label("The same password again").fill(PATIENT_PASSWORD)
    shot(phone, "patient-set-password")
    phone.get_by_role("button", name="Set password and sign in").click()
    expect(phone).to_have_url(re.compile(r"/today$"))
    expect(phone.locator(".who-name")).to_have_text(PATIENT_NAME)
    heading = text(phone.get_by_role("heading", level=1))
    weekday = heading.removeprefix("Today").split()[0][:3]  # "Today Saturday 21 November" → "Sat"
    assert weekday in story.week, heading
    story.todays = story.week[weekday]
    if story.todays:
        expect(phone.locator("li.exercise h2")).to_have_text(story.todays)
        expect(phone.locator("li.exercise .figure svg").first).to_be_visible()
        expect(phone.locator(".pain-rule")).to_be_visible()
    else:  # a rest day in her week: no exercises (the log then offers the whole program)
        expect(phone.get_by_role("heading", name="A rest day")).to_be_visible()
        expect(phone.locator("li.exercise")).to_have_count(0)
    expect(phone.locator(".due")).to_contain_text("Your weekly check-in is due")
    shot(phone, "patient-today")
    phone.get_by_role("link", name="Print your whole program").click()  # the whole program, to print
    expect(phone.get_by_role("heading", name="Home exercise program")).to_be_visible()
    expect(phone.locator("section.exercise h3")).to_have_count(len(story.items))
    shot(phone, "patient-handout")
    phone.go_back()


def the_progress_page(phone: Page, shot: Shot, when: str) -> dict[str, list[tuple[str, str]]]:
    nav(phone, "Progress").click()
    expect(phone.get_by_role("heading", name="Your progress")).to_be_visible()
    shot(phone, f"patient-progress-{when}")
    return points(phone)


def she_logs_a_session(phone: Page, shot: Shot, story: Story) -> None:
    """7. Every exercise done at its dose, a little pain; saved, and the pain-monitoring model's word."""
    nav(phone, "Log").click()
    expect(phone.get_by_role("heading", level=1)).to_contain_text("Log a session")
    entries = phone.locator("fieldset.entry")
    logged = story.todays or story.items
    expect(entries.locator("> legend")).to_have_text(logged)
    for entry in entries.all():
        entry.get_by_role("radio", name="Yes").check()
        entry.get_by_label("How hard it felt (0-10)").fill(str(EFFORT))
        entry.get_by_label("Pain during the exercise (0-10)").fill(str(PAIN_DURING))
    shot(phone, "patient-log-filled")
    phone.get_by_role("button", name="Save my session").click()
    expect(phone).to_have_url(re.compile(r"/log\?saved=1$"))
    expect(phone.locator(".notice")).to_have_text("Saved. Thank you for logging your session.")
    feedback = phone.locator("section.feedback")
    expect(feedback.get_by_role("heading")).to_have_text("What your log says")
    expect(feedback.locator("li.decision")).to_have_count(len(logged))

    # The library's verdict (programs.progress) on the session as stored, exercise by exercise.
    program = phone.request.get("/api/me/program").json()["document"]
    sessions = phone.request.get("/api/me/logs").json()
    assert [s["performed_on"] for s in sessions] == [story.today.isoformat()]
    assert [(e["done"], e["pain_during"]) for e in sessions[0]["entries"]] == [(True, PAIN_DURING)] * len(logged)
    logs = {
        "schema": "rebalance.logs/1",
        "sessions": [
            {
                "date": s["performed_on"],
                "entries": [
                    {k: round(v) if k == "hold_s" else v for k, v in e.items() if v is not None} for e in s["entries"]
                ],
            }
            for s in sessions
        ],
    }
    verdict = progress(story.kb, {**story.analysis, "program": program}, parse_logs(logs))
    names = {item["exercise_id"]: item["name"] for item in program["items"]}
    done = {e["exercise_id"] for e in sessions[0]["entries"]}
    for decision in (d for d in verdict["decisions"] if d["exercise_id"] in done):
        shown = feedback.locator(f"li.decision-{decision['decision']}", has_text=names[decision["exercise_id"]])
        expect(shown).to_have_count(1)
        reason = decision["reason"]
        expect(shown).to_contain_text(reason[:1].upper() + reason[1:])
    shot(phone, "patient-log-saved")
    her_day_shows_as_done(phone, shot, len(logged))


def her_day_shows_as_done(phone: Page, shot: Shot, logged: int) -> None:
    """7b. Today shows the day done with what she logged; "change" opens the same entries, filled in."""
    nav(phone, "Today").click()
    done = phone.locator("section.done")
    expect(done.get_by_role("heading")).to_contain_text("Done today")
    expect(done.locator("ul.logged > li")).to_have_count(logged)
    expect(done).to_contain_text(f"pain {PAIN_DURING}/10")
    expect(phone.get_by_role("link", name="Log today’s session")).to_have_count(0)
    shot(phone, "patient-today-done")
    done.get_by_role("link", name="Change what you logged").click()
    expect(phone).to_have_url(re.compile(r"/log\?edit=1$"))
    entries = phone.locator("fieldset.entry")
    expect(entries).to_have_count(logged)
    for entry in entries.all():
        expect(entry.get_by_role("radio", name="Yes")).to_be_checked()
        expect(entry.get_by_label("Pain during the exercise (0-10)")).to_have_value(str(PAIN_DURING))
    expect(phone.get_by_role("button", name="Save my changes")).to_be_visible()
    shot(phone, "patient-log-edit")
    nav(phone, "Learn").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Learn about your back")
    shot(phone, "patient-learn")
    phone.locator("section.card h2 a").first.click()
    expect(phone.get_by_role("heading", name="What your tests showed")).to_be_visible()
    shot(phone, "patient-learn-page")


def the_chart_has_the_new_points(
    story: Story, before: dict[str, list[tuple[str, str]]], after: dict[str, list[tuple[str, str]]]
) -> None:
    """8. The assessment's points stay; today's pain during exercise is new. This week's session is not
    drawn on "Sessions each week" until the week has ended (whole weeks only)."""
    day, scores = story.today.isoformat(), story.expected["scores"]
    at_assessment = {
        "Pain at the assessment": [(day, f"{scores['pain_now']:g}")],
        "Disability (ODI)": [(day, f"{scores['odi']['percent']:g}")],
    }
    assert before == at_assessment, before
    assert sum(map(len, after.values())) > sum(map(len, before.values())), (before, after)
    assert after == at_assessment | {"Pain during exercise": [(day, str(PAIN_DURING))]}, after


# --- the red-flag check-in ---------------------------------------------------------------------------


def test_a_cauda_equina_answer_in_the_check_in_stops_the_program(phone: Page, shot: Shot, kb: KnowledgeBase) -> None:
    sign_in(phone, *DEMO_PATIENT)
    expect(phone).to_have_url(re.compile(r"/today$"))
    nav(phone, "Check-in").click()
    expect(phone.get_by_role("heading", name="Weekly check-in")).to_be_visible()
    questions = check_in_questions(kb)
    expect(phone.locator("fieldset.question")).to_have_count(len(questions))
    for question in questions:
        fieldset = phone.locator("fieldset.question", has=phone.get_by_text(question["question"], exact=True))
        answer = "Yes" if question["id"] == "saddle_anaesthesia" else "No"
        fieldset.get_by_role("radio", name=answer).check()
    shot(phone, "check-in-saddle-numbness")
    phone.get_by_role("button", name="Send my answers").click()

    expected = {"level": safety_for_flags(kb, ["saddle_anaesthesia"])["level"]}
    expected["message"] = stop_message(kb, ["saddle_anaesthesia"])  # the stop's one message, on every page
    assert expected["level"] == "emergency"
    expect(phone).to_have_url(re.compile(r"/check-in\?done=1$"))
    stop = phone.locator("section.stop")
    expect(stop.get_by_role("heading")).to_have_text("Stop: no exercises for now")
    expect(stop.locator(".stop-message").first).to_have_text(expected["message"])
    expect(stop).to_contain_text("go to an emergency department straight away")
    shot(phone, "check-in-stop")

    nav(phone, "Today").click()
    expect(phone.locator("section.stop")).to_contain_text(expected["message"])
    expect(phone.locator("li.exercise")).to_have_count(0)
    shot(phone, "today-stopped")
