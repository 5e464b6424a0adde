"""The new-assessment form: every input of the contract's assessment file, and back to a document.

Each input is named by its field path in the assessment document (contract ``rebalance.assessment/1``)
— ``client.age``, ``symptoms.locations[0].region``, ``red_flags``,
``tests.modified_thomas.left.thigh_above_horizontal_deg``, ``tests.mmt.gluteus_medius.right``,
``questionnaires.odi[6]`` — so each problem ``parse_document`` reports lands next to its input.

The inputs are generated, not written out: the fixed sections from the contract's models
(:mod:`rebalance.assessment.models`: types, ranges and choices), the vocabularies (conditions,
equipment, regions, activities, red flags with their plain question) and every test from the knowledge
base's definitions (fields, types, units, ranges, per side, per muscle or whole).

    build_form(kb, values) -> AssessmentForm        what the template draws (values: the form's raw values)
    to_document(kb, values) -> Submitted            the values as an assessment document, and the minutes
    form_values(kb, document) -> Values             the inverse: a document as the form's values
    place(problems, form, submitted) -> {slot: [messages]}   each problem at its input (or its group)

An empty input is a value not given: a test with no value is not done (unknown, never normal). A value
that is not a number stays text, so the document's validation says so at the right path.
"""

from __future__ import annotations

import re
import types
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, Union, cast, get_args, get_origin

from annotated_types import Ge, Le
from pydantic import BaseModel

from rebalance.assessment.models import SCHEMA, Client, Lifestyle, OneSidedSport, Symptoms
from rebalance.errors import Problem
from rebalance.knowledge.loader import KnowledgeBase
from rebalance.knowledge.models import Test, TestField
from rebalance.programs.minutes import MINUTES_RANGE

Values = Mapping[str, Sequence[str]]
Kind = Literal["number", "integer", "text", "date", "choice", "boolean", "checkboxes"]
SIDES = ("left", "right")
SIDE_WORDS = {"left": "Left", "right": "Right", "both": "Both sides", "central": "Central"}
MINUTES = "minutes"
GENERAL = ""  # the slot of problems that belong to no input

# Section titles of the Oswestry Disability Index 2.1a (fairbank_2000) and the topics of the STarT Back
# items (hill_2008), in our words: labels only; the scoring is the library's (assessment/scores.py).
ODI_SECTIONS = (
    "Pain intensity",
    "Personal care (washing, dressing)",
    "Lifting",
    "Walking",
    "Sitting",
    "Standing",
    "Sleeping",
    "Sex life",
    "Social life",
    "Travelling",
)
START_BACK_ITEMS = (
    "Back pain has spread down the leg(s) in the last 2 weeks",
    "Pain in the shoulder or neck in the last 2 weeks",
    "Has only walked short distances because of the back pain",
    "Has dressed more slowly than usual because of the back pain",
    "Thinks it is not really safe to be physically active",
    "Worrying thoughts have been going through their mind a lot",
    "Feels the back pain is terrible and will never get any better",
    "Has not enjoyed the things they used to enjoy",
    "Overall, how bothersome the back pain has been in the last 2 weeks",
)
BOTHERSOME = ("not at all", "slightly", "moderately", "very much", "extremely")

CLIENT_LABELS = {
    "id": ("Client id", "Your own reference for this person (optional)."),
    "age": ("Age", ""),
    "sex": ("Sex", ""),
    "activity_level": ("Activity level", ""),
    "sports": ("Sports", "Separate several with commas, e.g. cycling, golf."),
}
SYMPTOM_LABELS = {
    "pain_now": ("Pain now", "0 no pain … 10 worst imaginable."),
    "pain_worst_week": ("Worst pain this week", "Not lower than the pain now."),
    "duration_weeks": ("Duration", "Weeks since this episode began."),
}
LIFESTYLE_LABELS = {
    "sitting_hours_per_day": ("Sitting a day", ""),
    "sits_with_feet_turned_out": ("Sits with the feet turned out", ""),
    "sits_on_back_pocket_wallet": ("Sits on a wallet in a back pocket", ""),
    "stands_on_one_leg": ("Stands mostly on one leg", ""),
    "carries_bag_on": ("Carries a bag on", ""),
    "lifting": ("Lifting", ""),
    "exercise_sessions_per_week": ("Exercise sessions a week", ""),
    "sleep_position": ("Sleep position", ""),
    "mattress": ("Mattress", ""),
    "stress_level": ("Stress", "0 none … 10 extreme."),
}
UNITS = {"sitting_hours_per_day": "h", "duration_weeks": "weeks", "pain_now": "/10", "pain_worst_week": "/10"}
WORDS = {
    "side_left": "on the left side",
    "side_right": "on the right side",
    "no": "no",
    "frequent_heavy": "frequent, heavy",
}


def slot_id(name: str) -> str:
    """An HTML id for an input or a slot: ``tests.mmt.gluteus_medius.left`` → ``f-tests-mmt-gluteus_medius-left``."""
    return "f-" + (re.sub(r"[^A-Za-z0-9_]+", "-", name).strip("-") or "general")


def _words(value: str) -> str:
    return WORDS.get(value, value.replace("_", " "))


@dataclass(frozen=True)
class Input:
    """One input: named by its document path; what it takes; how it is labelled."""

    name: str
    label: str
    kind: Kind
    unit: str = ""
    low: float | None = None
    high: float | None = None
    step: str = "any"
    options: tuple[tuple[str, str], ...] = ()  # (value, label); checkboxes: (value, label or question)
    hint: str = ""
    required: bool = False

    @property
    def id(self) -> str:
        return slot_id(self.name)

    @property
    def range_text(self) -> str:
        if self.low is None and self.high is None:
            return ""
        low = "" if self.low is None else f"{self.low:g}"
        high = "" if self.high is None else f"{self.high:g}"
        unit = f" {self.unit}" if self.unit and not self.unit.startswith("/") else ""
        return f"{low} to {high}{unit}" if low and high else (f"from {low}{unit}" if low else f"up to {high}{unit}")


@dataclass(frozen=True)
class Row:
    """A line of a test: a field (or a muscle, or a compensation) and its inputs, e.g. left and right."""

    slot: str
    label: str
    hint: str
    cells: tuple[Input, ...]


@dataclass(frozen=True)
class TestBlock:
    """One test of the knowledge base, as inputs."""

    test: Test
    slot: str
    rows: tuple[Row, ...]
    add_muscle: tuple[tuple[str, str], ...] = ()  # per-muscle tests: muscles that may be added
    has_values: bool = False


@dataclass(frozen=True)
class LocationRow:
    index: int
    region: Input
    side: Input

    @property
    def slot(self) -> str:
        return f"symptoms.locations[{self.index}]"


@dataclass(frozen=True)
class AssessmentForm:
    """Everything the template draws, grouped as the contract's sections."""

    visit: tuple[Input, ...]
    client: tuple[Input, ...]
    symptoms: tuple[Input, ...]
    locations: tuple[LocationRow, ...]
    activities: tuple[Input, ...]
    red_flags: Input
    lifestyle: tuple[Input, ...]
    odi: tuple[Input, ...]
    start_back: tuple[Input, ...]
    tests: tuple[tuple[str, tuple[TestBlock, ...]], ...]  # by category
    region_options: tuple[tuple[str, str], ...]
    side_options: tuple[tuple[str, str], ...]
    slots: tuple[str, ...] = field(default=())  # every place a problem can be shown, in the form's order
    labels: Mapping[str, str] = field(default_factory=dict)  # what each slot is called

    def all_inputs(self) -> Iterable[Input]:
        yield from (*self.visit, *self.client, *self.symptoms, *self.activities, self.red_flags, *self.lifestyle)
        yield from (*self.odi, *self.start_back)
        for loc in self.locations:
            yield from (loc.region, loc.side)
        for _, blocks in self.tests:
            for block in blocks:
                for row in block.rows:
                    yield from row.cells


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
        return replace(base, kind="choice", options=tuple((v, _words(v)) for v in get_args(kind_of)))
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


def _test_input(f: TestField, name: str, label: str) -> Input:
    if f.type == "boolean":
        return Input(name=name, label=label, kind="boolean")
    if f.type == "enum":
        return Input(name=name, label=label, kind="choice", options=tuple((v, _words(v)) for v in f.values))
    kind: Kind = "integer" if f.type == "integer" else "number"
    step = "1" if f.type == "integer" else (f"{f.step:g}" if f.step else "any")
    return Input(name=name, label=label, kind=kind, unit=f.unit or "", low=f.min, high=f.max, step=step)


FIELD_WORDS = {"deg": "Angle", "seconds": "Time held", "reps": "Repetitions", "anterior_deg": "Anterior tilt"}


def _field_label(f: TestField) -> str:
    if f.name in FIELD_WORDS:
        return FIELD_WORDS[f.name]
    return f.name.removesuffix("_deg").removesuffix("_s").removesuffix("_mm").replace("_", " ").capitalize()


def _sided_rows(test: Test) -> list[Row]:
    base = f"tests.{test.id}"
    return [
        Row(
            slot=f"{base}.{f.name}",
            label=_field_label(f),
            hint=f.description,
            cells=tuple(_test_input(f, f"{base}.{side}.{f.name}", SIDE_WORDS[side]) for side in SIDES),
        )
        for f in test.fields
    ]


def _muscles(kb: KnowledgeBase, test: Test, values: Values) -> list[str]:
    prefix = f"tests.{test.id}."
    given = {k[len(prefix) :].split(".")[0] for k in values if k.startswith(prefix)}
    extra = sorted(m for m in given if m in kb.muscle and m not in test.targets)
    return [*test.targets, *extra]


def muscle_row(kb: KnowledgeBase, test: Test, muscle: str) -> Row:
    base = f"tests.{test.id}.{muscle}"
    measured, extras = test.fields[0], test.fields[1:]
    cells = [_test_input(measured, f"{base}.{side}", SIDE_WORDS[side]) for side in SIDES]
    cells += [_test_input(f, f"{base}.{f.name}", _field_label(f)) for f in extras]
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
            cells = tuple(_test_input(f, f"{base}.{f.name}.{side}", SIDE_WORDS[side]) for side in SIDES)
        else:
            cells = (_test_input(f, f"{base}.{f.name}", _field_label(f)),)
        rows.append(Row(slot=f"{base}.{f.name}", label=_field_label(f), hint=f.description, cells=cells))
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
        rows = [muscle_row(kb, test, m) for m in _muscles(kb, test, values)]
    else:
        rows = _whole_rows(kb, test)
    prefix = f"tests.{test.id}."
    has_values = any(k.startswith(prefix) and any(v.strip() for v in vs) for k, vs in values.items())
    shown = set(_muscles(kb, test, values)) if test.layout == "per_muscle" else set()
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


def _location_indexes(values: Values, minimum: int = 3) -> list[int]:
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
        locations=tuple(location_row(kb, i) for i in _location_indexes(values)),
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
    for i in _location_indexes(values, minimum=0):
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
        for muscle in _muscles(kb, test, values):
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
    return entry


def _test_value(f: TestField, values: Values, name: str) -> Any:
    return convert(_test_input(f, name, "").kind, _one(values, name))


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


# --- problems → inputs --------------------------------------------------------------------------------------

_PARENT = re.compile(r"(\.[^.\[\]]+|\[\d+\])$")


def _renamed(path: str, renames: Mapping[str, str]) -> str:
    for doc_path in sorted(renames, key=len, reverse=True):
        if path == doc_path or path.startswith((f"{doc_path}.", f"{doc_path}[")):
            return renames[doc_path] + path[len(doc_path) :]
    return path


def slot_for(path: str, slots: set[str], renames: Mapping[str, str]) -> str:
    """The input (or the nearest group) a document path's problem is shown at."""
    current = _renamed(path, renames)
    if current.startswith(("client.conditions[", "client.equipment[", "client.sports[", "red_flags[")):
        current = current.split("[")[0]
    if re.match(r"^symptoms\.(aggravated_by|eased_by)\[", current):
        current = current.split("[")[0]
    while current:
        if current in slots:
            return current
        parent = _PARENT.sub("", current)
        if parent == current:
            break
        current = parent
    return GENERAL


def place(problems: Iterable[Problem], form: AssessmentForm, submitted: Submitted) -> dict[str, list[str]]:
    """Every problem at its input's slot (a path with no input of its own goes to its group, or the top)."""
    slots = set(form.slots)
    placed: dict[str, list[str]] = {}
    for problem in problems:
        slot = slot_for(problem.path, slots, submitted.renames)
        message = problem.message
        if problem.path.startswith("questionnaires.start_back[") and message.endswith("got None"):
            message = "not answered: answer all nine items, or none"
        shown_at = _renamed(problem.path, submitted.renames)
        text = message if slot in (shown_at, problem.path) or not problem.path else f"{problem.path}: {message}"
        placed.setdefault(slot, []).append(text)
    order = {slot: i for i, slot in enumerate(form.slots)}
    return dict(sorted(placed.items(), key=lambda pair: order.get(pair[0], -1)))
