"""The handout and the clinician's report on paper, read as a person reads them: each page as a PNG
(pdftoppm) and the words (pdftotext).

Every example's handout: at most 2 pages plus one per 3 exercises, no blank page, the clinic's name and
phone, dates as on a letter with the reassessment not in the past, no internal id; a red-flag case says
stop and where to go, and shows no exercise. ``rebalance handout`` and ``rebalance report``: bad input
exits 2 naming the file or field and writes nothing.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from rebalance.api import analyse_case, validate_file
from rebalance.cli import main
from rebalance.knowledge.loader import KnowledgeBase
from rebalance.knowledge.words import long_date
from rebalance.reports.clinician_report import case_report, report_pdf
from rebalance.reports.handout import Clinic, case_handout, handout_pdf, reassessment
from tests.pdftools import id_tokens, ink, needs_poppler, pages, text, word_sizes

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
CLINIC = Clinic("Northside Physio", "0161 496 0000")
LONG_DATE = re.compile(r"(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday) (\d{1,2}) ([A-Z][a-z]+) (\d{4})")
MIN_PT = 7.0  # the smallest print a clinician is asked to read: the charts' ticks, the body map's key
BLANK_INK = 2.0  # grey-level spread of a page with nothing on it is 0; a page with a heading is well above 5

pytestmark = needs_poppler


def _analysis(path: Path, kb: KnowledgeBase) -> dict:
    return analyse_case(validate_file(path, kb), kb).document


def _dates(words: str) -> list[dt.date]:
    return [dt.datetime.strptime(" ".join(m), "%A %d %B %Y").date() for m in LONG_DATE.findall(words)]


@pytest.mark.parametrize("example", sorted(p.name for p in EXAMPLES.glob("*.yaml")))
def test_every_examples_handout_fits_its_pages_and_says_whom_to_call(
    example: str, kb: KnowledgeBase, tmp_path: Path
) -> None:
    today = dt.date.today()
    sheet = case_handout(kb, _analysis(EXAMPLES / example, kb), "Sam Taylor", CLINIC, today)
    pdf = tmp_path / "handout.pdf"
    pdf.write_bytes(handout_pdf(sheet))
    drawn = pages(pdf, tmp_path)
    assert 1 <= len(drawn) <= 2 + len(sheet.exercises) // 3, f"{len(drawn)} pages for {len(sheet.exercises)}"
    assert all(ink(page) > BLANK_INK for page in drawn), [round(ink(page), 2) for page in drawn]
    words = text(pdf)
    assert "Northside Physio" in words and "0161 496 0000" in words and "Sam Taylor" in words
    assert id_tokens(words) == []
    assert long_date(today) in words  # issued today, written as on a letter
    assert all(day >= today for day in _dates(words)), _dates(words)
    if sheet.stops:
        title = "Your program is stopped" if sheet.sessions_per_week else "No exercises for now"  # none was made
        assert (
            title in words
            and "The exercises" not in words
            and "Your program is stopped" not in words.replace(title, "")
        )
        assert sheet.stops[0].message.split(".")[0] in words
    else:
        assert sheet.reassess_on is not None and sheet.reassess_on in words
        assert all(exercise.card.name in words for exercise in sheet.exercises)
        assert all(exercise.card.dose in words for exercise in sheet.exercises)  # what the week holds
        assert "Stop the exercises and get help" in words


def test_the_handout_of_a_red_flag_case_says_stop_and_where_to_go(kb: KnowledgeBase, tmp_path: Path) -> None:
    analysis = _analysis(EXAMPLES / "cauda_equina_emergency.yaml", kb)
    sheet = case_handout(kb, analysis, "Sam Taylor", CLINIC, dt.date.today())
    assert sheet.stops and sheet.exercises == [] and sheet.week == []
    pdf = tmp_path / "stop.pdf"
    pdf.write_bytes(handout_pdf(sheet))
    words = text(pdf)
    (stop,) = sheet.stops
    assert stop.message.startswith("Do not start the exercises. ")  # no program yet: nothing to stop
    assert "No exercises for now" in words and " ".join(stop.message.split()) in " ".join(words.split())
    assert kb.red_flags["saddle_anaesthesia"].where_to_go in words
    assert "Your week" not in words and "The pain rule" not in words


def test_the_reassessment_is_never_a_day_already_past() -> None:
    program = {"reassess_on": "2026-03-30", "reassess_after_weeks": 4}
    assert reassessment(program, dt.date(2026, 3, 1)) == dt.date(2026, 3, 30)  # ahead: as planned
    assert reassessment(program, dt.date(2026, 3, 30)) == dt.date(2026, 3, 30)
    assert reassessment(program, dt.date(2026, 12, 7)) == dt.date(2027, 1, 4)  # gone: 4 weeks from the print
    assert reassessment({"reassess_on": "2026-03-30"}, dt.date(2026, 12, 7)) is None
    assert reassessment({}, dt.date(2026, 12, 7)) is None


def test_dates_are_written_as_on_a_letter() -> None:
    assert long_date(dt.date(2026, 12, 14)) == "Monday 14 December 2026"
    assert long_date(dt.date(2027, 1, 4)) == "Monday 4 January 2027"


def test_without_clinic_settings_the_handout_leaves_a_line_to_fill_in(kb: KnowledgeBase, tmp_path: Path) -> None:
    sheet = case_handout(kb, _analysis(EXAMPLES / "piriformis_right.yaml", kb), "", None, dt.date.today())
    pdf = tmp_path / "handout.pdf"
    pdf.write_bytes(handout_pdf(sheet))
    words = text(pdf)
    assert "Your clinic and its phone:" in words and "call your clinic" in words


@pytest.mark.parametrize(
    "cases",
    [
        ["lower_crossed_desk_worker.yaml"],
        ["piriformis_right.yaml", "followup/piriformis_right_week6.yaml"],
    ],
)
def test_the_clinicians_report_reads_in_words(cases: list[str], kb: KnowledgeBase, tmp_path: Path) -> None:
    series = [(validate_file(EXAMPLES / c, kb), _analysis(EXAMPLES / c, kb)) for c in cases]
    report = case_report(kb, series, dt.date.today())
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(report_pdf(report))
    drawn = pages(pdf, tmp_path)
    assert all(ink(page) > BLANK_INK for page in drawn)
    words = text(pdf)
    assert id_tokens(words) == []
    assert "Safety:" in words and "Scores" in words and "Findings" in words and "Program" in words
    assert "Tight and weak muscles" in words  # the body map
    for heading, group in report.groups:
        assert heading in words and all(f.title in words for f in group)
    assert all(p.name in words for p in report.patterns)
    if report.program_summary is None:
        assert "Withheld for safety" in words
    else:
        assert all(item.name in words for item in report.items)
    assert ("Progress" in words) == (len(cases) > 1) and bool(report.charts) == (len(cases) > 1)
    small = sorted({f"{word} ({size:.1f} pt)" for size, word in word_sizes(pdf) if size < MIN_PT})
    assert not small, f"under {MIN_PT:g} pt: {small}"  # the charts' and the body map's labels among them


@pytest.mark.parametrize("example", ["cauda_equina_emergency.yaml", "cancer_flags_urgent.yaml"])
def test_the_report_of_an_emergency_or_urgent_case_says_the_safety_message_only(
    example: str, kb: KnowledgeBase, tmp_path: Path
) -> None:
    path = EXAMPLES / example
    analysis = _analysis(path, kb)
    report = case_report(kb, [(validate_file(path, kb), analysis)], dt.date.today())
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(report_pdf(report))
    words = " ".join(text(pdf).split())
    assert len(pages(pdf, tmp_path)) == 1 and id_tokens(words) == []
    assert "The exercise program is withheld" in words and " ".join(analysis["safety"]["message"].split()) in words
    for flag in analysis["safety"]["flags"]:  # each warning sign by name, with where to go
        record = kb.red_flags.get(flag["id"]) or kb.conditions.get(flag["id"])
        assert record is not None and record.name.lower() in words.lower(), record
        assert " ".join(flag["message"].split()).rstrip(".") in words
    assert f"Client {validate_file(path, kb).assessment.client.id}" in words  # whose report
    assert long_date(dt.date.today()) in words
    for absent in ("No finding", "No pattern", "Scores", "Findings", "Tight and weak muscles", "Oswestry", "/10"):
        assert absent not in words, absent


def test_the_report_cites_the_evidence(kb: KnowledgeBase) -> None:
    path = EXAMPLES / "lower_crossed_desk_worker.yaml"
    report = case_report(kb, [(validate_file(path, kb), _analysis(path, kb))], dt.date.today())
    evidence = [line for _, group in report.groups for f in group for line in f.evidence]
    cited = re.compile(r"\((?:[A-Z][^()]* (?:19|20)\d\d|rebalance's own convention)\)$")  # (Page et al. 2010)
    assert evidence and all(cited.search(line) for line in evidence), evidence


# the command line


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_rebalance_handout_writes_the_pdf(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "handout.pdf"
    args = ["handout", str(EXAMPLES / "core_endurance_deficit.yaml"), "-o", str(out), "--patient", "Sam Taylor"]
    code, said, _ = _run([*args, "--clinic-name", "Northside Physio", "--clinic-phone", "+44 161 496 0000"], capsys)
    assert code == 0 and str(out) in said
    words = text(out)
    assert "Northside Physio" in words and "+44 161 496 0000" in words and "Sam Taylor" in words
    assert [p.name for p in tmp_path.iterdir()] == ["handout.pdf"]  # no temporary file left


def test_rebalance_handout_without_a_name_leaves_a_line_to_write_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "handout.pdf"
    case = EXAMPLES / "core_endurance_deficit.yaml"
    code, _, _ = _run(["handout", str(case), "-o", str(out), "--clinic-name", "Northside Physio"], capsys)
    assert code == 0
    words = text(out)
    assert "core-04" not in words and "For core" not in words  # the client reference is no name
    assert re.search(r"For:\s", words), words[:300]


def test_rebalance_handout_takes_the_clinic_from_the_settings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REBALANCE_CLINIC_NAME", "Riverside Back Clinic")
    monkeypatch.setenv("REBALANCE_CLINIC_PHONE", "020 7946 0000")
    out = tmp_path / "handout.pdf"
    code, _, err = _run(["handout", str(EXAMPLES / "cauda_equina_emergency.yaml"), "-o", str(out)], capsys)
    assert code == 0 and err == ""
    words = text(out)
    assert "Riverside Back Clinic" in words and "020 7946 0000" in words and "No exercises for now" in words


def test_rebalance_handout_reads_an_analysis_document(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    analysis = tmp_path / "analysis.json"
    assert main(["assess", str(EXAMPLES / "piriformis_right.yaml"), "--json", "--minutes", "40"]) == 0
    analysis.write_text(capsys.readouterr().out, encoding="utf-8")
    out = tmp_path / "handout.pdf"
    code, _, err = _run(["handout", str(analysis), "-o", str(out)], capsys)
    assert code == 0 and "leaves a line to write them in" in err  # no clinic: said, and a line on the page
    assert "about 40 minutes each" in text(out)


@pytest.mark.parametrize("command", ["handout", "report"])
def test_a_missing_or_invalid_assessment_exits_2_and_writes_nothing(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.pdf"
    code, _, err = _run([command, str(tmp_path / "nowhere.yaml"), "-o", str(out)], capsys)
    assert code == 2 and "nowhere.yaml" in err and not out.exists()
    bad = tmp_path / "bad.yaml"
    bad.write_text((EXAMPLES / "piriformis_right.yaml").read_text().replace("pain_now: ", "pain_now: 1"), "utf-8")
    code, _, err = _run([command, str(bad), "-o", str(out)], capsys)
    assert code == 2 and "symptoms.pain_now" in err and "nothing was written" in err
    assert list(tmp_path.iterdir()) == [bad]


@pytest.mark.parametrize("command", ["handout", "report"])
def test_an_unwritable_output_path_exits_2_and_names_it(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case = str(EXAMPLES / "piriformis_right.yaml")
    for out in (tmp_path / "no-such-folder" / "out.pdf", tmp_path):
        code, _, err = _run([command, case, "-o", str(out)], capsys)
        assert code == 2 and str(out) in err, err
    assert list(tmp_path.iterdir()) == []


def test_a_bad_clinic_phone_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out.pdf"
    args = ["handout", str(EXAMPLES / "piriformis_right.yaml"), "-o", str(out), "--clinic-phone", "call us"]
    code, _, err = _run(args, capsys)
    assert code == 2 and "--clinic-phone" in err and not out.exists()


def test_rebalance_report_charts_several_assessments(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "report.pdf"
    cases = [str(EXAMPLES / "followup/piriformis_right_week6.yaml"), str(EXAMPLES / "piriformis_right.yaml")]
    code, said, _ = _run(["report", *cases, "-o", str(out)], capsys)
    assert code == 0 and str(out) in said
    words = text(out)
    assert "Progress" in words and "Pain" in words and id_tokens(words) == []


def test_the_report_sets_the_findings_to_confirm_apart(kb: KnowledgeBase, tmp_path: Path) -> None:
    """The desk worker's squat-only guesses (calves, lats, hamstrings at 30 %) are printed under "To confirm",
    each with how to confirm it, after every established finding; none under Tight or Weak."""
    case = EXAMPLES / "lower_crossed_desk_worker.yaml"
    report = case_report(kb, [(validate_file(case, kb), _analysis(case, kb))], dt.date.today())
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(report_pdf(report))
    pages(pdf, tmp_path)  # looked at: tmp_path's PNGs
    words = " ".join(text(pdf).split())
    established, _, unsure = words.partition("To confirm Inferred from little")
    assert unsure and "Left calf — tight or overactive · mild · confidence 30 %" in unsure
    assert "calf" not in established.split("Findings only to confirm")[1]  # the map's key names the rule
    for f in report.to_confirm:
        assert f"{f.title} — {f.kind}" in unsure and " ".join(f.confirm.split()) in unsure
