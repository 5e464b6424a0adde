"""When a stored program version starts: the one rule the patient list, the handout and the FHIR export read."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from rebalance.programs.version import started_on

MADE = dt.datetime(2026, 11, 16, 17, 40, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Version:
    created_at: dt.datetime
    approved_at: dt.datetime | None = None


def test_a_version_starts_the_day_it_was_approved() -> None:
    assert started_on(Version(MADE, approved_at=MADE + dt.timedelta(days=3))) == dt.date(2026, 11, 19)


def test_a_version_never_approved_starts_the_day_it_was_made() -> None:
    assert started_on(Version(MADE)) == dt.date(2026, 11, 16)
