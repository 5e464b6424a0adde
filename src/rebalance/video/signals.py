"""Signal processing of landmark and angle series (SciPy), in the order Sports2D applies it.

1. fill short gaps by linear interpolation (long gaps stay missing: unknown is never invented);
2. reject outliers with a Hampel filter (a sample far from its window's median, in robust SDs);
3. a zero-lag Butterworth low-pass (4th order, 6 Hz, ``filtfilt``) over each unbroken run;
4. angles are unwrapped over time, so a crossing of ±180° is not read as a jump of 360°.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.signal import butter, filtfilt

from rebalance.video.landmarks import Array, Mask

MAX_GAP_S = 0.1  # gaps up to this long are interpolated (3 frames at 30 fps)
HAMPEL_WINDOW_S = 0.25
HAMPEL_SIGMAS = 3.0
CUTOFF_HZ = 6.0  # Sports2D / Pose2Sim default; the reference found 1.6-5.3° residual knee noise after it
ORDER = 4


def runs(finite: Mask) -> list[tuple[int, int]]:
    """[start, stop) of each run of True values."""
    edges = np.diff(np.concatenate(([0], finite.astype(np.int8), [0])))
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist(), strict=True))


def fill_gaps(x: Array, max_gap: int) -> Array:
    """Linearly interpolate interior NaN runs of at most ``max_gap`` samples."""
    out = x.copy()
    finite = np.isfinite(x)
    for start, stop in runs(~finite):
        if start > 0 and stop < len(x) and stop - start <= max_gap:
            out[start:stop] = np.interp(np.arange(start, stop), [start - 1, stop], [x[start - 1], x[stop]])
    return out


def _row_medians(rows: Array, finite: NDArray[np.intp]) -> Array:
    """The median of each row's first ``finite`` values after one sort (NaN sorts last)."""
    ordered = np.sort(rows, axis=1)
    at = np.arange(len(rows))
    out: Array = (ordered[at, (finite - 1) // 2] + ordered[at, finite // 2]) / 2
    return out


def hampel(x: Array, half_window: int, sigmas: float = HAMPEL_SIGMAS) -> Array:
    """Replace samples more than ``sigmas`` robust SDs from their window's median by that median."""
    n = len(x)
    if n < 3:
        return x.copy()
    padded = np.pad(x, half_window, constant_values=np.nan)
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * half_window + 1)
    finite = np.isfinite(windows).sum(axis=1)
    rows = np.flatnonzero(finite >= 3)
    out = x.copy()
    if not rows.size:
        return out
    median = _row_medians(windows[rows], finite[rows])
    mad = 1.4826 * _row_medians(np.abs(windows[rows] - median[:, None]), finite[rows])
    bad = np.isfinite(x[rows]) & (mad > 0) & (np.abs(x[rows] - median) > sigmas * mad)
    out[rows[bad]] = median[bad]
    return out


def lowpass(columns: Array, fps: float, cutoff: float = CUTOFF_HZ) -> Array:
    """Zero-lag Butterworth low-pass of each column (frames x series) over each finite run long
    enough for ``filtfilt``; the filter is designed once for all the columns."""
    if fps <= 2 * cutoff:
        return columns.copy()
    b, a = butter(ORDER, cutoff / (fps / 2))
    out = columns.copy()
    pad = 3 * max(len(a), len(b))
    for k in range(columns.shape[1]):
        for start, stop in runs(np.isfinite(columns[:, k])):
            if stop - start > pad:
                out[start:stop, k] = filtfilt(b, a, columns[start:stop, k])
    return out


def clean(columns: Array, fps: float) -> Array:
    """Gap filling, outlier rejection and low-pass, in that order, of each column (frames x series)."""
    gap, half = max(1, round(MAX_GAP_S * fps)), max(1, round(HAMPEL_WINDOW_S * fps / 2))
    if columns.shape[1] == 0:
        return columns.copy()
    return lowpass(np.stack([hampel(fill_gaps(x, gap), half) for x in columns.T], axis=1), fps)


def unwrap_deg(angle: Array) -> Array:
    """Unwrap an angle series in degrees over each finite run."""
    out = angle.copy()
    for start, stop in runs(np.isfinite(angle)):
        out[start:stop] = np.degrees(np.unwrap(np.radians(angle[start:stop])))
    return out
