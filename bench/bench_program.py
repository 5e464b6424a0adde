"""Program speed (issue 4).

- analysis + program for one parsed assessment, p50 and p99 over varied generated assessments
  (target: p99 under 5 ms);
- progression over a year of daily session logs for one program (target: under 50 ms).
Each figure is printed with its ratio to the target (below 1.0 meets it).
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
import time

from tests.synthetic import random_assessment

from rebalance.api import analyse_case
from rebalance.assessment.parse import parse_document
from rebalance.knowledge.loader import default
from rebalance.programs.logs import parse_logs
from rebalance.programs.progress import progress

P99_TARGET_S, YEAR_TARGET_S = 0.005, 0.050


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def year_of_logs(program: dict, rng: random.Random) -> dict:  # type: ignore[type-arg]
    start = dt.date(2026, 1, 1)
    sessions = []
    for day in range(365):
        entries = []
        for item in program["items"]:
            d = item["dosage"]
            entries.append(
                {
                    "exercise_id": item["exercise_id"],
                    "done": rng.random() < 0.8,
                    "sets": d["sets"],
                    "reps": (d["reps"] or 0) + rng.randint(-2, 4) if d.get("reps") else None,
                    "hold_s": d.get("hold_s"),
                    "pain_during": rng.randint(0, 6),
                    "pain_next_morning": rng.randint(0, 6),
                }
            )
        sessions.append({"date": (start + dt.timedelta(days=day)).isoformat(), "entries": entries})
    return {"schema": "rebalance.logs/1", "sessions": sessions}


def main() -> None:
    kb = default()
    rng = random.Random(7)
    cases = [parse_document(random_assessment(kb, rng), kb) for _ in range(2000)]
    for c in cases[:50]:
        analyse_case(c, kb)
    times = []
    for c in cases:
        start = time.perf_counter()
        analyse_case(c, kb)
        times.append(time.perf_counter() - start)
    p50, p99 = statistics.median(times), percentile(times, 0.99)
    print(
        f"analysis + program, {len(cases)} varied assessments: p50 {p50 * 1000:.2f} ms, p99 {p99 * 1000:.2f} ms"
        f"  ratio to 5 ms p99 target: {p99 / P99_TARGET_S:.2f}"
    )

    doc = next(
        d for d in (analyse_case(c, kb).document for c in cases) if d["program"] and len(d["program"]["items"]) >= 6
    )
    logs = parse_logs(year_of_logs(doc["program"], rng))
    entries = sum(len(s.entries) for s in logs.sessions)
    runs = []
    for _ in range(10):
        start = time.perf_counter()
        progress(kb, doc, logs)
        runs.append(time.perf_counter() - start)
    med = statistics.median(runs)
    print(
        f"progression over a year of daily logs ({len(logs.sessions)} sessions, {entries} entries): {med * 1000:.1f} ms"
        f"  ratio to 50 ms target: {med / YEAR_TARGET_S:.2f}"
    )


if __name__ == "__main__":
    main()
