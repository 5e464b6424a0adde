"""Every example's patient pages in words a patient reads: no internal id, source tag or weight.

For each case of ``examples/``, patient A1 is assessed with it, its program (if the safety gate gives one)
published, a session logged; then today, the log page (and its edit), the check-in, progress and every
learn page are read as the patient sees them (the text, not the markup: ids in links are for links).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from rebalance.knowledge.loader import KnowledgeBase
from tests.conftest import EXAMPLES
from tests.web.conftest import Cast, email
from tests.web.helpers import sign_in
from tests.web.patient_story import MONDAY, add_version, api_post, assess, set_today

CASES = sorted(p.stem for p in EXAMPLES.glob("*.yaml"))
SNAKE = re.compile(r"\b[a-z0-9]+_[a-z0-9_]+\b")  # an id, a field or a finding's key
TAGS = [re.compile(r"\bweight\s*[:=(]?\s*\d"), re.compile(r"\bsource[:\s]+[a-z]+_"), re.compile(r"\[[^\]]*\]")]


class _Text(HTMLParser):
    """The words a page shows: its text, without scripts and styles."""

    def __init__(self) -> None:
        super().__init__()
        self.words: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        self._skip += tag in ("script", "style")

    def handle_endtag(self, tag: str) -> None:
        self._skip -= tag in ("script", "style")

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.words.append(data.strip())


def shown(page: str) -> str:
    parser = _Text()
    parser.feed(page)
    return "\n".join(parser.words)


def problems(text: str, ids: set[str]) -> list[str]:
    found = [m for m in SNAKE.findall(text)] + [w for w in ids if re.search(rf"\b{re.escape(w)}\b", text)]
    return found + [m.group(0) for tag in TAGS for m in tag.finditer(text)]


@pytest.mark.parametrize("case", CASES)
def test_no_patient_page_shows_an_id_a_source_tag_or_a_weight(
    app: FastAPI, client: TestClient, cast: Cast, kb: KnowledgeBase, case: str
) -> None:
    assessment = assess(app, cast, case)
    program = assessment.analysis["program"]
    if program is not None:
        add_version(app, cast, assessment, program)
    set_today(app, MONDAY)
    assert sign_in(client, email("a1")).status_code == 303
    if program is not None:
        entries = [{"exercise_id": i["exercise_id"], "done": True, "pain_during": 2} for i in program["items"]]
        assert api_post(client, "/api/me/logs", {"entries": entries}).status_code in (201, 409)  # 409: stopped
    learn = client.get("/api/me/learn").json()
    topics = [f"/learn/{p['id']}" for p in [*learn["pages"], *learn["earlier"]]]
    ids = {k for kind in kb.records.values() for k in kind if "_" in k}
    for path in ["/today", "/log", "/log?edit=1", "/check-in", "/progress", "/learn", *topics]:
        page = client.get(path)
        assert page.status_code == 200, path
        text = shown(page.text)
        assert len(text) > 200 and problems(text, ids) == [], f"{case} {path}"


def test_the_check_finds_what_the_issue_found_in_the_words_people_read(kb: KnowledgeBase) -> None:
    ids = {k for kind in kb.records.values() for k in kind if "_" in k}
    page = "<p>Your buttock (weight 0.2) hurts when crossing_legs <b>[fair: True; source fishman_2002]</b></p>"
    text = shown(page + "<script>var not_shown = 1;</script>")
    assert "not_shown" not in text
    found = problems(text, ids)
    assert {"weight 0", "crossing_legs", "fishman_2002", "source fishman_"} <= set(found)
    assert any(f.startswith("[fair") for f in found)
    assert problems(shown("<p>Have you lost weight without trying? Brisk walking: 20 minutes.</p>"), ids) == []
