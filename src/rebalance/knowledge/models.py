"""Typed models of the knowledge base.

Every record kind in ``data/*.yaml`` has one model here. Records carry stable snake_case ids;
cross-references between records are plain ids, checked by :mod:`rebalance.knowledge.check`.
Any clinical number (a norm, a threshold, a dose, an accuracy figure) lives in a model that
derives from :class:`Sourced`, so the check can refuse one that does not say where it came from.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

Id = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]
Side = Literal["left", "right"]


class Model(BaseModel):
    """Base for every knowledge record: unknown keys are errors, records are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Sourced(Model):
    """A piece of clinical content that carries a number and must name its source."""

    source: Id | None = Field(None, description="id of an entry in sources.yaml")


# --- sources -----------------------------------------------------------------------------


class Source(Model):
    id: Id
    kind: Literal["literature", "guideline", "textbook", "web", "convention"]
    citation: str = Field(description="author(s), year, title, venue; or the page title")
    url: str | None = None
    doi: str | None = None
    note: str | None = Field(None, description="for 'convention': why rebalance chose it")
    short: str | None = Field(
        None, description="the citation as a sentence cites it ('NICE NG59 2016') when its author list cannot give it"
    )


# --- vocabularies --------------------------------------------------------------------------


class Term(Model):
    """A plain vocabulary entry (region, equipment, activity, sport, finding kind, muscle group)."""

    id: Id
    name: str
    aliases: list[str] = Field([], description="other ways clinicians write it; the parser maps them to the id")
    summary: str
    sources: list[Id] = []


class MuscleGroup(Term):
    members_note: str | None = None
    plural: bool = Field(False, description="the name is grammatically plural ('Hip flexors are tight')")


class PlainName(Model):
    """What a patient reads for a muscle whose anatomical name they would not know."""

    name: str = Field(description="in lower case, as in running text: 'buttock muscles'")
    plural: bool = Field(False, description="the plain name is grammatically plural")


class Region(Term):
    leg: bool = Field(description="a region of the leg: symptoms here count as leg symptoms")
    radicular: bool = Field(False, description="where nerve-root (sciatic) pain travels; both sides -> flag")
    below_knee: bool = False


class Equipment(Term):
    household: bool = Field(description="found in any home; assumed available to every client")


class Position(Model):
    """A position or load an exercise or test puts the body in (``positions.yaml``); conditions forbid them."""

    id: Id
    name: str
    aliases: list[str] = []
    summary: str


class Nerve(Model):
    name: str
    roots: list[Annotated[str, StringConstraints(pattern=r"^(C[1-8]|T([1-9]|1[0-2])|L[1-5]|S[1-5])$")]]


class Muscle(Model):
    id: Id
    name: str
    aliases: list[str] = Field([], description="other ways clinicians write it; the parser maps them to the id")
    latin: str
    region: Literal["lumbar", "abdomen", "pelvis", "hip", "thigh", "leg", "thorax", "shoulder"]
    plural: bool = Field(False, description="the name is grammatically plural ('the hamstrings are tight')")
    plain: PlainName | None = Field(None, description="the patient's name for it, when not its anatomical name")
    groups: list[Id] = []
    part_of: Id | None = Field(None, description="the muscle id of the unit this belongs to")
    actions: list[str]
    antagonists: list[Id] = []
    synergists: list[Id] = []
    nerve: Nerve
    sciatic_relation: str | None = None
    tends_to: Literal["tighten", "weaken", "either"]
    summary: str
    sources: list[Id]


class Structure(Model):
    id: Id
    name: str
    kind: Literal["nerve", "joint", "segment", "bone", "ligament", "region"]
    summary: str
    roots: list[str] = []
    path: list[str] = []
    related_muscles: list[Id] = []
    clinical_note: str | None = None
    sources: list[Id]


# --- tests -------------------------------------------------------------------------------


class TestField(Model):
    name: Id
    type: Literal["number", "integer", "boolean", "enum", "sided_number", "compensations"]
    unit: str | None = None
    min: float | None = None
    max: float | None = None
    step: float | None = Field(None, description="allowed increment, e.g. 0.5 for Oxford grades")
    values: list[str] = Field([], description="for enum")
    description: str


class Condition(Model):
    """One comparison on a test field: ``field op value``."""

    field: Id
    op: Literal["gt", "ge", "lt", "le", "eq", "ne", "between"]
    value: float | bool | str | tuple[float, float]


FindingKind = Literal["tight", "weak", "asymmetry", "ratio", "posture", "movement", "neural", "joint"]
MUSCLE_KINDS: tuple[FindingKind, ...] = ("tight", "weak")
"""The finding kinds whose target is a muscle (``tight:piriformis``)."""


class FindingRef(Model):
    kind: FindingKind
    target: Id
    side: Literal["same", "opposite", "none"] = Field(
        "same", description="for sided tests: the side the finding lands on"
    )


class Healthy(Sourced):
    """What healthy people score on a measure, as a source measured it (the yardstick for a cut-off)."""

    mean: float
    sd: float | None = Field(None, description="standard deviation, where the source gives one")
    population: str = Field(description="who was measured, and how")


class Norm(Sourced):
    """A threshold on one field that, when crossed, gives a finding."""

    id: Id
    when: list[Condition] = Field(description="all must hold for the result to be abnormal")
    finding: FindingRef
    severity: Literal["mild", "moderate", "severe"] = Field("mild", description="severity just past the threshold")
    moderate_at: float | None = Field(None, description="value of the first condition's field")
    severe_at: float | None = None
    sex: Literal["female", "male"] | None = None
    confidence: float = Field(ge=0, le=1)
    reason: str
    healthy: Healthy | None = Field(None, description="the healthy mean (and SD) of the measure")
    published_cutoff: bool = Field(
        False, description="the threshold is the source's own published cut-off, not one rebalance derived"
    )
    one_sided: bool = Field(
        False,
        description="read only when the other side differs: the same change on both sides (ankle reflexes after "
        "60, the feet in diabetic neuropathy) is not a sign of one nerve root",
    )


class Validity(Sourced):
    sensitivity: float | None = Field(None, ge=0, le=1)
    specificity: float | None = Field(None, ge=0, le=1)
    lr_positive: float | None = None
    lr_negative: float | None = None
    reliability: str | None = None
    note: str


class NormalDifference(Sourced):
    """The left-right difference healthy people show on a measure, below which none is read."""

    value: float = Field(gt=0, description="in the field's unit; a smaller difference is no finding")
    population: str


class Symmetry(Model):
    """Compare left with right on one field (limb symmetry index)."""

    field: Id
    higher_is_better: bool
    finding_target: Id = Field(description="target of the asymmetry finding, e.g. side_bridge")
    normal_difference: NormalDifference | None = None


class Test(Model):
    id: Id
    name: str
    phrase: str = Field(
        description="the test as a sentence names it, article included: 'the FAIR test', 'the straight-leg raise'"
    )
    aliases: list[str] = Field([], description="other ways clinicians write it; the parser maps them to the id")
    category: Literal[
        "flexibility",
        "range_of_motion",
        "provocation",
        "neurodynamic",
        "neurological",
        "strength",
        "endurance",
        "posture",
        "movement",
        "gait",
        "balance",
    ]
    layout: Literal["sided", "whole", "per_muscle"] = Field(
        description="sided: {left: {...}, right: {...}}; whole: {...}; per_muscle: {muscle: {...}}"
    )
    measures: str
    targets: list[Id] = Field(description="muscle or structure ids the test looks at")
    procedure: list[str]
    fields: list[TestField]
    norms: list[Norm] = []
    symmetry: Symmetry | None = None
    validity: Validity | None = None
    positive_implicates: list[Id] = Field([], description="pattern ids a positive result supports")
    norm_free_reason: str | None = Field(
        None, description="why this test has no norm of its own (interpreted elsewhere)"
    )
    positions: list[Id] = Field(description="ids in positions.yaml: the positions and loads the test puts the body in")
    sources: list[Id]


class RatioOperand(Model):
    test: Id
    field: Id
    muscle: Id | None = Field(None, description="for per_muscle tests: which muscle")


class Ratio(Sourced):
    """A ratio between two measurements, compared with a criterion."""

    id: Id = Field(description="the finding target, e.g. hamstring_quadriceps")
    name: str
    summary: str
    numerator: RatioOperand
    denominator: RatioOperand
    op: Literal["gt", "lt"]
    threshold: float
    severe_at: float | None = None
    confidence: float = Field(ge=0, le=1)
    reason: str
    healthy: Healthy | None = Field(None, description="the healthy mean (and SD) of the measure")
    published_cutoff: bool = Field(
        False, description="the threshold is the source's own published cut-off, not one rebalance derived"
    )


# --- overhead squat --------------------------------------------------------------------------


class Compensation(Model):
    id: Id
    name: str
    aliases: list[str] = Field([], description="other ways clinicians write it; the parser maps them to the id")
    view: Literal["front", "side", "back"]
    seen: str = Field(
        description="what is seen, as a sentence names it after 'in the squat, ...': 'the low back arching'"
    )
    what_you_see: str
    overactive: list[Id]
    underactive: list[Id]
    overactive_opposite_side: list[Id] = []
    underactive_opposite_side: list[Id] = []
    sided: bool = Field(description="whether the compensation is observed on one side")
    note: str | None = None
    sources: list[Id]


# --- patterns ---------------------------------------------------------------------------


class PatternSign(Model):
    finding: str = Field(description="finding id without side, e.g. tight:iliopsoas")
    weight: float = Field(gt=0, le=1)


class SymptomSign(Model):
    region: Id | None = None
    aggravated_by: Id | None = None
    weight: float = Field(gt=0, le=1)


class TestSuggestion(Model):
    test: Id
    why: str
    when_regions: list[Id] = []
    when_aggravated_by: list[Id] = []
    when_age_under: int | None = Field(None, description="only for someone younger than this")


class Referral(Model):
    """Where a screen sends the person, how soon, and why (contract: ``refer``)."""

    to: str
    urgency: Literal["routine", "soon", "urgent"]
    why: str


class Measure(Model):
    """One comparison on a measured test field, met on a side when that side's value passes."""

    test: Id
    field: Id
    op: Literal["gt", "ge", "lt", "le", "eq"]
    value: float | bool | str


class ScreenItem(Sourced):
    """One item of a screen's cluster: a fact of the history or the examination, in plain words.

    Exactly one criterion is set. Items with a side (a measure of a sided test, a region on one
    side, a finding with a side) are met per side; the others count for both sides.
    """

    id: Id
    says: str = Field(description="the item in plain words, for the explanation")
    weight: float = Field(gt=0, le=1)
    age_over: int | None = None
    age_under: int | None = None
    regions: list[Id] = []
    both_legs: bool = Field(False, description="symptoms in a radicular leg region on both sides")
    aggravated_by: list[Id] = []
    eased_by: list[Id] = []
    conditions: list[Id] = Field([], description="a condition already known (the client's conditions)")
    athlete: bool = Field(False, description="an athlete, or a client who names a sport")
    findings: list[str] = Field([], description="finding ids without side")
    measure: Measure | None = None

    @model_validator(mode="after")
    def _one_criterion(self) -> ScreenItem:
        set_ = [
            self.age_over is not None,
            self.age_under is not None,
            bool(self.regions),
            self.both_legs,
            bool(self.aggravated_by),
            bool(self.eased_by),
            bool(self.conditions),
            self.athlete,
            bool(self.findings),
            self.measure is not None,
        ]
        if sum(set_) != 1:
            raise ValueError("a screen item has exactly one criterion")
        return self


class Rereading(Sourced):
    """With ``given`` on the same side, a finding is read as another: the muscle result measures the nerve."""

    finding: str = Field(description="finding id without side, e.g. weak:tibialis_anterior")
    given: list[str] = Field([], description="finding ids without side; one present on the same side is enough")
    given_regions: list[Id] = Field([], description="or symptoms in one of these regions on the same side")
    as_finding: str = Field(description="finding id without side it is read as, e.g. neural:lumbar_nerve_roots")
    reason: str


class Favoured(Model):
    exercise: Id
    why: str


class Screen(Model):
    """How a screen pattern is recognised and what it changes in the program."""

    items: list[ScreenItem]
    min_items: int = Field(ge=1, description="items met (on one side) for the screen to stand")
    required: list[list[Id]] = Field([], description="item ids; each group needs one of its items met")
    sufficient: list[Id] = Field([], description="items that stand alone (a condition already diagnosed)")
    consequence: str = Field(description="why the muscle findings may be a consequence rather than the cause")
    implies_conditions: list[Id] = Field([], description="conditions whose precautions the program then keeps")
    favours: list[Favoured] = Field([], description="exercises the program then includes, if the client may do them")
    rereads: list[Rereading] = []
    explains: list[Id] = Field(
        [], description="imbalance patterns whose tests add nothing while it stands: it accounts for their symptoms"
    )


class Pattern(Model):
    id: Id
    name: str
    kind: Literal["imbalance", "screen"] = "imbalance"
    summary: str
    defined_by: str
    signs: list[PatternSign] = []
    required: list[list[str]] = Field([], description="each inner list: at least one of these findings must be present")
    symptoms: list[SymptomSign] = []
    weakened_by: list[PatternSign] = Field(
        [], description="findings that argue against the pattern (weight subtracted, same side)"
    )
    mechanism: str
    explanation_template: str = Field(description="plain words; {side}, {evidence} are filled in")
    suggested_tests: list[TestSuggestion] = []
    refer: Referral | None = Field(None, description="screens: where to refer")
    screen: Screen | None = Field(None, description="screens: the cluster that recognises it")
    sources: list[Id]

    @model_validator(mode="after")
    def _screen_shape(self) -> Pattern:
        is_screen = self.kind == "screen"
        if is_screen != (self.refer is not None) or is_screen != (self.screen is not None):
            raise ValueError("a screen has 'refer' and 'screen'; an imbalance has neither")
        return self


# --- lifestyle -------------------------------------------------------------------------------


class Trigger(Sourced):
    field: Id = Field(description="a field of the assessment's lifestyle or client section")
    op: Literal["gt", "ge", "lt", "le", "eq", "in", "set"]
    value: float | bool | str | list[str] | None = None


class Advice(Model):
    id: Id
    text: str


class LifestyleFactor(Model):
    id: Id
    name: str
    summary: str
    trigger: Trigger
    tends_to_produce: list[str] = Field(description="finding ids without side")
    sided: Literal["none", "same", "opposite"] = Field(
        "none", description="how the factor's side (e.g. leg stood on) maps to the finding side"
    )
    sided_name: str | None = Field(
        None, description="the name with the side the person does it on: 'Carrying bags on your {side} side'"
    )
    prior_boost: float = Field(ge=0, le=0.5, description="added to those findings' confidence")
    mechanism: str
    advice: list[Advice]
    sources: list[Id]


# --- exercises ------------------------------------------------------------------------------

Intent = Literal[
    "release",
    "lengthen",
    "activate",
    "strengthen",
    "integrate",
    "mobility",
    "nerve_glide",
    "relaxation",
    "aerobic",
]
AngleName = Literal[
    "trunk_incline",
    "hip_flexion",
    "hip_abduction",
    "hip_external_rotation",
    "knee_flexion",
    "ankle_dorsiflexion",
    "shoulder_flexion",
    "elbow_flexion",
    "neck_flexion",
    "spine_flexion",
    "shoulder_abduction",
    "shoulder_rotation",
    "spine_side_bend",
]


class SidedAngle(Model):
    left: float
    right: float


class PhasePlace(Model):
    """A place that differs between the positions (a hand's none: it goes where the angles put it)."""

    start: Id | None = None
    end: Id | None = None


PropKind = Literal[
    "mat",
    "pillow",
    "wall",
    "chair",
    "band",
    "strap",
    "step",
    "foam_roller",
    "swiss_ball",
    "massage_ball",
    "dumbbell",
    "exercise_bike",
    "pool",
    "doorway",
]
WorkingPart = Literal[
    "right_leg", "left_leg", "right_arm", "left_arm", "right_hip", "left_hip", "right_side", "left_side"
]


class Prop(Model):
    """Something the figure draws besides the person: a kind of equipment (or a doorway) and where it is."""

    kind: PropKind
    at: Id | PhasePlace | None = Field(
        None, description="where, e.g. behind, right_buttock, knees (reports.figure_props lists each kind's places)"
    )


class Pose(Model):
    """Key angles (degrees) of the start and end positions, enough to draw a figure, and what the figure
    shows besides them: props, where the hands rest, a foot resting on the other knee, the working side.

    ``equipment`` and ``unilateral`` are the exercise's, copied in by :class:`Exercise`: a pose that names no
    props shows the exercise's equipment, each in its usual place."""

    orientation: Literal[
        "supine",
        "prone",
        "side_lying",
        "quadruped",
        "seated",
        "kneeling",
        "half_kneeling",
        "standing",
        "swimming",
    ]
    view: Literal["side", "front", "top"]
    start: dict[AngleName, float | SidedAngle]
    end: dict[AngleName, float | SidedAngle]
    props: list[Prop] | None = Field(None, description="none given: the exercise's equipment in its usual places")
    hands: dict[Side, Id | PhasePlace] = Field({}, description="where each hand rests, e.g. wall, left_knee, waist")
    feet: dict[Side, Id] = Field({}, description="where a foot rests instead, e.g. right: left_knee")
    working: list[WorkingPart] | None = Field(None, description="the side marked as working; none: from the angles")
    equipment: list[Id] = Field([], description="the exercise's equipment (copied in by Exercise)")
    unilateral: bool = Field(False, description="the exercise's (copied in by Exercise)")


DoseKind = Literal["timed", "hold", "reps"]
TIMED_INTENTS = frozenset({"aerobic", "relaxation"})


class Dosage(Sourced):
    """An exercise's dose: repetitions (with or without a hold), a hold, or minutes of a timed activity."""

    sets: int = Field(ge=1, le=10)
    reps: int | None = Field(None, ge=1, le=100)
    hold_s: int | None = Field(None, ge=1, le=3600)
    minutes: int | None = Field(
        None, ge=1, le=240, description="a timed activity (walking, cycling, breathing): minutes a session"
    )
    days_per_week: int = Field(ge=1, le=7)
    rest_s: int = Field(30, ge=0, le=600)

    @model_validator(mode="after")
    def _one_kind(self) -> Dosage:
        if self.minutes is not None and (self.reps is not None or self.hold_s is not None):
            raise ValueError("a timed activity is dosed in minutes alone: leave reps and hold_s empty")
        if self.minutes is None and self.reps is None and self.hold_s is None:
            raise ValueError("a dose needs reps, hold_s or minutes")
        return self

    @property
    def kind(self) -> DoseKind:
        """How the exercise is dosed, logged and progressed: minutes, a hold in seconds, or repetitions."""
        return "timed" if self.minutes is not None else "reps" if self.reps is not None else "hold"


class Exercise(Model):
    id: Id
    name: str
    intent: Intent
    primary: list[Id]
    secondary: list[Id] = []
    addresses: list[str] = Field([], description="non-muscle finding ids without side")
    unilateral: bool
    start: str
    steps: list[str]
    cues: list[str]
    mistakes: list[str]
    equipment: list[Id]
    difficulty: int = Field(ge=1, le=4)
    dosage: Dosage
    seconds_per_set: int = Field(gt=0, le=3600)
    progressions: list[Id] = []
    regressions: list[Id] = []
    contraindications: list[Id] = Field(
        [], description="conditions that exclude it for a reason no position captures (e.g. difficulty)"
    )
    positions: list[Id] = Field(description="ids in positions.yaml: the positions and loads it puts the body in")
    pose: Pose
    sources: list[Id]

    @model_validator(mode="before")
    @classmethod
    def _pose_knows_the_exercise(cls, data: Any) -> Any:
        """The figure draws the exercise's equipment and marks a side when it is one-sided."""
        if isinstance(data, dict) and isinstance(data.get("pose"), dict):
            pose = {**data["pose"], "equipment": data.get("equipment", []), "unilateral": data.get("unilateral", False)}
            return {**data, "pose": pose}
        return data

    @model_validator(mode="after")
    def _timed_in_minutes(self) -> Exercise:
        if (self.intent in TIMED_INTENTS) != (self.dosage.minutes is not None):
            raise ValueError(
                "aerobic and relaxation exercises are dosed in minutes (dosage.minutes), every other one is not"
            )
        return self


# --- safety --------------------------------------------------------------------------------

Urgency = Literal["emergency", "urgent", "caution"]


class RedFlag(Model):
    id: Id
    name: str
    aliases: list[str] = Field([], description="other ways clinicians write it; the parser maps them to the id")
    category: Literal["cauda_equina", "cancer", "infection", "fracture", "neurological", "other"]
    question: str = Field(description="how to ask the patient, in plain words")
    meaning: str
    urgency_alone: Urgency
    where_to_go: str
    derived: str | None = Field(None, description="how the engine derives it from the assessment (not ticked by hand)")
    lifetime: bool = Field(
        False, description="a fact of the person's history: asked at assessment, not in the weekly check-in"
    )
    check_in: str | None = Field(
        None,
        description="the weekly check-in's question where the assessment's asks how the pain began: what can have"
        " happened since the last check-in",
    )
    program_advice: bool = Field(
        False, description="advice on running the program: left out when the program is withheld"
    )
    sources: list[Id]


class Forbid(Sourced):
    """A position a condition rules out, why, and the source that says so."""

    position: Id
    why: str = Field(description="plain words: what could go wrong and what to do instead")


class Need(Sourced):
    """Work a condition calls for: the program offers the first of ``exercises`` that may be given."""

    work: str = Field(description="plain words, e.g. 'balance work'")
    exercises: list[Id] = Field(min_length=1, description="in order of preference (the harder first)")
    why: str


class Explained(Sourced):
    """A pattern a condition accounts for: its signs are the condition's, not the muscles' (or, for a screen,
    not what the screen names: a replaced hip joint is not osteoarthritis)."""

    pattern: Id
    why: str = Field(description="plain words: what the signs mean with this condition")


class ClinicalCondition(Model):
    id: Id
    name: str
    aliases: list[str] = Field([], description="other ways clinicians write it; the parser maps them to the id")
    meaning: str
    urgency: Urgency | Literal["none"]
    precautions: list[str]
    calls_for: list[Need] = []
    forbids: list[Forbid] = Field(description="the positions it rules out; [] when none")
    explains: list[Explained] = Field(
        [], description="patterns (imbalances or screens) not reported for a client with it, nor their tests suggested"
    )
    sources: list[Id]


class SafetyRule(Sourced):
    """Combine flags (and derived facts) into a level; the highest matching rule wins."""

    id: Id
    level: Urgency
    any_of: list[Id] = []
    min_count: int = Field(1, ge=1)
    requires: list[Id] = Field(
        [], description="flags that must be among those met (a spinal-infection warning needs the fever)"
    )
    message: str


class Criterion(Sourced):
    """A named clinical constant the engine uses (cut-offs, bands, minimal important changes)."""

    id: Id
    name: str
    value: float
    unit: str | None = None
    moderate_at: float | None = None
    severe_at: float | None = None
    bands: list[tuple[float, str]] = Field([], description="upper bound (inclusive) and label, in rising order")
    summary: str


# --- coverage -------------------------------------------------------------------------------


class CoverageRule(Model):
    """A question the symptoms raise and the tests that answer it (any one is enough).

    It applies when the person has symptoms in one of ``regions`` or made worse by one of
    ``aggravated_by``; a ``default`` rule applies when no other does.
    """

    id: Id
    name: str
    question: str = Field(description="what to examine, in plain words")
    regions: list[Id] = []
    aggravated_by: list[Id] = []
    default: bool = False
    pattern: Id | None = Field(
        None, description="the pattern it asks about: not asked when a finding argues against it"
    )
    tests: list[Id] = Field(min_length=1, description="the tests that answer it, the preferred first")
    sources: list[Id]


# --- claims -------------------------------------------------------------------------------


class Claim(Model):
    id: Id
    seed: str = Field(description="file name under shared/seeds")
    claim: str = Field(description="the seed's claim, in our words")
    topic: Literal["cause", "pattern", "test", "treatment", "prevention", "anatomy", "referral"]
    kb: list[Id] = Field(description="knowledge ids that carry the claim")
    status: Literal["supported", "partly_supported", "contradicted", "unsupported"]
    note: str
    sources: list[Id]
