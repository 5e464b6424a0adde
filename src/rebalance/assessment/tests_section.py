"""Validate the assessment's ``tests`` section against the knowledge base's test definitions.

The knowledge base says, for each test, its layout (sided, whole or per muscle) and its fields
with types and plausible ranges; this module checks a raw section against that and returns
:class:`TestEntry` values plus every problem found, as (field path, why) pairs. Tests, muscles
and compensations may be named as clinicians write them (:mod:`rebalance.knowledge.vocabulary`);
the entries hold the canonical ids and the problems name the words as written.
"""

from __future__ import annotations

import math
from typing import Any

from rebalance.assessment.models import TestEntry
from rebalance.knowledge import vocabulary
from rebalance.knowledge.loader import KnowledgeBase
from rebalance.knowledge.models import Test, TestField
from rebalance.knowledge.queries import suggest

Issue = tuple[str, str]
SIDES = ("left", "right")


def _did_you_mean(wrong: str, valid: Any) -> str:
    hints = suggest(set(valid), wrong)
    return f" (did you mean {', '.join(hints)}?)" if hints else ""


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _check_range(f: TestField, v: float, path: str) -> list[Issue]:
    unit = f" {f.unit}" if f.unit else ""
    if f.min is not None and v < f.min:
        return [(path, f"{v:g}{unit} is below the plausible minimum {f.min:g}{unit}")]
    if f.max is not None and v > f.max:
        return [(path, f"{v:g}{unit} is above the plausible maximum {f.max:g}{unit}")]
    if f.step and abs(v / f.step - round(v / f.step)) > 1e-9:
        return [(path, f"{v:g} is not a multiple of {f.step:g}")]
    return []


def _scalar(f: TestField, v: Any, path: str) -> list[Issue]:
    if f.type == "boolean":
        return [] if isinstance(v, bool) else [(path, f"expected true or false, got {v!r}")]
    if f.type == "enum":
        if isinstance(v, str) and v in f.values:
            return []
        return [(path, f"expected one of {', '.join(f.values)}, got {v!r}")]
    if f.type == "integer" and not (isinstance(v, int) and not isinstance(v, bool)):
        return [(path, f"expected a whole number, got {v!r}")]
    if not _is_number(v):
        return [(path, f"expected a number, got {v!r}")]
    return _check_range(f, float(v), path)


def _value(kb: KnowledgeBase, f: TestField, v: Any, path: str) -> list[Issue]:
    if f.type == "sided_number":
        if not isinstance(v, dict) or not v:
            return [(path, "expected {left: number, right: number}")]
        issues: list[Issue] = []
        for side, x in v.items():
            if side not in SIDES:
                issues.append((f"{path}.{side}", "expected left or right"))
            else:
                issues += _scalar(f.model_copy(update={"type": "number"}), x, f"{path}.{side}")
        return issues
    if f.type == "compensations":
        return _compensations(kb, v, path)
    return _scalar(f, v, path)


# How a measure was taken, beside it (rebalance video): key -> check of its value
QUALITY_KEYS: dict[str, Any] = {
    "view": lambda v: v in ("front", "side"),
    "plane": lambda v: v in ("sagittal", "frontal", "temporal"),
    "visibility": lambda v: _is_number(v) and 0 <= v <= 1,
    "confidence": lambda v: _is_number(v) and 0 <= v <= 1,
    "frames_used": lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0,
    "frames": lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0,
    "accuracy": lambda v: isinstance(v, str),
    "source": lambda v: isinstance(v, str),
    "per_repetition": lambda v: isinstance(v, dict),
    "assessed": lambda v: isinstance(v, list),
    "not_assessed": lambda v: isinstance(v, list),
}


def _quality_record(v: Any, path: str) -> list[Issue]:
    if not isinstance(v, dict):
        return [(path, "expected a quality record {view, plane, visibility, frames_used, frames, confidence, ...}")]
    issues: list[Issue] = []
    for key, x in v.items():
        check = QUALITY_KEYS.get(key)
        if check is None:
            issues.append((f"{path}.{key}", f"unknown key{_did_you_mean(str(key), QUALITY_KEYS)}"))
        elif not check(x):
            issues.append((f"{path}.{key}", f"not a valid {key}: {x!r}"))
    return issues


def _quality(test: Test, raw: Any, path: str) -> list[Issue]:
    """The optional ``quality`` of a test entry: per field, one record (or one per side)."""
    if not isinstance(raw, dict):
        return [(path, "expected a mapping of field to quality record")]
    names = {f.name for f in test.fields}
    issues: list[Issue] = []
    for key, v in raw.items():
        p = f"{path}.{key}"
        if key not in names:
            issues.append((p, f"unknown field for {test.id}{_did_you_mean(str(key), names)}"))
        elif isinstance(v, dict) and v and set(v) <= set(SIDES):
            issues += [i for side, rec in v.items() for i in _quality_record(rec, f"{p}.{side}")]
        else:
            issues += _quality_record(v, p)
    return issues


def _compensations(kb: KnowledgeBase, v: Any, path: str) -> list[Issue]:
    if not isinstance(v, list):
        return [(path, "expected a list of {id, side}")]
    issues: list[Issue] = []
    seen: set[tuple[str, str]] = set()
    for i, item in enumerate(v):
        p = f"{path}[{i}]"
        if not isinstance(item, dict) or "id" not in item:
            issues.append((p, "expected {id: compensation, side: left|right}"))
            continue
        extra = set(item) - {"id", "side", "confidence"}
        issues += [(f"{p}.{k}", "unknown key") for k in sorted(extra)]
        if "confidence" in item and not (_is_number(item["confidence"]) and 0 <= item["confidence"] <= 1):
            issues.append((f"{p}.confidence", f"expected a number from 0 to 1, got {item['confidence']!r}"))
        written = str(item["id"])
        comp = kb.compensations.get(vocabulary.resolve(kb, "compensations", written) or "")
        if comp is None:
            hint = vocabulary.hint(kb, "compensations", written)
            issues.append((f"{p}.id", f"unknown compensation {written!r}{hint}"))
            continue
        side = item.get("side")
        if side is not None and not comp.sided:
            issues.append((f"{p}.side", f"'{comp.id}' is seen in both sides at once and takes no side"))
        elif side is not None and side not in (*SIDES, "both"):
            issues.append((f"{p}.side", f"expected left, right or both, got {side!r}"))
        key = (comp.id, side or "both")
        if key in seen:
            issues.append((p, f"'{comp.id}' is listed twice"))
        seen.add(key)
    return issues


def _fields(kb: KnowledgeBase, test: Test, values: Any, path: str, fields: list[TestField]) -> list[Issue]:
    if not isinstance(values, dict):
        return [(path, f"expected a mapping of {', '.join(f.name for f in fields)}")]
    if not values:
        return [(path, "no measurement given")]
    by_name = {f.name: f for f in fields}
    issues: list[Issue] = []
    for key, v in values.items():
        f = by_name.get(key)
        if f is None:
            if key in SIDES and test.layout == "whole":
                issues.append((f"{path}.{key}", f"'{test.id}' has no sides; give its fields directly"))
            else:
                issues.append((f"{path}.{key}", f"unknown field for {test.id}{_did_you_mean(str(key), by_name)}"))
            continue
        issues += _value(kb, f, v, f"{path}.{key}")
    return issues


def _sided(kb: KnowledgeBase, test: Test, raw: Any, path: str) -> tuple[TestEntry, list[Issue]]:
    entry = TestEntry(test.id, "sided")
    if not isinstance(raw, dict) or not raw:
        return entry, [(path, "expected {left: {...}, right: {...}}")]
    issues: list[Issue] = []
    names = {f.name for f in test.fields}
    for side, values in raw.items():
        if side not in SIDES:
            hint = " (fields go under left: or right:)" if side in names else ""
            issues.append((f"{path}.{side}", f"expected left or right{hint}"))
            continue
        found = _fields(kb, test, values, f"{path}.{side}", test.fields)
        issues += found
        if not found:
            entry.sides[side] = dict(values)
    return entry, issues


def _per_muscle(kb: KnowledgeBase, test: Test, raw: Any, path: str) -> tuple[TestEntry, list[Issue]]:
    entry = TestEntry(test.id, "per_muscle")
    if not isinstance(raw, dict) or not raw:
        return entry, [(path, "expected {muscle: {left: value, right: value}}")]
    measured, extras = test.fields[0], test.fields[1:]
    issues: list[Issue] = []
    named: set[str] = set()
    for written, values in raw.items():
        p = f"{path}.{written}"
        muscle = vocabulary.resolve(kb, "muscles", str(written))
        if muscle is None:
            issues.append((p, f"unknown muscle{vocabulary.hint(kb, 'muscles', str(written))}"))
            continue
        if muscle in named:
            issues.append((p, f"{muscle!r} is given twice"))
            continue
        named.add(muscle)
        if not isinstance(values, dict):
            issues.append((p, "expected {left: value, right: value}"))
            continue
        found: list[Issue] = []
        if not any(s in values for s in SIDES):
            found.append((p, "no left or right value given"))
        for key, v in values.items():
            if key in SIDES:
                found += _scalar(measured, v, f"{p}.{key}")
            elif key in {f.name for f in extras}:
                found += _scalar(next(f for f in extras if f.name == key), v, f"{p}.{key}")
            else:
                found.append(
                    (f"{p}.{key}", f"unknown key{_did_you_mean(str(key), [*SIDES, *(f.name for f in extras)])}")
                )
        found += [(f"{p}.{f.name}", "required") for f in extras if f.name not in values]
        issues += found
        if not found:
            entry.muscles[muscle] = dict(values)
    return entry, issues


def _canonical_whole(kb: KnowledgeBase, test: Test, values: dict[str, Any]) -> dict[str, Any]:
    """A whole test's values with its compensations named by their ids."""
    out = dict(values)
    for f in test.fields:
        if f.type == "compensations" and f.name in out:
            out[f.name] = [
                {**item, "id": vocabulary.resolve(kb, "compensations", str(item["id"]))} for item in out[f.name]
            ]
    return out


def validate_tests(kb: KnowledgeBase, raw: Any) -> tuple[dict[str, TestEntry], list[Issue]]:
    """Validate the raw ``tests`` mapping; return the valid entries and every issue."""
    if raw is None:
        return {}, []
    if not isinstance(raw, dict):
        return {}, [("tests", "expected a mapping of test id to results")]
    entries: dict[str, TestEntry] = {}
    issues: list[Issue] = []
    named: set[str] = set()
    for written, given in raw.items():
        path = f"tests.{written}"
        test = kb.test.get(vocabulary.resolve(kb, "tests", str(written)) or "")
        if test is None:
            issues.append((path, f"unknown test{vocabulary.hint(kb, 'tests', str(written))}"))
            continue
        if test.id in named:
            issues.append((path, f"{test.id!r} is given twice"))
            continue
        named.add(test.id)
        value, quality = given, None
        if isinstance(given, dict) and "quality" in given:
            value = {k: v for k, v in given.items() if k != "quality"}
            quality = given["quality"]
            issues += _quality(test, quality, f"{path}.quality")
        if test.layout == "sided":
            entry, found = _sided(kb, test, value, path)
        elif test.layout == "per_muscle":
            entry, found = _per_muscle(kb, test, value, path)
        else:
            entry, found = TestEntry(test.id, "whole"), _fields(kb, test, value, path, test.fields)
            if not found:
                entry.whole = _canonical_whole(kb, test, value)
        issues += found
        if not found:
            entries[test.id] = entry
            if isinstance(quality, dict):
                entry.quality = dict(quality)
    return entries, issues
