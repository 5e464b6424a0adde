"""The patient's "learn" pages about their own results, from ``reports.learn`` (404 for a page outside them)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from rebalance.reports.learn import LearnPage
from rebalance.web.learn_views import learn_index, learn_topic
from rebalance.web.patient_schemas import LearnIndex
from rebalance.web.patient_views import PatientDep, stops
from rebalance.web.rendering import render
from rebalance.web.schemas import API_ERRORS

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/me", tags=["patient"], responses=API_ERRORS)


@router.get("/learn")
def learn_page(request: Request, me: PatientDep) -> HTMLResponse:
    return render(request, "patient/learn.html", {"index": learn_index(me), "stop_first": stops(me)})


@router.get("/learn/{topic}")
def learn_topic_page(request: Request, me: PatientDep, topic: str) -> HTMLResponse:
    index = learn_index(me)
    page = learn_topic(index, topic)
    return render(request, "patient/learn_topic.html", {"page": page, "index": index, "stop_first": stops(me)})


@api.get("/learn")
def my_learn(me: PatientDep) -> LearnIndex:
    """Pages about the patient's own patterns, and the muscles and structures their findings name."""
    return learn_index(me)


@api.get("/learn/{topic}")
def my_learn_topic(me: PatientDep, topic: str) -> LearnPage:
    """One page about the patient's own results, in their words, with its references."""
    return learn_topic(learn_index(me), topic)
