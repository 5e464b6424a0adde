"""The routers, one module a resource; ``create_app`` includes every router listed in :data:`ROUTERS`.

    system         GET /health                     200 {"status": "ok"} once the database answers
    home           GET /                           the signed-in user's start page (by role)
    auth           /login, /logout, /invite/{token}
    me             GET /api/me                     the signed-in user and their CSRF token
    admin          /admin/clinicians               the admin's clinicians
    patients       /patients, /api/patients        the clinician's patients, a patient's timeline
    invitations    /api/patients/{id}/invitations  inviting a patient (the page's form: ``patients``)
    assessments    the assessment form, /assessments/{id}, and their API
    programs       /programs/{id}..., /api/programs/{id}...: versions, edits, approval, publishing
    handouts       /programs/{id}/handout, /handout: the printable home program
    fhir           /api/patients/{id}/fhir, /api/me/fhir: the FHIR export
    today          /today, /api/me/today, /api/me/program: the patient's day
    sessions       /log, /api/me/logs: the patient's logged sessions
    check_ins      /check-in, /api/me/check-ins: the weekly red-flag check-in
    progress       /progress, /api/me/progress
    learn          /learn, /learn/{topic}, /api/me/learn...

A module has ``router`` for its pages (``include_in_schema=False``) and ``api`` for its JSON endpoints
(``APIRouter(prefix="/api...", tags=[...], responses=API_ERRORS)``, in ``/openapi.json``).

Adding pages or endpoints:

1. Put them in the module of their resource (or a new one, added to :data:`ROUTERS`).
2. Keep routes thin: take ``SessionDep`` and a user alias (``ClinicianUser``, ``PatientDep``, ...) and a
   ``RecordId`` for each id in the path, validate the input with a schema, call the library
   (``rebalance.api.analyse_case``, ``rebalance.programs...``) and the repository (``storage/repos``) with
   ``user.id`` as the acting user, then ``render(...)`` or return the schema. Never check ownership or
   compute a finding in a route.
3. Every state-changing form carries ``<input type="hidden" name="csrf_token" value="{{ csrf_token }}">``
   (HTMX requests get the header from ``base.html``). The app checks it on every POST/PUT/PATCH/DELETE.
4. Add the route to the access policy, ``tests/web/access_policy.py``: ``tests/web/test_access.py``
   fails for any route without a rule there, and walks it for every role and for A's and B's records.
"""

from __future__ import annotations

from fastapi import APIRouter

from rebalance.web.routes import (
    admin,
    assessments,
    auth,
    check_ins,
    fhir,
    handouts,
    home,
    invitations,
    learn,
    me,
    patients,
    programs,
    progress,
    sessions,
    system,
    today,
)

ROUTERS: tuple[APIRouter, ...] = (
    system.router,
    home.router,
    auth.router,
    me.api,
    admin.router,
    patients.router,
    patients.api,
    invitations.api,
    assessments.router,
    assessments.api,
    programs.router,
    programs.api,
    handouts.router,
    fhir.api,
    today.router,
    today.api,
    sessions.router,
    sessions.api,
    check_ins.router,
    check_ins.api,
    progress.router,
    progress.api,
    learn.router,
    learn.api,
)
