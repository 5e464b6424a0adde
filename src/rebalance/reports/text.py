"""The analysis document as a plain-text report a person can read."""

from __future__ import annotations

import textwrap
from typing import Any

WIDTH = 88
LEVEL_TITLE = {
    "emergency": "EMERGENCY - STOP AND GET HELP NOW",
    "urgent": "URGENT - SEE A DOCTOR BEFORE EXERCISING",
    "caution": "CAUTION - GENTLE PROGRAM, CLINICIAN REVIEW NEEDED",
    "clear": "CLEAR - NO WARNING SIGNS FOUND",
}


def _wrap(text: str, indent: str = "  ") -> list[str]:
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


def _findings(findings: list[dict[str, Any]]) -> list[str]:
    if not findings:
        return ["  No findings: every test done was within its norm."]
    lines = []
    for f in findings:
        lines.append(f"  - {f['id']}  ({f['severity']}, confidence {f['confidence']:.2f})")
        for e in f["evidence"]:
            lines += _wrap(f"{e['reason']} [{e['test']}: {e['value']}; source {e['source']}]", "      ")
    return lines


def render_text(doc: dict[str, Any]) -> str:
    out = [f"rebalance analysis - client {doc.get('client_id') or '(no id)'}, {doc.get('date', '')}", ""]
    safety = doc["safety"]
    out += [f"SAFETY: {LEVEL_TITLE[safety['level']]}", *_wrap(safety["message"])]
    for flag in safety["flags"]:
        out += _wrap(f"- {flag['id']}: {flag['message']}")
    out += ["", "SCORES", *_scores(doc["scores"]), "", "FINDINGS", *_findings(doc["findings"]), "", "PATTERNS"]
    if not doc["patterns"]:
        out.append("  No pattern stands out from the tests done.")
    for p in doc["patterns"]:
        out.append(f"  {p['id']} (confidence {p['confidence']:.2f})")
        out += _wrap(p["explanation"], "    ")
    if doc["suggested_tests"]:
        out += ["", "TESTS TO DO NEXT"]
        for t in doc["suggested_tests"]:
            side = f" ({t['side']})" if t.get("side") else ""
            out += _wrap(f"- {t['test']}{side}: {t['why']}")
    if doc.get("lifestyle_factors"):
        out += ["", "HABITS THAT MAY CONTRIBUTE"]
        out += [f"  - {x['name']}" + (f" ({x['side']})" if x.get("side") else "") for x in doc["lifestyle_factors"]]
    if doc.get("program") is None and safety["level"] in ("emergency", "urgent"):
        out += ["", "PROGRAM", "  Withheld for safety: see above."]
    out += ["", "These findings describe patterns consistent with the measurements; they are not a diagnosis."]
    return "\n".join(out) + "\n"
