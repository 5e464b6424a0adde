"""A new assessment revises the program: what changed, and why.

The new program is built from the new assessment; what the logs earned (a progression or a
regression) carries over to the same exercise in it. The diff names every item added, removed
or changed with its reason, the findings that resolved or appeared, and a change of mode - when
no finding is moderate or severe any more the program becomes a maintenance (prevention) program.
"""

from __future__ import annotations

import copy
from typing import Any

from rebalance.knowledge.loader import KnowledgeBase, default
from rebalance.knowledge.words import finding_list
from rebalance.programs.build import fit_week
from rebalance.programs.logs import Logs
from rebalance.programs.progress import apply, progress


def _findings(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["id"]: f for f in doc["findings"]}


def program_diff(
    old_doc: dict[str, Any],
    new_doc: dict[str, Any],
    earned: dict[str, str] | None = None,
    kb: KnowledgeBase | None = None,
) -> dict[str, Any]:
    kb = kb or default()
    old_p, new_p = old_doc["program"] or {"items": [], "mode": None}, new_doc["program"] or {"items": [], "mode": None}
    old_f, new_f = _findings(old_doc), _findings(new_doc)
    resolved = sorted(set(old_f) - set(new_f))
    appeared = sorted(set(new_f) - set(old_f))
    old_items = {i["exercise_id"]: i for i in old_p["items"]}
    new_items = {i["exercise_id"]: i for i in new_p["items"]}
    changes: list[dict[str, Any]] = []
    for ex_id, item in old_items.items():
        if ex_id in new_items:
            continue
        gone = [a for a in item["addresses"] if a in resolved]
        reason = (
            f"what it worked on has resolved: {finding_list(kb, gone, 'clinician')}"
            if gone and len(gone) == len(item["addresses"])
            else "replaced by a better fit for the new findings"
        )
        changes.append({"change": "removed", "exercise_id": ex_id, "reason": reason})
    for ex_id, item in new_items.items():
        if ex_id not in old_items:
            new = [a for a in item["addresses"] if a in appeared]
            reason = (
                item["why"]
                if item["why"].startswith(("Progressed", "Regressed"))
                else (
                    f"for what the new assessment found: {finding_list(kb, new, 'clinician')}"
                    if new
                    else "selected for the new findings"
                )
            )
            changes.append({"change": "added", "exercise_id": ex_id, "reason": reason})
            continue
        old = old_items[ex_id]
        for key in ("side", "dosage"):
            if old[key] != item[key]:
                changes.append(
                    {
                        "change": "changed",
                        "exercise_id": ex_id,
                        "field": key,
                        "from": old[key],
                        "to": item[key],
                        "reason": "the dose the logs earned, or the side the new findings need",
                    }
                )
    out: dict[str, Any] = {"resolved_findings": resolved, "new_findings": appeared, "items": changes}
    if old_p.get("mode") != new_p.get("mode"):
        out["mode"] = {
            "from": old_p.get("mode"),
            "to": new_p.get("mode"),
            "reason": (
                "nothing is left to correct: a maintenance program keeps the gains"
                if new_p.get("mode") == "maintenance"
                else "the new assessment calls for it"
            ),
        }
    return out


def revise(kb: KnowledgeBase, old_doc: dict[str, Any], logs: Logs, new_doc: dict[str, Any]) -> dict[str, Any]:
    """The new analysis's program with earned progressions carried over, and the diff."""
    result = progress(kb, old_doc, logs)
    revised = copy.deepcopy(new_doc)
    program = revised["program"]
    earned = {d["exercise_id"]: d["decision"] for d in result["decisions"] if d["decision"] != "hold"}
    if program is not None:
        taken = {i["exercise_id"] for i in program["items"]}
        done = {i["exercise_id"]: i["dosage"] for i in (old_doc["program"] or {"items": []})["items"]}
        items = []
        for i in program["items"]:
            ex_id = i["exercise_id"]
            new = apply(kb, i, earned[ex_id], program["client"], taken, done.get(ex_id)) if ex_id in earned else i
            taken.add(new["exercise_id"])
            items.append(new)
        program["items"] = items
        program["version"] = int((old_doc["program"] or {}).get("version", 1)) + 1
        revised["program"] = fit_week(kb, program)
    return {
        "schema": "rebalance.revision/1",
        "decisions": result["decisions"],
        "adherence": result["adherence"],
        "diff": program_diff(old_doc, revised, kb=kb),
        "analysis": revised,
    }
