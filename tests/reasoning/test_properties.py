"""Properties that must hold for every valid assessment (hypothesis over the synthetic generator)."""

from __future__ import annotations

import copy
import json
import random
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rebalance.api import analyse_document
from rebalance.knowledge.loader import default
from rebalance.reasoning.rules import SEVERITY_RANK
from rebalance.reasoning.safety import RANK
from tests.factories import assessment, mirror
from tests.synthetic import random_assessment

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
seeds = st.integers(min_value=0, max_value=2**32 - 1)


def generated(seed: int, flags: bool = True) -> dict[str, Any]:
    return random_assessment(default(), random.Random(seed), flags=flags)


@SETTINGS
@given(seeds)
def test_any_valid_assessment_is_analysed(seed: int) -> None:
    doc = analyse_document(generated(seed))
    assert doc["safety"]["level"] in RANK
    for f in doc["findings"]:
        assert 0 < f["confidence"] <= 0.95 and f["evidence"]
    json.dumps(doc)  # serialisable


@SETTINGS
@given(seeds)
def test_analysis_is_deterministic(seed: int) -> None:
    data = generated(seed)
    a = json.dumps(analyse_document(copy.deepcopy(data)), sort_keys=True)
    b = json.dumps(analyse_document(copy.deepcopy(data)), sort_keys=True)
    assert a == b


def _mirror_id(fid: str) -> str:
    return ":".join({"left": "right", "right": "left"}.get(p, p) for p in fid.split(":"))


@SETTINGS
@given(seeds)
def test_mirroring_left_and_right_mirrors_the_findings(seed: int) -> None:
    data = generated(seed)
    original = analyse_document(data)
    mirrored = analyse_document(mirror(data))
    expect = {_mirror_id(f["id"]): (f["severity"], f["confidence"]) for f in original["findings"]}
    got = {f["id"]: (f["severity"], f["confidence"]) for f in mirrored["findings"]}
    assert got == expect
    assert original["safety"]["level"] == mirrored["safety"]["level"]
    assert {p["id"]: p["confidence"] for p in original["patterns"]} == {
        p["id"]: p["confidence"] for p in mirrored["patterns"]
    }


def _numeric_norms() -> list[tuple[str, str, str, bool, float, float]]:
    """(test, field, finding base, lower_is_worse, field min, field max) for sided numeric norms."""
    out = []
    for t in default().test.values():
        if t.layout != "sided":
            continue
        fields = {f.name: f for f in t.fields}
        for n in t.norms:
            c = n.when[0]
            f = fields[c.field]
            if len(n.when) == 1 and c.op in ("gt", "ge", "lt", "le") and f.min is not None and f.max is not None:
                out.append((t.id, c.field, f"{n.finding.kind}:{n.finding.target}", c.op in ("lt", "le"), f.min, f.max))
    return out


NUMERIC_NORMS = _numeric_norms()


@SETTINGS
@given(
    st.sampled_from(NUMERIC_NORMS),
    st.floats(0, 1),
    st.floats(0, 1),
    st.sampled_from(["left", "right"]),
    st.sampled_from(["female", "male", "other"]),
)
def test_a_worse_measurement_never_lowers_a_severity(
    norm: tuple[str, str, str, bool, float, float], a: float, b: float, side: str, sex: str
) -> None:
    test, fld, base, lower_is_worse, lo, hi = norm
    v1, v2 = sorted((lo + a * (hi - lo), lo + b * (hi - lo)))
    better, worse = (v2, v1) if lower_is_worse else (v1, v2)
    field = next(f for f in default().test[test].fields if f.name == fld)

    def severity(value: float) -> int:
        v: float | int = round(value) if field.type == "integer" else round(value, 1)
        if field.step:  # a graded field (e.g. a strength grade in halves) takes only its steps
            v = round(value / field.step) * field.step
        doc = analyse_document(assessment(client={"sex": sex}, tests={test: {side: {fld: v}}}))
        ranks = [
            SEVERITY_RANK[f["severity"]] for f in doc["findings"] if f["id"].startswith(base) and f["side"] == side
        ]
        return max(ranks, default=0)

    assert severity(worse) >= severity(better)


@SETTINGS
@given(seeds, st.data())
def test_adding_a_red_flag_never_lowers_the_safety_level(seed: int, data: st.DataObject) -> None:
    doc = generated(seed)
    ticked = sorted(k for k, f in default().red_flags.items() if not f.derived)
    extra = data.draw(st.sampled_from([f for f in ticked if f not in doc["red_flags"]]))
    before = RANK[analyse_document(doc)["safety"]["level"]]
    doc["red_flags"] = [*doc["red_flags"], extra]
    after = RANK[analyse_document(doc)["safety"]["level"]]
    assert after >= before
