"""The clinician's pages: patient list, timeline, assessment form, result, program, charts.

(Being built: see routes/__init__.py for how to add routes.)
"""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
