"""A client of the REST API: calls with a personal access token made for a persona."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.api import tokens
from app.api.models import ApiToken
from app.core import clock
from app.core.scope import unscoped
from app.extensions import db
from app.people.models import User


class Api:
    def __init__(self, app, world):
        self.app = app
        self.world = world
        self.client = app.test_client()

    def token(self, persona: str, scope: str = "write", task_force_id=None, days: int = 30):
        """A new token of ``persona`` (made by the service, as the page does)."""
        with self.app.app_context(), unscoped():
            user = db.session.get(User, self.world.users[persona])
            _token, raw = tokens.create_token(
                user, user, tokens.TokenInput(persona, scope, days, task_force_id)
            )
            db.session.commit()
            return raw

    def call(self, method: str, path: str, token: str | None, json=None, headers=None, **kw):
        sent = dict(headers or {})
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        return self.client.open(path, method=method, json=json, headers=sent, **kw)

    def get(self, path, token, **kw):
        return self.call("GET", path, token, **kw)

    def post(self, path, token, json=None, **kw):
        return self.call("POST", path, token, json=json, **kw)

    def patch(self, path, token, json=None, **kw):
        return self.call("PATCH", path, token, json=json, **kw)

    def expire(self, raw: str) -> None:
        with self.app.app_context(), unscoped():
            token = db.session.query(ApiToken).filter_by(token_hash=tokens.digest(raw)).one()
            token.expires_at = clock.now() - timedelta(seconds=1)
            db.session.commit()


@pytest.fixture
def api(app, world):
    return Api(app, world)


def is_problem(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status
    assert body["title"] and body["detail"] and body["type"]
    return body


# Personas with no active membership of the world's task force: what is in it is not theirs.
OFF_THE_TASK_FORCE = {"frontline", "outsider", "expired_temp"}


def misanswered(api, world, persona: str, cases) -> list[str]:
    """The cases — (method, path, body, who may, status when allowed), in order — that a
    write token of ``persona`` on the world's task force gets another answer to than the
    permission table promises: the status for those who may, 403 for the others, 404 for
    those off the task force; every refusal a problem."""
    token = api.token(persona)
    here = {"X-Task-Force": str(world.task_force_id)}
    failures = []
    for method, path, body, who, status in cases:
        response = api.call(method, path, token, json=body, headers=here)
        allowed = status if persona in who else 403
        expected = 404 if persona in OFF_THE_TASK_FORCE else allowed
        if response.status_code != expected:
            failures.append(f"{method} {path}: {response.status_code} not {expected}")
        elif expected >= 400:
            is_problem(response, expected)
    return failures


def assert_reads_only(api, cases) -> None:
    """A read token of a leader reads every GET of ``cases`` and is refused every write."""
    token = api.token("leader", scope="read")
    for method, path, body, _who, _status in cases:
        response = api.call(method, path, token, json=body)
        if method == "GET":
            assert response.status_code == 200, path
        else:
            assert is_problem(response, 403)["type"].endswith(":read-only-token")
