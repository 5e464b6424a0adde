"""The analysis document as a plain-text report for a clinician and their patient.

Every name in it comes from the phrase builder (:mod:`rebalance.knowledge.words`), never an id:
findings grouped as tight, weak, left-right and other, each piece of evidence a sentence with the
value, the norm it was read against and its source as an author-year citation; patterns, tests,
habits and flags by name; dates as people write them.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from typing import Any

from rebalance.knowledge.loader import KnowledgeBase, default
from rebalance.knowledge.words import (
    capital,
    date_words,
    evidence_sentence,
    finding_phrase,
    finding_title,
    habit_phrase,
    join,
    minutes,
    sentence,
    test_phrase,
)
from rebalance.programs.build import program_phases
from rebalance.programs.dose import dose_text, reduced_note
from rebalance.reports.assessment_view import GROUPS, confirm_sentence, doubtful, kind_name

__all__ = ["GROUPS", "dose_text", "render_text", "score_lines", "wrap"]

WIDTH = 88
LEVEL_TITLE = {
    "emergency": "EMERGENCY - STOP AND GET HELP NOW",
    "urgent": "URGENT - SEE A DOCTOR BEFORE EXERCISING",
    "caution": "CAUTION - GENTLE PROGRAM, CLINICIAN REVIEW NEEDED",
    "clear": "CLEAR - NO WARNING SIGNS FOUND",
}
MODE_WORDS = {
    "full": "full program",
    "gentle": "gentle program, for a clinician to review",
    "maintenance": "maintenance program",
}
COVERAGE_WORDS = {"none": "none", "partial": "partial", "full": "full"}


def wrap(text: str, indent: str = "  ") -> list[str]:
    return textwrap.wrap(text, WIDTH, initial_indent=indent, subsequent_indent=indent + "  ", break_on_hyphens=False)


def score_lines(s: dict[str, Any]) -> list[str]:
    """The analysis's scores, a line each: "Pain now: 6/10 (moderate), worst this week 8/10", the Oswestry
    Disability Index with its band and how many questions were answered, STarT Back with its risk."""
    lines = [
        f"Pain now: {s['pain_now']}/10 ({s['pain_band']})"
        + (f", worst this week {s['pain_worst_week']}/10" if s.get("pain_worst_week") is not None else "")
    ]
    if s.get("odi"):
        o = s["odi"]
        band = o["band"].replace("_", " ")
        detail = f"{band}; raw score {o['raw']}, {o['answered']} of 10 questions answered"
        lines.append(f"Oswestry Disability Index: {o['percent']} % ({detail})")
    if s.get("start_back"):
        b = s["start_back"]
        lines.append(f"STarT Back: total {b['total']}, distress {b['distress']}, so {b['risk']} risk")
    return lines


def _evidence(kb: KnowledgeBase, finding: dict[str, Any]) -> list[str]:
    said = dict.fromkeys(evidence_sentence(kb, finding["id"], e) for e in finding["evidence"])
    return [line for text in said for line in wrap(text, "        ")]


def _findings(kb: KnowledgeBase, findings: list[dict[str, Any]], coverage: dict[str, Any] | None) -> list[str]:
    if not findings:
        level = (coverage or {}).get("level", "full")
        if level == "none":
            return ["  None yet: no test that bears on these symptoms has been done (see COVERAGE below)."]
        if level == "partial":
            return ["  No finding in the tests done; the tests not done are unknown, not normal (see COVERAGE)."]
        return ["  No findings: every test done was within its norm."]
    lines = []
    sure = [f for f in findings if not doubtful(f)]
    for heading, kinds in GROUPS:
        group = [f for f in sure if f["kind"] in kinds]
        if not group:
            continue
        lines.append(f"  {heading}")
        for f in group:
            lines.append(f"    - {finding_title(kb, f['id'])}: {f['severity']}, confidence {f['confidence']:.2f}")
            lines += _evidence(kb, f)
    unsure = [f for f in findings if doubtful(f)]
    if unsure:  # as the clinician's page and report: inferred from little, apart, with how to confirm it
        lines.append("  To confirm")
        lines += wrap("Inferred from little (under 50 % confidence, or a muscle read from the squat alone).", "    ")
    for f in unsure:
        title = f"{finding_title(kb, f['id'])} ({kind_name(kb, f['kind'])})"
        lines.append(f"    - {title}: {f['severity']}, confidence {f['confidence']:.2f}")
        lines += _evidence(kb, f)
        lines += wrap(confirm_sentence(kb, f), "        ")
    return lines


def _patterns(kb: KnowledgeBase, doc: dict[str, Any], coverage: dict[str, Any] | None) -> list[str]:
    if not doc["patterns"]:
        none_yet = (coverage or {}).get("level") == "none"
        return [
            "  No pattern can be judged before the tests below are done."
            if none_yet
            else "  No pattern stands out from the tests done."
        ]
    out = []
    for p in doc["patterns"]:
        record = kb.pattern.get(p["id"])
        name = record.name if record else p["id"].replace("_", " ")
        kind = "a screen, not a muscle imbalance; " if p.get("kind") == "screen" else ""
        out.append(f"  {name} ({kind}confidence {p['confidence']:.2f})")
        out += wrap(p["explanation"], "    ")
        if p.get("refer"):
            r = p["refer"]
            out += wrap(f"Refer ({r['urgency']}): {r['to']}. {r['why']}", "    ")
    return out


def _suggested(kb: KnowledgeBase, tests: Iterable[dict[str, Any]]) -> list[str]:
    out = []
    for t in tests:
        side = f" ({'both sides' if t['side'] == 'both' else t['side']})" if t.get("side") else ""
        out += wrap(f"- {capital(test_phrase(kb, t['test']))}{side}: {t['why']}")
    return out


def _item_lines(kb: KnowledgeBase, i: int, item: dict[str, Any]) -> list[str]:
    side = "" if item["side"] == "both" else f" ({item['side']} side)"
    out = [f"  {i}. {item['name']}{side}: {dose_text(item['dosage'])}"]
    if item.get("extra"):
        out += wrap(f"+ {item['extra']['why']}", "       ")
    out += wrap(item["why"], "       ")
    if note := reduced_note(item):
        out += wrap(note, "       ")
    return out


def _program(kb: KnowledgeBase, p: dict[str, Any]) -> list[str]:
    mode = MODE_WORDS.get(p["mode"], p["mode"])
    out = [
        f"PROGRAM ({mode}; {p['minutes_per_session']} minutes, {p['sessions_per_week']} days a week; "
        f"reassess after {p['reassess_after_weeks']} weeks, on {date_words(p['reassess_on'])})"
    ]
    reasons = p["start_level_reasons"]
    out += wrap(f"Starting level {p['start_level']} of 4" + (f" because of {join(reasons)}" if reasons else ""))
    for phase in program_phases(p):
        out += wrap(f"Weeks {phase['weeks']} - {phase['name']}: {phase['goal']}")
    out.append("")
    names = {i["exercise_id"]: i["name"] for i in p["items"]}
    for i, item in enumerate(p["items"], 1):
        out += _item_lines(kb, i, item)
    out += ["", "  WEEK"]
    for day in p["schedule"]:
        done = ", ".join(f"{names.get(x['exercise_id'], 'exercise')} {minutes(x['seconds'])}" for x in day["items"])
        out += wrap(f"{day['day']} ({minutes(day['minutes'] * 60)}): {done or 'rest'}", "    ")
    if p["habits"]:
        out += ["", "  HABITS"]
        for h in p["habits"]:
            out += wrap(f"- {h['advice']}", "    ")
    if p["hands_on"]:
        out += ["", "  FOR YOUR CLINICIAN"]
        for h in p["hands_on"]:
            what = capital(finding_phrase(kb, h["finding"], "clinician"))
            out += wrap(f"- {what}: {h['note']}", "    ")
    out += ["", "  SAFETY"]
    for w in p["warnings"]:
        out += wrap(f"- {w}", "    ")
    return out


def render_text(doc: dict[str, Any], kb: KnowledgeBase | None = None) -> str:
    """The report: safety first, scores, findings grouped, patterns, coverage, the tests to do next,
    habits and the program with its week."""
    kb = kb or default()
    when = date_words(doc["date"]) if doc.get("date") else ""
    out = [f"rebalance analysis - client {doc.get('client_id') or '(no id)'}, {when}", ""]
    safety = doc["safety"]
    out += [f"SAFETY: {LEVEL_TITLE[safety['level']]}", *wrap(safety["message"])]
    for flag in safety["flags"]:
        out += wrap(f"- {sentence(flag['message'])}")
    coverage = doc.get("coverage")
    out += [
        "",
        "SCORES",
        *(f"  {line}" for line in score_lines(doc["scores"])),
        "",
        "FINDINGS",
        *_findings(kb, doc["findings"], coverage),
    ]
    out += ["", "PATTERNS", *_patterns(kb, doc, coverage)]
    if coverage:
        out += ["", f"COVERAGE: {COVERAGE_WORDS.get(coverage['level'], coverage['level'])}", *wrap(coverage["message"])]
    if doc["suggested_tests"]:
        out += ["", "TESTS TO DO NEXT", *_suggested(kb, doc["suggested_tests"])]
    if doc.get("lifestyle_factors"):
        out += ["", "HABITS THAT MAY CONTRIBUTE"]
        out += [f"  - {habit_phrase(kb, x['id'], x.get('side'))}" for x in doc["lifestyle_factors"]]
    if doc.get("program") is None and safety["level"] in ("emergency", "urgent"):
        out += ["", "PROGRAM", "  Withheld for safety: see above."]
    elif doc.get("program"):
        out += ["", *_program(kb, doc["program"])]
    out += ["", "These findings describe patterns consistent with the measurements; they are not a diagnosis."]
    return "\n".join(out) + "\n"
