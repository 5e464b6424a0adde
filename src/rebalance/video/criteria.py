"""The accuracy each plane supports and the thresholds on measured angles (criteria.yaml)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

Plane = Literal["sagittal", "frontal", "temporal"]
PATH = Path(__file__).with_name("criteria.yaml")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Accuracy(_Model):
    confidence: float = Field(ge=0, le=1, description="how far a measure of this plane is trusted, 0-1")
    text: str = Field(description="what the plane's accuracy is, for the clinician")
    source: str


class Threshold(_Model):
    id: str = Field(description="the compensation or test it decides")
    measure: str
    above: float
    source: str


class Criteria(_Model):
    accuracy: dict[Plane, Accuracy]
    thresholds: list[Threshold]

    def threshold(self, id_: str) -> Threshold:
        return next(t for t in self.thresholds if t.id == id_)

    def sources(self) -> set[str]:
        return {a.source for a in self.accuracy.values()} | {t.source for t in self.thresholds}


@cache
def criteria() -> Criteria:
    return Criteria.model_validate(yaml.safe_load(PATH.read_text(encoding="utf-8")))
