"""The repository: what the web app and the command line do to stored records.

Every function takes a :class:`~sqlalchemy.orm.Session` and the acting user's id, checks that the
user may do it, and writes an :class:`~rebalance.storage.tables.AuditEvent` for every read or change
of a patient's record (a read of a collection — a patient list, a date range of logs — is one event
naming the collection). Functions flush but never commit: the caller's ``session_scope`` does, so a
change and its audit event are stored together or not at all.

Who may do what:

    admin       everything
    clinician   their own patients' records; creates patients (for themselves) and patient users
    patient     reads their own record, assessments, published programs and logs; logs their own sessions
                (and how the next morning felt)

Errors (see :mod:`rebalance.errors`): ``NotFoundError`` for a record that must exist and does not,
``PermissionDeniedError`` for an unknown, inactive or unauthorised user, ``ConflictError`` for a
change that breaks a rule of the stored data.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Mapping, Sequence
from operator import itemgetter
from types import MappingProxyType
from typing import Any, TypeVar, cast

from pydantic import TypeAdapter
from sqlalchemy import (
    Integer,
    Table,
    Text,
    bindparam,
    column,
    event,
    false,
    func,
    insert,
    literal_column,
    select,
    union_all,
)
from sqlalchemy import values as values_table
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.types import TypeEngine

from rebalance.errors import ConflictError, NotFoundError, PermissionDeniedError
from rebalance.storage import audit, page_state
from rebalance.storage.quick import Quick
from rebalance.storage.schemas import (
    AssessmentCreate,
    AssessmentPublic,
    AuditEventPublic,
    PatientCreate,
    PatientListItem,
    PatientPublic,
    ProgramCreate,
    ProgramPublic,
    Scale10,
    SessionLogCreate,
    SessionLogPublic,
    StoredEntries,
    UserCreate,
    UserPublic,
)
from rebalance.storage.tables import Assessment, AuditEvent, Base, Patient, Program, SessionLog, User
from rebalance.storage.types import AuditAction, EntityType, ProgramStatus, Role, utc_now

_Record = TypeVar("_Record", Assessment, Program)
_PATIENT_LIST = TypeAdapter(list[PatientListItem])
_SCALE: TypeAdapter[int | None] = TypeAdapter(Scale10 | None)

# The statements of a patient's every request, built once, values as bound parameters: building a
# statement and its cache key costs more than SQLite takes to run it.
_USER_AND_PATIENT = (
    select(User, Patient).join(Patient, Patient.id == bindparam("patient_id")).where(User.id == bindparam("user_id"))
)
# ... and only what the access rule reads of them, for the busiest calls (:func:`_may`).
_ACCESS_ROW = (
    select(User.active, User.role, User.patient_id, Patient.clinician_id)
    .join(Patient, Patient.id == bindparam("patient_id"))
    .where(User.id == bindparam("user_id"))
)
# ... and the same with the patient's page state (``page_state.py``), in one statement (a request that
# writes reads both: :func:`checked_page_state`).
_ACCESS_ROW_AND_PAGE_STATE = _ACCESS_ROW.add_columns(*page_state.state_columns(bindparam("patient_id")))
# These and the statements of logging a session below run on the driver's cursor (``quick.py``): a patient
# logging a session, the busiest write, makes each of them (``bench/bench_web_load.py``).
_QUICK_ACCESS_ROW, _QUICK_ACCESS_ROW_AND_PAGE_STATE = Quick(_ACCESS_ROW), Quick(_ACCESS_ROW_AND_PAGE_STATE)
_LATEST_PROGRAM = (
    select(Program).where(Program.patient_id == bindparam("patient_id")).order_by(Program.version.desc()).limit(1)
)
_LATEST_PUBLISHED_PROGRAM = _LATEST_PROGRAM.where(Program.status == ProgramStatus.PUBLISHED)
_LATEST_ASSESSMENT = (
    select(Assessment)
    .where(Assessment.patient_id == bindparam("patient_id"))
    .order_by(Assessment.assessed_on.desc(), Assessment.id.desc())
    .limit(1)
)
_LOGS = cast(Table, SessionLog.__table__)
_NEWEST_LOGS = (  # columns, not ORM records: every session logged reads them (bench/bench_web_load.py)
    select(*_LOGS.c)
    .where(SessionLog.patient_id == bindparam("patient_id"))
    .order_by(SessionLog.performed_on.desc(), SessionLog.id.desc())
    .limit(bindparam("limit"))
)
_OF_PROGRAM = SessionLog.program_id == bindparam("program_id")
_NEWEST_LOGS_OF_PROGRAM = Quick(_NEWEST_LOGS.where(_OF_PROGRAM))
_ENTRIES_TEXT = SessionLog.entries.cast(Text).label("entries")  # the JSON text stored: see _entries_in
_NEWEST_ENTRIES_OF_PROGRAM = Quick(
    _NEWEST_LOGS.where(_OF_PROGRAM).with_only_columns(SessionLog.performed_on, _ENTRIES_TEXT)
)
_NEWEST_LOGS_BEFORE = Quick(_NEWEST_LOGS.where(SessionLog.performed_on < bindparam("before")))
_LOG_VALUES = ("patient_id", "program_id", "performed_on", "entries", "pain_during_max", "created_at")
# The new session, stored only if its program version is the patient's: the owner's check and the insert
# in one statement (no row back: the check is made again, to say what is wrong).
_INSERT_LOG = (
    insert(_LOGS)
    .from_select(
        _LOG_VALUES,
        select(*(bindparam(name, type_=_LOGS.c[name].type) for name in _LOG_VALUES)).where(
            select(Program.id)
            .where(Program.id == bindparam("program_id"), Program.patient_id == bindparam("patient_id"))
            .exists()
        ),
    )
    .returning(_LOGS.c.id)
)
_QUICK_INSERT_LOG = Quick(_INSERT_LOG)

_NEW_LOG_COLUMNS: tuple[tuple[str, TypeEngine[Any]], ...] = (
    ("at", Integer()),
    *((name, _LOGS.c[name].type) for name in _LOG_VALUES[:-1]),
)


@functools.lru_cache(maxsize=64)
def _insert_logs(n: int) -> Quick:
    """``n`` sessions logged at the same moment, stored by the log writer in one statement on PostgreSQL
    (elsewhere ``_INSERT_LOG``, one a session): each only if its program version is the patient's, in the
    order given (``at``). A statement a number of rows (the writer stores up to 32 at once); ``VALUES`` of
    parameters, not arrays, which the driver's Python turns into text slowly."""
    new = values_table(*(column(name, kind) for name, kind in _NEW_LOG_COLUMNS), name="new").data(
        [tuple(bindparam(f"{name}_{i}", type_=kind) for name, kind in _NEW_LOG_COLUMNS) for i in range(n)]
    )
    owned = select(Program.id).where(Program.id == new.c.program_id, Program.patient_id == new.c.patient_id)
    rows = select(*(new.c[name] for name in _LOG_VALUES[:-1]), bindparam("created_at", type_=_LOGS.c.created_at.type))
    stored = insert(_LOGS).from_select(_LOG_VALUES, rows.where(owned.exists()).order_by(new.c.at))
    return Quick(stored.returning(_LOGS.c.id, _LOGS.c.patient_id, _LOGS.c.program_id))


# who may act


def _actor(session: Session, actor_id: int, action: AuditAction, entity: EntityType, entity_id: object) -> User:
    user = _pinned(session, User, actor_id)
    if user is None or not user.active:
        raise PermissionDeniedError(actor_id, action, entity, entity_id, "unknown or inactive user")
    return user


_PINNED = "rebalance.pinned"
_Pinned = TypeVar("_Pinned", User, Patient)


def _pinned(session: Session, table: type[_Pinned], record_id: int) -> _Pinned | None:
    """``session.get``, and the record kept in the session until its unit of work ends.

    The session's identity map holds records weakly: without this, the acting user and the patient
    would be read again by every repository call of a request (each checks them afresh).
    """
    record = session.get(table, record_id)
    if record is not None:
        _pin(session, table, record)
    return record


def _pin(session: Session, table: type[Base], record: Base) -> None:
    session.info.setdefault(_PINNED, {})[table, record.id] = record  # type: ignore[attr-defined]


def _load_pair(session: Session, user_id: int, patient_id: int) -> None:
    """The acting user and the patient in one query, when neither is in the session yet (then pinned)."""
    pinned = session.info.get(_PINNED, {})
    if (User, user_id) in pinned or (Patient, patient_id) in pinned:
        return
    row = session.execute(_USER_AND_PATIENT, {"user_id": user_id, "patient_id": patient_id}).first()
    if row is not None:  # else one of them is missing: _actor and _patient say which
        session.info.setdefault(_PINNED, {}).update({(User, user_id): row[0], (Patient, patient_id): row[1]})


_CHECKED = "rebalance.access_checked"


@event.listens_for(Session, "after_transaction_end")
def _unpin(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the next unit of work reads them afresh
        session.info.pop(_PINNED, None)
        session.info.pop(_CHECKED, None)


def _patient(
    session: Session,
    actor_id: int,
    patient_id: int,
    action: AuditAction,
    *,
    patient_may: bool = False,
    lock: bool = False,
) -> tuple[User, Patient]:
    """The acting user and the patient, once the user may ``action`` the patient's record."""
    if not lock:
        _load_pair(session, actor_id, patient_id)
    actor = _actor(session, actor_id, action, EntityType.PATIENT, patient_id)
    patient = session.get(Patient, patient_id, with_for_update=True) if lock else _pinned(session, Patient, patient_id)
    if patient is None:
        raise NotFoundError(EntityType.PATIENT, patient_id)
    _decide(actor.id, actor.role, actor.patient_id, patient.id, patient.clinician_id, action, patient_may)
    return actor, patient


def _may(session: Session, actor_id: int, patient_id: int, action: AuditAction, *, patient_may: bool = False) -> None:
    """:func:`_patient`'s check without its records: the same rule (:func:`_decide`) on the few columns it
    reads, once per unit of work (the busiest calls: a patient logging a session)."""
    row = session.info.setdefault(_CHECKED, {}).get((actor_id, patient_id))
    if row is None:
        row = _access_row(session, _QUICK_ACCESS_ROW, actor_id, patient_id, action, patient_may)
        if row is None:
            return
    _decide_on(row, actor_id, patient_id, action, patient_may)


def checked_page_state(session: Session, actor_id: int, patient_id: int) -> page_state.PageState:
    """The patient's page state (``page_state.page_state``) for a user who may read the patient's record
    (the patient themselves too), read in one statement with what :func:`_may` reads, which the unit of
    work then knows: one statement fewer for a request that writes without the page state of its sign-in
    lookup (the patient's log form; the JSON API's has it: :func:`known_own_access`)."""
    row = _access_row(session, _QUICK_ACCESS_ROW_AND_PAGE_STATE, actor_id, patient_id, AuditAction.READ, True)
    if row is None:
        return page_state.page_state(session, patient_id)
    _decide_on(row, actor_id, patient_id, AuditAction.READ, True)
    return page_state.from_values(row)


def known_own_access(session: Session, user: UserPublic) -> None:
    """The access rule's columns of a patient's user acting on their own record, as the request's sign-in
    lookup read them a moment before the unit of work (``web.security.find_session``, which refused an
    inactive user): :func:`_may` then reads nothing more in this unit of work. For any other user, nothing.

    What the rule decides is the same: a patient may act on their own record where the call allows it,
    and on no other (the patient's clinician, unread here, matters only to a clinician's access). A user
    deactivated between the lookup and the unit of work is refused from their next request on.
    """
    if user.role is Role.PATIENT and user.patient_id is not None:
        row = {"active": user.active, "role": user.role, "patient_id": user.patient_id, "clinician_id": None}
        session.info.setdefault(_CHECKED, {})[(user.id, user.patient_id)] = row


def _access_row(
    session: Session, statement: Quick, actor_id: int, patient_id: int, action: AuditAction, patient_may: bool
) -> dict[str, Any] | None:
    """``statement``'s row with the access rule's columns (:data:`_ACCESS_ROW`'s), kept for the unit of
    work's later checks. A user or patient missing, or an inactive user, is left to :func:`_patient`,
    which says which; None if it finds the access allowed after all (changed in between)."""
    row = statement.first_in(session, {"user_id": actor_id, "patient_id": patient_id})
    if row is None or not row["active"]:
        _patient(session, actor_id, patient_id, action, patient_may=patient_may)
        return None
    session.info.setdefault(_CHECKED, {})[(actor_id, patient_id)] = row
    return row


def _decide_on(row: Mapping[str, Any], actor_id: int, patient_id: int, action: AuditAction, patient_may: bool) -> None:
    """:func:`_decide` on a row of the access rule's columns (:data:`_ACCESS_ROW`'s)."""
    _decide(actor_id, Role(row["role"]), row["patient_id"], patient_id, row["clinician_id"], action, patient_may)


def _decide(
    actor_id: int,
    role: Role,
    actor_patient_id: int | None,
    patient_id: int,
    clinician_id: int | None,
    action: AuditAction,
    patient_may: bool,
) -> None:
    """Who may ``action`` a patient's record: an admin; the patient's own clinician; the patient themselves
    where ``patient_may``. Else 403, saying why."""
    allowed = (
        role is Role.ADMIN
        or (role is Role.CLINICIAN and clinician_id == actor_id)
        or (patient_may and role is Role.PATIENT and actor_patient_id == patient_id)
    )
    if not allowed:
        own = role is Role.PATIENT and actor_patient_id == patient_id
        reason = "a patient may not do this to their record" if own else "not this user's patient"
        raise PermissionDeniedError(actor_id, action, EntityType.PATIENT, patient_id, reason)


# users


def create_user(session: Session, actor_id: int | None, data: UserCreate) -> UserPublic:
    """Create a user. With no acting user (``None``) only the first user, an admin, can be created."""
    if actor_id is None:
        if session.scalar(select(func.count()).select_from(User)) or data.role is not Role.ADMIN:
            reason = "only the first user, an admin, is created without an acting user"
            raise PermissionDeniedError(None, AuditAction.CREATE, EntityType.USER, data.email, reason)
    else:
        _check_may_create_user(session, actor_id, data)
    if session.scalar(select(User.id).where(User.email == data.email)) is not None:
        raise ConflictError(EntityType.USER, data.email, "a user with this email already exists")
    user = User(**data.model_dump())
    session.add(user)
    session.flush()
    audit.record(session, actor_id, AuditAction.CREATE, EntityType.USER, user.id, user.patient_id, role=user.role.value)
    return UserPublic.model_validate(user)


def _check_may_create_user(session: Session, actor_id: int, data: UserCreate) -> None:
    actor = _actor(session, actor_id, AuditAction.CREATE, EntityType.USER, data.email)
    if data.patient_id is not None:
        _patient(session, actor_id, data.patient_id, AuditAction.CREATE)
    if actor.role is Role.ADMIN:
        return
    if actor.role is Role.CLINICIAN and data.role is Role.PATIENT and data.clinician_id == actor.id:
        return
    reason = "a clinician creates only patient users of their own"
    raise PermissionDeniedError(actor_id, AuditAction.CREATE, EntityType.USER, data.email, reason)


# patients


def create_patient(
    session: Session, actor_id: int, data: PatientCreate, clinician_id: int | None = None
) -> PatientPublic:
    """Create a patient of ``clinician_id`` (default: the acting clinician)."""
    actor = _actor(session, actor_id, AuditAction.CREATE, EntityType.PATIENT, None)
    owner_id = actor.id if clinician_id is None else clinician_id
    if actor.role is not Role.ADMIN and not (actor.role is Role.CLINICIAN and owner_id == actor.id):
        reason = "a clinician creates patients only for themselves"
        raise PermissionDeniedError(actor.id, AuditAction.CREATE, EntityType.PATIENT, None, reason)
    owner = session.get(User, owner_id)
    if owner is None or owner.role is not Role.CLINICIAN:
        raise NotFoundError("clinician", owner_id)
    if data.external_ref and session.scalar(
        select(Patient.id).where(Patient.clinician_id == owner_id, Patient.external_ref == data.external_ref)
    ):
        raise ConflictError("patient", None, f"another of your patients already has the reference {data.external_ref}")
    patient = Patient(clinician_id=owner_id, **data.model_dump())
    session.add(patient)
    session.flush()
    audit.record(
        session, actor.id, AuditAction.CREATE, EntityType.PATIENT, patient.id, patient.id, clinician_id=owner_id
    )
    return PatientPublic.model_validate(patient)


def get_patient(session: Session, actor_id: int, patient_id: int) -> PatientPublic:
    """A patient's record (the patient's clinician, an admin, or the patient themselves)."""
    actor, patient = _patient(session, actor_id, patient_id, AuditAction.READ, patient_may=True)
    audit.record(session, actor.id, AuditAction.READ, EntityType.PATIENT, patient.id, patient.id)
    return PatientPublic.model_validate(patient)


def list_patients_for_clinician(
    session: Session, actor_id: int, clinician_id: int | None = None, *, include_archived: bool = False
) -> list[PatientListItem]:
    """A clinician's patients by name, each with its latest safety level and last session date.

    One query: the two figures are correlated subqueries answered from the indexes
    ``(patient_id, assessed_on, id)`` and ``(patient_id, performed_on)``, one seek per patient.
    """
    owner_id = actor_id if clinician_id is None else clinician_id
    actor = _actor(session, actor_id, AuditAction.READ, EntityType.PATIENT_LIST, owner_id)
    if not (actor.role is Role.ADMIN or (actor.role is Role.CLINICIAN and actor.id == owner_id)):
        reason = "only the clinician themselves or an admin"
        raise PermissionDeniedError(actor.id, AuditAction.READ, EntityType.PATIENT_LIST, owner_id, reason)
    patients = _patient_list(session, owner_id, include_archived=include_archived)
    audit.record(session, actor.id, AuditAction.READ, EntityType.PATIENT_LIST, owner_id, count=len(patients))
    return patients


def _patient_list(
    session: Session, clinician_id: int, *, include_archived: bool, only: Sequence[int] | None = None
) -> list[PatientListItem]:
    """The clinician's patients by name (``only``: those of these ids)."""
    latest_safety = (
        select(Assessment.safety_level)
        .where(Assessment.patient_id == Patient.id)
        .order_by(Assessment.assessed_on.desc(), Assessment.id.desc())
        .limit(1)
        .correlate(Patient)
        .scalar_subquery()
    )
    last_session = (
        select(func.max(SessionLog.performed_on))
        .where(SessionLog.patient_id == Patient.id)
        .correlate(Patient)
        .scalar_subquery()
    )
    query = select(
        Patient.id,
        Patient.display_name,
        Patient.external_ref,
        latest_safety.label("latest_safety_level"),
        last_session.label("last_session_on"),
    ).where(Patient.clinician_id == clinician_id)
    if not include_archived:
        query = query.where(Patient.archived == false())
    if only is not None:
        query = query.where(Patient.id.in_(only))
    # Core rows and one validation call for the whole list: far less Python per row than ORM rows validated
    # one by one, which is what counts for a long list (bench/bench_patient_list.py).
    result = session.connection().execute(query.order_by(Patient.display_name, Patient.id))
    names = list(result.keys())
    return _PATIENT_LIST.validate_python([dict(zip(names, row, strict=True)) for row in result.all()])


# assessments


def add_assessment(session: Session, actor_id: int, patient_id: int, data: AssessmentCreate) -> AssessmentPublic:
    """Store an assessment and its analysis; the safety level is the analysis's ``safety.level``."""
    actor, patient = _patient(session, actor_id, patient_id, AuditAction.CREATE)
    assessment = Assessment(
        patient_id=patient.id,
        assessed_on=data.assessed_on,
        document=data.document,
        analysis=data.analysis,
        safety_level=data.safety_level,
        created_by=actor.id,
    )
    session.add(assessment)
    session.flush()
    level = assessment.safety_level.value
    audit.record(
        session, actor.id, AuditAction.CREATE, EntityType.ASSESSMENT, assessment.id, patient.id, safety_level=level
    )
    return AssessmentPublic.model_validate(assessment)


def get_assessment(session: Session, actor_id: int, assessment_id: int) -> AssessmentPublic:
    """One assessment (the patient's clinician or an admin)."""
    assessment = _owned(session, Assessment, EntityType.ASSESSMENT, assessment_id)
    actor, _ = _patient(session, actor_id, assessment.patient_id, AuditAction.READ)
    audit.record(session, actor.id, AuditAction.READ, EntityType.ASSESSMENT, assessment.id, assessment.patient_id)
    return AssessmentPublic.model_validate(assessment)


def _owned(session: Session, table: type[_Record], entity: EntityType, record_id: int) -> _Record:
    record = session.get(table, record_id)
    if record is None:
        raise NotFoundError(entity, record_id)
    return record


def _of_patient(session: Session, table: type[_Record], entity: EntityType, record_id: int, patient_id: int) -> _Record:
    record = _owned(session, table, entity, record_id)
    if record.patient_id != patient_id:
        raise ConflictError(entity, record_id, f"belongs to patient {record.patient_id}, not {patient_id}")
    return record


# programs


def add_program_version(session: Session, actor_id: int, patient_id: int, data: ProgramCreate) -> ProgramPublic:
    """Store a new version of the patient's program (numbered from 1); never changes an old one.

    A version created ``published`` supersedes the version published before it.
    """
    actor, patient = _patient(session, actor_id, patient_id, AuditAction.CREATE, lock=True)
    _of_patient(session, Assessment, EntityType.ASSESSMENT, data.assessment_id, patient.id)
    latest = session.scalar(select(func.max(Program.version)).where(Program.patient_id == patient.id))
    program = Program(
        patient_id=patient.id,
        assessment_id=data.assessment_id,
        version=(latest or 0) + 1,
        status=ProgramStatus.DRAFT,
        document=data.document,
        created_by=actor.id,
    )
    session.add(program)
    session.flush()
    detail = {"version": program.version, "status": data.status.value}
    audit.record(session, actor.id, AuditAction.CREATE, EntityType.PROGRAM, program.id, patient.id, **detail)
    if data.status is ProgramStatus.APPROVED:
        _approve(actor, program)
    elif data.status is ProgramStatus.PUBLISHED:
        _publish(session, actor, program)
    return ProgramPublic.model_validate(program)


def add_assessment_with_draft(
    session: Session, actor_id: int, patient_id: int, data: AssessmentCreate
) -> tuple[AssessmentPublic, ProgramPublic | None]:
    """Store an analysed assessment and, when its analysis has a program (safety did not withhold it),
    that program as the patient's next version, a draft."""
    assessment = add_assessment(session, actor_id, patient_id, data)
    program = data.analysis.get("program")
    if program is None:
        return assessment, None
    draft = ProgramCreate(assessment_id=assessment.id, document=program, status=ProgramStatus.DRAFT)
    return assessment, add_program_version(session, actor_id, patient_id, draft)


def add_draft_of(session: Session, actor_id: int, program: ProgramPublic, document: dict[str, Any]) -> ProgramPublic:
    """An edited ``document`` of ``program`` (a swap, a dose) as the patient's next version, a draft of the
    same assessment."""
    data = ProgramCreate(assessment_id=program.assessment_id, document=document, status=ProgramStatus.DRAFT)
    return add_program_version(session, actor_id, program.patient_id, data)


def approve_program(session: Session, actor_id: int, program_id: int) -> ProgramPublic:
    """Mark a draft approved by the acting clinician (already approved: unchanged)."""
    program = _owned(session, Program, EntityType.PROGRAM, program_id)
    actor, _ = _patient(session, actor_id, program.patient_id, AuditAction.UPDATE)
    if program.status in (ProgramStatus.PUBLISHED, ProgramStatus.SUPERSEDED):
        raise ConflictError(EntityType.PROGRAM, program_id, f"is {program.status.value}; only a draft is approved")
    if program.status is ProgramStatus.DRAFT:
        _approve(actor, program)
        audit.record(
            session, actor.id, AuditAction.UPDATE, EntityType.PROGRAM, program.id, program.patient_id, status="approved"
        )
    return ProgramPublic.model_validate(program)


def publish_program(session: Session, actor_id: int, program_id: int) -> ProgramPublic:
    """Publish a version to the patient; the version published before it becomes superseded, and so do the
    older versions never published (drafts, approved versions): none of them can be published any more.

    Publishing a version older than the one published, or a superseded one, is a ``ConflictError``;
    publishing the published one changes nothing.
    """
    program = _owned(session, Program, EntityType.PROGRAM, program_id)
    actor, _ = _patient(session, actor_id, program.patient_id, AuditAction.PUBLISH, lock=True)
    session.refresh(program)  # its status as of the lock, not as first read
    if program.status is ProgramStatus.SUPERSEDED:
        raise ConflictError(EntityType.PROGRAM, program_id, "is superseded; publish a new version instead")
    if program.status is not ProgramStatus.PUBLISHED:
        _publish(session, actor, program)
    return ProgramPublic.model_validate(program)


def _approve(actor: User, program: Program) -> None:
    program.status = ProgramStatus.APPROVED
    program.approved_by = actor.id
    program.approved_at = utc_now()


def _publish(session: Session, actor: User, program: Program) -> None:
    current = session.scalar(
        select(Program)
        .where(Program.patient_id == program.patient_id, Program.status == ProgramStatus.PUBLISHED)
        .execution_options(populate_existing=True)
    )
    if current is not None and current is not program:
        if current.version > program.version:
            reason = f"version {program.version} is older than the published version {current.version}"
            raise ConflictError(EntityType.PROGRAM, program.id, reason)
        current.status = ProgramStatus.SUPERSEDED
        session.flush()  # before the new one is published: one published version per patient
        detail = {"status": "superseded", "superseded_by": program.id}
        audit.record(
            session, actor.id, AuditAction.UPDATE, EntityType.PROGRAM, current.id, current.patient_id, **detail
        )
    unpublished = session.scalars(
        select(Program).where(
            Program.patient_id == program.patient_id,
            Program.version < program.version,
            Program.status.in_((ProgramStatus.DRAFT, ProgramStatus.APPROVED)),
        )
    ).all()
    for older in unpublished:  # left behind: shown as superseded, not as a draft that cannot be published
        older.status = ProgramStatus.SUPERSEDED
        detail = {"status": "superseded", "superseded_by": program.id}
        audit.record(session, actor.id, AuditAction.UPDATE, EntityType.PROGRAM, older.id, older.patient_id, **detail)
    if program.approved_by is None:  # publishing is approving
        _approve(actor, program)
    program.status = ProgramStatus.PUBLISHED
    session.flush()
    audit.record(
        session,
        actor.id,
        AuditAction.PUBLISH,
        EntityType.PROGRAM,
        program.id,
        program.patient_id,
        version=program.version,
    )


def latest_program(
    session: Session, actor_id: int, patient_id: int, *, published_only: bool = False
) -> ProgramPublic | None:
    """The patient's newest program version (newest published with ``published_only``, and always for
    the patient themselves); ``None`` while the patient has none."""
    actor, patient = _patient(session, actor_id, patient_id, AuditAction.READ, patient_may=True)
    published = published_only or actor.role is Role.PATIENT
    program = session.scalar(_LATEST_PUBLISHED_PROGRAM if published else _LATEST_PROGRAM, {"patient_id": patient.id})
    if program is None:
        audit.record(
            session, actor.id, AuditAction.READ, EntityType.PATIENT, patient.id, patient.id, read="latest_program"
        )
        return None
    audit.record(
        session, actor.id, AuditAction.READ, EntityType.PROGRAM, program.id, patient.id, version=program.version
    )
    _pin(session, Program, program)  # logging a session checks it again
    return ProgramPublic.model_validate(program)


def get_program(session: Session, actor_id: int, program_id: int) -> ProgramPublic:
    """One program version (the patient's clinician or an admin; the patient themselves once it is published)."""
    program = _owned(session, Program, EntityType.PROGRAM, program_id)
    shown = program.status in (ProgramStatus.PUBLISHED, ProgramStatus.SUPERSEDED)
    actor, _ = _patient(session, actor_id, program.patient_id, AuditAction.READ, patient_may=shown)
    audit.record(
        session, actor.id, AuditAction.READ, EntityType.PROGRAM, program.id, program.patient_id, version=program.version
    )
    return ProgramPublic.model_validate(program)


def program_versions(session: Session, actor_id: int, patient_id: int) -> list[ProgramPublic]:
    """Every version of the patient's program, oldest first (the patient's clinician or an admin)."""
    actor, patient = _patient(session, actor_id, patient_id, AuditAction.READ)
    programs = session.scalars(select(Program).where(Program.patient_id == patient.id).order_by(Program.version)).all()
    ids = [p.id for p in programs]
    audit.record(
        session, actor.id, AuditAction.READ, EntityType.PATIENT, patient.id, patient.id, read="programs", ids=ids
    )
    return [ProgramPublic.model_validate(p) for p in programs]


# session logs


def add_session_log(session: Session, actor_id: int, patient_id: int, data: SessionLogCreate) -> SessionLogPublic:
    """Store one session (the patient themselves, their clinician, or an admin)."""
    try:
        (stored,) = add_session_logs(session, [(actor_id, patient_id, data)])
    except NotStored as refused:
        raise refused.why from None
    return stored


def add_session_logs(session: Session, each: Sequence[tuple[int, int, SessionLogCreate]]) -> list[SessionLogPublic]:
    """:func:`add_session_log` for each (actor id, patient id, session) of ``each``, in order, the inserts
    sent together (one statement on PostgreSQL: the log writer stores so the sessions logged at the same
    moment, ``web/log_writer.py``). Where one cannot be stored, :class:`NotStored` says which and why; the
    others are stored by then, in the caller's unit of work, which rolls back."""
    for actor_id, patient_id, _ in each:
        _may(session, actor_id, patient_id, AuditAction.CREATE, patient_may=True)
    now = utc_now()
    values = [
        {
            "patient_id": patient_id,
            "program_id": data.program_id,
            "performed_on": data.performed_on,
            "entries": [entry.model_dump(mode="json") for entry in data.entries],
            "pain_during_max": data.pain_during_max,
            "created_at": now,
        }
        for _, patient_id, data in each
    ]
    # A Core statement, not an ORM record: the whole row is known, and the unit of work's flush of one new
    # record costs more than the insert (the busiest write: bench/bench_web_load.py).
    done = []
    for at, ((actor_id, patient_id, data), row, stored) in enumerate(
        zip(each, values, _inserted(session, values), strict=True)
    ):
        if stored is None:  # not stored: say why (no such program version, or another patient's)
            raise NotStored(at, _why_not_stored(session, patient_id, data.program_id))
        audit.record(session, actor_id, AuditAction.CREATE, EntityType.SESSION_LOG, stored["id"], patient_id)
        done.append(SessionLogPublic.model_validate({**stored, **row}))
    return done


def _inserted(session: Session, values: list[dict[str, Any]]) -> list[dict[str, Any] | None]:
    """Each session of ``values`` stored if its program version is the patient's: its id, or None. One
    statement for them all on PostgreSQL (:func:`_insert_logs`: its rows come back with their new ids,
    given in the order they were stored), one a session elsewhere."""
    if len(values) < 2 or session.get_bind().dialect.name != "postgresql":
        return [_QUICK_INSERT_LOG.first_in(session, row) for row in values]
    each = {f"{name}_{i}": row[name] for i, row in enumerate(values) for name in _LOG_VALUES[:-1]}
    given = {**each, **{f"at_{i}": i for i in range(len(values))}, "created_at": values[0]["created_at"]}
    rows = _insert_logs(len(values)).all_in(session, given)
    stored = [((r["patient_id"], r["program_id"]), r["id"]) for r in sorted(rows, key=itemgetter("id"), reverse=True)]
    found: list[dict[str, Any] | None] = []
    for row in values:  # a row not stored is missing: each stored one is the next of its patient and version
        match = bool(stored) and stored[-1][0] == (row["patient_id"], row["program_id"])
        found.append({"id": stored.pop()[1]} if match else None)
    return found


class NotStored(Exception):
    """The session ``at`` (of those given to :func:`add_session_logs`) was not stored, for ``why``."""

    def __init__(self, at: int, why: Exception) -> None:
        super().__init__(at, why)
        self.at, self.why = at, why


def _why_not_stored(session: Session, patient_id: int, program_id: int) -> Exception:
    try:
        _of_patient(session, Program, EntityType.PROGRAM, program_id, patient_id)
    except (NotFoundError, ConflictError) as error:
        return error
    return NotFoundError(EntityType.PROGRAM, program_id)  # (gone in between)


def session_logs_for_patient(
    session: Session, actor_id: int, patient_id: int, start: dt.date | None = None, end: dt.date | None = None
) -> list[SessionLogPublic]:
    """The patient's sessions performed from ``start`` to ``end`` (both included; open if None), oldest first."""
    actor, patient = _patient(session, actor_id, patient_id, AuditAction.READ, patient_may=True)
    query = select(SessionLog).where(SessionLog.patient_id == patient.id)
    if start is not None:
        query = query.where(SessionLog.performed_on >= start)
    if end is not None:
        query = query.where(SessionLog.performed_on <= end)
    logs = session.scalars(query.order_by(SessionLog.performed_on, SessionLog.id)).all()
    detail = {"read": "session_logs", "from": _iso(start), "to": _iso(end), "count": len(logs)}
    audit.record(session, actor.id, AuditAction.READ, EntityType.PATIENT, patient.id, patient.id, **detail)
    return [SessionLogPublic.model_validate(log) for log in logs]


def _iso(day: dt.date | None) -> str | None:
    return None if day is None else day.isoformat()


def set_next_morning(
    session: Session, actor_id: int, log_id: int, pain: int | None, stiffness: int | None
) -> SessionLogPublic:
    """Record how the morning after a session felt (pain and stiffness, 0–10) on each exercise done in it.

    The patient themselves, their clinician, or an admin; a value given replaces the one stored, ``None``
    leaves it as it is. Entries not done are left alone (there was no load to react to).
    """
    log = session.get(SessionLog, log_id)
    if log is None:
        raise NotFoundError(EntityType.SESSION_LOG, log_id)
    actor, patient = _patient(session, actor_id, log.patient_id, AuditAction.UPDATE, patient_may=True)
    values = {
        "pain_next_morning": _SCALE.validate_python(pain),
        "stiffness_next_morning": _SCALE.validate_python(stiffness),
    }
    given = {name: value for name, value in values.items() if value is not None}
    log.entries = [{**entry, **given} if entry.get("done") else entry for entry in log.entries]  # a new list: saved
    session.flush()
    audit.record(session, actor.id, AuditAction.UPDATE, EntityType.SESSION_LOG, log.id, patient.id, **given)
    return SessionLogPublic.model_validate(log)


def recent_session_logs(
    session: Session,
    actor_id: int,
    patient_id: int,
    limit: int,
    *,
    program_id: int | None = None,
    before: dt.date | None = None,
) -> list[SessionLogPublic]:
    """The patient's latest ``limit`` sessions — of one program version, or performed before a day (give
    one of them) — oldest first (the patient themselves, their clinician, or an admin).

    One short walk down an index, however long the history: ``(program_id, patient_id, performed_on, id)`` or
    ``(patient_id, performed_on)``.
    """
    if (program_id is None) == (before is None):
        raise ValueError("give a program_id or a day to read the sessions before, not both")
    if program_id is not None:
        rows = _newest(session, actor_id, patient_id, limit, _NEWEST_LOGS_OF_PROGRAM, program_id=program_id)
    else:
        rows = _newest(session, actor_id, patient_id, limit, _NEWEST_LOGS_BEFORE, before=before)
    return [SessionLogPublic.model_validate(row) for row in rows]


def recent_session_entries(
    session: Session, actor_id: int, patient_id: int, limit: int, program_id: int
) -> list[StoredEntries]:
    """:func:`recent_session_logs` of a program version, with only each session's day and its entries as
    stored (JSON objects): what the pain-monitoring model reads after every session logged, without
    building each session's records (``bench/bench_web_load.py``)."""
    (entries,) = recent_session_entries_each(session, limit, [(actor_id, patient_id, program_id)])
    return entries


def recent_session_entries_each(
    session: Session, limit: int, each: Sequence[tuple[int, int, int]]
) -> list[list[StoredEntries]]:
    """:func:`recent_session_entries` for each (actor id, patient id, program version id) of ``each``, in
    order: each checked and audited as one read, all read in one statement on PostgreSQL.
    The log writer reads so the latest sessions of every session it stored at once (``web/log_writer.py``)."""
    for actor_id, patient_id, _ in each:
        _may(session, actor_id, patient_id, AuditAction.READ, patient_may=True)
    found = _newest_entries_of_each(session, limit, [(patient_id, program_id) for _, patient_id, program_id in each])
    for (actor_id, patient_id, program_id), rows in zip(each, found, strict=True):
        _audit_newest(session, actor_id, patient_id, limit, program_id, None, len(rows))
    return [
        [StoredEntries(row["performed_on"], _entries_in(row["entries"]), row["entries"]) for row in rows]
        for rows in found
    ]


def _newest_entries_of_each(session: Session, limit: int, each: list[tuple[int, int]]) -> list[list[dict[str, Any]]]:
    """The rows of ``_NEWEST_ENTRIES_OF_PROGRAM`` for each (patient id, version id) of ``each``, oldest first:
    one statement for them all on PostgreSQL (:func:`_newest_entries_of`), one each elsewhere."""
    if len(each) < 2 or session.get_bind().dialect.name != "postgresql":
        values = [{"patient_id": p, "program_id": v, "limit": limit, "before": None} for p, v in each]
        return [_NEWEST_ENTRIES_OF_PROGRAM.all_in(session, value)[::-1] for value in values]
    asks = {
        **{f"patient_id_{i}": p for i, (p, _) in enumerate(each)},
        **{f"program_id_{i}": v for i, (_, v) in enumerate(each)},
    }
    found: list[list[dict[str, Any]]] = [[] for _ in each]
    for row in _newest_entries_of(len(each)).all_in(session, {**asks, "limit": limit}):
        found[row["at"]].append(row)
    return [rows[::-1] for rows in found]


@functools.lru_cache(maxsize=64)
def _newest_entries_of(n: int) -> Quick:
    """``_NEWEST_ENTRIES_OF_PROGRAM`` for ``n`` (patient, version) pairs in one statement, each pair's rows
    marked ``at`` (PostgreSQL): a branch a pair, each the one-pair statement, planned on its own values.

    Either this or a ``LATERAL`` join on the pairs walks the index once PostgreSQL's statistics know the
    table (``db.analyze``); without them both read every session of the version and sorted them (0.03 ms
    became 25 ms at 20,000 sessions: ``bench/README.md``). The ``LATERAL`` join was not measured again."""
    branches = [
        select(literal_column(str(i), Integer).label("at"), SessionLog.performed_on, _ENTRIES_TEXT)
        .where(
            SessionLog.patient_id == bindparam(f"patient_id_{i}"), SessionLog.program_id == bindparam(f"program_id_{i}")
        )
        .order_by(SessionLog.performed_on.desc(), SessionLog.id.desc())
        .limit(bindparam("limit"))
        for i in range(n)
    ]
    return Quick(union_all(*branches))


@functools.lru_cache(maxsize=4096)
def _entries_in(stored: str) -> tuple[Mapping[str, Any], ...]:
    """A session's entries from the JSON text stored, read-only, decoded once per process and text.

    Every session logged reads the version's latest sessions again, all but one of them read the session
    before: their text is the key, so an entry changed since (a next-morning answer) is a new text, decoded
    afresh. What is kept is immutable (mappings that cannot be changed, in a tuple), as it is shared by
    every reader. 4,096 texts of about a kilobyte each at most (a session of a few exercises)."""
    return tuple(MappingProxyType(entry) for entry in json.loads(stored))


def _newest(
    session: Session,
    actor_id: int,
    patient_id: int,
    limit: int,
    statement: Quick,
    *,
    program_id: int | None = None,
    before: dt.date | None = None,
) -> list[dict[str, Any]]:
    """The rows of ``statement`` (the latest ``limit`` sessions, newest first) oldest first, checked and
    audited as one read of the patient's session logs."""
    _may(session, actor_id, patient_id, AuditAction.READ, patient_may=True)
    values = {"patient_id": patient_id, "limit": limit, "program_id": program_id, "before": before}
    rows = statement.all_in(session, values)[::-1]
    _audit_newest(session, actor_id, patient_id, limit, program_id, before, len(rows))
    return rows


def _audit_newest(
    session: Session, actor_id: int, patient_id: int, limit: int, program_id: int | None, before: dt.date | None, n: int
) -> None:
    """The READ event of one read of a patient's latest sessions."""
    detail = {"read": "session_logs", "latest": limit, "program_id": program_id, "before": _iso(before)}
    audit.record(session, actor_id, AuditAction.READ, EntityType.PATIENT, patient_id, patient_id, **detail, count=n)


# assessments, as the patient's own pages read them


def latest_assessment(session: Session, actor_id: int, patient_id: int) -> AssessmentPublic | None:
    """The patient's latest assessment (by date, then the last stored), or None — for the patient
    themselves too, their clinician, or an admin."""
    actor, patient = _patient(session, actor_id, patient_id, AuditAction.READ, patient_may=True)
    latest = session.scalar(_LATEST_ASSESSMENT, {"patient_id": patient.id})
    if latest is None:
        audit.record(
            session, actor.id, AuditAction.READ, EntityType.PATIENT, patient.id, patient.id, read="latest_assessment"
        )
        return None
    audit.record(session, actor.id, AuditAction.READ, EntityType.ASSESSMENT, latest.id, patient.id)
    return AssessmentPublic.model_validate(latest)


def patient_assessments(session: Session, actor_id: int, patient_id: int) -> list[AssessmentPublic]:
    """Every assessment of the patient with its analysis, oldest first — for the patient themselves too
    (their own findings, patterns, safety and scores, on their pages), their clinician, or an admin."""
    actor, patient = _patient(session, actor_id, patient_id, AuditAction.READ, patient_may=True)
    rows = session.scalars(
        select(Assessment).where(Assessment.patient_id == patient.id).order_by(Assessment.assessed_on, Assessment.id)
    ).all()
    detail = {"read": "assessments", "ids": [a.id for a in rows]}
    audit.record(session, actor.id, AuditAction.READ, EntityType.PATIENT, patient.id, patient.id, **detail)
    return [AssessmentPublic.model_validate(a) for a in rows]


# the audit log


def audit_events_for(session: Session, actor_id: int, entity: EntityType, entity_id: int) -> list[AuditEventPublic]:
    """Every audit event naming a record, oldest first (admins only). For a patient, also every event
    on that patient's assessments, programs and logs."""
    actor = _actor(session, actor_id, AuditAction.READ, entity, entity_id)
    if actor.role is not Role.ADMIN:
        raise PermissionDeniedError(actor.id, AuditAction.READ, entity, entity_id, "only an admin reads the audit log")
    audit.write_pending(session)
    query = select(AuditEvent)
    if entity is EntityType.PATIENT:
        query = query.where(AuditEvent.patient_id == entity_id)
    else:
        query = query.where(AuditEvent.entity_type == entity, AuditEvent.entity_id == entity_id)
    events = session.scalars(query.order_by(AuditEvent.at, AuditEvent.id)).all()
    return [AuditEventPublic.model_validate(e) for e in events]
