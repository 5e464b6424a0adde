"""Progress decisions, program revisions and outcomes as plain text."""

from __future__ import annotations

from typing import Any

from rebalance.reports.text import dose_text, wrap

MARK = {"progress": "↑ progress", "hold": "= hold", "regress": "↓ regress"}


def _decisions(result: dict[str, Any]) -> list[str]:
    out = ["DECISIONS"]
    for d in result["decisions"]:
        change = f" -> {d['next_step']}" if d.get("next_step") else ""
        out.append(f"  {MARK[d['decision']]:<11} {d['exercise_id']}{change}")
        out += wrap(f"{d['reason']} ({d['sessions']} session(s) logged)", "      ")
    a = result["adherence"]
    if a and a["percent"] is not None:
        out += ["", f"ADHERENCE: {a['percent']} % ({a['entries_done']} of {a['entries_prescribed']} exercise sessions)"]
    return out


def render_progress(result: dict[str, Any]) -> str:
    out = _decisions(result)
    diff = result.get("diff")
    if diff:
        out += ["", "REVISED PROGRAM (new assessment)"]
        if diff.get("mode"):
            m = diff["mode"]
            out += wrap(f"Mode: {m['from']} -> {m['to']}: {m['reason']}")
        if diff["resolved_findings"]:
            out += wrap("Resolved: " + ", ".join(diff["resolved_findings"]))
        if diff["new_findings"]:
            out += wrap("New: " + ", ".join(diff["new_findings"]))
        for c in diff["items"]:
            detail = f" {c['field']}: {c['from']} -> {c['to']}" if c["change"] == "changed" else ""
            out += wrap(f"{c['change']} {c['exercise_id']}{detail} - {c['reason']}")
    program = result.get("program") or (result.get("analysis") or {}).get("program")
    if program:
        out += ["", f"PROGRAM version {program['version']} ({program['mode']})"]
        out += [f"  - {i['name']}: {dose_text(i['dosage'])}" for i in program["items"]]
    return "\n".join(out) + "\n"


def render_outcomes(result: dict[str, Any]) -> str:
    out = ["ASSESSMENTS"]
    for a in result["assessments"]:
        odi = f", ODI {a['odi_percent']} %" if a["odi_percent"] is not None else ""
        out.append(f"  {a['date']}: pain {a['pain_now']}/10{odi}, {a['findings']} findings, safety {a['safety']}")
    out += ["", "CHANGE FROM FIRST TO LAST"]
    for c in result["changes"]:
        verdict = c.get("judgement") or c.get("direction") or ""
        threshold = f" (important change: {c['threshold']}; {c['source']})" if c.get("threshold") else ""
        out.append(f"  {c['measure']}: {c['first']:g} -> {c['last']:g} ({c['change']:+g}) {verdict}{threshold}")
    if result["asymmetries"]:
        out += ["", "LEFT-RIGHT DIFFERENCES (limb symmetry index, %)"]
        for a in result["asymmetries"]:
            series = ", ".join(f"{v['date']}: {v['lsi'] if v['lsi'] is not None else 'symmetric'}" for v in a["series"])
            out += wrap(f"{a['measure']}: {series}" + (" - symmetry restored" if a["restored"] else ""))
    if result.get("adherence") and result["adherence"]["percent"] is not None:
        out += ["", f"ADHERENCE: {result['adherence']['percent']} %"]
    return "\n".join(out) + "\n"
