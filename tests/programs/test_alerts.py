"""The clinician's alerts: red flags, pain getting worse, sessions missed — each with what it rests on."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rebalance.api import analyse_file
from rebalance.knowledge.loader import default, load
from rebalance.programs.alerts import has_red_flag, longest_gap, patient_alerts
from tests.conftest import EXAMPLES, edit_yaml, record
from tests.factories import analysis

TODAY = dt.date(2026, 11, 30)


@dataclass(frozen=True)
class Entry:
    done: bool = True
    pain_during: int | None = None
    pain_next_morning: int | None = None


@dataclass(frozen=True)
class Session:
    performed_on: dt.date
    entries: list[Entry] = field(default_factory=list)


@dataclass(frozen=True)
class CheckIn:
    checked_on: dt.date
    level: str
    answers: list[str] = field(default_factory=list)
    created_at: dt.datetime | None = None


def days_ago(n: int) -> dt.date:
    return TODAY - dt.timedelta(days=n)


def pains(*values: int, last_days_ago: int = 0, step: int = 2) -> list[Session]:
    """Sessions every ``step`` days, the last ``last_days_ago`` days ago, with these pains during."""
    n = len(values)
    return [Session(days_ago(last_days_ago + step * (n - 1 - i)), [Entry(pain_during=v)]) for i, v in enumerate(values)]


def daily_program(reassess_on: str = "2026-12-28") -> dict[str, Any]:
    """The example's program, its reassessment day moved (by default after TODAY: not yet due)."""
    program: dict[str, Any] = analyse_file(EXAMPLES / "piriformis_right.yaml")["program"]
    return {**program, "reassess_on": reassess_on}


def weekly_program() -> dict[str, Any]:
    walk = [{"exercise_id": "walking", "seconds": 1200}]
    days = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    schedule = [{"day": d, "minutes": 20.0 if d == "Mon" else 0.0, "items": walk if d == "Mon" else []} for d in days]
    return {"sessions_per_week": 1, "schedule": schedule, "based_on": "2026-11-01", "items": []}


def kinds(alerts: list[Any]) -> list[str]:
    return [a.kind for a in alerts]


# red flags


def test_nothing_to_say_about_a_patient_without_records() -> None:
    assert patient_alerts(default(), None, None, [], [], TODAY) == []


def test_a_clear_assessment_raises_no_red_flag() -> None:
    doc = analysis()
    assert doc["safety"]["level"] == "clear"
    assert patient_alerts(default(), doc, None, [], [], TODAY) == []


def test_a_caution_assessment_is_a_red_flag_to_review() -> None:
    doc = analyse_file(EXAMPLES / "high_start_back_caution.yaml")
    assert doc["safety"]["level"] == "caution"
    (alert,) = patient_alerts(default(), doc, None, [], [], TODAY)
    assert (alert.kind, alert.severity) == ("red_flag", "medium")
    assert alert.message.endswith(
        "caution (high STarT Back risk). Review the program with the patient before they go on."
    )
    assert alert.dates == [dt.date.fromisoformat(doc["date"])]
    assert alert.values[0] == "caution"
    assert {f["id"] for f in doc["safety"]["flags"]} <= set(alert.values)


def test_an_emergency_assessment_is_a_high_red_flag() -> None:
    doc = analyse_file(EXAMPLES / "cauda_equina_emergency.yaml")
    (alert,) = patient_alerts(default(), doc, None, [], [], TODAY)
    assert (alert.kind, alert.severity, alert.values[0]) == ("red_flag", "high", "emergency")


def test_an_urgent_check_in_since_the_assessment_is_a_red_flag() -> None:
    doc = analysis(date="2026-11-01")
    urgent = CheckIn(dt.date(2026, 11, 20), "urgent", ["fever", "immunosuppression"])
    (alert,) = patient_alerts(default(), doc, None, [], [urgent], TODAY)
    assert (alert.kind, alert.severity) == ("red_flag", "high")
    assert alert.dates == [dt.date(2026, 11, 20)]
    assert alert.values == ["urgent", "fever", "immunosuppression"]
    assert "fever" in alert.message


def test_a_check_in_on_the_assessments_day_counts_only_if_stored_after_it() -> None:
    """As what stops the patient's program (``safety.since_assessment``): an assessment later that day has
    seen the person since; one stored before the check-in has not. A time not known counts it."""
    doc = analysis(date="2026-11-10")
    assessed = dt.datetime(2026, 11, 10, 15, tzinfo=dt.UTC)
    morning = CheckIn(dt.date(2026, 11, 10), "urgent", ["fever"], dt.datetime(2026, 11, 10, 8, tzinfo=dt.UTC))
    evening = CheckIn(dt.date(2026, 11, 10), "urgent", ["fever"], dt.datetime(2026, 11, 10, 20, tzinfo=dt.UTC))
    assert patient_alerts(default(), doc, None, [], [morning], TODAY, assessment_stored_at=assessed) == []
    (alert,) = patient_alerts(default(), doc, None, [], [evening], TODAY, assessment_stored_at=assessed)
    assert (alert.kind, alert.dates) == ("red_flag", [dt.date(2026, 11, 10)])
    assert kinds(patient_alerts(default(), doc, None, [], [morning], TODAY)) == ["red_flag"]


def test_a_check_in_before_the_latest_assessment_or_below_urgent_is_not_an_alert() -> None:
    doc = analysis(date="2026-11-10")
    old = CheckIn(dt.date(2026, 11, 3), "emergency", ["saddle_anaesthesia"])
    caution = CheckIn(dt.date(2026, 11, 20), "caution", ["night_pain"])
    assert patient_alerts(default(), doc, None, [], [old, caution], TODAY) == []


# pain getting worse


def test_pain_rising_by_the_minimal_important_change_over_three_sessions_is_an_alert() -> None:
    sessions = pains(1, 2, 2, 4)
    (alert,) = patient_alerts(default(), None, None, sessions, [], TODAY)
    assert alert.kind == "pain_worse"
    assert alert.values == [2, 2, 4]
    assert alert.dates == [s.performed_on for s in sessions[-3:]]
    assert alert.criteria == ["alert_pain_trend_sessions", "pain_mic"]
    assert "from 2/10 to 4/10" in alert.message


def test_a_small_rise_or_a_rise_that_fell_back_is_not_an_alert() -> None:
    assert patient_alerts(default(), None, None, pains(2, 3, 3), [], TODAY) == []
    assert patient_alerts(default(), None, None, pains(1, 5, 3), [], TODAY) == []
    assert patient_alerts(default(), None, None, pains(2, 4), [], TODAY) == []  # fewer than three sessions


def test_sessions_are_read_in_date_order_whatever_order_they_come_in() -> None:
    sessions = pains(1, 2, 4)
    assert kinds(patient_alerts(default(), None, None, list(reversed(sessions)), [], TODAY)) == ["pain_worse"]


def test_pain_during_over_the_acceptable_zone_is_an_alert() -> None:
    sessions = pains(6, 6, 6)
    (alert,) = patient_alerts(default(), None, None, sessions, [], TODAY)
    assert alert.criteria == ["pain_monitoring_acceptable"]
    assert alert.values == [6]
    assert "too much" in alert.message


def test_skipped_exercises_do_not_count_their_pain() -> None:
    skipped = [Session(days_ago(0), [Entry(done=False, pain_during=9), Entry(pain_during=2)])]
    assert patient_alerts(default(), None, None, pains(2, 2) + skipped, [], TODAY) == []


def test_next_morning_pain_above_the_pain_at_the_assessment_is_an_alert() -> None:
    doc = analysis(symptoms={"pain_now": 3})
    sessions = [Session(days_ago(2), [Entry(pain_during=2, pain_next_morning=5)])]
    (alert,) = patient_alerts(default(), doc, None, sessions, [], TODAY)
    assert (alert.kind, alert.values) == ("pain_worse", [5, 3])
    settled = [*sessions, Session(days_ago(0), [Entry(pain_during=1, pain_next_morning=3)])]
    assert patient_alerts(default(), doc, None, settled, [], TODAY) == []


def test_the_program_baseline_is_preferred_to_the_latest_assessment() -> None:
    doc = analysis(symptoms={"pain_now": 6})
    program = {**daily_program(), "client": {"baseline_pain": 2}}
    sessions = [Session(TODAY, [Entry(pain_during=1, pain_next_morning=4)])]
    assert kinds(patient_alerts(default(), doc, program, sessions, [], TODAY)) == ["pain_worse"]


# sessions missed


def test_a_week_without_a_session_of_a_daily_program_is_an_alert() -> None:
    program = daily_program()
    assert program["sessions_per_week"] >= 3
    (alert,) = patient_alerts(default(), None, program, pains(1, last_days_ago=7), [], TODAY)
    assert (alert.kind, alert.severity, alert.values) == ("sessions_missed", "low", [7, program["sessions_per_week"]])
    assert alert.dates == [days_ago(7)]
    assert patient_alerts(default(), None, program, pains(1, last_days_ago=6), [], TODAY) == []


def test_with_no_session_logged_the_gap_counts_from_the_start_of_the_program() -> None:
    program = daily_program()
    (alert,) = patient_alerts(default(), None, program, [], [], TODAY, started_on=days_ago(10))
    assert "since the program started" in alert.message
    assert alert.values[0] == 10
    assert patient_alerts(default(), None, program, [], [], TODAY, started_on=days_ago(3)) == []


def test_a_program_of_one_session_a_week_allows_two_weeks() -> None:
    program = weekly_program()
    assert longest_gap(program) == 7
    assert patient_alerts(default(), None, program, pains(1, last_days_ago=13), [], TODAY) == []
    assert kinds(patient_alerts(default(), None, program, pains(1, last_days_ago=14), [], TODAY)) == ["sessions_missed"]


def test_the_gap_a_week_allows_is_read_from_its_schedule() -> None:
    program = daily_program()
    assert longest_gap(program) == 1
    assert longest_gap({"sessions_per_week": 3, "schedule": []}) == 3
    assert longest_gap({"sessions_per_week": 0}) == 0


def test_no_program_no_missed_sessions() -> None:
    assert patient_alerts(default(), None, None, pains(1, last_days_ago=60), [], TODAY) == []


def test_the_thresholds_are_the_knowledge_base_criteria(data_copy: Path) -> None:
    edit_yaml(data_copy / "criteria.yaml", lambda rs: record(rs, "alert_missed_sessions_days").update(value=10))
    kb = load(data_copy)
    program = daily_program()
    assert patient_alerts(kb, None, program, pains(1, last_days_ago=9), [], TODAY) == []
    assert kinds(patient_alerts(kb, None, program, pains(1, last_days_ago=10), [], TODAY)) == ["sessions_missed"]


def test_alerts_come_most_severe_first() -> None:
    doc = analyse_file(EXAMPLES / "high_start_back_caution.yaml")
    urgent = CheckIn(TODAY, "urgent", ["fever"])
    alerts = patient_alerts(default(), doc, daily_program(), pains(1, 3, 5, last_days_ago=9), [urgent], TODAY)
    assert [a.severity for a in alerts] == sorted((a.severity for a in alerts), key=["high", "medium", "low"].index)
    assert kinds(alerts) == ["red_flag", "red_flag", "pain_worse", "sessions_missed"]
    overdue = patient_alerts(default(), doc, daily_program("2026-11-02"), [], [], TODAY, started_on=TODAY)
    assert kinds(overdue)[-1] == "reassessment_due"


# reassessment due


def test_a_reassessment_day_passed_with_no_assessment_since_is_an_alert() -> None:
    program = daily_program("2026-11-16")
    (alert,) = patient_alerts(default(), None, program, [], [], TODAY, started_on=TODAY)
    assert (alert.kind, alert.severity, alert.dates, alert.values) == ("reassessment_due", "low", [days_ago(14)], [14])
    assert alert.message.startswith("Reassessment was due on 16 November 2026, 2 weeks ago")
    assert alert.criteria == ["reassess_weeks"]


def test_a_reassessment_not_yet_due_or_done_since_is_not_an_alert() -> None:
    assert patient_alerts(default(), None, daily_program("2026-11-30"), [], [], TODAY, started_on=TODAY) == []
    due = daily_program("2026-11-16")
    done = patient_alerts(default(), None, due, [], [], TODAY, started_on=TODAY, assessed_on=dt.date(2026, 11, 16))
    assert done == []
    late = patient_alerts(default(), None, due, [], [], TODAY, started_on=TODAY, assessed_on=dt.date(2026, 11, 15))
    assert kinds(late) == ["reassessment_due"]
    assert patient_alerts(default(), None, {**due, "reassess_on": None}, [], [], TODAY, started_on=TODAY) == []


# who has a red flag, from the safety records alone (the patient list's red-flag filter)


@dataclass(frozen=True)
class Records:
    level: str | None
    assessed_on: dt.date | None
    assessment_stored_at: dt.datetime | None
    check_ins: list[CheckIn]


ASSESSED = dt.datetime(2026, 11, 10, 12, tzinfo=dt.UTC)


@functools.cache
def assessed_analysis() -> dict[str, Any]:
    return analysis(date=ASSESSED.date().isoformat())


STORED_AT = st.none() | st.sampled_from([ASSESSED - dt.timedelta(hours=4), ASSESSED, ASSESSED + dt.timedelta(hours=4)])
CHECK_INS = st.builds(
    CheckIn,
    checked_on=st.integers(-3, 3).map(lambda d: ASSESSED.date() + dt.timedelta(days=d)),
    level=st.sampled_from(["clear", "caution", "urgent", "emergency"]),
    answers=st.just(["fever"]),
    created_at=STORED_AT,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    level=st.none() | st.sampled_from(["clear", "caution", "urgent", "emergency"]),
    stored_at=STORED_AT,
    check_ins=st.lists(CHECK_INS, max_size=5),
)
def test_has_red_flag_says_what_the_alerts_say(
    level: str | None, stored_at: dt.datetime | None, check_ins: Any
) -> None:
    """``has_red_flag`` decides the red-flag filter of the patient list from the stored levels without the
    analysis document: whenever the alerts raise a red flag it says so, and only then (the same rule:
    the latest assessment's level, a check-in that stops the program since it, on its day only if stored
    after it)."""
    base = assessed_analysis()
    doc = None if level is None else {**base, "safety": {**base["safety"], "level": level}}
    assessed_on = None if level is None else ASSESSED.date()
    stored = None if level is None else stored_at
    alerts = patient_alerts(
        default(), doc, None, [], check_ins, TODAY, assessed_on=assessed_on, assessment_stored_at=stored
    )
    assert has_red_flag(Records(level, assessed_on, stored, check_ins)) == ("red_flag" in kinds(alerts))


def test_an_assessments_alert_speaks_to_the_clinician_by_warning_sign() -> None:
    """The list names the level, its warning signs and what to do; never the patient's own message."""
    doc = analyse_file(EXAMPLES / "cancer_flags_urgent.yaml")
    (alert,) = [a for a in patient_alerts(default(), doc, None, [], [], TODAY) if a.kind == "red_flag"]
    assert alert.message.startswith("Assessment of 12 August 2026: urgent (history of cancer, pain at night")
    assert "make sure the patient has been seen by a doctor" in alert.message
    assert doc["safety"]["message"] not in alert.message
