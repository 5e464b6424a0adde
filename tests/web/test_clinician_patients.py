"""The clinician's patient list (with alerts), adding and inviting a patient, and a patient's timeline and charts."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from rebalance.storage.db import session_scope
from rebalance.storage.repos import patients
from rebalance.storage.schemas import PatientCreate
from rebalance.storage.tables import Invitation, Patient
from rebalance.storage.types import SafetyLevel
from rebalance.web import clinician_views as views
from tests.web.clinician_story import as_anna, days_ago, post, seed, set_today
from tests.web.conftest import Cast, web


def rows(page: str) -> dict[str, str]:
    """The patient list's rows by patient name."""
    out = {}
    for row in page.split('<li class="patient')[1:]:
        name = re.search(r'class="patient-name"[^>]*>([^<]+)<', row)
        assert name, row[:200]
        out[name.group(1)] = row
    return out


def alert_kinds(row: str) -> set[str]:
    return set(re.findall(r'class="alert-item kind-(\w+)', row))


def count(app: FastAPI, table: type) -> int:
    with session_scope(web(app).session_factory) as db:
        return int(db.scalar(select(func.count()).select_from(table)) or 0)


def test_a_clinician_starts_on_their_patient_list(client: TestClient, cast: Cast) -> None:
    as_anna(client)
    assert client.get("/").headers["location"] == "/patients"
    page = client.get("/patients")
    assert page.status_code == 200
    assert '<link rel="stylesheet" href="/static/clinician.css">' in page.text
    assert '<a href="/patients" aria-current="page">Patients</a>' in page.text


def test_the_list_shows_only_her_own_patients_each_with_its_alerts(
    app: FastAPI, client: TestClient, cast: Cast
) -> None:
    set_today(app)
    seed(app, cast.anna, "Quiet Quentin", pains=((5, 1), (3, 1), (1, 1)))
    seed(app, cast.anna, "Rising Rita", pains=((5, 1), (3, 2), (1, 4)))
    seed(app, cast.anna, "Gone Gordon", pains=((12, 1), (10, 1)))
    seed(app, cast.anna, "Careful Carla", "high_start_back_caution", pains=((1, 1),))
    urgent = ((2, SafetyLevel.URGENT, ("fever", "immunosuppression")),)
    seed(app, cast.anna, "Feverish Fred", pains=((1, 1),), check_ins=urgent)
    seed(app, cast.ben, "Bens Bella", pains=((12, 1),))
    as_anna(client)
    page = client.get("/patients").text
    listed = rows(page)
    assert set(listed) == {
        "Patient A1",
        "Quiet Quentin",
        "Rising Rita",
        "Gone Gordon",
        "Careful Carla",
        "Feverish Fred",
    }
    assert "Bens Bella" not in page and "Patient B1" not in page
    assert {name: alert_kinds(row) for name, row in listed.items()} == {
        "Patient A1": set(),
        "Quiet Quentin": set(),
        "Rising Rita": {"pain_worse"},
        "Gone Gordon": {"sessions_missed"},
        "Careful Carla": {"red_flag", "reassessment_due"},  # a caution program: reassessed at 2 weeks
        "Feverish Fred": {"red_flag"},
    }
    assert "Pain during exercise rose from 1/10 to 4/10 over the last 3 sessions." in listed["Rising Rita"]
    assert "No session logged for 10 days (since 20 November 2026)" in listed["Gone Gordon"]  # dates in words
    assert "answered yes to fever and weakened immune system" in listed["Feverish Fred"]  # warning signs by name
    assert "No alerts" in listed["Quiet Quentin"]
    flagged = client.get("/patients", params={"alert": "red_flag"}).text  # worked out for those who may have one
    assert set(rows(flagged)) == {"Careful Carla", "Feverish Fred"}


def test_the_list_can_be_searched_and_filtered_by_alert(app: FastAPI, client: TestClient, cast: Cast) -> None:
    set_today(app)
    seed(app, cast.anna, "Rising Rita", pains=((5, 1), (3, 2), (1, 4)))
    seed(app, cast.anna, "Gone Gordon", pains=((12, 1), (10, 1)))
    seed(app, cast.anna, "Just Julia", pains=((9, 1), (7, 1)))  # 7 days: the fewest that raise the alert
    seed(app, cast.anna, "Recent Rob", pains=((9, 1), (6, 1)))
    seed(app, cast.anna, "Overdue Olga", assessed=100, pains=((2, 1), (1, 1)))  # reassessment weeks ago
    as_anna(client)
    assert set(rows(client.get("/patients", params={"alert": "pain_worse"}).text)) == {"Rising Rita"}
    missed = {name for name, row in rows(client.get("/patients").text).items() if "sessions_missed" in alert_kinds(row)}
    assert missed == {"Gone Gordon", "Just Julia"}
    assert set(rows(client.get("/patients", params={"alert": "sessions_missed"}).text)) == missed
    assert set(rows(client.get("/patients", params={"q": "gor"}).text)) == {"Gone Gordon"}
    overdue = rows(client.get("/patients", params={"alert": "reassessment_due"}).text)
    assert set(overdue) == {"Overdue Olga"}  # every other program not yet due
    assert "Reassessment was due on" in overdue["Overdue Olga"]
    nobody = client.get("/patients", params={"q": "zebra"}).text
    assert rows(nobody) == {} and "No patient matches" in nobody
    assert client.get("/patients", params={"alert": "everything"}).status_code == 422


def test_a_long_list_comes_in_pages_that_keep_the_search_and_the_alert_filter(
    app: FastAPI, client: TestClient, cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(views, "PAGE_SIZE", 3)
    set_today(app)
    with session_scope(web(app).session_factory) as db:
        for n in range(7):
            patients.create_patient(db, cast.anna, PatientCreate(display_name=f"Quinn {n}"))
    seed(app, cast.anna, "Rising Rita", pains=((5, 1), (3, 2), (1, 4)))
    as_anna(client)
    everyone = sorted([f"Quinn {n}" for n in range(7)] + ["Rising Rita", *_already_listed(client)])
    first = client.get("/patients").text
    assert list(rows(first)) == everyone[:3]
    assert f"Patients 1–3 of {len(everyone)}" in first and 'rel="next"' in first and 'rel="prev"' not in first
    second = client.get("/patients", params={"page": 2}).text
    assert list(rows(second)) == everyone[3:6] and 'rel="prev"' in second
    found = client.get("/patients", params={"q": "quinn", "page": 3}).text
    assert list(rows(found)) == ["Quinn 6"]  # the search first, then the pages
    assert "page=2" in found and "q=quinn" in found  # its links keep the search
    assert set(rows(client.get("/patients", params={"alert": "pain_worse"}).text)) == {"Rising Rita"}
    beyond = client.get("/patients", params={"page": 40}).text
    assert rows(beyond) == {} and "No patients on page 40" in beyond
    for bad in ("0", "-1", "x"):
        assert client.get("/patients", params={"page": bad}).status_code == 422
    api = client.get("/api/patients", params={"offset": 1, "limit": 2}).json()
    assert [p["display_name"] for p in api] == everyone[1:3]
    assert len(client.get("/api/patients").json()) == len(everyone)  # all, without a limit
    assert client.get("/api/patients", params={"limit": 0}).status_code == 422


def _already_listed(client: TestClient) -> list[str]:
    return [
        p["display_name"]
        for p in client.get("/api/patients").json()
        if not p["display_name"].startswith(("Quinn ", "Rising"))
    ]


def test_a_clinician_adds_a_patient(app: FastAPI, client: TestClient, cast: Cast) -> None:
    token = as_anna(client)
    response = post(
        client, "/patients", token, {"display_name": "Nina Newman", "external_ref": "nn-1", "birth_year": "1980"}
    )
    assert response.status_code == 303
    assert re.fullmatch(r"/patients/\d+\?done=created", response.headers["location"])
    page = client.get(response.headers["location"]).text
    assert "Nina Newman" in page and "nn-1" in page and "The patient was added." in page
    assert "Nina Newman" in client.get("/patients").text


def test_a_reference_already_used_is_shown_next_to_its_field_not_a_server_error(
    app: FastAPI, client: TestClient, cast: Cast
) -> None:
    token = as_anna(client)
    assert post(client, "/patients", token, {"display_name": "First", "external_ref": "dup-1"}).status_code == 303
    before = count(app, Patient)
    response = post(client, "/patients", token, {"display_name": "Second", "external_ref": "dup-1"})
    assert response.status_code == 409
    assert 'id="new-external_ref-problem"' in response.text and "already has the reference dup-1" in response.text
    assert count(app, Patient) == before


def test_an_invalid_new_patient_is_shown_again_with_its_problems_and_nothing_is_stored(
    app: FastAPI, client: TestClient, cast: Cast
) -> None:
    token = as_anna(client)
    before = count(app, Patient)
    response = post(client, "/patients", token, {"display_name": "", "birth_year": "1850"})
    assert response.status_code == 422
    assert 'id="new-display_name-problem"' in response.text
    assert 'id="new-birth_year-problem"' in response.text
    assert count(app, Patient) == before


def test_a_new_patient_with_an_email_is_invited_and_the_link_shown_once(
    app: FastAPI, client: TestClient, cast: Cast
) -> None:
    token = as_anna(client)
    response = post(client, "/patients", token, {"display_name": "Ivy Invited", "email": "ivy@clinic.test"})
    assert response.status_code == 200
    link = re.search(r"<code>(http://testserver/invite/[^<]+)</code>", response.text)
    assert link, response.text
    assert count(app, Invitation) == 1
    assert client.get(link.group(1).removeprefix("http://testserver")).status_code == 200


def test_an_email_that_is_taken_adds_neither_patient_nor_invitation(
    app: FastAPI, client: TestClient, cast: Cast
) -> None:
    token = as_anna(client)
    before = count(app, Patient)
    response = post(client, "/patients", token, {"display_name": "Dan Duplicate", "email": "ben@clinic.test"})
    assert response.status_code == 409
    assert 'id="new-email-problem"' in response.text
    assert (count(app, Patient), count(app, Invitation)) == (before, 0)


def test_a_patient_can_be_invited_from_their_page(app: FastAPI, client: TestClient, cast: Cast) -> None:
    token = as_anna(client)
    new = seed(app, cast.anna, "Nina New").patient
    response = post(client, f"/patients/{new}/invitations", token, {"email": "nina@clinic.test"})
    assert response.status_code == 200
    assert "/invite/" in response.text and "nina@clinic.test" in response.text
    bad = post(client, f"/patients/{new}/invitations", token, {"email": "not an email"})
    assert bad.status_code == 422 and 'id="invite-email-problem"' in bad.text


def test_a_patient_whose_account_is_activated_is_not_invited_again(client: TestClient, cast: Cast) -> None:
    token = as_anna(client)
    response = post(client, f"/patients/{cast.patient_a1}/invitations", token, {"email": "a1@clinic.test"})
    assert response.status_code == 409
    assert "activated their account already" in response.text and "/invite/" not in response.text


def test_the_timeline_lists_everything_newest_first(app: FastAPI, client: TestClient, cast: Cast) -> None:
    set_today(app)
    first = seed(app, cast.anna, "", assessed=20, pains=((18, 2), (16, 3)), patient=cast.patient_a1)
    check_in = ((10, SafetyLevel.CLEAR, ()),)
    follow_up = "followup/piriformis_right_week6"
    second = seed(
        app, cast.anna, "", follow_up, assessed=5, pains=((3, 1),), check_ins=check_in, patient=cast.patient_a1
    )
    as_anna(client)
    page = client.get(f"/patients/{cast.patient_a1}").text
    days = re.findall(r'<time datetime="([\d-]+)">', page)
    assert days == sorted(days, reverse=True)
    # a program version is dated the day it was stored (the real clock), the rest by the days seeded
    assert days_ago(3).isoformat() in days and days[-1] == days_ago(20).isoformat()
    assert days.count(dt.datetime.now(dt.UTC).date().isoformat()) == 2  # the two program versions
    assert (
        f'href="/assessments/{first.assessment.id}"' in page and f'href="/assessments/{second.assessment.id}"' in page
    )
    assert second.program is not None and f'href="/programs/{second.program.id}"' in page
    assert "Weekly check-in" in page and "Session logged" in page
    assert page.index(days_ago(10).isoformat()) < page.index(days_ago(16).isoformat())


def test_the_patient_page_draws_the_progress_charts(app: FastAPI, client: TestClient, cast: Cast) -> None:
    set_today(app)
    seed(app, cast.anna, "", assessed=20, pains=((18, 2), (16, 3)), patient=cast.patient_a1)
    seed(app, cast.anna, "", "followup/piriformis_right_week6", assessed=5, pains=((3, 1),), patient=cast.patient_a1)
    as_anna(client)
    page = client.get(f"/patients/{cast.patient_a1}").text
    for title in ("Pain", "Disability (ODI)", "Adherence, complete weeks", "Hip internal rotation range"):
        assert f">{title}" in page, title
    assert page.count("<svg") >= 4
    assert 'data-series="left"' in page and 'data-series="right"' in page
    assert "Left and right" in page and "38 / 27" in page  # hip internal rotation at the first assessment
