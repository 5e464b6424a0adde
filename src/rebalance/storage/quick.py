"""Statements every busy request makes, run on the database driver's own cursor.

>>> LOOKUP = Quick(select(...).where(table.c.token_hash == bindparam("token_hash")))
>>> LOOKUP.first(reading_engine, {"token_hash": hashed})     # standing alone: {label: value, ...} or None
>>> INSERT = Quick(insert(table).returning(table.c.id))
>>> INSERT.first_in(session, {...})                           # in the session's unit of work
>>> Quick(insert(table)).many_in(connection, [{...}, {...}])  # several rows, one statement

Through a SQLAlchemy ``Connection`` one statement costs about 150 µs of Python on PostgreSQL here,
against about 65 µs this way, and on SQLite several times the driver's own cost (``bench/README.md``):
SQLAlchemy sets up a result for each execution from the cursor's description (psycopg builds a
``Column`` object per column), and runs its events and transaction bookkeeping around it. Here the
statement is compiled once per dialect by SQLAlchemy, the values go through the same bind and result
processors of the columns' types, and the statement runs on a cursor of the driver's connection. Used
for the sign-in lookup of every request (``auth_repo``) and for what logging a session, the busiest
write, reads and writes (``repo``, ``audit``).

Two ways to run one:

- **Standing alone** (:meth:`Quick.first`), like ``db.read_connection``: give it the reading engine
  (``db.reading_engine``), whose PostgreSQL connections are in autocommit; on SQLite the driver issues no
  ``BEGIN`` (the engine takes transaction control away from it: ``db._set_up_sqlite``). Nothing is locked.
- **Awaited in the event loop** (:meth:`Quick.all_async`), on PostgreSQL only: on a psycopg
  ``AsyncConnection`` of the loop's own (``web/sign_ins.py``: the sign-in lookups of the requests arriving
  together, one statement for them all), so that the loop serves other requests while the server answers.
- **In a unit of work** (:meth:`Quick.first_in`, :meth:`Quick.all_in`, :meth:`Quick.many_in`): on the
  connection of the session's transaction, begun as any statement of the session begins it (so SQLite's
  write lock is taken the same way), and committed or rolled back with it. The session's ORM events do not
  see these statements: they are for tables the unit of work holds no ORM records of.

Rows inserted together (:meth:`Quick.many_in` of an ``INSERT``) are one statement: ``VALUES`` with a row
of placeholders per row, up to the database's limit of parameters. SQLite's driver runs an ``executemany``
once a row, and lets go of the GIL around each: under load, a thread writing a few hundred rows waited for
the GIL again after every one, holding the database's write lock all along (a batch of read events held it
for up to 2.7 s; ``bench/README.md``). PostgreSQL's sends it in a pipeline, which costs the driver's
Python several times what one statement does (so do pipelines of other statements: the log writer's
statements for many sessions are one statement each, ``repo.add_session_logs`` and
``repo.recent_session_entries_each``).

A connection found broken is thrown out of the pool (standing alone) or invalidated (in a unit of work),
as SQLAlchemy does, and the error raised is SQLAlchemy's (``IntegrityError`` for a constraint, say).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, cast

import psycopg
from psycopg.adapt import PyFormat, Transformer
from psycopg.pq import ConnStatus, ExecStatus
from sqlalchemy import Connection, Engine, Executable, Insert, exc
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import Compiled

_Processor = Callable[[Any], Any] | None

MOST_PARAMETERS = {"sqlite": 32_766, "postgresql": 65_535}
"""Parameters one statement takes at most: SQLite's SQLITE_MAX_VARIABLE_NUMBER (since 3.32), PostgreSQL's
protocol limit."""


@dataclass(frozen=True)
class _Plan:
    """The statement compiled for one dialect, with its columns' labels and value processors."""

    sql: str
    labels: tuple[str, ...]
    results: tuple[_Processor, ...]
    binds: Mapping[str, _Processor]
    positions: tuple[str, ...] | None  # the parameters' order, for a driver of positional parameters
    compiled: Compiled
    rows: _Rows | None = None  # an INSERT of one row: to insert several in one statement
    prepared: _Prepared | None = None  # PostgreSQL: standing alone, a prepared statement run by libpq

    def parameters(self, params: Mapping[str, Any]) -> dict[str, Any] | tuple[Any, ...]:
        given = self.compiled.construct_params(dict(params)) or {}
        values = {name: (p(value) if (p := self.binds.get(name)) else value) for name, value in given.items()}
        return values if self.positions is None else tuple(values[name] for name in self.positions)

    def row(self, values: Sequence[Any]) -> dict[str, Any]:
        return {label: (p(v) if p else v) for label, p, v in zip(self.labels, self.results, values, strict=True)}


class Quick:
    """One statement, run on the driver's cursor (see the module's docstring)."""

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self._plans: dict[tuple[str, str], _Plan] = {}

    def first(self, engine: Engine, params: Mapping[str, Any]) -> dict[str, Any] | None:
        """Standing alone, on a pooled connection of ``engine``: the first row, keyed by the statement's
        column labels, or None."""
        rows = self._alone(engine, params, fetch=1)
        return rows[0] if rows else None

    def all(self, engine: Engine, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Standing alone, as :meth:`first`: every row."""
        return self._alone(engine, params, fetch=None)

    def _alone(self, engine: Engine, params: Mapping[str, Any], fetch: int | None) -> list[dict[str, Any]]:
        plan = self._plan(engine.dialect)
        parameters = plan.parameters(params)
        connection = engine.raw_connection()
        found: Sequence[Sequence[Any]]
        try:
            if plan.prepared is not None:  # named parameters on psycopg
                found = plan.prepared.rows(connection, cast(Mapping[str, Any], parameters), fetch)
            else:
                cursor = connection.cursor()
                try:
                    cursor.execute(plan.sql, parameters)
                    found = cursor.fetchall() if fetch is None else cursor.fetchmany(fetch)
                finally:
                    cursor.close()
        except engine.dialect.loaded_dbapi.Error as error:
            raise _sqlalchemys(
                error, engine.dialect, connection.dbapi_connection, connection, plan.sql, parameters
            ) from error
        finally:
            connection.close()
        return [plan.row(row) for row in found]

    async def all_async(
        self, connection: psycopg.AsyncConnection[Any], dialect: Dialect, params: Mapping[str, Any]
    ) -> list[dict[str, Any]]:
        """Standing alone, on ``connection``, a psycopg connection of the event loop's own in autocommit
        (``dialect``: the engine's it was opened for), prepared on the server: every row, as :meth:`all`.
        The event loop goes on with other work while the server answers; a driver's error is psycopg's."""
        plan = self._plan(dialect)
        async with connection.cursor() as cursor:
            await cursor.execute(plan.sql, plan.parameters(params), prepare=True)
            found = await cursor.fetchall()
        return [plan.row(row) for row in found]

    def first_in(self, db: Session | Connection, params: Mapping[str, Any]) -> dict[str, Any] | None:
        """In the unit of work of ``db``: the first row, keyed by the statement's column labels, or None."""
        rows = self._run(db, params, fetch=1)
        return rows[0] if rows else None

    def all_in(self, db: Session | Connection, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        """In the unit of work of ``db``: every row, keyed by the statement's column labels."""
        return self._run(db, params, fetch=None)

    def many_in(self, db: Session | Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        """In the unit of work of ``db``: the statement once for each of ``rows`` (``executemany``)."""
        if not rows:
            return
        connection = db.connection() if isinstance(db, Session) else db
        plan = self._plan(connection.dialect)
        parameters = [plan.parameters(row) for row in rows]
        if plan.rows is None or len(parameters) == 1:
            with _cursor_of(connection, plan.sql, parameters, many=True) as cursor:
                cursor.executemany(plan.sql, parameters)
            return
        for sql, flat in plan.rows.statements(parameters, MOST_PARAMETERS[connection.dialect.name]):
            with _cursor_of(connection, sql, flat) as cursor:
                cursor.execute(sql, flat)

    def _run(self, db: Session | Connection, params: Mapping[str, Any], fetch: int | None) -> list[dict[str, Any]]:
        connection = db.connection() if isinstance(db, Session) else db
        plan = self._plan(connection.dialect)
        parameters = plan.parameters(params)
        with _cursor_of(connection, plan.sql, parameters) as cursor:
            cursor.execute(plan.sql, parameters)
            if not plan.labels:
                return []
            found = cursor.fetchall() if fetch is None else cursor.fetchmany(fetch)
        return [plan.row(row) for row in found]

    def _plan(self, dialect: Dialect) -> _Plan:
        key = (dialect.name, dialect.driver)
        known = self._plans.get(key)
        if known is None:
            known = self._plans[key] = _compile(self.statement, dialect)
        return known


@contextmanager
def _cursor_of(connection: Connection, sql: str, parameters: Any, *, many: bool = False) -> Iterator[Any]:
    """A cursor of the driver's connection under ``connection`` (in its transaction); a driver's error
    as SQLAlchemy's, the connection invalidated if the error says it is broken. The engine's
    ``before_cursor_execute`` and ``after_cursor_execute`` listeners, if any, hear of the statement as
    they would from SQLAlchemy (no execution context: None)."""
    dbapi = connection.dialect.loaded_dbapi
    raw = connection.connection.dbapi_connection
    try:
        cursor = raw.cursor()  # type: ignore[union-attr]
        try:
            for before in connection.dispatch.before_cursor_execute:
                before(connection, cursor, sql, parameters, None, many)
            yield cursor
            for after in connection.dispatch.after_cursor_execute:
                after(connection, cursor, sql, parameters, None, many)
        finally:
            cursor.close()
    except dbapi.Error as error:
        raise _sqlalchemys(error, connection.dialect, raw, connection, sql, parameters) from error


def _sqlalchemys(error: Any, dialect: Dialect, raw: Any, owner: Any, sql: str, parameters: Any) -> Exception:
    """The driver's ``error`` on its connection ``raw`` as SQLAlchemy raises it (``IntegrityError``, ...);
    ``owner`` (the pooled connection, or the ``Connection``) invalidated first if the error says the
    connection is broken, as SQLAlchemy does."""
    broken = dialect.is_disconnect(error, raw, None)
    if broken:
        owner.invalidate(error)
    error_class = dialect.loaded_dbapi.Error
    translated: Exception = exc.DBAPIError.instance(sql, parameters, error, error_class, connection_invalidated=broken)
    return translated


def on_psycopg(dialect: Dialect) -> bool:
    """PostgreSQL through psycopg: statements standing alone are prepared and run by libpq (:class:`_Prepared`),
    and can be awaited (:meth:`Quick.all_async`)."""
    return dialect.name == "postgresql" and dialect.driver == "psycopg"


def _compile(statement: Executable, dialect: Dialect) -> _Plan:
    compiled = statement.compile(dialect=dialect)  # type: ignore[attr-defined]
    columns = list(statement.exported_columns)  # type: ignore[attr-defined]  # a select's, or RETURNING's
    results = tuple(column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns)
    binds = {
        name: bind.type.dialect_impl(dialect).bind_processor(dialect) for bind, name in compiled.bind_names.items()
    }
    positions = tuple(compiled.positiontup or ()) if compiled.positional else None
    labels = tuple(str(column.key) for column in columns)
    rows = None if columns else _rows_sql(statement, dialect)
    sql = str(compiled)
    prepared = _Prepared.of(sql) if on_psycopg(dialect) else None
    return _Plan(sql, labels, results, binds, positions, compiled, rows, prepared)


@dataclass(frozen=True)
class _Prepared:
    """A statement standing alone (:meth:`Quick.first`) on PostgreSQL, prepared once a connection and run
    by libpq itself (``PQexecPrepared``, without the GIL while it waits): the sign-in lookup of every
    request, 68 µs of CPU this way against 108 µs through psycopg's cursor (``bench/README.md``). Values are
    sent as text, as psycopg's own dumpers make them; rows are read by psycopg's loaders."""

    name: bytes
    sql: bytes  # with $1, $2 ...
    names: tuple[str, ...]  # the parameters, in their order

    @classmethod
    def of(cls, sql: str) -> _Prepared:
        names: list[str] = []

        def numbered(found: re.Match[str]) -> str:
            if found.group(1) not in names:
                names.append(found.group(1))
            return f"${names.index(found.group(1)) + 1}"

        numbered_sql = _NAMED.sub(numbered, sql)
        name = f"rebalance_{hashlib.sha256(numbered_sql.encode()).hexdigest()[:16]}"
        return cls(name.encode(), numbered_sql.encode(), tuple(names))

    def rows(self, pooled: Any, parameters: Mapping[str, Any], fetch: int | None) -> list[tuple[Any, ...]]:
        """The rows (the first ``fetch``, or all) on ``pooled``, a pooled psycopg connection (in autocommit,
        or idle)."""
        driver = pooled.driver_connection
        known: set[bytes] = pooled.info.setdefault(_PREPARED_ON, set())
        pgconn = driver.pgconn
        if self.name not in known:
            _checked(driver, pgconn.prepare(self.name, self.sql, None))
            known.add(self.name)
        values = [parameters[name] for name in self.names]
        transformer = Transformer(driver)
        sent = transformer.dump_sequence(values, [PyFormat.TEXT] * len(values))
        result = _checked(driver, pgconn.exec_prepared(self.name, sent))
        transformer.set_pgresult(result)
        return transformer.load_rows(0, result.ntuples if fetch is None else min(fetch, result.ntuples), tuple)


_PREPARED_ON = "rebalance.prepared"
"""Key of a pooled connection's ``info``: the names of the statements prepared on it."""


def _checked(driver: Any, result: Any) -> Any:
    """``result`` of a libpq call on ``driver``'s connection, or the error psycopg raises for it."""
    if result.status in (ExecStatus.TUPLES_OK, ExecStatus.COMMAND_OK):
        return result
    if driver.pgconn.status == ConnStatus.BAD:
        raise psycopg.OperationalError(f"the connection was lost: {driver.pgconn.get_error_message()}")
    raise psycopg.errors.error_from_result(result, encoding=driver.info.encoding)


@dataclass(frozen=True)
class _Rows:
    """An INSERT of one row as several rows' statement: ``head`` (up to and including ``VALUES``), ``one`` row
    of positional placeholders, and the names of the parameters in their order (None: already in order)."""

    head: str
    one: str
    names: tuple[str, ...] | None

    def statements(self, each: list[Any], most: int) -> Iterator[tuple[str, tuple[Any, ...]]]:
        """The statements (and their parameters) that insert the rows of ``each`` (parameters as
        :meth:`_Plan.parameters` gives them), each with at most ``most`` parameters."""
        names = self.names
        rows = each if names is None else [tuple(row[name] for name in names) for row in each]
        at_once = max(1, most // max(1, len(rows[0])))
        for start in range(0, len(rows), at_once):
            chunk = rows[start : start + at_once]
            yield self.head + ", ".join([self.one] * len(chunk)), tuple(value for row in chunk for value in row)


_NAMED = re.compile(r"%\((\w+)\)s")


def _rows_sql(statement: Executable, dialect: Dialect) -> _Rows | None:
    """For an INSERT of one row without RETURNING (SQLite's positional parameters, or psycopg's named ones):
    how to insert several rows in one statement. PostgreSQL's is compiled ``inline``, without the RETURNING
    of the new id that SQLAlchemy adds otherwise."""
    if dialect.name not in MOST_PARAMETERS or not isinstance(statement, Insert):
        return None
    sql = str(statement.inline().compile(dialect=dialect))
    head, found, one = sql.rpartition(" VALUES ")
    if not found or not (one.startswith("(") and one.endswith(")")):
        return None
    if dialect.name == "sqlite":
        return _Rows(head + found, one, None)
    return _Rows(head + found, _NAMED.sub("%s", one), tuple(_NAMED.findall(one)))
