"""A clinic day against the running app (issue 18): 50 people at once over 10,000 patients and 1,000,000 logs.

Seeds the benches' clinic (``bench/seed.py``) into a fresh SQLite file and a fresh PostgreSQL schema,
starts ``rebalance serve`` on it (SQLite: one process; PostgreSQL: two, ``--workers 2``), signs in 10
clinicians (the one with 5,000 patients among them) and 40 patients whose program runs, and lets them
work: each person an asyncio task with an httpx client of their own, a think time of 2–8 s between
requests (a bounded client: the load is what 50 people make, not what the server can take).

    clinicians   the patient list (a page of it), a patient's timeline, an assessment's result, a program
                 version, the patients' JSON list
    patients     today, the log form, logging a session, the check-in form, checking in, progress

Prints, for each kind of request, how many, p50, p99, errors, and p99 against the 150 ms target (ratio
under 1.0: met). Then, at saturation (16 clients without think time, the same mix), PostgreSQL with one
process and with two: requests a second, and their ratio (target at least 1.3: the app holds nothing that
stops it scaling out; on a 2-core machine the database shares the cores). Beside it, a bare FastAPI
endpoint under the same client, as information (not a target). Only ever talks to 127.0.0.1.

    python -m bench.bench_web_load [--only sqlite|postgresql] [--seconds 300]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.seed import EXERCISES, PASSWORD, Clinic, postgresql_database, seed_clinic, sqlite_database

CLINICIANS, PATIENTS = 10, 40
THINK_S = (2.0, 8.0)
WARM_UP_S = 10.0
P99_TARGET_S = 0.150
SATURATION_CLIENTS, SATURATION_S = 16, 20.0
SCALE_OUT_TARGET = 1.3
LIMITS = httpx.Limits(keepalive_expiry=4.0)  # under uvicorn's 5 s keep-alive: a think time of 2-8 s would
# otherwise send requests down connections the server is closing (ReadError), which a browser retries

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


def wait_ready(url: str, seconds: float = 120.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer in {seconds:.0f} s")


def cpu_seconds(root: int) -> float:
    """The CPU time (user and system) process ``root`` and its children have used so far (Linux ``/proc``)."""
    parents, used = {}, {}
    for entry in Path("/proc").iterdir():
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split() if entry.name.isdigit() else None
        except OSError:
            continue
        if fields:
            parents[int(entry.name)], used[int(entry.name)] = int(fields[1]), int(fields[11]) + int(fields[12])
    tree, ticks = [root], 0
    while tree:
        pid = tree.pop()
        ticks += used.get(pid, 0)
        tree += [child for child, parent in parents.items() if parent == pid]
    return ticks / os.sysconf("SC_CLK_TCK")


def load_average() -> str:
    return "load average {:.1f} {:.1f} {:.1f} (1, 5, 15 min)".format(*os.getloadavg())


@contextmanager
def serving(database_url: str, workers: int) -> Iterator[tuple[str, int]]:
    """``rebalance serve`` on ``database_url`` with ``workers`` processes; its base URL and process id."""
    port = free_port()
    args = [sys.executable, "-m", "rebalance.cli", "serve", "--no-access-log", "--port", str(port)]
    args += ["--workers", str(workers)]
    env = {**os.environ, "REBALANCE_DATABASE_URL": database_url}
    with tempfile.TemporaryFile("w+") as log:
        proc = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            wait_ready(f"{base}/health")
            yield base, proc.pid
        finally:
            proc.terminate()
            proc.wait(timeout=30)
            log.seek(0)
            errors = [line.rstrip() for line in log if "ERROR" in line or "Error" in line]
            if errors:
                print("  the server logged:", *errors[:10], sep="\n    ")


@contextmanager
def bare_server() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "bare_app.py").write_text(BARE_APP)
        port = free_port()
        args = [sys.executable, "-m", "uvicorn", "bare_app:app", "--port", str(port), "--no-access-log"]
        proc = subprocess.Popen(args, cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_ready(f"http://127.0.0.1:{port}/")
            yield f"http://127.0.0.1:{port}"
        finally:
            proc.terminate()
            proc.wait(timeout=30)


# people


@dataclass
class Person:
    email: str
    client: httpx.AsyncClient
    csrf: str = ""
    records: list[tuple[int, int, int]] = field(default_factory=list)  # a clinician's (patient, assessment, program)
    questions: list[str] = field(default_factory=list)  # a patient's check-in questions


async def sign_in(base: str, email: str) -> Person:
    client = httpx.AsyncClient(base_url=base, timeout=30.0, follow_redirects=False, limits=LIMITS)
    page = await client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, "no CSRF token on the login page"
    done = await client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token.group(1)})
    assert done.status_code == 303, f"sign-in of {email} failed: {done.status_code}"
    person = Person(email, client, (await client.get("/api/me")).json()["csrf_token"])
    if email.startswith("p"):
        person.questions = [q["id"] for q in (await client.get("/api/me/check-ins")).json()["questions"]]
    return person


def clinician_request(person: Person, rng: random.Random) -> tuple[str, str, str, Any]:
    patient, assessment, program = rng.choice(person.records)
    pages = max(1, len(person.records) // 50)
    return rng.choices(
        [
            ("patient list page", "GET", f"/patients?page={rng.randint(1, pages)}", None),
            ("patient timeline", "GET", f"/patients/{patient}", None),
            ("assessment result", "GET", f"/assessments/{assessment}", None),
            ("program version", "GET", f"/programs/{program}", None),
            ("patients JSON list", "GET", f"/api/patients?limit=50&offset={50 * rng.randrange(pages)}", None),
        ],
        weights=(3, 3, 2, 2, 1),
    )[0]


def patient_request(person: Person, rng: random.Random) -> tuple[str, str, str, Any]:
    entries = [
        {"exercise_id": exercise, "done": True, "sets": 2, "reps": 10, "pain_during": rng.randint(0, 3)}
        for exercise in EXERCISES[:3]
    ]
    answers = dict.fromkeys(person.questions, False)
    return rng.choices(
        [
            ("today page", "GET", "/today", None),
            ("log form", "GET", "/log", None),
            ("log a session", "POST", "/api/me/logs", {"entries": entries}),
            ("check-in form", "GET", "/check-in", None),
            ("check in", "POST", "/api/me/check-ins", {"answers": answers}),
            ("progress page", "GET", "/progress", None),
        ],
        weights=(4, 1, 2, 1, 0.5, 1),
    )[0]


@dataclass
class Tally:
    seconds: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    statuses: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # the errors, by what they were
    server_cpu_s: float = 0.0  # the server's CPU time while counting

    def count(self) -> int:
        return sum(len(v) for v in self.seconds.values())


async def work(
    person: Person, until: float, counting_from: float, tally: Tally, think: bool, rng: random.Random
) -> None:
    ask = patient_request if person.email.startswith("p") else clinician_request
    while (now := time.monotonic()) < until:
        kind, method, path, body = ask(person, rng)
        headers = {"X-CSRF-Token": person.csrf} if method == "POST" else {}
        started = time.monotonic()
        try:
            response = await person.client.request(method, path, json=body, headers=headers)
            status = str(response.status_code)
        except httpx.HTTPError as exc:
            status = type(exc).__name__
        ok = status in ("200", "201")
        took = time.monotonic() - started
        if now >= counting_from:
            tally.seconds[kind].append(took)
            if not ok:
                tally.errors[kind] += 1
                tally.statuses[f"{kind}: {status}"] += 1
        if think:
            await asyncio.sleep(rng.uniform(*THINK_S))


async def server_cpu(server: int, counting_from: float, until: float, tally: Tally) -> None:
    await asyncio.sleep(max(0.0, counting_from - time.monotonic()))
    started = cpu_seconds(server)
    await asyncio.sleep(max(0.0, until - time.monotonic()))
    tally.server_cpu_s = cpu_seconds(server) - started


async def drive(
    server: tuple[str, int], clinic: Clinic, people: int, seconds: float, *, think: bool, warm_up: float
) -> Tally:
    rng = random.Random(20261207)
    clinicians = clinic.clinicians[: max(1, people * CLINICIANS // (CLINICIANS + PATIENTS))]
    patients = rng.sample(clinic.patients, people - len(clinicians))
    turns = asyncio.Semaphore(4)  # people arrive over the morning: an attempt counts against the address's
    # limit until its password is checked (security.py), and 20 at one instant from one address would be 429

    base, pid = server

    async def arrive(email: str) -> Person:
        async with turns:
            return await sign_in(base, email)

    signed = await asyncio.gather(*(arrive(email) for email in clinicians + patients))
    for person in signed:
        person.records = clinic.records.get(person.email, [])
    gc.collect()
    gc.freeze()  # the seeded clinic and the clients: out of this process's full collections, which took
    # 100-220 ms on this machine (the bench's own pauses would count as the server's latency)
    tally = Tally()
    start = time.monotonic()
    tasks = [
        work(p, start + warm_up + seconds, start + warm_up, tally, think, random.Random(rng.random())) for p in signed
    ]
    await asyncio.gather(*tasks, server_cpu(pid, start + warm_up, start + warm_up + seconds, tally))
    await asyncio.gather(*(p.client.aclose() for p in signed))
    return tally


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


def report_day(label: str, tally: Tally, seconds: float) -> bool:
    rate = tally.count() / seconds
    print(f"{label}: {tally.count()} requests in {seconds:.0f} s ({rate:.1f} a second), {load_average()}")
    cpu_ms = tally.server_cpu_s / max(1, tally.count()) * 1000
    print(f"  the server's CPU: {cpu_ms:.0f} ms a request, {tally.server_cpu_s / seconds:.2f} of a core on average")
    met = True
    for kind, values in sorted(tally.seconds.items()):
        worst, errors = p99(values), tally.errors[kind]
        met &= worst < P99_TARGET_S and errors == 0
        print(
            f"  {kind:<20} {len(values):6d}   p50 {statistics.median(values) * 1000:6.1f} ms"
            f"   p99 {worst * 1000:6.1f} ms   ratio to 150 ms target: {worst / P99_TARGET_S:4.2f}   errors {errors}"
        )
    if tally.statuses:
        print("  errors:", ", ".join(f"{what} ({n})" for what, n in sorted(tally.statuses.items())))
    print(f"  every kind under 150 ms at p99, no error: {'met' if met else 'NOT MET'}")
    return met


async def bare_rate(base: str, seconds: float) -> tuple[float, float]:
    times: list[float] = []
    until = time.monotonic() + seconds

    async def loop() -> None:
        async with httpx.AsyncClient(base_url=base) as client:
            while time.monotonic() < until:
                started = time.monotonic()
                await client.get("/")
                times.append(time.monotonic() - started)

    await asyncio.gather(*(loop() for _ in range(SATURATION_CLIENTS)))
    return len(times) / seconds, p99(times)


def clinic_day(name: str, url: str, workers: int, seconds: float) -> Clinic:
    started = time.perf_counter()
    clinic = seed_clinic(url)
    took = time.perf_counter() - started
    print(f"{name}: seeded 10,000 patients, 20,000 assessments, 1,000,000 session logs in {took:.0f} s")
    with serving(url, workers) as server:
        tally = asyncio.run(drive(server, clinic, CLINICIANS + PATIENTS, seconds, think=True, warm_up=WARM_UP_S))
    processes = f"{workers} process{'es' if workers > 1 else ''}"
    report_day(f"{name}, {processes}, a clinic day of 50 people", tally, seconds)
    return clinic


def saturation(url: str, clinic: Clinic) -> None:
    rates = {}
    for workers in (1, 2):
        with serving(url, workers) as server:
            tally = asyncio.run(drive(server, clinic, SATURATION_CLIENTS, SATURATION_S, think=False, warm_up=3.0))
        rates[workers] = tally.count() / SATURATION_S
        errors, cores = sum(tally.errors.values()), tally.server_cpu_s / SATURATION_S
        print(
            f"  PostgreSQL at saturation, {workers} process(es): {rates[workers]:.0f} req/s   errors {errors}"
            f"   the server's CPU: {cores:.2f} cores, {load_average()}"
        )
    ratio = rates[2] / rates[1]
    verdict = "met" if ratio >= SCALE_OUT_TARGET else "NOT MET"
    print(f"  two processes / one: {ratio:.2f}   target at least {SCALE_OUT_TARGET}: {verdict}")
    with bare_server() as bare:
        rate, worst = asyncio.run(bare_rate(bare, 10.0))
    print(
        f"  (information) a bare FastAPI endpoint, 1 process, same client: {rate:.0f} req/s, p99 {worst * 1000:.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument("--seconds", type=float, default=300.0, help="measured seconds of the clinic day")
    args = parser.parse_args()
    if args.only in (None, "sqlite"):
        with sqlite_database() as url:
            clinic_day("SQLite", url, 1, args.seconds)
    if args.only in (None, "postgresql"):
        with postgresql_database() as url:
            clinic = clinic_day("PostgreSQL", url, 2, args.seconds)
            saturation(url, clinic)


if __name__ == "__main__":
    main()
