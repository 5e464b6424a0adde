"""The assessment form: the whole contract and every test of the knowledge base, validated as you go.

Each input is named by its field path in the assessment document, so any document the contract allows
goes through the form unchanged, and each problem lands next to its input.
"""

from __future__ import annotations

import copy
import html
import random
import re
from collections import Counter
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import escape
from sqlalchemy import func, select

from rebalance.assessment.form import build_form, form_values, slot_id, to_document
from rebalance.knowledge.loader import default
from rebalance.storage.db import session_scope
from rebalance.storage.tables import Assessment, Program
from tests.synthetic import random_assessment
from tests.web.clinician_story import TODAY, as_anna, example, post, seed, set_today
from tests.web.conftest import Cast, web

SECTIONS = ("Visit", "Client", "Symptoms", "Red flags", "Lifestyle", "Questionnaires", "Tests")


def normal(value: Any) -> Any:
    """A document without its empty lists and mappings (absent and empty mean the same), lists of ids sorted."""
    if isinstance(value, dict):
        out = {k: normal(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v not in ([], {}, None) or k == "compensations"}
    if isinstance(value, list):
        items = [normal(v) for v in value]
        return sorted(items, key=repr) if all(isinstance(i, dict) and "id" in i for i in items) else items
    return value


def stored(app: FastAPI) -> tuple[int, int]:
    with session_scope(web(app).session_factory) as db:
        assessments = db.scalar(select(func.count()).select_from(Assessment)) or 0
        programs = db.scalar(select(func.count()).select_from(Program)) or 0
    return int(assessments), int(programs)


def form_of(document: dict[str, Any], minutes: int = 20) -> dict[str, Any]:
    return {**form_values(default(), document), "minutes": str(minutes)}


# the form


def test_the_form_has_every_section_of_the_contract(client: TestClient, cast: Cast) -> None:
    as_anna(client)
    page = client.get(f"/patients/{cast.patient_a1}/assessments/new")
    assert page.status_code == 200
    for section in SECTIONS:
        assert f">{section}</h2>" in page.text, section
    names = set(re.findall(r'name="([^"]+)"', page.text))
    contract = {
        "date", "minutes", "client.id", "client.age", "client.sex", "client.activity_level", "client.sports",
        "client.conditions", "client.equipment", "symptoms.pain_now", "symptoms.pain_worst_week",
        "symptoms.duration_weeks", "symptoms.locations[0].region", "symptoms.locations[0].side",
        "symptoms.aggravated_by", "symptoms.eased_by", "red_flags", "lifestyle.sitting_hours_per_day",
        "lifestyle.sits_with_feet_turned_out", "lifestyle.sits_on_back_pocket_wallet", "lifestyle.stands_on_one_leg",
        "lifestyle.carries_bag_on", "lifestyle.lifting", "lifestyle.exercise_sessions_per_week",
        "lifestyle.one_sided_sport.sport", "lifestyle.one_sided_sport.dominant_side", "lifestyle.sleep_position",
        "lifestyle.mattress", "lifestyle.stress_level",
    }  # fmt: skip
    assert contract <= names, contract - names
    assert {f"questionnaires.odi[{i}]" for i in range(10)} <= names
    assert {f"questionnaires.start_back[{i}]" for i in range(9)} <= names


def test_the_form_has_every_test_of_the_knowledge_base_with_every_field(client: TestClient, cast: Cast) -> None:
    kb = default()
    as_anna(client)
    page = client.get(f"/patients/{cast.patient_a1}/assessments/new").text
    assert set(re.findall(r'data-test="(\w+)"', page)) == set(kb.test)
    names = set(re.findall(r'name="([^"]+)"', page))
    for test in kb.test.values():
        base = f"tests.{test.id}"
        for f in test.fields:
            if test.layout == "sided":
                expected = {f"{base}.{side}.{f.name}" for side in ("left", "right")}
            elif test.layout == "per_muscle":
                side_or_field = ("left", "right") if f is test.fields[0] else (f.name,)
                expected = {f"{base}.{m}.{x}" for m in test.targets for x in side_or_field}
            elif f.type == "sided_number":
                expected = {f"{base}.{f.name}.left", f"{base}.{f.name}.right"}
            elif f.type == "compensations":
                expected = {f"{base}.{f.name}.{c}" for c in kb.compensations}
            else:
                expected = {f"{base}.{f.name}"}
            assert expected <= names, (test.id, f.name, expected - names)
    for test in kb.test.values():  # units and ranges come from the definitions
        for f in test.fields:
            if f.type == "number" and f.min is not None and f.max is not None and f.unit:
                assert f"{f.min:g} to {f.max:g} {f.unit}" in page, (test.id, f.name)


def test_the_forms_labels_and_hints_are_words_for_a_person(client: TestClient, cast: Cast) -> None:
    """No field name suffix ("Sway pct") and no data notation ("as {left, right}") on the form."""
    as_anna(client)
    page = html.unescape(client.get(f"/patients/{cast.patient_a1}/assessments/new").text)
    assert "{left, right}" not in page
    assert not re.search(r"\bpct\b", page)
    assert "Sway (%)" in page


def test_the_red_flags_are_asked_with_the_knowledge_base_question_and_the_vocabularies_offered(
    client: TestClient, cast: Cast
) -> None:
    kb = default()
    as_anna(client)
    page = client.get(f"/patients/{cast.patient_a1}/assessments/new").text
    for flag in kb.red_flags.values():
        shown = f'name="red_flags" value="{flag.id}"' in page
        assert shown == (not flag.derived or flag.id == "bilateral_leg_symptoms"), flag.id
        if shown:
            assert str(escape(flag.question)) in page, flag.id
    for name, records in (("client.conditions", kb.conditions), ("client.equipment", kb.equipment)):
        for rid in records:
            assert f'name="{name}" value="{rid}"' in page, rid
    for rid in kb.activities:
        assert f'name="symptoms.aggravated_by" value="{rid}"' in page
    for rid in kb.regions:
        assert f'<option value="{rid}">' in page


def test_every_input_has_one_label_and_every_problem_one_place(client: TestClient, cast: Cast) -> None:
    as_anna(client)
    page = client.get(f"/patients/{cast.patient_a1}/assessments/new").text
    ids = Counter(re.findall(r' id="([^"]+)"', page))
    assert [i for i, n in ids.items() if n > 1] == []
    for slot in build_form(default(), {}).slots:
        assert f'id="{slot_id(slot)}-problem"' in page, slot
    for input_id in re.findall(r'<(?:input|select) id="([^"]+)"', page):
        assert f'for="{input_id}"' in page, input_id


def test_a_new_form_starts_from_today_the_patient_record_and_the_last_client_and_lifestyle(
    app: FastAPI, client: TestClient, cast: Cast
) -> None:
    set_today(app)
    seed(app, cast.anna, "", "golfer_lateral_asymmetry", patient=cast.patient_a1)
    as_anna(client)
    page = client.get(f"/patients/{cast.patient_a1}/assessments/new").text
    assert f'name="date" type="date" value="{TODAY.isoformat()}"' in page
    golfer = example("golfer_lateral_asymmetry")
    assert 'name="client.age" type="number" inputmode="decimal" step="1"' in page
    assert f'value="{golfer["client"]["age"]}"' in page
    assert f'value="{golfer["lifestyle"]["one_sided_sport"]["sport"]}"' in page
    assert re.search(r'name="symptoms.pain_now" [^>]*value=""', page)  # symptoms are new each time


# the form and the document


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=0, max_value=2**32 - 1))
def test_any_valid_assessment_goes_through_the_form_unchanged(seed_: int) -> None:
    kb = default()
    document = random_assessment(kb, random.Random(seed_))
    original = copy.deepcopy(document)
    submitted = to_document(kb, form_values(kb, document))
    assert document == original  # the inverse leaves its input alone
    assert normal(submitted.document) == normal(document)


def test_every_example_goes_through_the_form_unchanged() -> None:
    kb = default()
    from tests.conftest import EXAMPLES

    for path in sorted(EXAMPLES.glob("*.yaml")):
        document = example(path.stem)
        assert normal(to_document(kb, form_values(kb, document)).document) == normal(document), path.name


def test_a_valid_form_is_stored_as_the_document_it_describes(app: FastAPI, client: TestClient, cast: Cast) -> None:
    token = as_anna(client)
    document = example("contract_example")
    response = post(client, f"/patients/{cast.patient_a1}/assessments", token, form_of(document, minutes=30))
    assert response.status_code == 303
    assessment_id = int(response.headers["location"].split("/")[2].split("?")[0])
    body = client.get(f"/api/assessments/{assessment_id}").json()
    assert normal(body["document"]) == normal(document)
    assert body["analysis"]["program"]["minutes_per_session"] == 30


# validation


def test_validation_puts_each_problem_next_to_its_input_and_stores_nothing(
    app: FastAPI, client: TestClient, cast: Cast
) -> None:
    token = as_anna(client)
    document = example("piriformis_right")
    document["symptoms"]["pain_now"] = 11
    document["tests"]["mmt"]["gluteus_medius"]["left"] = 3.3
    before = stored(app)
    answer = post(client, f"/patients/{cast.patient_a1}/assessments/validate", token, form_of(document))
    assert answer.status_code == 200
    pain = re.search(
        r'<p class="field-problem" id="f-symptoms-pain_now-problem" hx-swap-oob="true">([^<]*)</p>', answer.text
    )
    assert pain and "must be 10 or less" in pain.group(1)
    grade = re.search(r'id="f-tests-mmt-gluteus_medius-left-problem" hx-swap-oob="true">([^<]*)<', answer.text)
    assert grade and "not a multiple of 0.5" in grade.group(1)
    assert 'id="f-client-age-problem" hx-swap-oob="true"></p>' in answer.text  # the others are cleared
    assert "2 problems to fix" in answer.text
    assert stored(app) == before


def test_a_valid_form_validates_clean(client: TestClient, cast: Cast) -> None:
    token = as_anna(client)
    answer = post(
        client, f"/patients/{cast.patient_a1}/assessments/validate", token, form_of(example("piriformis_right"))
    )
    assert "No problems so far" in answer.text
    assert "hx-swap-oob" in answer.text and 'class="alert"' not in answer.text


def test_an_invalid_form_is_shown_again_with_every_problem_and_nothing_is_stored(
    app: FastAPI, client: TestClient, cast: Cast
) -> None:
    token = as_anna(client)
    form = form_of(example("piriformis_right"), minutes=3)
    form["symptoms.pain_now"] = "11"
    form["tests.modified_thomas.left.thigh_above_horizontal_deg"] = "400"
    form["questionnaires.start_back[0]"] = "1"
    form.pop("questionnaires.start_back[1]", None)
    form["questionnaires.start_back[1]"] = ""
    before = stored(app)
    page = post(client, f"/patients/{cast.patient_a1}/assessments", token, form)
    assert page.status_code == 422
    assert stored(app) == before
    assert "The assessment was not saved." in page.text
    expected = {
        "symptoms-pain_now": "must be 10 or less",
        "tests-modified_thomas-left-thigh_above_horizontal_deg": "400 deg is above the plausible maximum 60 deg",
        "minutes": "expected 5 to 240 whole minutes",
        "questionnaires-start_back-1": "not answered: answer all nine items, or none",
    }
    for slot, message in expected.items():
        shown = re.search(rf'id="f-{slot}-problem">([^<]*)<', page.text)
        assert shown and message in shown.group(1), slot
    assert 'id="f-symptoms-pain_now" name="symptoms.pain_now"' in page.text
    assert re.search(r'name="symptoms.pain_now"[^>]*aria-invalid="true"', page.text)
    assert 'value="11"' in page.text  # what was typed is kept
    assert re.search(r'<details class="test" id="f-tests-modified_thomas"[^>]*\s+open>', page.text)


def test_a_problem_in_a_location_row_is_shown_at_that_row_even_after_empty_rows(client: TestClient, cast: Cast) -> None:
    token = as_anna(client)
    form = form_of(example("piriformis_right"))
    for key in [k for k in form if k.startswith("symptoms.locations")]:
        del form[key]
    form |= {"symptoms.locations[2].region": "posterior_thigh", "symptoms.locations[2].side": "central"}
    page = post(client, f"/patients/{cast.patient_a1}/assessments", token, form)
    shown = re.search(r'id="f-symptoms-locations-2-side-problem">([^<]*)<', page.text)
    assert shown and "is in the leg" in shown.group(1)


def test_text_in_a_number_is_refused_at_its_input(client: TestClient, cast: Cast) -> None:
    token = as_anna(client)
    form = form_of(example("piriformis_right")) | {"tests.side_bridge.left.seconds": "about forty"}
    page = post(client, f"/patients/{cast.patient_a1}/assessments", token, form)
    shown = re.search(r'id="f-tests-side_bridge-left-seconds-problem">([^<]*)<', page.text)
    assert shown and "expected a number, got &#39;about forty&#39;" in shown.group(1)


# rows added with HTMX


def test_another_location_row_and_the_next_add_button(client: TestClient, cast: Cast) -> None:
    as_anna(client)
    fragment = client.get("/assessment-form/location-row", params={"index": 3}).text
    assert 'name="symptoms.locations[3].region"' in fragment and 'name="symptoms.locations[3].side"' in fragment
    assert 'id="add-location" hx-swap-oob="true" hx-get="/assessment-form/location-row?index=4"' in fragment
    assert client.get("/assessment-form/location-row", params={"index": 99}).status_code == 422


def test_another_muscle_for_a_per_muscle_test(client: TestClient, cast: Cast) -> None:
    as_anna(client)
    fragment = client.get("/assessment-form/tests/mmt/muscle-row", params={"muscle": "piriformis"}).text
    assert 'name="tests.mmt.piriformis.left"' in fragment and 'name="tests.mmt.piriformis.right"' in fragment
    assert 'step="0.5"' in fragment
    unit = client.get("/assessment-form/tests/dynamometry/muscle-row", params={"muscle": "piriformis"}).text
    assert 'name="tests.dynamometry.piriformis.unit"' in unit
    assert client.get("/assessment-form/tests/mmt/muscle-row").text.strip() == ""
    assert client.get("/assessment-form/tests/ober/muscle-row", params={"muscle": "piriformis"}).status_code == 404
    assert client.get("/assessment-form/tests/nope/muscle-row").status_code == 404


def test_an_added_muscle_is_part_of_the_document_and_of_the_form_shown_again(client: TestClient, cast: Cast) -> None:
    kb = default()
    values = {"tests.mmt.piriformis.left": ["4"], "tests.mmt.piriformis.right": ["3.5"]}
    assert to_document(kb, values).document["tests"]["mmt"] == {"piriformis": {"left": 4, "right": 3.5}}
    token = as_anna(client)
    form = form_of(example("piriformis_right")) | {"tests.mmt.piriformis.left": "4", "symptoms.pain_now": "11"}
    page = post(client, f"/patients/{cast.patient_a1}/assessments", token, form).text
    assert 'name="tests.mmt.piriformis.left"' in page
