"""The JSON API's own shapes: the error format, the health answer, an issued invitation.

Stored things are shown with their storage schemas (``rebalance.storage.schemas``: ``XCreate`` in,
``XPublic`` out, one family per stored thing); add a class here only for what is not stored.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from rebalance.storage.schemas import InvitationPublic, UserPublic


class ErrorItem(BaseModel):
    """One problem: where (a field path such as ``body.symptoms.pain_now``; empty for the whole request) and why."""

    path: str = Field(description="field path: body/query/path, then keys, [i] for list items; '' for the request")
    message: str
    file: str | None = Field(None, description="the input file, for a problem inside an uploaded file")


class ErrorResponse(BaseModel):
    """Every error answer of ``/api``: all problems at once; ``error_id`` on a 500, to quote to support."""

    errors: list[ErrorItem]
    error_id: str | None = None


class Health(BaseModel):
    status: Literal["ok", "unavailable"]


class Me(UserPublic):
    """The signed-in user, and the CSRF token of their session (for the ``X-CSRF-Token`` header)."""

    csrf_token: str


class InvitationLink(InvitationPublic):
    """An invitation just made, with its link: the only time the link is shown (only its hash is stored)."""

    url: str


API_ERRORS: dict[int | str, dict[str, object]] = {
    401: {"model": ErrorResponse, "description": "Not signed in"},
    403: {"model": ErrorResponse, "description": "Not allowed (or a missing/wrong CSRF token)"},
    404: {"model": ErrorResponse, "description": "No such record"},
    409: {"model": ErrorResponse, "description": "The change breaks a rule of the stored data"},
    422: {"model": ErrorResponse, "description": "Invalid input: every problem with its field path"},
}
"""The error answers every ``/api`` route documents (``APIRouter(responses=API_ERRORS)``)."""


FHIR_JSON = "application/fhir+json"
"""The media type of a FHIR export (``reports/fhir.py``)."""
FHIR_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {FHIR_JSON: {}}, "description": "A FHIR R4B Bundle of type collection (reports/fhir.py)"}
}
