"""The access matrix: every route, every role, A's and B's records, against the policy table.

For each route of the app (``app.routes``: pages, ``/api``, mounts) and each actor — signed out,
admin, clinician A, clinician B, patient A1 (of A), patient B1 (of B) — the path parameters are filled
with side A's records and then side B's, and the answer must be what ``access_policy.POLICY`` says:
served for the allowed, 403/404 for the signed in but not allowed, 303 to /login (pages) or 401
(``/api``) for the signed out; and no patient's name in an answer to someone who may not see it.

Runs on SQLite and on PostgreSQL. A route with no rule fails here: add it to ``access_policy.py``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from rebalance.config import Settings
from rebalance.web.app import create_app
from rebalance.web.security import SAFE_METHODS
from tests.web.access_policy import ACTORS, POLICY, VISIBLE_TO, Actor, Rule, allows
from tests.web.conftest import FAST_HASHING, empty_tables
from tests.web.helpers import route_keys
from tests.web.world import PARAMS, World

PARAM = re.compile(r"{(\w+)(?::\w+)?}")


ROUTES = route_keys(create_app(Settings(database_url="sqlite://", **FAST_HASHING)))


def test_every_route_has_an_access_rule() -> None:
    missing = [key for key in ROUTES if key not in POLICY]
    assert not missing, f"routes without an access rule: add them to tests/web/access_policy.py POLICY: {missing}"


def test_every_access_rule_names_a_route_of_the_app() -> None:
    stale = [key for key in POLICY if key not in ROUTES]
    assert not stale, f"rules for routes the app no longer has: {stale}"


def test_every_path_parameter_has_a_resolver() -> None:
    names = {name for _, path in ROUTES for name in PARAM.findall(path)}
    assert names <= PARAMS.keys(), f"add resolvers to tests/web/world.py PARAMS for: {sorted(names - PARAMS.keys())}"


def test_the_matrix_covers_every_role_and_both_sides_of_each_record() -> None:
    assert {a.role for a in ACTORS} == {"anonymous", "admin", "clinician", "patient"}
    assert {a.side for a in ACTORS if a.role in ("clinician", "patient")} == {"A", "B"}


@dataclass
class Matrix:
    client: TestClient
    world: World


@pytest.fixture(scope="module")
def matrix(db_url: str) -> Iterator[Matrix]:
    """One world per database (SQLite, PostgreSQL) for the whole module."""
    app = create_app(Settings(database_url=db_url, **FAST_HASHING))
    with TestClient(app, follow_redirects=False, raise_server_exceptions=False) as client:
        yield Matrix(client, World(app))
    empty_tables(db_url)


def _path(world: World, path: str, side: str | None) -> str:
    if side is None:
        return path
    return PARAM.sub(lambda m: PARAMS[m.group(1)](world, side), path)


def _call(matrix: Matrix, actor: Actor, method: str, path: str, rule: Rule, side: str | None) -> Any:
    client, world = matrix.client, matrix.world
    client.cookies.clear()  # only the actor's own cookie, never one a previous answer set
    body: dict[str, Any] = {}
    if rule.form is not None:
        body["data"] = rule.form(world, side)
    if rule.json is not None:
        body["json"] = rule.json(world, side)
    response = client.request(method, path, headers=world.headers(actor), **body)
    if method not in SAFE_METHODS:
        world.restore()
    return response


def _problem(response: Any, rule: Rule, actor: Actor, side: str | None, api: bool) -> str | None:
    status = response.status_code
    if allows(rule.who, actor, side):
        expected = "served " + "/".join(map(str, sorted(rule.ok)))
        wrong = status not in rule.ok
    elif actor.role == "anonymous":
        expected = "401" if api else "303 to /login"
        location = response.headers.get("location", "")
        wrong = status != 401 if api else (status != 303 or not location.startswith("/login"))
    else:
        expected = "denied " + "/".join(map(str, sorted(rule.denied)))
        wrong = status not in rule.denied
    if wrong:
        return f"expected {expected}, got {status}"
    leaked = [name for name, viewers in VISIBLE_TO.items() if actor.name not in viewers and name in response.text]
    return f"shows {leaked} to {actor.name}" if leaked else None


@pytest.mark.parametrize(("method", "path"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_route_access(matrix: Matrix, method: str, path: str) -> None:
    rule = POLICY.get((method, path))
    if rule is None:
        pytest.fail(f"{method} {path} has no access rule: add it to tests/web/access_policy.py POLICY")
    sides: tuple[str | None, ...] = ("A", "B") if PARAM.search(path) else (None,)
    api = path == "/api" or path.startswith("/api/")
    problems = []
    for actor in ACTORS:
        for side in sides:
            target = rule.probe or _path(matrix.world, path, side)
            response = _call(matrix, actor, method, target, rule, side)
            problem = _problem(response, rule, actor, side, api)
            if problem:
                problems.append(f"{actor.name} {method} {target} (side {side}): {problem}")
    assert not problems, "\n".join(problems)
