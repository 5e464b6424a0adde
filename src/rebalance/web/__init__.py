"""The clinic web app (``rebalance serve``): people and access, the clinician's and the patient's pages, the JSON API.

``create_app(settings)`` (``app.py``) makes it; what a route asks for is in ``deps.py``; the security policy in
``security.py``; the routes, one module a resource, in ``routes/`` (how to add one: its docstring). Who may
see what is decided by the repository (``storage/repos``); ``tests/web/test_access.py`` walks every route
for every role against ``tests/web/access_policy.py``.
"""
