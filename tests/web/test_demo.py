"""The demo clinic: five patients' weeks, from the library, seeded only into an empty database; ``rebalance serve``."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

import rebalance.web.app as web_app
from rebalance import demo
from rebalance.api import analyse_document
from rebalance.config import Settings
from rebalance.errors import ConflictError
from rebalance.knowledge.loader import KnowledgeBase
from rebalance.programs.build import fit_week
from rebalance.programs.dose import DOSE_FIELDS, reduced_note
from rebalance.programs.stops import check_in_due
from rebalance.storage.db import make_engine, make_session_factory, session_scope
from rebalance.storage.migrate import upgrade
from rebalance.storage.tables import Assessment, AuditEvent, CheckIn, Patient, Program, SessionLog, User
from rebalance.storage.types import ProgramStatus, Role
from rebalance.web.security import Passwords
from tests.web.conftest import FAST_HASHING, empty_tables

TODAY = dt.date(2026, 11, 21)


@pytest.fixture
def factory(sqlite_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(sqlite_url)
    yield make_session_factory(engine)
    engine.dispose()
    empty_tables(sqlite_url)


def _seed(factory: sessionmaker[Session], kb: KnowledgeBase) -> list[demo.DemoLogin]:
    return demo.seed_demo(factory, kb, passwords=Passwords(Settings(**FAST_HASHING)), today=TODAY)


def _shape(factory: sessionmaker[Session]) -> list[tuple[Any, ...]]:
    """Per patient: assessments' dates, versions and their status, each log's date and pain."""
    with session_scope(factory) as db:
        rows = []
        for patient in db.scalars(select(Patient).order_by(Patient.display_name)):
            assessed = db.scalars(select(Assessment.assessed_on).where(Assessment.patient_id == patient.id)).all()
            versions = db.execute(
                select(Program.version, Program.status)
                .where(Program.patient_id == patient.id)
                .order_by(Program.version)
            ).all()
            logs = db.execute(
                select(SessionLog.performed_on, SessionLog.pain_during_max)
                .where(SessionLog.patient_id == patient.id)
                .order_by(SessionLog.performed_on)
            ).all()
            rows.append((patient.display_name, list(assessed), [tuple(v) for v in versions], [tuple(x) for x in logs]))
        return rows


def test_the_demo_clinic_has_an_admin_a_clinician_and_five_patients_who_can_sign_in(
    factory: sessionmaker[Session], kb: KnowledgeBase
) -> None:
    logins = _seed(factory, kb)
    assert [login.role for login in logins] == [Role.ADMIN, Role.CLINICIAN] + [Role.PATIENT] * 5
    passwords = Passwords(Settings(**FAST_HASHING))
    with session_scope(factory) as db:
        for login in logins:
            user = db.scalars(select(User).where(User.email == login.email)).one()
            assert passwords.verify(user.password_hash, login.password)
        assert db.scalar(select(func.count()).select_from(Patient)) == 5


def test_every_patient_has_weeks_of_history_made_by_the_library(
    factory: sessionmaker[Session], kb: KnowledgeBase
) -> None:
    _seed(factory, kb)
    with session_scope(factory) as db:
        for assessment in db.scalars(select(Assessment)):
            fresh = json.loads(json.dumps(analyse_document(assessment.document, kb)))  # tuples stored as lists
            assert assessment.analysis == fresh  # the library's, never computed here
            assert TODAY - dt.timedelta(days=35) <= assessment.assessed_on < TODAY
    for name, _, versions, logs in _shape(factory):
        assert (1, ProgramStatus.PUBLISHED) in versions or (1, ProgramStatus.SUPERSEDED) in versions, name
        span = (logs[-1][0] - logs[0][0]).days
        assert len(logs) >= 4
        assert 7 <= span <= 35, (name, span)


def test_the_demo_tells_the_stories_the_pages_will_show(factory: sessionmaker[Session], kb: KnowledgeBase) -> None:
    _seed(factory, kb)
    shape = {name: (assessed, versions, logs) for name, assessed, versions, logs in _shape(factory)}
    maria_assessed, maria_versions, _ = shape["Maria Lopez"]
    assert len(maria_assessed) == 2  # and a follow-up three days ago
    assert max(maria_assessed) == TODAY - dt.timedelta(days=3)
    assert [status for _, status in maria_versions] == [
        ProgramStatus.SUPERSEDED,
        ProgramStatus.PUBLISHED,
        ProgramStatus.DRAFT,  # the revision waits for the clinician
    ]
    assert [s for _, s in shape["James Holt"][1]] == [ProgramStatus.SUPERSEDED, ProgramStatus.PUBLISHED]
    tom_logs = shape["Tom Becker"][2]
    assert tom_logs[-1][1] > tom_logs[0][1] + 2  # pain rising
    daniel_logs = shape["Daniel Okafor"][2]
    assert TODAY - daniel_logs[-1][0] >= dt.timedelta(days=14)  # stopped logging


def test_marias_draft_names_a_full_dose_only_where_more_minutes_give_it(
    factory: sessionmaker[Session], kb: KnowledgeBase
) -> None:
    """The tester's draft (maintenance, 20 minutes, a day of 4): walking one 5-minute step over the 10
    minutes version 2 held, not 20; each "With more minutes" note comes true in a longer session."""
    _seed(factory, kb)
    with session_scope(factory) as db:
        maria = select(Program).join(Patient).where(Patient.display_name == "Maria Lopez").order_by(Program.version)
        v2, draft = [p.document for p in db.scalars(maria)][1:]
    walk = {v: next(i for i in p["items"] if i["exercise_id"] == "walking") for v, p in (("v2", v2), ("draft", draft))}
    assert walk["v2"]["dosage"]["minutes"] == 10
    assert walk["draft"]["dosage"]["minutes"] == walk["draft"]["prescribed"]["minutes"] == 15
    roomy = {i["exercise_id"]: i for i in fit_week(kb, {**draft, "minutes_per_session": 240})["items"]}
    for item in draft["items"]:
        dose = roomy[item["exercise_id"]]["dosage"]
        if reduced_note(item):
            assert {k: dose[k] for k in DOSE_FIELDS} == {k: item["prescribed"][k] for k in DOSE_FIELDS}, item
        else:
            assert item["dosage"] == item["prescribed"], item


def test_the_demo_dates_its_history_across_the_weeks_it_tells(
    factory: sessionmaker[Session], kb: KnowledgeBase
) -> None:
    """First assessments weeks ago, each version on the day it was made, each session on its day, the
    follow-up later; nothing stamped with the seeding time, nothing in the future."""
    _seed(factory, kb)
    end = dt.datetime.combine(TODAY, dt.time(23, 59), tzinfo=dt.UTC)
    with session_scope(factory) as db:
        stamps = [
            t
            for table in (User, Patient, Assessment, Program, SessionLog, CheckIn)
            for t in db.scalars(select(table.created_at))
        ]
        events = list(db.scalars(select(AuditEvent.at)))
        assert all(t <= end for t in [*stamps, *events])  # none in the future
        assert max(stamps) - min(stamps) >= dt.timedelta(weeks=4)  # spread over the weeks told
        assert len({t.date() for t in events}) > 20  # the audit trail tells the same weeks
        for log in db.scalars(select(SessionLog)):
            assert log.created_at.date() == log.performed_on  # logged on the day it was done
        for check_in in db.scalars(select(CheckIn)):
            assert check_in.created_at.date() == check_in.checked_on  # answered on its day
        for assessment in db.scalars(select(Assessment)):
            assert assessment.created_at.date() == assessment.assessed_on
        for patient in db.scalars(select(Patient)):
            first = db.scalars(
                select(Assessment).where(Assessment.patient_id == patient.id).order_by(Assessment.id)
            ).all()
            assert (TODAY - first[0].assessed_on).days >= 14  # the first assessment, weeks ago
            assert patient.created_at.date() == first[0].assessed_on
            versions = db.scalars(
                select(Program).where(Program.patient_id == patient.id).order_by(Program.version)
            ).all()
            made = [v.created_at for v in versions]
            assert made == sorted(made) and versions[0].created_at.date() == first[0].assessed_on
            for version in versions:
                assessed = next(a for a in first if a.id == version.assessment_id)
                assert version.created_at.date() >= assessed.assessed_on
                if version.status is not ProgramStatus.DRAFT:
                    assert version.approved_at == version.created_at
            logs = db.scalars(select(SessionLog).where(SessionLog.patient_id == patient.id)).all()
            for log in logs:  # each session against the version published by then
                version = next(v for v in versions if v.id == log.program_id)
                assert version.created_at.date() <= log.performed_on
        maria = db.scalars(select(Assessment).join(Patient).where(Patient.display_name == "Maria Lopez")).all()
        assert [(TODAY - a.assessed_on).days for a in maria] == [35, 3]  # a reassessment later


def test_every_demo_patient_answered_the_weekly_check_in_over_their_weeks(
    factory: sessionmaker[Session], kb: KnowledgeBase
) -> None:
    """Clear check-ins a week apart from the first week to the last session: the check-in is due only for
    Daniel, who stopped logging 16 days ago; nobody is asked for a "first" check-in after weeks of logs."""
    _seed(factory, kb)
    due = {}
    with session_scope(factory) as db:
        for patient in db.scalars(select(Patient)):
            assessed = db.scalars(
                select(Assessment.assessed_on).where(Assessment.patient_id == patient.id).order_by(Assessment.id)
            ).first()
            days = list(
                db.scalars(select(CheckIn.checked_on).where(CheckIn.patient_id == patient.id).order_by(CheckIn.id))
            )
            logged = list(db.scalars(select(SessionLog.performed_on).where(SessionLog.patient_id == patient.id)))
            assert assessed is not None and days, patient.display_name
            assert all(assessed < day <= TODAY for day in days)  # after the assessment, none in the future
            assert all((b - a).days == 7 for a, b in itertools.pairwise(days)), days  # weekly
            assert days[-1] == max(logged) and (days[0] - assessed).days <= 7  # over all the weeks told
            levels = db.scalars(select(CheckIn.level).where(CheckIn.patient_id == patient.id))
            assert {level.value for level in levels} == {"clear"}
            assert all(c.answers == [] for c in db.scalars(select(CheckIn).where(CheckIn.patient_id == patient.id)))
            due[patient.display_name] = check_in_due(days[-1], TODAY)
    assert due == {
        "Maria Lopez": False,
        "Tom Becker": False,
        "Daniel Okafor": True,
        "James Holt": False,
        "Aisha Khan": False,
    }


def test_the_demo_is_deterministic(
    factory: sessionmaker[Session], kb: KnowledgeBase, tmp_path_factory: pytest.TempPathFactory
) -> None:
    _seed(factory, kb)
    other_url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'other.db'}"
    upgrade(other_url)
    engine = make_engine(other_url)
    try:
        other = make_session_factory(engine)
        _seed(other, kb)
        assert _shape(other) == _shape(factory)
    finally:
        engine.dispose()


def test_the_demo_is_never_seeded_into_a_database_that_is_not_empty(
    factory: sessionmaker[Session], kb: KnowledgeBase
) -> None:
    _seed(factory, kb)
    before = _shape(factory)
    with pytest.raises(ConflictError, match="not empty"):
        _seed(factory, kb)
    assert _shape(factory) == before
    assert demo.is_demo(factory)


# rebalance serve


@pytest.fixture
def serve(monkeypatch: pytest.MonkeyPatch, sqlite_url: str, cli: Any) -> Iterator[tuple[Any, list[dict[str, Any]]]]:
    import uvicorn

    started: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: started.append({"app": app, **options}))
    monkeypatch.setenv("REBALANCE_DATABASE_URL", sqlite_url)
    monkeypatch.delenv("REBALANCE_PUBLIC_URL", raising=False)
    for name, value in FAST_HASHING.items():
        monkeypatch.setenv(f"REBALANCE_{name.upper()}", str(value))
    yield cli, started
    os.environ.pop("REBALANCE_PUBLIC_URL", None)  # set by --workers, for the worker processes
    empty_tables(sqlite_url)


def test_serve_demo_seeds_an_empty_database_prints_the_logins_and_serves(serve: Any) -> None:
    cli, started = serve
    code, out, _ = cli("serve", "--demo", "--port", "8011")
    assert code == 0
    assert "seeded the demo clinic" in out
    for login in demo.demo_logins():
        assert login.email in out
        assert login.password in out
    assert "serving on http://127.0.0.1:8011" in out
    assert [(s["host"], s["port"], s["access_log"]) for s in started] == [("127.0.0.1", 8011, True)]
    assert started[0]["app"].state.settings.public_url == "http://127.0.0.1:8011"  # the invitation links
    code, out, _ = cli("serve", "--demo")  # again: the demo is there already
    assert "serving the demo clinic already in it" in out
    assert "seeded" not in out
    assert started[-1]["port"] == 8000


def test_serve_demo_on_another_database_only_serves_it(serve: Any, sqlite_url: str) -> None:
    cli, started = serve
    with session_scope(make_session_factory(make_engine(sqlite_url))) as db:
        db.add(User(email="someone@clinic.test", display_name="Someone", role=Role.ADMIN))
    code, out, _ = cli("serve", "--demo", "--host", "0.0.0.0")  # noqa: S104 - an argument, not a bind
    assert code == 0
    assert "not empty: serving it as it is" in out
    assert "demo-admin-password" not in out
    assert started[-1]["host"] == "0.0.0.0"  # noqa: S104


def test_serve_can_leave_out_the_access_log(serve: Any) -> None:
    cli, started = serve
    code, _, _ = cli("serve", "--no-access-log")
    assert code == 0
    assert started[-1]["access_log"] is False


def test_serve_refuses_a_bad_port(serve: Any) -> None:
    cli, started = serve
    code, _, err = cli("serve", "--port", "70000")
    assert code == 2
    assert "expected a port number" in err
    assert started == []


def test_serve_with_workers_hands_uvicorn_the_app_factory(serve: Any) -> None:
    cli, started = serve
    code, out, _ = cli("serve", "--demo", "--workers", "3", "--port", "8012")
    assert code == 0
    assert "serving on http://127.0.0.1:8012, 3 worker processes" in out
    assert "seeded the demo clinic" in out  # once, before the workers start
    (run,) = started
    assert run["app"] == "rebalance.web.app:serving_app"
    assert (run["factory"], run["workers"], run["port"]) == (True, 3, 8012)
    assert os.environ["REBALANCE_PUBLIC_URL"] == "http://127.0.0.1:8012"  # what the workers' Settings read


def test_serve_trusts_no_forwarded_header_of_its_own_and_stops_in_seconds(serve: Any) -> None:
    """uvicorn would believe X-Forwarded-For from 127.0.0.1; the app believes only ``trusted_proxies``."""
    cli, started = serve
    assert cli("serve")[0] == 0
    assert started[-1]["proxy_headers"] is False
    assert started[-1]["timeout_graceful_shutdown"] <= 5


@pytest.mark.parametrize("workers", ["0", "65", "two", "-1"])
def test_serve_refuses_a_bad_number_of_workers(serve: Any, workers: str) -> None:
    cli, started = serve
    code, _, err = cli("serve", f"--workers={workers}")
    assert code == 2
    assert "--workers" in err
    assert "expected a number of worker processes, 1 to 64" in err
    assert started == []


def test_serving_app_is_the_app_on_the_configured_database(serve: Any, sqlite_url: str) -> None:
    from fastapi.testclient import TestClient

    app = web_app.serving_app()
    assert app.state.settings.database_url == sqlite_url
    with TestClient(app) as client:
        assert client.get("/health").status_code == 200


def test_serve_with_two_workers_serves_the_demo_from_both_processes(tmp_path: Any) -> None:
    """The real command: two worker processes (uvicorn's supervisor), a patient signed in through one
    of them and served by either (the session is in the database), stopped cleanly."""
    import os
    import re
    import signal
    import socket
    import subprocess
    import sys
    import time

    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "REBALANCE_DATABASE_URL": f"sqlite:///{tmp_path / 'clinic.db'}"}
    env |= {f"REBALANCE_{name.upper()}": str(value) for name, value in FAST_HASHING.items()}
    args = [sys.executable, "-m", "rebalance.cli", "serve", "--demo", "--workers", "2", "--port", str(port)]
    server = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            pytest.fail("the server did not answer /health within 60 s")
        patient = next(login for login in demo.demo_logins() if login.role is Role.PATIENT)
        with httpx.Client(base_url=base) as client:
            token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
            assert token is not None
            form = {"email": patient.email, "password": patient.password, "csrf_token": token.group(1)}
            assert client.post("/login", data=form).status_code == 303
            cookies = dict(client.cookies)
        pages = [httpx.get(f"{base}/today", cookies=cookies) for _ in range(20)]  # a connection each: either worker
        assert {page.status_code for page in pages} == {200}
        assert all(patient.name.split()[0] in page.text for page in pages)
    finally:
        server.send_signal(signal.SIGINT)
        out, _ = server.communicate(timeout=30)
    assert server.returncode == 0
    assert "2 worker processes" in out
    assert len(set(re.findall(r"Started server process \[(\d+)\]", out))) == 2


def test_the_seeded_clinic_is_analyzed_for_the_planner(
    factory: sessionmaker[Session], kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bulk load: PostgreSQL plans with its statistics only once they are refreshed (``db.analyze``)."""
    analyzed: list[object] = []
    monkeypatch.setattr(demo.clinic, "analyze", analyzed.append)
    _seed(factory, kb)
    assert analyzed == [factory.kw["bind"]]


def test_the_demo_is_made_of_the_example_cases_not_copies() -> None:
    """From a checkout, ``examples/`` itself (a wheel ships the same files as ``rebalance/examples``)."""
    from rebalance.demo import cases
    from tests.conftest import EXAMPLES

    assert cases.examples_dir() == EXAMPLES
    for story in demo.PATIENTS:
        assert (EXAMPLES / f"{story.case}.yaml").is_file()
    assert cases.example_case("piriformis_right_week6")["date"]  # a follow-up, in examples/followup
    with pytest.raises(FileNotFoundError, match="no example case"):
        cases.example_case("no_such_case")
