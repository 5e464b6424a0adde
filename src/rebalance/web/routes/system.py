"""``GET /health``: 200 ``{"status": "ok"}`` once the database answers, else 503 (the contract)."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from rebalance.web.deps import SessionDep, UnitOfWorkRoute
from rebalance.web.schemas import Health

router = APIRouter(tags=["system"], route_class=UnitOfWorkRoute)
logger = logging.getLogger("rebalance.web")


@router.get("/health", response_model=Health, responses={503: {"model": Health}})
def health(db: SessionDep) -> Health | JSONResponse:
    """Whether the app can serve: the database answers a query.

    Uses the request's own session: a second connection would wait on the write lock the
    request's first one may hold (SQLite).
    """
    try:
        db.execute(text("SELECT 1"))
    except SQLAlchemyError:
        logger.exception("health check: the database does not answer")
        return JSONResponse(Health(status="unavailable").model_dump(), status_code=503)
    return Health(status="ok")
