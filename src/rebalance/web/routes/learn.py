"""The patient's "learn" pages: their own patterns, muscles and structures explained, with sources (404 for a
topic outside their analysis)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from rebalance.web.learn_views import learn_index, learn_topic
from rebalance.web.patient_schemas import LearnIndex, LearnTopic
from rebalance.web.patient_views import PatientDep
from rebalance.web.rendering import render
from rebalance.web.schemas import API_ERRORS

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/me", tags=["patient"], responses=API_ERRORS)


@router.get("/learn")
def learn_page(request: Request, me: PatientDep) -> HTMLResponse:
    return render(request, "patient/learn.html", {"index": learn_index(me)})


@router.get("/learn/{topic}")
def learn_topic_page(request: Request, me: PatientDep, topic: str) -> HTMLResponse:
    return render(request, "patient/learn_topic.html", {"learn": learn_topic(me, topic)})


@api.get("/learn")
def my_learn(me: PatientDep) -> LearnIndex:
    """The patient's own patterns (with why their findings fit) and the muscles and structures involved."""
    return learn_index(me)


@api.get("/learn/{topic}")
def my_learn_topic(me: PatientDep, topic: str) -> LearnTopic:
    """One pattern, muscle or structure of the patient's own analysis, explained, with sources."""
    return learn_topic(me, topic)
