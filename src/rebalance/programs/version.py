"""A stored program version's day: the one rule for when it starts.

    started_on(version)   the day it was approved (published), else the day it was made

The patient list's alerts count sessions missed from it, the handout and the FHIR export say it was issued
on it. The input is duck-typed: the stored program versions of :mod:`rebalance.storage` fit it.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol


class DatedVersion(Protocol):
    """A stored program version, as far as its day is read (``storage.schemas.ProgramPublic`` fits)."""

    @property
    def approved_at(self) -> dt.datetime | None: ...
    @property
    def created_at(self) -> dt.datetime: ...


def started_on(version: DatedVersion) -> dt.date:
    """The day the version was approved, else (a draft, or one published without approval) the day it was made."""
    return (version.approved_at or version.created_at).date()
