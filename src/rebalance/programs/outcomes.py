"""Outcomes over time: from a series of assessments (and logs), what changed and whether it matters.

Pain is judged against its minimal important change (2 points or 30 %, Farrar 2001), the ODI
against 10 points (Ostelo 2008), extensor endurance against its minimum detectable change
(43.2 s); other measurements are reported with their direction (better or worse, from the test's
norms) but without a verdict where no threshold is published. Each left/right comparison is
followed as a limb symmetry index. Adherence comes from the logs.
"""

from __future__ import annotations

from typing import Any

from rebalance.assessment.models import Case, TestEntry
from rebalance.knowledge.loader import KnowledgeBase
from rebalance.programs.logs import Logs
from rebalance.programs.progress import adherence

MDC_BY_MEASURE = {"trunk_extensor_endurance.seconds": "sorensen_mdc"}


def numbers(entry: TestEntry) -> dict[str, float]:
    """Every numeric measurement of a test entry, keyed ``test.field[.muscle][.side]``."""
    out: dict[str, float] = {}
    t = entry.test

    def put(key: str, value: object) -> None:
        if isinstance(value, int | float) and not isinstance(value, bool):
            out[key] = float(value)

    for side, values in entry.sides.items():
        for fld, v in values.items():
            put(f"{t}.{fld}.{side}", v)
    for muscle, values in entry.muscles.items():
        for side in ("left", "right"):
            put(f"{t}.{muscle}.{side}", values.get(side))
    for fld, v in entry.whole.items():
        if isinstance(v, dict):
            for side, x in v.items():
                put(f"{t}.{fld}.{side}", x)
        else:
            put(f"{t}.{fld}", v)
    return out


def higher_is_better(kb: KnowledgeBase, measure: str) -> bool | None:
    test_id, fld = measure.split(".")[:2]
    test = kb.test.get(test_id)
    if test is None:
        return None
    if test.layout == "per_muscle":
        fld = test.fields[0].name
    for norm in test.norms:
        first = norm.when[0]
        if first.field == fld and first.op in ("lt", "le"):
            return True
        if first.field == fld and first.op in ("gt", "ge"):
            return False
    if test.symmetry and test.symmetry.field == fld:
        return test.symmetry.higher_is_better
    return None


def _judge_pain(kb: KnowledgeBase, first: float, last: float) -> dict[str, Any]:
    mic, rel = kb.criterion["pain_mic"], kb.criterion["pain_mic_percent"]
    change = last - first
    relative = (-change / first * 100) if first else 0.0
    if -change >= mic.value or (first and relative >= rel.value):
        verdict = "improved"
    elif change >= mic.value:
        verdict = "worse"
    else:
        verdict = "no important change"
    return {
        "measure": "pain_now",
        "first": first,
        "last": last,
        "change": change,
        "judgement": verdict,
        "threshold": f"{mic.value:g} points or {rel.value:g} %",
        "source": mic.source,
    }


def _judge(change: float, threshold: float, higher_better: bool) -> str:
    if abs(change) < threshold:
        return "no important change"
    return "improved" if (change > 0) == higher_better else "worse"


def outcomes(kb: KnowledgeBase, series: list[tuple[Case, dict[str, Any]]], logs: Logs | None = None) -> dict[str, Any]:
    """Change from the first to the last assessment of a series (sorted by date)."""
    series = sorted(series, key=lambda pair: pair[0].assessment.date)
    first_case, first_doc = series[0]
    last_case, last_doc = series[-1]
    changes = [_judge_pain(kb, first_doc["scores"]["pain_now"], last_doc["scores"]["pain_now"])]
    o1, o2 = first_doc["scores"].get("odi"), last_doc["scores"].get("odi")
    if o1 and o2:
        mic = kb.criterion["odi_mic"]
        delta = round(o2["percent"] - o1["percent"], 1)
        changes.append(
            {
                "measure": "odi_percent",
                "first": o1["percent"],
                "last": o2["percent"],
                "change": delta,
                "judgement": _judge(delta, mic.value, higher_better=False),
                "threshold": f"{mic.value:g} points",
                "source": mic.source,
            }
        )
    before = {k: v for e in first_case.tests.values() for k, v in numbers(e).items()}
    after = {k: v for e in last_case.tests.values() for k, v in numbers(e).items()}
    for measure in sorted(set(before) & set(after)):
        delta = round(after[measure] - before[measure], 2)
        better = higher_is_better(kb, measure)
        row: dict[str, Any] = {"measure": measure, "first": before[measure], "last": after[measure], "change": delta}
        mdc_id = MDC_BY_MEASURE.get(".".join(measure.split(".")[:2]))
        if mdc_id and better is not None:
            mdc = kb.criterion[mdc_id]
            row.update(judgement=_judge(delta, mdc.value, better), threshold=f"{mdc.value:g}", source=mdc.source)
        elif better is not None and delta:
            row["direction"] = "better" if (delta > 0) == better else "worse"
        changes.append(row)
    return {
        "schema": "rebalance.outcomes/1",
        "assessments": [
            {
                "date": c.assessment.date.isoformat(),
                "pain_now": d["scores"]["pain_now"],
                "odi_percent": (d["scores"].get("odi") or {}).get("percent"),
                "start_back_risk": (d["scores"].get("start_back") or {}).get("risk"),
                "safety": d["safety"]["level"],
                "findings": len(d["findings"]),
                "patterns": [p["id"] for p in d["patterns"]],
            }
            for c, d in series
        ],
        "changes": changes,
        "asymmetries": _asymmetries(series),
        "adherence": adherence(first_doc["program"], logs) if logs and first_doc.get("program") else None,
    }


def _asymmetries(series: list[tuple[Case, dict[str, Any]]]) -> list[dict[str, Any]]:
    """Each asymmetry finding's limb symmetry index across the series (None where symmetric)."""
    targets = sorted({f["target"] for _, d in series for f in d["findings"] if f["kind"] == "asymmetry"})
    out = []
    for target in targets:
        values = []
        for case, doc in series:
            found = [f for f in doc["findings"] if f["kind"] == "asymmetry" and f["target"] == target]
            lsi = min((f["evidence"][0]["value"] for f in found), default=None)
            values.append(
                {
                    "date": case.assessment.date.isoformat(),
                    "lsi": lsi,
                    "weaker_side": found[0]["side"] if found else None,
                }
            )
        restored = values[-1]["lsi"] is None and any(v["lsi"] is not None for v in values)
        out.append({"measure": target, "series": values, "restored": restored})
    return out
