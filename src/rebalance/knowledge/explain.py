"""``rebalance explain ID``: teach what a record is and how it connects to the rest.

One renderer per kind turns a record into sections of plain text; the connections (which
patterns a muscle takes part in, which tests measure it, which exercises address it) are
looked up in both directions, and every cited source is listed in full at the end.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from rebalance.errors import UnknownIdError
from rebalance.knowledge import models as m
from rebalance.knowledge.loader import KnowledgeBase
from rebalance.knowledge.queries import addressing_index, exercise_addresses, suggest
from rebalance.knowledge.vocabulary import VOCABULARIES, did_you_mean, resolve

Section = tuple[str, list[str]]


def _names(kb: KnowledgeBase, kind: str, ids: Iterable[str]) -> str:
    records = kb.records[kind]
    return ", ".join(f"{records[i].name} ({i})" if i in records else i for i in ids) or "none"


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


def _norm_line(n: m.Norm) -> str:
    conds = " and ".join(f"{c.field} {c.op} {c.value}" for c in n.when)
    who = f" ({n.sex})" if n.sex else ""
    line = (
        f"{conds}{who} -> {n.finding.kind}:{n.finding.target} ({n.severity} or worse, "
        f"confidence {n.confidence:.2f}) [source: {n.source}] - {n.reason}"
    )
    if n.healthy:
        sd = f" ± {n.healthy.sd:g}" if n.healthy.sd is not None else ""
        line += f" Healthy: {n.healthy.mean:g}{sd} ({n.healthy.population}) [source: {n.healthy.source}]."
    return line + (" The cut-off is the source's own." if n.published_cutoff else "")


def _test(kb: KnowledgeBase, t: m.Test) -> list[Section]:
    fields = []
    for f in t.fields:
        rng = f" {f.min:g}..{f.max:g}" if f.min is not None and f.max is not None else ""
        unit = f" {f.unit}" if f.unit else ""
        values = f" one of {', '.join(f.values)}" if f.values else ""
        fields.append(f"{f.name} ({f.type}{rng}{unit}{values}): {f.description}")
    sections: list[Section] = [
        ("What it measures", [t.measures, f"Category: {t.category}. Layout: {t.layout}."]),
        ("How to do it", [f"{i}. {step}" for i, step in enumerate(t.procedure, 1)]),
        ("What to record", fields),
    ]
    if t.norms:
        sections.append(("Norms and what a positive result means", [_norm_line(n) for n in t.norms]))
    if t.norm_free_reason:
        sections.append(("How it is read", [t.norm_free_reason]))
    if t.symmetry:
        sections.append(
            (
                "Left against right",
                [
                    f"{t.symmetry.field} is compared between sides (limb symmetry index; see criterion "
                    f"limb_symmetry_index) -> asymmetry:{t.symmetry.finding_target}"
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
            ("How far to trust it", [x for x in (stats, v.reliability, v.note, f"[source: {v.source}]") if x])
        )
    sections.append(("Positions and loads", [*_position_lines(kb, t.positions), _ruled_out_by(kb, t)]))
    asks = [r.id for r in kb.coverage.values() if t.id in r.tests]
    sections.append(
        (
            "How it connects",
            [
                f"Looks at: {', '.join(t.targets)}",
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


def _screen_item(item: m.ScreenItem) -> str:
    return f"{item.says} (weight {item.weight}) [source: {item.source}]"


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
            f"{finding_words(kb, r.finding)} is read as {finding_words(kb, r.as_finding)}: {r.reason} "
            f"[source: {r.source}]"
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
                f"{c.name} - {e.why} [source: {e.source}]" for c in not_with for e in c.explains if e.pattern == p.id
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
            + [_screen_item(i) for i in screen.items],
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
    signs = [f"{finding_words(kb, s.finding)} (weight {s.weight})" for s in p.signs]
    exercises = sorted({e for s in p.signs for e in index.get(s.finding, ())})
    sym = [f"{s.region or s.aggravated_by} (weight {s.weight})" for s in p.symptoms]
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
    dose = f"{amount}, {d.days_per_week} days a week [source: {d.source}]"
    addresses = sorted(exercise_addresses(kb, ex))
    return [
        (
            "What it is",
            [
                f"Intent: {ex.intent}. Difficulty {ex.difficulty} of 4. "
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
    return f"{kb.positions[f.position].name} ({f.position}): {f.why} [source: {f.source}]"


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
                    f"{n.work}: the first of {_names(kb, 'exercises', n.exercises)} the client may do - "
                    f"{n.why} [source: {n.source}]"
                    for n in c.calls_for
                ],
            )
        )
    if c.explains:
        sections.append(
            (
                "What it accounts for",
                [
                    f"{_names(kb, 'patterns', [e.pattern])}: not reported, nor its tests suggested - {e.why} "
                    f"[source: {e.source}]"
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
            [f"{c.name} ({c.id}): {f.why} [source: {f.source}]" for c, f in forbidding] or ["none"],
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
        ("How rebalance spots it", [f"{t.field} {t.op} {t.value}" + (f" [source: {t.source}]" if t.source else "")]),
        ("What it can lead to", [f.mechanism] + [finding_words(kb, x) for x in f.tends_to_produce]),
        ("What to do instead", [a.text for a in f.advice]),
    ]


def _finding_kind(kb: KnowledgeBase, t: m.Term) -> list[Section]:
    from rebalance.knowledge.queries import valid_targets

    targets = sorted(valid_targets(kb).get(t.id, ()))
    return [
        ("What it means", [t.summary]),
        ("Finding ids", [f"{t.id}:<target>[:<side>]; targets: {', '.join(targets)}"]),
    ]


def _generic(kb: KnowledgeBase, record: Any) -> list[Section]:
    lines = []
    for name, value in record.model_dump(exclude={"id", "name", "sources"}).items():
        if value not in (None, [], {}):
            lines.append(f"{name.replace('_', ' ')}: {value}")
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


@dataclass(frozen=True)
class Explained:
    """One record taught: its title, kind and id, its sections (heading, lines) and the sources it cites."""

    record_id: str
    kind: str
    title: str
    sections: list[Section]
    sources: list[SourceRef]


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
        title = str(getattr(record, "name", None) or getattr(record, "citation", record_id))
        sections = RENDERERS.get(kind, _generic)(kb, record)
        cited = _cited(record)
        if kind == "positions":  # the sources of the precautions that forbid it
            cited += [f.source for c in kb.conditions.values() for f in c.forbids if f.position == record_id]
        sources = [_source(kb, sid) for sid in dict.fromkeys(cited)]
        blocks.append(Explained(record_id, kind, title, sections, sources))
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
            f"{r.id}: {r.level} when {r.min_count} of {', '.join(r.any_of)}"
            + (f", {' and '.join(r.requires)} among them" if r.requires else "")
            + f" - {r.message}"
            for r in records
        ]
    else:
        lines = [f"{getattr(r, 'name', None) or r.id} ({r.id}): {getattr(r, field)}" for r in records]
    sections: list[Section] = [("Records", lines)]
    if table in TABLE_NOTES:
        sections.insert(0, ("How it works", TABLE_NOTES[table]))
    return Explained(table, "table", title, sections, [])


def _named_by(kb: KnowledgeBase, word: str) -> str | None:
    """The one explainable record a name or alias names ("slr" -> passive_slr), or None."""
    ids = {rid for k in VOCABULARIES if (rid := resolve(kb, k, word)) and kb.find(rid)}
    return ids.pop() if len(ids) == 1 else None


def _source(kb: KnowledgeBase, source_id: str) -> SourceRef:
    src = kb.sources.get(source_id)
    if src is None:
        return SourceRef(source_id, None)
    return SourceRef(source_id, src.citation, src.url or None, src.doi or None)


def _text(block: Explained) -> str:
    lines = [f"{block.title}  [{block.kind.rstrip('s')}: {block.record_id}]", ""]
    for heading, body in block.sections:
        lines.append(heading)
        lines.extend(f"  {line}" for line in body)
        lines.append("")
    if block.sources:
        lines.append("Sources")
        for src in block.sources:
            lines.append(
                f"  [{src.id}] {src.citation or '(missing)'}"
                + (f" {src.url}" if src.url else "")
                + (f" doi:{src.doi}" if src.doi else "")
            )
    return "\n".join(lines).rstrip()


def explain(kb: KnowledgeBase, record_id: str) -> str:
    """Text teaching ``record_id``; raises UnknownIdError with suggestions if unknown."""
    return "\n\n".join(_text(block) for block in explain_records(kb, record_id)) + "\n"
