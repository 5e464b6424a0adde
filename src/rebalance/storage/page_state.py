"""What a patient's pages are made of, as record ids: one indexed read, for the web app's page cache.

>>> page_state(session, patient_id)
PageState(program_id=12, assessment_id=40, check_in_id=7)

The newest published program version, the latest assessment (by date, then the last stored: as
``repo.latest_assessment``) and the newest check-in. Programs and assessments are written once (a change
is a new version or a new record), so a page built from the same ids is the same page. Only ids are
read, for a caller who has already been checked as the patient themselves; it is not audited: the page
records its own reads (``web/page_cache.py``).

:func:`state_columns` are the same three reads as columns of another statement, for the patient in
another column of it: the sign-in lookup of a patient's page reads its session, its user and its page
state in one statement (``auth_repo.web_session_with_page_state``), one round trip to a server database.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Label, bindparam, func, literal_column, select
from sqlalchemy.orm import Session

from rebalance.storage.tables import Assessment, CheckIn, Program
from rebalance.storage.types import ProgramStatus

PREFIX = "p_"
"""The labels of :func:`state_columns` start with it."""


class PageState(NamedTuple):
    program_id: int | None
    assessment_id: int | None
    check_in_id: int | None


def state_columns(patient_id: ColumnElement[Any]) -> list[Label[Any]]:
    """The page state of the patient ``patient_id`` (a bound parameter or another table's column), as
    three labelled scalar subqueries (``p_program_id``, ...)."""
    return [
        # At most one published version a patient (a unique partial index). The status is a literal, so
        # that the index is used instead of reading each version's row (and its document) for the status.
        select(Program.id)
        .where(Program.patient_id == patient_id, Program.status == literal_column(f"'{ProgramStatus.PUBLISHED.value}'"))
        .scalar_subquery()
        .label(f"{PREFIX}program_id"),
        select(Assessment.id)
        .where(Assessment.patient_id == patient_id)
        .order_by(Assessment.assessed_on.desc(), Assessment.id.desc())
        .limit(1)
        .scalar_subquery()
        .label(f"{PREFIX}assessment_id"),
        select(func.max(CheckIn.id))
        .where(CheckIn.patient_id == patient_id)
        .scalar_subquery()
        .label(f"{PREFIX}check_in_id"),
    ]


def from_values(values: Mapping[Any, Any]) -> PageState:
    """The page state in a row with :func:`state_columns` (its values by label)."""
    return PageState(*(values[f"{PREFIX}{name}"] for name in PageState._fields))


_STATE = select(*state_columns(bindparam("patient_id")))


def page_state(session: Session, patient_id: int) -> PageState:
    """The ids the patient's pages are made of (None where the patient has no such record yet)."""
    return from_values(session.connection().execute(_STATE, {"patient_id": patient_id}).one()._mapping)
