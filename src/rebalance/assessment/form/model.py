"""The form's shape: its inputs, rows, test blocks and sections, named by their document paths, and their labels."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from rebalance.knowledge.models import Test

Values = Mapping[str, Sequence[str]]
Kind = Literal["number", "integer", "text", "date", "choice", "boolean", "checkboxes"]
SIDES = ("left", "right")
SIDE_WORDS = {"left": "Left", "right": "Right", "both": "Both sides", "central": "Central"}
MINUTES = "minutes"
GENERAL = ""  # the slot of problems that belong to no input

# Section titles of the Oswestry Disability Index 2.1a (fairbank_2000) and the topics of the STarT Back
# items (hill_2008), in our words: labels only; the scoring is the library's (assessment/scores.py).
ODI_SECTIONS = (
    "Pain intensity",
    "Personal care (washing, dressing)",
    "Lifting",
    "Walking",
    "Sitting",
    "Standing",
    "Sleeping",
    "Sex life",
    "Social life",
    "Travelling",
)
START_BACK_ITEMS = (
    "Back pain has spread down the leg(s) in the last 2 weeks",
    "Pain in the shoulder or neck in the last 2 weeks",
    "Has only walked short distances because of the back pain",
    "Has dressed more slowly than usual because of the back pain",
    "Thinks it is not really safe to be physically active",
    "Worrying thoughts have been going through their mind a lot",
    "Feels the back pain is terrible and will never get any better",
    "Has not enjoyed the things they used to enjoy",
    "Overall, how bothersome the back pain has been in the last 2 weeks",
)
BOTHERSOME = ("not at all", "slightly", "moderately", "very much", "extremely")

CLIENT_LABELS = {
    "id": ("Client id", "Your own reference for this person (optional)."),
    "age": ("Age", ""),
    "sex": ("Sex", ""),
    "activity_level": ("Activity level", ""),
    "sports": ("Sports", "Separate several with commas, e.g. cycling, golf."),
}
SYMPTOM_LABELS = {
    "pain_now": ("Pain now", "0 no pain … 10 worst imaginable."),
    "pain_worst_week": ("Worst pain this week", "Not lower than the pain now."),
    "duration_weeks": ("Duration", "Weeks since this episode began."),
}
LIFESTYLE_LABELS = {
    "sitting_hours_per_day": ("Sitting a day", ""),
    "sits_with_feet_turned_out": ("Sits with the feet turned out", ""),
    "sits_on_back_pocket_wallet": ("Sits on a wallet in a back pocket", ""),
    "stands_on_one_leg": ("Stands mostly on one leg", ""),
    "carries_bag_on": ("Carries a bag on", ""),
    "lifting": ("Lifting", ""),
    "exercise_sessions_per_week": ("Exercise sessions a week", ""),
    "sleep_position": ("Sleep position", ""),
    "mattress": ("Mattress", ""),
    "stress_level": ("Stress", "0 none … 10 extreme."),
}
UNITS = {"sitting_hours_per_day": "h", "duration_weeks": "weeks", "pain_now": "/10", "pain_worst_week": "/10"}
WORDS = {
    "side_left": "on the left side",
    "side_right": "on the right side",
    "no": "no",
    "frequent_heavy": "frequent, heavy",
}


def slot_id(name: str) -> str:
    """An HTML id for an input or a slot: ``tests.mmt.gluteus_medius.left`` → ``f-tests-mmt-gluteus_medius-left``."""
    return "f-" + (re.sub(r"[^A-Za-z0-9_]+", "-", name).strip("-") or "general")


def words(value: str) -> str:
    return WORDS.get(value, value.replace("_", " "))


@dataclass(frozen=True)
class Input:
    """One input: named by its document path; what it takes; how it is labelled."""

    name: str
    label: str
    kind: Kind
    unit: str = ""
    low: float | None = None
    high: float | None = None
    step: str = "any"
    options: tuple[tuple[str, str], ...] = ()  # (value, label); checkboxes: (value, label or question)
    hint: str = ""
    required: bool = False

    @property
    def id(self) -> str:
        return slot_id(self.name)

    @property
    def range_text(self) -> str:
        if self.low is None and self.high is None:
            return ""
        low = "" if self.low is None else f"{self.low:g}"
        high = "" if self.high is None else f"{self.high:g}"
        unit = f" {self.unit}" if self.unit and not self.unit.startswith("/") else ""
        return f"{low} to {high}{unit}" if low and high else (f"from {low}{unit}" if low else f"up to {high}{unit}")


@dataclass(frozen=True)
class Row:
    """A line of a test: a field (or a muscle, or a compensation) and its inputs, e.g. left and right."""

    slot: str
    label: str
    hint: str
    cells: tuple[Input, ...]


@dataclass(frozen=True)
class TestBlock:
    """One test of the knowledge base, as inputs."""

    test: Test
    slot: str
    rows: tuple[Row, ...]
    add_muscle: tuple[tuple[str, str], ...] = ()  # per-muscle tests: muscles that may be added
    has_values: bool = False


@dataclass(frozen=True)
class LocationRow:
    index: int
    region: Input
    side: Input

    @property
    def slot(self) -> str:
        return f"symptoms.locations[{self.index}]"


@dataclass(frozen=True)
class AssessmentForm:
    """Everything the template draws, grouped as the contract's sections."""

    visit: tuple[Input, ...]
    client: tuple[Input, ...]
    symptoms: tuple[Input, ...]
    locations: tuple[LocationRow, ...]
    activities: tuple[Input, ...]
    red_flags: Input
    lifestyle: tuple[Input, ...]
    odi: tuple[Input, ...]
    start_back: tuple[Input, ...]
    tests: tuple[tuple[str, tuple[TestBlock, ...]], ...]  # by category
    region_options: tuple[tuple[str, str], ...]
    side_options: tuple[tuple[str, str], ...]
    slots: tuple[str, ...] = field(default=())  # every place a problem can be shown, in the form's order
    labels: Mapping[str, str] = field(default_factory=dict)  # what each slot is called
