"""``rebalance explain ID``: teach what a record is and how it connects to the rest.

One renderer per kind turns a record into sections of plain text; the connections (which
patterns a muscle takes part in, which tests measure it, which exercises address it) are
looked up in both directions, and every cited source is listed in full at the end.

The text names everything in words, like every text a person reads (:mod:`rebalance.knowledge.words`):
records by their names, findings by :func:`finding_words`, sources by author and year, a measure by
its field in words; never an id. ``rebalance explain ID --json`` gives the same blocks as data, each
with its record as the knowledge base holds it (ids included), for a program to follow the links.
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from pydantic import BaseModel

from rebalance.errors import UnknownIdError
from rebalance.knowledge import models as m
from rebalance.knowledge.loader import KnowledgeBase
from rebalance.knowledge.queries import addressing_index, exercise_addresses, suggest
from rebalance.knowledge.vocabulary import VOCABULARIES, did_you_mean, resolve
from rebalance.knowledge.words import OPS, capital, citation, join, number, quantity, running

Section = tuple[str, list[str]]


def _names(kb: KnowledgeBase, kind: str, ids: Iterable[str]) -> str:
    """The records' names: "Gluteus maximus, Hamstrings" ("none" for no record)."""
    records = kb.records[kind]
    return ", ".join(str(records[i].name) if i in records else _words(i) for i in ids) or "none"


def _words(value: str) -> str:
    """A value of the data (an enum, a name the knowledge base does not hold) in words: "nerve glide"."""
    return value.replace("_", " ")


def _cite(kb: KnowledgeBase, source_id: str | None) -> str:
    """A source as the text cites it after a claim: " (Fishman et al. 2002)"; nothing without one."""
    return f" ({citation(kb, source_id)})" if source_id else ""


UNIT_SUFFIXES = ("_deg", "_mm", "_s", "_pct", "_cm", "_kg")


def _field_words(name: str) -> str:
    """A measure's field in words, its unit said by the value: "thigh_above_horizontal_deg" -> "thigh above
    horizontal", "angle_deg" -> "angle"."""
    for suffix in UNIT_SUFFIXES:
        if name.endswith(suffix) and name != suffix[1:]:
            name = name.removesuffix(suffix)
            break
    return _words(name)


def _condition_words(field: str, op: str, value: Any, unit: str | None = None) -> str:
    """A comparison on a field in words: "thigh above horizontal over 0°", "positive", "not thigh abducted"."""
    name = _field_words(field)
    if isinstance(value, bool):
        return name if (value is True) == (op == "eq") else f"not {name}"
    if op == "between" and isinstance(value, tuple | list):
        return f"{name} between {quantity(value[0], unit)} and {quantity(value[1], unit)}"
    if isinstance(value, str):
        return f"{name} {'not ' if op == 'ne' else ''}{_words(value)}"
    if isinstance(value, list):
        return f"{name} {join([_words(str(v)) for v in value], 'or')}"
    word = OPS.get(op) or {"eq": "of", "ne": "other than", "in": "one of", "set": "given"}.get(op, op)
    return f"{name} {word} {quantity(value, unit)}" if value is not None else f"{name} {word}"


def finding_words(kb: KnowledgeBase, finding_id: str) -> str:
    """``tight:piriformis:right`` → "Tight or overactive: Piriformis (right)" (the side only when the id has
    one): the one wording of a finding, in ``explain``, the patient's learn pages and the clinician's pages."""
    kind, _, rest = finding_id.partition(":")
    target, _, side = rest.partition(":")
    label = kb.finding_kinds[kind].name if kind in kb.finding_kinds else kind
    return f"{label}: {target_name(kb, target)}" + (f" ({side})" if side else "")


_NAMED_KINDS = ("muscles", "structures", "tests", "ratios", "compensations")
"""The records a finding's target can be, looked up in this order."""


def target_name(kb: KnowledgeBase, target: str) -> str:
    """The name of a finding's target (a muscle, structure, test, ratio or compensation), else the id in words."""
    for kind in _NAMED_KINDS:
        records = kb.records.get(kind, {})
        if target in records:
            return str(records[target].name)
    return target.replace("_", " ")


def _patterns_with(kb: KnowledgeBase, fids: set[str]) -> list[str]:
    return [p.id for p in kb.pattern.values() if fids & {s.finding for s in p.signs}]


def _tests_for_muscle(kb: KnowledgeBase, muscle_id: str) -> list[str]:
    out = []
    for t in kb.test.values():
        norm_targets = {n.finding.target for n in t.norms}
        if muscle_id in t.targets or muscle_id in norm_targets:
            out.append(t.id)
    return out


def _muscle(kb: KnowledgeBase, mu: m.Muscle) -> list[Section]:
    fids = {f"tight:{mu.id}", f"weak:{mu.id}"}
    index = addressing_index(kb)
    stretch = index.get(f"tight:{mu.id}", ())
    train = index.get(f"weak:{mu.id}", ())
    parts = [c.id for c in kb.muscle.values() if c.part_of == mu.id]
    comps = [
        c.id
        for c in kb.compensations.values()
        if mu.id in c.overactive + c.underactive + c.overactive_opposite_side + c.underactive_opposite_side
    ]
    lifestyle = [f.id for f in kb.lifestyle.values() if fids & set(f.tends_to_produce)]
    facts = [
        f"Latin: {mu.latin}. Region: {mu.region}. Tends to {mu.tends_to} (Janda).",
        f"Nerve supply: {mu.nerve.name} ({', '.join(mu.nerve.roots)}).",
        "Actions: " + "; ".join(mu.actions) + ".",
    ]
    if mu.part_of:
        facts.append(f"Part of: {_names(kb, 'muscles', [mu.part_of])}.")
    if parts:
        facts.append(f"Made up of: {_names(kb, 'muscles', parts)}.")
    if mu.groups:
        facts.append(f"Groups: {_names(kb, 'muscle_groups', mu.groups)}.")
    sections: list[Section] = [("What it is", [mu.summary]), ("Facts", facts)]
    if mu.sciatic_relation:
        sections.append(("Relation to the sciatic nerve", [mu.sciatic_relation]))
    sections.append(
        (
            "How it connects",
            [
                f"Antagonists (pull the other way): {_names(kb, 'muscles', mu.antagonists)}",
                f"Synergists (work with it): {_names(kb, 'muscles', mu.synergists)}",
                f"Patterns it takes part in: {_names(kb, 'patterns', _patterns_with(kb, fids))}",
                f"Tests that measure it: {_names(kb, 'tests', _tests_for_muscle(kb, mu.id))}",
                f"Squat compensations that implicate it: {_names(kb, 'compensations', comps)}",
                f"Habits that can make it tight or weak: {_names(kb, 'lifestyle', lifestyle)}",
                f"Exercises when it is tight: {_names(kb, 'exercises', stretch)}",
                f"Exercises when it is weak: {_names(kb, 'exercises', train)}",
            ],
        )
    )
    return sections


def _unit(t: m.Test, field: str) -> str | None:
    return next((f.unit for f in t.fields if f.name == field), None)


def _norm_line(kb: KnowledgeBase, t: m.Test, n: m.Norm) -> str:
    conds = join([_condition_words(c.field, c.op, c.value, _unit(t, c.field)) for c in n.when])
    who = f" ({n.sex})" if n.sex else ""
    target = "the muscle tested" if n.finding.target == "self" else None
    finding = f"{n.finding.kind}:{n.finding.target}"
    said = f"{kb.finding_kinds[n.finding.kind].name}: {target}" if target else finding_words(kb, finding)
    line = (
        f"{capital(conds)}{who} -> {said} ({n.severity} or worse, "
        f"confidence {n.confidence:.2f}){_cite(kb, n.source)} - {n.reason}"
    )
    if n.healthy:
        sd = f" ± {n.healthy.sd:g}" if n.healthy.sd is not None else ""
        line += f" Healthy: {n.healthy.mean:g}{sd} ({n.healthy.population}){_cite(kb, n.healthy.source)}."
    return line + (" The cut-off is the source's own." if n.published_cutoff else "")


def _test(kb: KnowledgeBase, t: m.Test) -> list[Section]:
    fields = []
    for f in t.fields:
        rng = (
            f", {quantity(f.min, f.unit)} to {quantity(f.max, f.unit)}"
            if f.min is not None and f.max is not None
            else ""
        )
        values = f": {join([_words(v) for v in f.values], 'or')}" if f.values else ""
        fields.append(
            f"{capital(_field_words(f.name))} ({FIELD_TYPES.get(f.type, _words(f.type))}{rng}{values}): {f.description}"
        )
    sections: list[Section] = [
        ("What it measures", [t.measures, f"Category: {_words(t.category)}. {_layout(t.layout)}"]),
        ("How to do it", [f"{i}. {step}" for i, step in enumerate(t.procedure, 1)]),
        ("What to record", fields),
    ]
    if t.norms:
        sections.append(("Norms and what a positive result means", [_norm_line(kb, t, n) for n in t.norms]))
    if t.norm_free_reason:
        sections.append(("How it is read", [t.norm_free_reason]))
    if t.symmetry:
        sections.append(
            (
                "Left against right",
                [
                    f"{capital(_field_words(t.symmetry.field))} is compared between sides (the "
                    f"{running(_names(kb, 'criteria', ['limb_symmetry_index']))}) -> "
                    f"{finding_words(kb, f'asymmetry:{t.symmetry.finding_target}')}"
                ],
            )
        )
    if t.validity:
        v = t.validity
        stats = ", ".join(
            f"{k.replace('_', ' ')} {getattr(v, k)}"
            for k in ("sensitivity", "specificity", "lr_positive", "lr_negative")
            if getattr(v, k) is not None
        )
        sections.append(
            (
                "How far to trust it",
                [
                    x
                    for x in (
                        stats,
                        v.reliability,
                        v.note,
                        f"According to {citation(kb, v.source)}." if v.source else "",
                    )
                    if x
                ],
            )
        )
    sections.append(("Positions and loads", [*_position_lines(kb, t.positions), _ruled_out_by(kb, t)]))
    asks = [r.id for r in kb.coverage.values() if t.id in r.tests]
    sections.append(
        (
            "How it connects",
            [
                f"Looks at: {', '.join(target_name(kb, x) for x in t.targets) or 'none'}",
                f"A positive result supports: {_names(kb, 'patterns', t.positive_implicates)}",
                f"Examination questions it answers (coverage): {_names(kb, 'coverage', asks)}",
            ],
        )
    )
    return sections


def _coverage(kb: KnowledgeBase, r: m.CoverageRule) -> list[Section]:
    when = [
        f"Symptoms in: {_names(kb, 'regions', r.regions)}",
        f"Or made worse by: {_names(kb, 'activities', r.aggravated_by)}",
    ]
    if r.default:
        when.append("And whenever no other question applies.")
    if r.pattern:
        when.append(f"Not asked when a finding argues against the {_names(kb, 'patterns', [r.pattern])}.")
    return [
        ("What it asks", [f"Examine {r.question}."]),
        ("When the symptoms raise it", when),
        ("Tests that answer it (any one; the first is preferred)", [_names(kb, "tests", r.tests)]),
        (
            "How it counts",
            [
                "An analysis whose questions no test done answers has coverage 'none' and says what to examine, "
                "never that nothing was found; some answered: 'partial', naming what is missing; all: 'full'."
            ],
        ),
    ]


def _screen_item(kb: KnowledgeBase, item: m.ScreenItem) -> str:
    return f"{item.says} (adds {number(item.weight)} to the confidence){_cite(kb, item.source)}"


def _screen(kb: KnowledgeBase, p: m.Pattern, screen: m.Screen, refer: m.Referral) -> list[Section]:
    """A screen: what it is not, where to refer, the items that recognise it and what it changes."""
    stands = f"It stands when {screen.min_items} of these are met on one side, each required group having one"
    if screen.sufficient:
        stands += f", or on its own: {'; '.join(i.says for i in screen.items if i.id in screen.sufficient)}"
    groups = [" or ".join(i.says for i in screen.items if i.id in g) for g in screen.required]
    favoured = [f"{_names(kb, 'exercises', [f.exercise])}: {f.why}" for f in screen.favours]
    changes = [
        f"Precautions kept until a doctor has checked: {_names(kb, 'conditions', screen.implies_conditions)}",
        *favoured,
        *[
            f"{finding_words(kb, r.finding)} is read as {finding_words(kb, r.as_finding)} - {r.reason}"
            f"{_cite(kb, r.source)}"
            for r in screen.rereads
        ],
    ]
    if screen.explains:
        changes.append(
            f"Not reported, nor their tests suggested, while it stands (it accounts for the same symptoms): "
            f"{_names(kb, 'patterns', screen.explains)}"
        )
    not_with = [c for c in kb.conditions.values() if any(e.pattern == p.id for e in c.explains)]
    if not_with:
        changes.append(
            "Not raised for a client with "
            + "; ".join(
                f"{c.name} - {e.why}{_cite(kb, e.source)}" for c in not_with for e in c.explains if e.pattern == p.id
            )
        )
    return [
        (
            "Kind",
            [
                "A screen, not a muscle imbalance: it comes before every imbalance pattern, and the muscle "
                "findings may be a consequence of it rather than the cause.",
                f"Why: {screen.consequence}",
            ],
        ),
        ("Where to refer", [f"{refer.to} ({refer.urgency})", refer.why]),
        (
            "What makes it stand out",
            [f"{stands}." + (f" Required: {'; '.join(groups)}." if groups else "")]
            + [_screen_item(kb, i) for i in screen.items],
        ),
        ("What it changes in the program", changes),
    ]


def _pattern(kb: KnowledgeBase, p: m.Pattern) -> list[Section]:
    if p.screen is not None and p.refer is not None:
        tests = sorted({s.test for s in p.suggested_tests} | {i.measure.test for i in p.screen.items if i.measure})
        return [
            ("What it is", [p.summary, p.defined_by]),
            ("How it can cause the pain", [p.mechanism]),
            *_screen(kb, p, p.screen, p.refer),
            ("How it connects", [f"Tests that inform it: {_names(kb, 'tests', tests)}"]),
        ]
    index = addressing_index(kb)
    signs = [f"{finding_words(kb, s.finding)} (adds up to {number(s.weight)} to the confidence)" for s in p.signs]
    exercises = sorted({e for s in p.signs for e in index.get(s.finding, ())})
    sym = [
        "; ".join(
            part
            for part in (
                f"Pain in: {_names(kb, 'regions', [s.region])}" if s.region else "",
                f"Made worse by: {_names(kb, 'activities', [s.aggravated_by])}" if s.aggravated_by else "",
            )
            if part
        )
        + f" (adds {number(s.weight)} to the confidence)"
        for s in p.symptoms
    ]
    tests = sorted(
        {
            t.id
            for t in kb.test.values()
            if {f"{n.finding.kind}:{n.finding.target}" for n in t.norms} & {s.finding for s in p.signs}
        }
        | {s.test for s in p.suggested_tests}
    )
    return [
        ("What it is", [p.summary, p.defined_by]),
        ("How it can cause sciatic or low back pain", [p.mechanism]),
        ("Findings that support it", signs),
        ("Symptoms that fit it", sym or ["none specific"]),
        (
            "How it connects",
            [
                f"Tests that inform it: {_names(kb, 'tests', tests)}",
                f"Exercises that address its findings: {_names(kb, 'exercises', exercises)}",
            ],
        ),
    ]


def _exercise(kb: KnowledgeBase, ex: m.Exercise) -> list[Section]:
    from rebalance.programs import pain_rule  # the one pain rule lives with the programs

    d = ex.dosage
    amount = (
        f"{d.minutes} minutes"
        if d.minutes
        else f"{d.sets} sets" + (f" x {d.reps} reps" if d.reps else "") + (f", hold {d.hold_s} s" if d.hold_s else "")
    )
    dose = f"{amount}, {d.days_per_week} days a week{_cite(kb, d.source)}"
    addresses = sorted(exercise_addresses(kb, ex))
    return [
        (
            "What it is",
            [
                f"Intent: {_words(ex.intent)}. Difficulty {ex.difficulty} of 4. "
                f"{'One side at a time.' if ex.unilateral else 'Both sides together.'}"
            ],
        ),
        (
            "Targets",
            [f"Primary: {_names(kb, 'muscles', ex.primary)}", f"Secondary: {_names(kb, 'muscles', ex.secondary)}"],
        ),
        ("Starting position", [ex.start]),
        ("Steps", [f"{i}. {s}" for i, s in enumerate(ex.steps, 1)]),
        ("Cues", ex.cues),
        ("Common mistakes", ex.mistakes),
        ("Dose", [dose] if d.minutes else [dose, f"About {ex.seconds_per_set} s a set."]),
        ("Safety", [*_position_lines(kb, ex.positions), _ruled_out_by(kb, ex), pain_rule.reminder(kb)]),
        (
            "How it connects",
            [
                f"Equipment: {_names(kb, 'equipment', ex.equipment)}",
                f"Addresses: {', '.join(finding_words(kb, a) for a in addresses) or 'none'}",
                f"Patterns it serves: {_names(kb, 'patterns', _patterns_with(kb, set(addresses)))}",
                f"Easier: {_names(kb, 'exercises', ex.regressions)}",
                f"Harder: {_names(kb, 'exercises', ex.progressions)}",
            ],
        ),
    ]


def _position_lines(kb: KnowledgeBase, positions: list[str]) -> list[str]:
    return [f"Puts the body in: {_names(kb, 'positions', positions)}"]


def _ruled_out_by(kb: KnowledgeBase, item: m.Exercise | m.Test) -> str:
    """The conditions that rule the item out, through its positions or by name."""
    from rebalance.knowledge.precautions import barriers

    found = barriers(kb, item, kb.conditions)
    return f"Not for: {_names(kb, 'conditions', dict.fromkeys(b.condition for b in found))}"


def _forbid_line(kb: KnowledgeBase, f: m.Forbid) -> str:
    return f"{kb.positions[f.position].name}: {f.why}{_cite(kb, f.source)}"


def _condition(kb: KnowledgeBase, c: m.ClinicalCondition) -> list[Section]:
    from rebalance.knowledge.precautions import barriers

    out = [ex.id for ex in kb.exercise.values() if barriers(kb, ex, [c.id])]
    tests = [t.id for t in kb.test.values() if barriers(kb, t, [c.id])]
    sections: list[Section] = [
        ("What it means", [c.meaning, f"Urgency on its own: {c.urgency}."]),
        ("Precautions", c.precautions),
        ("What it rules out", [_forbid_line(kb, f) for f in c.forbids] or ["no position"]),
    ]
    if c.calls_for:
        sections.append(
            (
                "What it calls for",
                [
                    f"{capital(n.work)}: the first of {_names(kb, 'exercises', n.exercises)} the client may do - "
                    f"{n.why}{_cite(kb, n.source)}"
                    for n in c.calls_for
                ],
            )
        )
    if c.explains:
        sections.append(
            (
                "What it accounts for",
                [
                    f"{_names(kb, 'patterns', [e.pattern])}: not reported, nor its tests suggested - {e.why}"
                    f"{_cite(kb, e.source)}"
                    for e in c.explains
                ],
            )
        )
    sections.append(
        (
            "How it connects",
            [
                f"Exercises it rules out: {_names(kb, 'exercises', out)}",
                f"Tests it rules out: {_names(kb, 'tests', tests)}",
            ],
        )
    )
    return sections


def _position(kb: KnowledgeBase, p: m.Position) -> list[Section]:
    forbidding = [(c, f) for c in kb.conditions.values() for f in c.forbids if f.position == p.id]
    exercises = [e.id for e in kb.exercise.values() if p.id in e.positions]
    tests = [t.id for t in kb.test.values() if p.id in t.positions]
    return [
        ("What it is", [p.summary]),
        (
            "Conditions that forbid it",
            [f"{c.name}: {f.why}{_cite(kb, f.source)}" for c, f in forbidding] or ["none"],
        ),
        (
            "How it connects",
            [
                f"Exercises that use it: {_names(kb, 'exercises', exercises)}",
                f"Tests that use it: {_names(kb, 'tests', tests)}",
            ],
        ),
    ]


def _structure(kb: KnowledgeBase, s: m.Structure) -> list[Section]:
    sections: list[Section] = [("What it is", [s.summary, f"Kind: {s.kind}."])]
    if s.roots:
        sections.append(("Nerve roots", [", ".join(s.roots)]))
    if s.path:
        sections.append(("Its path", [f"{i}. {step}" for i, step in enumerate(s.path, 1)]))
    if s.clinical_note:
        sections.append(("Why it matters for back and sciatic pain", [s.clinical_note]))
    sections.append(("How it connects", [f"Related muscles: {_names(kb, 'muscles', s.related_muscles)}"]))
    return sections


def _lifestyle(kb: KnowledgeBase, f: m.LifestyleFactor) -> list[Section]:
    t = f.trigger
    return [
        ("What it is", [f.summary]),
        (
            "How rebalance spots it",
            [f"In the assessment: {_condition_words(t.field, t.op, t.value)}{_cite(kb, t.source)}"],
        ),
        ("What it can lead to", [f.mechanism] + [finding_words(kb, x) for x in f.tends_to_produce]),
        ("What to do instead", [a.text for a in f.advice]),
    ]


def _finding_kind(kb: KnowledgeBase, t: m.Term) -> list[Section]:
    from rebalance.knowledge.queries import valid_targets

    targets = sorted(target_name(kb, x) for x in valid_targets(kb).get(t.id, ()))
    return [
        ("What it means", [t.summary]),
        ("What it can be found in (on one side, or on both)", [", ".join(targets) or "none"]),
    ]


def _value_words(kb: KnowledgeBase, name: str, value: Any) -> str:
    """A field's value in words: a record's id by its name, a source by author and year, a list joined."""
    if name == "source" and isinstance(value, str):
        return citation(kb, value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if name == "op" and value in OPS:
        return OPS[value]
    if isinstance(value, float | int):
        return number(value)
    if isinstance(value, dict):
        return "; ".join(f"{_words(k)} {_value_words(kb, k, v)}" for k, v in value.items() if v not in (None, [], {}))
    if isinstance(value, list | tuple):
        return (
            join([_value_words(kb, name, v) for v in value])
            if name != "bands"
            else ", ".join(f"{_words(v[1])} up to {number(v[0])}" for v in value)
        )
    named = [str(r.name) for _, r in kb.find(str(value)) if getattr(r, "name", None)] if name in id_fields() else []
    return named[0] if named else _words(str(value))


NOT_RECORD_IDS = frozenset({"field", "name"})
"""``Id``-typed fields that name no record: a test's own fields ("hip_ir_deg"), a field's name."""


@cache
def id_fields() -> frozenset[str]:
    """The fields whose values are record ids, by the knowledge models' types (``Id`` or a list of them):
    only their values are renamed to a record's name; a word in any other field stays a word, even one
    spelled like an id."""

    def holds_id(annotation: Any) -> bool:
        return annotation is m.Id or any(holds_id(a) for a in typing.get_args(annotation))

    models = [c for c in vars(m).values() if isinstance(c, type) and issubclass(c, BaseModel) and c is not BaseModel]
    return (
        frozenset(
            name
            for model in models
            for name, annotation in typing.get_type_hints(model, include_extras=True).items()
            if name in model.model_fields and name != "id" and holds_id(annotation)
        )
        - NOT_RECORD_IDS
    )


def _generic(kb: KnowledgeBase, record: Any) -> list[Section]:
    lines = []
    for name, value in record.model_dump(exclude={"id", "name", "sources"}).items():
        if value not in (None, [], {}):
            label = "According to" if name == "source" else f"{capital(_words(name))}:"
            lines.append(f"{label} {_value_words(kb, name, value)}")
    return [("Details", lines)]


RENDERERS: dict[str, Callable[[KnowledgeBase, Any], list[Section]]] = {
    "muscles": _muscle,
    "tests": _test,
    "patterns": _pattern,
    "exercises": _exercise,
    "structures": _structure,
    "lifestyle": _lifestyle,
    "finding_kinds": _finding_kind,
    "conditions": _condition,
    "positions": _position,
    "coverage": _coverage,
}


def _cited(record: Any) -> list[str]:
    found: list[str] = []

    def walk(obj: Any) -> None:
        if isinstance(obj, m.Sourced) and obj.source:
            found.append(obj.source)
        if isinstance(obj, m.Model):
            for name in type(obj).model_fields:
                value = getattr(obj, name)
                if name == "sources":
                    found.extend(value)
                else:
                    walk(value)
        elif isinstance(obj, list | tuple):
            for item in obj:
                walk(item)

    walk(record)
    return list(dict.fromkeys(found))


@dataclass(frozen=True)
class SourceRef:
    """A cited source: its id, the full citation, and its link (URL or DOI) when it has one."""

    id: str
    citation: str | None
    url: str | None = None
    doi: str | None = None
    cited: str = ""  # as a sentence cites it: "Fishman et al. 2002"


@dataclass(frozen=True)
class Explained:
    """One record taught: its title, kind and id, its sections (heading, lines) and the sources it cites."""

    record_id: str
    kind: str
    title: str
    sections: list[Section]
    sources: list[SourceRef]
    record: dict[str, Any] | None = None  # the record as the knowledge base holds it (ids and all)

    def document(self) -> dict[str, Any]:
        """The block as JSON-ready data: ``rebalance explain ID --json``."""
        return {
            "id": self.record_id,
            "kind": self.kind,
            "title": self.title,
            "sections": [{"heading": h, "lines": lines} for h, lines in self.sections],
            "sources": [vars(s) for s in self.sources],
            "record": self.record,
        }


def explain_records(kb: KnowledgeBase, record_id: str) -> list[Explained]:
    """What :func:`explain` teaches, as data (one block per matching record; a web page renders it).

    A finding id (``kind:target[:side]``) gives the finding kind's block, then the target's.
    Raises UnknownIdError with suggestions if the id is unknown.
    """
    if ":" in record_id:  # a finding id from an analysis: kind:target[:side]
        kind, target = record_id.split(":")[:2]
        if kind in kb.finding_kinds and kb.find(target):
            return explain_records(kb, kind) + explain_records(kb, target)
    matches = kb.find(record_id)
    if not matches and record_id in TABLES:
        return [_table(kb, record_id)]
    if not matches:
        named = _named_by(kb, record_id)
        if named:
            return explain_records(kb, named)
        near = [*suggest(kb.all_ids(), record_id), *(i for k in VOCABULARIES for i in did_you_mean(kb, k, record_id))]
        raise UnknownIdError(record_id, list(dict.fromkeys(near))[:3])
    blocks = []
    for kind, record in matches:
        title = str(getattr(record, "name", None) or citation(kb, record_id))
        sections = RENDERERS.get(kind, _generic)(kb, record)
        cited = _cited(record)
        if kind == "positions":  # the sources of the precautions that forbid it
            cited += [f.source for c in kb.conditions.values() for f in c.forbids if f.position == record_id]
        sources = [_source(kb, sid) for sid in dict.fromkeys(cited)]
        blocks.append(Explained(record_id, kind, title, sections, sources, record.model_dump(mode="json")))
    return blocks


# The tables a whole page can teach (``rebalance explain coverage``): what each record says in a line.
TABLES = {
    "coverage": ("The questions an examination answers", "question"),
    "patterns": ("The patterns: screens first, then the muscle imbalances", "summary"),
    "conditions": ("The conditions that change a program", "meaning"),
    "positions": ("The positions and loads exercises and tests use", "summary"),
    "red_flags": ("The warning signs", "meaning"),
    "safety_rules": ("How warning signs combine", "message"),
}
TABLE_NOTES = {
    "safety_rules": [
        "Facts of a person's history (a past cancer, injected drugs, long-term steroids, osteoporosis) make no "
        "cluster alone: a rule needs at least one flag of this episode - new pain after 50, a fall, fever, night "
        "pain - so osteoporosis with long-term steroids is caution (Finucane 2020 weighs risk factors in the "
        "context of the presentation).",
    ],
    "coverage": [
        "A question applies when a symptom lies in one of its regions or is made worse by one of its activities "
        "(the default question when none does). In the order a clinician asks them: the nerve first, because what "
        "it finds can change what is safe; the missing tests and the suggested tests follow this order.",
        "An analysis whose questions no test done answers has coverage 'none' and says what to examine, never "
        "that nothing was found; some answered: 'partial', naming what is missing; all: 'full'. A test done but "
        "not read (a squat done in pain) answers nothing.",
    ],
}


def _table(kb: KnowledgeBase, table: str) -> Explained:
    """A table taught whole: each record in one line, in the knowledge base's order."""
    title, field = TABLES[table]
    records = list(kb.records[table].values())
    if table == "patterns":  # screens first, as an analysis lists them
        records.sort(key=lambda p: p.kind != "screen")
    if table == "safety_rules":
        lines = [
            f"{capital(r.level)} when {r.min_count} of: {_names(kb, 'red_flags', r.any_of)}"
            + (
                f"; {join([running(_names(kb, 'red_flags', [x])) for x in r.requires])} among them"
                if r.requires
                else ""
            )
            + f" - {r.message}"
            for r in records
        ]
    else:
        lines = [f"{getattr(r, 'name', None) or capital(_words(r.id))}: {getattr(r, field)}" for r in records]
    sections: list[Section] = [("Records", lines)]
    if table in TABLE_NOTES:
        sections.insert(0, ("How it works", TABLE_NOTES[table]))
    return Explained(table, "table", title, sections, [], {"records": [r.id for r in records]})


def _named_by(kb: KnowledgeBase, word: str) -> str | None:
    """The one explainable record a name or alias names ("slr" -> passive_slr), or None."""
    ids = {rid for k in VOCABULARIES if (rid := resolve(kb, k, word)) and kb.find(rid)}
    return ids.pop() if len(ids) == 1 else None


def _source(kb: KnowledgeBase, source_id: str) -> SourceRef:
    src = kb.sources.get(source_id)
    if src is None:
        return SourceRef(source_id, None, cited=citation(kb, source_id))
    return SourceRef(source_id, src.citation, src.url or None, src.doi or None, citation(kb, source_id))


# What a block's kind is, under its title: "Piriformis (a muscle)".
KIND_WORDS = {
    "muscles": "a muscle",
    "tests": "a test",
    "patterns": "a pattern",
    "exercises": "an exercise",
    "structures": "a body structure",
    "lifestyle": "a habit",
    "finding_kinds": "a kind of finding",
    "compensations": "a squat compensation",
    "red_flags": "a warning sign",
    "conditions": "a condition",
    "positions": "a position or load",
    "muscle_groups": "a muscle group",
    "ratios": "a ratio",
    "regions": "a body region",
    "sports": "a sport",
    "criteria": "a criterion",
    "coverage": "an examination question",
    "sources": "a source",
    "table": "a table",
}
FIELD_TYPES = {
    "number": "a number",
    "integer": "a whole number",
    "boolean": "yes or no",
    "enum": "one word",
    "sided_number": "a number for each side",
    "compensations": "the compensations seen",
}
LAYOUTS = {
    "sided": "Recorded for each side.",
    "whole": "Recorded once.",
    "per_muscle": "Recorded for each muscle tested.",
}


def _layout(layout: str) -> str:
    """How a test's results are recorded, in words (a layout without words: its name, as a word)."""
    return LAYOUTS.get(layout, f"Recorded {_words(layout)}.")


def _text(block: Explained) -> str:
    lines = [f"{block.title}  ({KIND_WORDS.get(block.kind, _words(block.kind))})", ""]
    for heading, body in block.sections:
        lines.append(heading)
        lines.extend(f"  {line}" for line in body)
        lines.append("")
    if block.sources:
        lines.append("Sources")
        for src in block.sources:
            lines.append(
                f"  {src.cited}: {src.citation or '(missing)'}"
                + (f" {src.url}" if src.url else "")
                + (f" doi:{src.doi}" if src.doi else "")
            )
    return "\n".join(lines).rstrip()


def explain(kb: KnowledgeBase, record_id: str) -> str:
    """Text teaching ``record_id``; raises UnknownIdError with suggestions if unknown."""
    return "\n\n".join(_text(block) for block in explain_records(kb, record_id)) + "\n"
