"""A clinician's edits of a program: swap an exercise for an alternative, change a dosage.

Every edit returns a NEW program — the next version, the given one untouched — with its week
re-fitted (:func:`~rebalance.programs.build.fit_week`) and a ``last_edit`` saying what changed. The
edits go through the builder's own rules, so they never bypass safety:

- an **alternative** addresses the findings of the item it replaces (an item tied to no finding —
  core, relaxation, aerobic work — is replaced by one of the same intent), and is eligible for this
  client by :func:`~rebalance.programs.profile.exclusion`: nothing their conditions rule out
  (:mod:`rebalance.knowledge.precautions`), only their equipment, at most one level above the
  starting level (none in gentle mode), no hamstring stretch while a nerve root is irritated; its dose is the builder's
  (:func:`~rebalance.programs.dose.dosage`) and it keeps the side of the item it replaces;
- a **dosage** stays within the knowledge base's dosage ranges, the home-dose caps
  (``dose_caps``), the strength days a week (``strength_days_max``), at least 2 days a week
  (``min_days_per_week``) and, in gentle mode, the gentle number of sets; an exercise dosed by
  repetitions takes repetitions, one dosed by a hold takes a hold, a timed activity takes minutes
  (left out, its minutes stay as they are), and no other. The dosage given becomes the item's
  prescription; the week then holds as much of it as the minutes a session allow.

An invalid edit raises :class:`~rebalance.errors.InvalidInputError` listing every problem with the
field it concerns (``exercise_id``, ``new_exercise_id``, ``dosage.sets`` ...).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, cast

from annotated_types import Ge, Le

from rebalance.errors import InvalidInputError, Problem
from rebalance.knowledge.loader import KnowledgeBase
from rebalance.knowledge.models import TIMED_INTENTS, Dosage, Exercise
from rebalance.knowledge.queries import addresses_by_exercise, addressing_index, base_id, suggest
from rebalance.knowledge.words import citation
from rebalance.programs.build import fit_week, item_document, item_why
from rebalance.programs.dose import GENTLE_MAX_SETS, STRENGTHENING, normalised, sides
from rebalance.programs.profile import Profile, exclusion, from_program
from rebalance.programs.select import Choice

ALTERNATIVE_STRETCH = 1  # levels above the start an alternative may be: the selection's own fallback
DOSAGE_FIELDS = ("sets", "reps", "hold_s", "minutes", "days_per_week")
SOURCE = "program"  # the "file" of an edit's problems


def _problem(path: str, message: str) -> InvalidInputError:
    return InvalidInputError([Problem(SOURCE, path, message)])


def _item(program: dict[str, Any], exercise_id: str) -> dict[str, Any]:
    for item in program["items"]:
        if item["exercise_id"] == exercise_id:
            return dict(item)
    raise _problem("exercise_id", f"{exercise_id!r} is not an exercise of this program")


def _finding(finding_id: str) -> dict[str, Any]:
    """A finding id as the part of a finding the item's text needs (kind, target, side)."""
    kind, target, *side = finding_id.split(":")
    return {"id": finding_id, "kind": kind, "target": target, "side": side[0] if side else None}


def _shares_muscle(a: Exercise, b: Exercise) -> bool:
    return bool(set(a.primary) & set(b.primary))


def _candidates(kb: KnowledgeBase, item: dict[str, Any]) -> set[str]:
    """Exercises that do the item's job: address its findings, or (tied to none) share its intent."""
    bases = {base_id(f) for f in item["addresses"]}
    if bases:
        index = addressing_index(kb)
        return {ex_id for b in bases for ex_id in index.get(b, ())}
    current = kb.exercise[item["exercise_id"]]
    return {
        ex.id
        for ex in kb.exercise.values()
        if ex.intent == current.intent and (ex.intent in TIMED_INTENTS or _shares_muscle(ex, current))
    }


def alternatives(kb: KnowledgeBase, program: dict[str, Any], exercise_id: str) -> list[dict[str, Any]]:
    """The exercises that may replace ``exercise_id`` in this program, best first.

    Each: ``exercise_id``, ``name``, ``intent``, ``difficulty``, ``equipment``, ``addresses`` (the
    item's findings it also addresses) and ``why`` (what it is for). Best: addresses the most of the
    item's findings, has the same intent, is closest in difficulty.
    """
    item = _item(program, exercise_id)
    profile = from_program(program)
    in_program = {i["exercise_id"] for i in program["items"]}
    covers = addresses_by_exercise(kb)
    current = kb.exercise[exercise_id]
    out: list[dict[str, Any]] = []
    for ex_id in sorted(_candidates(kb, item) - in_program):
        ex = kb.exercise[ex_id]
        if exclusion(kb, ex, profile, ALTERNATIVE_STRETCH) is not None:
            continue
        shared = [f for f in item["addresses"] if base_id(f) in covers[ex_id]]
        choice = Choice(ex, addresses=[_finding(f) for f in shared])
        out.append(
            {
                "exercise_id": ex.id,
                "name": ex.name,
                "intent": ex.intent,
                "difficulty": ex.difficulty,
                "equipment": list(ex.equipment),
                "addresses": shared,
                "why": item_why(kb, choice, []),
            }
        )
    out.sort(
        key=lambda a: (
            -len(a["addresses"]),
            a["intent"] != current.intent,
            abs(a["difficulty"] - current.difficulty),
            a["exercise_id"],
        )
    )
    return out


def _why_not(kb: KnowledgeBase, program: dict[str, Any], exercise_id: str, new_id: str) -> str:
    ex = kb.exercise.get(new_id)
    if ex is None:
        hints = suggest(set(kb.exercise), new_id)
        return f"unknown exercise {new_id!r}" + (f" (did you mean {', '.join(hints)}?)" if hints else "")
    if any(i["exercise_id"] == new_id for i in program["items"]):
        return f"{ex.name} is already in this program"
    reason = exclusion(kb, ex, from_program(program), ALTERNATIVE_STRETCH)
    if reason is not None:
        return f"{ex.name} cannot be given to this client: {reason}"
    return f"{ex.name} does not do the job of {kb.exercise[exercise_id].name} (it addresses none of its findings)"


def _side(old: dict[str, Any], choice: Choice) -> tuple[str, dict[str, Any] | None]:
    """The builder's side for the new exercise; strengthening keeps the replaced item's side and extra set."""
    ex = choice.exercise
    if not ex.unilateral or ex.intent not in STRENGTHENING:
        return sides(choice)[0], None
    if old["side"] != "both":
        return old["side"], None
    return "both", old.get("extra")


def _next_version(kb: KnowledgeBase, program: dict[str, Any], items: list[dict[str, Any]], edit: dict[str, Any]) -> Any:
    new = copy.deepcopy(program)
    new.update(items=items, version=int(program.get("version", 1)) + 1, last_edit=edit)
    return fit_week(kb, new)


def swap(kb: KnowledgeBase, program: dict[str, Any], exercise_id: str, new_id: str) -> dict[str, Any]:
    """A new version of ``program`` with ``exercise_id`` replaced by the alternative ``new_id``."""
    old = _item(program, exercise_id)
    if new_id not in {a["exercise_id"] for a in alternatives(kb, program, exercise_id)}:
        raise _problem("new_exercise_id", _why_not(kb, program, exercise_id, new_id))
    ex, profile = kb.exercise[new_id], from_program(program)
    covers = addresses_by_exercise(kb)[new_id]
    choice = Choice(ex, addresses=[_finding(f) for f in old["addresses"] if base_id(f) in covers])
    side, extra = _side(old, choice)
    new_item = item_document(
        kb,
        choice,
        profile,
        side,
        extra,
        why_prefix=f"Chosen by the clinician in place of {old['name']}. ",
        priority=old.get("priority", 0.0),
        essential=old.get("essential", False),
        key=old.get("key", False),
    )
    items = [new_item if i["exercise_id"] == exercise_id else i for i in program["items"]]
    edit = {"change": "swap", "exercise_id": exercise_id, "new_exercise_id": new_id}
    return dict(_next_version(kb, program, items, edit))


def _bounds(name: str) -> tuple[int, int]:
    """The knowledge base's range of a dosage field (``knowledge.models.Dosage``)."""
    metadata = Dosage.model_fields[name].metadata
    low = next(m.ge for m in metadata if isinstance(m, Ge))
    high = next(m.le for m in metadata if isinstance(m, Le))
    return int(cast(int, low)), int(cast(int, high))


def _caps(kb: KnowledgeBase, ex: Exercise, profile: Profile) -> dict[str, tuple[int, str]]:
    """Upper limits beyond the ranges, with the reason each is there."""
    caps: dict[str, tuple[int, str]] = {}
    c = kb.criterion
    if ex.intent not in TIMED_INTENTS:
        home = c["dose_caps"]
        why = f"beyond it the exercise itself should change ({citation(kb, str(home.source))})"
        default = ex.dosage
        caps["sets"] = (max(int(home.severe_at or 4), default.sets), f"at most {{}} sets in a home dose: {why}")
        caps["reps"] = (max(int(home.value), default.reps or 0), f"at most {{}} repetitions: {why}")
        caps["hold_s"] = (max(int(home.moderate_at or 60), default.hold_s or 0), f"at most {{}} s of hold: {why}")
    if ex.intent in STRENGTHENING:
        days = c["strength_days_max"]
        caps["days_per_week"] = (
            int(days.value),
            f"at most {{}} strength days a week, for 48 hours' rest between them ({citation(kb, str(days.source))})",
        )
    if profile.mode == "gentle":
        limit = min(GENTLE_MAX_SETS, caps.get("sets", (GENTLE_MAX_SETS, ""))[0])
        caps["sets"] = (limit, "at most {} sets while a clinician reviews a gentle (caution) program")
    return caps


def _value_problem(kb: KnowledgeBase, name: str, value: Any, ex: Exercise) -> str | None:
    timed = ex.dosage.minutes is not None
    used = {
        "sets": True,
        "days_per_week": True,
        "reps": ex.dosage.reps is not None,
        "hold_s": ex.dosage.hold_s is not None,
        "minutes": timed,
    }
    if value is None:
        return f"required: {ex.name} is dosed with it" if used[name] and name != "minutes" else None
    if not used[name]:
        kind = {"reps": "repetitions", "hold_s": "a hold", "minutes": "minutes"}[name]
        return f"{ex.name} is not dosed with {kind}: leave it empty"
    if isinstance(value, bool) or not isinstance(value, int):
        return f"expected a whole number, got {value!r}"
    low, high = _bounds(name)
    if name == "days_per_week":
        least = kb.criterion["min_days_per_week"]
        low = max(low, int(least.value))
        if value < low:
            return f"at least {low} days a week: fewer do not train the muscle ({citation(kb, str(least.source))})"
    if not low <= value <= high:
        return f"expected {low} to {high}, got {value}"
    return None


def dosage_problems(
    kb: KnowledgeBase, program: dict[str, Any], exercise_id: str, dose: Mapping[str, Any]
) -> list[Problem]:
    """Every problem with a new dosage for an item of the program (empty when it may be given)."""
    ex = kb.exercise[_item(program, exercise_id)["exercise_id"]]
    problems = [Problem(SOURCE, f"dosage.{k}", "unknown field") for k in dose if k not in DOSAGE_FIELDS]
    caps = _caps(kb, ex, from_program(program))
    for name in DOSAGE_FIELDS:
        value = dose.get(name)
        why = _value_problem(kb, name, value, ex)
        if why is None and value is not None and name in caps and value > caps[name][0]:
            limit, message = caps[name]
            why = message.format(limit)
        if why is not None:
            problems.append(Problem(SOURCE, f"dosage.{name}", why))
    return problems


def set_dosage(kb: KnowledgeBase, program: dict[str, Any], exercise_id: str, dose: Mapping[str, Any]) -> dict[str, Any]:
    """A new version of ``program`` with the item's sets, reps, hold and days a week set to ``dose``."""
    old = _item(program, exercise_id)
    problems = dosage_problems(kb, program, exercise_id, dose)
    if problems:
        raise InvalidInputError(problems)
    current = normalised(kb.exercise[exercise_id], old.get("prescribed") or old["dosage"])
    given = {k: dose.get(k) for k in DOSAGE_FIELDS if k != "minutes" or dose.get(k) is not None}
    new_dose = {**current, **given}
    changed = {**old, "dosage": new_dose, "prescribed": dict(new_dose)}
    items = [changed if i["exercise_id"] == exercise_id else i for i in program["items"]]
    edit = {"change": "dosage", "exercise_id": exercise_id, "from": old["dosage"], "to": new_dose}
    return dict(_next_version(kb, program, items, edit))
