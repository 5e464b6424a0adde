"""The corpus of invalid assessment files, each run through the real command line.

Every file in ``tests/cases/invalid/`` is an otherwise-valid assessment with one deliberate
kind of problem (a few carry several, to prove that all are listed). Its leading comment lines
``# expect: <substring>`` say what stderr must contain; files that cannot hold comments (JSON,
the empty file) have their expectations in ``json_expectations.yaml`` (file name -> list).

For each file, ``rebalance validate FILE`` must: exit 2, write nothing to stdout, list every
problem on stderr as ``FILE: field.path: why`` followed by ``1 problem; nothing was written`` or ``N problems; ...``,
contain every expected substring, and never show a traceback.

Files whose name ends in ``_TODO`` document a known validator gap: their expectations describe
the *correct* behaviour and they are expected to fail (strict xfail) until ``src/`` is fixed.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "cases" / "invalid"
EXPECTATIONS_FILE = CORPUS / "json_expectations.yaml"
EXPECT_PREFIX = "# expect:"
SUMMARY = re.compile(r"^(\d+) (problems?); nothing was written$")


def corpus_files() -> list[Path]:
    return sorted(p for p in CORPUS.iterdir() if p.is_file() and p != EXPECTATIONS_FILE)


def side_expectations() -> dict[str, list[str]]:
    data = yaml.safe_load(EXPECTATIONS_FILE.read_text(encoding="utf-8")) or {}
    assert isinstance(data, dict), f"{EXPECTATIONS_FILE} must map file name -> list of substrings"
    return data


def expectations(path: Path) -> list[str]:
    """The stderr substrings a corpus file must produce."""
    side = side_expectations()
    if path.name in side:
        return list(side[path.name])
    found = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if not line.startswith("#"):
            break  # only the leading comment block holds expectations
        if line.startswith(EXPECT_PREFIX):
            found.append(line[len(EXPECT_PREFIX) :].strip())
    return found


def rebalance(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the real command in a fresh interpreter."""
    return subprocess.run(
        [sys.executable, "-m", "rebalance.cli", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        timeout=120,
    )


def params(files: list[Path]) -> list[Any]:  # pytest.param values
    out = []
    for path in files:
        marks: list[pytest.MarkDecorator] = []
        if path.stem.endswith("_TODO"):
            marks.append(pytest.mark.xfail(strict=True, reason="known validator gap; see the file's # problem: line"))
        out.append(pytest.param(path, id=path.name, marks=marks))
    return out


def assert_refused(path: Path, result: subprocess.CompletedProcess[str]) -> None:
    err = result.stderr
    assert "Traceback" not in err, f"traceback for {path.name}:\n{err}"
    assert result.returncode == 2, (
        f"{path.name}: exit {result.returncode}, expected 2\nstdout:\n{result.stdout}\nstderr:\n{err}"
    )
    assert result.stdout == "", f"{path.name}: something was written to stdout:\n{result.stdout}"
    lines = err.rstrip("\n").splitlines()
    assert lines, f"{path.name}: nothing on stderr"
    summary = SUMMARY.match(lines[-1])
    assert summary, f"{path.name}: last stderr line is not 'N problems; nothing was written':\n{err}"
    problems = lines[:-1]
    assert problems and all(line.startswith(f"{path}: ") for line in problems), (
        f"{path.name}: every problem line must start with the file name:\n{err}"
    )
    assert int(summary.group(1)) == len(problems), f"{path.name}: the count does not match the lines:\n{err}"
    assert summary.group(2) == ("problem" if len(problems) == 1 else "problems"), f"{path.name}: {lines[-1]}"
    missing = [s for s in expectations(path) if s not in err]
    assert not missing, f"{path.name}: stderr lacks {missing}\nstderr:\n{err}"


# ------------------------------------------------------------------ the corpus itself


def test_corpus_is_large_enough() -> None:
    assert len(corpus_files()) >= 40


def test_every_file_states_what_it_must_produce() -> None:
    without = [p.name for p in corpus_files() if not expectations(p)]
    assert not without, f"corpus files with no expectations: {without}"


def test_every_json_file_has_side_expectations() -> None:
    side = side_expectations()
    names = {p.name for p in corpus_files()}
    assert not [n for n in side if n not in names], "json_expectations.yaml names files that do not exist"
    assert not [p.name for p in corpus_files() if p.suffix == ".json" and p.name not in side]
    assert all(isinstance(v, list) and v and all(isinstance(s, str) and s for s in v) for v in side.values())


# ------------------------------------------------------------------ validate on every file


@pytest.mark.parametrize("path", params(corpus_files()))
def test_validate_refuses(path: Path) -> None:
    assert_refused(path, rebalance("validate", str(path)))


# ------------------------------------------------------------------ assess --json writes nothing

ASSESS_SAMPLES = ["three_problems.yaml", "json_two_problems.json", "region_unknown.yaml"]


@pytest.mark.parametrize("path", params([CORPUS / n for n in ASSESS_SAMPLES]))
def test_assess_json_refuses_and_writes_nothing(path: Path) -> None:
    assert path.exists(), path
    result = rebalance("assess", str(path), "--json")
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert_refused(path, result)


# ------------------------------------------------------------------ files that are not files


@pytest.mark.parametrize("command", [["validate"], ["assess", "--json"]])
def test_a_folder_given_as_the_assessment_is_named_as_a_folder(tmp_path: Path, command: list[str]) -> None:
    result = rebalance(command[0], str(tmp_path), *command[1:])
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == f"{tmp_path}: is a folder, not an assessment file\n1 problem; nothing was written\n"


def test_a_folder_given_as_the_session_logs_is_named_as_a_folder(tmp_path: Path) -> None:
    from rebalance.errors import InvalidInputError
    from rebalance.programs.logs import read_logs

    with pytest.raises(InvalidInputError) as caught:
        read_logs(tmp_path)
    assert [str(p) for p in caught.value.problems] == [f"{tmp_path}: is a folder, not a session log file"]
