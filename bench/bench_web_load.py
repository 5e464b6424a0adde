"""Load on the running clinic app over loopback (issue 5).

Starts `rebalance serve --demo` on a fresh SQLite file and on a fresh PostgreSQL database, signs the
demo patients in, and drives two requests with 32 concurrent clients for a fixed time each:
the patient's today page (GET /today) and logging a session (POST /api/me/logs), each client's requests
going to the patients in turn (each with their own session, page and program), as a clinic's many
patients would. Beside them, a bare FastAPI endpoint on the same machine, driven by the same client,
is the baseline.

Both servers run the same number of processes (``--workers``): one a core (``os.cpu_count()``), or
``REBALANCE_BENCH_WORKERS``. Prints requests per second and p50/p99 latency, the ratio of p99 to the
50 ms target, and the today page's throughput as a share of the baseline's (target at least 0.5). Each
of our app's requests is driven for a short warm-up first, its figures printed beside (not counted).
Every request loop is bounded in time and only ever talks to 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from tests.scratch import scratch_schema

from rebalance.demo import DEMO_PASSWORDS, PATIENTS
from rebalance.storage.types import Role

CONCURRENCY, SECONDS = 32, 8.0  # wrk: 2 threads, 32 connections
WARM_UP_SECONDS = 2.0
"""Each of our app's requests is driven this long, unmeasured (its figures printed as the warm-up), just
before its measured run: what a process does once, at its first requests (templates compiled, each batch
size's statements compiled and planned, connections opened), is not a steady load's latency."""
WORKERS = int(os.environ.get("REBALANCE_BENCH_WORKERS", os.cpu_count() or 1))
"""Server processes, the same for our app and the baseline: one a core, as a clinic would serve it."""
P99_TARGET_S = 0.050
PG_URL = os.environ.get("REBALANCE_BENCH_POSTGRESQL_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")

BARE_APP = textwrap.dedent("""
    from fastapi import FastAPI
    from fastapi.responses import HTMLResponse

    app = FastAPI()

    @app.get("/", response_class=HTMLResponse)
    def page() -> str:
        return "<!doctype html><title>bare</title><p>hello</p>"
""")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(url: str, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer in {seconds:.0f} s")


@contextmanager
def server(args: list[str], env: dict[str, str], ready: str) -> Iterator[None]:
    proc = subprocess.Popen(args, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_ready(ready)
        yield
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def postgres_database() -> AbstractContextManager[str]:
    """A new empty schema on the PostgreSQL server (``REBALANCE_BENCH_POSTGRESQL_URL``), dropped afterwards."""
    return scratch_schema(PG_URL, "rebalance_load")


@dataclass(frozen=True)
class Caller:
    """A demo patient, signed in: what their requests carry."""

    email: str
    cookie: str  # the Cookie header
    csrf: str
    log: dict[str, Any] | None  # a session's body for their program, or None when they may not log one


def sign_in(base: str, email: str, password: str) -> Caller:
    """The patient signed in, with a session's body that their program accepts (one is logged to see)."""
    with httpx.Client(base_url=base, follow_redirects=False) as c:
        page = c.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token, "no CSRF token on the login page"
        done = c.post("/login", data={"email": email, "password": password, "csrf_token": token.group(1)})
        assert done.status_code == 303, f"sign-in of {email} failed: {done.status_code}"
        csrf = c.get("/api/me").json()["csrf_token"]
        cookie = "; ".join(f"{k}={v}" for k, v in c.cookies.items())
        program = c.get("/api/me/program")
        log = None
        if program.status_code == 200:
            exercise = program.json()["document"]["items"][0]["exercise_id"]
            body = {"entries": [{"exercise_id": exercise, "done": True, "sets": 1, "reps": 10, "pain_during": 2}]}
            if c.post("/api/me/logs", json=body, headers={"X-CSRF-Token": csrf}).is_success:
                log = body
        return Caller(email, cookie, csrf, log)


def sign_in_patients(base: str) -> list[Caller]:
    return [sign_in(base, p.email, DEMO_PASSWORDS[Role.PATIENT]) for p in PATIENTS]


def _seconds(text: str) -> float:
    value, unit = re.fullmatch(r"([0-9.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[unit]


def drive(
    base: str,
    method: str,
    path: str,
    requests: list[tuple[dict[str, str], dict[str, Any] | None]] | None = None,
    seconds: float = SECONDS,
) -> tuple[float, float, float, int]:
    """wrk with CONCURRENCY connections for ``seconds``, each connection sending ``requests`` (headers and
    a JSON body each; default: one with neither) in turn: (requests per second, p50, p99, errors)."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is not installed: `make bench` installs it (apt-get install wrk)")
    lua = Path(tempfile.mkstemp(suffix=".lua")[1])
    lua.write_text(_requests_in_turn(method, path, requests or [({}, None)]))
    args = [wrk, "-t2", f"-c{CONCURRENCY}", f"-d{seconds:.0f}s", "--latency", "-s", str(lua)]
    out = subprocess.run([*args, base + path], capture_output=True, text=True, check=True).stdout
    lua.unlink()
    rate = float(re.search(r"Requests/sec:\s+([0-9.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _seconds(re.search(r"\s50%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    p99 = _seconds(re.search(r"\s99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = int(bad.group(1)) if bad else 0
    return rate, p50, p99, errors


def _requests_in_turn(method: str, path: str, requests: list[tuple[dict[str, str], dict[str, Any] | None]]) -> str:
    """A wrk script whose every thread sends ``requests`` in turn (made in ``init``, once the Host is known)."""
    made = []
    for headers, body in requests:
        given = {**headers, **({"Content-Type": "application/json"} if body else {})}
        table = "{" + ", ".join(f"[{json.dumps(k)}] = {json.dumps(v)}" for k, v in given.items()) + "}"
        made.append(
            f"  made[#made + 1] = wrk.format({json.dumps(method)}, {json.dumps(path)}, {table}, "
            f"{json.dumps(json.dumps(body)) if body else 'nil'})\n"
        )
    return (
        "local made, turn = {}, 0\n"
        "function init(args)\n" + "".join(made) + "end\n"
        "function request()\n  turn = turn % #made + 1\n  return made[turn]\nend\n"
    )


def report(label: str, rate: float, p50: float, p99: float, errors: int) -> None:
    print(
        f"  {label:<34} {rate:8.0f} req/s   p50 {p50 * 1000:6.1f} ms   p99 {p99 * 1000:6.1f} ms"
        f"   p99/50 ms {p99 / P99_TARGET_S:5.2f}   errors {errors}"
    )


def bench_app(label: str, database_url: str, baseline: str) -> None:
    """Our app on ``database_url``; the today page's throughput against the baseline at ``baseline``
    (running), driven just before and just after ours: the ratio is to the better of the two runs, so a
    slow moment of a shared machine never flatters it. Each of ours is warmed up first (``WARM_UP_SECONDS``)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    args = [sys.executable, "-m", "rebalance.cli", "serve", "--demo", "--no-access-log", "--port", str(port)]
    args += ["--workers", str(WORKERS)]
    with server(args, {"REBALANCE_DATABASE_URL": database_url}, f"{base}/health"):
        callers = sign_in_patients(base)
        loggers = [c for c in callers if c.log is not None]
        print(f"{label}: {len(callers)} patients' today pages, {len(loggers)} patients logging")
        before = drive(baseline, "GET", "/")
        report("GET / (bare baseline, before)", *before)
        pages = [({"Cookie": c.cookie}, None) for c in callers]
        report("GET /today (warm-up, not counted)", *drive(base, "GET", "/today", pages, WARM_UP_SECONDS))
        rate, p50, p99, err = drive(base, "GET", "/today", pages)
        report("GET /today (patient's today page)", rate, p50, p99, err)
        after = drive(baseline, "GET", "/")
        report("GET / (bare baseline, after)", *after)
        best = max(before[0], after[0])
        print(f"  {'today page / bare baseline throughput':<34} {rate / best:8.2f}   (target >= 0.5)")
        logs = [({"Cookie": c.cookie, "X-CSRF-Token": c.csrf}, c.log) for c in loggers]
        report("POST /api/me/logs (warm-up, not counted)", *drive(base, "POST", "/api/me/logs", logs, WARM_UP_SECONDS))
        rate, p50, p99, err = drive(base, "POST", "/api/me/logs", logs)
        report("POST /api/me/logs (log a session)", rate, p50, p99, err)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="rebalance-load-") as tmp:
        bare = Path(tmp) / "bare_app.py"
        bare.write_text(BARE_APP)
        port = free_port()
        baseline = f"http://127.0.0.1:{port}"
        args = [sys.executable, "-m", "uvicorn", "bare_app:app", "--port", str(port), "--no-access-log"]
        args += ["--workers", str(WORKERS)]
        print(f"{CONCURRENCY} concurrent clients, {SECONDS:.0f} s a run, {WORKERS} server processes each, loopback")
        print("baseline: a bare FastAPI endpoint (idle while our app is driven)")
        with server(args, {"PYTHONPATH": tmp}, f"{baseline}/"):
            bench_app("SQLite", f"sqlite:///{tmp}/load.db", baseline)
            with postgres_database() as url:
                bench_app("PostgreSQL", url, baseline)


if __name__ == "__main__":
    main()
