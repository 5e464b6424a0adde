"""The patient's pages: today's exercises, logging a session, the weekly check-in, progress, learn.

    GET  /today            the published program's exercises for today, or the stop message; the start page
    GET  /log              the log form (today's exercises, the morning after the last session) and what
                           the pain-monitoring model says of the last session
    POST /log              store it (303 to /log?saved=1), or the form again with each field's problem (422)
    GET  /check-in         the weekly red-flag check-in, and the result of the latest
    POST /check-in         store it (303 to /check-in?done=1), or the form with what is missing (422)
    GET  /progress         charts: pain during and the next morning, sessions a week, assessments
    GET  /learn            the patient's own patterns and findings, explained
    GET  /learn/{topic}    one of them in depth, with sources (404 for a topic not in their analysis)
    GET  /handout          the published program as a printable home program (to /today without one)

For the signed-in patient only (``PatientDep``): no patient id is ever taken from the URL. What the
pages show is put together in :mod:`rebalance.web.patient_views` (and ``session_views``,
``progress_views``, ``learn_views``); these routes validate and render.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from rebalance.web import learn_views, patient_views, progress_views, session_views
from rebalance.web.deps import UnitOfWorkRoute
from rebalance.web.handout import handout
from rebalance.web.page_cache import cached
from rebalance.web.patient_schemas import LIMITS, CheckInIn, SessionIn
from rebalance.web.patient_views import PatientDep
from rebalance.web.rendering import render

router = APIRouter(include_in_schema=False, route_class=UnitOfWorkRoute)

ENTRY_FIELD = re.compile(r"entries\[(\d{1,2})\]\.(\w+)")
ANSWER_FIELD = re.compile(r"answers\.(\w+)")
Loc = tuple[int | str, ...]


@router.get("/today")
def today_page(request: Request, me: PatientDep) -> Response:
    def page() -> Response:
        today = patient_views.today_view(me)
        return render(
            request,
            "patient/today.html",
            {"today": today, "figures": patient_views.exercise_figures(me.kb, today.items)},
        )

    return cached(me.web.pages, me, "today", page)


# logging a session


@router.get("/log")
def log_page(request: Request, me: PatientDep, saved: Literal["1"] | None = None) -> HTMLResponse:
    return _log_form(request, me, saved=saved is not None)


def _log_form(
    request: Request,
    me: PatientDep,
    *,
    saved: bool = False,
    values: Mapping[str, str] | None = None,
    problems: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    context = {"page": session_views.log_page(me), "saved": saved, "values": values or {}, "problems": problems or {}}
    return render(request, "patient/log.html", context, status_code=status_code)


async def _form(request: Request) -> dict[str, str]:
    """The posted form's text fields (read in the event loop: the route that writes runs in a worker thread,
    in its turn, as every other that writes: ``deps.run_db``)."""
    return {key: value for key, value in (await request.form()).items() if isinstance(value, str)}


FormDep = Annotated[dict[str, str], Depends(_form)]


@router.post("/log")
def log_session(request: Request, me: PatientDep, form: FormDep) -> Response:
    try:
        session_views.record_session(me, SessionIn.model_validate(_session_data(form)))
    except ValidationError as exc:
        return _log_form(request, me, values=form, problems=_problems(exc.errors(), ()), status_code=422)
    except RequestValidationError as exc:
        return _log_form(request, me, values=form, problems=_problems(exc.errors(), ("body",)), status_code=422)
    return RedirectResponse("/log?saved=1", status_code=303)


def _session_data(form: Mapping[str, str]) -> dict[str, Any]:
    """The log form as ``SessionIn`` data: ``entries[0].done`` … and ``next_morning.pain``; blank is None."""
    entries: dict[int, dict[str, str | None]] = {}
    for key, value in form.items():
        match = ENTRY_FIELD.fullmatch(key)
        if match:
            entries.setdefault(int(match[1]), {})[match[2]] = value.strip() or None
    for entry in entries.values():
        if entry.get("done") == "no":  # not done: the dose boxes (filled in with the plan) say nothing
            for name in ("sets", "reps", "hold_s", "effort", "pain_during"):
                entry.pop(name, None)
    morning = {name: (form.get(f"next_morning.{name}") or "").strip() or None for name in ("pain", "stiffness")}
    data: dict[str, Any] = {"entries": [entries[i] for i in sorted(entries)]}
    if any(morning.values()):
        data["next_morning"] = morning
    return data


# the weekly check-in


@router.get("/check-in")
def check_in_page(request: Request, me: PatientDep, done: Literal["1"] | None = None) -> HTMLResponse:
    return _check_in_form(request, me, done=done is not None)


def _check_in_form(
    request: Request,
    me: PatientDep,
    *,
    done: bool = False,
    values: Mapping[str, str] | None = None,
    problems: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    status = patient_views.check_in_status(me)
    context = {"status": status, "done": done, "values": values or {}, "problems": problems or {}}
    return render(request, "patient/check_in.html", context, status_code=status_code)


@router.post("/check-in")
def check_in(request: Request, me: PatientDep, form: FormDep) -> Response:
    answers = {
        m[1]: value == "yes"
        for key, value in form.items()
        if (m := ANSWER_FIELD.fullmatch(key)) and value in ("yes", "no")  # anything else: not answered
    }
    try:
        patient_views.record_check_in(me, CheckInIn(answers=answers))
    except RequestValidationError as exc:
        return _check_in_form(request, me, values=form, problems=_problems(exc.errors(), ("body",)), status_code=422)
    return RedirectResponse("/check-in?done=1", status_code=303)


# progress and learning


@router.get("/progress")
def progress_page(request: Request, me: PatientDep) -> HTMLResponse:
    view = progress_views.progress_view(me)
    charts = {name: Markup(svg) for name, svg in progress_views.progress_charts(view).items()}  # noqa: S704 - our own SVG
    return render(request, "patient/progress.html", {"view": view, "charts": charts})


@router.get("/learn")
def learn_page(request: Request, me: PatientDep) -> HTMLResponse:
    return render(request, "patient/learn.html", {"index": learn_views.learn_index(me)})


@router.get("/learn/{topic}")
def learn_topic_page(request: Request, me: PatientDep, topic: str) -> HTMLResponse:
    return render(request, "patient/learn_topic.html", {"learn": learn_views.learn_topic(me, topic)})


# problems next to their fields


def _problems(errors: Any, prefix: Loc) -> dict[str, str]:
    """Validation errors by form field name (``entries[0].pain_during``), each in plain words; the first wins."""
    problems: dict[str, str] = {}
    for error in errors:
        loc = tuple(error["loc"])[len(prefix) :]
        problems.setdefault(_field_name(loc), _plain(error))
    return problems


def _field_name(loc: Loc) -> str:
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc).lstrip(".")


def _plain(error: ErrorDetails | dict[str, Any]) -> str:
    kind, loc = error["type"], error["loc"]
    field = str(loc[-1]) if loc else ""
    if kind in ("less_than_equal", "greater_than_equal", "less_than", "greater_than") and field in LIMITS:
        low, high = LIMITS[field]
        return f"Enter a number from {low} to {high}."
    if kind in ("int_parsing", "int_from_float", "int_type"):
        return "Enter a whole number, such as 3."
    if field == "done" or kind in ("bool_parsing", "bool_type"):
        return "Choose yes or no."
    message = str(error["msg"]).removeprefix("Value error, ")
    return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")


@router.get("/handout")
def handout_page(request: Request, me: PatientDep) -> Response:
    """The published program to print; while it is stopped, why and where to go instead of the exercises."""
    program = me.program
    if program is None:
        return RedirectResponse("/today", status_code=303)  # "your program is on its way"
    sheet = handout(me.kb, program, me.user.display_name, patient_views.stops(me))
    return render(request, "handout.html", {"h": sheet, "back": "/today"})
