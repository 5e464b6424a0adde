"""The library entry points: validate and analyse assessments from Python.

>>> from rebalance import analyse_file
>>> doc = analyse_file("examples/piriformis_right.yaml")
>>> doc["safety"]["level"]
'clear'
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rebalance.assessment.models import Case
from rebalance.assessment.parse import parse_document, read_assessment
from rebalance.knowledge.loader import KnowledgeBase, default
from rebalance.programs.build import attach_program
from rebalance.reasoning.analyse import Analysis, analyse


def validate_file(path: str | Path, kb: KnowledgeBase | None = None) -> Case:
    """Read and validate an assessment file; raises InvalidAssessmentError listing every problem."""
    return read_assessment(Path(path), kb or default())


def analyse_case(case: Case, kb: KnowledgeBase | None = None, minutes: int = 20) -> Analysis:
    """Analyse a validated case and attach the program (None when safety withholds it)."""
    kb = kb or default()
    return attach_program(kb, analyse(kb, case), minutes)


def analyse_document(data: Any, kb: KnowledgeBase | None = None, minutes: int = 20) -> dict[str, Any]:
    """Validate and analyse an assessment given as Python data; return the analysis document."""
    kb = kb or default()
    return analyse_case(parse_document(data, kb), kb, minutes).document


def analyse_file(path: str | Path, kb: KnowledgeBase | None = None, minutes: int = 20) -> dict[str, Any]:
    """Validate and analyse an assessment file; return the analysis document."""
    kb = kb or default()
    return analyse_case(read_assessment(Path(path), kb), kb, minutes).document
