"""Red flags -> safety level: emergency, urgent, caution or clear.

The flags present are those ticked plus those derived from the assessment (age, duration,
leg symptoms on both sides, nerve-root signs, STarT Back risk, severe pain). Each flag has a
level alone; the rules in ``safety_rules.yaml`` escalate clusters. The highest level wins.
Facts of a person's history (a past cancer, ...) are caution alone and weighed with age and the
other flags by the rules; leg symptoms on both sides count when new, not when long-standing with
the stenosis picture. An urgent or emergency document says nothing about running the program.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from rebalance.assessment.models import Case
from rebalance.knowledge.loader import KnowledgeBase
from rebalance.knowledge.words import running, sentences
from rebalance.reasoning.screens import legs_on_both_sides

LEVELS = ("clear", "caution", "urgent", "emergency")
RANK = {name: i for i, name in enumerate(LEVELS)}

Context = dict[str, Any]


STENOSIS = "lumbar_spinal_stenosis"


NERVE_TENSION_TESTS = ("passive_slr", "slump")
SIDES = ("left", "right")


def radicular_sides(kb: KnowledgeBase, case: Case, neural: Sequence[Any]) -> set[str]:
    """The sides whose leg symptoms may come from a nerve root: below the knee, or in the thigh unless a
    straight-leg raise or slump on that side was done and found no nerve sign. Pain that stays in the
    thigh with a negative nerve-tension test is somatic referred pain, not sciatica (Bogduk 2009)."""
    cleared = {side for t in NERVE_TENSION_TESTS if t in case.tests for side in case.tests[t].sides}
    cleared -= {f.side for f in neural}
    sides: set[str] = set()
    for loc in case.assessment.symptoms.locations:
        region = kb.regions[loc.region]
        if not region.radicular:
            continue
        on = SIDES if loc.side == "both" else (loc.side,) if loc.side in SIDES else ()
        sides |= {side for side in on if region.below_knee or side not in cleared}
    return sides


def _bilateral(kb: KnowledgeBase, case: Case, ctx: Context) -> bool:
    """Radicular leg symptoms on both sides, unless long-standing, not getting weaker, with the stenosis
    picture.

    Bilateral sciatica that is new (or, ticked by hand, spreading or worse) can herald cauda equina
    compression; leg symptoms on both sides for months that come with walking and ease with sitting
    are neurogenic claudication (Finucane 2020; the stenosis screen says where to refer). Thigh ache on
    both sides with a negative straight-leg raise on each is referred pain, not bilateral sciatica.
    """
    if not legs_on_both_sides(kb, case) or set(SIDES) - radicular_sides(kb, case, ctx["neural"]):
        return False
    a = case.assessment
    settled = a.symptoms.duration_weeks >= kb.criterion["new_pain_weeks"].value
    worsening = "progressive_weakness" in a.red_flags
    return not (settled and not worsening and STENOSIS in ctx.get("screens", ()))


NEURAL_TESTS = ("passive_slr", "slump", "crossed_slr")


def _below_knee_untested(kb: KnowledgeBase, case: Case, ctx: Context) -> bool:
    below = any(kb.regions[loc.region].below_knee for loc in case.assessment.symptoms.locations)
    return below and not any(t in case.tests for t in NEURAL_TESTS)


def _age_over(kb: KnowledgeBase, case: Case, ctx: Context) -> bool:
    a = case.assessment
    return (
        a.client.age > kb.criterion["age_new_pain_over"].value
        and a.symptoms.duration_weeks < kb.criterion["new_pain_weeks"].value
    )


def _age_under(kb: KnowledgeBase, case: Case, ctx: Context) -> bool:
    return case.assessment.client.age < kb.criterion["age_new_pain_under"].value


def _nerve_root(kb: KnowledgeBase, case: Case, ctx: Context) -> bool:
    return bool(ctx["neural"])


def _not_settling(kb: KnowledgeBase, case: Case, ctx: Context) -> bool:
    weeks = kb.criterion["nerve_root_pain_weeks"].value
    return bool(ctx["neural"]) and case.assessment.symptoms.duration_weeks > weeks


def _high_risk(kb: KnowledgeBase, case: Case, ctx: Context) -> bool:
    sb = ctx.get("start_back")
    return bool(sb and sb["risk"] == "high")


def _severe_pain(kb: KnowledgeBase, case: Case, ctx: Context) -> bool:
    s = case.assessment.symptoms
    cut = kb.criterion["severe_pain"].value
    return s.pain_now >= cut or (s.pain_worst_week or 0) >= cut


DERIVED: dict[str, Callable[[KnowledgeBase, Case, Context], bool]] = {
    "bilateral_leg_symptoms": _bilateral,
    "age_over_50_new_pain": _age_over,
    "age_under_20_new_pain": _age_under,
    "nerve_root_signs": _nerve_root,
    "nerve_root_pain_not_settling": _not_settling,
    "leg_pain_below_knee": _below_knee_untested,
    "high_start_back_risk": _high_risk,
    "severe_pain": _severe_pain,
}

SUMMARY = {
    "emergency": "Stop: do not start an exercise program. {action}",
    "urgent": "Do not start an exercise program yet. {action} It waits until your clinician has seen you again.",
    "caution": (
        "A gentle program is given, but a clinician must review it before you start. {action} "
        "Keep to the program's pain rule."
    ),
    "clear": "No warning signs found. The program can start; keep to its pain rule.",
}


STOPPED = "Stop the exercises. {action} They stay stopped until your clinician has seen you again."
"""The one message for a program that is stopped (urgent or emergency), on every page that shows the stop:
the level's action said once, and the one rule for who lifts the stop (``programs.stops``: a new
assessment by the clinician, not a later check-in)."""
NOT_STARTED = "Do not start the exercises. {action} They wait until your clinician has seen you again."
""":data:`STOPPED` for someone who has no program yet (a handout of an assessment that withheld it)."""


def stop_message(
    kb: KnowledgeBase, flag_ids: Sequence[str], conditions: Sequence[str] = (), *, started: bool = True
) -> str:
    """:data:`STOPPED` (or, for someone without a program, :data:`NOT_STARTED`) for a set of red flags (and
    conditions): the level's action, once, and who lifts the stop."""
    _, action, _ = _level_and_action(kb, list(dict.fromkeys(flag_ids)), conditions)
    return (STOPPED if started else NOT_STARTED).format(action=action).replace("  ", " ")


def assess_safety(kb: KnowledgeBase, case: Case, ctx: Context) -> dict[str, Any]:
    """The contract's safety block: level, flags with messages, and what to do."""
    present = list(dict.fromkeys(case.assessment.red_flags))
    present += [fid for fid, test in DERIVED.items() if fid not in present and test(kb, case, ctx)]
    return safety_for_flags(kb, present, case.assessment.client.conditions)


def safety_for_flags(kb: KnowledgeBase, flag_ids: list[str], conditions: Sequence[str] = ()) -> dict[str, Any]:
    """Level, flags with messages, and what to do, for a set of red flags (and conditions).

    The one place the combination rules are applied: the analysis uses it, and so does the
    patient's weekly red-flag check-in.
    """
    present = list(dict.fromkeys(flag_ids))
    level, action, cautions = _level_and_action(kb, present, conditions)
    flags = _flag_messages(kb, present, cautions, withholds_program(level))
    return {"level": level, "flags": flags, "message": SUMMARY[level].format(action=action).strip()}


def _level_and_action(kb: KnowledgeBase, present: list[str], conditions: Sequence[str]) -> tuple[str, str, list[Any]]:
    """The level, what to do (the highest flag's, condition's or rule's), and the conditions that caution."""
    level = "clear"
    action = ""
    from_rule = False
    for fid in present:
        flag = kb.red_flags[fid]
        if RANK[flag.urgency_alone] > RANK[level]:
            level, action = flag.urgency_alone, flag.where_to_go
    cautions = [kb.conditions[c] for c in conditions if kb.conditions[c].urgency != "none" and c not in present]
    for cond in cautions:
        if RANK[cond.urgency] > RANK[level]:
            # its precautions are listed with the condition (flags, program warnings): named, not repeated
            level, action = cond.urgency, f"Keep to the precautions for {running(cond.name)}."
    # a condition that is also a red flag (osteoporosis) is that fact of the person's history, whichever
    # list it was written in: the rules weigh it with the other flags
    have = set(present) | {c for c in conditions if c in kb.red_flags}
    for rule in kb.safety_rules.values():
        # a matching cluster rule raises the level; at the same level the first matching rule's
        # message (rules run from most to least specific) replaces a single flag's
        met = have.intersection(rule.any_of)
        # facts of the person's history alone (osteoporosis with long-term steroids - often its very
        # cause) are risk, not a sign of this episode: a cluster needs one flag that describes it
        # (new pain after 50, a fall, fever ...), as NICE CKS's fracture risk is "with minor trauma"
        # and Finucane 2020 weighs risk factors in the context of the presentation
        if len(met) < rule.min_count or all(kb.red_flags[f].lifetime for f in met) or set(rule.requires) - met:
            continue
        if RANK[rule.level] > RANK[level] or (RANK[rule.level] == RANK[level] and not from_rule):
            level, action, from_rule = rule.level, rule.message, True
    return level, action, cautions


def _flag_messages(
    kb: KnowledgeBase, present: list[str], cautions: Sequence[Any], withheld: bool
) -> list[dict[str, str]]:
    """Each flag with what it means and where to go. When the program is withheld, advice on running it
    (a gentle start, a clinician's review of the program, the STarT Back advice) is left out, and a
    condition is named with what it means, without exercise precautions."""
    flags = [
        {"id": fid, "message": f"{kb.red_flags[fid].meaning} {kb.red_flags[fid].where_to_go}"}
        for fid in present
        if not (withheld and kb.red_flags[fid].program_advice)
    ]
    for cond in cautions:
        advice = "" if withheld else " " + sentences(cond.precautions)
        flags.append({"id": cond.id, "message": f"{cond.name}: {cond.meaning}{advice}"})
    return flags


def check_in_questions(kb: KnowledgeBase) -> list[dict[str, str]]:
    """The weekly red-flag check-in: every flag a person can answer themselves that can change from one
    week to the next, in plain words. A fact of their history (a past cancer, injected drugs, long-term
    steroids, osteoporosis) is weighed at the assessment with age and the other flags, not asked weekly:
    answered yes every week it would stop the program for good. A flag whose question asks how the pain
    began is asked as what has happened since the last check-in (``check_in``)."""
    return [
        {"id": f.id, "question": f.check_in or f.question, "category": f.category}
        for f in kb.red_flags.values()
        if (not f.derived or f.id == "bilateral_leg_symptoms") and not f.lifetime
    ]


def withholds_program(level: str) -> bool:
    """Emergency and urgent withhold the program (contract)."""
    return RANK[level] >= RANK["urgent"]


def since_assessment(
    checked_on: dt.date,
    check_in_stored_at: dt.datetime | None,
    assessed_on: dt.date | None,
    assessment_stored_at: dt.datetime | None,
) -> bool:
    """Whether a weekly check-in counts against the latest assessment: answered after it. On a later day;
    on the same day, when it was stored after the assessment (an assessment later that day has seen the
    person since: its own safety level speaks for that day). With no assessment, or a stored time not
    known, a same-day check-in counts: the safer reading. (What stops the program, and the clinician's
    red-flag alert, both read check-ins this way.)"""
    if assessed_on is None or checked_on != assessed_on:
        return assessed_on is None or checked_on > assessed_on
    if check_in_stored_at is None or assessment_stored_at is None:
        return True
    return check_in_stored_at > assessment_stored_at
