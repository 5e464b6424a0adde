"""Browser fixtures: the real server in a subprocess, headless Chromium, a page per test, screenshots.

- ``server``: ``python -m rebalance.cli serve --demo`` on a free port of 127.0.0.1, on a fresh SQLite file
  (the demo clinic gives a clinician and patients to sign in as); ready once ``GET /health`` answers;
  stopped at the end of the session, whatever happened.
- ``browser``: Debian's Chromium (``/usr/bin/chromium``) launched by Playwright's Python package with
  :data:`CHROMIUM_ARGS`. Playwright gives every launch a new, empty ``--user-data-dir`` of its own (a temp
  folder it deletes at close); each test then gets fresh browser contexts: no cookie crosses tests.
  Never ``playwright install``: the browser is Debian's (``make test`` installs it).
- ``desktop`` / ``phone``: a page in a new context at 1280×900 (the clinician) or 390×844 (the patient).
  A failing test leaves a screenshot of each of its pages as ``failed-<test>-<n>.png``.
- ``shot(page, name)``: a full-page PNG ``test-output/browser/NN-name.png``, numbered in the order taken.

Chromium that cannot run (not installed, or it does not start) skips these tests on a developer's
machine, and FAILS them in CI (``CI`` set): a browser test that silently skips is not a test.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import pytest

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "test-output" / "browser"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 45_000  # any single wait in a page: seconds on an idle machine, 15-30 s seen at a load of 15 on 2 cores
SERVER_START_S = 60

Shot = Callable[[Any, str], Path]


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def unavailable(reason: str) -> NoReturn:
    """No browser here: skip on a developer's machine, fail in CI."""
    if in_ci():
        pytest.fail(f"browser tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(f"browser tests skipped: {reason} (they fail instead when CI is set)")


FAILED = pytest.StashKey[bool]()  # the test itself failed: its pages are saved as failed-*.png


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    report = yield
    if report.when == "call":
        item.stash[FAILED] = report.failed
    return report


# --- the server ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Server:
    url: str
    database_url: str
    log: Path

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=2) as response:  # noqa: S310 - our own http://127.0.0.1
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()  # uvicorn shuts down cleanly on SIGTERM
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("browser-server")
    database_url = f"sqlite:///{folder / 'clinic.db'}"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = folder / "server.log"
    # the server runs in another folder: a relative PYTHONPATH (``PYTHONPATH=src`` in a worktree) made absolute,
    # so it serves the code under test and not whichever copy is installed
    paths = [str(Path(p).resolve()) for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    env = {
        **os.environ,
        "REBALANCE_DATABASE_URL": database_url,
        "PYTHONUNBUFFERED": "1",
        "PYTHONPATH": os.pathsep.join(paths),
    }
    command = [sys.executable, "-m", "rebalance.cli", "serve", "--demo", "--host", "127.0.0.1", "--port", str(port)]
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, cwd=folder, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + SERVER_START_S
        while not _healthy(url):
            if process.poll() is not None:
                pytest.fail(f"the server exited ({process.returncode}) before /health answered:\n{log.read_text()}")
            if time.monotonic() > deadline:
                pytest.fail(f"the server did not answer /health within {SERVER_START_S} s:\n{log.read_text()}")
            time.sleep(0.1)
        yield Server(url, database_url, log)
    finally:
        _stop(process)


# --- the browser ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        unavailable("the playwright Python package is not installed (it is in the dev extra: make install)")
    if not os.access(CHROMIUM, os.X_OK):
        unavailable(f"{CHROMIUM} is missing (make test installs Debian's chromium)")
    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        try:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        except PlaywrightError as exc:
            unavailable(f"{CHROMIUM} did not start: {exc.message.splitlines()[0]}")
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="session")
def shot() -> Shot:
    """``shot(page, name)``: save a full-page screenshot as ``test-output/browser/NN-name.png``."""
    shutil.rmtree(OUTPUT, ignore_errors=True)
    OUTPUT.mkdir(parents=True)
    taken = 0

    def take(page: Any, name: str) -> Path:
        nonlocal taken
        taken += 1
        path = OUTPUT / f"{taken:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def _page(
    request: pytest.FixtureRequest, browser: Any, server: Server, shot: Shot, name: str, **options: Any
) -> Iterator[Any]:
    context = browser.new_context(base_url=server.url, locale="en-GB", **options)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        yield page
    finally:
        if request.node.stash.get(FAILED, False):
            for i, open_page in enumerate(context.pages, 1):
                open_page.screenshot(path=str(OUTPUT / f"failed-{request.node.name}-{name}-{i}.png"), full_page=True)
        context.close()


@pytest.fixture
def desktop(request: pytest.FixtureRequest, browser: Any, server: Server, shot: Shot) -> Iterator[Any]:
    """A page at desktop size (the clinician's), in a fresh context on the server."""
    yield from _page(request, browser, server, shot, "desktop", viewport=DESKTOP)


@pytest.fixture
def phone(request: pytest.FixtureRequest, browser: Any, server: Server, shot: Shot) -> Iterator[Any]:
    """A page at phone size, 390×844 with touch (the patient's), in a fresh context on the server."""
    yield from _page(request, browser, server, shot, "phone", viewport=PHONE, is_mobile=True, has_touch=True)
