"""The exceptions rebalance raises.

    RebalanceError                 base of everything below
    ├── KnowledgeBaseError         the knowledge base has problems (each a Problem)
    ├── InvalidInputError          an input file is invalid (each problem has file, field, why)
    │   └── InvalidAssessmentError an assessment file, specifically
    ├── UnknownIdError             an id that is not in the knowledge base (with suggestions)
    └── StorageError               a stored record cannot be read or changed as asked
        ├── NotFoundError          a record that must exist does not (entity, id)
        ├── PermissionDeniedError  the acting user may not do this to this record (user, action, entity, id, why)
        └── ConflictError          the change would break a rule of the stored data (entity, id, why)

Every error that concerns a file carries the file and the path inside it, so a user can go
straight to the line; every error lists all problems found, not only the first. Every storage
error names the record (entity and id) it concerns.
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


class StorageError(RebalanceError):
    """A stored record cannot be read or changed as asked; ``entity`` and ``entity_id`` name it."""

    def __init__(self, entity: str, entity_id: object, message: str) -> None:
        self.entity = entity
        self.entity_id = entity_id
        super().__init__(message)


class NotFoundError(StorageError):
    """A record that must exist does not."""

    def __init__(self, entity: str, entity_id: object) -> None:
        super().__init__(entity, entity_id, f"{entity} {entity_id} not found")


class PermissionDeniedError(StorageError):
    """The acting user may not do ``action`` to this record; ``reason`` says why."""

    def __init__(self, user_id: int | None, action: str, entity: str, entity_id: object, reason: str) -> None:
        self.user_id = user_id
        self.action = action
        self.reason = reason
        super().__init__(entity, entity_id, f"user {user_id} may not {action} {entity} {entity_id}: {reason}")


class ConflictError(StorageError):
    """The change would break a rule of the stored data (a program edited in place, an old version published)."""

    def __init__(self, entity: str, entity_id: object, reason: str) -> None:
        self.reason = reason
        super().__init__(entity, entity_id, f"{entity} {entity_id}: {reason}")
