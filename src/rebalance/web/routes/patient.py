"""The patient's pages: today's exercises, logging a session, the weekly check-in, progress, learn.

(Being built: see routes/__init__.py for how to add routes.)
"""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
