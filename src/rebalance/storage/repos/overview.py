"""A clinician's patients with what their alerts are computed from, in a few queries and one audit event.

``patient_overviews(session, actor_id, search=..., offset=..., limit=...)`` gives the clinician's patients
(not archived) whose name or reference contains ``search``, by name: one page of them (``offset``,
``limit``; all by default) and how many match in all (:class:`Overviews`). ``flagged=`` and
``no_session_after=`` keep only the patients who may have a red flag, or may have missed sessions: the
candidates of an alert filter, found by the database. For each: the patient list
row (:class:`~rebalance.storage.schemas.PatientListItem`), the latest assessment's date and the parts of
its analysis the alerts read, the published program version, and the most recent session logs and
check-ins. The alerts themselves are the library's (:func:`rebalance.programs.alerts.patient_alerts`).

A fixed number of queries whatever the number of patients (the page's ids and how many match, the
page's list, then one per kind of record, each limited to the newest rows per patient), and one audit
event naming the collection, as a patient list read is (``patient_list``, detail ``read: overview``).
Of the large documents only what the alerts read is read (:data:`ANALYSIS_PARTS`, :data:`PROGRAM_PARTS`:
picked out by the database), and sessions come as plain rows: a list of a hundred patients would
otherwise parse a megabyte of JSON and validate a thousand records (``bench/bench_patient_list.py``).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import Boolean, Integer, Select, and_, column, exists, false, func, or_, select, true
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session, aliased

from rebalance.storage import audit
from rebalance.storage.repos import patients as patient_records
from rebalance.storage.schemas import CheckInPublic, PatientListItem
from rebalance.storage.tables import Assessment, CheckIn, Patient, Program, SessionLog
from rebalance.storage.types import AuditAction, EntityType, ProgramStatus, SafetyLevel

RECENT_SESSIONS = 10
RECENT_CHECK_INS = 5

ANALYSIS_PARTS = (("date",), ("safety",), ("scores", "pain_now"))
"""What the alerts read of the latest analysis (``programs/alerts.py``): only these parts are read."""
PROGRAM_PARTS = (("client",), ("schedule",), ("sessions_per_week",), ("based_on",), ("reassess_on",))
"""What the alerts read of the published program's document."""


@dataclass(frozen=True)
class PublishedProgram:
    """The published program version, as the list shows it; ``document`` holds only :data:`PROGRAM_PARTS`."""

    id: int
    version: int
    created_at: dt.datetime
    approved_at: dt.datetime | None
    document: dict[str, Any]


class RecentEntry(NamedTuple):
    """One exercise of a recent session, as the alerts read it (``alerts.LoggedEntry``)."""

    done: bool
    pain_during: int | None
    pain_next_morning: int | None


class RecentSession(NamedTuple):
    """A recent session, as the alerts read it (``alerts.LoggedSession``): its day and the two figures they
    read of its entries, worked out by the database (:func:`_worst`)."""

    performed_on: dt.date
    worst_pain_during: int | None  # of the exercises done
    worst_pain_next_morning: int | None  # of any exercise

    @property
    def entries(self) -> tuple[RecentEntry, ...]:
        """The entries as far as the alerts read them: the worst of each figure stands for them all."""
        return (RecentEntry(True, self.worst_pain_during, None), RecentEntry(False, None, self.worst_pain_next_morning))


def _worst(dialect: str, field: str, *, done_only: bool) -> Any:
    """The highest ``field`` among a session's entries (those done, if ``done_only``): a subquery over the
    entries, worked out by the database instead of decoding every session's entries here."""
    if dialect == "postgresql":
        entry = func.jsonb_array_elements(SessionLog.entries).table_valued(column("value", JSONB)).alias("e")
        value, done = entry.c.value[field].astext.cast(Integer), entry.c.value["done"].astext.cast(Boolean)
    else:
        entry = func.json_each(SessionLog.entries).table_valued("value").alias("e")
        value, done = func.json_extract(entry.c.value, f"$.{field}"), func.json_extract(entry.c.value, "$.done") == 1
    worst = select(func.max(value)).select_from(entry)
    return (worst.where(done) if done_only else worst).scalar_subquery()


@dataclass(frozen=True)
class SafetyRecord:
    """What a red-flag alert is raised from (``alerts.has_red_flag``): the latest assessment's, and recent check-ins."""

    level: SafetyLevel | None
    assessed_on: dt.date | None
    assessment_stored_at: dt.datetime | None
    check_ins: list[Any]


@dataclass(frozen=True)
class Overviews:
    """One page of a clinician's patients, and how many patients match the search in all."""

    rows: list[PatientOverview]
    matching: int


@dataclass(frozen=True)
class PatientOverview:
    """One patient of the list, with the records their alerts need (and only the parts they read)."""

    patient: PatientListItem
    latest_assessment_id: int | None
    latest_assessed_on: dt.date | None
    latest_assessment_stored_at: dt.datetime | None
    latest_analysis: dict[str, Any] | None  # :data:`ANALYSIS_PARTS` of it
    program: PublishedProgram | None
    sessions: list[RecentSession]  # the most recent, oldest first
    check_ins: list[CheckInPublic]  # the most recent, oldest first


def patient_overviews(
    session: Session,
    actor_id: int,
    clinician_id: int | None = None,
    *,
    search: str = "",
    offset: int = 0,
    limit: int | None = None,
    flagged: tuple[Sequence[str], Sequence[str]] | None = None,
    no_session_after: dt.date | None = None,
    keep: Callable[[SafetyRecord], bool] | None = None,
) -> Overviews:
    """The clinician's patients (``clinician_id``, default the acting clinician; admins any) by name: those
    whose name or reference contains ``search`` (any case), ``limit`` of them from ``offset`` (default all).

    Only the page's patients are read beyond their names: a clinician with thousands of patients waits
    for the page, not for all of them. ``flagged`` (the safety levels of a latest assessment, and of any
    check-in) keeps only the patients with one of them: those who may have a red-flag alert
    (``alerts.RED_FLAG_LEVELS``), found by the database; ``no_session_after`` (a day), only those with
    a published program and no session performed after it: those who may have missed sessions.
    ``keep`` (``alerts.has_red_flag``) then keeps those it holds for, from their safety records, before the
    page is cut: only the page's patients are read in full.
    """
    owner_id = actor_id if clinician_id is None else clinician_id
    actor = patient_records.may_list(session, actor_id, owner_id)
    dialect = session.get_bind().dialect.name
    if keep is None:
        page, matching = _matching(session, owner_id, search, offset, limit, flagged, no_session_after)
    else:
        candidates, _ = _matching(session, owner_id, search, 0, None, flagged, no_session_after)
        records = _safety_records(session, dialect, candidates)
        kept = [i for i in candidates if keep(records[i])]
        page, matching = kept[offset : None if limit is None else offset + limit], len(kept)
    patients = patient_records.patient_list(session, owner_id, include_archived=False, only=page)
    ids = [p.id for p in patients]
    analyses = _parts(Assessment.analysis, ANALYSIS_PARTS)
    newest_assessments = _newest(dialect, Assessment, ids, 1, Assessment.created_at, *analyses)
    latest = {row.patient_id: row for row in session.execute(newest_assessments)}
    published = session.execute(
        select(
            Program.patient_id, Program.id, Program.version, Program.created_at, Program.approved_at,
            *_parts(Program.document, PROGRAM_PARTS),
        ).where(Program.patient_id.in_(ids), Program.status == ProgramStatus.PUBLISHED)
    )  # fmt: skip
    programs = {row.patient_id: _program(row) for row in published}
    worst = (
        _worst(dialect, "pain_during", done_only=True).label("during"),
        _worst(dialect, "pain_next_morning", done_only=False).label("morning"),
    )
    sessions = _by_patient(session.execute(_newest(dialect, SessionLog, ids, RECENT_SESSIONS, *worst)))
    check_ins = _by_patient(session.scalars(_check_ins(dialect, ids)))
    detail: dict[str, Any] = {"read": "overview", "count": len(ids), "matching": matching, "offset": offset}
    audit.record(session, actor.id, AuditAction.READ, EntityType.PATIENT_LIST, owner_id, None, **detail)
    rows = [_overview(p, latest.get(p.id), programs, sessions, check_ins) for p in patients]
    return Overviews(rows, matching)


def _overview(
    patient: PatientListItem,
    assessment: Any | None,
    programs: dict[int, PublishedProgram],
    sessions: dict[int, list[Any]],
    check_ins: dict[int, list[Any]],
) -> PatientOverview:
    return PatientOverview(
        patient=patient,
        latest_assessment_id=None if assessment is None else assessment.id,
        latest_assessed_on=None if assessment is None else assessment.assessed_on,
        latest_assessment_stored_at=None if assessment is None else assessment.created_at,
        latest_analysis=None if assessment is None else _document(assessment, ANALYSIS_PARTS),
        program=programs.get(patient.id),
        sessions=[_session(s) for s in sessions.get(patient.id, [])],
        check_ins=[CheckInPublic.model_validate(c) for c in check_ins.get(patient.id, [])],
    )


def _matching(
    session: Session,
    owner_id: int,
    search: str,
    offset: int,
    limit: int | None,
    flagged: tuple[Sequence[str], Sequence[str]] | None = None,
    no_session_after: dt.date | None = None,
) -> tuple[list[int], int]:
    """The ids of one page of the clinician's patients (not archived) by name whose name or reference
    contains ``search`` (and as ``flagged`` and ``no_session_after`` ask: :func:`patient_overviews`),
    and how many match in all. Without a search, the database counts and pages."""
    mine: tuple[Any, ...] = (Patient.clinician_id == owner_id, Patient.archived == false())
    if flagged is not None:
        mine = (*mine, _flagged(*flagged))
    if no_session_after is not None:
        mine = (*mine, _quiet(no_session_after))
    needle = search.strip().casefold()
    if not needle:
        total = session.execute(select(func.count()).select_from(Patient).where(*mine)).scalar_one()
        page = select(Patient.id).where(*mine).order_by(Patient.display_name, Patient.id).offset(offset).limit(limit)
        return list(session.execute(page).scalars()), total
    names = session.execute(
        select(Patient.id, Patient.display_name, Patient.external_ref)
        .where(*mine)
        .order_by(Patient.display_name, Patient.id)
    )
    found = [i for i, name, ref in names if needle in f"{name} {ref or ''}".casefold()]
    return found[offset : None if limit is None else offset + limit], len(found)


def _safety_records(session: Session, dialect: str, ids: list[int]) -> dict[int, SafetyRecord]:
    """The patients' safety records. The latest assessment's id, day and level come from the index; its
    row (the large documents before its stored time) is read only where a check-in on its day needs it."""
    parts = {"assessment": Assessment.id, "day": Assessment.assessed_on, "level": Assessment.safety_level}
    of_each = (patient_records.of_latest_assessment(c).label(name) for name, c in parts.items())
    latest = session.execute(select(Patient.id, *of_each).where(Patient.id.in_(ids))).all()
    check_in_parts = CheckIn.level, CheckIn.answers, CheckIn.created_at
    check_ins = _by_patient(session.execute(_check_ins(dialect, ids, *check_in_parts)))
    same_day = [a.assessment for a in latest if any(c.checked_on == a.day for c in check_ins.get(a.id, []))]
    stored_at = dict(
        session.execute(select(Assessment.id, Assessment.created_at).where(Assessment.id.in_(same_day))).all()
    )
    return {a.id: SafetyRecord(a.level, a.day, stored_at.get(a.assessment), check_ins.get(a.id, [])) for a in latest}


def _flagged(assessment_levels: Sequence[str], check_in_levels: Sequence[str]) -> Any:
    """The patient's latest assessment (by day, then the last stored) has one of ``assessment_levels``,
    or one of their check-ins has one of ``check_in_levels``."""
    checked = exists().where(CheckIn.patient_id == Patient.id, CheckIn.level.in_(check_in_levels))
    return or_(patient_records.of_latest_assessment(Assessment.safety_level).in_(assessment_levels), checked)


def _quiet(day: dt.date) -> Any:
    """The patient has a published program and no session performed after ``day``."""
    published = exists().where(Program.patient_id == Patient.id, Program.status == ProgramStatus.PUBLISHED)
    logged = exists().where(SessionLog.patient_id == Patient.id, SessionLog.performed_on > day)
    return and_(published, ~logged)


def _parts(column: Any, parts: tuple[tuple[str, ...], ...]) -> list[Any]:
    """Each part of a JSON document column, read in the database (labelled ``part_0``, ...)."""
    return [column[part if len(part) > 1 else part[0]].label(f"part_{i}") for i, part in enumerate(parts)]


def _document(row: Any, parts: tuple[tuple[str, ...], ...]) -> dict[str, Any]:
    """The parts read by :func:`_parts`, as a document of the same shape (a missing part is left out)."""
    document: dict[str, Any] = {}
    for i, part in enumerate(parts):
        value = getattr(row, f"part_{i}")
        if value is None:
            continue
        *parents, key = part
        place = document
        for parent in parents:
            place = place.setdefault(parent, {})
        place[key] = value
    return document


def _program(row: Any) -> PublishedProgram:
    return PublishedProgram(row.id, row.version, row.created_at, row.approved_at, _document(row, PROGRAM_PARTS))


def _session(row: Any) -> RecentSession:
    return RecentSession(row.performed_on, row.during, row.morning)


_DAY = {Assessment: Assessment.assessed_on, SessionLog: SessionLog.performed_on, CheckIn: CheckIn.checked_on}


def _newest(dialect: str, table: Any, patient_ids: list[int], limit: int, *columns: Any) -> Select[Any]:
    """The ``limit`` newest rows of ``table`` per patient (by day, then id), oldest first: their id, patient,
    day and ``columns``, or (no ``columns``) the whole records.

    Each patient's newest rows are found by walking that patient's index for them only: a ``LATERAL``
    join on PostgreSQL; on SQLite, which has none, a subquery per patient in the join's condition.
    (Numbering every row of the patients with a window function read all their history.)
    """
    day = _DAY[table]
    patients = select(Patient.id.label("patient")).where(Patient.id.in_(patient_ids)).subquery()
    chosen = select(table.id, table.patient_id, day, *columns) if columns else select(table)
    if dialect == "postgresql":
        newest = (
            select(table.id)
            .where(table.patient_id == patients.c.patient)
            .order_by(day.desc(), table.id.desc())
            .limit(limit)
            .lateral()
        )
        picked = select(newest.c.id).select_from(patients).join(newest, true())
        chosen = chosen.where(table.id.in_(picked))
    else:
        other = aliased(table)
        per_patient = (
            select(other.id)
            .where(other.patient_id == patients.c.patient)
            .order_by(getattr(other, day.key).desc(), other.id.desc())
            .limit(limit)
            .correlate(patients)
        )
        chosen = chosen.select_from(patients).join(table, table.id.in_(per_patient.scalar_subquery()))
    return chosen.order_by(table.patient_id, day, table.id)


def _check_ins(dialect: str, patient_ids: list[int], *columns: Any) -> Select[Any]:
    """The patients' newest :data:`RECENT_CHECK_INS` check-ins, and every one that stops a program (urgent or
    emergency: rare), oldest first: a stopping check-in stops the program whatever came after it
    (``programs.stops``), so its red-flag alert must not fall out of the newest few."""
    newest = _newest(dialect, CheckIn, patient_ids, RECENT_CHECK_INS, CheckIn.id).subquery()
    stopping = CheckIn.level.in_([SafetyLevel.URGENT, SafetyLevel.EMERGENCY])
    chosen = select(CheckIn.id, CheckIn.patient_id, CheckIn.checked_on, *columns) if columns else select(CheckIn)
    return chosen.where(
        CheckIn.patient_id.in_(patient_ids), or_(CheckIn.id.in_(select(newest.c.id)), stopping)
    ).order_by(CheckIn.patient_id, CheckIn.checked_on, CheckIn.id)


def _by_patient(rows: Any) -> dict[int, list[Any]]:
    out: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        out[row.patient_id].append(row)
    return out
