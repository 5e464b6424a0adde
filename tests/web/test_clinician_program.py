"""The program page: swap an exercise, change a dosage, approve and publish — every change a new version."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient

from rebalance.knowledge.loader import default
from rebalance.programs.edit import alternatives
from rebalance.storage.db import session_scope
from rebalance.storage.repos import programs
from rebalance.storage.schemas import ProgramPublic
from rebalance.storage.types import ProgramStatus
from tests.factories import ruled_out
from tests.web.clinician_story import Seeded, as_anna, post, seed
from tests.web.conftest import Cast, web


def versions(app: FastAPI, cast: Cast) -> list[ProgramPublic]:
    with session_scope(web(app).session_factory) as db:
        return programs.program_versions(db, cast.anna, cast.patient_a1)


def draft(app: FastAPI, cast: Cast, case: str = "piriformis_right") -> ProgramPublic:
    seeded: Seeded = seed(app, cast.anna, "", case, status=ProgramStatus.DRAFT, patient=cast.patient_a1)
    assert seeded.program is not None
    return seeded.program


def test_the_program_page_shows_items_schedule_habits_and_versions(
    app: FastAPI, client: TestClient, cast: Cast
) -> None:
    program = draft(app, cast)
    as_anna(client)
    page = client.get(f"/programs/{program.id}").text
    for item in program.document["items"]:
        assert item["name"] in page and f'id="item-{item["exercise_id"]}"' in page
    assert "The week" in page and "Habits" in page and "Hands-on referrals" in page and "Versions" in page
    assert "Some pain while you exercise is all right." in page  # the warnings open with the pain rule
    assert '<span class="badge status-draft">draft</span>' in page
    assert f'action="/programs/{program.id}/approve"' in page and f'action="/programs/{program.id}/publish"' in page
    kb = default()
    for item in program.document["items"]:  # a side only for an exercise that has one
        block = page.split(f'id="item-{item["exercise_id"]}"', 1)[1].split('class="dosage"', 1)[0]
        sided = kb.exercise[item["exercise_id"]].unilateral
        assert ('class="badge side"' in block) == sided, item["exercise_id"]
    assert any(not kb.exercise[i["exercise_id"]].unilateral for i in program.document["items"])


def test_the_alternatives_are_the_librarys_and_never_ruled_out(app: FastAPI, client: TestClient, cast: Cast) -> None:
    kb = default()
    program = draft(app, cast, "pregnancy_pelvic_girdle_caution")
    as_anna(client)
    for item in program.document["items"]:
        fragment = client.get(
            f"/programs/{program.id}/items/{item['exercise_id']}/alternatives", headers={"HX-Request": "true"}
        ).text
        offered = re.findall(r'name="new_exercise_id" value="(\w+)"', fragment)
        assert offered == [a["exercise_id"] for a in alternatives(kb, program.document, item["exercise_id"])]
        for exercise_id in offered:
            assert not ruled_out(["pregnancy"], exercise_id)
        assert "<html" not in fragment
    assert "glute_bridge" not in client.get(f"/programs/{program.id}/items/abdominal_bracing/alternatives").text


def test_without_htmx_the_alternatives_are_a_page_of_their_own(app: FastAPI, client: TestClient, cast: Cast) -> None:
    program = draft(app, cast)
    as_anna(client)
    page = client.get(f"/programs/{program.id}/items/lateral_band_walk/alternatives").text
    assert "<html" in page and "Alternatives to Side steps with a band" in page
    assert 'value="clamshell"' in page


def test_a_swap_makes_a_new_draft_version_and_keeps_the_old_one(app: FastAPI, client: TestClient, cast: Cast) -> None:
    program = draft(app, cast)
    token = as_anna(client)
    response = post(
        client, f"/programs/{program.id}/items/lateral_band_walk/swap", token, {"new_exercise_id": "clamshell"}
    )
    assert response.status_code == 303
    old, new = versions(app, cast)
    assert response.headers["location"] == f"/programs/{new.id}?done=swapped"
    assert old.document == program.document  # every version kept as it was
    assert (new.version, new.status) == (2, ProgramStatus.DRAFT)
    ids = [i["exercise_id"] for i in new.document["items"]]
    assert "clamshell" in ids and "lateral_band_walk" not in ids
    page = client.get(response.headers["location"]).text
    assert "The exercise was swapped" in page and "Side steps with a band swapped for Clamshell" in page
    assert "lateral band walk" not in page and "lateral_band_walk" not in page  # names, never ids


def test_a_swap_the_conditions_rule_out_is_refused(app: FastAPI, client: TestClient, cast: Cast) -> None:
    program = draft(app, cast, "pregnancy_pelvic_girdle_caution")
    token = as_anna(client)
    path = f"/programs/{program.id}/items/abdominal_bracing/swap"
    response = post(client, path, token, {"new_exercise_id": "glute_bridge"})
    assert response.status_code == 422
    assert "Pregnancy rules out lying on the back" in response.text
    assert len(versions(app, cast)) == 1


def test_a_dosage_change_makes_a_new_version(app: FastAPI, client: TestClient, cast: Cast) -> None:
    program = draft(app, cast)
    token = as_anna(client)
    data = {"sets": "2", "hold_s": "45", "days_per_week": "5"}
    response = post(client, f"/programs/{program.id}/items/seated_piriformis_stretch/dosage", token, data)
    assert response.status_code == 303
    new = versions(app, cast)[-1]
    dose = next(i["dosage"] for i in new.document["items"] if i["exercise_id"] == "seated_piriformis_stretch")
    assert (dose["sets"], dose["hold_s"], dose["days_per_week"]) == (2, 45, 5)
    assert "dosage of Seated piriformis stretch on a chair changed" in client.get(response.headers["location"]).text


def test_a_dosage_outside_its_limits_is_shown_again_at_its_field_and_makes_no_version(
    app: FastAPI, client: TestClient, cast: Cast
) -> None:
    program = draft(app, cast)
    token = as_anna(client)
    data = {"sets": "6", "reps": "", "hold_s": "abc", "days_per_week": "7"}
    page = post(client, f"/programs/{program.id}/items/seated_piriformis_stretch/dosage", token, data)
    assert page.status_code == 422
    sets = re.search(r'id="seated_piriformis_stretch-sets-problem">([^<]+)<', page.text)
    hold = re.search(r'id="seated_piriformis_stretch-hold_s-problem">([^<]+)<', page.text)
    assert sets and "at most 4 sets" in sets.group(1)
    assert hold and "expected a whole number" in hold.group(1)
    assert re.search(r'<details class="dosage-edit" open>', page.text)
    assert len(versions(app, cast)) == 1


def test_approve_then_publish_and_the_previous_version_is_superseded(
    app: FastAPI, client: TestClient, cast: Cast
) -> None:
    first = seed(app, cast.anna, "", patient=cast.patient_a1).program  # published
    second = draft(app, cast)
    assert first is not None
    token = as_anna(client)
    approved = post(client, f"/programs/{second.id}/approve", token)
    assert approved.headers["location"] == f"/programs/{second.id}?done=approved"
    assert [v.status for v in versions(app, cast)] == [ProgramStatus.PUBLISHED, ProgramStatus.APPROVED]
    page = client.get(approved.headers["location"]).text
    assert f'action="/programs/{second.id}/approve"' not in page and f'action="/programs/{second.id}/publish"' in page
    published = post(client, f"/programs/{second.id}/publish", token)
    assert published.headers["location"] == f"/programs/{second.id}?done=published"
    assert [v.status for v in versions(app, cast)] == [ProgramStatus.SUPERSEDED, ProgramStatus.PUBLISHED]
    just_published = client.get(published.headers["location"]).text
    assert "the patient sees it now" in just_published
    assert "The patient sees this version" not in just_published  # one notice, not two saying the same
    assert "The patient sees this version" in client.get(f"/programs/{second.id}").text  # opened later
    assert post(client, f"/programs/{first.id}/publish", token).status_code == 409


def test_an_edit_of_a_published_version_is_a_new_draft_and_the_patient_keeps_the_published_one(
    app: FastAPI, client: TestClient, cast: Cast
) -> None:
    published = seed(app, cast.anna, "", patient=cast.patient_a1).program
    assert published is not None
    token = as_anna(client)
    post(client, f"/programs/{published.id}/items/lateral_band_walk/swap", token, {"new_exercise_id": "clamshell"})
    assert [v.status for v in versions(app, cast)] == [ProgramStatus.PUBLISHED, ProgramStatus.DRAFT]
    with session_scope(web(app).session_factory) as db:
        shown = programs.latest_program(db, cast.user_a1, cast.patient_a1)
    assert shown is not None and shown.id == published.id


def test_the_program_page_says_what_was_left_out_for_time_which_items_are_key_and_whose_dose(
    app: FastAPI, client: TestClient, cast: Cast
) -> None:
    from rebalance.api import analyse_document
    from rebalance.knowledge.words import citation
    from rebalance.storage.repos import assessments
    from rebalance.storage.schemas import AssessmentCreate, ProgramCreate
    from tests.web.clinician_story import TODAY, example

    kb = default()
    analysis = analyse_document(example("lower_crossed_desk_worker"), minutes=5)  # too short for every item
    program = analysis["program"]
    assert program["left_out"]
    with session_scope(web(app).session_factory) as db:
        data = AssessmentCreate(assessed_on=TODAY, document=example("lower_crossed_desk_worker"), analysis=analysis)
        stored = assessments.add_assessment(db, cast.anna, cast.patient_a1, data)
        version = ProgramCreate(assessment_id=stored.id, document=program, status=ProgramStatus.DRAFT)
        program_id = programs.add_program_version(db, cast.anna, cast.patient_a1, version).id
    as_anna(client)
    page = client.get(f"/programs/{program_id}").text
    assert "Left out for time" in page
    for left in program["left_out"]:
        assert f"<strong>{left['name']}</strong>: {left['minutes_to_fit']} minutes a session would fit it" in page
    key_items = sum(1 for i in program["items"] if i["key"])
    assert page.count('<span class="badge key">key</span>') == key_items + 1  # each key item, and the legend
    for item in program["items"]:
        assert f"(dose after {citation(kb, item['dosage']['source'])})" in page
        assert item["dosage"]["source"] not in page  # never the source's id
