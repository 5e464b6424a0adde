"""The today page, served again from the page cache: never stale, never another patient's.

Every change below is made through the repository in a unit of work of its own — as another process
of the app would make it — so the cache cannot have been told: the page must notice by itself.
"""

from __future__ import annotations

import datetime as dt

from fastapi import FastAPI
from fastapi.testclient import TestClient

from rebalance.storage.types import SafetyLevel
from rebalance.web.page_cache import PageCache, _Page
from tests.web.conftest import Cast, email, web
from tests.web.helpers import sign_in
from tests.web.patient_story import MONDAY, Story, add_check_in, add_version, patient, set_today, story

__all__ = ["patient", "story"]  # the fixtures


def test_the_page_is_served_again_until_what_it_is_made_of_changes(
    app: FastAPI, cast: Cast, story: Story, patient: TestClient
) -> None:
    first = patient.get("/today")
    assert first.status_code == 200 and "Stop: no exercises" not in first.text
    assert len(web(app).pages) == 1
    assert patient.get("/today").text == first.text  # served again
    add_check_in(app, cast, MONDAY, ["bladder_dysfunction"], SafetyLevel.EMERGENCY)
    stopped = patient.get("/today")
    assert "Stop: no exercises" in stopped.text  # at once: the red flag stops the program
    assert len(web(app).pages) == 2


def test_a_new_published_version_and_a_new_day_are_new_pages(
    app: FastAPI, cast: Cast, story: Story, patient: TestClient
) -> None:
    before = patient.get("/today").text
    dropped = story.items_on("Mon")[0]
    items = [item for item in story.program.document["items"] if item["exercise_id"] != dropped]
    assert f'id="{dropped}"' in before
    add_version(app, cast, story.assessment, {**story.program.document, "items": items})
    after = patient.get("/today").text
    assert f'id="{dropped}"' not in after  # version 2, without it
    set_today(app, MONDAY + dt.timedelta(days=1))
    tuesday = patient.get("/today").text
    assert "Tuesday" in tuesday and "Tuesday" not in after


def test_a_page_is_never_served_to_another_patient(app: FastAPI, cast: Cast, story: Story, patient: TestClient) -> None:
    mine = patient.get("/today").text
    other = TestClient(app, follow_redirects=False)
    sign_in(other, email("b1"))
    theirs = other.get("/today")
    assert theirs.status_code == 200
    assert theirs.text != mine
    assert "Your program is on its way" in theirs.text  # B1 has no program


def test_signing_in_again_is_a_new_page_its_forms_carry_the_new_sessions_token(
    app: FastAPI, cast: Cast, story: Story, patient: TestClient
) -> None:
    old_token = patient.get("/api/me").json()["csrf_token"]
    assert old_token in patient.get("/today").text
    patient.cookies.clear()
    sign_in(patient, email("a1"))
    new_token = patient.get("/api/me").json()["csrf_token"]
    page = patient.get("/today").text
    assert new_token in page and old_token not in page


def test_the_cache_is_bounded_least_recently_used_out_first() -> None:
    cache = PageCache(max_pages=2)
    page = _Page(b"<p>x</p>", [])
    cache.put("a", page)
    cache.put("b", page)
    assert cache.get("a") is page  # "a" is now the most recently used
    cache.put("c", page)
    assert cache.get("b") is None and cache.get("a") is page and cache.get("c") is page
    assert len(cache) == 2
