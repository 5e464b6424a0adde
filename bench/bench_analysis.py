"""Analysis speed (issue 3).

- p50 / p99 of analysing one parsed assessment (the contract example);
- throughput over 10,000 varied generated assessments on one core (target >= 2,000 a second);
- the ratio of analysis time to the time PyYAML's C loader takes to parse the same file
  (target <= 1.0);
- cold wall time of `rebalance assess` (target under 0.8 s).
"""

from __future__ import annotations

import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

import yaml
from tests.synthetic import random_assessment

from rebalance.assessment.parse import parse_document
from rebalance.knowledge.loader import default
from rebalance.reasoning.analyse import analyse

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "contract_example.yaml"
N_VARIED = 10_000


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def per_call(fn, runs: int) -> list[float]:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    kb = default()
    text = EXAMPLE.read_text()
    case = parse_document(yaml.load(text, Loader=yaml.CSafeLoader), kb)
    analyse(kb, case)  # warm the compiled rules
    analysis = per_call(lambda: analyse(kb, case), 3000)
    parsing = per_call(lambda: yaml.load(text, Loader=yaml.CSafeLoader), 3000)
    a50, p50 = statistics.median(analysis), statistics.median(parsing)
    print(f"analysis of the contract example: p50 {a50 * 1e6:.0f} us, p99 {percentile(analysis, 0.99) * 1e6:.0f} us")
    print(f"PyYAML C loader parse of the same file: p50 {p50 * 1e6:.0f} us")
    print(f"ratio analysis / C-loader parse: {a50 / p50:.2f}  (target <= 1.0)")

    rng = random.Random(20261121)
    cases = [parse_document(random_assessment(kb, rng), kb) for _ in range(N_VARIED)]
    start = time.perf_counter()
    for c in cases:
        analyse(kb, c)
    elapsed = time.perf_counter() - start
    rate = N_VARIED / elapsed
    print(
        f"throughput over {N_VARIED} varied assessments: {rate:,.0f} a second"
        f"  ratio to 2,000/s target: {rate / 2000:.2f}"
    )

    colds = []
    for _ in range(5):
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "rebalance.cli", "assess", str(EXAMPLE), "--json"], check=True, capture_output=True
        )
        colds.append(time.perf_counter() - start)
    cold = statistics.median(colds)
    print(f"rebalance assess, cold wall (median of 5): {cold * 1000:.0f} ms  ratio to 0.8 s target: {cold / 0.8:.2f}")


if __name__ == "__main__":
    main()
