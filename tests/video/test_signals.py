"""The signal steps on their own: the Hampel filter against its plain definition, gaps, the low-pass."""

from __future__ import annotations

import numpy as np
import pytest

from rebalance.video import signals

pytest.importorskip("scipy")


def _hampel_by_definition(x, half, sigmas=signals.HAMPEL_SIGMAS):
    out = x.copy()
    for i in range(len(x)):
        window = x[max(0, i - half) : i + half + 1]
        window = window[np.isfinite(window)]
        if len(window) < 3 or not np.isfinite(x[i]):
            continue
        median = np.median(window)
        mad = 1.4826 * np.median(np.abs(window - median))
        if mad > 0 and abs(x[i] - median) > sigmas * mad:
            out[i] = median
    return out


@pytest.mark.parametrize("seed", range(5))
def test_the_hampel_filter_gives_what_its_definition_gives_on_noisy_series_with_gaps(seed):
    rng = np.random.default_rng(seed)
    x = np.cumsum(rng.normal(0, 1, 300))
    x[rng.random(300) < 0.05] += rng.choice([-40.0, 40.0], size=1)
    x[rng.random(300) < 0.1] = np.nan
    x[100:110] = np.nan
    got = signals.hampel(x, 4)
    assert np.array_equal(got, _hampel_by_definition(x, 4), equal_nan=True)


def test_a_spike_is_replaced_by_its_windows_median_and_missing_frames_stay_missing():
    x = np.linspace(0.0, 10.0, 50)
    x[20], x[30] = 500.0, np.nan
    got = signals.hampel(x, 3)
    assert got[20] == pytest.approx(np.median(x[17:24]))
    assert np.isnan(got[30])
    assert np.array_equal(np.delete(got, [20, 30]), np.delete(x, [20, 30]))


def test_short_gaps_are_filled_long_ones_left_missing():
    x = np.arange(20, dtype=float)
    x[3:5], x[10:16] = np.nan, np.nan
    got = signals.fill_gaps(x, 3)
    assert np.allclose(got[3:5], [3, 4])
    assert np.isnan(got[10:16]).all()
