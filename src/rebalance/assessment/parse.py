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

from rebalance.assessment.models import Assessment, Case
from rebalance.assessment.tests_section import validate_tests
from rebalance.errors import InvalidAssessmentError, Problem
from rebalance.knowledge.loader import KnowledgeBase
from rebalance.knowledge.queries import suggest

try:
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    _Loader = yaml.SafeLoader

LEG_SIDES = ("left", "right", "both")


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
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            parent = _model_at(Assessment, loc)
            names = {f.alias or n for n, f in parent.model_fields.items()} if parent else set()
            hints = suggest(names, str(loc[-1]))
            msg = "unknown key" + (f" (did you mean {', '.join(hints)}?)" if hints else "")
        elif err["type"] == "missing":
            msg = "required"
        issues.append((path, msg))
    return issues


def _ids(values: list[str], valid: Any, path: str, label: str) -> list[tuple[str, str]]:
    issues, seen = [], set()
    for i, value in enumerate(values):
        if value not in valid:
            hints = suggest(set(valid), value)
            hint = f" (did you mean {', '.join(hints)}?)" if hints else ""
            issues.append((f"{path}[{i}]", f"unknown {label} {value!r}{hint}"))
        elif value in seen:
            issues.append((f"{path}[{i}]", f"{value!r} is listed twice"))
        seen.add(value)
    return issues


def _vocabulary_issues(a: Assessment, kb: KnowledgeBase) -> list[tuple[str, str]]:
    issues = _ids(a.client.conditions, kb.conditions, "client.conditions", "condition")
    issues += _ids(a.client.equipment, kb.equipment, "client.equipment", "equipment")
    issues += _ids(
        a.red_flags,
        {k for k, f in kb.red_flags.items() if not f.derived or k == "bilateral_leg_symptoms"},
        "red_flags",
        "red flag",
    )
    issues += _ids(a.symptoms.aggravated_by, kb.activities, "symptoms.aggravated_by", "activity")
    issues += _ids(a.symptoms.eased_by, kb.activities, "symptoms.eased_by", "activity")
    seen: set[tuple[str, str]] = set()
    for i, loc in enumerate(a.symptoms.locations):
        region = kb.regions.get(loc.region)
        path = f"symptoms.locations[{i}]"
        if region is None:
            hints = suggest(set(kb.regions), loc.region)
            issues.append(
                (
                    f"{path}.region",
                    f"unknown region {loc.region!r}" + (f" (did you mean {', '.join(hints)}?)" if hints else ""),
                )
            )
        elif region.leg and loc.side == "central":
            issues.append((f"{path}.side", f"{loc.region} is in the leg: give left, right or both"))
        if (loc.region, loc.side) in seen:
            issues.append((path, f"{loc.region} on {loc.side} is listed twice"))
        seen.add((loc.region, loc.side))
    return issues


def parse_document(data: Any, kb: KnowledgeBase, source: str = "<memory>") -> Case:
    """Validate an already-loaded document; raise InvalidAssessmentError listing every problem."""
    if data is None:
        raise InvalidAssessmentError([Problem(source, "", "the file is empty")])
    if not isinstance(data, dict):
        raise InvalidAssessmentError([Problem(source, "", "expected a mapping at the top level")])
    issues: list[tuple[str, str]] = []
    assessment = None
    fixed = {k: v for k, v in data.items() if k != "tests"}
    try:
        assessment = Assessment.model_validate(fixed)
    except ValidationError as exc:
        issues += _pydantic_issues(exc)
    if assessment is not None:
        issues += _vocabulary_issues(assessment, kb)
    entries, test_issues = validate_tests(kb, data.get("tests"))
    issues += test_issues
    if issues or assessment is None:
        raise InvalidAssessmentError([Problem(source, path, why) for path, why in issues])
    return Case(assessment=assessment, tests=entries, source=source)


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
            return json.loads(text)
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - safe loader
    except json.JSONDecodeError as exc:
        raise InvalidAssessmentError(
            [Problem(name, f"line {exc.lineno}, column {exc.colno}", f"malformed JSON: {exc.msg}")]
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise InvalidAssessmentError(
            [Problem(name, where, f"malformed YAML: {getattr(exc, 'problem', None) or exc}")]
        ) from None


def read_assessment(path: Path, kb: KnowledgeBase) -> Case:
    """Read and validate an assessment file."""
    return parse_document(load_document(path), kb, source=str(path))
