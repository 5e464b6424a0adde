"""Read an assessment file and validate it completely, listing every problem at once.

Three layers, all run even when an earlier one fails, so the user sees everything:
the file itself (exists, parses, is a mapping), the fixed sections (pydantic, strict), and the
ids and measurements checked against the knowledge base.

Vocabulary words are taken as clinicians write them - an id, a name or an alias, in any case,
with spaces or hyphens, singular or plural (:mod:`rebalance.knowledge.vocabulary`) - and the
validated case holds the canonical ids; a word that names nothing is refused, as written.
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
from rebalance.knowledge import vocabulary
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


def _word(kb: KnowledgeBase, kind: str, value: str, path: str, allowed: Any = None, derived: Any = ()) -> Issue | None:
    """Why ``value`` does not name a record of ``kind`` (among ``allowed`` when given), or None."""
    rid = vocabulary.resolve(kb, kind, value)
    if rid in derived:
        return path, f"'{rid}' is worked out by rebalance from the assessment; do not tick it"
    if rid is None or (allowed is not None and rid not in allowed):
        return path, f"unknown {vocabulary.VOCABULARIES[kind]} {value!r}{vocabulary.hint(kb, kind, value, allowed)}"
    return None


def _ids(
    kb: KnowledgeBase, kind: str, values: list[Any], path: str, allowed: Any = None, derived: Any = ()
) -> list[Issue]:
    """Each word must name a record of ``kind``, and each record be named once."""
    issues, seen = [], set()
    for i, value in enumerate(values):
        if not isinstance(value, str):
            continue  # the schema reports the wrong type
        issue = _word(kb, kind, value, f"{path}[{i}]", allowed, derived)
        rid = vocabulary.resolve(kb, kind, value)
        if issue:
            issues.append(issue)
        elif rid in seen:
            also = "" if rid == value else f" ({value!r} is {rid})"
            issues.append((f"{path}[{i}]", f"{rid!r} is listed twice{also}"))
        seen.add(rid)
    return issues


def _location_issues(data: Any, kb: KnowledgeBase) -> list[Issue]:
    issues: list[Issue] = []
    seen: set[tuple[Any, Any]] = set()
    for i, loc in enumerate(_strings(data, "symptoms", "locations")):
        if not isinstance(loc, dict) or not isinstance(loc.get("region"), str):
            continue  # the schema reports it
        path, written, side = f"symptoms.locations[{i}]", loc["region"], loc.get("side")
        region_id = vocabulary.resolve(kb, "regions", written)
        if region_id is None:
            issues.append((f"{path}.region", f"unknown region {written!r}{vocabulary.hint(kb, 'regions', written)}"))
        elif kb.regions[region_id].leg and side == "central":
            issues.append((f"{path}.side", f"{region_id} is in the leg: give left, right or both"))
        key = (region_id or written, side)
        if key in seen:
            issues.append((path, f"{key[0]} on {side} is listed twice"))
        seen.add(key)
    return issues


def _at(data: Any, *path: str) -> Any:
    """The value at ``path`` in raw data, or None."""
    for key in path:
        data = data.get(key) if isinstance(data, dict) else None
    return data


def _vocabulary_issues(data: Any, kb: KnowledgeBase) -> list[Issue]:
    """Ids checked against the knowledge base, on the raw data, so they are reported even when
    other parts of the file fail the schema."""
    derived = {k for k, f in kb.red_flags.items() if f.derived and k != "bilateral_leg_symptoms"}
    sport = _at(data, "lifestyle", "one_sided_sport", "sport")
    one_sided = _word(kb, "sports", sport, "lifestyle.one_sided_sport.sport") if isinstance(sport, str) else None
    return [
        *_ids(kb, "conditions", _strings(data, "client", "conditions"), "client.conditions"),
        *_ids(kb, "equipment", _strings(data, "client", "equipment"), "client.equipment"),
        *_ids(kb, "sports", _strings(data, "client", "sports"), "client.sports"),
        *([one_sided] if one_sided else []),
        *_ids(kb, "red_flags", _strings(data, "red_flags"), "red_flags", derived=derived),
        *_ids(kb, "activities", _strings(data, "symptoms", "aggravated_by"), "symptoms.aggravated_by"),
        *_ids(kb, "activities", _strings(data, "symptoms", "eased_by"), "symptoms.eased_by"),
        *_location_issues(data, kb),
    ]


# (section, key) -> vocabulary, for the lists of words in the fixed sections
WORD_LISTS = {
    ("client", "conditions"): "conditions",
    ("client", "equipment"): "equipment",
    ("client", "sports"): "sports",
    ("symptoms", "aggravated_by"): "activities",
    ("symptoms", "eased_by"): "activities",
}


def _canonical(data: dict[str, Any], kb: KnowledgeBase) -> dict[str, Any]:
    """The fixed sections with each word that names a record replaced by its id (the rest as written)."""

    def ids(kind: str, words: Any) -> Any:
        if not isinstance(words, list):
            return words
        return [(vocabulary.resolve(kb, kind, w) or w) if isinstance(w, str) else w for w in words]

    out = {k: v for k, v in data.items() if k != "tests"}
    for (section, key), kind in WORD_LISTS.items():
        if isinstance(out.get(section), dict) and key in out[section]:
            out[section] = {**out[section], key: ids(kind, out[section][key])}
    if "red_flags" in out:
        out["red_flags"] = ids("red_flags", out["red_flags"])
    symptoms = out.get("symptoms")
    if isinstance(symptoms, dict) and isinstance(symptoms.get("locations"), list):
        out["symptoms"] = {
            **symptoms,
            "locations": [
                {**loc, "region": vocabulary.resolve(kb, "regions", loc["region"]) or loc["region"]}
                if isinstance(loc, dict) and isinstance(loc.get("region"), str)
                else loc
                for loc in symptoms["locations"]
            ],
        }
    sport = _at(out, "lifestyle", "one_sided_sport")
    if isinstance(sport, dict) and isinstance(sport.get("sport"), str):
        resolved = vocabulary.resolve(kb, "sports", sport["sport"]) or sport["sport"]
        out["lifestyle"] = {**out["lifestyle"], "one_sided_sport": {**sport, "sport": resolved}}
    return out


def parse_document(data: Any, kb: KnowledgeBase, source: str = "<memory>") -> Case:
    """Validate an already-loaded document; raise InvalidAssessmentError listing every problem."""
    if data is None:
        raise InvalidAssessmentError([Problem(source, "", "the file holds no assessment")])
    if not isinstance(data, dict):
        raise InvalidAssessmentError([Problem(source, "", "expected a mapping at the top level")])
    issues: list[Issue] = []
    assessment = None
    fixed = _canonical(data, kb)
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
    except IsADirectoryError:
        raise InvalidAssessmentError([Problem(name, "", "is a folder, not an assessment file")]) from None
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
