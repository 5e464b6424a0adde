"""The clip upload on the assessment form, in real headless Chromium against the real server: HTMX posts the
clip with the form and swaps in the clip's status alone (what the clinician typed stays), a file that is not a
video is refused in place, and a refresh of the page sends nothing again (no second job)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select

from rebalance.storage.tables import VideoJob
from tests.browser.conftest import Server, Shot
from tests.browser.test_clinic_journey import CLINICIAN, field, sign_in

try:
    from playwright.sync_api import Page, expect
except ImportError:  # pragma: no cover - the browser fixture then skips (or fails in CI) and says why
    Page = Any  # type: ignore[misc,assignment]

pytestmark = pytest.mark.browser

MP4_HEAD = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00"


def video_jobs(server: Server) -> int:
    engine = create_engine(server.database_url)
    try:
        with engine.connect() as connection:
            return int(connection.scalar(select(func.count()).select_from(VideoJob)) or 0)
    finally:
        engine.dispose()


def test_a_clip_uploads_in_place_keeps_the_form_and_a_refresh_sends_nothing_again(
    desktop: Page, server: Server, shot: Shot, tmp_path: Path
) -> None:
    sign_in(desktop, *CLINICIAN)
    expect(desktop).to_have_url(re.compile(r"/patients$"))
    desktop.locator("ul.patient-list > li a").first.click()
    desktop.get_by_role("link", name="New assessment").click()
    form_url = desktop.url
    if desktop.locator("#video-file").count() == 0:
        pytest.skip("the server has no video extra")
    field(desktop, "symptoms.pain_now").fill("6")
    before = video_jobs(server)

    notes = tmp_path / "notes.mp4"
    notes.write_bytes(b"Patient notes, not a video.")
    desktop.set_input_files("#video-file", str(notes))
    desktop.get_by_role("button", name="Upload and analyse").click()
    expect(desktop.locator("#video-upload [role=alert]")).to_contain_text("This file is not a video.")
    assert desktop.url == form_url and video_jobs(server) == before
    desktop.locator("#s-video").scroll_into_view_if_needed()
    shot(desktop, "assessment-form-clip-refused")

    clip = tmp_path / "stance.mp4"
    clip.write_bytes(MP4_HEAD + b"\0" * 2000)
    desktop.set_input_files("#video-file", str(clip))
    desktop.get_by_role("button", name="Upload and analyse").click()
    status = desktop.locator("#video-upload #video-status")
    expect(status).to_contain_text("stance.mp4")
    expect(desktop.locator("#video-upload [role=alert]", has_text="not a video")).to_have_count(0)
    assert desktop.url == form_url  # the page was never replaced: still the form's GET
    expect(field(desktop, "symptoms.pain_now")).to_have_value("6")  # what she typed stays
    assert video_jobs(server) == before + 1
    desktop.locator("#s-video").scroll_into_view_if_needed()
    shot(desktop, "assessment-form-clip-uploaded")

    desktop.reload()  # a refresh: a GET of the form, no clip sent
    expect(desktop.get_by_role("heading", name=re.compile(r"^New assessment"))).to_be_visible()
    assert video_jobs(server) == before + 1
