"""`rebalance kb check` catches every kind of problem, names file and path, reports all at once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rebalance.knowledge.check import check
from rebalance.knowledge.loader import DATA_DIR
from tests.conftest import edit_yaml, record


def messages(data: Path) -> list[str]:
    return [str(p) for p in check(data)]


def test_packaged_knowledge_base_has_no_problems() -> None:
    assert messages(DATA_DIR) == []


def test_dangling_id_is_reported_with_file_and_path(data_copy: Path) -> None:
    edit_yaml(data_copy / "muscles.yaml", lambda rs: record(rs, "iliopsoas")["antagonists"].append("gluteus_maximum"))
    found = messages(data_copy)
    assert any(
        m.startswith("muscles.yaml: [")
        and "iliopsoas.antagonists[" in m
        and "unknown muscle 'gluteus_maximum' (did you mean gluteus_maximus" in m
        for m in found
    ), found


def test_pattern_sign_that_no_exercise_addresses_is_reported(data_copy: Path) -> None:
    def drop(rs: list[dict[str, Any]]) -> None:
        # remove every exercise that lengthens or releases the piriformis
        for r in rs:
            if r["intent"] in ("lengthen", "release") and "piriformis" in r["primary"]:
                r["primary"] = [m for m in r["primary"] if m != "piriformis"] or ["hip_external_rotators"]
                r["secondary"] = [m for m in r.get("secondary", []) if m != "piriformis"]

    for f in (data_copy / "exercises").glob("*.yaml"):
        edit_yaml(f, drop)
    edit_yaml(data_copy / "muscles.yaml", lambda rs: record(rs, "piriformis").update(part_of=None))
    found = messages(data_copy)
    assert any(
        "patterns.yaml" in m
        and "piriformis_syndrome.signs[0].finding" in m
        and "no exercise addresses supporting finding 'tight:piriformis'" in m
        for m in found
    ), found


def test_progression_cycle_is_reported(data_copy: Path) -> None:
    path = data_copy / "exercises" / "activate.yaml"
    edit_yaml(path, lambda rs: record(rs, "glute_bridge")["regressions"].append("single_leg_bridge"))
    found = messages(data_copy)
    assert any("progression cycle:" in m and "glute_bridge" in m and "single_leg_bridge" in m for m in found), found


def test_exercise_with_no_target_is_reported(data_copy: Path) -> None:
    edit_yaml(
        data_copy / "exercises" / "lengthen.yaml", lambda rs: record(rs, "standing_calf_stretch").update(primary=[])
    )
    found = messages(data_copy)
    assert any(
        m.startswith("exercises/lengthen.yaml") and "standing_calf_stretch.primary: exercise has no target muscle" in m
        for m in found
    ), found


def test_test_with_no_norm_is_reported(data_copy: Path) -> None:
    edit_yaml(data_copy / "tests.yaml", lambda rs: record(rs, "ober").update(norms=[]))
    found = messages(data_copy)
    assert any("tests.yaml" in m and "ober.norms: test has no norm" in m for m in found), found


def test_duplicate_id_is_reported_with_both_places(data_copy: Path) -> None:
    def dup(rs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [*rs, dict(record(rs, "piriformis"))]

    edit_yaml(data_copy / "muscles.yaml", dup)
    found = messages(data_copy)
    assert any("muscles.yaml" in m and "piriformis: duplicate id (first at muscles.yaml:" in m for m in found), found


def test_yaml_error_is_reported_with_line(data_copy: Path) -> None:
    (data_copy / "regions.yaml").write_text("- {id: low_back, name: [unclosed\n", encoding="utf-8")
    found = messages(data_copy)
    assert any(m.startswith("regions.yaml: line ") and "YAML error" in m for m in found), found


def test_clinical_number_without_source_is_reported(data_copy: Path) -> None:
    def strip(rs: list[dict[str, Any]]) -> None:
        record(rs, "modified_thomas")["norms"][0].pop("source")

    edit_yaml(data_copy / "tests.yaml", strip)
    edit_yaml(data_copy / "criteria.yaml", lambda rs: record(rs, "severe_pain").pop("source"))
    found = messages(data_copy)
    assert any("modified_thomas.norms[0]: clinical number without a source" in m for m in found), found
    assert any("criteria.yaml" in m and "severe_pain: clinical number without a source" in m for m in found), found


def test_unknown_source_is_reported(data_copy: Path) -> None:
    edit_yaml(
        data_copy / "patterns.yaml", lambda rs: record(rs, "lower_crossed_syndrome")["sources"].append("jandaa_1987")
    )
    found = messages(data_copy)
    assert any("lower_crossed_syndrome.sources[" in m and "unknown source 'jandaa_1987'" in m for m in found), found


def test_record_that_breaks_its_model_is_reported(data_copy: Path) -> None:
    edit_yaml(data_copy / "exercises" / "strengthen.yaml", lambda rs: record(rs, "front_plank").update(difficulty=7))
    found = messages(data_copy)
    assert any("front_plank.difficulty" in m and "less than or equal to 4" in m for m in found), found


def test_every_problem_is_reported_at_once_and_cli_exits_non_zero(data_copy: Path, cli: Any) -> None:
    edit_yaml(data_copy / "muscles.yaml", lambda rs: record(rs, "iliopsoas")["antagonists"].append("nope_muscle"))
    edit_yaml(data_copy / "tests.yaml", lambda rs: record(rs, "ober").update(norms=[]))
    (data_copy / "regions.yaml").write_text("- [\n", encoding="utf-8")
    code, out, err = cli("--data", str(data_copy), "kb", "check")
    assert code == 1
    assert "nope_muscle" in err and "ober.norms" in err and "regions.yaml: line" in err
    assert "problem(s) in" in err and out == ""


def test_cli_kb_check_passes_on_packaged_data(cli: Any) -> None:
    code, out, err = cli("kb", "check")
    assert code == 0, err
    assert out.startswith("knowledge base OK:")


def test_exercise_whose_figure_cannot_be_drawn_is_reported(data_copy: Path) -> None:
    def break_clamshell(rs: list[dict[str, Any]]) -> None:
        pose = record(rs, "clamshell")["pose"]
        pose["props"] = [{"kind": "mat", "at": "ceiling"}]
        pose["hands"] = {"right": "wall"}

    edit_yaml(data_copy / "exercises" / "activate.yaml", break_clamshell)
    found = messages(data_copy)
    figure = [m for m in found if "clamshell.pose" in m]
    assert any(
        m.startswith("exercises/activate.yaml: [")
        and "clamshell.pose.props: the figure cannot be drawn: a mat cannot be at 'ceiling' (its places: floor)" in m
        for m in figure
    ), found
    assert any(
        "clamshell.pose.hands: the figure cannot be drawn: the right hand rests on 'wall'" in m
        and "the figure has no wall there" in m
        for m in figure
    ), found


def test_exercise_figure_with_an_unknown_prop_is_reported(data_copy: Path) -> None:
    edit_yaml(
        data_copy / "exercises" / "activate.yaml",
        lambda rs: record(rs, "clamshell")["pose"].update(props=[{"kind": "trampoline"}]),
    )
    found = messages(data_copy)
    assert any("clamshell" in m and "pose.props[0].kind" in m and "'mat'" in m for m in found), found
