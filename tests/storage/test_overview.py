"""A clinician's overview of their patients, and the clinician's reads of one record: who may, and the audit."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from rebalance.errors import NotFoundError, PermissionDeniedError
from rebalance.knowledge.loader import KnowledgeBase
from rebalance.programs.alerts import RED_FLAG_LEVELS, has_red_flag, patient_alerts
from rebalance.storage.repos import assessments, check_ins, overview, patients, programs, session_logs
from rebalance.storage.schemas import (
    AssessmentCreate,
    CheckInCreate,
    PatientCreate,
    ProgramCreate,
    SessionEntry,
    SessionLogCreate,
)
from rebalance.storage.tables import AuditEvent
from rebalance.storage.types import AuditAction, EntityType, ProgramStatus, SafetyLevel
from tests.storage.conftest import People
from tests.storage.factories import add_assessment, add_log, add_program, analysis_document, assessment_document


def events(session: Session) -> list[tuple[int | None, AuditAction, str, int | None]]:
    rows = session.execute(select(AuditEvent.user_id, AuditEvent.action, AuditEvent.entity_type, AuditEvent.entity_id))
    return [tuple(r) for r in rows]  # type: ignore[misc]


def test_the_overview_has_each_patients_latest_assessment_published_program_and_recent_records(
    session: Session, people: People
) -> None:
    first = add_assessment(session, people.clinician, people.patient, on="2026-10-01")
    latest = add_assessment(session, people.clinician, people.patient, on="2026-11-01", level=SafetyLevel.CAUTION)
    published = add_program(session, people.clinician, people.patient, first.id, ProgramStatus.PUBLISHED)
    add_program(session, people.clinician, people.patient, latest.id)  # a newer draft: not what the patient follows
    for day in range(1, 15):
        add_log(session, people.patient_user, people.patient, published.id, f"2026-11-{day:02d}")
    for day in (2, 9, 16, 23, 30, 6):
        data = CheckInCreate(checked_on=dt.date(2026, 11, day), answers=[], level=SafetyLevel.CLEAR)
        check_ins.add_check_in(session, people.patient_user, people.patient, data)
    quiet = patients.create_patient(session, people.clinician, PatientCreate(display_name="Aaron Quiet")).id
    session.commit()
    before = len(events(session))

    found = overview.patient_overviews(session, people.clinician)
    rows = found.rows
    assert found.matching == 2

    assert [r.patient.id for r in rows] == [quiet, people.patient]  # by name
    empty, full = rows
    assert (empty.latest_analysis, empty.program, empty.sessions, empty.check_ins) == (None, None, [], [])
    assert (full.latest_assessment_id, full.latest_assessed_on) == (latest.id, dt.date(2026, 11, 1))
    assert full.latest_analysis is not None and full.latest_analysis["safety"]["level"] == "caution"
    assert full.program is not None and full.program.id == published.id
    assert [s.performed_on.day for s in full.sessions] == list(range(5, 15))  # the ten newest, oldest first
    assert [c.checked_on.day for c in full.check_ins] == [6, 9, 16, 23, 30]  # the five newest, oldest first
    assert full.patient.latest_safety_level is SafetyLevel.CAUTION
    new = events(session)[before:]
    assert new == [(people.clinician, AuditAction.READ, EntityType.PATIENT_LIST, people.clinician)]


def test_a_page_of_the_overview_reads_its_patients_only_and_says_how_many_match(
    session: Session, people: People
) -> None:
    names = [f"Patient {n:02d}" for n in range(12)] + ["Zed Other"]
    for name in names:
        patients.create_patient(
            session, people.clinician, PatientCreate(display_name=name, external_ref=f"ref-{name[-2:]}")
        )
    session.commit()
    everyone = [r.patient.display_name for r in overview.patient_overviews(session, people.clinician).rows]
    page = overview.patient_overviews(session, people.clinician, offset=5, limit=5)
    assert [r.patient.display_name for r in page.rows] == everyone[5:10]
    assert page.matching == len(everyone)
    found = overview.patient_overviews(session, people.clinician, search="  patient 1", limit=2)
    assert [r.patient.display_name for r in found.rows] == ["Patient 10", "Patient 11"] and found.matching == 2
    by_ref = overview.patient_overviews(session, people.clinician, search="REF-ER")
    assert [r.patient.display_name for r in by_ref.rows] == ["Zed Other"]
    beyond = overview.patient_overviews(session, people.clinician, offset=100, limit=5)
    assert (beyond.rows, beyond.matching) == ([], len(everyone))
    (detail,) = session.scalars(
        select(AuditEvent.detail)
        .where(AuditEvent.entity_type == EntityType.PATIENT_LIST)
        .order_by(AuditEvent.id.desc())
        .limit(1)
    )
    assert detail == {"read": "overview", "count": 0, "matching": len(everyone), "offset": 100}


def test_only_the_clinician_themselves_or_an_admin_see_the_overview(session: Session, people: People) -> None:
    assert overview.patient_overviews(session, people.admin, people.clinician).rows[0].patient.id == people.patient
    assert overview.patient_overviews(session, people.other_clinician).rows == []
    for actor in (people.other_clinician, people.patient_user):
        with pytest.raises(PermissionDeniedError):
            overview.patient_overviews(session, actor, people.clinician)


def test_a_clinician_reads_their_patients_assessments_and_no_other_clinician_may(
    session: Session, people: People
) -> None:
    later = add_assessment(session, people.clinician, people.patient, on="2026-11-20")
    earlier = add_assessment(session, people.clinician, people.patient, on="2026-10-20")
    assert [a.id for a in assessments.patient_assessments(session, people.clinician, people.patient)] == [
        earlier.id,
        later.id,
    ]
    with pytest.raises(PermissionDeniedError):
        assessments.patient_assessments(session, people.other_clinician, people.patient)


def test_one_program_version_is_read_by_its_clinician_and_once_published_by_its_patient(
    session: Session, people: People
) -> None:
    assessment = add_assessment(session, people.clinician, people.patient)
    draft = add_program(session, people.clinician, people.patient, assessment.id)
    assert programs.get_program(session, people.clinician, draft.id).id == draft.id
    assert (people.clinician, AuditAction.READ, EntityType.PROGRAM, draft.id) in events(session)
    with pytest.raises(PermissionDeniedError):
        programs.get_program(session, people.patient_user, draft.id)
    with pytest.raises(PermissionDeniedError):
        programs.get_program(session, people.other_clinician, draft.id)
    programs.publish_program(session, people.clinician, draft.id)
    assert programs.get_program(session, people.patient_user, draft.id).status is ProgramStatus.PUBLISHED
    with pytest.raises(NotFoundError):
        programs.get_program(session, people.clinician, draft.id + 1000)


def test_the_alerts_from_the_parts_read_are_the_alerts_from_the_whole_records(
    session: Session, people: People, kb: KnowledgeBase
) -> None:
    """Only what the alerts read is read of the large documents — and they come out the same."""
    analysis = {
        **analysis_document(SafetyLevel.CAUTION),
        "date": "2026-10-01",
        "scores": {"pain_now": 3, "odi": {"percent": 34.0}},
    }
    data = AssessmentCreate(
        assessed_on=dt.date(2026, 10, 1), document=assessment_document("2026-10-01"), analysis=analysis
    )
    assessment = assessments.add_assessment(session, people.clinician, people.patient, data)
    document = {
        "schema": "rebalance.program/1",
        "client": {"baseline_pain": 3},
        "sessions_per_week": 3,
        "based_on": "2026-10-01",
        "schedule": [{"day": day, "items": [{"exercise_id": "cat_camel"}]} for day in ("Mon", "Wed", "Fri")],
        "items": [{"exercise_id": "cat_camel", "dosage": {"sets": 2, "reps": 10}} for _ in range(40)],  # (not read)
    }
    program = programs.add_program_version(
        session, people.clinician, people.patient, ProgramCreate(assessment_id=assessment.id, document=document)
    )
    programs.publish_program(session, people.clinician, program.id)
    for day, pain, morning in ((1, 1, None), (3, 2, None), (5, 4, None), (7, 6, 5)):
        entry = SessionEntry(exercise_id="cat_camel", done=True, sets=2, pain_during=pain, pain_next_morning=morning)
        data_log = SessionLogCreate(program_id=program.id, performed_on=dt.date(2026, 10, day), entries=[entry])
        session_logs.add_session_log(session, people.patient_user, people.patient, data_log)
    check_in = CheckInCreate(
        checked_on=dt.date(2026, 10, 8), answers=["bladder_dysfunction"], level=SafetyLevel.EMERGENCY
    )
    check_ins.add_check_in(session, people.patient_user, people.patient, check_in)
    today = dt.date(2026, 11, 1)

    (row,) = [r for r in overview.patient_overviews(session, people.clinician).rows if r.patient.id == people.patient]
    assert row.latest_analysis is not None and set(row.latest_analysis) == {"date", "safety", "scores"}
    assert row.latest_analysis["scores"] == {"pain_now": 3}
    assert row.program is not None and set(row.program.document) == {
        "client",
        "schedule",
        "sessions_per_week",
        "based_on",
    }
    started = (row.program.approved_at or row.program.created_at).date()
    stored_at = row.latest_assessment_stored_at
    assert stored_at is not None
    from_parts = patient_alerts(
        kb,
        row.latest_analysis,
        row.program.document,
        row.sessions,
        row.check_ins,
        today,
        started_on=started,
        assessment_stored_at=stored_at,
    )
    logs = session_logs.session_logs_for_patient(session, people.clinician, people.patient)
    checked = check_ins.check_ins_for_patient(session, people.clinician, people.patient)
    whole = patient_alerts(
        kb, analysis, document, logs, checked, today, started_on=started, assessment_stored_at=stored_at
    )
    assert from_parts == whole
    assert {a.kind for a in whole} == {"red_flag", "pain_worse", "sessions_missed"}


def test_each_recent_sessions_two_figures_are_worked_out_by_the_database(session: Session, people: People) -> None:
    """The worst pain during an exercise done (a pain given for one not done does not count) and the worst
    pain the next morning of any exercise, as the alerts read them; none where none was given."""
    assessment = add_assessment(session, people.clinician, people.patient)
    program_id = add_program(session, people.clinician, people.patient, assessment.id, ProgramStatus.PUBLISHED).id
    sessions: dict[int, list[tuple[str, bool, int | None, int | None]]] = {
        1: [("a", True, 3, None), ("b", False, 9, None), ("c", True, None, 2)],
        2: [("a", False, 8, 7), ("b", False, None, None)],
        3: [("a", True, None, None)],
        4: [("a", True, 5, 1), ("b", True, 6, 4)],
    }
    for day, entries in sessions.items():
        logged = [
            SessionEntry(exercise_id=x, done=done, pain_during=during, pain_next_morning=morning)
            for x, done, during, morning in entries
        ]
        data = SessionLogCreate(program_id=program_id, performed_on=dt.date(2026, 10, day), entries=logged)
        session_logs.add_session_log(session, people.patient_user, people.patient, data)

    (row,) = [r for r in overview.patient_overviews(session, people.clinician).rows if r.patient.id == people.patient]

    figures = [(s.performed_on.day, s.worst_pain_during, s.worst_pain_next_morning) for s in row.sessions]
    assert figures == [(1, 3, 2), (2, None, 7), (3, None, None), (4, 6, 4)]


def test_only_patients_with_a_level_that_can_raise_a_red_flag_are_kept_when_asked(
    session: Session, people: People
) -> None:
    """``flagged``: the latest assessment's level (the latest decides), or any check-in's, found by the
    database; the rest of the list is as without it. The web's red-flag filter asks it, and the alerts
    then decide (``alerts.RED_FLAG_LEVELS``; the whole filter: tests/web/test_clinician_patients.py)."""
    names = ["caution now", "urgent before, clear now", "urgent check-in", "caution check-in", "nothing"]
    ids = {
        name: patients.create_patient(session, people.clinician, PatientCreate(display_name=name)).id for name in names
    }
    add_assessment(session, people.clinician, ids["caution now"], on="2026-10-01", level=SafetyLevel.CAUTION)
    urgent_before = ids["urgent before, clear now"]
    add_assessment(session, people.clinician, urgent_before, on="2026-09-01", level=SafetyLevel.URGENT)
    add_assessment(session, people.clinician, urgent_before, on="2026-10-01")
    for name, level in (("urgent check-in", SafetyLevel.URGENT), ("caution check-in", SafetyLevel.CAUTION)):
        add_assessment(session, people.clinician, ids[name], on="2026-10-01")
        check_in = CheckInCreate(checked_on=dt.date(2026, 10, 8), answers=["bladder_dysfunction"], level=level)
        check_ins.add_check_in(session, people.clinician, ids[name], check_in)

    def listed(**flag: Any) -> list[str]:
        rows = overview.patient_overviews(session, people.clinician, **flag).rows
        return [r.patient.display_name for r in rows if r.patient.id in ids.values()]

    assert listed(flagged=RED_FLAG_LEVELS) == ["caution now", "urgent check-in"]
    assert listed(flagged=RED_FLAG_LEVELS, search="check") == ["urgent check-in"]
    assert listed() == sorted(names)


def test_keep_decides_from_the_safety_records_before_the_page_is_cut(session: Session, people: People) -> None:
    """``keep`` (the red-flag filter's ``alerts.has_red_flag``) is given each candidate's latest assessment
    level, day and stored time and recent check-ins; the page and the count are of those it keeps, so a
    candidate without a red flag (an urgent check-in before the latest assessment) takes no place on a
    page, and only the page's patients are read in full. One audit event, as for any list read."""
    names = ["Zed a caution", "Zed b urgent before", "Zed c urgent after", "Zed d emergency after", "Zed e clear"]
    names += ["Zed f urgent after that day's", "Zed g urgent that morning"]  # a check-in on the assessment's day
    ids = {n: patients.create_patient(session, people.clinician, PatientCreate(display_name=n)).id for n in names}
    add_assessment(session, people.clinician, ids["Zed a caution"], on="2026-10-01", level=SafetyLevel.CAUTION)
    for name, day, level in (
        ("Zed b urgent before", dt.date(2026, 9, 20), SafetyLevel.URGENT),
        ("Zed c urgent after", dt.date(2026, 10, 8), SafetyLevel.URGENT),
        ("Zed d emergency after", dt.date(2026, 10, 9), SafetyLevel.EMERGENCY),
        ("Zed e clear", dt.date(2026, 10, 9), SafetyLevel.CLEAR),
    ):
        add_assessment(session, people.clinician, ids[name], on="2026-10-01")
        check_in = CheckInCreate(checked_on=day, answers=["bladder_dysfunction"], level=level)
        check_ins.add_check_in(session, people.clinician, ids[name], check_in)
    on_the_day = CheckInCreate(
        checked_on=dt.date(2026, 10, 1), answers=["bladder_dysfunction"], level=SafetyLevel.URGENT
    )
    check_ins.add_check_in(session, people.clinician, ids["Zed g urgent that morning"], on_the_day)  # then assessed
    add_assessment(session, people.clinician, ids["Zed g urgent that morning"], on="2026-10-01")
    add_assessment(session, people.clinician, ids["Zed f urgent after that day's"], on="2026-10-01")
    check_ins.add_check_in(session, people.clinician, ids["Zed f urgent after that day's"], on_the_day)
    seen: list[overview.SafetyRecord] = []

    def keep(record: overview.SafetyRecord) -> bool:
        seen.append(record)
        return has_red_flag(record)

    before = len(events(session))
    first = overview.patient_overviews(
        session, people.clinician, search="zed", limit=2, flagged=RED_FLAG_LEVELS, keep=keep
    )
    assert [r.patient.display_name for r in first.rows] == ["Zed a caution", "Zed c urgent after"]
    assert first.matching == 4
    assert len(seen) == 6  # the candidates: not the clear one
    assert {str(r.level) for r in seen} == {"caution", "clear"}
    assert sorted(str(c.level) for r in seen for c in r.check_ins) == ["emergency"] + ["urgent"] * 4
    assert [r.assessment_stored_at is not None for r in seen] == [False] * 4 + [True] * 2  # read for f and g only
    assert [c.level for c in first.rows[1].check_ins] == [SafetyLevel.URGENT]  # the page's rows read in full
    second = overview.patient_overviews(
        session, people.clinician, search="zed", offset=2, limit=2, flagged=RED_FLAG_LEVELS, keep=has_red_flag
    )
    assert [r.patient.display_name for r in second.rows] == ["Zed d emergency after", "Zed f urgent after that day's"]
    assert second.matching == 4
    assert len(events(session)) == before + 2


def test_a_stopping_check_in_keeps_its_red_flag_however_many_clear_ones_follow(
    session: Session, people: People
) -> None:
    """An urgent check-in stops the program until the next assessment (``programs.stops``) whatever the patient
    answers after it: the list's records keep it beside the newest few, and its red flag stays."""
    add_assessment(session, people.clinician, people.patient, on="2026-10-01")
    urgent = CheckInCreate(checked_on=dt.date(2026, 10, 2), answers=["bladder_dysfunction"], level=SafetyLevel.URGENT)
    check_ins.add_check_in(session, people.patient_user, people.patient, urgent)
    for day in range(3, 3 + overview.RECENT_CHECK_INS + 1):
        clear = CheckInCreate(checked_on=dt.date(2026, 10, day), answers=[], level=SafetyLevel.CLEAR)
        check_ins.add_check_in(session, people.patient_user, people.patient, clear)
    session.commit()
    (row,) = overview.patient_overviews(session, people.clinician).rows
    assert [c.level for c in row.check_ins][:2] == [SafetyLevel.URGENT, SafetyLevel.CLEAR]
    assert len(row.check_ins) == overview.RECENT_CHECK_INS + 1
    flagged = overview.patient_overviews(session, people.clinician, flagged=RED_FLAG_LEVELS, keep=has_red_flag)
    assert [r.patient.id for r in flagged.rows] == [people.patient]


def test_only_patients_with_a_program_and_no_session_after_a_day_are_kept_when_asked(
    session: Session, people: People
) -> None:
    """``no_session_after``: a published program, and no session performed after the day (one on the day
    itself keeps the patient): those who may have missed sessions, found by the database."""
    names = ["on the day", "the day after", "no program", "no session yet", "draft only"]
    ids = {
        name: patients.create_patient(session, people.clinician, PatientCreate(display_name=name)).id for name in names
    }
    for name in names:
        assessment = add_assessment(session, people.clinician, ids[name], on="2026-10-01")
        status = {"no program": None, "draft only": ProgramStatus.DRAFT}.get(name, ProgramStatus.PUBLISHED)
        if status is None:
            continue
        program_id = add_program(session, people.clinician, ids[name], assessment.id, status).id
        last = {"on the day": "2026-10-10", "the day after": "2026-10-11"}.get(name)
        if last is not None:
            add_log(session, people.clinician, ids[name], program_id, on="2026-10-05")
            add_log(session, people.clinician, ids[name], program_id, on=last)

    rows = overview.patient_overviews(session, people.clinician, no_session_after=dt.date(2026, 10, 10)).rows
    assert [r.patient.display_name for r in rows if r.patient.id in ids.values()] == ["no session yet", "on the day"]
