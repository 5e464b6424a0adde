"""The public API: what ``from rebalance import ...`` gives, pinned, and the docstring's example working."""

from __future__ import annotations

import subprocess
import sys

import pytest

import rebalance
from tests.conftest import EXAMPLES, ROOT

PUBLIC = [
    "InvalidAssessmentError",
    "InvalidInputError",
    "KnowledgeBaseError",
    "Problem",
    "RebalanceError",
    "UnknownIdError",
    "__version__",
    "analyse_case",
    "analyse_document",
    "analyse_file",
    "validate_file",
]


def test_the_public_api_is_what_it_was_and_every_name_is_there() -> None:
    assert rebalance.__all__ == PUBLIC  # a change here is a change of the public API: on purpose, or not at all
    for name in rebalance.__all__:
        assert getattr(rebalance, name) is not None
    assert sorted(dir(rebalance)) == sorted(PUBLIC)


def test_the_docstrings_example_works() -> None:
    from rebalance import analyse_file

    assert analyse_file(EXAMPLES / "piriformis_right.yaml")["safety"]["level"] == "clear"
    assert rebalance.analyse_file is analyse_file


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'analyze_file'"):
        _ = rebalance.analyze_file  # type: ignore[attr-defined]


def test_importing_the_package_loads_no_engine_until_it_is_used() -> None:
    """``rebalance --help`` and ``rebalance explain`` start fast: the engine is loaded when first used."""
    probe = "import sys, rebalance; print('rebalance.reasoning.analyse' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "False"
