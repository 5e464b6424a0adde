"""When a patient's program stops, and when their weekly red-flag check-in is due.

    program_stops(kb, assessment, check_ins)   why the program is stopped now (empty: it is not)
    check_in_safety(kb, answered_yes, conditions)   a check-in through the safety gate, with the person's conditions
    conditions_of(kb, document)                 the conditions an assessment file names (knowledge-base ids)
    check_in_due(latest_checked_on, today)      whether the patient should answer the check-in now
    CHECK_IN_EVERY_DAYS                         the check-in's period: weekly

The program stops (no exercises, no sessions logged, the handout shows where to go instead) while the
latest assessment's safety level withholds it, or a check-in since that assessment came out urgent or
emergency (``safety.withholds_program``; "since" as ``safety.since_assessment`` reads it). A later
check-in with no warning sign does not undo it; a new assessment does: the clinician has seen the
person since. The clinician's red-flag alert reads check-ins the same way (``alerts.py``).

The inputs are duck-typed: the stored assessments and check-ins of :mod:`rebalance.storage` fit them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from rebalance.knowledge import vocabulary
from rebalance.knowledge.loader import KnowledgeBase
from rebalance.programs.alerts import CheckInRecord
from rebalance.reasoning.safety import safety_for_flags, since_assessment, stop_message, withholds_program

CHECK_IN_EVERY_DAYS = 7
"""A check-in is due when the last one is more than this many days old, or there is none: weekly
(rebalance's convention for how often a person at home is asked about warning signs)."""


class AssessedRecord(Protocol):
    """A stored assessment, as far as the stop rule reads it (``storage.schemas.AssessmentPublic`` fits)."""

    @property
    def assessed_on(self) -> dt.date: ...
    @property
    def created_at(self) -> dt.datetime | None: ...
    @property
    def analysis(self) -> Mapping[str, Any]: ...
    @property
    def document(self) -> Mapping[str, Any]: ...


class Stop(BaseModel):
    """Why the program is stopped: a check-in or an assessment with warning signs, and what to do."""

    model_config = ConfigDict(frozen=True)

    source: Literal["check_in", "assessment"]
    on: dt.date
    level: Literal["emergency", "urgent"]
    message: str = Field(
        description="the library's one word for a stopped program (``safety.stop_message``): stop the exercises, "
        "where to go and how soon (said once), and who lifts the stop"
    )
    flags: list[str] = Field(description="each warning sign and what it means (where to go is in ``message``)")


def program_stops(
    kb: KnowledgeBase,
    assessment: AssessedRecord | None,
    check_ins: Sequence[CheckInRecord],
    *,
    started: bool = True,
) -> list[Stop]:
    """Why the program is stopped, from the latest assessment and the check-ins (those answered before the
    assessment do not count; give them all or only the recent ones). ``started``: the person has a program
    (told to stop it), else not (told not to start)."""
    found = []
    safety = assessment.analysis["safety"] if assessment is not None else None
    conditions = conditions_of(kb, assessment.document) if assessment is not None else []
    if assessment is not None and safety is not None and withholds_program(safety["level"]):
        ids = [flag["id"] for flag in safety.get("flags", [])]
        flag_ids = [i for i in ids if i in kb.red_flags]
        found.append(
            Stop(
                source="assessment",
                on=assessment.assessed_on,
                level=safety["level"],
                message=stop_message(kb, flag_ids, conditions, started=started),
                flags=_meanings(kb, safety.get("flags", [])),
            )
        )
    since = [c for c in check_ins if assessment is None or _after(c, assessment)]
    stopping = [c for c in since if withholds_program(str(c.level))]
    if stopping:
        check_in = stopping[-1]
        result = check_in_safety(kb, list(check_in.answers), conditions)
        level = "emergency" if str(check_in.level) == "emergency" else "urgent"
        message = stop_message(kb, list(check_in.answers), conditions, started=started)
        flags = [flag["message"] for flag in result["flags"]]
        found.append(Stop(source="check_in", on=check_in.checked_on, level=level, message=message, flags=flags))
    return found


def _meanings(kb: KnowledgeBase, flags: Sequence[Mapping[str, str]]) -> list[str]:
    """Each warning sign by what it means, without where to go (the stop's message says that once); a
    condition as the safety gate words it."""
    return [
        f"{kb.red_flags[f['id']].name}: {kb.red_flags[f['id']].meaning}" if f["id"] in kb.red_flags else f["message"]
        for f in flags
    ]


def check_in_safety(kb: KnowledgeBase, answered_yes: Sequence[str], conditions: Sequence[str]) -> dict[str, Any]:
    """A weekly check-in's reading by the one safety gate (``safety_for_flags``), with the conditions the
    person's assessment names: a small fall with a known osteoporosis is a fracture risk (urgent), where it
    alone is not. A condition alone was weighed at the assessment: with no warning sign answered yes the
    check-in is clear. A reading that stops the program says the stop's one message (``safety.stop_message``:
    someone who answers a check-in has a program) and each sign by what it means (where to go is said once)."""
    result = safety_for_flags(kb, list(answered_yes), conditions if answered_yes else ())
    if not withholds_program(result["level"]):
        return result
    flags = [
        {"id": f["id"], "message": m} for f, m in zip(result["flags"], _meanings(kb, result["flags"]), strict=True)
    ]
    return {**result, "message": stop_message(kb, answered_yes, conditions), "flags": flags}


def conditions_of(kb: KnowledgeBase, document: Mapping[str, Any]) -> list[str]:
    """The conditions an assessment file's ``client.conditions`` names, as knowledge-base ids (aliases
    resolved; a word the knowledge base does not know is left out)."""
    client = document.get("client")
    words = client.get("conditions") if isinstance(client, Mapping) else None
    found = [vocabulary.resolve(kb, "conditions", w) for w in words or [] if isinstance(w, str)]
    return [c for c in found if c is not None]


def _after(check_in: CheckInRecord, assessment: AssessedRecord) -> bool:
    return since_assessment(check_in.checked_on, check_in.created_at, assessment.assessed_on, assessment.created_at)


def check_in_due(latest_checked_on: dt.date | None, today: dt.date) -> bool:
    """No check-in yet, or the latest is more than :data:`CHECK_IN_EVERY_DAYS` old."""
    return latest_checked_on is None or (today - latest_checked_on).days > CHECK_IN_EVERY_DAYS


def check_ins_that_count_from(assessed_on: dt.date | None, today: dt.date) -> dt.date | None:
    """The first day whose check-ins can stop the program or tell whether one is due: the latest
    assessment's day or a period ago, whichever is earlier (None without an assessment: all of them)."""
    if assessed_on is None:
        return None
    return min(assessed_on, today - dt.timedelta(days=CHECK_IN_EVERY_DAYS))
