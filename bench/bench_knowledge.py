"""Knowledge-base load time and cold `rebalance explain` wall time.

Targets (issue 2): load under 150 ms, once per process; `rebalance explain` under 0.6 s cold.
Prints each figure and its ratio to the target (below 1.0 meets it).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time

from rebalance.knowledge import loader

LOAD_TARGET_S, EXPLAIN_TARGET_S = 0.150, 0.6


def time_load(runs: int = 15, cold_cache: bool = False) -> list[float]:
    """Load times; with cold_cache every run parses the YAML (a fresh, empty cache folder)."""
    times = []
    for _ in range(runs):
        if cold_cache:
            os.environ["REBALANCE_CACHE_DIR"] = tempfile.mkdtemp(prefix="rebalance-bench-")
        start = time.perf_counter()
        loader.load(loader.DATA_DIR)
        times.append(time.perf_counter() - start)
    os.environ.pop("REBALANCE_CACHE_DIR", None)
    return times


def time_cold(args: list[str], runs: int = 7) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "rebalance.cli", *args], check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parsed = statistics.median(time_load(7, cold_cache=True))
    loads = time_load()
    cold = time_cold(["explain", "piriformis"])
    bare = time_cold(["--help"])
    load_med, cold_med = statistics.median(loads), statistics.median(cold)
    print(
        f"knowledge base load, YAML parsed (first run after a data change, median of 7): {parsed * 1000:.1f} ms"
        f"  ratio to 150 ms target: {parsed / LOAD_TARGET_S:.2f}"
    )
    print(
        f"knowledge base load, parse cached (median of {len(loads)}): {load_med * 1000:.1f} ms"
        f"  ratio to 150 ms target: {load_med / LOAD_TARGET_S:.2f}"
    )
    print(
        f"rebalance explain piriformis, cold wall (median of {len(cold)}): {cold_med * 1000:.0f} ms"
        f"  ratio to 0.6 s target: {cold_med / EXPLAIN_TARGET_S:.2f}"
    )
    print(f"  of which interpreter + CLI start (rebalance --help): {statistics.median(bare) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
