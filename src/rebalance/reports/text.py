"""The analysis document as a plain-text report a person can read."""

from __future__ import annotations

import textwrap
from typing import Any

from rebalance.programs.dose import dose_text, reduced_note

__all__ = ["dose_text", "render_text", "wrap"]

WIDTH = 88
LEVEL_TITLE = {
    "emergency": "EMERGENCY - STOP AND GET HELP NOW",
    "urgent": "URGENT - SEE A DOCTOR BEFORE EXERCISING",
    "caution": "CAUTION - GENTLE PROGRAM, CLINICIAN REVIEW NEEDED",
    "clear": "CLEAR - NO WARNING SIGNS FOUND",
}


def wrap(text: str, indent: str = "  ") -> list[str]:
    return textwrap.wrap(text, WIDTH, initial_indent=indent, subsequent_indent=indent + "  ")


def _scores(s: dict[str, Any]) -> list[str]:
    lines = [
        f"  Pain now: {s['pain_now']}/10 ({s['pain_band']})"
        + (f", worst this week {s['pain_worst_week']}/10" if s.get("pain_worst_week") is not None else "")
    ]
    if s.get("odi"):
        o = s["odi"]
        band = o["band"].replace("_", " ")
        detail = f"{band}; raw {o['raw']}, {o['answered']} of 10 answered"
        lines.append(f"  Oswestry Disability Index: {o['percent']} % ({detail})")
    if s.get("start_back"):
        b = s["start_back"]
        lines.append(f"  STarT Back: total {b['total']}, distress {b['distress']} -> {b['risk']} risk")
    return lines


def _findings(findings: list[dict[str, Any]], coverage: dict[str, Any] | None) -> list[str]:
    if not findings:
        level = (coverage or {}).get("level", "full")
        if level == "none":
            return ["  None yet: no test that bears on these symptoms has been done (see COVERAGE below)."]
        if level == "partial":
            return ["  No finding in the tests done; the tests not done are unknown, not normal (see COVERAGE)."]
        return ["  No findings: every test done was within its norm."]
    lines = []
    for f in findings:
        lines.append(f"  - {f['id']}  ({f['severity']}, confidence {f['confidence']:.2f})")
        for e in f["evidence"]:
            lines += wrap(f"{e['reason']} [{e['test']}: {e['value']}; source {e['source']}]", "      ")
    return lines


def _minutes(seconds: float) -> str:
    """Time as a person reads it: "3 min", "1.5 min"."""
    return f"{round(seconds / 60, 1):g} min"


def _program(p: dict[str, Any]) -> list[str]:
    out = [
        f"PROGRAM ({p['mode']}; {p['minutes_per_session']} minutes, {p['sessions_per_week']} days a week; "
        f"reassess after {p['reassess_after_weeks']} weeks, on {p['reassess_on']})"
    ]
    out += wrap(
        f"Starting level {p['start_level']} of 4"
        + (f" because of {', '.join(p['start_level_reasons'])}" if p["start_level_reasons"] else "")
    )
    for phase in p["phases"]:
        out += wrap(f"Weeks {phase['weeks']} - {phase['name']}: {phase['goal']}")
    out.append("")
    names = {i["exercise_id"]: i["name"] for i in p["items"]}
    for i, item in enumerate(p["items"], 1):
        side = "" if item["side"] == "both" else f" ({item['side']} side)"
        out.append(f"  {i}. {item['name']}{side}: {dose_text(item['dosage'])}")
        if item.get("extra"):
            out += wrap(f"+ {item['extra']['why']}", "       ")
        out += wrap(item["why"], "       ")
        if note := reduced_note(item):
            out += wrap(f"({note})", "       ")
    out += ["", "  WEEK"]
    for day in p["schedule"]:
        done = ", ".join(
            f"{names.get(x['exercise_id'], x['exercise_id'])} {_minutes(x['seconds'])}" for x in day["items"]
        )
        out += wrap(f"{day['day']} ({_minutes(day['minutes'] * 60)}): {done or 'rest'}", "    ")
    if p["habits"]:
        out += ["", "  HABITS"]
        for h in p["habits"]:
            out += wrap(f"- {h['advice']}", "    ")
    if p["hands_on"]:
        out += ["", "  FOR YOUR CLINICIAN"]
        for h in p["hands_on"]:
            out += wrap(f"- {h['finding']}: {h['note']}", "    ")
    out += ["", "  SAFETY"]
    for w in p["warnings"]:
        out += wrap(f"- {w}", "    ")
    return out


def render_text(doc: dict[str, Any]) -> str:
    out = [f"rebalance analysis - client {doc.get('client_id') or '(no id)'}, {doc.get('date', '')}", ""]
    safety = doc["safety"]
    out += [f"SAFETY: {LEVEL_TITLE[safety['level']]}", *wrap(safety["message"])]
    for flag in safety["flags"]:
        out += wrap(f"- {flag['id']}: {flag['message']}")
    coverage = doc.get("coverage")
    out += ["", "SCORES", *_scores(doc["scores"]), "", "FINDINGS", *_findings(doc["findings"], coverage)]
    out += ["", "PATTERNS"]
    if not doc["patterns"]:
        none_yet = (coverage or {}).get("level") == "none"
        out.append(
            "  No pattern can be judged before the tests below are done."
            if none_yet
            else "  No pattern stands out from the tests done."
        )
    for p in doc["patterns"]:
        kind = "screen - not a muscle imbalance; " if p.get("kind") == "screen" else ""
        out.append(f"  {p['id']} ({kind}confidence {p['confidence']:.2f})")
        out += wrap(p["explanation"], "    ")
        if p.get("refer"):
            r = p["refer"]
            out += wrap(f"Refer ({r['urgency']}): {r['to']}. {r['why']}", "    ")
    if coverage:
        out += ["", f"COVERAGE: {coverage['level']}", *wrap(coverage["message"])]
    if doc["suggested_tests"]:
        out += ["", "TESTS TO DO NEXT"]
        for t in doc["suggested_tests"]:
            side = f" ({t['side']})" if t.get("side") else ""
            out += wrap(f"- {t['test']}{side}: {t['why']}")
    if doc.get("lifestyle_factors"):
        out += ["", "HABITS THAT MAY CONTRIBUTE"]
        out += [f"  - {x['name']}" + (f" ({x['side']})" if x.get("side") else "") for x in doc["lifestyle_factors"]]
    if doc.get("program") is None and safety["level"] in ("emergency", "urgent"):
        out += ["", "PROGRAM", "  Withheld for safety: see above."]
    elif doc.get("program"):
        out += ["", *_program(doc["program"])]
    out += ["", "These findings describe patterns consistent with the measurements; they are not a diagnosis."]
    return "\n".join(out) + "\n"
