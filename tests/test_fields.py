"""What a field's problem says: pydantic's errors in the words rebalance uses everywhere."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pydantic import BaseModel, Field, ValidationError, field_validator

from rebalance.fields import problem


class _Form(BaseModel):
    pain: int = Field(ge=0, le=10)
    on: dt.date | None = None
    side: str = "left"

    @field_validator("side")
    @classmethod
    def _side(cls, value: str) -> str:
        if value not in ("left", "right"):
            raise ValueError("say which side: left or right")
        return value


def _problems(**values: Any) -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        _Form(**values)
    return {".".join(map(str, e["loc"])): problem(e) for e in caught.value.errors()}


def test_pydantics_errors_in_plain_words() -> None:
    assert _problems(pain=11) == {"pain": "must be 10 or less, got 11"}
    assert _problems(pain=-1) == {"pain": "must be 0 or more, got -1"}
    assert _problems() == {"pain": "required"}
    assert _problems(pain=1.5) == {"pain": "expected a whole number, got 1.5"}
    assert _problems(pain=2, on="20/11/2026") == {"on": "expected a date such as 2026-11-20, got '20/11/2026'"}


def test_our_own_reasons_keep_their_words_without_pydantics_prefix() -> None:
    assert _problems(pain=2, side="both") == {"side": "say which side: left or right"}


def test_an_input_the_words_cannot_show_keeps_pydantics_message() -> None:
    """A number given as text ("11") is read as 11 and then found too high: "got {input:g}" cannot show
    text, so pydantic's own message is said instead of failing."""
    (said,) = _problems(pain="11").values()
    assert "10" in said and said == "Input should be less than or equal to 10"
