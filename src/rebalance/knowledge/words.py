"""Words a person reads: findings, tests, habits, sides, lists, numbers and citations in plain English.

The one phrase builder of the library. Every text a patient or a clinician reads that names a
finding, a test, a habit or a source is made here, from the knowledge base's own names: a muscle's
grammatical number (``plural``) and its patient name (``plain``), a test's ``phrase``, a squat
compensation's ``seen``, a habit's ``sided_name``, a source's author and year. Never an id.

    finding_phrase(kb, "tight:piriformis:right")           "a tight right piriformis"
    finding_phrase(kb, "tight:hip_external_rotators:right") "tight deep hip rotators on the right"
    finding_phrase(kb, "weak:abdominals")                   "weak abdominal muscles"
    finding_clause(kb, "weak:gluteus_medius:right")         "your right gluteus medius is weak"
    test_phrase(kb, "fair")                                 "the FAIR test"
    flag_name(kb, "saddle_anaesthesia")                     "saddle numbness"
    join(["a", "b", "c"])                                   "a, b and c"
    citation(kb, "fishman_2002")                            "Fishman et al. 2002"

``audience``: "patient" (the default) uses a muscle's plain name where it has one; "clinician" keeps
the anatomical name. Small pure functions; no state.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from rebalance.knowledge.loader import KnowledgeBase

Audience = Literal["patient", "clinician"]
OTHER_SIDE = {"left": "right", "right": "left"}

# The posture findings' targets (the contract's vocabulary): what a sentence calls them; {side} is
# the side the pelvis is higher on.
POSTURE = {
    "anterior_pelvic_tilt": "a pelvis tilted forward",
    "posterior_pelvic_tilt": "a pelvis tucked under (tilted backward)",
    "lateral_pelvic_tilt": "a pelvis higher on {side}",
}
JOINT = {
    "sacroiliac_joint": "the {side}sacroiliac joint, where the spine meets the pelvis,",
    "hip_joint": "the {side}hip joint",
    "intervertebral_disc": "a disc of the low back",
    "lumbar_facet_joints": "the small {side}joints of the low back",
}
UNITS = {"deg": "°", "s": " s", "mm": " mm", "%": " %", "steps/min": " steps a minute"}
OPS = {"lt": "under", "le": "at most", "gt": "over", "ge": "at least"}
KIND_WORD = {"tight": "tight", "weak": "weak"}


@dataclass(frozen=True, slots=True)
class Noun:
    """A name as running text uses it, and whether it takes a plural verb."""

    text: str
    plural: bool = False


# --- small pieces ----------------------------------------------------------------------------------


def join(parts: Sequence[str], conjunction: str = "and") -> str:
    """``["a", "b", "c"]`` -> "a, b and c"; repeated parts once."""
    items = list(dict.fromkeys(p for p in parts if p))
    if len(items) < 2:
        return "".join(items)
    return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


def article(phrase: str) -> str:
    """ "a" or "an" for a noun phrase, by how its first word sounds."""
    word = phrase.split(" ", 1)[0]
    if word[:3].lower() in ("one", "uni", "use", "eur") or word[:2].lower() == "us":
        return "a"
    if word.isupper() and word[0] in "FHLMNRSX":  # an initialism said letter by letter: "an MRC grade"
        return "an"
    return "an" if word[:1].lower() in "aeiou" else "a"


def sentence(text: str) -> str:
    """Capital first letter, one full stop at the end."""
    text = " ".join(text.split())
    if not text:
        return ""
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def sentences(parts: Sequence[str]) -> str:
    """Phrases as sentences, each once: ``["No sit-ups", "Use sliders"]`` -> "No sit-ups. Use sliders." """
    return " ".join(dict.fromkeys(sentence(p) for p in parts if p.strip()))


def capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def running(name: str) -> str:
    """A record's name as running text uses it: no parenthesis, lower case unless an initialism.

    "Calf (gastrocnemius and soleus)" -> "calf"; "Tensor fasciae latae (TFL)" -> "tensor fasciae latae"."""
    plain = re.sub(r"\s*\([^)]*\)", "", name).strip()
    first = plain.split(" ", 1)[0]
    return plain if first.isupper() and len(first) > 1 else plain[:1].lower() + plain[1:]


def number(value: Any) -> str:
    """A number as a person writes it: 64, 0.46, 71.1."""
    return f"{value:g}" if isinstance(value, float) else str(value)


def quantity(value: Any, unit: str | None) -> str:
    """A measurement with its unit: "64°", "30 s", "13 mm"; yes/no as "positive"/"negative"."""
    if isinstance(value, bool):
        return "positive" if value else "negative"
    if not isinstance(value, int | float):
        return str(value).replace("_", " ")
    return f"{number(value)}{UNITS.get(unit or '', ' ' + unit if unit else '')}"


def days(n: int) -> str:
    return "every day" if n == 7 else f"{n} day{'s' if n != 1 else ''} a week"


def minutes(seconds: float) -> str:
    """Time as a person reads it: "3 min", "1.5 min"."""
    return f"{round(seconds / 60, 1):g} min"


def date_words(iso: str) -> str:
    """A date as people write it: "2026-05-12" -> "12 May 2026" (anything else as given)."""
    try:
        day = dt.date.fromisoformat(str(iso)[:10])
    except ValueError:
        return str(iso)
    return f"{day.day} {day:%B %Y}"


def long_date(day: dt.date) -> str:
    """A date as people write it on a letter: "Monday 14 December 2026"."""
    return f"{day:%A} {day.day} {day:%B %Y}"


def split_finding(finding_id: str) -> tuple[str, str, str | None]:
    """``tight:piriformis:right`` -> ("tight", "piriformis", "right")."""
    kind, _, rest = finding_id.partition(":")
    target, _, side = rest.partition(":")
    return kind, target, side or None


# --- names -----------------------------------------------------------------------------------------


def muscle_noun(kb: KnowledgeBase, muscle_id: str, audience: Audience = "patient") -> Noun:
    """A muscle as running text names it: its plain name for a patient (where it has one)."""
    m = kb.muscle.get(muscle_id)
    if m is None:
        return Noun(muscle_id.replace("_", " "))
    if audience == "patient" and m.plain is not None:
        return Noun(m.plain.name, m.plain.plural)
    return Noun(running(m.name), m.plural)


def muscle_names(kb: KnowledgeBase, muscle_ids: Sequence[str], audience: Audience = "patient") -> str:
    """ "the piriformis, the hamstrings and the buttock muscles"."""
    return join([f"the {muscle_noun(kb, m, audience).text}" for m in muscle_ids])


def test_phrase(kb: KnowledgeBase, test_id: str) -> str:
    """A test as a sentence names it: "the FAIR test", "the straight-leg raise"."""
    test = kb.test.get(test_id)
    return test.phrase if test is not None else f"the {test_id.replace('_', ' ')} test"


def flag_name(kb: KnowledgeBase, flag_id: str) -> str:
    """A safety flag as running text names it: a red flag's name ("saddle numbness"), or a condition's
    (an analysis's safety flags can be either); "a warning sign" for an id the knowledge base lacks."""
    record = kb.red_flags.get(flag_id) or kb.conditions.get(flag_id)
    return running(str(record.name)) if record is not None else "a warning sign"


def structure_name(kb: KnowledgeBase, structure_id: str) -> str:
    s = kb.structures.get(structure_id)
    return running(s.name) if s is not None else structure_id.replace("_", " ")


# --- findings --------------------------------------------------------------------------------------


def _adj(side: str | None) -> str:
    """The side before a noun ("right "), none for both sides (said after it: :func:`_on`)."""
    return f"{side} " if side in OTHER_SIDE else ""


def on_side(side: str | None) -> str:
    """Where, after a noun: "on the left", "on both sides"; "" for none or the middle ("central")."""
    if side == "both":
        return "on both sides"
    return f"on the {side}" if side and side != "central" else ""


def side_noun(side: str | None) -> str:
    """Which side, as a noun: "left side", "both sides" (none given: both)."""
    return f"{side} side" if side in OTHER_SIDE else "both sides"


def _on(side: str | None) -> str:
    where = on_side(side)
    return f" {where}" if where else ""


COUNTABLE = {
    "muscle": "muscles",
    "flexor": "flexors",
    "hamstring": "hamstrings",
    "rotator": "rotators",
    "cuff": "cuffs",
    "calf": "calves",
}
"""The head nouns of the plain muscle names that are counted, and their plurals: a muscle on both sides
is two muscles. Any other head (a Latin name, "diaphragm", "pelvic floor", "deep core") stays as it is."""
PREPOSITIONS = frozenset({"of", "at", "above", "below", "behind", "between", "in", "on", "under", "along", "near"})
"""Words that end a name's head phrase: "side muscle | of the low back"."""


def head_index(text: str) -> int:
    """Where a name's head noun is among its words: the last word before a preposition or a parenthesis
    ("deep hip rotator (obturator internus)": "rotator"; "rotator cuff": "cuff")."""
    words = text.split(" ")
    end = next((i for i, w in enumerate(words) if w in PREPOSITIONS or w.startswith("(")), len(words))
    return max(end - 1, 0)


def both_noun(noun: Noun) -> Noun:
    """A muscle found on both sides, in the plural where its name's head noun is counted (:data:`COUNTABLE`):
    "deep hip flexors", "TFL muscles at the side of the hip", "rotator cuffs"; a Latin name as it is
    ("rectus femoris")."""
    if noun.plural:
        return noun
    words = noun.text.split(" ")
    i = head_index(noun.text)
    plural = COUNTABLE.get(words[i].lower())
    if plural is None:
        return noun
    plural = plural.capitalize() if words[i][:1].isupper() else plural
    return Noun(" ".join([*words[:i], plural, *words[i + 1 :]]), plural=True)


def _muscle_phrase(kb: KnowledgeBase, kind: str, target: str, side: str | None, audience: Audience) -> str:
    noun = muscle_noun(kb, target, audience)
    noun = both_noun(noun) if side == "both" else noun
    word = KIND_WORD[kind]
    if noun.plural or side == "both":
        return f"{word} {noun.text}{_on(side)}" if noun.plural else f"{article(word)} {word} {noun.text}{_on(side)}"
    body = f"{word} {side + ' ' if side else ''}{noun.text}"
    return f"{article(body)} {body}"


def compensation_seen(kb: KnowledgeBase, target: str, side: str | None) -> str:
    """What a squat compensation shows, on its side: "the knees moving inward on the left"."""
    comp = kb.compensations.get(target)
    seen = comp.seen if comp is not None else target.replace("_", " ")
    if "{side}" in seen:
        return seen.format(side=f"the {side}" if side else "one")
    return seen + _on(side)


def _asymmetry(kb: KnowledgeBase, target: str, side: str | None, audience: Audience, value: float | None) -> str:
    test = test_phrase(kb, target)
    your = "your" if audience == "patient" else "the"
    if value is not None and side in OTHER_SIDE:
        return f"{your} {side} side reaching {value:.0f} % of {your} {OTHER_SIDE[side]} on {test}"
    if side in OTHER_SIDE:
        return f"{your} {side} side lagging behind on {test}"
    return f"a difference between {your} sides on {test}"


def _ratio(kb: KnowledgeBase, target: str, side: str | None, audience: Audience, value: float | None) -> str:
    ratio = kb.ratios.get(target)
    name = running(ratio.name) if ratio else target.replace("_", " ")
    level = "low" if ratio is None or ratio.op == "lt" else "high"
    measured = f" of {number(value)}" if value is not None else ""
    return f"{article(level)} {level} {name.replace(' to ', '-to-')} ratio{measured}{_on(side)}"


def _posture(kb: KnowledgeBase, target: str, side: str | None, audience: Audience, value: float | None) -> str:
    return POSTURE.get(target, target.replace("_", " ")).format(side=f"the {side}" if side else "one side")


def _movement(kb: KnowledgeBase, target: str, side: str | None, audience: Audience, value: float | None) -> str:
    return f"{compensation_seen(kb, target, side)} in the squat"


def _neural(kb: KnowledgeBase, target: str, side: str | None, audience: Audience, value: float | None) -> str:
    if target == "lumbar_nerve_roots":
        return f"a nerve root{_on(side)} that works less well"
    body = f"sensitive {_adj(side)}{structure_name(kb, target)}"
    return f"{article(body)} {body}" + (_on(side) if side == "both" else "")


def _joint(kb: KnowledgeBase, target: str, side: str | None, audience: Audience, value: float | None) -> str:
    where = JOINT.get(target, f"the {{side}}{structure_name(kb, target)}")
    text = "pain from " + where.format(side=_adj(side)).rstrip(",")
    return text + (_on(side) if side == "both" else "")


PHRASES = {
    "asymmetry": _asymmetry,
    "ratio": _ratio,
    "posture": _posture,
    "movement": _movement,
    "neural": _neural,
    "joint": _joint,
}


@functools.lru_cache(maxsize=4096)
def finding_phrase(
    kb: KnowledgeBase, finding_id: str, audience: Audience = "patient", value: float | None = None
) -> str:
    """A finding as a noun phrase, article and side in place (worked out once a process for each knowledge
    base and finding: the analysis says the same findings over and over, ``bench_analysis``).

    "a tight right piriformis", "tight deep hip rotators on the right", "weak abdominal muscles",
    "your right side reaching 64 % of your left on the side bridge" (with ``value``, a limb symmetry
    index), "the low back arching in the squat", "a sensitive left sciatic nerve"."""
    kind, target, side = split_finding(finding_id)
    if kind in KIND_WORD:
        return _muscle_phrase(kb, kind, target, side, audience)
    if kind in PHRASES:
        return PHRASES[kind](kb, target, side, audience, value)
    return target.replace("_", " ") + _on(side)


def finding_clause(kb: KnowledgeBase, finding_id: str, audience: Audience = "patient") -> str:
    """A finding as a clause about the person: "your right gluteus medius is weak",
    "your hamstrings on the right are tight"; other kinds "you have ..." ."""
    kind, target, side = split_finding(finding_id)
    if kind in KIND_WORD:
        noun = muscle_noun(kb, target, audience)
        noun = both_noun(noun) if side == "both" else noun
        verb = "are" if noun.plural else "is"
        return f"your {_adj(side)}{noun.text} {verb} {KIND_WORD[kind]}{_on(side) if side == 'both' else ''}"
    if kind == "movement":
        return f"the squat showed {compensation_seen(kb, target, side)}"
    if kind == "asymmetry" and side in OTHER_SIDE:
        return f"your {side} side lags behind your {OTHER_SIDE[side]} on {test_phrase(kb, target)}"
    if kind == "posture":
        return "your " + finding_phrase(kb, finding_id, audience).removeprefix("a pelvis ").join(("pelvis rests ", ""))
    return f"you have {finding_phrase(kb, finding_id, audience)}"


def finding_title(kb: KnowledgeBase, finding_id: str) -> str:
    """A finding's line in a grouped list (the group says tight, weak, left-right): "Right piriformis",
    "Hamstrings, left", "Side bridge: right side lower", else the phrase with a capital."""
    kind, target, side = split_finding(finding_id)
    if kind in KIND_WORD:
        name = capital(muscle_noun(kb, target, "clinician").text)
        noun = muscle_noun(kb, target, "clinician")
        if not side:
            return name
        return f"{name}, {side}" if noun.plural else f"{capital(side)} {noun.text}"
    if kind == "asymmetry":
        return f"{capital(test_phrase(kb, target).removeprefix('the '))}, {side or 'one'} side lower"
    return capital(finding_phrase(kb, finding_id, "clinician"))


def both_sides(finding_ids: Sequence[str]) -> list[str]:
    """The findings, a left and right of the same kind and target said once as ``kind:target:both``."""
    found = [(f, *split_finding(f)) for f in dict.fromkeys(finding_ids)]
    sided = Counter(f"{kind}:{target}" for _, kind, target, side in found if side in OTHER_SIDE)
    out = [
        f"{kind}:{target}:both" if side in OTHER_SIDE and sided[f"{kind}:{target}"] > 1 else f
        for f, kind, target, side in found
    ]
    return list(dict.fromkeys(out))


def finding_list(
    kb: KnowledgeBase,
    finding_ids: Sequence[str],
    audience: Audience = "patient",
    values: dict[str, float] | None = None,
) -> str:
    """Several findings in one phrase, a finding on both sides said once: "a tight right piriformis
    and weak buttock muscles on both sides". ``values``: a finding's measured value, by id."""
    values = values or {}
    return join([finding_phrase(kb, f, audience, values.get(f)) for f in both_sides(finding_ids)])


# --- habits ----------------------------------------------------------------------------------------


def habit_side(kb: KnowledgeBase, factor_id: str, finding_side: str | None) -> str | None:
    """The side the person does the habit on, from the side its findings land on (the analysis's
    ``lifestyle_factors[].side``): a bag carried on the right loads the left trunk."""
    factor = kb.lifestyle.get(factor_id)
    if factor is None or finding_side not in OTHER_SIDE:
        return None
    return OTHER_SIDE[finding_side] if factor.sided == "opposite" else finding_side


def habit_phrase(kb: KnowledgeBase, factor_id: str, finding_side: str | None = None) -> str:
    """A habit in words, on the side the person does it: "Carrying bags on your right side"."""
    factor = kb.lifestyle.get(factor_id)
    if factor is None:
        return capital(factor_id.replace("_", " "))
    side = habit_side(kb, factor_id, finding_side)
    if side and factor.sided_name:
        return str(factor.sided_name).format(side=side)
    return str(factor.name)


# --- evidence and sources --------------------------------------------------------------------------


def citation(kb: KnowledgeBase, source_id: str) -> str:
    """A source as a sentence cites it: "Fishman et al. 2002", "McGill 1998", "rebalance's own convention"."""
    src = kb.sources.get(source_id)
    if src is None:
        return "an unrecorded source"
    if src.short:
        return str(src.short)
    if src.kind == "convention":
        return "rebalance's own convention"
    year = re.search(r"\b(19|20)\d\d\b", src.citation)
    authors = src.citation.split(". ", 1)[0]
    names = [a.strip() for a in authors.split(",")]
    surnames = [re.sub(r"\s+[A-Z]{1,4}(\s*\(eds?\))?$", "", n) for n in names if n and n != "et al"]
    if not surnames or any(s == n for s, n in zip(surnames, names, strict=False) if n != "et al"):
        who = authors  # an organisation or a title: as written
    elif len(surnames) == 1 and "et al" not in authors:
        who = surnames[0]
    elif len(surnames) == 2 and "et al" not in authors:
        who = f"{surnames[0]} and {surnames[1]}"
    else:
        who = f"{surnames[0]} et al."
    return f"{who} {year.group(0)}" if year and year.group(0) not in who else who


def _same(a: Any, b: Any) -> bool:
    """A norm's threshold and an evidence's, alike once stored: a range is a list in JSON, a tuple in the engine."""
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return tuple(a) == tuple(b)
    return bool(a == b)


def _norm_of(kb: KnowledgeBase, test_id: str, finding_id: str, threshold: Any) -> tuple[str | None, str | None, str]:
    """(field, unit, op) of the norm a piece of evidence was read against: that test's norm for that
    finding with that threshold; (None, None, "") when there is none."""
    test = kb.test.get(test_id)
    if test is None:
        return None, None, ""
    kind, target, _ = split_finding(finding_id)
    for norm in test.norms:
        first = norm.when[0]
        if norm.finding.kind == kind and norm.finding.target in (target, "self") and _same(first.value, threshold):
            unit = next((f.unit for f in test.fields if f.name == first.field), None)
            return first.field, unit, first.op
    return None, None, ""


def measured(kb: KnowledgeBase, finding_id: str, evidence: dict[str, Any]) -> str:
    """What a test measured against its norm, as a sentence: "The modified Thomas test measured 64°
    (under 80° counts)." "The pelvic tilt measure read 27°." "The FAIR test was positive." "The knee and
    ankle reflexes: absent." Empty where the reason says it all."""
    test, value, threshold = evidence["test"], evidence["value"], evidence.get("threshold")
    kind = split_finding(finding_id)[0]
    if kind in ("asymmetry", "movement") or (kind in KIND_WORD and test == "overhead_squat"):
        return ""  # the reason gives the value (a symmetry index) or what was seen
    if kind == "ratio":
        ratio = kb.ratios.get(split_finding(finding_id)[1])
        return f"The ratio was {number(value)} ({OPS[ratio.op if ratio else 'lt']} {number(threshold)} counts)."
    if isinstance(value, bool):
        return f"{capital(test_phrase(kb, test))} was {quantity(value, None)}."
    field, unit, op = _norm_of(kb, test, finding_id, threshold)
    graded = field == "grade"
    shown = f"grade {number(value)} of 5" if graded else quantity(value, unit)
    limit = f"grade {number(threshold)}" if graded else quantity(threshold, unit)
    norm = f" ({OPS[op]} {limit} counts)" if op in OPS and isinstance(threshold, int | float) else ""
    name = capital(test_phrase(kb, test))
    if isinstance(value, str):  # a word, not an amount: "The knee and ankle reflexes: absent."
        return f"{name}: {shown}{norm}."
    verb = "read" if name.endswith(("measure", "measurement")) else "measured"  # never "the measure measured"
    return f"{name} {verb} {shown}{norm}."


def evidence_sentence(kb: KnowledgeBase, finding_id: str, evidence: dict[str, Any]) -> str:
    """One piece of evidence for a clinician: the value against its norm, the reason, the citation."""
    reason = sentence(evidence.get("reason", ""))
    cited = f" ({citation(kb, evidence['source'])})" if evidence.get("source") else ""
    return " ".join(x for x in (measured(kb, finding_id, evidence), reason) if x) + cited
