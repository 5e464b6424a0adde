"""The contract other programs depend on: the repository's copy is the shared one word for word, then the
additions, and every field and example of the additions is what the code writes and reads."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from rebalance.api import analyse_document
from rebalance.errors import InvalidInputError
from rebalance.knowledge.loader import KnowledgeBase
from rebalance.programs.logs import Entry, parse_logs
from rebalance.storage.schemas import VideoJobPublic
from rebalance.storage.types import JobStatus
from rebalance.video.uploads import MOVEMENTS, VIEWS
from rebalance.web.patient_schemas import ExerciseLogged
from rebalance.web.routes.assessments import router as assessment_pages

ROOT = Path(__file__).resolve().parents[1]
CONTRACT = ROOT / "spec" / "CONTRACT.md"
SHARED = ROOT.parent / "shared" / "spec" / "CONTRACT.md"
ADDITIONS = "## Additions (2026-12-07, later): what the code added since"


def _additions() -> str:
    text = CONTRACT.read_text(encoding="utf-8")
    return text[text.index(ADDITIONS) :]


def _part(title: str) -> str:
    """One addition: from its bold title to the next."""
    text = _additions()
    start = text.index(f"**{title}")
    end = text.find("\n**", start + 1)
    return text[start : end if end != -1 else None]


def _blocks(part: str, lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", part, re.S)


def _rows(part: str) -> dict[str, str]:
    """The rows of the part's table by their first cell ("`exercise_id`, `name`, `addresses`")."""
    return {line.split("|")[1].strip(): line for line in part.splitlines() if line.startswith("| `")}


def _names(cell: str) -> list[str]:
    return re.findall(r"`([a-z_]+)`", cell)


def _fields(part: str) -> list[str]:
    """The field names the part's table lists (its rows' first cells)."""
    return [name for first in _rows(part) for name in _names(first)]


def _said(part: str, field: str) -> list[str]:
    """The names a field's row says in its type and meaning: a record's own fields, a vocabulary."""
    row = _rows(part)[f"`{field}`"]
    return _names("|".join(row.split("|")[2:]))


@pytest.fixture(scope="module")
def short_week(kb: KnowledgeBase) -> dict[str, Any]:
    """The contract's example at 5 minutes a session: items fitted, some left out, walking built up."""
    data = yaml.safe_load((ROOT / "examples" / "contract_example.yaml").read_text(encoding="utf-8"))
    doc = analyse_document(data, kb, minutes=5)
    assert doc["program"]["left_out"], "5 minutes a session must leave an item out for these checks"
    return dict(doc["program"])


@pytest.fixture(scope="module")
def aerobic_item(kb: KnowledgeBase) -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "examples" / "piriformis_right.yaml").read_text(encoding="utf-8"))
    program = analyse_document(data, kb, minutes=10)["program"]
    return next(i for i in program["items"] if i["intent"] == "aerobic")


def test_the_repository_copy_is_the_shared_contract_word_for_word_then_the_additions() -> None:
    if not SHARED.exists():
        pytest.skip("shared/spec not beside the repo")
    shared, ours = SHARED.read_text(encoding="utf-8").rstrip("\n"), CONTRACT.read_text(encoding="utf-8")
    assert ours.startswith(shared)
    assert ours[len(shared) :].lstrip("\n").startswith(ADDITIONS)


def test_the_item_example_has_every_field_an_aerobic_item_has_and_in_the_same_shape(
    aerobic_item: dict[str, Any],
) -> None:
    part = _part("Program items")
    (example,) = [json.loads(b) for b in _blocks(part, "json")]
    assert set(_fields(part)) - {"sets", "reps", "hold_s", "days_per_week"} <= set(aerobic_item)
    assert set(example) <= set(aerobic_item)
    for field in ("dosage", "prescribed", "build_up"):
        assert set(example[field]) == set(aerobic_item[field]), field
    assert set(example["dosage"]) == set(aerobic_item["prescribed"])
    assert aerobic_item["why"].endswith(aerobic_item["build_up"]["text"])
    assert set(aerobic_item["dosage"]) <= set(_said(part, "dosage"))
    assert set(aerobic_item["build_up"]) <= set(_said(part, "build_up"))


@pytest.mark.parametrize("minutes", [5, 10, 20, 45])
def test_every_item_is_as_the_contract_says_whatever_the_minutes(kb: KnowledgeBase, minutes: int) -> None:
    """``dosage`` never exceeds ``prescribed``; ``key`` a boolean; ``build_up`` on aerobic items only."""
    for path in sorted((ROOT / "examples").glob("*.yaml")):
        program = analyse_document(yaml.safe_load(path.read_text(encoding="utf-8")), kb, minutes=minutes)["program"]
        for item in (program or {}).get("items", []):
            done, asked = item["dosage"], item["prescribed"]
            assert set(done) == set(asked) and done["kind"] in ("timed", "hold", "reps"), (
                path.name,
                item["exercise_id"],
            )
            for field in ("sets", "minutes", "days_per_week"):
                assert (done[field] or 0) <= (asked[field] or 0), (path.name, item["exercise_id"], field)
            assert isinstance(item["key"], bool)
            assert ("build_up" in item) == (item["intent"] == "aerobic"), (path.name, item["exercise_id"])


def test_the_left_out_example_has_the_fields_the_week_writes(short_week: dict[str, Any]) -> None:
    part = _part("What the week could not hold")
    (block,) = _blocks(part, "json")
    (example,) = json.loads("{" + block + "}")["left_out"]
    for left in short_week["left_out"]:
        assert set(example) == set(left) == set(_fields(part))
        assert left["minutes_to_fit"] is None or 5 < left["minutes_to_fit"] <= 240
        assert left["text"] in short_week["warnings"]
        assert left["item"]["exercise_id"] == left["exercise_id"] and "prescribed" in left["item"]
        assert left["exercise_id"] not in {i["exercise_id"] for i in short_week["items"]}


def test_the_logs_example_is_read_and_minutes_is_bounded_in_the_file_and_the_api() -> None:
    part = _part("Session logs: minutes")
    (block,) = _blocks(part, "yaml")
    logs = parse_logs(yaml.safe_load(block))
    walk = logs.for_exercise("walking")[0][1]
    assert walk.minutes == 15
    assert _fields(part) == ["minutes"]
    for model in (Entry, ExerciseLogged):
        assert "minutes" in model.model_fields
        model(exercise_id="walking", done=True, minutes=600, pain_during=0)
        with pytest.raises(ValidationError):
            model(exercise_id="walking", done=True, minutes=601, pain_during=0)
    with pytest.raises(InvalidInputError):
        parse_logs({**yaml.safe_load(block), "sessions": [{"date": "2026-11-23", "entries": [{"minutes": 15}]}]})


def test_the_video_job_example_is_a_stored_job_and_its_vocabularies_are_the_apps(kb: KnowledgeBase) -> None:
    part = _part("Video jobs in the clinic app")
    (block,) = _blocks(part, "json")
    example = json.loads(block)
    job = VideoJobPublic.model_validate(example)
    assert set(example) == set(VideoJobPublic.model_fields) == set(_fields(part))
    assert job.result is not None and set(job.result["tests"]) <= set(kb.test)
    assert _said(part, "status") == [s.value for s in JobStatus]
    assert _said(part, "movement") == list(MOVEMENTS)
    assert set(_said(part, "view")) == {v for v in VIEWS if v}


def test_the_video_requests_the_contract_names_are_the_apps() -> None:
    requests = re.findall(r"^\| `(GET|POST) (/[^`]+)`", _part("Video jobs in the clinic app"), re.M)
    served = {(method, route.path) for route in assessment_pages.routes for method in getattr(route, "methods", ())}
    assert len(requests) == 3
    assert set(requests) <= served
