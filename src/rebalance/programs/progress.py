"""Session logs -> per exercise: progress, hold or regress.

The pain-monitoring model (Silbernagel 2007) decides safety: pain during exercise up to 3/10
is safe, 4-5 acceptable, over 5 too much; next-morning pain or stiffness worse than before the
session means the load was too high. The 2-for-2 rule (NSCA) decides progression: two sessions
in a row at two or more repetitions over the target (or the full hold, or the minutes asked for), in
the safe pain zone.
More pain never progresses an exercise.

Progressing moves to the next harder variation the client may do (never one their conditions
rule out, never one needing equipment they lack: :func:`rebalance.knowledge.precautions.may_offer`),
or else raises the dose by a small step in the exercise's own unit: minutes for a timed activity
(walking 5 minutes more, up to its aim of 30 minutes on 5 days, then a day more), seconds for a
hold, repetitions and then sets for the rest. Regressing moves to the easier variation the client
may do, or lowers the dose. Each decision says its next step in words (``next_step``: "Brisk
walking for 20 minutes", never "1 set, hold 1200 s").
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import Any

from rebalance.knowledge.loader import KnowledgeBase
from rebalance.knowledge.models import TIMED_INTENTS, DoseKind, Exercise
from rebalance.knowledge.precautions import may_offer
from rebalance.programs.build import fit_week
from rebalance.programs.dose import DOSE_FIELDS, dose_text, normalised
from rebalance.programs.logs import Entry, Logs, minutes_done
from rebalance.programs.pain_rule import rule

HOLD_INTENTS = frozenset({"release", "lengthen"})  # a stored item without its dose kind: held, not counted
NO_ROOM = "ready for more, but the week has no minutes to spare for it: keep this dose for now"
"""A step up the week's minutes cannot hold (:func:`_as_fitted`); the walking card's step says the same condition."""


@dataclass(frozen=True, slots=True)
class Zones:
    safe: int  # pain during at or below: safe
    acceptable: int  # at or below: acceptable; above: too much
    over_target: int  # the 2-for-2 rule's repetitions over target


def zones(kb: KnowledgeBase) -> Zones:
    pain = rule(kb)
    return Zones(pain.safe, pain.acceptable, int(kb.criterion["two_for_two"].value))


def item_kind(item: dict[str, Any]) -> DoseKind:
    """How an item is dosed: its dose says so; items stored before it did, by their intent and dose."""
    kind = item["dosage"].get("kind")
    if kind in ("timed", "hold", "reps"):
        return kind  # type: ignore[no-any-return]
    if item["intent"] in TIMED_INTENTS:
        return "timed"
    return "reps" if item["dosage"].get("reps") and item["intent"] not in HOLD_INTENTS else "hold"


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


def _met_target(e: Entry, dose: dict[str, Any], kind: DoseKind, z: Zones) -> bool:
    if not e.done:
        return False
    if kind == "timed":  # the minutes asked for; a walk logged as done without its minutes: the walk asked for
        target = dose.get("minutes") or (dose.get("hold_s") or 0) / 60
        done = minutes_done(e)
        return done is None or done >= target
    if e.sets is not None and e.sets < dose["sets"]:
        return False
    if kind == "reps" and dose.get("reps"):
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
    kind = item_kind(item)
    if len(recent) == 2 and all(
        _met_target(e, item["dosage"], kind, z) and (e.pain_during or 0) <= z.safe for e in recent
    ):
        return "progress", "two sessions in a row above target in the safe pain zone (2-for-2 rule)"
    return "hold", keep_going(item, z)


def keep_going(item: dict[str, Any], z: Zones) -> str:
    """The 2-for-2 rule for one item in plain words: its dose, and what two sessions in a row must reach
    (what :func:`_met_target` asks) for the next step."""
    dose, kind = item["dosage"], item_kind(item)
    if kind == "timed":
        minutes = dose.get("minutes") or round((dose.get("hold_s") or 60) / 60)
        aim = f"the full {minutes} minute{'s' if minutes != 1 else ''}"
    else:
        sets = {1: "the set", 2: "both sets"}.get(dose["sets"], f"all {dose['sets']} sets")
        if kind == "reps" and dose.get("reps"):
            aim = f"{sets} with {dose['reps'] + z.over_target} or more repetitions in the last set"
        elif dose.get("hold_s"):
            aim = f"{sets}, holding {dose['hold_s']} s or more"
        else:
            aim = sets
    return (
        f"keep going at {dose_text(dose)}. When you manage {aim} two sessions in a row, with pain no more than "
        f"{z.safe}/10, you are ready for the next step"
    )


def _allowed(kb: KnowledgeBase, ex_id: str, client: dict[str, Any]) -> bool:
    ex = kb.exercise.get(ex_id)
    return ex is not None and may_offer(kb, ex, client.get("conditions", ()), set(client.get("equipment", ())))


def _next_exercise(
    kb: KnowledgeBase, ex: Exercise, client: dict[str, Any], harder: bool, taken: Collection[str]
) -> Exercise | None:
    """The next harder (or easier) variation the client may do and the program does not hold already."""
    options = ex.progressions if harder else ex.regressions
    for ex_id in options:
        if ex_id not in taken and _allowed(kb, ex_id, client):
            return kb.exercise[ex_id]
    return None


def _step_timed(kb: KnowledgeBase, ex: Exercise, dose: dict[str, Any]) -> dict[str, Any] | None:
    """Minutes of walking or breathing, up: aerobic work by 5 minutes up to its aim (then a day more);
    relaxation by a minute up to 15."""
    out = dict(dose)
    if ex.intent == "aerobic":
        step = int(kb.criterion["aerobic_steps"].value) // 60
        aim, aim_days = int(ex.dosage.minutes or dose["minutes"]), ex.dosage.days_per_week
        if dose["minutes"] >= aim:
            out["days_per_week"] = min(aim_days, max(dose["days_per_week"], dose["days_per_week"] + 1))
        else:
            out["minutes"] = min(aim, dose["minutes"] + step)
    else:
        steps = kb.criterion["relaxation_steps"]
        high = int(steps.severe_at or steps.value) // 60
        out["minutes"] = max(dose["minutes"], min(high, dose["minutes"] + int(steps.value) // 60))
    return None if out == dose else out


def _step_dose(kb: KnowledgeBase, ex: Exercise, dose: dict[str, Any]) -> dict[str, Any] | None:
    """A small step up in the exercise's own unit, or None when the limit is reached."""
    if dose.get("minutes"):
        return _step_timed(kb, ex, dose)
    step, caps = kb.criterion["progression_steps"], kb.criterion["dose_caps"]
    out = dict(dose)
    if dose.get("reps"):
        out["reps"] = max(dose["reps"], min(int(caps.value), dose["reps"] + int(step.value)))
    elif dose.get("hold_s"):
        out["hold_s"] = max(
            dose["hold_s"], min(int(caps.moderate_at or 60), dose["hold_s"] + int(step.moderate_at or 10))
        )
    if out == dose:
        out["sets"] = max(dose["sets"], min(int(caps.severe_at or 4), dose["sets"] + int(step.severe_at or 1)))
    return None if out == dose else out


def _less(value: int, step: int, least: int) -> int:
    """``value`` a step smaller, never below ``least`` and never above itself (a value below ``least`` stays)."""
    return min(value, max(least, value - step))


def _step_down(kb: KnowledgeBase, ex: Exercise, dose: dict[str, Any]) -> dict[str, Any] | None:
    """A smaller dose than ``dose``, or None when every part is at its least. The first of: fewer minutes
    (aerobic work 5 minutes less, down to a 5-minute walk: ``aerobic_least_after_pain``; relaxation a minute,
    down to 2), fewer repetitions (2, down to 5: ``regress_least``), a shorter hold (10 s, down to 10 s), a set fewer;
    else a day a week fewer, down to 2 (``min_days_per_week``). Never more of anything."""
    c = kb.criterion
    step, floor = c["progression_steps"], c["regress_least"]
    least_reps, least_hold = int(floor.value), int(floor.moderate_at or floor.value)
    out = dict(dose)
    if dose.get("minutes"):
        if ex.intent == "aerobic":
            by, least = int(c["aerobic_steps"].value) // 60, int(c["aerobic_least_after_pain"].value) // 60
        else:
            relax = c["relaxation_steps"]
            by, least = int(relax.value) // 60, int(relax.moderate_at or relax.value) // 60
        out["minutes"] = _less(dose["minutes"], by, least)
    elif dose.get("reps") and dose["reps"] > least_reps:
        out["reps"] = _less(dose["reps"], int(step.value), least_reps)
    elif dose.get("hold_s") and dose["hold_s"] > least_hold:
        out["hold_s"] = _less(dose["hold_s"], int(step.moderate_at or 10), least_hold)
    elif dose["sets"] > 1:
        out["sets"] = dose["sets"] - 1
    if out == dose:
        out["days_per_week"] = _less(dose["days_per_week"], 1, int(c["min_days_per_week"].value))
    return None if out == dose else out


def _no_more_than(dose: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """An easier exercise's dose, each part that both doses have no more than ``current``'s."""
    out = dict(dose)
    for k in DOSE_FIELDS:
        if out.get(k) is not None and current.get(k) is not None:
            out[k] = min(out[k], current[k])
    return out


def apply(
    kb: KnowledgeBase,
    item: dict[str, Any],
    decision: str,
    client: dict[str, Any],
    taken: Collection[str] = (),
    done: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The item after a decision: a new exercise (never one of ``taken``, the program's other
    exercises), a new prescription, or unchanged.

    ``done`` is the dose the logs judged: the item's ``dosage`` (what the week held), unless a revision
    applies the decision to the new program's item and passes the old version's. A step, up or down, is
    one step from the dose done, never from a fuller prescription the week did not hold: two good walks
    of 10 minutes earn 15, even when 15 was prescribed and the week held 10 (a step up from the
    prescription would ask 20, two steps over what was done). A step up raises the prescription only
    where the step goes beyond it; a step down is never more than the prescription. The new dose is the
    item's ``dosage`` until :func:`~rebalance.programs.build.fit_week` fits it to the week again."""
    if decision == "hold":
        return item
    ex = kb.exercise[item["exercise_id"]]
    harder = decision == "progress"
    nxt = _next_exercise(kb, ex, client, harder, taken)
    new = copy.deepcopy(item)
    prescribed = normalised(ex, item.get("prescribed") or item["dosage"])
    current = normalised(ex, done or item["dosage"])
    if nxt is not None:
        d = nxt.dosage
        new.update(exercise_id=nxt.id, name=nxt.name, intent=nxt.intent, difficulty=nxt.difficulty)
        fields = {"kind": d.kind, "sets": d.sets, "reps": d.reps, "hold_s": d.hold_s, "minutes": d.minutes}
        dose = {**(prescribed if harder else current), **fields, "source": d.source}
        new["prescribed"] = new["dosage"] = dose if harder else _no_more_than(dose, current)
        new["why"] = f"{'Progressed' if harder else 'Regressed'} from {ex.name}. " + item["why"]
        return new
    stepped = _step_dose(kb, ex, current) if harder else _step_down(kb, ex, current)
    if stepped is not None:
        full = _raised(prescribed, current, stepped) if harder else _no_more_than(stepped, prescribed)
        new["prescribed"], new["dosage"] = full, _no_more_than(stepped, full)
    return new


def _raised(prescribed: dict[str, Any], done: dict[str, Any], stepped: dict[str, Any]) -> dict[str, Any]:
    """The prescription after a step up from the dose done: each part the step changed at least as much
    as the step asks, every other part as prescribed (a maintenance program's days stay its own)."""
    out = dict(prescribed)
    for k in DOSE_FIELDS:
        if stepped.get(k) != done.get(k) and stepped.get(k) is not None:
            out[k] = max(int(prescribed.get(k) or 0), int(stepped[k]))
    return out


def next_step(kb: KnowledgeBase, item: dict[str, Any]) -> str:
    """An item's dose as the next step, in its own unit: "Brisk walking for 20 minutes", "Glute bridge:
    2 sets of 14, 3 days a week"."""
    dose = item["dosage"]
    if dose.get("minutes"):
        minutes = dose["minutes"]
        days = f" on {dose['days_per_week']} days a week" if dose["days_per_week"] < 7 else " every day"
        return f"{item['name']} for {minutes} minute{'s' if minutes != 1 else ''}{days}"
    return f"{item['name']}: {dose_text(dose)}"


def decisions(
    kb: KnowledgeBase, document: dict[str, Any], logs: Logs, exercise_ids: Collection[str] | None = None
) -> list[dict[str, Any]]:
    """:func:`progress`'s decisions alone (for the items of ``exercise_ids``, or all), without the next
    version of the program: what a patient is told after a session, for a fraction of the work."""
    decided = list(_decide_items(kb, document, logs, exercise_ids))
    if not any("new_dosage" in record for record, _ in decided):
        return [record for record, _ in decided]
    return _as_fitted(kb, document["program"], decided, _revised(kb, document["program"], decided))


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
    taken = {i["exercise_id"] for i in [*program["items"], *(lo["item"] for lo in program.get("left_out", []))]}
    for item in program["items"]:
        if exercise_ids is not None and item["exercise_id"] not in exercise_ids:
            continue
        entries = [e for _, e in logs.for_exercise(item["exercise_id"])]
        decision, reason = decide(item, entries, baseline, z)
        new = apply(kb, item, decision, client, taken)
        taken.add(new["exercise_id"])
        record: dict[str, Any] = {
            "exercise_id": item["exercise_id"],
            "decision": decision,
            "reason": reason,
            "sessions": len(entries),
        }
        if new["exercise_id"] != item["exercise_id"]:
            record["new_exercise_id"] = new["exercise_id"]
        if "new_exercise_id" in record or _dose(new) != _dose(item):
            record["new_dosage"] = _dose(new)
            record["next_step"] = next_step(kb, new)
        yield record, new


def _dose(item: dict[str, Any]) -> dict[str, Any]:
    return {k: item["dosage"].get(k) for k in DOSE_FIELDS}


def _revised(
    kb: KnowledgeBase, program: dict[str, Any], decided: list[tuple[dict[str, Any], dict[str, Any]]]
) -> dict[str, Any]:
    """The program's next version: the decided items in place of the old, the week fitted again. A step up
    never costs days a week: while the week fitted again gives any item fewer days than it had, the last
    step up (in the program's order, so the leading pattern's items keep theirs) is put back and the week
    fitted again; the decision then says the week has no minutes to spare for it (:func:`_as_fitted`)."""
    new = {record["exercise_id"]: item for record, item in decided}
    ups = [r["exercise_id"] for r, _ in decided if r["decision"] == "progress" and "new_dosage" in r]
    order = [i["exercise_id"] for i in program["items"]]
    ups.sort(key=order.index)
    eased = {r["exercise_id"] for r, _ in decided if r["decision"] != "progress"}  # may take fewer days
    days = {i["exercise_id"]: i["dosage"].get("days_per_week") or 0 for i in program["items"]}
    days = {ex_id: n for ex_id, n in days.items() if ex_id not in eased}
    version = int(program.get("version", 1)) + 1
    while True:
        items = [new.get(i["exercise_id"], i) for i in program["items"]]
        revised = fit_week(kb, {**copy.deepcopy(program), "items": items, "version": version})
        fewer = [i for i in revised["items"] if (i["dosage"].get("days_per_week") or 0) < days.get(i["exercise_id"], 0)]
        if not fewer or not ups:
            return revised
        put_back = ups.pop()
        new[put_back] = next(i for i in program["items"] if i["exercise_id"] == put_back)


def _as_fitted(
    kb: KnowledgeBase,
    program: dict[str, Any],
    decided: list[tuple[dict[str, Any], dict[str, Any]]],
    revised: dict[str, Any],
) -> list[dict[str, Any]]:
    """The decisions with each new dose as the revised week holds it: a step the minutes a session have
    no room for is said so, not promised."""
    before = {i["exercise_id"]: i for i in program["items"]}
    after = {i["exercise_id"]: i for i in revised["items"]}
    out = []
    for record, _ in decided:
        if "new_dosage" not in record:
            out.append(record)
            continue
        fitted = after.get(record.get("new_exercise_id", record["exercise_id"]))
        if fitted is None:
            out.append({**record, "reason": record["reason"] + "; the new dose does not fit the minutes a session"})
        elif (
            record["decision"] == "progress"
            and "new_exercise_id" not in record
            and _dose(fitted) == _dose(before[record["exercise_id"]])
        ):
            kept = {k: v for k, v in record.items() if k not in ("new_dosage", "next_step")}
            out.append({**kept, "reason": f"{record['reason']}; {NO_ROOM}"})
        else:
            out.append({**record, "new_dosage": _dose(fitted), "next_step": next_step(kb, fitted)})
    return out


def progress(kb: KnowledgeBase, document: dict[str, Any], logs: Logs) -> dict[str, Any]:
    """Decisions for every item, and the next version of the program."""
    decided = list(_decide_items(kb, document, logs))
    program = document["program"]
    revised = _revised(kb, program, decided)
    return {
        "schema": "rebalance.progress/1",
        "decisions": _as_fitted(kb, program, decided, revised),
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
