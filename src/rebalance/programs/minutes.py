"""How long a home session may be: what the command line, the JSON API and the clinician's form accept.

MINUTES_RANGE      5 to 240 minutes (rebalance's bounds: a session shorter than 5 minutes holds no
                   exercise with its rest, one over 4 hours is a typing error)
DEFAULT_MINUTES    20, when none is given
minutes_problem    why a value is refused, in plain words (None: it is accepted)
"""

from __future__ import annotations

from typing import Any

MINUTES_RANGE = (5, 240)
DEFAULT_MINUTES = 20


def minutes_problem(minutes: Any) -> str | None:
    """Why ``minutes`` is not a session length the program can be built for, or None."""
    low, high = MINUTES_RANGE
    if minutes is None:
        return "required"
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not low <= minutes <= high:
        return f"expected {low} to {high} whole minutes, got {minutes!r}"
    return None
