"""rebalance: from muscle-imbalance measurements to findings, patterns and a safe program.

>>> from rebalance import analyse_file
>>> analyse_file("examples/piriformis_right.yaml")["safety"]["level"]
'clear'

The public API is :data:`__all__` (pinned by ``tests/test_public_api.py``): the entry points of
``api.py`` and the errors they raise (``errors.py``). The entry points are imported when first used,
not with the package: the command line's every start would otherwise load the whole engine
(a third of a second), where ``rebalance --help`` needs none of it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from rebalance.errors import (
    InvalidAssessmentError,
    InvalidInputError,
    KnowledgeBaseError,
    Problem,
    RebalanceError,
    UnknownIdError,
)

if TYPE_CHECKING:
    from rebalance.api import analyse_case, analyse_document, analyse_file, validate_file

__version__ = "0.1.0"

__all__ = [
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

_FROM_API = ("analyse_case", "analyse_document", "analyse_file", "validate_file")


def __getattr__(name: str) -> Any:
    if name in _FROM_API:
        return getattr(importlib.import_module("rebalance.api"), name)
    raise AttributeError(f"module 'rebalance' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
