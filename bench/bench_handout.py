"""The handout as a PDF (issue 19): from the program to the PDF's bytes (the model, the template, WeasyPrint).

Target: a handout renders in under 2 s. Measured on a typical program (piriformis_right, 6 exercises) and the
largest example (contract_example, 12): the median wall time of 5 renders, and the CPU time of the process
(what the machine's other work does not inflate). The clinician's report of the busiest example beside it,
for information. The load average is printed at the start and the end: 2 cores, a load of 2 is full.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import time
from collections.abc import Callable

from rebalance.api import analyse_case, validate_file
from rebalance.knowledge.loader import default
from rebalance.reports.clinician_report import case_report, report_pdf
from rebalance.reports.handout import Clinic, case_handout, handout_pdf

TARGET_S = 2.0
RUNS = 5
CLINIC = Clinic("Northside Physio", "0161 496 0000")


def timed(render: Callable[[], bytes]) -> tuple[float, float]:
    """(median wall seconds, median CPU seconds) over RUNS renders, after one to warm up."""
    render()
    wall, cpu = [], []
    for _ in range(RUNS):
        w, c = time.perf_counter(), time.process_time()
        render()
        wall.append(time.perf_counter() - w)
        cpu.append(time.process_time() - c)
    return statistics.median(wall), statistics.median(cpu)


def load() -> str:
    return ", ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    print(f"load average at start: {load()}")
    kb = default()
    today = dt.date.today()
    for example in ("piriformis_right", "contract_example"):
        case = validate_file(f"examples/{example}.yaml", kb)
        analysis = analyse_case(case, kb).document

        def render(analysis: dict = analysis) -> bytes:  # type: ignore[type-arg]
            return handout_pdf(case_handout(kb, analysis, "Sam Taylor", CLINIC, today))

        wall, cpu = timed(render)
        items = len(analysis["program"]["items"])
        print(
            f"handout PDF, {example} ({items} exercises), median of {RUNS}: wall {wall:.2f} s, CPU {cpu:.2f} s"
            f"  ratio to {TARGET_S:g} s target: wall {wall / TARGET_S:.2f}, CPU {cpu / TARGET_S:.2f}"
        )
    case = validate_file("examples/lower_crossed_desk_worker.yaml", kb)
    pair = (case, analyse_case(case, kb).document)
    wall, cpu = timed(lambda: report_pdf(case_report(kb, [pair], today)))
    print(f"clinician's report PDF, lower_crossed_desk_worker, median of {RUNS}: wall {wall:.2f} s, CPU {cpu:.2f} s")
    print(f"load average at end: {load()}")


if __name__ == "__main__":
    main()
