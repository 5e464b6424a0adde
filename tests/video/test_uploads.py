"""Who analyses a clip uploaded to the clinic app (no broker), and when that process is known to be gone."""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys

import pytest

from rebalance.storage.types import utc_now
from rebalance.video import uploads


def test_this_process_is_not_gone_and_an_ended_one_is() -> None:
    assert not uploads.gone(uploads.this_process())
    ended = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True
    )
    pid = int(ended.stdout)
    assert uploads.gone(f"{socket.gethostname()}/{pid}/?")


def test_a_process_id_used_again_by_another_process_is_gone() -> None:
    host, pid, started = uploads.this_process().split("/")
    assert started != "?"  # Linux: the process's start is read from /proc
    assert uploads.gone(f"{host}/{pid}/{int(started) - 1}")  # this id, but a process that started before


def test_a_job_recorded_without_a_process_is_gone() -> None:
    assert uploads.gone(None)


def test_another_hosts_process_is_gone_only_once_its_job_is_long_unfinished() -> None:
    elsewhere = f"not-{socket.gethostname()}/{os.getpid()}/1"
    assert not uploads.gone(elsewhere)
    assert not uploads.gone(elsewhere, utc_now() - dt.timedelta(hours=1))
    assert uploads.gone(elsewhere, utc_now() - uploads.LOST_AFTER - dt.timedelta(minutes=1))


def test_where_processes_cannot_be_asked_about_safely_none_is_signalled_and_age_decides(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def kill(pid: int, sig: int) -> None:
        raise AssertionError(f"os.kill({pid}, {sig}) would end the process on Windows")

    monkeypatch.setattr(uploads, "PROBES", False)
    monkeypatch.setattr(os, "kill", kill)
    here = uploads.this_process()
    assert not uploads.gone(here, utc_now() - dt.timedelta(hours=1))
    assert uploads.gone(here, utc_now() - uploads.LOST_AFTER - dt.timedelta(minutes=1))
