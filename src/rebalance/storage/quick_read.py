"""A read every request makes, run on the database driver's own cursor.

>>> LOOKUP = QuickRead(select(...).where(table.c.token_hash == bindparam("token_hash")))
>>> LOOKUP.first(reading_engine, {"token_hash": hashed})     # {label: value, ...} or None

For the sign-in lookup of every request (``auth_repo.web_session_by_token_hash``). Through a SQLAlchemy
``Connection`` that one statement costs about 150 µs of Python on PostgreSQL here, against about 65 µs
this way (``bench/README.md``): SQLAlchemy sets up a result for each execution from the cursor's
description, for which psycopg builds a ``Column`` object per column, and keeps a ``Connection`` and its
transaction state besides. Here the statement is compiled once per dialect by SQLAlchemy, the values are
passed through the same bind and result processors of the columns' types, and the statement runs on a
pooled connection's cursor.

Like ``db.read_connection``, the read stands alone: give it the reading engine (``db.reading_engine``),
whose PostgreSQL connections are in autocommit, and on SQLite the driver issues no ``BEGIN`` (the engine
takes transaction control away from it: ``db._set_up_sqlite``). Nothing is locked. A connection found
broken is thrown out of the pool, as SQLAlchemy does, and the error raised is SQLAlchemy's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, Select, exc
from sqlalchemy.engine import Dialect

_Processor = Callable[[Any], Any] | None


@dataclass(frozen=True)
class _Plan:
    """The statement compiled for one dialect, with its columns' labels and value processors."""

    sql: str
    labels: tuple[str, ...]
    results: tuple[_Processor, ...]
    binds: Mapping[str, _Processor]
    positions: tuple[str, ...] | None  # the parameters' order, for a driver of positional parameters

    def parameters(self, compiled_params: Mapping[str, Any]) -> dict[str, Any] | tuple[Any, ...]:
        values = {name: (p(value) if (p := self.binds.get(name)) else value) for name, value in compiled_params.items()}
        return values if self.positions is None else tuple(values[name] for name in self.positions)

    def row(self, values: tuple[Any, ...]) -> dict[str, Any]:
        return {label: (p(v) if p else v) for label, p, v in zip(self.labels, self.results, values, strict=True)}


class QuickRead:
    """One select, run on the driver's cursor of a pooled connection (see the module's docstring)."""

    def __init__(self, statement: Select[Any]) -> None:
        self.statement = statement
        self._plans: dict[tuple[str, str], tuple[_Plan, Any]] = {}

    def first(self, engine: Engine, params: Mapping[str, Any]) -> dict[str, Any] | None:
        """The first row, keyed by the statement's column labels, or None."""
        plan, compiled = self._plan(engine.dialect)
        parameters = plan.parameters(compiled.construct_params(dict(params)))
        connection = engine.raw_connection()
        try:
            cursor = connection.cursor()
            try:
                cursor.execute(plan.sql, parameters)
                row = cursor.fetchone()
            finally:
                cursor.close()
        except engine.dialect.loaded_dbapi.Error as error:
            broken = engine.dialect.is_disconnect(error, connection.dbapi_connection, None)
            if broken:
                connection.invalidate(error)
            raise exc.DBAPIError.instance(
                plan.sql, parameters, error, engine.dialect.loaded_dbapi.Error, connection_invalidated=broken
            ) from error
        finally:
            connection.close()
        return None if row is None else plan.row(tuple(row))

    def _plan(self, dialect: Dialect) -> tuple[_Plan, Any]:
        key = (dialect.name, dialect.driver)
        known = self._plans.get(key)
        if known is None:
            known = self._plans[key] = _compile(self.statement, dialect)
        return known


def _compile(statement: Select[Any], dialect: Dialect) -> tuple[_Plan, Any]:
    compiled = statement.compile(dialect=dialect)
    columns = list(statement.selected_columns)
    results = tuple(column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns)
    binds = {
        name: bind.type.dialect_impl(dialect).bind_processor(dialect) for bind, name in compiled.bind_names.items()
    }
    positions = tuple(compiled.positiontup or ()) if compiled.positional else None
    labels = tuple(str(column.key) for column in columns)
    return _Plan(str(compiled), labels, results, binds, positions), compiled
