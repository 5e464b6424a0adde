"""Read an assessment file and validate it completely, listing every problem at once.

Three layers, all run even when an earlier one fails, so the user sees everything:
the file itself (exists, parses, is a mapping), the fixed sections (pydantic, strict), and the
ids and measurements checked against the knowledge base.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from rebalance import yamlio
from rebalance.assessment.models import Assessment, Case
from rebalance.assessment.tests_section import validate_tests
from rebalance.errors import InvalidAssessmentError, Problem
from rebalance.fields import problem
from rebalance.knowledge.loader import KnowledgeBase
from rebalance.knowledge.queries import suggest

Issue = tuple[str, str]


def _loc(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out.lstrip(".")


def _model_at(model: type[BaseModel], loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    """The model class a pydantic error location points into (for did-you-mean on extras)."""
    current: Any = model
    for part in loc[:-1]:
        if isinstance(part, int) or not (isinstance(current, type) and issubclass(current, BaseModel)):
            continue
        info = current.model_fields.get(part) or next(
            (f for f in current.model_fields.values() if f.alias == part), None
        )
        if info is None:
            return None
        ann = info.annotation
        current = next(
            (a for a in getattr(ann, "__args__", (ann,)) if isinstance(a, type) and issubclass(a, BaseModel)), ann
        )
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _pydantic_issues(exc: ValidationError) -> list[tuple[str, str]]:
    issues = []
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith(("function-", "list["))))
        path = _loc(loc) or "(top level)"
        if err["type"] == "extra_forbidden":
            parent = _model_at(Assessment, loc)
            names = {f.alias or n for n, f in parent.model_fields.items()} if parent else set()
            hints = suggest(names, str(loc[-1]))
            msg = "unknown key" + (f" (did you mean {', '.join(hints)}?)" if hints else "")
        else:
            msg = problem(err)
        issues.append((path, msg))
    return issues


def _strings(data: Any, *path: str) -> list[Any]:
    """The list at ``path`` in raw data, or [] when it is absent or not a list."""
    for key in path:
        data = data.get(key) if isinstance(data, dict) else None
    return data if isinstance(data, list) else []


def _ids(values: list[Any], valid: Any, path: str, label: str, derived: Any = ()) -> list[Issue]:
    issues, seen = [], set()
    for i, value in enumerate(values):
        if not isinstance(value, str):
            continue  # the schema reports the wrong type
        if value in derived:
            issues.append((f"{path}[{i}]", f"'{value}' is worked out by rebalance from the assessment; do not tick it"))
        elif value not in valid:
            hints = suggest(set(valid), value)
            hint = f" (did you mean {', '.join(hints)}?)" if hints else ""
            issues.append((f"{path}[{i}]", f"unknown {label} {value!r}{hint}"))
        elif value in seen:
            issues.append((f"{path}[{i}]", f"{value!r} is listed twice"))
        seen.add(value)
    return issues


def _location_issues(data: Any, kb: KnowledgeBase) -> list[Issue]:
    issues: list[Issue] = []
    seen: set[tuple[Any, Any]] = set()
    for i, loc in enumerate(_strings(data, "symptoms", "locations")):
        if not isinstance(loc, dict) or not isinstance(loc.get("region"), str):
            continue  # the schema reports it
        path, region_id, side = f"symptoms.locations[{i}]", loc["region"], loc.get("side")
        region = kb.regions.get(region_id)
        if region is None:
            hints = suggest(set(kb.regions), region_id)
            hint = f" (did you mean {', '.join(hints)}?)" if hints else ""
            issues.append((f"{path}.region", f"unknown region {region_id!r}{hint}"))
        elif region.leg and side == "central":
            issues.append((f"{path}.side", f"{region_id} is in the leg: give left, right or both"))
        if (region_id, side) in seen:
            issues.append((path, f"{region_id} on {side} is listed twice"))
        seen.add((region_id, side))
    return issues


def _vocabulary_issues(data: Any, kb: KnowledgeBase) -> list[Issue]:
    """Ids checked against the knowledge base, on the raw data, so they are reported even when
    other parts of the file fail the schema."""
    derived = {k for k, f in kb.red_flags.items() if f.derived and k != "bilateral_leg_symptoms"}
    tickable = set(kb.red_flags) - derived
    return [
        *_ids(_strings(data, "client", "conditions"), kb.conditions, "client.conditions", "condition"),
        *_ids(_strings(data, "client", "equipment"), kb.equipment, "client.equipment", "equipment"),
        *_ids(_strings(data, "red_flags"), tickable, "red_flags", "red flag", derived),
        *_ids(_strings(data, "symptoms", "aggravated_by"), kb.activities, "symptoms.aggravated_by", "activity"),
        *_ids(_strings(data, "symptoms", "eased_by"), kb.activities, "symptoms.eased_by", "activity"),
        *_location_issues(data, kb),
    ]


def parse_document(data: Any, kb: KnowledgeBase, source: str = "<memory>") -> Case:
    """Validate an already-loaded document; raise InvalidAssessmentError listing every problem."""
    if data is None:
        raise InvalidAssessmentError([Problem(source, "", "the file holds no assessment")])
    if not isinstance(data, dict):
        raise InvalidAssessmentError([Problem(source, "", "expected a mapping at the top level")])
    issues: list[Issue] = []
    assessment = None
    fixed = {k: v for k, v in data.items() if k != "tests"}
    try:
        assessment = Assessment.model_validate(fixed)
    except ValidationError as exc:
        issues += _pydantic_issues(exc)
    issues += _vocabulary_issues(data, kb)
    entries, test_issues = validate_tests(kb, data.get("tests"))
    issues += test_issues
    if issues or assessment is None:
        raise InvalidAssessmentError([Problem(source, path, why) for path, why in issues])
    return Case(assessment=assessment, tests=entries, source=source)


def _json_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r}")
        out[key] = value
    return out


def load_document(path: Path) -> Any:
    """Read a YAML or JSON file into Python data; raise InvalidAssessmentError if unreadable."""
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidAssessmentError([Problem(name, "", "no such file")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidAssessmentError([Problem(name, "", f"cannot read: {exc}")]) from None
    if not text.strip():
        raise InvalidAssessmentError([Problem(name, "", "the file is empty")])
    try:
        if path.suffix.lower() == ".json":
            return json.loads(text, object_pairs_hook=_json_object)
        return yamlio.load(text)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        raise InvalidAssessmentError([Problem(name, where, f"malformed JSON: {exc.msg}")]) from None
    except ValueError as exc:  # a duplicate key in JSON
        raise InvalidAssessmentError([Problem(name, "", f"malformed JSON: {exc}")]) from None
    except yaml.YAMLError as exc:
        where, why = yamlio.describe(exc, text)
        raise InvalidAssessmentError([Problem(name, where, f"malformed YAML: {why}")]) from None


def read_assessment(path: Path, kb: KnowledgeBase) -> Case:
    """Read and validate an assessment file."""
    return parse_document(load_document(path), kb, source=str(path))
