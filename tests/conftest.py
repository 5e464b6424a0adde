"""Shared fixtures: the packaged knowledge base, a writable copy of its data, the CLI."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from rebalance.cli import main
from rebalance.knowledge.loader import DATA_DIR, KnowledgeBase, default

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return default()


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A writable copy of the packaged data folder, for breaking on purpose."""
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    return target


def edit_yaml(path: Path, change: Callable[[Any], Any]) -> None:
    """Load a data file, apply ``change`` to its records, write it back."""
    records = yaml.safe_load(path.read_text(encoding="utf-8"))
    result = change(records)
    if isinstance(result, list):  # a change may return new records, or edit in place
        records = result
    path.write_text(yaml.safe_dump(records, sort_keys=False), encoding="utf-8")


def record(records: list[dict[str, Any]], rid: str) -> dict[str, Any]:
    return next(r for r in records if r["id"] == rid)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    """Run the CLI in-process; return (exit code, stdout, stderr)."""

    def run(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def run_process(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the real command in a fresh interpreter (cold start, real exit code)."""
    return subprocess.run(
        [sys.executable, "-m", "rebalance.cli", *args], capture_output=True, text=True, check=False, cwd=ROOT
    )
