"""The audit log's write path: a unit of work's events, kept with its session and stored together.

>>> audit.record(session, user_id, AuditAction.READ, EntityType.PROGRAM, program.id, patient_id, version=3)

:func:`record` stamps the event with the time now and keeps it with the session; the events are
written as one multi-row ``INSERT``:

- before the unit of work commits (so an event is stored with what it records, or not at all),
- before a statement of the session reads ``audit_events`` (the session sees its own events),
- before a savepoint begins (a savepoint rolled back drops only the events recorded inside it).

A rollback drops the events not yet written with everything else, as it would drop any change.
A reading unit of work (``bookkeeping.reading_scope``) hands its READ events to the bookkeeping
writer as it commits, instead of writing them itself.
A page that reads five records costs one ``INSERT`` and no flush of the session's unit of work.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Connection, Select, Table, event
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

from rebalance.storage import bookkeeping
from rebalance.storage.tables import AuditEvent
from rebalance.storage.types import AuditAction, utc_now

PENDING = "rebalance.audit_pending"
"""``Session.info`` key: the events recorded and not yet written, each with the transaction it belongs to."""

_TABLE = cast(Table, AuditEvent.__table__)


def record(
    session: Session,
    user_id: int | None,
    action: AuditAction,
    entity: str,
    entity_id: int | None,
    patient_id: int | None = None,
    **detail: Any,
) -> None:
    """Record that ``user_id`` did ``action`` to the record ``entity``/``entity_id`` (of ``patient_id``), now."""
    row = {
        "at": utc_now(),
        "user_id": user_id,
        "action": action,
        "entity_type": entity,
        "entity_id": entity_id,
        "patient_id": patient_id,
        "detail": detail,
    }
    _pend(session, [row])


def _pend(session: Session, rows: list[dict[str, Any]]) -> None:
    """Keep ``rows`` to be written, each with the transaction (or savepoint) it was recorded in."""
    owner = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(PENDING, []).extend((owner, row) for row in rows)


def write_pending(session: Session) -> None:
    """Write the events recorded and not yet written (one statement), in the session's transaction."""
    if PENDING in session.info:
        _write(session, session.connection())


def _write(session: Session, connection: Connection) -> None:
    pending = session.info.pop(PENDING, None)
    if pending:
        bookkeeping.insert_events(connection, [row for _, row in pending])


def recorded(session: Session) -> list[dict[str, Any]]:
    """The events recorded in ``session`` and not yet written, oldest first (copies)."""
    return [dict(row) for _, row in session.info.get(PENDING, ())]


def record_again(session: Session, rows: list[dict[str, Any]]) -> None:
    """Record the events ``rows`` (from :func:`recorded`) once more, stamped now: a page served again
    from a cache reads what it read the first time."""
    _pend(session, stamped_now(rows))


def stamped_now(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events ``rows`` (from :func:`recorded`) as made now: the rows :func:`record` would make."""
    now = utc_now()
    return [{**row, "at": now} for row in rows]


def pending_count(session: Session) -> int:
    """How many recorded events are still to be written (for tests)."""
    return len(session.info.get(PENDING, ()))


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    writer = session.info.get(bookkeeping.KEY)
    if writer is not None and PENDING in session.info:
        # A reading unit of work: its read events go to the bookkeeping writer; any other is
        # written here, with what it records.
        reads: list[tuple[Any, dict[str, Any]]] = []
        others: list[tuple[Any, dict[str, Any]]] = []
        for owner, row in session.info.pop(PENDING):
            (reads if row["action"] is AuditAction.READ else others).append((owner, row))
        writer.add_events([row for _, row in reads])
        if others:
            session.info[PENDING] = others
    write_pending(session)


@event.listens_for(Session, "do_orm_execute")
def _before_reading_the_log(state: ORMExecuteState) -> None:
    if PENDING in state.session.info and not state.is_insert and _reads_the_log(state):
        write_pending(state.session)


def _reads_the_log(state: ORMExecuteState) -> bool:
    """A SELECT of the log's columns, or from it (``select_from``); cheap: nothing is compiled."""
    statement = state.statement
    if not isinstance(statement, Select):
        return False
    froms = (*statement.columns_clause_froms, *statement._from_obj)
    return any(_TABLE in f._from_objects for f in froms)


@event.listens_for(Session, "after_transaction_create")
def _on_savepoint(session: Session, transaction: SessionTransaction) -> None:
    # The SAVEPOINT is emitted later, with the savepoint's first statement: the events so far are
    # written now, in the enclosing transaction, on its connection.
    if transaction.nested and PENDING in session.info and transaction.parent is not None:
        _write(session, transaction.parent.connection(None))


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, previous: SessionTransaction) -> None:
    """Drop the events recorded in the transaction rolled back (and in the savepoints inside it)."""
    pending = session.info.get(PENDING)
    if not pending:
        return
    kept = [(owner, row) for owner, row in pending if not _within(owner, previous)]
    if kept:
        session.info[PENDING] = kept
    else:
        session.info.pop(PENDING)


@event.listens_for(Session, "after_transaction_end")
def _after_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the unit of work is over: whatever was not written never will be
        session.info.pop(PENDING, None)


def _within(owner: SessionTransaction | None, ancestor: SessionTransaction) -> bool:
    while owner is not None:
        if owner is ancestor:
            return True
        owner = owner.parent
    return False
