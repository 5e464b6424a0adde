"""Session logs (``rebalance.logs/1``): what the person did, and how it felt then and next morning.

```yaml
schema: rebalance.logs/1
client_id: c-017            # optional
sessions:
  - date: 2026-11-23
    entries:
      - exercise_id: glute_bridge
        done: true
        sets: 2                 # sets completed
        reps: 14                # repetitions in the last set (rep exercises)
        hold_s: 30              # hold reached (hold exercises)
        effort: 5               # 0..10, optional
        pain_during: 2          # 0..10
        pain_next_morning: 3    # 0..10, optional
        stiffness_next_morning: 2   # 0..10, optional
```
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from rebalance import yamlio
from rebalance.errors import InvalidInputError, Problem
from rebalance.fields import IsoDate

Score = Annotated[int, Field(ge=0, le=10)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


class Entry(_Model):
    exercise_id: str
    done: bool
    sets: int | None = Field(None, ge=0, le=20)
    reps: int | None = Field(None, ge=0, le=200)
    hold_s: int | None = Field(None, ge=0, le=3600)
    effort: Score | None = None
    pain_during: Score | None = None
    pain_next_morning: Score | None = None
    stiffness_next_morning: Score | None = None


class Session(_Model):
    date: IsoDate
    entries: list[Entry]


class Logs(_Model):
    schema_: Literal["rebalance.logs/1"] = Field(alias="schema")
    client_id: str | None = None
    sessions: list[Session]

    def for_exercise(self, exercise_id: str) -> list[tuple[dt.date, Entry]]:
        """The entries for one exercise, oldest first."""
        out = [(s.date, e) for s in self.sessions for e in s.entries if e.exercise_id == exercise_id]
        return sorted(out, key=lambda pair: pair[0])


def _loc(loc: tuple[int | str, ...]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")


def parse_logs(data: Any, source: str = "<memory>") -> Logs:
    return _parsed(Logs, data, source, "expected a mapping with schema and sessions")


def parse_session(data: Any, source: str = "<memory>") -> Session:
    """One session of a logs document (``{"date": ..., "entries": [...]}``), checked as :func:`parse_logs`
    checks each: a caller that keeps checked sessions (they are immutable) builds logs of them with
    :func:`logs_of`."""
    return _parsed(Session, data, source, "expected a mapping with date and entries")


_M = TypeVar("_M", bound=_Model)


def _parsed(model: type[_M], data: Any, source: str, expected: str) -> _M:
    if not isinstance(data, dict):
        raise InvalidInputError([Problem(source, "", expected)])
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = [Problem(source, _loc(e["loc"]), e["msg"].removeprefix("Value error, ")) for e in exc.errors()]
        raise InvalidInputError(problems) from None


def logs_of(sessions: list[Session]) -> Logs:
    """Logs of sessions already checked (:func:`parse_session`)."""
    return Logs.model_validate({"schema": "rebalance.logs/1", "sessions": sessions})


def read_logs(path: Path) -> Logs:
    """Read and validate a logs file (YAML or JSON)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInputError([Problem(str(path), "", f"cannot read: {exc.strerror}")]) from None
    try:
        data = yamlio.load(text)
    except yaml.YAMLError as exc:  # JSON is read as YAML too
        where, why = yamlio.describe(exc, text)
        raise InvalidInputError([Problem(str(path), where, f"malformed file: {why}")]) from None
    return parse_logs(data, str(path))
