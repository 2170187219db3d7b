"""Every route, as every role: the outcome the permission table promises.

The test enumerates the application's URL map, so a route added by a later feature is
checked the day it lands; a route with no entry below, or with neither a permission
nor the public marker, fails the suite until it is given one.
"""

from __future__ import annotations

import pytest

from app.core.permissions import allowed
from tests.factories import PERSONAS, URL_VALUES

ANONYMOUS = "anonymous"
ROLES = [ANONYMOUS, *PERSONAS]
# Routes that sign the reader out: they answer with the login page, and the matrix signs
# in again after them.
SIGN_OUT = {"people.logout", "people.sign_out_everywhere"}


def _roles_of(persona: str) -> set[str]:
    global_role, tf_role = PERSONAS[persona]
    roles = {global_role} if global_role in ("admin", "frontline") else set()
    if tf_role and persona != "expired_temp":
        roles.add(tf_role)
    return roles


def _endpoints(app):
    rules = [r for r in app.url_map.iter_rules() if r.endpoint != "static"]
    return sorted(rules, key=lambda r: (r.rule, sorted(r.methods)))


def _cases(app):
    for rule in _endpoints(app):
        for method in ("GET", "POST"):
            if method in rule.methods:
                yield rule, method


def test_every_route_declares_who_may_use_it(app):
    undeclared = [
        r.endpoint
        for r in _endpoints(app)
        if not hasattr(app.view_functions[r.endpoint], "required_action")
        and not getattr(app.view_functions[r.endpoint], "is_public", False)
    ]
    assert undeclared == []


def test_every_route_parameter_has_a_test_value(app):
    missing = {a for r in _endpoints(app) for a in r.arguments if a not in URL_VALUES}
    assert missing == set()


@pytest.mark.parametrize("role", ROLES)
def test_routes_answer_as_the_permission_table_says(app, world, role):
    client = app.test_client()
    if role != ANONYMOUS:
        client.post("/login", data={"login": role, "password": "correct horse 1"})
    failures = []
    for rule, method in _cases(app):
        url = rule.build({a: URL_VALUES[a](world) for a in rule.arguments}, append_unknown=False)[1]
        view = app.view_functions[rule.endpoint]
        response = client.open(url, method=method, data={}, buffered=True)
        code = response.status_code
        location = response.headers.get("Location", "")
        if not _as_the_table_says(role, rule.endpoint, view, code, location):
            failures.append(f"{method} {url} as {role}: {code} {location}")
        if role != ANONYMOUS and rule.endpoint in SIGN_OUT and code == 302:
            client.post("/login", data={"login": role, "password": "correct horse 1"})
    assert failures == []


def _is_api_call(endpoint: str) -> bool:
    """A call of the REST API (``/api/v1``): it reads no browser session, so whatever the
    browser's role it answers 401 without a token (tests/api walks it per token)."""
    from app.core.web import SELF_AUTHENTICATED

    return endpoint.split(".")[0] in SELF_AUTHENTICATED


def _as_the_table_says(role: str, endpoint: str, view, code: int, location: str) -> bool:
    if _is_api_call(endpoint):
        return code == 401
    if getattr(view, "is_public", False):
        return code < 500 and code != 403
    if role == ANONYMOUS or endpoint in SIGN_OUT:
        return code == 302 and "/login" in location
    if allowed(_roles_of(role), view.required_action):
        # Allowed: the page renders, or the action ran or refused the empty input.
        return code in (200, 302, 400, 404) and not (code == 302 and "/login" in location)
    return code == 403


@pytest.mark.parametrize("role", [ANONYMOUS, "leader", "member", "viewer", "frontline"])
def test_naming_a_task_force_one_is_not_on_opens_nothing_of_it(app, world, role):
    """Every route, with the other task force named (``?tf=``, as links from messages
    carry it): a page is sent on to its plain address without a switch, a form answers
    as the table says, and the reader stays where they were."""
    from app.extensions import db
    from app.people.models import User
    from tests.conftest import in_app

    client = app.test_client()
    if role != ANONYMOUS:
        client.post("/login", data={"login": role, "password": "correct horse 1"})
    named = f"?tf={world.other_task_force_id}"
    failures = []
    for rule, method in _cases(app):
        if rule.endpoint in SIGN_OUT:
            continue
        url = rule.build({a: URL_VALUES[a](world) for a in rule.arguments}, append_unknown=False)[1]
        view = app.view_functions[rule.endpoint]
        response = client.open(url + named, method=method, data={}, buffered=True)
        code = response.status_code
        location = response.headers.get("Location", "")
        if method == "GET" and role != ANONYMOUS and not _is_api_call(rule.endpoint):
            ok = code == 302 and location == url
        else:
            ok = _as_the_table_says(role, rule.endpoint, view, code, location)
        if not ok:
            failures.append(f"{method} {url}{named} as {role}: {code} {location}")
    assert failures == []
    if role != ANONYMOUS:
        with in_app(app):
            user = db.session.get(User, world.users[role])
            assert user.current_task_force_id != world.other_task_force_id


# GET links that queue work and lead to the page that shows it (issue 22: the list PDF
# is made by the worker). The world's KPI is not broken down by org unit: its grids send
# the reader to choose the units first, and no unit has figures of it to show. Those
# pages are walked as every role in tests/kpis/test_breakdown.py on a KPI broken down.
REDIRECTING_GETS = {
    "reports.issue_list_pdf": 302,
    "kpis.grid_template": 302,
    "kpis.breakdown_targets": 302,
    "kpis.breakdown_readings": 302,
    "kpis.unit_readings": 404,
    "kpis.unit_chart": 404,
    # The world's member is no service account: an administrator's tokens page for one
    # is walked in tests/api/test_tokens.py.
    "api_tokens.service_account_tokens": 404,
}


def test_allowed_get_pages_render(app, world):
    """For the roles that may, every GET page renders (200), not merely "not 403"."""
    failures = []
    for persona in ("admin", "leader", "member", "viewer", "frontline"):
        client = app.test_client()
        client.post("/login", data={"login": persona, "password": "correct horse 1"})
        client.post(f"/switch/{world.task_force_id}")  # an admin may be elsewhere
        for rule, method in _cases(app):
            view = app.view_functions[rule.endpoint]
            if method != "GET" or getattr(view, "is_public", False):
                continue
            if _is_api_call(rule.endpoint):
                continue
            if not allowed(_roles_of(persona), view.required_action):
                continue
            url = rule.build({a: URL_VALUES[a](world) for a in rule.arguments})[1]
            code = client.get(url, buffered=True).status_code
            if code != REDIRECTING_GETS.get(rule.endpoint, 200):
                failures.append(f"GET {url} as {persona}: {code}")
    assert failures == []


# Routes added for issue 15 ("closing means closed") and the action each asks the table for;
# the matrix above checks every role against them like any route.
NEW_ROUTES = {"meetings.all_present": "meeting.minutes"}


def test_the_routes_of_closing_means_closed_ask_the_table(app):
    for endpoint, action in NEW_ROUTES.items():
        assert app.view_functions[endpoint].required_action == action, endpoint


# A confirmed action (the second step of "are you sure?") is the same action: the same
# roles may take it, whatever the form says.
CONFIRMED = [
    ("/meetings/{meeting_id}/held", "meeting.minutes"),
    ("/meetings/{meeting_id}/publish", "meeting.minutes"),
    ("/issues/{issue_id}/status", "issue.work"),
    ("/escalations/{escalation_id}/schedule", "escalation.decide"),
]


@pytest.mark.parametrize("role", ["viewer", "frontline", "expired_temp", "member", "leader"])
def test_a_confirmation_does_not_widen_who_may_act(app, world, role):
    client = app.test_client()
    client.post("/login", data={"login": role, "password": "correct horse 1"})
    values = {name: URL_VALUES[name](world) for name in ("meeting_id", "issue_id", "escalation_id")}
    failures = []
    for template, action in CONFIRMED:
        url = template.format(**values)
        code = client.post(url, data={"confirm": "1"}).status_code
        allowed_here = allowed(_roles_of(role), action)
        if (code == 403) == allowed_here:
            failures.append(f"POST {url} confirmed as {role}: {code}")
    assert failures == []
