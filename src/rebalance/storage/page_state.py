"""What a patient's pages are made of, as record ids: one indexed read, for the web app's page cache.

>>> page_state(session, patient_id)
PageState(program_id=12, assessment_id=40, check_in_id=7)

The newest published program version, the latest assessment (by date, then the last stored: as
``repo.latest_assessment``) and the newest check-in. Programs and assessments are written once (a change
is a new version or a new record), so a page built from the same ids is the same page. Only ids are
read, for a caller who has already been checked as the patient themselves; it is not audited: the page
records its own reads (``web/page_cache.py``).
"""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import BindParameter, bindparam, func, literal_column, select
from sqlalchemy.orm import Session

from rebalance.storage.tables import Assessment, CheckIn, Program
from rebalance.storage.types import ProgramStatus

_PATIENT: BindParameter[int] = bindparam("patient_id")
_STATE = select(
    # At most one published version a patient (a unique partial index). The status is a literal, so
    # that the index is used instead of reading each version's row (and its document) for the status.
    select(Program.id)
    .where(Program.patient_id == _PATIENT, Program.status == literal_column(f"'{ProgramStatus.PUBLISHED.value}'"))
    .scalar_subquery(),
    select(Assessment.id)
    .where(Assessment.patient_id == _PATIENT)
    .order_by(Assessment.assessed_on.desc(), Assessment.id.desc())
    .limit(1)
    .scalar_subquery(),
    select(func.max(CheckIn.id)).where(CheckIn.patient_id == _PATIENT).scalar_subquery(),
)


class PageState(NamedTuple):
    program_id: int | None
    assessment_id: int | None
    check_in_id: int | None


def page_state(session: Session, patient_id: int) -> PageState:
    """The ids the patient's pages are made of (None where the patient has no such record yet)."""
    row = session.connection().execute(_STATE, {"patient_id": patient_id}).one()
    return PageState(*row)
