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
      - exercise_id: walking
        done: true
        minutes: 15             # minutes done (timed activities: walking, cycling, swimming, breathing)
```

Each entry records what its exercise is dosed in (:func:`~rebalance.programs.dose.dose_kind`):
minutes for a timed activity, the hold in seconds for a hold, sets and repetitions for the rest.
``minutes`` was added compatibly: older logs that gave a walk's length as ``hold_s`` (seconds) stay
valid and are read as minutes (:func:`minutes_done`). :func:`log_fields` lists what a log form asks
for each program item, with labels, units, limits and the dose as the default;
:func:`session_words` says what a logged session holds, in the same units ("Brisk walking: 20 minutes,
pain 1/10").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from rebalance import yamlio
from rebalance.errors import InvalidInputError, Problem
from rebalance.fields import IsoDate
from rebalance.knowledge.loader import KnowledgeBase
from rebalance.knowledge.words import number

Score = Annotated[int, Field(ge=0, le=10)]
MAX_MINUTES = 600  # minutes of one timed activity in one session
ENTRY_RANGES: dict[str, tuple[int, int]] = {
    "sets": (0, 20),
    "reps": (0, 200),
    "hold_s": (0, 3600),
    "minutes": (0, MAX_MINUTES),
}
"""The lowest and highest of each dose an entry records: the one rule for a logged session, read by
:class:`Entry`, the log form (:func:`log_fields`) and what stores a session (``storage.schemas.SessionEntry``),
so that whatever is stored can be read here (a typing error otherwise: 20 sets, 200 repetitions, an hour's
hold, ten hours of walking)."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


class Entry(_Model):
    exercise_id: str
    done: bool
    sets: int | None = Field(None, ge=ENTRY_RANGES["sets"][0], le=ENTRY_RANGES["sets"][1])
    reps: int | None = Field(None, ge=ENTRY_RANGES["reps"][0], le=ENTRY_RANGES["reps"][1])
    hold_s: int | None = Field(None, ge=ENTRY_RANGES["hold_s"][0], le=ENTRY_RANGES["hold_s"][1])
    minutes: int | None = Field(None, ge=ENTRY_RANGES["minutes"][0], le=ENTRY_RANGES["minutes"][1])
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


def minutes_done(entry: Entry) -> float | None:
    """Minutes of a timed activity an entry records: its ``minutes``, or (logs written before minutes
    existed) its ``hold_s`` in seconds; None when it records neither."""
    if entry.minutes is not None:
        return float(entry.minutes)
    return entry.hold_s / 60 if entry.hold_s is not None else None


@dataclass(frozen=True, slots=True)
class LogField:
    """One number a log form asks about an exercise: the entry's field, its label and unit, its limits,
    and the value to start from (the dose asked for; None: start empty)."""

    name: str  # the Entry field
    label: str
    unit: str
    low: int
    high: int
    default: int | None


PAIN_FIELDS = (
    LogField("pain_during", "Pain during the exercise (0-10)", "/10", 0, 10, None),
    LogField("effort", "How hard it felt (0-10)", "/10", 0, 10, None),
)


def log_fields(kb: KnowledgeBase, item: dict[str, Any]) -> list[LogField]:
    """What a log form asks for one program item, in the exercise's own unit, then pain and effort.

    Timed activity: minutes done. Hold: sets done and the hold reached in seconds. Repetitions: sets
    done and the repetitions in the last set (and the hold, for an exercise held between repetitions).
    """
    ex = kb.exercise.get(item["exercise_id"])
    dose = item["dosage"]
    kind = ex.dosage.kind if ex is not None else ("timed" if dose.get("minutes") else dose.get("kind", "hold"))
    limits = ENTRY_RANGES
    if kind == "timed":
        minutes = dose.get("minutes") or ((dose.get("hold_s") or 0) // 60 or None)
        fields = [LogField("minutes", "Minutes done", "min", *limits["minutes"], minutes)]
    else:
        fields = [LogField("sets", "Sets done", "sets", *limits["sets"], dose.get("sets"))]
        if kind == "reps":
            fields.append(LogField("reps", "Repetitions in the last set", "reps", *limits["reps"], dose.get("reps")))
        if dose.get("hold_s"):
            fields.append(LogField("hold_s", "Longest hold", "s", *limits["hold_s"], dose.get("hold_s")))
    return [*fields, *PAIN_FIELDS]


AMOUNTS = {
    "minutes": "{} minutes",
    "sets": "{} sets",
    "reps": "{} repetitions",
    "hold_s": "held {} s",
    "pain_during": "pain {}/10",
    "effort": "effort {}/10",
}


def entry_words(kb: KnowledgeBase, item: dict[str, Any], entry: Mapping[str, Any]) -> str:
    """One logged exercise in words, in the units its log form asks (:func:`log_fields`): "Brisk walking:
    20 minutes, pain 1/10", "Glute bridge: 2 sets, 12 repetitions, pain 2/10", "Clamshell: not done"."""
    name = item.get("name") or item["exercise_id"]
    if not entry.get("done"):
        return f"{name}: not done"
    asked = [f.name for f in log_fields(kb, item) if entry.get(f.name) is not None]
    said = [AMOUNTS[name].format(number(entry[name])) for name in asked]
    return f"{name}: {', '.join(said) or 'done'}"


def session_words(kb: KnowledgeBase, program: dict[str, Any], entries: Sequence[Mapping[str, Any]]) -> list[str]:
    """Each exercise of a logged session in words (:func:`entry_words`), read against the program's items
    (an exercise no longer in it by its catalogue name)."""
    items = {item["exercise_id"]: item for item in program.get("items", [])}
    out = []
    for entry in entries:
        ex = kb.exercise.get(entry["exercise_id"])
        fallback = {"exercise_id": entry["exercise_id"], "name": ex.name if ex else None, "dosage": {}}
        out.append(entry_words(kb, items.get(entry["exercise_id"], fallback), entry))
    return out


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
    except IsADirectoryError:
        raise InvalidInputError([Problem(str(path), "", "is a folder, not a session log file")]) from None
    except OSError as exc:
        raise InvalidInputError([Problem(str(path), "", f"cannot read: {exc.strerror}")]) from None
    try:
        data = yamlio.load(text)
    except yaml.YAMLError as exc:  # JSON is read as YAML too
        where, why = yamlio.describe(exc, text)
        raise InvalidInputError([Problem(str(path), where, f"malformed file: {why}")]) from None
    return parse_logs(data, str(path))
