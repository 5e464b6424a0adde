"""Progression: the pain-monitoring model and the 2-for-2 rule, then revision and outcomes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rebalance.api import analyse_file
from rebalance.errors import InvalidInputError
from rebalance.knowledge.loader import default
from rebalance.programs.logs import Entry, logs_of, parse_logs, parse_session
from rebalance.programs.progress import apply, decide, zones
from tests.conftest import EXAMPLES
from tests.factories import ruled_out

FOLLOWUP = EXAMPLES / "followup"
REPS_ITEM = {
    "exercise_id": "glute_bridge",
    "intent": "activate",
    "dosage": {"sets": 2, "reps": 12, "hold_s": None, "days_per_week": 3, "rest_s": 30},
}
HOLD_ITEM = {
    "exercise_id": "supine_piriformis_stretch",
    "intent": "lengthen",
    "dosage": {"sets": 3, "reps": None, "hold_s": 30, "days_per_week": 7, "rest_s": 15},
}


def entry(**kw: Any) -> Entry:
    return Entry(**{"exercise_id": "glute_bridge", "done": True, "sets": 2, **kw})


def verdict(item: dict[str, Any], *entries: Entry, baseline: int = 4) -> str:
    return decide(item, list(entries), baseline, zones(default()))[0]


def test_two_good_sessions_above_target_progress() -> None:
    assert verdict(REPS_ITEM, entry(reps=14, pain_during=2), entry(reps=15, pain_during=1)) == "progress"


def test_one_good_session_is_not_enough() -> None:
    assert verdict(REPS_ITEM, entry(reps=12, pain_during=1), entry(reps=15, pain_during=1)) == "hold"
    assert verdict(REPS_ITEM, entry(reps=15, pain_during=1)) == "hold"


def test_reps_at_target_but_not_two_over_hold() -> None:
    assert verdict(REPS_ITEM, entry(reps=13, pain_during=0), entry(reps=13, pain_during=0)) == "hold"


def test_pain_over_five_regresses() -> None:
    assert verdict(REPS_ITEM, entry(reps=15, pain_during=1), entry(reps=15, pain_during=6)) == "regress"


def test_acceptable_pain_holds() -> None:
    assert verdict(REPS_ITEM, entry(reps=15, pain_during=4), entry(reps=15, pain_during=5)) == "hold"


def test_worse_next_morning_holds_then_regresses() -> None:
    assert verdict(REPS_ITEM, entry(reps=12, pain_during=2, pain_next_morning=6), baseline=4) == "hold"
    assert (
        verdict(
            REPS_ITEM,
            entry(reps=12, pain_during=2, pain_next_morning=5),
            entry(reps=12, pain_during=2, pain_next_morning=6),
        )
        == "regress"
    )


def test_worse_stiffness_counts_like_pain() -> None:
    assert (
        verdict(
            HOLD_ITEM,
            entry(hold_s=30, pain_during=1, stiffness_next_morning=2),
            entry(hold_s=30, pain_during=1, stiffness_next_morning=4),
        )
        == "hold"
    )


def test_holds_progress_when_the_full_hold_is_done_twice() -> None:
    assert (
        verdict(HOLD_ITEM, entry(sets=3, hold_s=30, pain_during=1), entry(sets=3, hold_s=30, pain_during=2))
        == "progress"
    )
    assert (
        verdict(HOLD_ITEM, entry(sets=2, hold_s=30, pain_during=1), entry(sets=3, hold_s=30, pain_during=2)) == "hold"
    )


def test_nothing_done_holds() -> None:
    assert verdict(REPS_ITEM) == "hold"
    assert verdict(REPS_ITEM, Entry(exercise_id="glute_bridge", done=False)) == "hold"


pain = st.integers(min_value=0, max_value=10)
reps = st.integers(min_value=0, max_value=30)
entries_st = st.lists(
    st.builds(
        lambda r, p, m, s: entry(reps=r, pain_during=p, pain_next_morning=m, stiffness_next_morning=s),
        reps,
        pain,
        pain,
        pain,
    ),
    min_size=1,
    max_size=6,
)


@settings(max_examples=300, deadline=None)
@given(entries_st, st.integers(0, 10), st.integers(0, 10), st.integers(0, 10))
def test_more_pain_never_progresses_an_exercise(
    entries: list[Entry], more_during: int, more_morning: int, baseline: int
) -> None:
    before = verdict(REPS_ITEM, *entries, baseline=baseline)
    last = entries[-1]
    worse = last.model_copy(
        update={
            "pain_during": min(10, (last.pain_during or 0) + more_during),
            "pain_next_morning": min(10, (last.pain_next_morning or 0) + more_morning),
        }
    )
    after = verdict(REPS_ITEM, *entries[:-1], worse, baseline=baseline)
    order = {"regress": 0, "hold": 1, "progress": 2}
    assert order[after] <= order[before]


def test_progression_never_picks_an_exercise_the_conditions_rule_out_or_unequipped() -> None:
    kb = default()
    ex = kb.exercise["glute_bridge"]
    assert ex.progressions, "glute_bridge has progressions to choose from"
    item = {**REPS_ITEM, "name": ex.name, "difficulty": ex.difficulty, "why": "w"}
    # pregnancy rules out every progression of the bridge (all lie on the back): the dose steps up instead
    assert all(ruled_out(["pregnancy"], p) for p in ex.progressions)
    pregnant = {"conditions": ["pregnancy"], "equipment": sorted(kb.equipment)}
    assert apply(kb, item, "progress", pregnant)["exercise_id"] == "glute_bridge"
    open_client = {"conditions": [], "equipment": sorted(kb.equipment)}
    harder = apply(kb, item, "progress", open_client)
    assert harder["exercise_id"] in ex.progressions
    assert kb.exercise[harder["exercise_id"]].difficulty >= ex.difficulty
    home = sorted(e.id for e in kb.equipment.values() if e.household)
    first_home = next(p for p in ex.progressions if set(kb.exercise[p].equipment) <= set(home))
    assert apply(kb, item, "progress", {"conditions": [], "equipment": home})["exercise_id"] == first_home
    only_chair = {"conditions": [], "equipment": ["chair"]}  # no mat: every progression needs one
    assert apply(kb, item, "progress", only_chair)["exercise_id"] == "glute_bridge"


def test_a_regression_is_the_easier_variation_the_client_may_do() -> None:
    kb = default()
    ex = kb.exercise["single_leg_balance"]
    item = {**HOLD_ITEM, "exercise_id": ex.id, "name": ex.name, "intent": ex.intent, "difficulty": 2, "why": "w"}
    client = {"conditions": ["balance_impairment"], "equipment": sorted(kb.equipment)}
    assert apply(kb, item, "regress", client)["exercise_id"] == "supported_single_leg_balance"
    easier = kb.exercise["supported_single_leg_balance"]
    held = {**item, "exercise_id": easier.id, "name": easier.name, "difficulty": 1}
    assert apply(kb, held, "progress", client)["exercise_id"] == easier.id  # free stance is ruled out: the dose steps


def test_without_a_harder_variation_the_dose_steps_up_and_is_capped() -> None:
    kb = default()
    client = {"conditions": [], "equipment": sorted(kb.equipment)}
    stretch = {
        **HOLD_ITEM,
        "name": "x",
        "difficulty": 1,
        "why": "w",
        "dosage": {"sets": 3, "reps": None, "hold_s": 55, "days_per_week": 7, "rest_s": 0},
    }
    assert not kb.exercise["seated_piriformis_stretch"].progressions
    stepped = apply(kb, {**stretch, "exercise_id": "seated_piriformis_stretch"}, "progress", client)
    assert stepped["dosage"]["hold_s"] == 60  # a stretch hold is capped at 60 s
    breathing = {
        **stretch,
        "exercise_id": "seated_breathing",
        "intent": "relaxation",
        "dosage": {"kind": "timed", "sets": 1, "reps": None, "hold_s": None, "minutes": 3, "days_per_week": 7},
    }
    assert apply(kb, breathing, "progress", client)["dosage"]["minutes"] == 4  # a minute more, not a stretch cap
    assert apply(kb, breathing, "regress", client)["dosage"]["minutes"] == 2


# ----------------------------------------------------------------- the multi-week scenario


def run(cli: Any, *args: str) -> tuple[int, dict[str, Any]]:
    code, out, err = cli(*args)
    assert code == 0, err
    return code, json.loads(out)


def test_weeks_of_progress_then_a_flare_then_maintenance(cli: Any, tmp_path: Path) -> None:
    start = analyse_file(EXAMPLES / "piriformis_right.yaml")
    assert start["program"]["mode"] == "full"
    first = tmp_path / "analysis.json"
    first.write_text(json.dumps(start))

    # weeks 1-2: the band walks and the stretch go well -> progress (2-for-2)
    _, week2 = run(cli, "progress", str(first), str(FOLLOWUP / "piriformis_logs_weeks1-2.yaml"), "--json")
    decisions = {d["exercise_id"]: d for d in week2["decisions"]}
    assert decisions["lateral_band_walk"]["decision"] == "progress"
    assert decisions["seated_piriformis_stretch"]["decision"] == "progress"
    assert decisions["bird_dog"]["decision"] == "hold"  # never logged: unknown, not progressed
    assert week2["program"]["version"] == 2
    stretch = next(i for i in week2["program"]["items"] if i["exercise_id"] == "seated_piriformis_stretch")
    assert stretch["dosage"]["hold_s"] == 40

    # week 3: a flare -> the stretch regresses
    second = tmp_path / "analysis_v2.json"
    second.write_text(json.dumps({**start, "program": week2["program"]}))
    _, week3 = run(cli, "progress", str(second), str(FOLLOWUP / "piriformis_logs_flare_week3.yaml"), "--json")
    flare = {d["exercise_id"]: d for d in week3["decisions"]}
    assert flare["seated_piriformis_stretch"]["decision"] == "regress"
    assert flare["seated_piriformis_stretch"]["new_dosage"]["hold_s"] == 30

    # week 6: findings resolved -> maintenance, with the reasons in the diff
    _, week6 = run(
        cli,
        "progress",
        str(first),
        str(FOLLOWUP / "piriformis_logs_weeks1-2.yaml"),
        "--assessment",
        str(FOLLOWUP / "piriformis_right_week6.yaml"),
        "--json",
    )
    diff = week6["diff"]
    assert diff["mode"] == {"from": "full", "to": "maintenance", "reason": diff["mode"]["reason"]}
    assert "tight:piriformis:right" in diff["resolved_findings"]
    removed = {c["exercise_id"]: c["reason"] for c in diff["items"] if c["change"] == "removed"}
    assert "has resolved: a tight right piriformis" in removed["seated_piriformis_stretch"]
    assert week6["analysis"]["program"]["mode"] == "maintenance"


def test_outcomes_judge_change_against_the_minimal_important_change(cli: Any) -> None:
    _, result = run(
        cli,
        "outcomes",
        str(FOLLOWUP / "piriformis_right_week6.yaml"),
        str(EXAMPLES / "piriformis_right.yaml"),
        "--logs",
        str(FOLLOWUP / "piriformis_logs_weeks1-2.yaml"),
        "--json",
    )
    changes = {c["measure"]: c for c in result["changes"]}
    assert [a["date"] for a in result["assessments"]] == ["2026-04-14", "2026-05-26"]  # sorted by date
    assert changes["pain_now"]["judgement"] == "improved" and changes["pain_now"]["change"] == -4
    assert changes["odi_percent"]["judgement"] == "improved"
    assert changes["hip_internal_rotation.deg.right"]["direction"] == "better"
    assert result["asymmetries"][0]["restored"] is True
    assert result["adherence"]["percent"] is not None


def test_small_pain_change_is_not_important() -> None:
    from rebalance.programs.outcomes import _judge_pain

    assert _judge_pain(default(), 8, 7)["judgement"] == "no important change"
    assert _judge_pain(default(), 3, 2)["judgement"] == "improved"  # 33 % relative
    assert _judge_pain(default(), 3, 6)["judgement"] == "worse"


def test_invalid_logs_are_refused_with_the_field(cli: Any, tmp_path: Path) -> None:
    start = tmp_path / "analysis.json"
    start.write_text(json.dumps(analyse_file(EXAMPLES / "piriformis_right.yaml")))
    bad = tmp_path / "logs.yaml"
    bad.write_text(
        "schema: rebalance.logs/1\nsessions:\n  - date: 2026-04-15\n    entries:\n"
        "      - {exercise_id: glute_bridge, done: true, pain_during: 11}\n"
    )
    code, out, err = cli("progress", str(start), str(bad))
    assert code == 2 and out == ""
    assert "sessions[0].entries[0].pain_during" in err


def test_progress_needs_an_analysis_document(cli: Any, tmp_path: Path) -> None:
    wrong = tmp_path / "x.json"
    wrong.write_text("{}")
    code, _, err = cli("progress", str(wrong), str(FOLLOWUP / "piriformis_logs_weeks1-2.yaml"))
    assert code == 2 and "expected an analysis document" in err


def test_logs_parse_from_data() -> None:
    logs = parse_logs({"schema": "rebalance.logs/1", "sessions": [{"date": "2026-01-02", "entries": []}]})
    assert logs.sessions[0].date.isoformat() == "2026-01-02"


def test_sessions_checked_one_at_a_time_make_the_same_logs() -> None:
    """``parse_session`` checks a session as ``parse_logs`` checks each; ``logs_of`` puts checked ones together."""
    sessions = [
        {"date": "2026-01-02", "entries": [{"exercise_id": "glute_bridge", "done": True, "sets": 2, "reps": 12}]},
        {"date": "2026-01-04", "entries": [{"exercise_id": "glute_bridge", "done": True, "pain_during": 3}]},
    ]
    whole = parse_logs({"schema": "rebalance.logs/1", "sessions": sessions})
    assert logs_of([parse_session(s) for s in sessions]) == whole


@pytest.mark.parametrize(
    ("session", "where"),
    [
        ({"date": "2026-01-02", "entries": [{"exercise_id": "x", "done": True, "reps": 201}]}, "entries[0].reps"),
        ({"date": "2026-01-02", "entries": [{"exercise_id": "x", "done": "yes"}]}, "entries[0].done"),
        ({"date": "not a day", "entries": []}, "date"),
        ({"entries": []}, "date"),
        ([], ""),
    ],
)
def test_a_session_the_library_refuses_names_the_field(session: Any, where: str) -> None:
    with pytest.raises(InvalidInputError) as refused:
        parse_session(session, "stored session")
    assert [(p.file, p.path) for p in refused.value.problems] == [("stored session", where)]


def test_walking_steps_by_minutes_within_a_worthwhile_bout_up_to_its_aim() -> None:
    kb = default()
    walk = {
        "exercise_id": "walking",
        "intent": "aerobic",
        "name": "Brisk walking",
        "difficulty": 1,
        "why": "w",
        "dosage": {"kind": "timed", "sets": 1, "reps": None, "hold_s": None, "minutes": 20, "days_per_week": 3},
    }
    client = {"conditions": [], "equipment": sorted(kb.equipment)}

    def after(decision: str, minutes: int, days: int = 3) -> tuple[int, int]:
        dose = apply(
            kb, {**walk, "dosage": {**walk["dosage"], "minutes": minutes, "days_per_week": days}}, decision, client
        )["dosage"]
        return dose["minutes"], dose["days_per_week"]

    assert after("regress", 20) == (15, 3)
    assert after("progress", 20) == (25, 3)
    assert after("regress", 10) == (5, 3)  # a walk that was too much gets shorter, down to 5 minutes
    assert after("regress", 5) == (5, 2)  # then a day fewer
    assert after("regress", 5, days=2) == (5, 2)  # the least: nothing to step down to
    assert after("progress", 30) == (30, 4)  # at the aim of 30 minutes: a day more
    assert after("progress", 30, days=5) == (30, 5)  # at the aim: 30 minutes on 5 days, 150 a week


def test_a_walk_stored_in_seconds_steps_in_minutes() -> None:
    kb = default()
    old = {
        "exercise_id": "walking",
        "intent": "aerobic",
        "name": "Brisk walking",
        "difficulty": 1,
        "why": "w",
        "dosage": {"sets": 1, "reps": None, "hold_s": 1200, "days_per_week": 5, "rest_s": 0},
    }
    client = {"conditions": [], "equipment": sorted(kb.equipment)}
    stepped = apply(kb, old, "progress", client)["dosage"]
    assert (stepped["minutes"], stepped["hold_s"], stepped["kind"]) == (25, None, "timed")
    older_log = entry(exercise_id="walking", sets=None, hold_s=1200, pain_during=1)
    assert verdict(old, older_log, older_log) == "progress"  # a walk logged in seconds is read as minutes


def test_adherence_counts_the_days_logged_not_a_whole_week() -> None:
    from rebalance.programs.progress import adherence

    program = {"items": [{"dosage": {"days_per_week": 7}}, {"dosage": {"days_per_week": 7}}]}
    one_day = parse_logs(
        {
            "schema": "rebalance.logs/1",
            "sessions": [
                {
                    "date": "2026-01-05",
                    "entries": [{"exercise_id": "a", "done": True}, {"exercise_id": "b", "done": True}],
                }
            ],
        }
    )
    assert adherence(program, one_day)["percent"] == 100.0
    two_weeks_half = parse_logs(
        {
            "schema": "rebalance.logs/1",
            "sessions": [
                {"date": f"2026-01-{d:02d}", "entries": [{"exercise_id": "a", "done": True}]} for d in range(5, 19)
            ],
        }
    )
    assert adherence(program, two_weeks_half)["percent"] == 50.0


def _good_session(program: dict[str, Any], day: str) -> dict[str, Any]:
    """Every item done beyond its dose, with little pain: what earns a step up."""
    entries = []
    for item in program["items"]:
        d = item["dosage"]
        entry: dict[str, Any] = {"exercise_id": item["exercise_id"], "done": True, "pain_during": 1}
        entry |= {"pain_next_morning": 1, "sets": d.get("sets") or 1}
        if d.get("reps"):
            entry["reps"] = d["reps"] + 3
        if d.get("hold_s"):
            entry["hold_s"] = d["hold_s"] + 15
        if d.get("minutes"):
            entry["minutes"] = d["minutes"] + 5
        entries.append(entry)
    return {"date": day, "entries": entries}


@pytest.mark.parametrize("case", sorted(p.stem for p in EXAMPLES.glob("*.yaml")))
def test_a_step_up_never_costs_an_item_days_a_week(case: str) -> None:
    """Going well moves a dose up where the week has room, else says there is no room; it never buys a
    harder dose with fewer days a week, for that item or another (the week fitted again)."""
    from rebalance.programs.logs import parse_logs
    from rebalance.programs.progress import progress

    doc = analyse_file(EXAMPLES / f"{case}.yaml")
    program = doc["program"]
    if not program:
        return
    logs = parse_logs(
        {"schema": "rebalance.logs/1", "sessions": [_good_session(program, d) for d in ("2026-12-01", "2026-12-03")]}
    )
    result = progress(default(), doc, logs)
    before = {i["exercise_id"]: i["dosage"]["days_per_week"] for i in program["items"]}
    for item in result["program"]["items"]:
        if item["exercise_id"] in before:
            assert item["dosage"]["days_per_week"] >= before[item["exercise_id"]], (case, item["exercise_id"])


# ----------------------------------------------------------------- a step down is never more


def _volume(dose: dict[str, Any]) -> int:
    """A dose's weekly volume: days × minutes, or days × sets × repetitions × seconds held (each that it has)."""
    if dose.get("minutes"):
        return int(dose["days_per_week"] * dose["minutes"])
    return int(dose["days_per_week"] * dose["sets"] * (dose.get("reps") or 1) * (dose.get("hold_s") or 1))


def _too_much(program: dict[str, Any], day: str) -> dict[str, Any]:
    """Every item done as asked, with pain 6/10 during: too much."""
    entries = []
    for item in program["items"]:
        d = item["dosage"]
        entry: dict[str, Any] = {"exercise_id": item["exercise_id"], "done": True, "pain_during": 6}
        entry |= {k: d[k] for k in ("sets", "reps", "hold_s", "minutes") if d.get(k)}
        entries.append(entry)
    return {"date": day, "entries": entries}


@pytest.mark.parametrize("minutes", [10, 20, 45])
@pytest.mark.parametrize("case", sorted(p.stem for p in EXAMPLES.glob("*.yaml")))
def test_a_step_down_is_never_more_than_the_dose_done(case: str, minutes: int) -> None:
    """After a session that was too much, every item's next step (and the next version's dose) is never
    more than the dose the patient did: never more days, sets, repetitions, seconds or minutes, and never a
    larger weekly volume; in a week too short for the full prescription, less than what the week held."""
    from rebalance.programs.progress import decisions, progress

    kb = default()
    doc = analyse_file(EXAMPLES / f"{case}.yaml", kb, minutes)
    program = doc["program"]
    if not program:
        return
    logs = logs_of([parse_session(_too_much(program, "2026-12-01"), "s")])
    before = {i["exercise_id"]: i["dosage"] for i in program["items"]}
    said = decisions(kb, doc, logs)
    assert {d["decision"] for d in said} == {"regress"}
    after = {i["exercise_id"]: i for i in progress(kb, doc, logs)["program"]["items"]}
    for d in said:
        done = before[d["exercise_id"]]
        new = d.get("new_dosage") or done
        assert new["days_per_week"] <= done["days_per_week"], d
        assert (new.get("sets") or 1) <= (done.get("sets") or 1), d
        if "new_exercise_id" not in d:
            for k in ("reps", "hold_s", "minutes"):
                assert (new.get(k) or 0) <= (done.get(k) or 0), d
            assert _volume(new) <= _volume(done), d
            assert "next_step" not in d or _volume(new) < _volume(done), d
        fitted = after.get(d.get("new_exercise_id", d["exercise_id"]))
        if fitted is not None and "new_exercise_id" not in d:
            assert _volume(fitted["dosage"]) <= _volume(done), d


def test_the_demos_too_much_session_steps_down_each_dose_tom_was_given() -> None:
    """The tester's session of pain 6/10: the plank on the knees done at 3 sets of 4 gets fewer sets (not
    5 repetitions), the stretch the week held on 4 days keeps 4 days (not every day), the walk gets shorter."""
    from rebalance.programs.progress import decisions

    kb = default()
    doc = analyse_file(EXAMPLES / "lower_crossed_desk_worker.yaml", kb)
    logs = logs_of([parse_session(_too_much(doc["program"], "2026-12-01"), "s")])
    said = {d["exercise_id"]: d for d in decisions(kb, doc, logs)}
    assert said["plank_on_knees"]["next_step"] == "Front plank on the knees: 2 sets of 4, hold 10 s, 3 days a week"
    assert said["prone_quad_stretch"]["next_step"].endswith("3 sets, hold 20 s, 4 days a week")
    assert said["walking"]["next_step"] == "Brisk walking for 5 minutes on 3 days a week"


def test_keep_going_says_in_plain_words_which_dose_and_what_earns_the_next_step() -> None:
    """Every exercise held: the words name its dose and what two sessions in a row must reach, in its own
    unit (repetitions, seconds held, minutes), and the pain allowed; no "target" left unexplained."""
    from rebalance.programs.dose import dose_text
    from rebalance.programs.progress import keep_going

    kb, z = default(), zones(default())
    for ex in kb.exercise.values():
        d = ex.dosage
        dose = {"kind": d.kind, "sets": d.sets, "reps": d.reps, "hold_s": d.hold_s, "minutes": d.minutes}
        item = {"exercise_id": ex.id, "intent": ex.intent, "dosage": {**dose, "days_per_week": d.days_per_week}}
        said = verdict(item, entry(exercise_id=ex.id, sets=d.sets, reps=d.reps, pain_during=1))
        words = keep_going(item, z)
        assert said == "hold", ex.id
        assert decide(item, [entry(exercise_id=ex.id, sets=d.sets, pain_during=1)], 4, z)[1] == words
        assert words.startswith(f"keep going at {dose_text(item['dosage'])}. When you manage "), ex.id
        assert "target" not in words and f"pain no more than {z.safe}/10" in words, ex.id
        if d.kind == "timed":
            assert f"the full {d.minutes} minutes two sessions in a row" in words, ex.id
        elif d.kind == "reps" and d.reps:
            assert f"{d.reps + z.over_target} or more repetitions in the last set" in words, ex.id
        elif d.hold_s:
            assert f"holding {d.hold_s} s or more" in words, ex.id
