"""The assessment file (contract ``rebalance.assessment/1``) as typed models.

The fixed sections are pydantic models in strict mode (a string is never taken for a number).
The ``tests`` section is validated against the knowledge base's test definitions by
:mod:`rebalance.assessment.tests_section`, which turns it into :class:`Measurements`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from rebalance.fields import IsoDate

SCHEMA = "rebalance.assessment/1"
SideName = Literal["left", "right"]
Pain = Annotated[int, Field(ge=0, le=10)]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


class Client(Model):
    id: str | None = None
    age: int = Field(ge=12, le=110)
    sex: Literal["female", "male", "other"] | None = None
    activity_level: Literal["sedentary", "light", "moderate", "athlete"] | None = None
    sports: list[str] = []
    conditions: list[str] = []
    equipment: list[str] = []


class Location(Model):
    region: str
    side: Literal["left", "right", "both", "central"]


class Symptoms(Model):
    pain_now: Pain
    pain_worst_week: Pain | None = None
    duration_weeks: float = Field(ge=0, le=5200)
    locations: list[Location] = []
    aggravated_by: list[str] = []
    eased_by: list[str] = []

    @field_validator("pain_worst_week")
    @classmethod
    def _worst_not_below_now(cls, worst: int | None, info: ValidationInfo) -> int | None:
        now = info.data.get("pain_now")
        if worst is not None and now is not None and worst < now:
            raise ValueError(f"worst pain this week ({worst}) is lower than pain now ({now})")
        return worst


class OneSidedSport(Model):
    sport: str = Field(min_length=1)
    dominant_side: SideName


class Lifestyle(Model):
    sitting_hours_per_day: float | None = Field(None, ge=0, le=24)
    sits_with_feet_turned_out: bool | None = None
    sits_on_back_pocket_wallet: bool | None = None
    stands_on_one_leg: Literal["left", "right", "no"] | None = None
    carries_bag_on: Literal["left", "right", "no"] | None = None
    lifting: Literal["none", "occasional", "frequent_heavy"] | None = None
    exercise_sessions_per_week: int | None = Field(None, ge=0, le=50)
    one_sided_sport: OneSidedSport | None = None
    sleep_position: Literal["back", "side_left", "side_right", "stomach", "varies"] | None = None
    mattress: Literal["firm", "medium", "soft", "sagging"] | None = None
    stress_level: int | None = Field(None, ge=0, le=10)


class Questionnaires(Model):
    odi: list[Annotated[int, Field(ge=0, le=5)] | None] | None = Field(None, min_length=10, max_length=10)
    start_back: list[Annotated[int, Field(ge=0, le=4)]] | None = Field(None, min_length=9, max_length=9)

    @field_validator("start_back")
    @classmethod
    def _agree_items_binary(cls, items: list[int] | None) -> list[int] | None:
        if items is not None:
            bad = [i + 1 for i, v in enumerate(items[:8]) if v not in (0, 1)]
            if bad:
                raise ValueError(f"items 1-8 are agree (1) or disagree (0); item(s) {bad} are not")
        return items


class Assessment(Model):
    schema_: Literal["rebalance.assessment/1"] = Field(alias="schema")
    date: IsoDate
    client: Client
    symptoms: Symptoms
    red_flags: list[str] = []
    lifestyle: Lifestyle = Lifestyle()
    questionnaires: Questionnaires = Questionnaires()
    tests: dict[str, Any] = {}


# --- validated measurements ------------------------------------------------------------------

Values = dict[str, Any]


@dataclass(slots=True)
class TestEntry:
    """One test's validated results.

    sided: ``sides`` maps left/right to field values. whole: ``whole`` holds the fields.
    per_muscle: ``muscles`` maps muscle -> {"left": v, "right": v, <extras>}.
    ``quality`` maps a field to how a video measured it (view, plane, visibility, frames, confidence).
    """

    test: str
    layout: str
    sides: dict[str, Values] = field(default_factory=dict)
    whole: Values = field(default_factory=dict)
    muscles: dict[str, Values] = field(default_factory=dict)
    quality: Values = field(default_factory=dict)  # per field: how it was measured (rebalance video)


@dataclass(slots=True)
class Case:
    """A validated assessment: the fixed sections plus the measurements by test id."""

    assessment: Assessment
    tests: dict[str, TestEntry]
    source: str = "<memory>"
