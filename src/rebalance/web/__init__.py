"""The clinic web app (``rebalance serve``): people and access, pages, the JSON API.

    app          create_app(settings) -> FastAPI: migrations on startup, static files, templates, routers
    deps         SessionDep, CurrentUser, OptionalUser, AdminUser, ClinicianUser, PatientUser, KnowledgeDep;
                 csrf_protect (on every route)
    security     Argon2id passwords, web sessions (cookie rebalance_session), CSRF tokens, login rate limits
    errors       the error answers: JSON with field paths on /api, a page elsewhere, 500 with an error id
    middleware   security headers; the generic 500
    rendering    Jinja2 templates (autoescaped) and render(request, name, context)
    schemas      the API's own shapes (errors, health, Me, InvitationLink); stored things use storage.schemas
    routes/      home, system (/health), auth (login, logout, invitations), admin (clinicians), api (/api)
    demo         seed_demo(session_factory, kb): a demo clinic in an empty database
    templates/   base.html and the pages; static/ app.css, htmx.min.js (0BSD, LICENSE-htmx.txt)

Who may see what: a clinician their own patients; a patient their own program, logs and check-ins;
an admin the clinicians' accounts. The repository enforces it (``PermissionDeniedError`` → 403);
``tests/web/test_access.py`` walks every route for every role against ``tests/web/access_policy.py``.
How to add a page or an endpoint: :mod:`rebalance.web.routes`.
"""
