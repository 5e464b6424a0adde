"""The sign-in lookups of the requests answered before routing, awaited in the event loop, on PostgreSQL:
one statement for all the requests that arrive together.

>>> lookups = SignInLookups(reading_engine, settings)      # one a process (``WebContext.sign_ins``)
>>> found = await lookups.find(security.token_hash(cookie))  # SignedIn, or None (no such session in force)
>>> await lookups.close()                                    # the app's shutdown

A cached page (``page_front.py``) costs one read: its session, user and page state. Made in the event loop
on the reading engine's pool, that read holds the loop for its whole round trip: nothing else in the
process moves meanwhile. Here the loop hands the read to the server and goes on: the requests that arrive
meanwhile wait together, and are looked up by the next statement, all of them at once
(``security.find_sessions_async``, the statement the log writer uses for the sessions it stores together).
One statement is under way at a time, on a connection of this process's own (psycopg's
``AsyncConnection``, in autocommit, the statement prepared once on the server). The today page on
PostgreSQL went from 4,220–4,630 to 7,230–7,720 requests a second (runs alternating the two ways,
``bench/README.md``).

What a request is answered is what it would be answered by a read of its own at the moment the statement
runs, which is after the request arrived: a change committed before then (a sign-out, a new program
version) is seen. A connection that fails is closed, the requests waiting for it are told
(:class:`SignInUnavailable`: the front hands them to the app, whose own read reports the trouble), and the
next lookup opens a new one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import psycopg
from sqlalchemy import Engine

from rebalance.config import Settings
from rebalance.storage.db import PG_CONNECT_TIMEOUT_S
from rebalance.storage.quick import on_psycopg
from rebalance.web import security
from rebalance.web.security import SignedIn

logger = logging.getLogger("rebalance.web")


class SignInUnavailable(Exception):
    """The lookup could not be made (the database refused it, or the connection failed)."""


class SignInLookups:
    """The sign-in lookups of one process, batched (see the module's docstring); ``engine``: the reading
    engine of a PostgreSQL database (psycopg), whose URL the connection is opened on."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        if not on_psycopg(engine.dialect):
            raise ValueError(f"sign-in lookups are batched on PostgreSQL with psycopg, not {engine.dialect.name}")
        self._engine = engine
        self._settings = settings
        self._waiting: dict[str, list[asyncio.Future[SignedIn | None]]] = {}
        self._runner: asyncio.Task[None] | None = None
        self._connection: psycopg.AsyncConnection[Any] | None = None
        self.statements = 0
        """Statements run so far (each answers every request that waited for it)."""

    async def find(self, token_hash: str) -> SignedIn | None:
        """The session of ``token_hash`` with its user and page state, if in force; else None. Raises
        :class:`SignInUnavailable` when the database could not be asked."""
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[SignedIn | None] = loop.create_future()
        if self._runner is not None and self._runner.get_loop() is not loop:  # another event loop (tests)
            self.discard()
        self._waiting.setdefault(token_hash, []).append(answer)
        if self._runner is None or self._runner.done():
            self._runner = loop.create_task(self._run())
        return await answer

    async def close(self) -> None:
        """Close the connection (the app's shutdown); a later lookup opens a new one."""
        connection, self._connection = self._connection, None
        if connection is not None:
            await connection.close()

    def discard(self) -> None:
        """Let go of the connection and the waiting (an event loop gone: a test's), the connection closed by libpq."""
        if self._connection is not None:
            self._connection.pgconn.finish()
        self._connection, self._runner, self._waiting = None, None, {}

    async def _run(self) -> None:
        """Look up what is waiting, a statement at a time, until nothing is."""
        batch: dict[str, list[asyncio.Future[SignedIn | None]]] = {}
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, {}
                try:
                    found = await self._look_up(list(batch))
                except (psycopg.Error, OSError) as error:
                    logger.warning("sign-in lookup failed: %s", error)
                    await self._drop()
                    _fail(batch, SignInUnavailable(str(error)))
                    continue
                for token_hash, answers in batch.items():
                    for answer in answers:
                        if not answer.done():  # a request gone meanwhile (its client left)
                            answer.set_result(found.get(token_hash))
                batch = {}
        finally:  # cancelled (the loop stopping): nobody waits for ever
            _fail(batch, SignInUnavailable("the lookup was cancelled"))
            waiting, self._waiting = self._waiting, {}
            _fail(waiting, SignInUnavailable("the lookup was cancelled"))

    async def _look_up(self, token_hashes: list[str]) -> dict[str, SignedIn]:
        connection = self._connection
        if connection is None or connection.closed:
            args, options = self._engine.dialect.create_connect_args(self._engine.url)
            options = {**options, "connect_timeout": PG_CONNECT_TIMEOUT_S, "autocommit": True}
            connection = self._connection = await psycopg.AsyncConnection.connect(*args, **options)
        self.statements += 1
        return await security.find_sessions_async(connection, self._engine.dialect, self._settings, token_hashes)

    async def _drop(self) -> None:
        with contextlib.suppress(psycopg.Error, OSError):  # closing a broken connection
            await self.close()


def _fail(batch: dict[str, list[asyncio.Future[SignedIn | None]]], error: SignInUnavailable) -> None:
    for answers in batch.values():
        for answer in answers:
            if not answer.done():
                answer.set_exception(error)
