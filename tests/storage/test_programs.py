"""Programs: every version kept, one published at a time, a stored document never changes."""

from __future__ import annotations

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from rebalance.errors import ConflictError, NotFoundError, PermissionDeniedError
from rebalance.storage.repos import patients, programs
from rebalance.storage.schemas import PatientCreate
from rebalance.storage.tables import AuditEvent, Program
from rebalance.storage.types import AuditAction, ProgramStatus
from tests.storage.conftest import People
from tests.storage.factories import add_assessment, add_program

DRAFT, APPROVED, PUBLISHED, SUPERSEDED = (
    ProgramStatus.DRAFT,
    ProgramStatus.APPROVED,
    ProgramStatus.PUBLISHED,
    ProgramStatus.SUPERSEDED,
)


@pytest.fixture
def assessment_id(session: Session, people: People) -> int:
    return add_assessment(session, people.clinician, people.patient).id


def statuses(session: Session, people: People) -> list[tuple[int, ProgramStatus]]:
    return [(p.version, p.status) for p in programs.program_versions(session, people.clinician, people.patient)]


def test_every_version_is_kept_and_numbered_from_one(session: Session, people: People, assessment_id: int) -> None:
    for note in ("first", "second", "third"):
        add_program(session, people.clinician, people.patient, assessment_id, note=note)
    session.commit()
    session.expunge_all()
    versions = programs.program_versions(session, people.clinician, people.patient)
    assert [(p.version, p.document["note"]) for p in versions] == [(1, "first"), (2, "second"), (3, "third")]


def test_versions_are_numbered_per_patient(session: Session, people: People, assessment_id: int) -> None:
    other = patients.create_patient(session, people.clinician, PatientCreate(display_name="Other")).id
    other_assessment = add_assessment(session, people.clinician, other).id
    add_program(session, people.clinician, people.patient, assessment_id)
    assert add_program(session, people.clinician, other, other_assessment).version == 1


def test_publishing_a_new_version_supersedes_the_published_one(
    session: Session, people: People, assessment_id: int
) -> None:
    v1 = add_program(session, people.clinician, people.patient, assessment_id, PUBLISHED)
    assert (v1.status, v1.approved_by) == (PUBLISHED, people.clinician)  # publishing is approving
    v2 = add_program(session, people.clinician, people.patient, assessment_id)
    assert statuses(session, people) == [(1, PUBLISHED), (2, DRAFT)]
    programs.publish_program(session, people.clinician, v2.id)
    assert statuses(session, people) == [(1, SUPERSEDED), (2, PUBLISHED)]
    add_program(session, people.clinician, people.patient, assessment_id, PUBLISHED)
    session.commit()
    assert statuses(session, people) == [(1, SUPERSEDED), (2, SUPERSEDED), (3, PUBLISHED)]


def test_approving_records_who_and_when(session: Session, people: People, assessment_id: int) -> None:
    draft = add_program(session, people.clinician, people.patient, assessment_id)
    approved = programs.approve_program(session, people.clinician, draft.id)
    assert (approved.status, approved.approved_by) == (APPROVED, people.clinician)
    assert approved.approved_at is not None
    published = programs.publish_program(session, people.admin, draft.id)
    assert (published.status, published.approved_by) == (PUBLISHED, people.clinician)
    with pytest.raises(ConflictError, match="only a draft is approved"):
        programs.approve_program(session, people.clinician, draft.id)


def test_publishing_an_older_or_superseded_version_is_a_conflict(
    session: Session, people: People, assessment_id: int
) -> None:
    v1 = add_program(session, people.clinician, people.patient, assessment_id, PUBLISHED)
    v2 = add_program(session, people.clinician, people.patient, assessment_id)
    v3 = add_program(session, people.clinician, people.patient, assessment_id)
    v4 = add_program(session, people.clinician, people.patient, assessment_id, PUBLISHED)
    left = session.get(Program, v3.id)
    assert left is not None and left.status is SUPERSEDED
    left.status = DRAFT  # an older draft left as it was (stored before older drafts were superseded)
    with pytest.raises(ConflictError, match="version 3 is older than the published version 4"):
        programs.publish_program(session, people.clinician, v3.id)
    with pytest.raises(ConflictError, match="is superseded"):
        programs.publish_program(session, people.clinician, v1.id)
    with pytest.raises(ConflictError, match="is superseded"):
        programs.publish_program(session, people.clinician, v2.id)
    assert programs.publish_program(session, people.clinician, v4.id).status is PUBLISHED  # again: no change


def test_publishing_a_version_supersedes_the_older_versions_never_published(
    session: Session, people: People, assessment_id: int
) -> None:
    """A draft or an approved version older than the one published can never be published: it is shown as
    superseded (and the change audited), not left as a draft. A newer draft stays a draft."""
    v1 = add_program(session, people.clinician, people.patient, assessment_id)
    v2 = add_program(session, people.clinician, people.patient, assessment_id)
    programs.approve_program(session, people.clinician, v2.id)
    v3 = add_program(session, people.clinician, people.patient, assessment_id)
    add_program(session, people.clinician, people.patient, assessment_id)
    programs.publish_program(session, people.clinician, v3.id)
    session.commit()
    assert statuses(session, people) == [(1, SUPERSEDED), (2, SUPERSEDED), (3, PUBLISHED), (4, DRAFT)]
    updates = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == AuditAction.UPDATE, AuditEvent.entity_type == "program")
        .order_by(AuditEvent.id)
    ).all()
    assert [e.entity_id for e in updates if e.detail.get("superseded_by") == v3.id] == [v1.id, v2.id]


def test_a_stored_program_document_never_changes(session: Session, people: People, assessment_id: int) -> None:
    stored = add_program(session, people.clinician, people.patient, assessment_id)
    program = session.get(Program, stored.id)
    assert program is not None
    with pytest.raises(ConflictError, match="add a new version"):
        program.document = {"changed": True}


def test_the_patient_sees_only_the_latest_published_version(
    session: Session, people: People, assessment_id: int
) -> None:
    assert programs.latest_program(session, people.patient_user, people.patient) is None
    add_program(session, people.clinician, people.patient, assessment_id, PUBLISHED, note="published")
    add_program(session, people.clinician, people.patient, assessment_id, DRAFT, note="draft")
    for_patient = programs.latest_program(session, people.patient_user, people.patient)
    for_clinician = programs.latest_program(session, people.clinician, people.patient)
    published = programs.latest_program(session, people.clinician, people.patient, published_only=True)
    assert for_patient is not None
    assert for_clinician is not None
    assert published is not None
    assert (for_patient.document["note"], for_clinician.document["note"]) == ("published", "draft")
    assert published.version == 1


def test_patients_and_other_clinicians_may_not_write_programs(
    session: Session, people: People, assessment_id: int
) -> None:
    with pytest.raises(PermissionDeniedError, match="a patient may not"):
        add_program(session, people.patient_user, people.patient, assessment_id)
    with pytest.raises(PermissionDeniedError, match="not this user's patient"):
        add_program(session, people.other_clinician, people.patient, assessment_id)
    draft = add_program(session, people.clinician, people.patient, assessment_id)
    with pytest.raises(PermissionDeniedError):
        programs.publish_program(session, people.patient_user, draft.id)


def test_a_program_built_on_another_patients_assessment_is_refused(session: Session, people: People) -> None:
    other = patients.create_patient(session, people.clinician, PatientCreate(display_name="Other")).id
    foreign = add_assessment(session, people.clinician, other).id
    with pytest.raises(ConflictError, match=f"belongs to patient {other}, not {people.patient}"):
        add_program(session, people.clinician, people.patient, foreign)
    with pytest.raises(NotFoundError, match="assessment 999999 not found"):
        add_program(session, people.clinician, people.patient, 999_999)
    with pytest.raises(NotFoundError, match="program 999999 not found"):
        programs.publish_program(session, people.clinician, 999_999)


def _raw_program(people: People, assessment_id: int, version: int, status: ProgramStatus) -> dict[str, object]:
    return {
        "patient_id": people.patient,
        "assessment_id": assessment_id,
        "version": version,
        "status": status,
        "document": {},
        "created_by": people.clinician,
    }


def test_the_database_keeps_versions_unique_and_one_published(
    session: Session, people: People, assessment_id: int
) -> None:
    """Even a write that bypasses the repository cannot break the rules."""
    session.commit()
    session.execute(insert(Program), [_raw_program(people, assessment_id, 1, PUBLISHED)])
    for version, status in ((1, DRAFT), (2, PUBLISHED)):
        with pytest.raises(IntegrityError), session.begin_nested():
            session.execute(insert(Program), [_raw_program(people, assessment_id, version, status)])
    assert session.scalars(select(Program.version)).all() == [1]
