"""The real server (``rebalance serve``), on SQLite and PostgreSQL: failing writes never stall the good ones,
a killed server loses no acknowledged write or audit event, and SIGTERM stops it within seconds.

Each test starts ``rebalance serve --demo`` on a fresh database in a process of its own and talks to it
over loopback, as a clinic's browsers would.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from rebalance import demo
from rebalance.storage.db import make_engine, make_session_factory, session_scope
from rebalance.storage.tables import AuditEvent, Patient, Program
from rebalance.storage.types import AuditAction, ProgramStatus, Role
from tests.storage.conftest import empty_db_url
from tests.web.conftest import FAST_HASHING

__all__ = ["empty_db_url"]  # the storage fixture: a fresh database on each backend

STOP_WITHIN_S = 5.0
GOOD_WRITE_WITHIN_S = 1.0


@dataclass
class Server:
    url: str
    database_url: str
    process: subprocess.Popen[str]
    output: list[str] = field(default_factory=list)

    def stop(self, sig: int = signal.SIGTERM) -> float:
        """Send ``sig``; how long the process took to end."""
        started = time.monotonic()
        self.process.send_signal(sig)
        self.process.wait(timeout=30)
        return time.monotonic() - started


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(database_url: str, own_group: bool = False, **settings: str) -> Server:
    """``rebalance serve --demo`` on ``database_url`` (and ``REBALANCE_<SETTING>``s); with ``own_group`` in a
    process group of its own, which its worker processes share (``os.killpg`` ends them all)."""
    port = _free_port()
    env = {**os.environ, "REBALANCE_DATABASE_URL": database_url}
    env |= {f"REBALANCE_{name.upper()}": str(value) for name, value in {**FAST_HASHING, **settings}.items()}
    args = [sys.executable, "-m", "rebalance.cli", "serve", "--demo", "--no-access-log", "--port", str(port)]
    process = subprocess.Popen(
        args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=own_group
    )
    server = Server(f"http://127.0.0.1:{port}", database_url, process)
    reader = threading.Thread(target=lambda: server.output.extend(process.stdout or []), daemon=True)
    reader.start()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail("the server stopped before it answered:\n" + "".join(server.output))
        try:
            if httpx.get(f"{server.url}/health", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    pytest.fail("the server did not answer /health within 120 s:\n" + "".join(server.output))


@pytest.fixture
def server(empty_db_url: str) -> Iterator[Server]:
    """A server on a fresh database of its own; stopped with SIGTERM at the end, which must take seconds."""
    running = start_server(empty_db_url)
    yield running
    if running.process.poll() is None:
        assert running.stop() < STOP_WITHIN_S, "".join(running.output)
    assert "Traceback" not in "".join(running.output), "".join(running.output)


@contextmanager
def signed_in(server: Server, role: Role = Role.CLINICIAN) -> Iterator[httpx.Client]:
    """A client signed in as the demo clinic's clinician (or first patient), with its CSRF header."""
    login = next(login for login in demo.demo_logins() if login.role is role)
    with httpx.Client(base_url=server.url, timeout=30) as client:
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
        assert token is not None
        form = {"email": login.email, "password": login.password, "csrf_token": token.group(1)}
        assert client.post("/login", data=form).status_code == 303
        client.headers["X-CSRF-Token"] = client.get("/api/me").json()["csrf_token"]
        yield client


def _database(server: Server) -> Any:
    engine = make_engine(server.database_url)
    return engine, make_session_factory(engine)


def test_failing_writes_beside_good_ones_never_stall_them(server: Server) -> None:
    """Two clients send writes that fail after their first statement (404, 403, 409) while a third adds
    patients: every patient is stored, none waits a second, and nobody gets a server error."""
    engine, factory = _database(server)
    with session_scope(factory) as db:
        published = db.scalar(select(Program.id).where(Program.status == ProgramStatus.PUBLISHED))
        other_clinicians_patient = db.scalar(select(func.max(Patient.id))) + 1000  # no such patient: 404
    engine.dispose()
    failing = [
        ("POST", "/api/programs/999999/approve"),  # 404
        ("POST", f"/api/programs/{published}/approve"),  # 409: published already
        ("POST", f"/api/patients/{other_clinicians_patient}/invitations"),  # 404
        ("POST", "/api/me/logs"),  # 403: a clinician has no own sessions to log
    ]
    done = threading.Event()
    statuses: list[int] = []

    def fail_repeatedly() -> None:
        with signed_in(server) as client:
            while not done.is_set():
                for method, path in failing:
                    statuses.append(client.request(method, path, json={"email": "x@clinic.test"}).status_code)

    good: list[tuple[int, float]] = []
    with ThreadPoolExecutor(2) as pool:
        failers = [pool.submit(fail_repeatedly) for _ in range(2)]
        try:
            with signed_in(server) as clinician:
                for n in range(15):
                    started = time.monotonic()
                    response = clinician.post("/api/patients", json={"display_name": f"Good Write {n}"})
                    good.append((response.status_code, time.monotonic() - started))
        finally:
            done.set()
        for failer in failers:
            failer.result()

    assert [status for status, _ in good] == [201] * 15
    assert max(seconds for _, seconds in good) < GOOD_WRITE_WITHIN_S, good
    assert statuses and set(statuses) <= {403, 404, 409}, sorted(set(statuses))
    engine, factory = _database(server)
    with session_scope(factory) as db:
        stored = db.scalars(select(Patient.display_name).where(Patient.display_name.like("Good Write %"))).all()
    engine.dispose()
    assert len(stored) == 15


def test_a_killed_server_loses_no_acknowledged_write_or_audit_event(server: Server) -> None:
    """``kill -9`` in the middle of a burst of writes and reads: everything the server answered is stored,
    with its audit event (a change's and a read's alike)."""
    acknowledged: list[int] = []  # patients created (201)
    read: list[int] = []  # patients read (200)
    stop = threading.Event()
    all_signed_in = threading.Barrier(4)

    def write_and_read(n: int) -> None:
        with signed_in(server) as client:
            all_signed_in.wait()
            for i in range(1000):
                if stop.is_set():
                    return
                try:
                    created = client.post("/api/patients", json={"display_name": f"Burst {n}-{i}"})
                    if created.status_code == 201:
                        acknowledged.append(created.json()["id"])
                        if client.get(f"/api/patients/{created.json()['id']}").status_code == 200:
                            read.append(created.json()["id"])
                except httpx.HTTPError:
                    return  # the server is gone

    with ThreadPoolExecutor(4) as pool:
        workers = [pool.submit(write_and_read, n) for n in range(4)]
        deadline = time.monotonic() + 60
        while len(acknowledged) < 40 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(acknowledged) >= 40, "".join(server.output)
        server.process.kill()  # SIGKILL: no shutdown, no flush
        server.process.wait(timeout=30)
        stop.set()
        for worker in workers:
            worker.result()

    engine, factory = _database(server)
    with session_scope(factory) as db:
        stored = set(db.scalars(select(Patient.id).where(Patient.id.in_(acknowledged))))
        created = set(
            db.scalars(
                select(AuditEvent.entity_id).where(
                    AuditEvent.action == AuditAction.CREATE, AuditEvent.entity_type == "patient"
                )
            )
        )
        reads = set(
            db.scalars(
                select(AuditEvent.entity_id).where(
                    AuditEvent.action == AuditAction.READ, AuditEvent.entity_type == "patient"
                )
            )
        )
    engine.dispose()
    assert stored == set(acknowledged)
    assert set(acknowledged) <= created
    assert set(read) <= reads


def test_sigterm_stops_the_server_within_seconds_during_a_burst(server: Server) -> None:
    stop = threading.Event()

    busy_now = threading.Barrier(5)

    def busy() -> None:
        with signed_in(server) as client:
            busy_now.wait()
            while not stop.is_set():
                try:
                    client.get("/api/patients")
                    client.post("/api/programs/999999/approve")
                except httpx.HTTPError:
                    return

    with ThreadPoolExecutor(4) as pool:
        workers = [pool.submit(busy) for _ in range(4)]
        busy_now.wait()  # every client signed in and busy
        time.sleep(0.5)
        took = server.stop(signal.SIGTERM)
        stop.set()
        for worker in workers:
            worker.result()
    assert took < STOP_WITHIN_S, "".join(server.output)
    assert server.process.returncode in (0, -signal.SIGTERM)  # uvicorn ends by the signal it handled
    assert "Finished server process" in "".join(server.output)  # a clean shutdown, not a kill


def test_the_server_believes_no_forwarded_address_from_loopback(server: Server) -> None:
    """uvicorn alone would believe X-Forwarded-For from 127.0.0.1: rotating it would dodge the login limit."""
    client = httpx.Client(base_url=server.url, timeout=30)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token is not None
    statuses = []
    for n in range(7):
        form = {"email": demo.demo_logins()[1].email, "password": "wrong password", "csrf_token": token.group(1)}
        statuses.append(client.post("/login", data=form, headers={"X-Forwarded-For": f"203.0.113.{n}"}).status_code)
    client.close()
    assert statuses == [400] * 5 + [429] * 2


def test_make_run_serves_on_the_port_and_host_given() -> None:
    """`make run PORT=8010` (another app may hold 8000); 127.0.0.1:8000 when none is given."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]

    def command(*variables: str) -> str:
        env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}  # under make test
        args = ["make", "--no-print-directory", "-n", "run", *variables]
        out = subprocess.run(args, cwd=root, env=env, capture_output=True, text=True, check=True)
        return out.stdout.strip().splitlines()[-1]

    assert command().endswith("rebalance serve --demo --host 127.0.0.1 --port 8000")
    assert command("PORT=8010", "HOST=0.0.0.0").endswith("rebalance serve --demo --host 0.0.0.0 --port 8010")
