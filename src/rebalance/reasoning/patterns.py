"""Findings and symptoms -> the patterns they are consistent with, and the tests to do next.

A pattern's confidence is the sum of its signs' weights times the confidence of the best
matching finding, plus the weights of the symptoms that fit; it is reported only when every
``required`` group has a finding present. Two patterns that claim opposite pelvic tilts never
both stand: the observed tilt decides, else the better supported one.

Tests to do next come from the patterns the symptoms point at, minus those a stronger finding
already answers, the leading pattern's first, at most ``MAX_SUGGESTED_TESTS``. Each says what it would
show and what it is for (:func:`suggestion_why`): to check for a pattern not found, to support or weaken one
the findings are consistent with, or an item of a screen; never a pattern not found as if it were.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from rebalance.assessment.models import Case
from rebalance.knowledge.loader import KnowledgeBase
from rebalance.knowledge.models import Pattern
from rebalance.knowledge.precautions import may_offer
from rebalance.knowledge.words import finding_list, finding_phrase, join, on_side
from rebalance.reasoning.findings import MAX_CONFIDENCE, SQUAT, Finding, FindingSet, squat_read_as_pain

MIN_PATTERN_CONFIDENCE = 0.2  # below this a pattern is noise, not worth a person's attention
MAX_SUGGESTED_TESTS = 5  # a clinician's next visit, not a test battery: the most telling few
# The pattern that claims each pelvic tilt (Janda's lower crossed pattern tips the pelvis forward).
TILT_PATTERN = {"anterior": "lower_crossed_syndrome", "posterior": "posterior_pelvic_tilt"}
TILT_TEST = "pelvic_tilt"
UNCONFIRMED = "signs your clinician will check with more tests"
"""A pattern's evidence when every finding it rests on is only to confirm (``Finding.to_confirm``)."""


def _value(f: Finding) -> float | None:
    return f.evidence[0].value if f.kind == "asymmetry" and f.evidence else None


def finding_words(kb: KnowledgeBase, f: Finding) -> str:
    """A finding in plain words for the person (``knowledge.words``): "a tight right piriformis",
    "your right side reaching 64 % of your left on the side bridge"."""
    return finding_phrase(kb, f.id, "patient", value=_value(f))


def findings_words(kb: KnowledgeBase, found: list[Finding]) -> str:
    """Several findings in one phrase, one on both sides said once (``knowledge.words.finding_list``)."""
    values = {f.id: v for f in found if (v := _value(f)) is not None}
    return finding_list(kb, [f.id for f in found], "patient", values)


def strongest(found: list[Finding], count: int = 4) -> list[Finding]:
    """The ``count`` strongest findings to name (by severity, then confidence), each with its other side's
    when that was found too: "tight deep hip flexors on both sides", never the left alone."""
    ranked = sorted(found, key=lambda f: (-f.rank, -f.confidence, f.id))
    named = list(dict.fromkeys(f.base for f in ranked))[:count]
    return [f for f in ranked if f.base in named]


def tidy(text: str) -> str:
    """One space between words and none before punctuation (a placeholder filled with nothing)."""
    text = " ".join(text.split())
    for mark in ".,:;":
        text = text.replace(f" {mark}", mark)
    return text


def _symptom_phrases(kb: KnowledgeBase, case: Case, p: Pattern) -> list[str]:
    s = case.assessment.symptoms
    regions = {sym.region for sym in p.symptoms if sym.region}
    acts = {sym.aggravated_by for sym in p.symptoms if sym.aggravated_by}
    out = []
    for loc in s.locations:
        if loc.region in regions:
            # "the right buttock", "the back of the thigh on both sides", "the low back"
            region = kb.regions[loc.region].name.lower().split(" (")[0]
            if loc.side in ("left", "right") and " " not in region:
                out.append(f"pain in the {loc.side} {region}")
                continue
            side = f" {on_side(loc.side)}" if on_side(loc.side) else ""
            out.append(f"pain in {region if region.startswith('the ') else 'the ' + region}{side}")
    worse = [kb.activities[a].name.lower() for a in s.aggravated_by if a in acts]
    if worse:
        out.append("pain worse with " + join(worse))
    return out


def _score(p: Pattern, by_base: dict[str, list[Finding]], case: Case) -> tuple[float, list[Finding]]:
    if any(not any(fid in by_base for fid in group) for group in p.required):
        return 0.0, []
    score, used = 0.0, []
    for sign in p.signs:
        matches = by_base.get(sign.finding)
        if matches:
            best = max(matches, key=lambda f: (f.confidence, f.id))
            score += sign.weight * best.confidence
            used.extend(sorted(matches, key=lambda f: f.id))
    main = {f.side for f in used if f.side}
    for sign in p.weakened_by:  # evidence against, on the same side (or either, if one-sided unknown)
        against = [f for f in by_base.get(sign.finding, ()) if not main or f.side in main or f.side is None]
        if against:
            score -= sign.weight * max(f.confidence for f in against)
    s = case.assessment.symptoms
    regions = {loc.region for loc in s.locations}
    for sym in p.symptoms:
        if (sym.region and sym.region in regions) or (sym.aggravated_by and sym.aggravated_by in s.aggravated_by):
            score += sym.weight
    return max(0.0, min(MAX_CONFIDENCE, round(score, 2))), used


def _side(used: list[Finding]) -> str:
    weight = {"left": 0.0, "right": 0.0}
    for f in used:
        if f.side in weight:
            weight[f.side] += f.confidence
    if weight["left"] == weight["right"]:
        return ""
    main, other = ("left", "right") if weight["left"] > weight["right"] else ("right", "left")
    return on_side(main) if weight[other] < weight[main] / 2 else f"{on_side('both')}, more {on_side(main)}"


def observed_tilt(findings: FindingSet, case: Case) -> str | None:
    """The pelvic tilt the examination shows: anterior, posterior, or None (neutral or not examined).

    A measured tilt counts when its norm flags it (a posture finding); an observed one as the
    clinician recorded it, even an anterior tilt that most healthy people share.
    """
    for tilt in ("anterior", "posterior"):
        if f"posture:{tilt}_pelvic_tilt" in findings.by_base:
            return tilt
    entry = case.tests.get(TILT_TEST)
    seen = entry.whole.get("observed") if entry else None
    return seen if seen in TILT_PATTERN else None


def _consistent_with_tilt(patterns: list[dict[str, Any]], tilt: str | None) -> list[dict[str, Any]]:
    """Drop the pattern that contradicts the observed tilt; with none observed, keep the better supported."""
    claiming = [p["id"] for p in patterns if p["id"] in TILT_PATTERN.values()]  # strongest first
    doomed = {pid for pid in claiming if pid != TILT_PATTERN[tilt]} if tilt else set(claiming[1:])
    return [p for p in patterns if p["id"] not in doomed]


def score_patterns(
    kb: KnowledgeBase, findings: FindingSet, case: Case, screens: Collection[str] = ()
) -> list[dict[str, Any]]:
    """The patterns the findings and symptoms are consistent with, strongest first.

    A pattern that one of the client's conditions or a standing screen accounts for (their ``explains``)
    is not reported: a positive FAIR test beside a painful stiff hip says more about the joint than about
    the piriformis (Reiman 2013), and the screen above already says what the findings may be.
    """
    out: list[dict[str, Any]] = []
    explained = argued_against(kb, None, screens, case.assessment.client.conditions)
    for p in kb.pattern.values():
        if p.kind != "imbalance" or p.id in explained:
            continue  # screens are recognised by their own items (reasoning.screens)
        confidence, used = _score(p, findings.by_base, case)
        if not used or confidence < MIN_PATTERN_CONFIDENCE:
            continue
        told = [f for f in used if not f.to_confirm()]  # what is only to confirm is not told as found
        named = strongest(told)
        evidence = findings_words(kb, named) if named else UNCONFIRMED
        symptoms = _symptom_phrases(kb, case, p)
        text = " ".join(
            p.explanation_template.format(
                side=_side(used), evidence=evidence, symptoms=join(symptoms) or "your symptoms"
            ).split()
        )
        out.append(
            {
                "id": p.id,
                "kind": p.kind,
                "confidence": confidence,
                "findings": [f.id for f in used],
                "explanation": tidy(text),
            }
        )
    ranked = sorted(out, key=lambda d: (-d["confidence"], d["id"]))
    return _consistent_with_tilt(ranked, observed_tilt(findings, case))


def explained_by_conditions(kb: KnowledgeBase, conditions: Collection[str]) -> set[str]:
    """Imbalance patterns one of the client's conditions accounts for (its ``explains``): not reported."""
    return {e.pattern for c in conditions for e in kb.conditions[c].explains}


def argued_against(
    kb: KnowledgeBase,
    findings: FindingSet | None,
    screens: Collection[str] = (),
    conditions: Collection[str] = (),
) -> set[str]:
    """Patterns their tests are not worth suggesting for: a finding present argues against them (their
    ``weakened_by``), a screen that stands accounts for the same symptoms (its ``explains``), or one of the
    client's conditions does."""
    against = explained_by_conditions(kb, conditions)
    for s in screens:
        screen = kb.pattern[s].screen
        against |= set(screen.explains if screen else ())
    if findings is not None:
        against |= {p.id for p in kb.pattern.values() if any(w.finding in findings.by_base for w in p.weakened_by)}
    return against


def suggest_tests(
    kb: KnowledgeBase,
    case: Case,
    findings: FindingSet,
    patterns: list[dict[str, Any]],
    uncovered: Collection[str] = (),
) -> list[dict[str, Any]]:
    """Tests to do next: the candidates the symptoms point at, judged against what is known and
    within the client's precautions, at most :data:`MAX_SUGGESTED_TESTS`.

    ``uncovered``: the tests that would answer a question the examination left open (the coverage
    block's ``missing``); among equals they come first.
    """
    chosen = judge_suggestions(kb, case, candidate_tests(kb, case), findings, patterns, uncovered)
    retest = _squat_retest(kb, case)
    screens = [p["id"] for p in patterns if p["kind"] == "screen"]
    chosen = within_precautions(kb, case, [*chosen, retest] if retest else chosen, screens)
    if retest in chosen and len(chosen) > MAX_SUGGESTED_TESTS:  # the re-test keeps its place
        chosen = [*chosen[: MAX_SUGGESTED_TESTS - 1], retest]
    found = {p["id"] for p in patterns}
    return [{**s, "why": suggestion_why(kb, s, found)} for s in chosen[:MAX_SUGGESTED_TESTS]]


def pattern_noun(pattern: Pattern) -> str:
    """A pattern's name inside a sentence: "the posterior pelvic tilt pattern", "the hip joint screen"."""
    name = pattern.name[:1].lower() + pattern.name[1:]
    return f"the {name}" if name.endswith(("pattern", "screen")) else f"the {name} pattern"


def suggestion_why(kb: KnowledgeBase, suggestion: dict[str, Any], found: Collection[str]) -> str:
    """What a suggested test would show, then what it is for, never implying a pattern not found was found:
    "To check for the posterior pelvic tilt pattern." when the findings are not consistent with it; "The
    findings are consistent with the lower crossed pattern: this test would support or weaken it." when they
    are; "Part of the hip joint screen." for a screen's test."""
    pattern = kb.pattern.get(suggestion.get("pattern") or "")
    if pattern is None:
        return str(suggestion["why"])
    noun = pattern_noun(pattern)
    if pattern.kind == "screen":
        purpose = f"Part of {noun}."
    elif pattern.id in found:
        purpose = f"The findings are consistent with {noun}: this test would support or weaken it."
    else:
        purpose = f"To check for {noun}."
    return f"{suggestion['why']} {purpose}"


def judge_suggestions(
    kb: KnowledgeBase,
    case: Case,
    candidates: list[dict[str, Any]],
    findings: FindingSet,
    patterns: list[dict[str, Any]],
    uncovered: Collection[str] = (),
) -> list[dict[str, Any]]:
    """Drop the tests a stronger explanation already answers; put the leading pattern's first.

    A pattern whose ``weakened_by`` finding is present has a stronger explanation beside it
    (nerve-root signs explain buttock and leg pain better than the piriformis or the sacroiliac
    joint), and so does one a standing screen or a condition of the client's accounts for
    (:func:`argued_against`), so its provocation tests would only add noise. Then the candidates follow the
    patterns' order (screens first, then the leading imbalance's); within that, a test that answers a
    question the examination left open comes first, in the order of the questions (the nerve first:
    ``coverage.yaml``); the rest keep their relevance order.
    """
    screens = [p["id"] for p in patterns if p["kind"] == "screen"]
    explained = argued_against(kb, findings, screens, case.assessment.client.conditions)
    order = {p["id"]: i for i, p in enumerate(patterns)}
    kept = [(i, c) for i, c in enumerate(candidates) if c["pattern"] not in explained]

    open_order = {t: i for i, t in enumerate(uncovered)}

    def rank(ic: tuple[int, dict[str, Any]]) -> tuple[int, int, int]:
        return order.get(ic[1]["pattern"], len(order)), open_order.get(ic[1]["test"], len(open_order)), ic[0]

    return [c for _, c in sorted(kept, key=rank)]


def _squat_retest(kb: KnowledgeBase, case: Case) -> dict[str, Any] | None:
    """A painful squat was not read: ask for it again when pain allows."""
    if not squat_read_as_pain(kb, case):
        return None
    limit = kb.criterion["squat_pain_limit"]
    return {
        "test": SQUAT,
        "why": (
            f"The squat was painful or done with pain of {limit.value:g}/10 or more, so its compensations were "
            "not read as muscle findings: they may be the body avoiding pain. Repeat it once pain has settled."
        ),
        "pattern": None,
        "retest": True,
    }


def candidate_tests(kb: KnowledgeBase, case: Case) -> list[dict[str, Any]]:
    """Tests the symptoms point at: a pattern whose tests were not done, most specific first."""
    s = case.assessment.symptoms
    side_of: dict[str, set[str]] = {}
    for loc in s.locations:
        side_of.setdefault(loc.region, set()).add(loc.side)
    ranked: list[tuple[int, int, dict[str, Any]]] = []
    seen: set[tuple[str, str | None]] = set()
    for p in kb.pattern.values():
        for sug in p.suggested_tests:
            if sug.test in case.tests:
                continue
            hit_regions = [r for r in sug.when_regions if r in side_of]
            if sug.when_regions and not hit_regions:
                continue
            hit_acts = set(sug.when_aggravated_by) & set(s.aggravated_by)
            if sug.when_aggravated_by and not hit_acts:
                continue
            if sug.when_age_under is not None and case.assessment.client.age >= sug.when_age_under:
                continue
            sides = {x for r in hit_regions for x in side_of[r]} - {"central"}
            side = (
                None
                if not sides or kb.test[sug.test].layout != "sided"
                else (sides.pop() if len(sides) == 1 and "both" not in sides else "both")
            )
            if (sug.test, side) in seen:
                continue
            seen.add((sug.test, side))
            item: dict[str, Any] = {"test": sug.test, "why": sug.why, "pattern": p.id}
            if side:
                item["side"] = side
            # the more specific the match, the sooner: aggravating activities, then regions
            # other than the low back (which fits almost every pattern)
            relevance = 2 * len(hit_acts) + sum(1 for r in hit_regions if r != "low_back")
            ranked.append((-relevance, len(ranked), item))
    return [item for _, _, item in sorted(ranked, key=lambda r: (r[0], r[1]))]


def precaution_conditions(kb: KnowledgeBase, case: Case, screens: Collection[str] = ()) -> list[str]:
    """The client's conditions and those a standing screen implies (its ``implies_conditions``, kept as a
    precaution until a doctor has checked): the ones every test and exercise offered must respect."""
    implied = [c for s in screens if (sc := kb.pattern[s].screen) for c in sc.implies_conditions]
    return list(dict.fromkeys([*case.assessment.client.conditions, *implied]))


def within_precautions(
    kb: KnowledgeBase, case: Case, suggestions: list[dict[str, Any]], screens: Collection[str] = ()
) -> list[dict[str, Any]]:
    """The suggested tests the client's conditions allow (:mod:`rebalance.knowledge.precautions`): a test
    that puts the body in a position one of their conditions - or one a standing screen implies - forbids
    is not suggested."""
    conditions = precaution_conditions(kb, case, screens)
    return [s for s in suggestions if may_offer(kb, kb.test[s["test"]], conditions)]
