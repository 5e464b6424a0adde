"""The form's values as an assessment document, and a document as the form's values."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rebalance.assessment.form.build import (
    NOTHING_SEEN,
    build_form,
    field_input,
    location_indexes,
    muscle_row,
    muscles_of,
)
from rebalance.assessment.form.model import MINUTES, ODI_SECTIONS, SIDES, START_BACK_ITEMS, Input, Kind, Values
from rebalance.assessment.models import SCHEMA
from rebalance.knowledge.loader import KnowledgeBase
from rebalance.knowledge.models import Test, TestField

# --- values → document ----------------------------------------------------------------------------------

NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


@dataclass
class Submitted:
    """The form's values as an assessment document, the minutes, and where list items came from."""

    document: dict[str, Any]
    minutes: Any
    renames: dict[str, str] = field(default_factory=dict)  # document path → input name, for list items


def _one(values: Values, name: str) -> str:
    got = values.get(name) or [""]
    return str(got[0]).strip()


def _number(text: str) -> Any:
    """A number when it reads as one (a whole one as int), else the text for validation to refuse."""
    if not NUMBER.match(text):
        return text
    value = float(text)
    return int(value) if value.is_integer() and abs(value) < 1e15 else value


def convert(kind: Kind, text: str) -> Any:
    """One input's text as the document's value; None when left empty."""
    if text == "":
        return None
    if kind in ("number", "integer"):
        return _number(text)
    if kind == "boolean":
        return {"true": True, "false": False}.get(text, text)
    return text


def _put(target: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for key in parents:
        target = target.setdefault(key, {})
    target[last] = value


def _inputs_into(doc: dict[str, Any], values: Values, inputs: Iterable[Input]) -> None:
    for item in inputs:
        if item.kind == "checkboxes":
            chosen = [v for v in values.get(item.name, []) if v]
            if chosen:
                _put(doc, item.name, list(dict.fromkeys(chosen)))
            continue
        value = convert(item.kind, _one(values, item.name))
        if value is not None:
            _put(doc, item.name, value)


def _locations(kb: KnowledgeBase, values: Values, submitted: Submitted) -> None:
    out: list[dict[str, str]] = []
    for i in location_indexes(values, minimum=0):
        region, side = _one(values, f"symptoms.locations[{i}].region"), _one(values, f"symptoms.locations[{i}].side")
        if not region and not side:
            continue
        submitted.renames[f"symptoms.locations[{len(out)}]"] = f"symptoms.locations[{i}]"
        out.append({k: v for k, v in (("region", region), ("side", side)) if v})
    if out:
        submitted.document.setdefault("symptoms", {})["locations"] = out


def _list_items(values: Values, names: Sequence[str], path: str) -> list[Any] | None:
    raw = [_one(values, f"{path}[{i}]") for i in range(len(names))]
    if not any(raw):
        return None
    return [_number(v) if v else None for v in raw]


def _test_entry(kb: KnowledgeBase, test: Test, values: Values, submitted: Submitted) -> dict[str, Any]:
    base = f"tests.{test.id}"
    entry: dict[str, Any] = {}
    if test.layout == "sided":
        for side in SIDES:
            got = {
                f.name: v for f in test.fields if (v := _test_value(f, values, f"{base}.{side}.{f.name}")) is not None
            }
            if got:
                entry[side] = got
    elif test.layout == "per_muscle":
        for muscle in muscles_of(kb, test, values):
            row = muscle_row(kb, test, muscle)
            got = {
                c.name.rsplit(".", 1)[1]: v
                for c in row.cells
                if (v := convert(c.kind, _one(values, c.name))) is not None
            }
            if any(side in got for side in SIDES):
                entry[muscle] = got
    else:
        for f in test.fields:
            value = _whole_value(kb, f, values, f"{base}.{f.name}", submitted)
            if value is not None:
                entry[f.name] = value
    if entry and (quality := _video_quality(values, base, entry)):
        entry["quality"] = quality
    return entry


def _video_quality(values: Values, base: str, entry: Mapping[str, Any]) -> Any:
    """The clip's quality records (``<test>.quality``) of the values still as the clip measured them
    (``<test>.measured``): a value the clinician changed or cleared is theirs, and loses the clip's record."""
    text = _one(values, f"{base}.quality")
    if not text:
        return None
    try:
        quality, measured = json.loads(text), json.loads(_one(values, f"{base}.measured") or "{}")
    except ValueError:
        return text  # not the clip's record: validation names it
    if not isinstance(quality, dict) or not isinstance(measured, dict):
        return quality  # validation names it
    kept: dict[str, Any] = {}
    for name, record in quality.items():
        if isinstance(record, dict) and record and set(record) <= set(SIDES):
            sides = {s: r for s, r in record.items() if _as_measured(measured, entry, name, s)}
            if sides:
                kept[name] = sides
        elif _as_measured(measured, entry, name, None):
            kept[name] = record
    return kept or None


def _as_measured(measured: Mapping[str, Any], entry: Mapping[str, Any], name: str, side: str | None) -> bool:
    """Whether the entry's value of ``name`` (on ``side``) is the one the clip measured."""
    clip, form = _at(measured, name, side), _at(entry, name, side)
    return clip is not None and _comparable(clip) == _comparable(form)


def _at(entry: Mapping[str, Any], name: str, side: str | None) -> Any:
    if side is None:
        return entry.get(name)
    by_side = entry.get(side)  # a sided test: {side: {field: value}}
    if isinstance(by_side, dict) and name in by_side:
        return by_side[name]
    sided = entry.get(name)  # a sided number: {field: {side: value}}
    return sided.get(side) if isinstance(sided, dict) else None


def _comparable(value: Any) -> Any:
    """A value as the form gives it back: numbers as floats, compensations as (id, side) in any order
    (the form keeps no compensation's confidence), a mapping item by item."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return round(float(value), 6)
    if isinstance(value, dict):
        return {k: _comparable(v) for k, v in value.items()}
    if isinstance(value, list):
        items = [(i.get("id"), i.get("side")) if isinstance(i, dict) else (str(i), None) for i in value]
        return sorted(items, key=str)
    return value


def _test_value(f: TestField, values: Values, name: str) -> Any:
    return convert(field_input(f, name, "").kind, _one(values, name))


def _whole_value(kb: KnowledgeBase, f: TestField, values: Values, name: str, submitted: Submitted) -> Any:
    if f.type == "sided_number":
        got = {side: v for side in SIDES if (v := convert("number", _one(values, f"{name}.{side}"))) is not None}
        return got or None
    if f.type == "compensations":
        seen: list[dict[str, str]] = []
        for comp in kb.compensations.values():
            side = _one(values, f"{name}.{comp.id}")
            if side:
                submitted.renames[f"{name}[{len(seen)}]"] = f"{name}.{comp.id}"
                seen.append({"id": comp.id} if side == "seen" else {"id": comp.id, "side": side})
        return seen or ([] if _one(values, f"{name}.{NOTHING_SEEN}") else None)
    return _test_value(f, values, name)


def to_document(kb: KnowledgeBase, values: Values) -> Submitted:
    """The submitted values as an assessment document (and the minutes a session, apart)."""
    submitted = Submitted(document={"schema": SCHEMA}, minutes=convert("integer", _one(values, MINUTES)))
    doc = submitted.document
    form = build_form(kb, values)
    _inputs_into(doc, values, [i for i in form.visit if i.name != MINUTES])
    doc.setdefault("client", {})
    _inputs_into(doc, values, [i for i in form.client if i.name != "client.sports"])
    sports = [s.strip() for s in _one(values, "client.sports").split(",") if s.strip()]
    if sports:
        doc["client"]["sports"] = sports
    doc.setdefault("symptoms", {})
    _inputs_into(doc, values, form.symptoms)
    _locations(kb, values, submitted)
    _inputs_into(doc, values, [*form.activities, form.red_flags, *form.lifestyle])
    questionnaires = {
        "odi": _list_items(values, ODI_SECTIONS, "questionnaires.odi"),
        "start_back": _list_items(values, START_BACK_ITEMS, "questionnaires.start_back"),
    }
    if any(v is not None for v in questionnaires.values()):
        doc["questionnaires"] = {k: v for k, v in questionnaires.items() if v is not None}
    tests = {t.id: e for t in kb.test.values() if (e := _test_entry(kb, t, values, submitted))}
    if tests:
        doc["tests"] = tests
    return submitted


# --- document → values ------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _flatten(prefix: str, value: Any, out: dict[str, list[str]]) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            _flatten(f"{prefix}.{key}" if prefix else str(key), inner, out)
    elif value is not None:
        out[prefix] = [_text(value)]


def form_values(kb: KnowledgeBase, document: Mapping[str, Any]) -> dict[str, list[str]]:
    """A document as the form's values (the inverse of :func:`to_document`)."""
    out: dict[str, list[str]] = {}
    doc = dict(document)
    client = dict(doc.pop("client", None) or {})
    symptoms = dict(doc.pop("symptoms", None) or {})
    for key in ("conditions", "equipment"):
        out[f"client.{key}"] = [str(v) for v in client.pop(key, None) or []]
    out["client.sports"] = [", ".join(str(s) for s in client.pop("sports", None) or [])]
    _flatten("client", client, out)
    for i, loc in enumerate(symptoms.pop("locations", None) or []):
        _flatten(f"symptoms.locations[{i}]", loc, out)
    for key in ("aggravated_by", "eased_by"):
        out[f"symptoms.{key}"] = [str(v) for v in symptoms.pop(key, None) or []]
    _flatten("symptoms", symptoms, out)
    out["red_flags"] = [str(v) for v in doc.pop("red_flags", None) or []]
    for key, items in (doc.pop("questionnaires", None) or {}).items():
        for i, v in enumerate(items or []):
            out[f"questionnaires.{key}[{i}]"] = ["" if v is None else _text(v)]
    tests = dict(doc.pop("tests", None) or {})
    for test_id, entry in list(tests.items()):
        if isinstance(entry, dict) and "quality" in entry:  # hidden inputs: the clip's records and values
            tests[test_id] = {k: v for k, v in entry.items() if k != "quality"}
            out[f"tests.{test_id}.quality"] = [json.dumps(entry["quality"])]
            out[f"tests.{test_id}.measured"] = [json.dumps(tests[test_id])]
    for test in kb.test.values():
        for f in test.fields:
            if f.type == "compensations" and isinstance(tests.get(test.id), dict):
                tests[test.id] = dict(tests[test.id])  # a copy: the caller's document stays as it was
                _compensation_values(f"tests.{test.id}.{f.name}", tests[test.id], out)
    _flatten("tests", tests, out)
    doc.pop("schema", None)
    _flatten("", doc, out)
    return out


def _compensation_values(name: str, entry: dict[str, Any], out: dict[str, list[str]]) -> None:
    """Move a compensations list out of a test entry into the form's one-input-per-compensation values."""
    field_name = name.rsplit(".", 1)[1]
    compensations = entry.get(field_name)
    if not isinstance(compensations, list):
        return
    rest = {k: v for k, v in entry.items() if k != field_name}
    entry.clear()
    entry.update(rest)
    for comp in compensations:
        out[f"{name}.{comp['id']}"] = [str(comp.get("side") or "seen")]
    if not compensations:
        out[f"{name}.{NOTHING_SEEN}"] = ["seen"]


def with_measures(kb: KnowledgeBase, values: Values, tests: Mapping[str, Any]) -> dict[str, list[str]]:
    """The form's values with a clip's measured ``tests`` in place of what the form had for those tests."""
    measured = tuple(f"tests.{test_id}." for test_id in tests)
    kept = {k: list(v) for k, v in values.items() if not k.startswith(measured)}
    return {**kept, **{k: v for k, v in form_values(kb, {"tests": tests}).items() if k.startswith("tests.")}}
