"""The exceptions rebalance raises.

    RebalanceError                 base of everything below
    ├── KnowledgeBaseError         the knowledge base has problems (each a Problem)
    ├── InvalidInputError          an input file is invalid (each problem has file, field, why)
    │   └── InvalidAssessmentError an assessment file, specifically
    └── UnknownIdError             an id that is not in the knowledge base (with suggestions)

Every error that concerns a file carries the file and the path inside it, so a user can go
straight to the line; every error lists all problems found, not only the first.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong: in which file, where inside it (a field path), and why."""

    file: str
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.path}" if self.path else self.file
        return f"{where}: {self.message}"


class RebalanceError(Exception):
    """Base class for rebalance's own errors."""


class _ProblemsError(RebalanceError):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(set(problems))
        super().__init__("\n".join(str(p) for p in self.problems))


class KnowledgeBaseError(_ProblemsError):
    """The knowledge base failed its checks."""


class InvalidInputError(_ProblemsError):
    """An input file is invalid; ``problems`` lists every problem."""


class InvalidAssessmentError(InvalidInputError):
    """An assessment file is invalid."""


class UnknownIdError(RebalanceError):
    """An id that the knowledge base does not hold."""

    def __init__(self, record_id: str, suggestions: list[str]) -> None:
        self.record_id = record_id
        self.suggestions = suggestions
        hint = f" (did you mean {', '.join(suggestions)}?)" if suggestions else ""
        super().__init__(f"unknown id '{record_id}'{hint}")
