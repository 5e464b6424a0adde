"""Storage factories: assessments, programs and session logs as the web app will store them.

The documents are written out here rather than produced by the engine: the storage tests test
storage, and stay apart from the analysis and program code.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from rebalance.storage.repos import assessments, programs, session_logs
from rebalance.storage.schemas import (
    AssessmentCreate,
    AssessmentPublic,
    ProgramCreate,
    ProgramPublic,
    SessionEntry,
    SessionLogCreate,
    SessionLogPublic,
)
from rebalance.storage.types import ProgramStatus, SafetyLevel


def assessment_document(on: str = "2026-11-20", red_flags: tuple[str, ...] = ()) -> dict[str, Any]:
    """An assessment file (contract ``rebalance.assessment/1``) as parsed data."""
    return {
        "schema": "rebalance.assessment/1",
        "date": on,
        "client": {"id": "c-017", "age": 42, "sex": "female"},
        "symptoms": {
            "pain_now": 6,
            "duration_weeks": 6,
            "locations": [{"region": "low_back", "side": "central"}, {"region": "buttock", "side": "right"}],
        },
        "red_flags": list(red_flags),
        "tests": {"passive_slr": {"left": {"angle_deg": 80}, "right": {"angle_deg": 55.5}}},
    }


def analysis_document(level: SafetyLevel = SafetyLevel.CLEAR) -> dict[str, Any]:
    """An analysis document (contract ``rebalance.analysis/1``) of the given safety level."""
    flags = (
        [] if level is SafetyLevel.CLEAR else [{"id": "saddle_anaesthesia", "message": "Numbness in the saddle area."}]
    )
    return {
        "schema": "rebalance.analysis/1",
        "client_id": "c-017",
        "safety": {"level": level.value, "flags": flags, "message": "…"},
        "scores": {"odi": {"percent": 34.0, "band": "moderate"}},
        "findings": [{"id": "hamstrings_tight_right", "severity": "moderate", "confidence": 0.72}],
        "patterns": [{"id": "piriformis_syndrome", "score": 0.61}],
        "program": None,
    }


def add_assessment(
    session: Session, actor: int, patient: int, on: str = "2026-11-20", level: SafetyLevel = SafetyLevel.CLEAR
) -> AssessmentPublic:
    """Store an assessment and its analysis of the given safety level."""
    red_flags = () if level is SafetyLevel.CLEAR else ("saddle_anaesthesia",)
    data = AssessmentCreate(
        assessed_on=dt.date.fromisoformat(on),
        document=assessment_document(on, red_flags),
        analysis=analysis_document(level),
    )
    return assessments.add_assessment(session, actor, patient, data)


def add_program(
    session: Session,
    actor: int,
    patient: int,
    assessment_id: int,
    status: ProgramStatus = ProgramStatus.DRAFT,
    note: str = "",
) -> ProgramPublic:
    document = {"schema": "rebalance.program/1", "note": note, "exercises": [{"id": "cat_camel", "sets": 1}]}
    data = ProgramCreate(assessment_id=assessment_id, document=document, status=status)
    return programs.add_program_version(session, actor, patient, data)


def add_log(
    session: Session, actor: int, patient: int, program_id: int, on: str, pains: tuple[int | None, ...] = (2,)
) -> SessionLogPublic:
    entries = [
        SessionEntry(exercise_id=f"exercise_{i}", done=True, sets=2, reps=10, effort=5, pain_during=pain)
        for i, pain in enumerate(pains)
    ]
    data = SessionLogCreate(program_id=program_id, performed_on=dt.date.fromisoformat(on), entries=entries)
    return session_logs.add_session_log(session, actor, patient, data)
