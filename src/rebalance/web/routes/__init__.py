"""The routers. ``create_app`` includes every router listed in :data:`ROUTERS`.

    home     GET /                          the signed-in user's start page (by role)
    system   GET /health                    200 {"status": "ok"} once the database answers
    auth     GET/POST /login, POST /logout, GET/POST /invite/{token}
    admin    GET/POST /admin/clinicians, POST /admin/clinicians/{user_id}/deactivate|activate
    api      /api: GET /api/me, POST /api/patients/{patient_id}/invitations (the JSON API; in /openapi.json)
    clinician      /patients, /assessments, /programs: the clinician's pages (see its docstring)
    clinician_api  /api/patients, /api/assessments, /api/programs: the clinician's JSON API
    patient        /today, /log, /check-in, /progress, /learn: the patient's pages (see its docstring)
    patient_api    /api/me/...: the patient's JSON API (program, today, logs, check-ins, progress, learn)

Adding pages or endpoints (the clinician and patient pages):

1. Write a module here with ``router = APIRouter(...)`` — pages with ``include_in_schema=False``, JSON
   under the ``/api`` router of ``api.py`` (or an ``APIRouter(prefix="/api/...", responses=API_ERRORS)``)
   — and add it to :data:`ROUTERS`.
2. Keep routes thin: take ``SessionDep`` and a user alias (``ClinicianUser``, ``PatientUser``, ...),
   validate the input with a schema, call the library (``rebalance.api.analyse_document``,
   ``rebalance.programs.progress`` ...) and the repository with ``user.id`` as the acting user, then
   ``render(...)`` or return the schema. Never check ownership or compute a finding in a route.
3. Every state-changing form carries ``<input type="hidden" name="csrf_token" value="{{ csrf_token }}">``
   (HTMX requests get the header from ``base.html``). The app checks it on every POST/PUT/PATCH/DELETE.
4. Add the route to the access policy, ``tests/web/access_policy.py``: ``tests/web/test_access.py``
   fails for any route without a rule there, and walks it for every role and for A's and B's records.
"""

from __future__ import annotations

from fastapi import APIRouter

from rebalance.web.routes import admin, api, auth, clinician, clinician_api, home, patient, patient_api, system

# Matched in this order (no two routers share a path): the patients' pages and API first, as most
# requests are theirs, so a request is tried against as few routes as possible.
ROUTERS: tuple[APIRouter, ...] = (
    patient.router,
    patient_api.router,
    system.router,
    home.router,
    auth.router,
    admin.router,
    api.router,
    clinician.router,
    clinician_api.router,
)
