"""The form's inputs, generated: the fixed sections from the contract's models, every test from the knowledge base."""

from __future__ import annotations

import re
import types
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any, Literal, Union, cast, get_args, get_origin

from annotated_types import Ge, Le
from pydantic import BaseModel

from rebalance.assessment.form.model import (
    BOTHERSOME,
    CLIENT_LABELS,
    GENERAL,
    LIFESTYLE_LABELS,
    MINUTES,
    ODI_SECTIONS,
    SIDE_WORDS,
    SIDES,
    START_BACK_ITEMS,
    SYMPTOM_LABELS,
    UNITS,
    AssessmentForm,
    Input,
    Kind,
    LocationRow,
    Row,
    TestBlock,
    Values,
    words,
)
from rebalance.assessment.models import Client, Lifestyle, OneSidedSport, Symptoms
from rebalance.knowledge.loader import KnowledgeBase
from rebalance.knowledge.models import Test, TestField
from rebalance.programs.minutes import MINUTES_RANGE

# --- inputs from the contract's models ------------------------------------------------------------


def _bounds(model: type[BaseModel], name: str) -> tuple[float | None, float | None]:
    metadata = list(model.model_fields[name].metadata)
    annotation = model.model_fields[name].annotation
    for arg in get_args(annotation):  # Annotated inside Optional, e.g. Pain | None
        metadata += list(getattr(arg, "__metadata__", ()))
        for inner in getattr(arg, "__metadata__", ()):
            metadata += list(getattr(inner, "metadata", ()))
    low = next((cast(float, m.ge) for m in metadata if isinstance(m, Ge)), None)
    high = next((cast(float, m.le) for m in metadata if isinstance(m, Le)), None)
    return (None if low is None else float(low)), (None if high is None else float(high))


def _plain(annotation: Any) -> Any:
    """``int | None`` → ``int``; ``Annotated[int, ...]`` → ``int``."""
    if get_origin(annotation) in (Union, types.UnionType):
        annotation = next(a for a in get_args(annotation) if a is not type(None))
    return getattr(annotation, "__origin__", annotation) if hasattr(annotation, "__metadata__") else annotation


def model_input(model: type[BaseModel], name: str, prefix: str, labels: Mapping[str, tuple[str, str]]) -> Input:
    """An input for a field of a contract model: its kind, range and choices from the model itself."""
    info = model.model_fields[name]
    kind_of = _plain(info.annotation)
    label, hint = labels.get(name, (name.replace("_", " ").capitalize(), ""))
    low, high = _bounds(model, name)
    base = Input(name=f"{prefix}.{name}", label=label, kind="text", hint=hint, required=info.is_required())
    if get_origin(kind_of) is Literal:
        return replace(base, kind="choice", options=tuple((v, words(v)) for v in get_args(kind_of)))
    if kind_of is bool:
        return replace(base, kind="boolean")
    if kind_of is int:
        return replace(base, kind="integer", unit=UNITS.get(name, ""), low=low, high=high, step="1")
    if kind_of is float:
        return replace(base, kind="number", unit=UNITS.get(name, ""), low=low, high=high)
    return base


def _checkboxes(name: str, label: str, records: Iterable[Any], hint: str = "", text: str = "name") -> Input:
    options = tuple((r.id, str(getattr(r, text))) for r in records)
    return Input(name=name, label=label, kind="checkboxes", options=options, hint=hint)


def _visit() -> tuple[Input, ...]:
    low, high = MINUTES_RANGE
    return (
        Input(name="date", label="Date of the assessment", kind="date", required=True),
        Input(
            name=MINUTES,
            label="Minutes a session",
            kind="integer",
            unit="min",
            low=low,
            high=high,
            step="1",
            hint="The time the person has for a home session; the program's week is fitted to it.",
            required=True,
        ),
    )


def _client(kb: KnowledgeBase) -> tuple[Input, ...]:
    household = ", ".join(e.id.replace("_", " ") for e in kb.equipment.values() if e.household)
    return (
        *(model_input(Client, n, "client", CLIENT_LABELS) for n in ("id", "age", "sex", "activity_level", "sports")),
        _checkboxes("client.conditions", "Conditions", kb.conditions.values(), "Exercises they rule out never appear."),
        _checkboxes(
            "client.equipment", "Equipment at home", kb.equipment.values(), f"Household items are assumed: {household}."
        ),
    )


def _symptoms(kb: KnowledgeBase) -> tuple[tuple[Input, ...], tuple[Input, ...]]:
    fields = tuple(model_input(Symptoms, n, "symptoms", SYMPTOM_LABELS) for n in SYMPTOM_LABELS)
    activities = kb.activities.values()
    return fields, (
        _checkboxes("symptoms.aggravated_by", "Made worse by", activities),
        _checkboxes("symptoms.eased_by", "Eased by", activities),
    )


def _lifestyle() -> tuple[Input, ...]:
    names = [n for n in Lifestyle.model_fields if n != "one_sided_sport"]
    sport = (
        Input(name="lifestyle.one_sided_sport.sport", label="One-sided sport", kind="text", hint="e.g. golf, tennis"),
        model_input(
            OneSidedSport, "dominant_side", "lifestyle.one_sided_sport", {"dominant_side": ("Its dominant side", "")}
        ),
    )
    inputs = [model_input(Lifestyle, n, "lifestyle", LIFESTYLE_LABELS) for n in names]
    at = names.index("exercise_sessions_per_week") + 1
    return (*inputs[:at], *sport, *inputs[at:])


def _questionnaires() -> tuple[tuple[Input, ...], tuple[Input, ...]]:
    odi = tuple(
        Input(
            name=f"questionnaires.odi[{i}]",
            label=f"{i + 1}. {title}",
            kind="choice",
            options=tuple((str(v), str(v)) for v in range(6)),
        )
        for i, title in enumerate(ODI_SECTIONS)
    )
    agree = (("0", "disagree"), ("1", "agree"))
    bothersome = tuple((str(v), f"{v} — {w}") for v, w in enumerate(BOTHERSOME))
    start = tuple(
        Input(
            name=f"questionnaires.start_back[{i}]",
            label=f"{i + 1}. {text}",
            kind="choice",
            options=bothersome if i == len(START_BACK_ITEMS) - 1 else agree,
        )
        for i, text in enumerate(START_BACK_ITEMS)
    )
    return odi, start


# --- inputs from the knowledge base's tests ----------------------------------------------------------


def field_input(f: TestField, name: str, label: str) -> Input:
    if f.type == "boolean":
        return Input(name=name, label=label, kind="boolean")
    if f.type == "enum":
        return Input(name=name, label=label, kind="choice", options=tuple((v, words(v)) for v in f.values))
    kind: Kind = "integer" if f.type == "integer" else "number"
    step = "1" if f.type == "integer" else (f"{f.step:g}" if f.step else "any")
    return Input(name=name, label=label, kind=kind, unit=f.unit or "", low=f.min, high=f.max, step=step)


FIELD_WORDS = {"deg": "Angle", "seconds": "Time held", "reps": "Repetitions", "anterior_deg": "Anterior tilt"}


def _field_label(f: TestField) -> str:
    if f.name in FIELD_WORDS:
        return FIELD_WORDS[f.name]
    name = f.name.removesuffix("_deg").removesuffix("_s").removesuffix("_mm")
    if name.endswith("_pct"):  # its unit is the field's: "Sway (%)"
        return f"{name.removesuffix('_pct').replace('_', ' ').capitalize()} (%)"
    return name.replace("_", " ").capitalize()


def _hint(f: TestField) -> str:
    """The field's description for a person at the form: its sides are the form's columns."""
    return f.description.replace(", as {left, right}", "").replace(" as {left, right}", "")


def _sided_rows(test: Test) -> list[Row]:
    base = f"tests.{test.id}"
    return [
        Row(
            slot=f"{base}.{f.name}",
            label=_field_label(f),
            hint=_hint(f),
            cells=tuple(field_input(f, f"{base}.{side}.{f.name}", SIDE_WORDS[side]) for side in SIDES),
        )
        for f in test.fields
    ]


def muscles_of(kb: KnowledgeBase, test: Test, values: Values) -> list[str]:
    prefix = f"tests.{test.id}."
    given = {k[len(prefix) :].split(".")[0] for k in values if k.startswith(prefix)}
    extra = sorted(m for m in given if m in kb.muscle and m not in test.targets)
    return [*test.targets, *extra]


def muscle_row(kb: KnowledgeBase, test: Test, muscle: str) -> Row:
    base = f"tests.{test.id}.{muscle}"
    measured, extras = test.fields[0], test.fields[1:]
    cells = [field_input(measured, f"{base}.{side}", SIDE_WORDS[side]) for side in SIDES]
    cells += [field_input(f, f"{base}.{f.name}", _field_label(f)) for f in extras]
    name = kb.muscle[muscle].name if muscle in kb.muscle else muscle
    return Row(slot=base, label=name, hint="", cells=tuple(cells))


def _whole_rows(kb: KnowledgeBase, test: Test) -> list[Row]:
    base = f"tests.{test.id}"
    rows = []
    for f in test.fields:
        if f.type == "compensations":
            rows += _compensation_rows(kb, f"{base}.{f.name}")
            continue
        if f.type == "sided_number":
            cells = tuple(field_input(f, f"{base}.{f.name}.{side}", SIDE_WORDS[side]) for side in SIDES)
        else:
            cells = (field_input(f, f"{base}.{f.name}", _field_label(f)),)
        rows.append(Row(slot=f"{base}.{f.name}", label=_field_label(f), hint=_hint(f), cells=cells))
    return rows


NOTHING_SEEN = "none"  # the compensations' input that says the movement was done and nothing was seen


def _compensation_rows(kb: KnowledgeBase, name: str) -> list[Row]:
    none = Input(
        name=f"{name}.{NOTHING_SEEN}", label="Nothing seen", kind="choice", options=(("seen", "done, none seen"),)
    )
    rows = [Row(slot=none.name, label="Nothing seen", hint="Done, and none of the compensations below.", cells=(none,))]
    for comp in kb.compensations.values():
        sides = (("left", "left"), ("right", "right"), ("both", "both sides"), ("seen", "seen, side not noted"))
        options = sides if comp.sided else (("seen", "seen"),)
        cell = Input(name=f"{name}.{comp.id}", label=comp.name, kind="choice", options=options)
        rows.append(Row(slot=cell.name, label=comp.name, hint=comp.what_you_see, cells=(cell,)))
    return rows


def _test_block(kb: KnowledgeBase, test: Test, values: Values) -> TestBlock:
    if test.layout == "sided":
        rows = _sided_rows(test)
    elif test.layout == "per_muscle":
        rows = [muscle_row(kb, test, m) for m in muscles_of(kb, test, values)]
    else:
        rows = _whole_rows(kb, test)
    prefix = f"tests.{test.id}."
    has_values = any(k.startswith(prefix) and any(v.strip() for v in vs) for k, vs in values.items())
    shown = set(muscles_of(kb, test, values)) if test.layout == "per_muscle" else set()
    addable = tuple((m.id, m.name) for m in kb.muscle.values() if m.id not in shown) if shown else ()
    return TestBlock(test, f"tests.{test.id}", tuple(rows), addable, has_values)


def _tests(kb: KnowledgeBase, values: Values) -> tuple[tuple[str, tuple[TestBlock, ...]], ...]:
    by_category: dict[str, list[TestBlock]] = {}
    for test in kb.test.values():
        by_category.setdefault(test.category, []).append(_test_block(kb, test, values))
    return tuple((category.replace("_", " ").capitalize(), tuple(blocks)) for category, blocks in by_category.items())


# --- the form -------------------------------------------------------------------------------------------


def location_row(kb: KnowledgeBase, index: int) -> LocationRow:
    base = f"symptoms.locations[{index}]"
    regions = tuple((r.id, r.name) for r in kb.regions.values())
    sides = tuple((s, SIDE_WORDS[s]) for s in ("left", "right", "both", "central"))
    return LocationRow(
        index=index,
        region=Input(name=f"{base}.region", label=f"Region {index + 1}", kind="choice", options=regions),
        side=Input(name=f"{base}.side", label=f"Side {index + 1}", kind="choice", options=sides),
    )


LOCATION = re.compile(r"^symptoms\.locations\[(\d+)\]\.")


def location_indexes(values: Values, minimum: int = 3) -> list[int]:
    given = {int(m.group(1)) for k in values if (m := LOCATION.match(k))}
    top = max(given, default=-1)
    return list(range(max(minimum, top + 1)))


def build_form(kb: KnowledgeBase, values: Values) -> AssessmentForm:
    """The form for these values (they decide how many location rows and which extra muscles)."""
    symptoms, activities = _symptoms(kb)
    odi, start_back = _questionnaires()
    tickable = [f for f in kb.red_flags.values() if not f.derived or f.id == "bilateral_leg_symptoms"]
    form = AssessmentForm(
        visit=_visit(),
        client=_client(kb),
        symptoms=symptoms,
        locations=tuple(location_row(kb, i) for i in location_indexes(values)),
        activities=activities,
        red_flags=_checkboxes("red_flags", "Red flags present", tickable, text="question"),
        lifestyle=_lifestyle(),
        odi=odi,
        start_back=start_back,
        tests=_tests(kb, values),
        region_options=tuple((r.id, r.name) for r in kb.regions.values()),
        side_options=tuple((s, SIDE_WORDS[s]) for s in ("left", "right", "both", "central")),
    )
    return _with_slots(form)


def _with_slots(form: AssessmentForm) -> AssessmentForm:
    """The form with every problem slot, in the form's order, and what each is called."""
    labels: dict[str, str] = {GENERAL: "The form", "schema": "The form", "tests": "Tests"}

    def add(slot: str, label: str) -> None:
        labels.setdefault(slot, label)

    for i in form.visit:
        add(i.name, i.label)
    add("client", "Client")
    for i in (*form.client,):
        add(i.name, i.label)
    add("symptoms", "Symptoms")
    for i in form.symptoms:
        add(i.name, i.label)
    add("symptoms.locations", "Where the pain is")
    for loc in form.locations:
        add(loc.slot, f"Where the pain is, row {loc.index + 1}")
        add(loc.region.name, loc.region.label)
        add(loc.side.name, loc.side.label)
    for i in (*form.activities, form.red_flags):
        add(i.name, i.label)
    add("lifestyle", "Lifestyle")
    for i in form.lifestyle:
        add(i.name, i.label)
    add("lifestyle.one_sided_sport", "One-sided sport")
    add("questionnaires", "Questionnaires")
    add("questionnaires.odi", "Oswestry Disability Index")
    for i in form.odi:
        add(i.name, f"ODI section {i.label}")
    add("questionnaires.start_back", "STarT Back")
    for i in form.start_back:
        add(i.name, f"STarT Back item {i.label}")
    for _, blocks in form.tests:
        for block in blocks:
            _test_labels(block, add)
    return replace(form, slots=tuple(labels), labels=labels)


def _test_labels(block: TestBlock, add: Any) -> None:
    name = block.test.name
    add(block.slot, name)
    if block.test.layout == "sided":
        for side in SIDES:
            add(f"{block.slot}.{side}", f"{name}, {side}")
    for row in block.rows:
        add(row.slot, f"{name}: {row.label}")
        for c in row.cells:
            add(c.name, f"{name}: {row.label}" + ("" if c.label == row.label else f", {c.label.lower()}"))
