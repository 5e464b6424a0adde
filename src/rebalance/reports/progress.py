"""Progress decisions, program revisions and outcomes as plain text: exercises, findings, measures
and sources by name (:mod:`rebalance.knowledge.words`), never by id."""

from __future__ import annotations

from typing import Any

from rebalance.knowledge.loader import KnowledgeBase, default
from rebalance.knowledge.words import capital, citation, date_words, finding_list, muscle_noun, test_phrase
from rebalance.reports.text import dose_text, wrap

MARK = {"progress": "↑ progress", "hold": "= hold", "regress": "↓ regress"}
MEASURES = {"pain_now": "Pain now (0-10)", "odi_percent": "Oswestry Disability Index (%)"}
UNITS = {"deg": "degrees", "s": "seconds", "mm": "mm", "%": "%"}


def _exercise(kb: KnowledgeBase, exercise_id: str) -> str:
    ex = kb.exercise.get(exercise_id)
    return ex.name if ex is not None else exercise_id.replace("_", " ")


def measure_words(kb: KnowledgeBase, measure: str) -> str:
    """An outcome's measure in words: "hip_internal_rotation.deg.left" -> "Hip turn-in test, left (degrees)",
    "mmt.gluteus_medius.right" -> "Muscle strength test, gluteus medius, right"."""
    if measure in MEASURES:
        return MEASURES[measure]
    test_id, *rest = measure.split(".")
    test = kb.test.get(test_id)
    parts = [capital(test_phrase(kb, test_id).removeprefix("the "))]
    unit = ""
    for part in rest:
        field = next((f for f in test.fields if f.name == part), None) if test else None
        if part in ("left", "right"):
            parts.append(part)
        elif part in kb.muscle:
            parts.append(muscle_noun(kb, part, "clinician").text)
        elif field is not None:
            unit = UNITS.get(field.unit or "", field.unit or "")
            if not unit:
                parts.append(part.replace("_", " "))
        else:
            parts.append(part.replace("_", " "))
    return ", ".join(parts) + (f" ({unit})" if unit else "")


def _decisions(kb: KnowledgeBase, result: dict[str, Any]) -> list[str]:
    out = ["DECISIONS"]
    for d in result["decisions"]:
        change = f" -> {d['next_step']}" if d.get("next_step") else ""
        out.append(f"  {MARK[d['decision']]:<11} {_exercise(kb, d['exercise_id'])}{change}")
        sessions = f"{d['sessions']} session{'s' if d['sessions'] != 1 else ''} logged"
        out += wrap(f"{capital(d['reason'])} ({sessions})", "      ")
    a = result["adherence"]
    if a and a["percent"] is not None:
        out += ["", f"ADHERENCE: {a['percent']} % ({a['entries_done']} of {a['entries_prescribed']} exercise sessions)"]
    return out


def _value(field: str, value: Any) -> str:
    if field == "dosage" and isinstance(value, dict):
        return dose_text(value)
    return str(value)


def _diff(kb: KnowledgeBase, diff: dict[str, Any]) -> list[str]:
    out = ["", "REVISED PROGRAM (new assessment)"]
    if diff.get("mode"):
        m = diff["mode"]
        out += wrap(f"Mode: {m['from']} -> {m['to']}: {m['reason']}")
    if diff["resolved_findings"]:
        out += wrap("Resolved: " + finding_list(kb, diff["resolved_findings"], "clinician"))
    if diff["new_findings"]:
        out += wrap("New: " + finding_list(kb, diff["new_findings"], "clinician"))
    for c in diff["items"]:
        name = _exercise(kb, c["exercise_id"])
        detail = (
            f" ({c['field']}: {_value(c['field'], c['from'])} -> {_value(c['field'], c['to'])})"
            if c["change"] == "changed"
            else ""
        )
        out += wrap(f"{capital(c['change'])}: {name}{detail} - {c['reason']}")
    return out


def render_progress(result: dict[str, Any], kb: KnowledgeBase | None = None) -> str:
    kb = kb or default()
    out = _decisions(kb, result)
    if diff := result.get("diff"):
        out += _diff(kb, diff)
    program = result.get("program") or (result.get("analysis") or {}).get("program")
    if program:
        out += ["", f"PROGRAM version {program['version']} ({program['mode']})"]
        out += [f"  - {i['name']}: {dose_text(i['dosage'])}" for i in program["items"]]
    return "\n".join(out) + "\n"


def render_outcomes(result: dict[str, Any], kb: KnowledgeBase | None = None) -> str:
    kb = kb or default()
    out = ["ASSESSMENTS"]
    for a in result["assessments"]:
        odi = f", ODI {a['odi_percent']} %" if a["odi_percent"] is not None else ""
        out.append(
            f"  {date_words(a['date'])}: pain {a['pain_now']}/10{odi}, {a['findings']} findings, safety {a['safety']}"
        )
    out += ["", "CHANGE FROM FIRST TO LAST"]
    for c in result["changes"]:
        verdict = c.get("judgement") or c.get("direction") or ""
        cited = f"; {citation(kb, c['source'])}" if c.get("source") else ""
        threshold = f" (important change: {c['threshold']}{cited})" if c.get("threshold") else ""
        line = f"  {measure_words(kb, c['measure'])}: {c['first']:g} -> {c['last']:g} ({c['change']:+g}) {verdict}"
        out.append(line.rstrip() + threshold)
    if result["asymmetries"]:
        out += ["", "LEFT-RIGHT DIFFERENCES (limb symmetry index, %)"]
        for a in result["asymmetries"]:
            series = ", ".join(
                f"{date_words(v['date'])}: {v['lsi'] if v['lsi'] is not None else 'symmetric'}" for v in a["series"]
            )
            restored = " - symmetry restored" if a["restored"] else ""
            out += wrap(f"{measure_words(kb, a['measure'])}: {series}{restored}")
    if result.get("adherence") and result["adherence"]["percent"] is not None:
        out += ["", f"ADHERENCE: {result['adherence']['percent']} %"]
    return "\n".join(out) + "\n"
