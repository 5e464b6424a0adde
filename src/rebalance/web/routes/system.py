"""``GET /health``: 200 ``{"status": "ok"}`` once the database answers, else 503 (the contract)."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from rebalance.web.deps import SessionDep
from rebalance.web.schemas import Health

router = APIRouter(tags=["system"])
logger = logging.getLogger("rebalance.web")


@router.get("/health", response_model=Health, responses={503: {"model": Health}})
def health(db: SessionDep) -> Health | JSONResponse:
    """Whether the app can serve: the database answers a query (in the request's own unit of work)."""
    try:
        db.execute(text("SELECT 1"))
    except SQLAlchemyError:
        logger.exception("health check: the database does not answer")
        return JSONResponse(Health(status="unavailable").model_dump(), status_code=503)
    return Health(status="ok")
