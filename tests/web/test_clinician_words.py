"""What a clinician reads on every example's pages: no internal id, source tag, weight or ``[...]``.

Every example is stored for one patient with sessions (pain rising past the acceptable line) and an
urgent weekly check-in, so the patient list shows alerts of every kind; then the patient list, the
patient page, the assessment, the program and an item's alternatives are read as a person sees them:
the text between the tags, and the ``title``, ``alt`` and ``aria-label`` a screen reader speaks.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from rebalance.knowledge.loader import default
from rebalance.storage.types import SafetyLevel
from tests.conftest import EXAMPLES
from tests.web.clinician_story import as_anna, seed, set_today
from tests.web.conftest import Cast

SNAKE = re.compile(r"\b[a-z0-9]+(?:_[a-z0-9]+)+\b")  # tight_piriformis, fishman_2002, behm_2020
# a source tag ("source fishman", "source: ..."), a weight ("weight 0.2"), a bracket, a finding id's head
TAGS = re.compile(
    r"\bsource[:=]|\bsource [a-z]+_|\bweight[:=]? ?[0-9.]+\b|\[[^\]]*\]|\b(?:tight|weak|asymmetry|movement):[a-z]",
    re.IGNORECASE,
)
SPOKEN = ("title", "alt", "aria-label")


class Visible(HTMLParser):
    """The text a person reads or hears: no script or style, tags' spoken attributes included."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self.hidden += 1
        self.parts += [value for name, value in attrs if name in SPOKEN and value]

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self.hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def visible(html: str) -> str:
    parser = Visible()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def id_like(text: str) -> list[str]:
    return SNAKE.findall(text) + TAGS.findall(text)


def test_the_checker_finds_ids_source_tags_and_weights() -> None:
    page = '<p title="tight:piriformis:right">Piriformis <span>[fair: True; source fishman_2002]</span></p>'
    found = id_like(visible(page + "<p>buttock (weight 0.2) dose: behm_2020</p><script>var a_b = 1;</script>"))
    assert {"fishman_2002", "behm_2020", "[fair: True; source fishman_2002]", "weight 0.2", "tight:p"} <= set(found)
    assert "a_b" not in found
    assert (
        id_like(visible("<p>A tight right piriformis (Fishman et al. 2002). Standing with your weight on one leg.</p>"))
        == []
    )


CASES = sorted(path.stem for path in EXAMPLES.glob("*.yaml"))


@pytest.mark.parametrize("case", CASES)
def test_no_clinician_page_of_an_example_shows_an_id(app: FastAPI, client: TestClient, cast: Cast, case: str) -> None:
    set_today(app)
    urgent = ((3, SafetyLevel.URGENT, ("fever", "saddle_anaesthesia")),)
    seeded = seed(app, cast.anna, "Ida Example", case, pains=((20, 2), (12, 5), (6, 7)), check_ins=urgent)
    as_anna(client)
    pages = ["/patients", f"/patients/{seeded.patient}", f"/assessments/{seeded.assessment.id}"]
    if seeded.program is not None:
        first = seeded.program.document["items"][0]["exercise_id"]
        pages += [f"/programs/{seeded.program.id}", f"/programs/{seeded.program.id}/items/{first}/alternatives"]
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        text = visible(response.text)
        assert id_like(text) == [], f"{case} {path}: {id_like(text)}"
    listed = visible(client.get("/patients").text)
    assert "Fever" in listed or "fever" in listed  # the check-in's alert names its answers in words
    assert default().red_flags["saddle_anaesthesia"].name.lower() in listed.lower()


def test_clinician_pages_speak_to_the_clinician_and_patient_pages_to_the_patient(
    app: FastAPI, client: TestClient, cast: Cast
) -> None:
    """The footer: to a clinician, that the patterns are theirs to interpret; to a patient, that their
    clinician interprets them with them, and the warning signs."""
    from tests.web.conftest import email
    from tests.web.helpers import sign_in

    set_today(app)
    as_anna(client)
    page = client.get("/patients").text
    assert "for a clinician to interpret" in page and "your clinician interprets it with you" not in page
    client.cookies.clear()
    sign_in(client, email("a1"))
    mine = client.get("/today").text
    assert "your clinician interprets it with you" in mine and "for a clinician to interpret" not in mine
