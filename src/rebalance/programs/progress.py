"""Session logs -> per exercise: progress, hold or regress.

The pain-monitoring model (Silbernagel 2007) decides safety: pain during exercise up to 3/10
is safe, 4-5 acceptable, over 5 too much; next-morning pain or stiffness worse than before the
session means the load was too high. The 2-for-2 rule (NSCA) decides progression: two sessions
in a row at two or more repetitions over the target (or the full hold), in the safe pain zone.
More pain never progresses an exercise.

Progressing moves to the next harder variation the client may do (never one their conditions
rule out, never one needing equipment they lack: :func:`rebalance.knowledge.precautions.may_offer`),
or else raises the dose by a small step; regressing moves to the easier variation the client may
do, or lowers the dose.
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import Any

from rebalance.knowledge.loader import KnowledgeBase
from rebalance.knowledge.models import Exercise
from rebalance.knowledge.precautions import may_offer
from rebalance.programs.logs import Entry, Logs

HOLD_INTENTS = frozenset({"release", "lengthen", "relaxation", "aerobic"})


@dataclass(frozen=True, slots=True)
class Zones:
    safe: int  # pain during at or below: safe
    acceptable: int  # at or below: acceptable; above: too much
    over_target: int  # the 2-for-2 rule's repetitions over target


def zones(kb: KnowledgeBase) -> Zones:
    pm = kb.criterion["pain_monitoring_acceptable"]
    return Zones(int(pm.bands[0][0]), int(pm.value), int(kb.criterion["two_for_two"].value))


def _worse_next_morning(entries: list[Entry], i: int, baseline: int) -> bool:
    """Next-morning pain or stiffness worse than the morning before this session."""
    e = entries[i]
    before_pain = next(
        (p.pain_next_morning for p in reversed(entries[:i]) if p.pain_next_morning is not None), baseline
    )
    before_stiff = next(
        (p.stiffness_next_morning for p in reversed(entries[:i]) if p.stiffness_next_morning is not None), None
    )
    pain_worse = e.pain_next_morning is not None and e.pain_next_morning > before_pain
    stiff_worse = (
        e.stiffness_next_morning is not None and before_stiff is not None and e.stiffness_next_morning > before_stiff
    )
    return pain_worse or stiff_worse


def _met_target(e: Entry, dose: dict[str, Any], intent: str, z: Zones) -> bool:
    if not e.done or (e.sets is not None and e.sets < dose["sets"]):
        return False
    if dose.get("reps") and intent not in HOLD_INTENTS:
        return e.reps is not None and e.reps >= dose["reps"] + z.over_target
    if dose.get("hold_s"):
        return e.hold_s is not None and e.hold_s >= dose["hold_s"]
    return e.done


def decide(item: dict[str, Any], entries: list[Entry], baseline: int, z: Zones) -> tuple[str, str]:
    """(progress | hold | regress, reason) for one program item and its log entries."""
    done = [e for e in entries if e.done]
    if not done:
        return "hold", "no completed session logged yet"
    last = len(entries) - 1 - next(i for i, e in enumerate(reversed(entries)) if e.done)
    latest = entries[last]
    pain = latest.pain_during or 0
    if pain > z.acceptable:
        return "regress", f"pain during the exercise reached {pain}/10 (over {z.acceptable}: too much)"
    worse_now = _worse_next_morning(entries, last, baseline)
    if worse_now:
        earlier = [i for i in range(last) if entries[i].done]
        if pain > z.safe or (earlier and _worse_next_morning(entries, earlier[-1], baseline)):
            return "regress", "pain or stiffness was worse the next morning, with pain during or two sessions running"
        return "hold", "pain or stiffness was worse the next morning: keep the dose until it settles"
    if pain > z.safe:
        return "hold", f"pain during reached {pain}/10: acceptable, but not yet the time to progress"
    recent = done[-2:]
    intent = item["intent"]
    if len(recent) == 2 and all(
        _met_target(e, item["dosage"], intent, z) and (e.pain_during or 0) <= z.safe for e in recent
    ):
        return "progress", "two sessions in a row above target in the safe pain zone (2-for-2 rule)"
    return "hold", "keep going at this dose until two sessions in a row are above target"


def _allowed(kb: KnowledgeBase, ex_id: str, client: dict[str, Any]) -> bool:
    ex = kb.exercise.get(ex_id)
    return ex is not None and may_offer(kb, ex, client.get("conditions", ()), set(client.get("equipment", ())))


def _next_exercise(kb: KnowledgeBase, ex: Exercise, client: dict[str, Any], harder: bool) -> Exercise | None:
    options = ex.progressions if harder else ex.regressions
    for ex_id in options:
        if _allowed(kb, ex_id, client):
            return kb.exercise[ex_id]
    return None


def _step_dose(kb: KnowledgeBase, dose: dict[str, Any], harder: bool, intent: str = "") -> dict[str, Any] | None:
    """A small change of dose, or None when the limit is reached."""
    step, caps = kb.criterion["progression_steps"], kb.criterion["dose_caps"]
    out = dict(dose)
    sign = 1 if harder else -1
    timed = {"aerobic": "aerobic_steps", "relaxation": "relaxation_steps"}.get(intent)
    if timed and dose.get("hold_s"):  # minutes of walking or breathing, not seconds of a stretch hold
        steps = kb.criterion[timed]
        low, high = int(steps.moderate_at or steps.value), int(steps.severe_at or steps.value)
        out["hold_s"] = max(low, min(high, dose["hold_s"] + sign * int(steps.value)))
        return None if out == dose else out
    if dose.get("reps"):
        out["reps"] = max(5, min(int(caps.value), dose["reps"] + sign * int(step.value)))
    elif dose.get("hold_s"):
        out["hold_s"] = max(10, min(int(caps.moderate_at or 60), dose["hold_s"] + sign * int(step.moderate_at or 10)))
    if out == dose:
        out["sets"] = max(1, min(int(caps.severe_at or 4), dose["sets"] + sign * int(step.severe_at or 1)))
    return None if out == dose else out


def apply(kb: KnowledgeBase, item: dict[str, Any], decision: str, client: dict[str, Any]) -> dict[str, Any]:
    """The item after a decision: a new exercise, a new dose, or unchanged."""
    if decision == "hold":
        return item
    ex = kb.exercise[item["exercise_id"]]
    harder = decision == "progress"
    nxt = _next_exercise(kb, ex, client, harder)
    new = copy.deepcopy(item)
    if nxt is not None:
        d = nxt.dosage
        new.update(exercise_id=nxt.id, name=nxt.name, intent=nxt.intent, difficulty=nxt.difficulty)
        new["dosage"] = {**new["dosage"], "sets": d.sets, "reps": d.reps, "hold_s": d.hold_s, "source": d.source}
        new["why"] = f"{'Progressed' if harder else 'Regressed'} from {ex.name}. " + item["why"]
        return new
    stepped = _step_dose(kb, item["dosage"], harder, item["intent"])
    if stepped is not None:
        new["dosage"] = stepped
    return new


def decisions(
    kb: KnowledgeBase, document: dict[str, Any], logs: Logs, exercise_ids: Collection[str] | None = None
) -> list[dict[str, Any]]:
    """:func:`progress`'s decisions alone (for the items of ``exercise_ids``, or all), without the next
    version of the program: what a patient is told after a session, for a fraction of the work."""
    return [record for record, _ in _decide_items(kb, document, logs, exercise_ids)]


def _decide_items(
    kb: KnowledgeBase, document: dict[str, Any], logs: Logs, exercise_ids: Collection[str] | None = None
) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """Per program item: its decision record, and the item as the decision leaves it."""
    program = document["program"]
    if program is None:
        raise ValueError("this analysis has no program (safety withheld it)")
    z = zones(kb)
    client = program.get("client", {})
    baseline = int(client.get("baseline_pain", document["scores"]["pain_now"]))
    for item in program["items"]:
        if exercise_ids is not None and item["exercise_id"] not in exercise_ids:
            continue
        entries = [e for _, e in logs.for_exercise(item["exercise_id"])]
        decision, reason = decide(item, entries, baseline, z)
        new = apply(kb, item, decision, client)
        record: dict[str, Any] = {
            "exercise_id": item["exercise_id"],
            "decision": decision,
            "reason": reason,
            "sessions": len(entries),
        }
        if new["exercise_id"] != item["exercise_id"]:
            record["new_exercise_id"] = new["exercise_id"]
        if new["dosage"] != item["dosage"]:
            record["new_dosage"] = {k: new["dosage"][k] for k in ("sets", "reps", "hold_s")}
        yield record, new


def progress(kb: KnowledgeBase, document: dict[str, Any], logs: Logs) -> dict[str, Any]:
    """Decisions for every item, and the next version of the program."""
    decided = list(_decide_items(kb, document, logs))
    program = document["program"]
    from rebalance.programs.build import fit_week

    items = [new for _, new in decided]
    revised = fit_week(kb, {**copy.deepcopy(program), "items": items, "version": int(program.get("version", 1)) + 1})
    return {
        "schema": "rebalance.progress/1",
        "decisions": [record for record, _ in decided],
        "adherence": adherence(program, logs),
        "program": revised,
    }


def decided_by_recent(entries: list[Entry]) -> bool:
    """Whether :func:`decide` gives the same answer for ``entries`` (an exercise's latest entries, oldest
    first) as for the whole history they end: when they hold the two latest sessions done, and before
    each of those that said how the next morning felt, an earlier next-morning answer to compare with.
    (:func:`decide` looks no further back; only the ``sessions`` count keeps growing.)"""
    done = [i for i, e in enumerate(entries) if e.done][-2:]
    if len(done) < 2:
        return False
    for i in done:
        e, before = entries[i], entries[:i]
        if e.pain_next_morning is not None and all(p.pain_next_morning is None for p in before):
            return False
        if e.stiffness_next_morning is not None and all(p.stiffness_next_morning is None for p in before):
            return False
    return True


def adherence(program: dict[str, Any], logs: Logs) -> dict[str, Any]:
    """Share of prescribed exercise sessions done, over the days from the first to the last log.

    The prescription is spread evenly over the week (days a week / 7 per day), so one complete day
    counts as one complete day, not as a seventh of a week's work.
    """
    if not logs.sessions:
        return {"sessions_logged": 0, "entries_done": 0, "entries_prescribed": 0, "percent": None}
    dates = sorted(s.date for s in logs.sessions)
    days = (dates[-1] - dates[0]).days + 1
    per_day = sum(i["dosage"]["days_per_week"] for i in program["items"]) / 7
    prescribed = max(1, round(per_day * days))
    done = sum(1 for s in logs.sessions for e in s.entries if e.done)
    return {
        "sessions_logged": len(logs.sessions),
        "entries_done": done,
        "entries_prescribed": prescribed,
        "percent": round(min(100.0, 100 * done / prescribed), 1) if prescribed else None,
    }
